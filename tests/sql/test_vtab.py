"""The `embedkit` virtual table: CREATE/connect/DROP, writes, scans, point lookups and
KNN (k, LIMIT, range, filters, ef), answers checked against a numpy brute force.
Transactions and the C API's view of the same file: test_vtab_txn.py."""
import os
import sqlite3
import struct
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sqlite_ext  # noqa: E402


def f32_blob(v):
    return struct.pack(f"<{len(v)}f", *v)


def json_vec(v):
    return "[" + ",".join(repr(float(x)) for x in v) + "]"


def floats(blob):
    return np.frombuffer(blob, np.float32).tolist()


def brute_force(base, q, metric):
    """vec0's distances: l2 = euclidean, cosine = 1 - similarity, dot = -dot."""
    if metric == "l2":
        return np.sqrt(((base.astype(np.float64) - q) ** 2).sum(axis=1))
    if metric == "cosine":
        b = base.astype(np.float64)
        return 1 - (b @ q) / (np.linalg.norm(b, axis=1) * np.linalg.norm(q))
    return -(base.astype(np.float64) @ q)


class VtabTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "store.db")
        self.db = sqlite_ext.connect(self.path)

    def tearDown(self):
        self.db.close()
        self.dir.cleanup()

    def rows(self, sql, *args):
        return self.db.execute(sql, args).fetchall()

    def fill(self, n=300, dim=8, metric="l2", seed=1, extra=""):
        rng = np.random.default_rng(seed)
        base = rng.standard_normal((n, dim)).astype(np.float32)
        self.db.execute(f"CREATE VIRTUAL TABLE items USING embedkit(embedding float[{dim}] "
                        f"distance_metric={metric}, genre text, year integer, score float, "
                        f"ok boolean, +title text{extra})")
        genres = ["drama", "comedy", "horror", "documentary"]
        self.db.executemany(
            "INSERT INTO items(rowid, embedding, genre, year, score, ok, title) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(i + 1, f32_blob(base[i]), genres[i % 4], 1990 + i % 30, i / 10, i % 2,
              f"t{i}") for i in range(n)])
        self.db.commit()
        return base

    # --- CREATE, connect, DROP -------------------------------------------------------

    def test_create_reopen_and_drop(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(embedding float[3])")
        self.db.execute("INSERT INTO docs(rowid, embedding) VALUES (7, '[1, 2, 3]')")
        self.db.commit()
        self.assertEqual(self.rows("SELECT name, dim, metric FROM collections"),
                         [("docs", 3, "l2")])
        self.db.close()
        self.db = sqlite_ext.connect(self.path)  # xConnect
        self.assertEqual([(r, floats(v)) for r, v in self.rows("SELECT rowid, embedding FROM docs")],
                         [(7, [1, 2, 3])])
        self.db.execute("DROP TABLE docs")
        self.db.commit()
        self.assertEqual(self.rows("SELECT name FROM collections"), [])

    def test_existing_collection_same_shape_is_connected_other_shape_refused(self):
        self.db.execute("CREATE VIRTUAL TABLE a USING embedkit(v float[4], collection=shared)")
        self.db.execute("INSERT INTO a(rowid, v) VALUES (1, '[1,0,0,0]')")
        self.db.execute("CREATE VIRTUAL TABLE b USING embedkit(v float[4], collection=shared)")
        self.assertEqual(self.rows("SELECT rowid FROM b"), [(1,)])
        with self.assertRaises(sqlite3.Error) as e:
            self.db.execute("CREATE VIRTUAL TABLE c USING embedkit(v float[5], collection=shared)")
        self.assertTrue(str(e.exception).startswith("embedkit: "), str(e.exception))
        self.assertIn("shared", str(e.exception))
        with self.assertRaises(sqlite3.Error) as e:
            self.db.execute("CREATE VIRTUAL TABLE d USING embedkit(v float[4] "
                            "distance_metric=cosine, collection=shared)")
        self.assertIn("shared", str(e.exception))

    def test_index_options_create_an_hnsw_collection(self):
        self.db.execute("CREATE VIRTUAL TABLE h USING embedkit(v float[4], index=hnsw, m=8, "
                        "ef_construction=40, element=int8, rescore=2)")
        row = self.rows("SELECT kind, element, m, ef_construction, rescore FROM ek_index")
        self.assertEqual(len(row), 1, row)
        with self.assertRaises(sqlite3.Error) as e:
            self.db.execute("CREATE VIRTUAL TABLE h2 USING embedkit(v float[4], index=hnsw, m=12,"
                            " ef_construction=40, element=int8, rescore=2, collection=h)")
        self.assertIn("collection 'h' exists with index hnsw m=8", str(e.exception))
        # without index options the collection is connected whatever its index
        self.db.execute("CREATE VIRTUAL TABLE h3 USING embedkit(v float[4], collection=h)")

    def test_bad_arguments_are_refused_with_the_parser_message(self):
        with self.assertRaises(sqlite3.Error) as e:
            self.db.execute("CREATE VIRTUAL TABLE x USING embedkit(v float[4], year integr)")
        self.assertEqual(str(e.exception),
                         "embedkit: embedkit(...) argument 2 'year integr': unknown column type "
                         "'integr' (metadata columns: text, integer, float, boolean; vectors: "
                         "float[N], int8[N], bit[N])")

    # --- writes ------------------------------------------------------------------------

    def test_insert_forms_and_metadata_object(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(embedding float[2], genre text,"
                        " year integer, score float, ok boolean, +title text, +raw blob)")
        self.db.execute("INSERT INTO docs(rowid, embedding, genre, year, score, ok, title, raw) "
                        "VALUES (1, '[0.5, 1]', 'drama', 2020, 2.5, 1, 'A \"t\"', X'00ff')")
        self.db.execute("INSERT INTO docs(rowid, embedding) VALUES (2, ?)", (f32_blob([3, 4]),))
        self.assertEqual(
            [(r[0], floats(r[1])) + r[2:] for r in
             self.rows("SELECT rowid, embedding, genre, year, score, ok, title, raw "
                       "FROM docs ORDER BY rowid")],
            [(1, [0.5, 1], "drama", 2020, 2.5, 1, 'A "t"', b"\x00\xff"),
             (2, [3, 4], None, None, None, None, None, None)])
        meta = dict(self.rows("SELECT id, metadata FROM vectors"))
        self.assertEqual(meta["1"], '{"genre":"drama","year":2020,"score":2.5,"ok":true,'
                                    '"title":"A \\"t\\"","raw":"00ff"}')
        self.assertEqual(meta["2"], "{}")

    def test_type_checks_name_the_column(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(embedding float[2], "
                        "year integer, genre text, ok boolean)")
        cases = [
            ("INSERT INTO docs(rowid, embedding, year) VALUES (1, '[1,2]', 'x')",
             "embedkit: docs.year is an integer column; got text"),
            ("INSERT INTO docs(rowid, embedding, year) VALUES (1, '[1,2]', 2.5)",
             "embedkit: docs.year is an integer column; got a float"),
            ("INSERT INTO docs(rowid, embedding, genre) VALUES (1, '[1,2]', 5)",
             "embedkit: docs.genre is a text column; got an integer"),
            ("INSERT INTO docs(rowid, embedding, ok) VALUES (1, '[1,2]', 2)",
             "embedkit: docs.ok is a boolean column; got an integer other than 0 or 1"),
            ("INSERT INTO docs(rowid, embedding) VALUES (1, '[1,2,3]')",
             "embedkit: docs.embedding: the vector has 3 dimensions; the column has 2"),
            ("INSERT INTO docs(rowid, embedding) VALUES (1, NULL)",
             "embedkit: docs.embedding: a row needs a vector, not NULL"),
            ("INSERT INTO docs(embedding) VALUES ('[1,2]')",
             "embedkit: docs: an INSERT gives the row's rowid (the collection's id of the row)"),
        ]
        for sql, message in cases:
            with self.subTest(sql=sql):
                with self.assertRaises(sqlite3.Error) as e:
                    self.db.execute(sql)
                self.assertEqual(str(e.exception), message)
        self.assertEqual(self.rows("SELECT count(*) FROM docs"), [(0,)])

    def vg(self):
        return [(floats(v), g) for v, g in self.rows("SELECT embedding, genre FROM docs")]

    def test_insert_conflict_replace_update_delete(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(embedding float[2], genre text)")
        self.db.execute("INSERT INTO docs(rowid, embedding, genre) VALUES (1, '[1,0]', 'a')")
        with self.assertRaises(sqlite3.IntegrityError) as e:
            self.db.execute("INSERT INTO docs(rowid, embedding) VALUES (1, '[0,1]')")
        self.assertIn("UNIQUE constraint failed", str(e.exception))
        self.db.execute("INSERT OR IGNORE INTO docs(rowid, embedding) VALUES (1, '[0,1]')")
        self.assertEqual(self.vg(),
                         [([1, 0], "a")])
        self.db.execute("INSERT OR REPLACE INTO docs(rowid, embedding) VALUES (1, '[0,1]')")
        self.assertEqual(self.vg(),
                         [([0, 1], None)])
        self.db.execute("UPDATE docs SET genre = 'b' WHERE rowid = 1")  # vector kept
        self.assertEqual(self.vg(),
                         [([0, 1], "b")])
        self.db.execute("UPDATE docs SET embedding = '[2,2]' WHERE rowid = 1")  # metadata kept
        self.assertEqual(self.vg(),
                         [([2, 2], "b")])
        with self.assertRaises(sqlite3.Error) as e:
            self.db.execute("UPDATE docs SET rowid = 5 WHERE rowid = 1")
        self.assertIn("cannot change the rowid", str(e.exception))
        self.db.execute("DELETE FROM docs WHERE rowid = 1")
        self.assertEqual(self.rows("SELECT count(*) FROM docs"), [(0,)])
        self.assertEqual(self.rows("SELECT count(*) FROM vectors"), [(0,)])

    def test_update_keeps_metadata_keys_no_column_declares(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(embedding float[2], genre text)")
        self.db.execute("INSERT INTO docs(rowid, embedding, genre) VALUES (1, '[1,0]', 'a')")
        self.db.execute("UPDATE vectors SET metadata = '{\"genre\":\"a\",\"extra\":[1,2]}'")
        self.db.execute("UPDATE docs SET genre = 'b'")
        self.assertEqual(self.rows("SELECT metadata FROM vectors"),
                         [('{"genre":"b","extra":[1,2]}',)])

    def test_integer_primary_key(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(id integer primary key, "
                        "embedding float[2])")
        self.db.execute("INSERT INTO docs(id, embedding) VALUES (10, '[1,0]'), (20, '[0,1]')")
        self.assertEqual(self.rows("SELECT id, rowid FROM docs ORDER BY id"), [(10, 10), (20, 20)])
        self.assertEqual(self.rows("SELECT id FROM docs WHERE id = 20"), [(20,)])
        self.assertEqual(self.rows("SELECT id FROM docs WHERE embedding MATCH '[0,1]' AND k = 1"),
                         [(20,)])
        self.assertEqual(self.rows("SELECT id FROM vectors ORDER BY id"), [("10",), ("20",)])

    def test_text_primary_key_rowid_is_the_row_number(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(id text primary key, "
                        "embedding float[2], genre text)")
        self.db.execute("INSERT INTO docs(id, embedding, genre) VALUES ('a', '[1,0]', 'x'), "
                        "('b', '[0,1]', 'y')")
        rows = self.rows("SELECT id, rowid FROM docs ORDER BY rowid")
        self.assertEqual([r[0] for r in rows], ["a", "b"])
        self.assertEqual(rows, [(id_, n) for id_, n in
                                self.rows("SELECT id, rowid FROM vectors ORDER BY rowid")])
        self.assertEqual(self.rows("SELECT genre FROM docs WHERE id = 'b'"), [("y",)])
        self.assertEqual(self.rows("SELECT id FROM docs WHERE rowid = ?", rows[1][1]), [("b",)])
        self.assertEqual(self.rows("SELECT id, rowid FROM docs WHERE embedding MATCH '[0,1]' "
                                   "AND k = 1"), [rows[1]])
        self.db.execute("UPDATE docs SET genre = 'z' WHERE id = 'a'")
        self.db.execute("DELETE FROM docs WHERE id = 'b'")
        self.assertEqual(self.rows("SELECT id, genre FROM docs"), [("a", "z")])
        with self.assertRaises(sqlite3.Error) as e:
            self.db.execute("INSERT INTO docs(id, embedding) VALUES (NULL, '[1,1]')")
        self.assertIn("text primary key", str(e.exception))

    # --- scans and point lookups ---------------------------------------------------------

    def test_full_scan_pages_and_point_lookups(self):
        base = self.fill(n=700)
        rows = self.rows("SELECT rowid, embedding, genre, year FROM items")
        self.assertEqual([r[0] for r in rows], list(range(1, 701)))
        for r in rows[::97]:
            np.testing.assert_array_equal(np.frombuffer(r[1], np.float32), base[r[0] - 1])
        self.assertEqual(self.rows("SELECT count(*) FROM items WHERE genre = 'drama'"), [(175,)])
        self.assertEqual(self.rows("SELECT rowid, title FROM items WHERE rowid = 42"), [(42, "t41")])
        self.assertEqual(self.rows("SELECT rowid FROM items WHERE rowid IN (5, 3, 999, 3)"),
                         [(3,), (5,)])
        self.assertEqual(self.rows("SELECT rowid FROM items WHERE rowid = 'x'"), [])

    # --- KNN -----------------------------------------------------------------------------

    def check_knn(self, base, q, metric, got, k, mask=None):
        d = brute_force(base, q.astype(np.float64), metric)
        ids = np.arange(1, len(base) + 1)
        if mask is not None:
            d, ids = d[mask], ids[mask]
        order = np.argsort(d, kind="stable")[:k]
        self.assertEqual(len(got), min(k, len(d)))
        np.testing.assert_allclose([g[1] for g in got], d[order], rtol=1e-4, atol=1e-5)
        # ids agree up to ties in distance
        self.assertEqual(sorted(g[0] for g in got if g[1] < d[order][-1] - 1e-4),
                         sorted(int(i) for i, x in zip(ids[order], d[order])
                                if x < d[order][-1] - 1e-4))

    def test_knn_matches_brute_force_for_each_metric(self):
        for metric in ["l2", "cosine", "dot"]:
            with self.subTest(metric=metric):
                self.db.execute("DROP TABLE IF EXISTS items")
                base = self.fill(metric=metric)
                q = np.random.default_rng(7).standard_normal(8).astype(np.float32)
                got = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? "
                                "AND k = 10", json_vec(q))
                self.check_knn(base, q, metric, got, 10)
                got = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? "
                                "ORDER BY distance LIMIT 7", f32_blob(q))
                self.check_knn(base, q, metric, got, 7)
                got = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? "
                                "ORDER BY distance LIMIT 5 OFFSET 3", f32_blob(q))
                full = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? "
                                 "AND k = 8", f32_blob(q))
                self.assertEqual(got, full[3:8])

    def test_no_cap_on_k(self):
        base = self.fill(n=5000, dim=4)
        q = base[0]
        got = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? AND k = 4500",
                        f32_blob(q))
        self.check_knn(base, q, "l2", got, 4500)
        self.assertEqual(len(self.rows("SELECT rowid FROM items WHERE embedding MATCH ? "
                                       "AND k = 100000", f32_blob(q))), 5000)
        self.assertEqual(self.rows("SELECT rowid FROM items WHERE embedding MATCH ? AND k = 0",
                                   f32_blob(q)), [])
        with self.assertRaises(sqlite3.Error) as e:
            self.rows("SELECT rowid FROM items WHERE embedding MATCH ? AND k = -1", f32_blob(q))
        self.assertEqual(str(e.exception), "embedkit: k must be an integer >= 0")
        with self.assertRaises(sqlite3.Error) as e:
            self.rows("SELECT rowid FROM items WHERE embedding MATCH '[1,2]' AND k = 3")
        self.assertEqual(str(e.exception), "embedkit: embedding MATCH: the vector has 2 "
                                           "dimensions; the column has 4")

    def test_metadata_constraints_are_pushed_and_exact(self):
        base = self.fill(n=400)
        q = np.random.default_rng(3).standard_normal(8).astype(np.float32)
        genre = np.array(["drama", "comedy", "horror", "documentary"])[np.arange(400) % 4]
        year = 1990 + np.arange(400) % 30
        score = np.arange(400) / 10
        ok = np.arange(400) % 2
        cases = [
            ("genre = 'horror'", genre == "horror"),
            ("genre != 'horror'", genre != "horror"),
            ("year < 1995", year < 1995),
            ("year <= 1995", year <= 1995),
            ("year > 2015", year > 2015),
            ("year >= 2015 AND year < 2017", (year >= 2015) & (year < 2017)),
            ("score > 35.5", score > 35.5),
            ("year = '2001'", year == 2001),  # integer affinity: '2001' is 2001
            ("genre IN ('comedy', 'horror')", np.isin(genre, ["comedy", "horror"])),
            ("year IN (1990, 1991, 'x', NULL)", np.isin(year, [1990, 1991])),
            ("ok = 1", ok == 1),
            ("ok = 0 AND genre = 'comedy'", (ok == 0) & (genre == "comedy")),
            ("genre GLOB 'doc*'", genre == "documentary"),
            ("genre GLOB 'h?rror'", genre == "horror"),
            ("genre LIKE 'DRA%'", genre == "drama"),  # left to SQLite
            ("genre IS NOT NULL", genre != ""),
            ("genre IS NULL", genre == ""),
            ("year = NULL", genre == ""),
        ]
        for where, mask in cases:
            with self.subTest(where=where):
                got = self.rows(f"SELECT rowid, distance FROM items WHERE embedding MATCH ? "
                                f"AND k = 12 AND {where}", f32_blob(q))
                k = 12 if "LIKE" not in where else len(got)
                self.check_knn(base, q, "l2", got, k, mask)
        plan = self.rows("EXPLAIN QUERY PLAN SELECT rowid FROM items WHERE embedding MATCH ? "
                         "AND k = 3 AND year IN (1, 2) AND genre != 'x'", f32_blob(q))
        self.assertIn("cI", plan[0][3])
        self.assertIn("c!", plan[0][3])

    def test_rows_without_a_value_and_is_null(self):
        self.db.execute("CREATE VIRTUAL TABLE docs USING embedkit(v float[1], genre text)")
        self.db.execute("INSERT INTO docs(rowid, v, genre) VALUES (1, '[1]', NULL), "
                        "(2, '[2]', 'a'), (3, '[3]', 'b')")
        self.assertEqual(self.rows("SELECT rowid FROM docs WHERE v MATCH '[0]' AND k = 5 "
                                   "AND genre IS NULL"), [(1,)])
        self.assertEqual(self.rows("SELECT rowid FROM docs WHERE v MATCH '[0]' AND k = 5 "
                                   "AND genre != 'a'"), [(3,)])

    def test_knn_among_given_rowids(self):
        base = self.fill(n=200)
        q = base[10]
        got = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? AND k = 3 "
                        "AND rowid IN (1, 2, 3, 4, 5, 11, 500)", f32_blob(q))
        mask = np.isin(np.arange(1, 201), [1, 2, 3, 4, 5, 11])
        self.check_knn(base, q, "l2", got, 3, mask)
        self.assertEqual(got[0][0], 11)
        got = self.rows("SELECT rowid FROM items WHERE embedding MATCH ? AND k = 3 "
                        "AND rowid IN (1, 2, 3, 4, 5, 11) AND genre = 'comedy'", f32_blob(q))
        self.assertEqual(sorted(r[0] for r in got), [2])

    def test_range_search(self):
        base = self.fill(n=1000, dim=4)
        q = base[0]
        d = brute_force(base, q.astype(np.float64), "l2")
        r = float(np.sort(d)[300:302].mean())  # halfway between two rows: no rounding tie
        got = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? "
                        "AND distance < ?", f32_blob(q), r)
        self.assertEqual(sorted(g[0] for g in got), sorted(int(i) + 1 for i in np.where(d < r)[0]))
        self.assertEqual([g[1] for g in got], sorted(g[1] for g in got))
        got = self.rows("SELECT rowid FROM items WHERE embedding MATCH ? AND distance <= ?",
                        f32_blob(q), r)
        self.assertEqual(len(got), int((d <= r).sum()))
        got = self.rows("SELECT rowid, distance FROM items WHERE embedding MATCH ? "
                        "AND distance < ? AND k = 20", f32_blob(q), r)
        self.check_knn(base, q, "l2", got, 20)
        got = self.rows("SELECT rowid FROM items WHERE embedding MATCH ? AND distance < ? "
                        "AND k = 5000", f32_blob(q), r)
        self.assertEqual(len(got), int((d < r).sum()))

    def test_distances_are_float32_values_as_vec0_returns(self):
        base = self.fill(n=200)
        q = np.random.default_rng(11).standard_normal(8).astype(np.float32)
        searched = self.rows("SELECT distance FROM items WHERE embedding MATCH ? AND k = 20",
                             f32_blob(q))
        among = self.rows("SELECT distance FROM items WHERE embedding MATCH ? AND k = 3 "
                          "AND rowid IN (1, 2, 3)", f32_blob(q))
        for (d,) in searched + among:
            self.assertEqual(d, struct.unpack("<f", struct.pack("<f", d))[0], d)
        np.testing.assert_allclose([d for d, in among],
                                   np.sort(brute_force(base[:3], q.astype(np.float64), "l2")),
                                   rtol=1e-6)

    def test_distance_lower_bound_pages_before_k(self):
        # vec0's paging: `distance > <the last distance seen>` skips the rows already
        # returned, and k (or LIMIT) counts the rows after it.
        self.fill(n=300)
        q = f32_blob(np.random.default_rng(12).standard_normal(8).astype(np.float32))
        knn = "SELECT rowid, distance FROM items WHERE embedding MATCH ? "
        every = self.rows(knn + "AND k = 300", q)
        last = every[9][1]
        self.assertEqual(self.rows(knn + "AND k = 10 AND distance > ?", q, last), every[10:20])
        self.assertEqual(self.rows(knn + "AND k = 10 AND distance >= ?", q, last), every[9:19])
        self.assertEqual(self.rows(knn + "AND distance > ? ORDER BY distance LIMIT 10", q, last),
                         every[10:20])
        self.assertEqual(self.rows(knn + "AND distance > ?", q, last), every[10:])
        self.assertEqual(self.rows(knn + "AND k = 5 AND distance > ? AND distance < ?", q, last,
                                   every[12][1]), every[10:12])
        self.assertEqual(self.rows(knn + "AND k = 5 AND distance > ?", q, every[-1][1]), [])
        plan = self.rows("EXPLAIN QUERY PLAN " + knn + "AND k = 3 AND distance >= 1", q)
        self.assertIn("dG", plan[0][3])
        # Bounds compare in float32, as vec0's do: a bound that rounds to the row's float
        # distance counts as equal to it (SQLite's double comparison would say otherwise).
        just_above = float(np.nextafter(last, np.inf))
        self.assertEqual(np.float32(just_above), np.float32(last))
        self.assertEqual(self.rows(knn + "AND k = 2 AND distance >= ?", q, just_above),
                         every[9:11])
        self.assertEqual(self.rows(knn + "AND k = 20 AND distance <= ?", q, float(
            np.nextafter(last, -np.inf))), every[:10])
        with self.assertRaises(sqlite3.Error) as e:
            self.rows(knn + "AND k = 3 AND distance > 'x'", q)
        self.assertEqual(str(e.exception), "embedkit: distance > ?: the bound must be a number")

    def test_distance_and_k_columns(self):
        self.fill(n=50)
        got = self.rows("SELECT k, ef, distance IS NOT NULL FROM items WHERE embedding MATCH ? "
                        "AND k = 2 AND ef = 30", f32_blob([0] * 8))
        self.assertEqual(got, [(2, 30, 1), (2, 30, 1)])
        self.assertEqual(self.rows("SELECT distance, k FROM items WHERE rowid = 1"), [(None, None)])

    def test_int8_and_bit_columns(self):
        self.db.execute("CREATE VIRTUAL TABLE b USING embedkit(v bit[8])")
        self.db.execute("INSERT INTO b(rowid, v) VALUES (1, X'0F'), (2, X'FF'), (3, vec_bit(X'01'))")
        got = self.rows("SELECT rowid, distance FROM b WHERE v MATCH vec_bit(X'0F') AND k = 3")
        self.assertEqual(got, [(1, 0.0), (3, 3.0), (2, 4.0)])  # Hamming distances, as vec0
        self.assertEqual(self.rows("SELECT v FROM b WHERE rowid = 2"), [(b"\xff",)])
        self.db.execute("CREATE VIRTUAL TABLE i USING embedkit(v int8[2])")
        self.db.execute("INSERT INTO i(rowid, v) VALUES (1, X'0102'), (2, vec_int8('[-3, 4]'))")
        got = self.rows("SELECT rowid, distance FROM i WHERE v MATCH vec_int8('[1, 2]') AND k = 2")
        self.assertEqual(got[0], (1, 0.0))
        self.assertAlmostEqual(got[1][1], 20 ** 0.5, places=5)
        self.assertEqual(self.rows("SELECT v FROM i WHERE rowid = 2"), [(b"\xfd\x04",)])

    def test_filtered_knn_on_hnsw_returns_k_hits_at_one_percent(self):
        n, dim = 6000, 16
        rng = np.random.default_rng(5)
        base = rng.standard_normal((n, dim)).astype(np.float32)
        self.db.execute(f"CREATE VIRTUAL TABLE h USING embedkit(v float[{dim}], tag integer, "
                        "index=hnsw, m=8, ef_construction=40)")
        self.db.executemany("INSERT INTO h(rowid, v, tag) VALUES (?, ?, ?)",
                            [(i + 1, f32_blob(base[i]), i % 100) for i in range(n)])
        self.db.commit()
        q = rng.standard_normal(dim).astype(np.float32)
        got = self.rows("SELECT rowid, distance FROM h WHERE v MATCH ? AND k = 10 AND tag = 42",
                        f32_blob(q))
        self.assertEqual(len(got), 10)  # 60 rows match: k hits come back
        self.assertTrue(all((r - 1) % 100 == 42 for r, _ in got))
        mask = (np.arange(n) % 100) == 42
        self.check_knn(base, q, "l2", got, 10, mask)
        got = self.rows("SELECT rowid FROM h WHERE v MATCH ? AND k = 100 AND tag = 42",
                        f32_blob(q))
        self.assertEqual(len(got), 60)


if __name__ == "__main__":
    unittest.main()
