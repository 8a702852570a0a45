"""sqlite-vec's documented vec0 examples, as written (Example.source says where), with the
data their docs leave out filled in from data.py. Where an example needed more than
"vec0 -> embedkit" the comment at it says what and why.
"""
import re

from . import data
from .harness import Example, Query, Sql

# README.md, "Sample usage" / "Basic Usage": the 20 rows and the query exactly as printed.
README = "https://github.com/asg017/sqlite-vec/blob/main/README.md"
README_ROWS = """
    (1, '[0.279, -0.95, -0.45, -0.554, 0.473, 0.353, 0.784, -0.826]'),
    (2, '[-0.156, -0.94, -0.563, 0.011, -0.947, -0.602, 0.3, 0.09]'),
    (3, '[-0.559, 0.179, 0.619, -0.987, 0.612, 0.396, -0.319, -0.689]'),
    (4, '[0.914, -0.327, -0.815, -0.807, 0.695, 0.207, 0.614, 0.459]'),
    (5, '[0.072, 0.946, -0.243, 0.104, 0.659, 0.237, 0.723, 0.155]'),
    (6, '[0.409, -0.908, -0.544, -0.421, -0.84, -0.534, -0.798, -0.444]'),
    (7, '[0.271, -0.27, -0.26, -0.581, -0.466, 0.873, 0.296, 0.218]'),
    (8, '[-0.658, 0.458, -0.673, -0.241, 0.979, 0.28, 0.114, 0.369]'),
    (9, '[0.686, 0.552, -0.542, -0.936, -0.369, -0.465, -0.578, 0.886]'),
    (10, '[0.753, -0.371, 0.311, -0.209, 0.829, -0.082, -0.47, -0.507]'),
    (11, '[0.123, -0.475, 0.169, 0.796, -0.201, -0.561, 0.995, 0.019]'),
    (12, '[-0.818, -0.906, -0.781, 0.255, 0.584, -0.156, -0.873, -0.237]'),
    (13, '[0.992, 0.058, 0.942, 0.722, -0.977, 0.441, 0.363, 0.074]'),
    (14, '[-0.466, 0.282, -0.777, -0.13, -0.093, 0.908, 0.752, -0.473]'),
    (15, '[0.001, -0.643, 0.825, 0.741, -0.403, 0.278, 0.218, -0.694]'),
    (16, '[0.525, 0.079, 0.557, 0.061, -0.999, -0.352, -0.961, 0.858]'),
    (17, '[0.757, 0.663, -0.385, -0.884, 0.756, 0.894, -0.829, -0.028]'),
    (18, '[-0.862, 0.521, 0.532, -0.743, -0.049, 0.1, -0.47, 0.745]'),
    (19, '[-0.154, -0.576, 0.079, 0.46, -0.598, -0.377, 0.99, 0.3]'),
    (20, '[-0.124, 0.035, -0.758, -0.551, -0.324, 0.177, -0.54, -0.56]')"""
README_QUERY = "'[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]'"

# vec0 0.1.9 reads LIMIT only on SQLite >= 3.41 (knn.md says so: "LIMIT only works on SQLite
# versions 3.41+ ... Otherwise, use the `k = 10` method"); this host has 3.40.1. vec0 then
# runs the doc's own k form, embedkit the LIMIT form as documented.
LIMIT_REASON = "vec0 0.1.9 takes LIMIT on SQLite >= 3.41 only; vec0 runs the k = form"


def limit_query(sql: str, k: int, params=()) -> Query:
    """A documented `... LIMIT k` KNN query; vec0 gets `and k = k` in place of the LIMIT."""
    limit = re.search(r"\s+limit\s+\d+\s*;?\s*$", sql, re.IGNORECASE)
    head = sql[:limit.start()]
    order = re.search(r"\s+order\s+by\b", head, re.IGNORECASE)
    vec0 = (head[:order.start()] + f" and k = {k}" + head[order.start():]) if order \
        else head + f" and k = {k}"
    return Query(sql, params, k=k, vec0_sql=vec0, vec0_reason=LIMIT_REASON)


readme = Example(
    "readme_basic_usage", README,
    setup=(Sql("create virtual table vec_examples using vec0(\n  sample_embedding float[8]\n)"),
           Sql("insert into vec_examples(rowid, sample_embedding)\n  values" + README_ROWS)),
    queries=(
        limit_query("select\n  rowid,\n  distance\nfrom vec_examples\nwhere sample_embedding "
                    f"match {README_QUERY}\norder by distance\nlimit 3", 3),
        # The README of the maintained fork (vlasky/sqlite-vec) adds distance constraints.
        # vec0 0.1.9 leaves them to SQLite, which filters the k nearest: the peer's answer.
        Query(f"select rowid, distance from vec_examples where sample_embedding match "
              f"{README_QUERY} and k = 10 and distance < 1.5 order by distance", k=10),
        Query(f"select rowid, distance from vec_examples where sample_embedding match "
              f"{README_QUERY} and k = 20 and distance between 1.5 and 2.0 order by distance",
              k=20),
        Query(f"select rowid, distance from vec_examples where sample_embedding match "
              f"{README_QUERY} and k = 3 and distance > 1.83941268920898 order by distance",
              k=3),
    ))

# examples/simple-python/demo.py: five f32 blobs; the query at 0.3 has ties (0.2, 0.4).
SIMPLE_PYTHON = "https://github.com/asg017/sqlite-vec/blob/main/examples/simple-python/demo.py"
SIMPLE_ITEMS = [(i, data.f32_blob([i / 10] * 4)) for i in range(1, 6)]
SIMPLE_QUERY = "\n      SELECT\n        rowid,\n        distance\n      FROM vec_items\n" \
               "      WHERE embedding MATCH ?\n      ORDER BY distance\n      LIMIT 3\n    "


def simple_python(create: str, name: str) -> Example:
    return Example(
        name, SIMPLE_PYTHON,
        setup=(Sql(create), Sql("INSERT INTO vec_items(rowid, embedding) VALUES (?, ?)",
                                SIMPLE_ITEMS)),
        queries=(limit_query(SIMPLE_QUERY, 3, (data.f32_blob([0.3] * 4),)),))


simple_python_l2 = simple_python(
    "CREATE VIRTUAL TABLE vec_items USING vec0(embedding float[4])", "simple_python_l2")
# The demo's commented-out alternative: every item is parallel to the query, so all five
# cosine distances are 0 up to rounding (one tie group).
simple_python_cosine = simple_python(
    "CREATE VIRTUAL TABLE vec_items USING vec0(embedding float[4] distance_metric=cosine)",
    "simple_python_cosine")

# examples/simple-sqlite/demo.sql (the rows arrive through json_each, as text).
simple_sqlite = Example(
    "simple_sqlite_demo",
    "https://github.com/asg017/sqlite-vec/blob/main/examples/simple-sqlite/demo.sql",
    setup=(Sql("CREATE VIRTUAL TABLE vec_items USING vec0(embedding float[4])"),
           Sql("INSERT INTO vec_items(rowid, embedding)\n  select\n    value ->> 0,\n"
               "    value ->> 1\n  from json_each('[\n    [1, [0.1, 0.1, 0.1, 0.1]],\n"
               "    [2, [0.2, 0.2, 0.2, 0.2]],\n    [3, [0.3, 0.3, 0.3, 0.3]],\n"
               "    [4, [0.4, 0.4, 0.4, 0.4]],\n    [5, [0.5, 0.5, 0.5, 0.5]]\n  ]')")),
    queries=(limit_query("SELECT\n  rowid,\n  distance\nFROM vec_items\nWHERE embedding MATCH "
                         "'[0.3, 0.3, 0.3, 0.3]'\nORDER BY distance\nLIMIT 3", 3),))

# site/features/knn.md, "vec0 virtual tables". The doc's `documents` source table and its
# `embed()` model are not shown: 200 documents, and data.embed as `embed`.
KNN = "https://github.com/asg017/sqlite-vec/blob/main/site/features/knn.md"
DOCUMENTS = Sql("create table documents(id integer primary key, contents text)")
DOCUMENT_ROWS = Sql("insert into documents(id, contents) values (?, ?)",
                    [(i, f"document number {i}") for i in range(1, 201)])
KNN_QUERY = {"query": data.embed("what the reader asks")}
KNN_INSERT = Sql("insert into vec_documents(document_id, contents_embedding)\n"
                 "  select id, embed(contents)\n  from documents;")

knn_l2 = Example(
    "knn_vec0_tables", KNN,
    setup=(DOCUMENTS, DOCUMENT_ROWS,
           Sql("create virtual table vec_documents using vec0(\n  document_id integer primary "
               "key,\n  contents_embedding float[768]\n);"), KNN_INSERT),
    queries=(
        Query("select\n  document_id,\n  distance\nfrom vec_documents\nwhere contents_embedding"
              " match :query\n  and k = 10;", KNN_QUERY, k=10),
        limit_query("select\n  document_id,\n  distance\nfrom vec_documents\nwhere "
                    "contents_embedding match :query\nlimit 10;", 10, KNN_QUERY),
        Query("with knn_matches as (\n  select\n    document_id,\n    distance\n  from "
              "vec_documents\n  where contents_embedding match :query\n    and k = 10\n)\n"
              "select\n  documents.id,\n  documents.contents,\n  knn_matches.distance\n"
              "from knn_matches\nleft join documents on documents.id = "
              "knn_matches.document_id", KNN_QUERY, k=10),
    ))

knn_cosine = Example(
    "knn_vec0_cosine", KNN,
    setup=(DOCUMENTS, DOCUMENT_ROWS,
           Sql("create virtual table vec_documents using vec0(\n  document_id integer primary "
               "key,\n  contents_embedding float[768] distance_metric=cosine\n);"), KNN_INSERT),
    queries=(Query("select\n  document_id,\n  distance\nfrom vec_documents\nwhere "
                   "contents_embedding match :query\n  and k = 10;", KNN_QUERY, k=10),))
