"""sqlite-vec's documented examples for metadata, partition key and auxiliary columns
(site/features/vec0.md), binary quantization and Matryoshka slicing (site/guides/), and
the one vec0 option embedkit refuses. The docs write the query vector as '[...]' or :query
and show no rows: data.py supplies both, the same on each side.
"""
from . import data
from .corpus_vtab import limit_query
from .harness import Example, Query, Sql

VEC0_MD = "https://github.com/asg017/sqlite-vec/blob/main/site/features/vec0.md"


def _query_json(dim: int, seed: int) -> str:
    return data.json_text(data.vectors(seed, 1, dim)[0])


# vec0.md "Metadata Columns": the table and the sample query verbatim, '[...]' filled in.
MOVIE_ROWS = data.movies(300, 1024, seed=11)
metadata = Example(
    "vec0_metadata_columns", VEC0_MD + "#metadata",
    setup=(Sql("create virtual table vec_movies using vec0(\n  movie_id integer primary key,\n"
               "  synopsis_embedding float[1024],\n  genre text,\n  num_reviews int,\n"
               "  mean_rating float,\n  contains_violence boolean\n);"),
           Sql("insert into vec_movies(movie_id, synopsis_embedding, genre, num_reviews, "
               "mean_rating, contains_violence) values (?, ?, ?, ?, ?, ?)", MOVIE_ROWS)),
    queries=(Query("select *\nfrom vec_movies\nwhere synopsis_embedding match "
                   f"'{_query_json(1024, 12)}'\n  and k = 5\n  and genre = 'scifi'\n"
                   "  and num_reviews between 100 and 500\n  and mean_rating > 3.5\n"
                   "  and contains_violence = false;", k=5),))

# vec0.md, the overview table with two partition keys, a metadata and an auxiliary column.
# The doc shows only the table: the KNN query (each kind of column in the WHERE or the
# SELECT) is this suite's.
CHUNK_ROWS = [(i, i % 7, data.json_text(v), i % 5, ("spam", "ham", "eggs")[i % 3],
               f"chunk {i} text") for i, v in enumerate(data.vectors(21, 250, 768), start=1)]
column_kinds = Example(
    "vec0_column_kinds", VEC0_MD,
    setup=(Sql("create virtual table vec_chunks using vec0(\n  document_id integer partition "
               "key,\n  contents_embedding float[768],\n\n  -- partition key column, denoted "
               "by 'partition key'\n  user_id integer partition key,\n\n  -- metadata column,"
               " appears as normal column definition\n  label text,\n\n  -- auxiliary column,"
               " denoted by '+'\n  +contents text\n);"),
           Sql("insert into vec_chunks(rowid, document_id, contents_embedding, user_id, label,"
               " contents) values (?, ?, ?, ?, ?, ?)", CHUNK_ROWS)),
    queries=(Query("select rowid, document_id, user_id, label, contents, distance from "
                   "vec_chunks where contents_embedding match :q and k = 8 and document_id = 3"
                   " and user_id = 2 and label != 'ham'",
                   {"q": data.f32_blob(data.vectors(22, 1, 768)[0])}, k=8),))

# vec0.md "Partition Key Columns", first example: user 123 among 40 users.
USER_QUERY = {"query": data.f32_blob(data.vectors(31, 1, 1024)[0])}
partition_user = Example(
    "vec0_partition_user", VEC0_MD + "#partition-keys",
    setup=(Sql("create virtual table vec_documents using vec0(\n  document_id integer primary "
               "key,\n  user_id integer partition key,\n  contents_embedding float[1024]\n)"),
           Sql("insert into vec_documents(document_id, user_id, contents_embedding) "
               "values (?, ?, ?)",
               [(i, 100 + i % 40, data.json_text(v))
                for i, v in enumerate(data.vectors(32, 1200, 1024), start=1)])),
    queries=(Query("select\n  document_id,\n  user_id,\n  distance\nfrom vec_documents\n"
                   "where contents_embedding match :query\n  and k = 20\n  and user_id = 123;",
                   USER_QUERY, k=20),))

# vec0.md "Partition Key Columns", second example. As printed the query has no k and no
# LIMIT: vec0 refuses it ("A LIMIT or 'k = ?' constraint is required"); embedkit has no cap
# on k and returns every match by distance, which vec0 gives with k = all 350 rows. The
# k = 10 form after it is this suite's, to compare a BETWEEN on a text partition key.
ARTICLE_QUERY = {"query": data.json_text(data.vectors(41, 1, 1024)[0])}
DATES = ["2005-03-01", "2009-01-19", "2009-01-20", "2012-06-30", "2017-01-20", "2017-01-21",
         "2020-11-03"]
partition_articles = Example(
    "vec0_partition_articles", VEC0_MD + "#partition-keys",
    setup=(Sql("create virtual table vec_articles using vec0(\n  article_id integer primary "
               "key,\n  published_date text partition key,\n  headline_embedding float[1024]"
               "\n);"),
           Sql("insert into vec_articles(article_id, published_date, headline_embedding) "
               "values (?, ?, ?)",
               [(i, DATES[i % len(DATES)], data.json_text(v))
                for i, v in enumerate(data.vectors(42, 350, 1024), start=1)])),
    queries=(Query("select\n  article_id,\n  published_date,\n  distance\nfrom vec_articles\n"
                   "where headline_embedding match :query\n  and published_date between "
                   "'2009-01-20' and '2017-01-20'; -- Obama administration", ARTICLE_QUERY,
                   vec0_sql="select article_id, published_date, distance from vec_articles "
                   "where headline_embedding match :query and k = 350 and published_date "
                   "between '2009-01-20' and '2017-01-20'",
                   vec0_reason="vec0 requires k or LIMIT; embedkit returns every match by "
                   "distance, which vec0 gives with k = all rows"),
             Query("select article_id, published_date, distance from vec_articles where "
                   "headline_embedding match :query and k = 10 and published_date between "
                   "'2009-01-20' and '2017-01-20'", ARTICLE_QUERY, k=10)))

# vec0.md "Auxiliary Columns": both tables and both queries as printed. The doc's second
# query reads vec_chunks (not the vec_image_chunks it just created), so it runs against the
# first table; the last query, reading the image blobs back, is this suite's.
AUX_QUERY = {"query": data.json_text(data.vectors(51, 1, 1024)[0])}
auxiliary = Example(
    "vec0_auxiliary_columns", VEC0_MD + "#aux",
    setup=(Sql("create virtual table vec_chunks using vec0(\n  contents_embedding "
               "float[1024],\n  +contents text\n);"),
           Sql("insert into vec_chunks(rowid, contents_embedding, contents) values (?, ?, ?)",
               [(i, data.json_text(v), f"the text of chunk {i}")
                for i, v in enumerate(data.vectors(52, 120, 1024), start=1)]),
           Sql("create virtual table vec_image_chunks using vec0(\n  image_embedding "
               "float[1024],\n  +image blob\n);"),
           Sql("insert into vec_image_chunks(rowid, image_embedding, image) values (?, ?, ?)",
               [(i, data.f32_blob(v), bytes([i % 256]) * (i + 3))
                for i, v in enumerate(data.vectors(53, 60, 1024), start=1)])),
    queries=(Query("select\n  rowid,\n  contents,\n  distance\nfrom vec_chunks\nwhere "
                   "contents_embedding match :query\n  and k = 10;", AUX_QUERY, k=10),
             Query("select rowid, image, distance from vec_image_chunks where "
                   "image_embedding match :query and k = 10", AUX_QUERY, k=10)))

# site/guides/binary-quant.md "Demo": bit[768] rows from vec_quantize_binary; hamming
# distances are small integers, so the answer is mostly ties.
BINARY = "https://github.com/asg017/sqlite-vec/blob/main/site/guides/binary-quant.md"
binary_quantization = Example(
    "binary_quantization_demo", BINARY,
    setup=(Sql("create virtual table vec_movies using vec0(\n  synopsis_embedding bit[768]\n);"),
           Sql("insert into vec_movies(rowid, synopsis_embedding)\n VALUES (:id, "
               "vec_quantize_binary(:vector));",
               [{"id": i, "vector": data.json_text(v)}
                for i, v in enumerate(data.vectors(61, 200, 768), start=1)])),
    queries=(limit_query("select\n  rowid,\n  distance\nfrom vec_movies\nwhere "
                         "synopsis_embedding match vec_quantize_binary(:query)\norder by "
                         "distance\nlimit 20;", 20,
                         {"query": data.json_text(data.vectors(62, 1, 768)[0])}),))

# binary-quant.md "Re-scoring": a float and a bit column in one table. The doc's CTE has a
# stray comma before `select` (a syntax error on any SQLite): removed here. `limit 20 * 8`
# is a LIMIT vec0 cannot read on 3.40.1, so vec0 runs `k = 160`.
RESCORE_QUERY = {"query": data.json_text(data.vectors(72, 1, 768)[0])}
RESCORE_SQL = ("with coarse_matches as (\n  select\n    rowid,\n    synopsis_embedding\n  from "
               "vec_movies\n  where synopsis_embedding_coarse match vec_quantize_binary(:query)"
               "\n  order by distance\n  limit 20 * 8\n)\nselect\n  rowid,\n  "
               "vec_distance_L2(synopsis_embedding, :query)\nfrom coarse_matches\norder by 2\n"
               "limit 20;")
binary_rescoring = Example(
    "binary_quantization_rescoring", BINARY + "#re-scoring",
    setup=(Sql("create virtual table vec_movies using vec0(\n  synopsis_embedding float[768],\n"
               "  synopsis_embedding_coarse bit[768]\n);"),
           Sql("insert into vec_movies(rowid, synopsis_embedding, synopsis_embedding_coarse)\n"
               " VALUES (:id, :vector, vec_quantize_binary(:vector));",
               [{"id": i, "vector": data.json_text(v)}
                for i, v in enumerate(data.vectors(71, 200, 768), start=1)])),
    queries=(Query(RESCORE_SQL, RESCORE_QUERY, k=20,
                   vec0_sql=RESCORE_SQL.replace("\n  order by distance\n  limit 20 * 8",
                                                " and k = 160"),
                   vec0_reason="vec0 0.1.9 takes LIMIT on SQLite >= 3.41 only"),),
    ours_setup_error="a second vector column; an embedkit table has exactly one",
    reason="an embedkit table is one collection with one vector column; its own options "
           "element=bit rescore=N keep bit codes and re-rank with the f32 originals")

# site/guides/matryoshka.md: slice then normalize. The doc does not show vec_articles;
# here it is a vec0 table of 1024-d title embeddings, read back whole (a full scan).
matryoshka = Example(
    "matryoshka_slice_normalize",
    "https://github.com/asg017/sqlite-vec/blob/main/site/guides/matryoshka.md",
    setup=(Sql("create virtual table vec_articles using vec0(title_embeddings float[1024])"),
           Sql("insert into vec_articles(rowid, title_embeddings) values (?, ?)",
               [(i, data.f32_blob(v)) for i, v in enumerate(data.vectors(81, 30, 1024), 1)])),
    queries=(Query("select\n  vec_normalize(\n    vec_slice(title_embeddings, 0, 256)\n  ) as "
                   "title_embeddings_256d\nfrom vec_articles;"),))

# vec0 accepts distance_metric=l1 (sqlite-vec's tests/test-loadable.py creates one; the
# docs list vec_distance_L1); embedkit has no L1 metric and says so at CREATE.
l1_metric = Example(
    "distance_metric_l1",
    "https://github.com/asg017/sqlite-vec/blob/main/tests/test-loadable.py",
    setup=(Sql("create virtual table v3 using vec0( a float[2] distance_metric=l1)"),
           Sql("insert into v3(rowid, a) values (?, ?)",
               [(i, f"[{i}, {-i}]") for i in range(1, 6)])),
    queries=(Query("select rowid, distance from v3 where a match '[1, 1]' and k = 3", k=3),),
    ours_setup_error="distance_metric=l1 is not an embedkit metric",
    reason="embedkit has no L1 metric (l2, cosine, dot): CREATE refuses distance_metric=l1")
