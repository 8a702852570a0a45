"""sqlite-vec's documented scalar and table functions: the examples of
site/api-reference.md (each `select ...;` with its printed answer or ❌) and the "manual"
KNN of site/features/knn.md (vectors in an ordinary table, ordered by vec_distance_L2).
"""
from .harness import Example, Query, Sql

API = "https://github.com/asg017/sqlite-vec/blob/main/site/api-reference.md"

# (sql, documented as an error). Left out: vec_version()/vec_debug() (each names its own
# build), vec_quantize_i8 (documented as 'todo'), vec_npy_each (not compiled into the
# vec0.so of sqlite-vec 0.1.9's npm package: "no such table: vec_npy_each").
API_EXAMPLES = (
    ("select vec_f32('[.1, .2, .3, 4]');", False),
    ("select vec_f32(X'AABBCCDD');", False),
    ("select vec_to_json(vec_f32(X'AABBCCDD'));", False),
    ("select vec_f32(X'AA');", True),
    ("select vec_int8('[1, 2, 3, 4]');", False),
    ("select vec_int8(X'AABBCCDD');", False),
    ("select vec_to_json(vec_int8(X'AABBCCDD'));", False),
    ("select vec_int8('[999]');", True),
    ("select vec_bit(X'F0');", False),
    ("select vec_to_json(vec_bit(X'F0'));", False),
    ("select vec_length('[.1, .2]');", False),
    ("select vec_length(X'AABBCCDD');", False),
    ("select vec_length(vec_int8(X'AABBCCDD'));", False),
    ("select vec_length(vec_bit(X'AABBCCDD'));", False),
    ("select vec_length(X'CCDD');", True),
    ("select vec_type('[.1, .2]');", False),
    ("select vec_type(X'AABBCCDD');", False),
    ("select vec_type(vec_int8(X'AABBCCDD'));", False),
    ("select vec_type(vec_bit(X'AABBCCDD'));", False),
    ("select vec_type(X'CCDD');", True),
    ("select vec_add(\n  '[.1, .2, .3]',\n  '[.4, .5, .6]'\n);", False),
    ("select vec_to_json(\n  vec_add(\n    '[.1, .2, .3]',\n    '[.4, .5, .6]'\n  )\n);", False),
    ("select vec_to_json(\n  vec_add(\n    vec_int8('[1, 2, 3]'),\n    vec_int8('[4, 5, 6]')\n"
     "  )\n);", False),
    ("select vec_add('[.1]', vec_int8('[1]'));", True),
    ("select vec_add(vec_bit(X'AA'), vec_bit(X'BB'));", True),
    ("select vec_sub(\n  '[.1, .2, .3]',\n  '[.4, .5, .6]'\n);", False),
    ("select vec_to_json(\n  vec_sub(\n    '[.1, .2, .3]',\n    '[.4, .5, .6]'\n  )\n);", False),
    ("select vec_to_json(\n  vec_sub(\n    vec_int8('[1, 2, 3]'),\n    vec_int8('[4, 5, 6]')\n"
     "  )\n);", False),
    ("select vec_sub('[.1]', vec_int8('[1]'));", True),
    ("select vec_sub(vec_bit(X'AA'), vec_bit(X'BB'));", True),
    ("select vec_normalize('[2, 3, 1, -4]');", False),
    ("select vec_to_json(\n  vec_normalize('[2, 3, 1, -4]')\n);", False),
    ("select vec_to_json(\n  vec_normalize(\n    vec_slice('[2, 3, 1, -4]', 0, 2)\n  )\n);", False),
    ("select vec_slice('[1, 2,3, 4]', 0, 2);", False),
    ("select vec_to_json(\n  vec_slice('[1, 2,3, 4]', 0, 2)\n);", False),
    ("select vec_to_json(\n  vec_slice('[1, 2,3, 4]', 2, 4)\n);", False),
    ("select vec_to_json(\n  vec_slice('[1, 2,3, 4]', -1, 4)\n);", True),
    ("select vec_to_json(\n  vec_slice('[1, 2,3, 4]', 0, 5)\n);", True),
    ("select vec_to_json(\n  vec_slice('[1, 2,3, 4]', 0, 0)\n);", True),
    ("select vec_to_json(X'AABBCCDD');", False),
    ("select vec_to_json(vec_int8(X'AABBCCDD'));", False),
    ("select vec_to_json(vec_bit(X'AABBCCDD'));", False),
    ("select vec_to_json('[1,2,3,4]');", False),
    ("select vec_to_json('invalid');", True),
    ("select rowid, value from vec_each('[1,2,3,4]');", False),
    ("select rowid, value from vec_each(X'AABBCCDD00112233');", False),
    ("select rowid, value from vec_each(vec_int8(X'AABBCCDD'));", False),
    ("select vec_distance_L2('[1, 1]', '[2, 2]');", False),
    ("select vec_distance_L2('[1, 1]', '[-2, -2]');", False),
    ("select vec_distance_L2('[1.1, 2.2, 3.3]', '[4.4, 5.5, 6.6]');", False),
    ("select vec_distance_L2(X'AABBCCDD', X'00112233');", False),
    ("select vec_distance_L2('[1, 1]', vec_int8('[2, 2]'));", True),
    ("select vec_distance_L2(vec_bit(X'AA'), vec_bit(X'BB'));", True),
    ("select vec_distance_cosine('[1, 1]', '[2, 2]');", False),
    ("select vec_distance_cosine('[1, 1]', '[-2, -2]');", False),
    ("select vec_distance_cosine('[1.1, 2.2, 3.3]', '[4.4, 5.5, 6.6]');", False),
    ("select vec_distance_cosine(X'AABBCCDD', X'00112233');", False),
    ("select vec_distance_cosine('[1, 1]', vec_int8('[2, 2]'));", True),
    ("select vec_distance_cosine(vec_bit(X'AA'), vec_bit(X'BB'));", True),
    ("select vec_distance_hamming(vec_bit(X'00'), vec_bit(X'FF'));", False),
    ("select vec_distance_hamming(vec_bit(X'FF'), vec_bit(X'FF'));", False),
    ("select vec_distance_hamming(vec_bit(X'F0'), vec_bit(X'44'));", False),
    ("select vec_distance_hamming('[1, 1]', '[0, 0]');", True),
    ("select vec_quantize_binary('[1, 2, 3, 4, 5, 6, 7, 8]');", False),
    ("select vec_quantize_binary('[1, 2, 3, 4, -5, -6, -7, -8]');", False),
    ("select vec_quantize_binary('[-1, -2, -3, -4, -5, -6, -7, -8]');", False),
    ("select vec_quantize_binary(vec_int8(X'11223344'));", True),
    ("select vec_quantize_binary(vec_bit(X'FF'));", True),
)

# vec0 0.1.9's vec_each reads a bit vector's bits most significant first (1,1,1,1,0,0,0,0
# for X'F0', as the doc prints) while its vec_to_json reads them least significant first
# ([0,0,0,0,1,1,1,1]). embedkit reads bits LSB first everywhere (the layout of vec_bit blobs).
BIT_EACH = Query("select rowid, value from vec_each(vec_bit(X'F0'));",
                 ours_rows=[(i, 1 if i >= 4 else 0) for i in range(8)],
                 reason="vec0's vec_each lists bits MSB first, unlike its vec_to_json; "
                        "embedkit lists them LSB first like both vec_to_json")

api_reference = Example(
    "api_reference_functions", API, setup=(),
    queries=tuple(Query(sql, both_refuse=refuses) for sql, refuses in API_EXAMPLES)
    + (BIT_EACH,))

# binary-quant.md's first example: 8 floats to one byte, X'd4'.
quantize_binary = Example(
    "binary_quantization_function",
    "https://github.com/asg017/sqlite-vec/blob/main/site/guides/binary-quant.md",
    setup=(),
    queries=(Query("select vec_quantize_binary(\n  '[-0.73, -0.80, 0.12, -0.73, 0.79, -0.11, 0.23,"
                   " 0.97]'\n);"),))

# knn.md "Manually with SQL scalar functions": brute force over an ordinary table.
KNN = "https://github.com/asg017/sqlite-vec/blob/main/site/features/knn.md"
manual_knn = Example(
    "knn_manual_functions", KNN,
    setup=(Sql("create table documents(\n  id integer primary key,\n  contents text,\n"
               "  -- a 4-dimensional floating-point vector\n  contents_embedding blob\n);"),
           Sql("insert into documents values\n  (1, 'alex', vec_f32('[1.1, 1.1, 1.1, 1.1]')),\n"
               "  (2, 'brian', vec_f32('[2.2, 2.2, 2.2, 2.2]')),\n"
               "  (3, 'craig', vec_f32('[3.3, 3.3, 3.3, 3.3]'));")),
    queries=(Query("select\n  id,\n  contents,\n  vec_distance_L2(contents_embedding, '[2.2, 2.2,"
                   " 2.2, 2.2]') as distance\nfrom documents\norder by distance;"),))

# knn.md: the CHECK constraint that keeps a column to 4-d f32 blobs; three ❌, one ✅.
manual_check = Example(
    "knn_manual_check_constraint", KNN,
    setup=(Sql("create table documents(\n  id integer primary key,\n  contents text,\n"
               "  contents_embedding float[4]\n    check(\n      typeof(contents_embedding) =="
               " 'blob'\n      and vec_length(contents_embedding) == 4\n    )\n);"),),
    queries=(Query("insert into documents values (1, 'alex', '[1.1, 1.1, 1.1, 1.1]');",
                   both_refuse=True),
             Query("insert into documents values (1, 'alex', vec_f32('[1.1, 1.1, 1.1]'));",
                   both_refuse=True),
             Query("insert into documents values (1, 'alex', vec_bit('[1.1, 1.1, 1.1, 1.1]'));",
                   both_refuse=True),
             Query("insert into documents values (1, 'alex', vec_f32('[1.1, 1.1, 1.1, 1.1]'));"),
             Query("select id, contents, vec_to_json(contents_embedding) from documents")))
