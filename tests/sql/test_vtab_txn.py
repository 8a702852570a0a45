"""The `embedkit` table inside the caller's transactions: a failed statement or a
rollback leaves no row and no change to the HNSW graph (in memory or in its tables),
SAVEPOINT / ROLLBACK TO undo what they should, and another connection through the C API
(the Python binding, on the same WAL file) sees SQL writes at COMMIT and not before,
while SQL sees the binding's writes."""
import hashlib
import os
import sqlite3
import struct
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import sqlite_ext  # noqa: E402

# The binding finds libembedkit.so through EMBEDKIT_LIBRARY (ctest sets it); by hand,
# the one this build tree holds.
os.environ.setdefault("EMBEDKIT_LIBRARY", str(ROOT / "build" / "sdk" / "capi" / "libembedkit.so"))
sys.path.insert(0, str(ROOT / "bindings" / "python"))
import embedkit  # noqa: E402

DIM = 8
BASE_ROWS = 4200  # over the planner's 4096 live rows: k = 10 searches walk the graph
# The store's index tables: the graph's header, nodes, codes and free slots.
GRAPH_TABLES = ["ek_index", "ek_hnsw_node", "ek_code", "ek_free_slot", "ek_index_log"]


def f32_blob(v):
    return struct.pack(f"<{len(v)}f", *v)


class Connection:
    """A SQL connection in autocommit mode (BEGIN/COMMIT are the test's own)."""

    def __init__(self, path):
        self.path = path
        self.db = sqlite_ext.connect(path, isolation_level=None)

    def rows(self, sql, *args):
        return self.db.execute(sql, args).fetchall()

    def reopen(self):
        self.db.close()
        self.db = sqlite_ext.connect(self.path, isolation_level=None)


class HnswTransactions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="ek_vtab_txn_")
        cls.rng = np.random.default_rng(20)
        cls.base = cls.rng.standard_normal((BASE_ROWS, DIM)).astype(np.float32)
        cls.queries = cls.rng.standard_normal((8, DIM)).astype(np.float32)
        # The rows that must never land: far from the base, so any search near them
        # would find them first.
        cls.far = (100 + cls.rng.standard_normal((3, DIM))).astype(np.float32)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def setUp(self):
        path = os.path.join(self.dir.name, f"{self._testMethodName}.db")
        self.c = Connection(path)
        self.c.rows("PRAGMA journal_mode = WAL")
        self.c.rows(f"CREATE VIRTUAL TABLE h USING embedkit(v float[{DIM}], tag integer, "
                    "index=hnsw, m=8, ef_construction=40)")
        self.c.db.execute("BEGIN")
        self.c.db.executemany("INSERT INTO h(rowid, v, tag) VALUES (?, ?, ?)",
                              [(i + 1, f32_blob(self.base[i]), i % 7) for i in range(BASE_ROWS)])
        self.c.db.execute("COMMIT")

    def tearDown(self):
        self.c.db.close()

    def graph_digest(self):
        """A hash of every row of the index tables: equal digests, unchanged graph."""
        digest = hashlib.sha256()
        for table in GRAPH_TABLES:
            if self.c.rows("SELECT 1 FROM sqlite_master WHERE name = ?", table):
                for row in self.c.rows(f"SELECT * FROM {table} ORDER BY 1"):
                    digest.update(repr(row).encode())
        return digest.hexdigest()

    def answers(self):
        """Every query's k = 10 answer and the search near the rows that must not land."""
        out = [self.c.rows("SELECT rowid, distance FROM h WHERE v MATCH ? AND k = 10",
                           f32_blob(q)) for q in self.queries]
        out.append(self.c.rows("SELECT rowid, distance FROM h WHERE v MATCH ? AND k = 5",
                               f32_blob(self.far[0])))
        return out

    def state(self):
        return (self.c.rows("SELECT count(*) FROM h"), self.graph_digest(), self.answers())

    def failing_insert(self):
        """Three rows, the third of the wrong dimension: the statement fails at it."""
        with self.assertRaises(sqlite3.Error) as e:
            self.c.rows("INSERT INTO h(rowid, v, tag) VALUES (?, ?, 1), (?, ?, 1), (?, '[1, 2]', 1)",
                        9001, f32_blob(self.far[0]), 9002, f32_blob(self.far[1]), 9003)
        self.assertIn("dimensions", str(e.exception))

    def assert_far_rows_absent(self):
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE rowid IN (9001, 9002, 9003)"), [])
        near = self.c.rows("SELECT rowid FROM h WHERE v MATCH ? AND k = 5", f32_blob(self.far[0]))
        self.assertEqual(len(near), 5)
        self.assertFalse({9001, 9002, 9003} & {r for r, in near}, near)

    def test_failed_autocommit_insert_leaves_no_row_and_no_graph_change(self):
        before = self.state()
        self.failing_insert()
        self.assert_far_rows_absent()
        self.assertEqual(self.state(), before)
        self.c.reopen()  # nothing reached the file either
        self.assertEqual(self.state(), before)

    def test_failed_insert_then_rollback_leaves_no_row_and_no_graph_change(self):
        before = self.state()
        self.c.rows("BEGIN")
        self.c.rows("INSERT INTO h(rowid, v, tag) VALUES (9100, ?, 2)", f32_blob(self.far[2]))
        self.failing_insert()
        # The failed statement is undone at once; the earlier one stays until ROLLBACK.
        self.assert_far_rows_absent()
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE v MATCH ? AND k = 1",
                                     f32_blob(self.far[2])), [(9100,)])
        self.assertEqual(self.c.rows("SELECT count(*) FROM h"), [(BASE_ROWS + 1,)])
        self.c.rows("ROLLBACK")
        self.assert_far_rows_absent()
        self.assertEqual(self.state(), before)
        self.c.reopen()
        self.assertEqual(self.state(), before)

    def test_failed_insert_inside_a_transaction_that_commits_keeps_only_the_good_rows(self):
        self.c.rows("BEGIN")
        self.failing_insert()
        self.c.rows("INSERT INTO h(rowid, v, tag) VALUES (9100, ?, 2)", f32_blob(self.far[2]))
        self.c.rows("COMMIT")
        self.c.reopen()
        self.assert_far_rows_absent()
        self.assertEqual(self.c.rows("SELECT count(*) FROM h"), [(BASE_ROWS + 1,)])
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE v MATCH ? AND k = 1",
                                     f32_blob(self.far[2])), [(9100,)])

    def test_rollback_to_savepoint_undoes_only_the_rows_after_it(self):
        before = self.state()
        self.c.rows("BEGIN")
        self.c.rows("INSERT INTO h(rowid, v, tag) VALUES (9100, ?, 2)", f32_blob(self.far[2]))
        self.c.rows("SAVEPOINT s")
        self.c.rows("INSERT INTO h(rowid, v, tag) VALUES (9001, ?, 1)", f32_blob(self.far[0]))
        self.c.rows("DELETE FROM h WHERE rowid = 1")
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE v MATCH ? AND k = 1",
                                     f32_blob(self.far[0])), [(9001,)])
        self.c.rows("ROLLBACK TO s")
        self.assert_far_rows_absent()
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE rowid = 1"), [(1,)])
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE v MATCH ? AND k = 1",
                                     f32_blob(self.base[0])), [(1,)])
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE v MATCH ? AND k = 1",
                                     f32_blob(self.far[2])), [(9100,)])
        self.c.rows("RELEASE s")
        self.c.rows("COMMIT")
        self.c.reopen()
        self.assertEqual(self.c.rows("SELECT count(*) FROM h"), [(BASE_ROWS + 1,)])
        self.assert_far_rows_absent()
        self.assertEqual(self.c.rows("SELECT rowid FROM h WHERE rowid = 1"), [(1,)])
        # A SAVEPOINT that opens the transaction, rolled back to and released: the
        # graph is as committed.
        committed = self.state()
        self.c.rows("SAVEPOINT outer_sp")
        self.c.rows("INSERT INTO h(rowid, v, tag) VALUES (9002, ?, 1)", f32_blob(self.far[1]))
        self.c.rows("ROLLBACK TO outer_sp")
        self.c.rows("RELEASE outer_sp")
        self.assert_far_rows_absent()
        self.assertEqual(self.state(), committed)
        self.assertNotEqual(committed, before)  # 9100 is in the graph now


class CApiSeesTheSameFile(unittest.TestCase):
    """The binding's store (its own connection, ek_store_open) and SQL on one WAL file."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="ek_vtab_capi_")
        path = os.path.join(self.dir.name, "store.db")
        self.c = Connection(path)
        self.c.rows("PRAGMA journal_mode = WAL")
        self.c.rows("CREATE VIRTUAL TABLE docs USING embedkit(embedding float[4], genre text)")
        self.c.rows("INSERT INTO docs(rowid, embedding, genre) VALUES (1, '[1, 0, 0, 0]', 'a')")
        self.context = embedkit.Context(num_threads=1)
        self.store = self.context.open_store(path)
        self.docs = self.store.collection("docs")

    def tearDown(self):
        self.store.close()
        self.context.close()
        self.c.db.close()
        self.dir.cleanup()

    def nearest(self, vector, k=1):
        with self.docs.search(np.array(vector, np.float32), k=k) as results:
            return results.ids(0)

    def test_the_file_is_in_wal_mode(self):
        self.assertEqual(self.c.rows("PRAGMA journal_mode"), [("wal",)])
        self.assertTrue(os.path.exists(self.c.path + "-wal"))

    def test_sql_writes_reach_the_c_api_at_commit_and_not_before(self):
        self.assertEqual(self.docs.count(), 1)
        self.c.rows("BEGIN")
        self.c.rows("INSERT INTO docs(rowid, embedding, genre) VALUES (2, '[0, 1, 0, 0]', 'b')")
        self.c.rows("UPDATE docs SET genre = 'z' WHERE rowid = 1")
        self.assertEqual(self.c.rows("SELECT count(*) FROM docs"), [(2,)])
        self.assertEqual(self.docs.count(), 1)
        self.assertNotIn("2", self.docs)
        self.assertEqual(self.nearest([0, 1, 0, 0]), ["1"])
        self.assertEqual(self.docs.get_with_metadata("1")[1], {"genre": "a"})
        self.c.rows("COMMIT")
        self.assertEqual(self.docs.count(), 2)
        self.assertEqual(self.docs.get("2").tolist(), [0, 1, 0, 0])
        self.assertEqual(self.nearest([0, 1, 0, 0]), ["2"])
        self.assertEqual(self.docs.get_with_metadata("1")[1], {"genre": "z"})

    def test_rolled_back_sql_writes_never_reach_the_c_api(self):
        self.c.rows("BEGIN")
        self.c.rows("INSERT INTO docs(rowid, embedding) VALUES (3, '[0, 0, 1, 0]')")
        self.c.rows("ROLLBACK")
        self.assertEqual(self.docs.count(), 1)
        self.assertNotIn("3", self.docs)
        self.assertEqual(self.nearest([0, 0, 1, 0], k=5), ["1"])

    def test_c_api_writes_reach_sql(self):
        self.assertEqual(self.c.rows("SELECT count(*) FROM docs"), [(1,)])  # warm copy loaded
        self.docs.upsert(["5", "6"], np.array([[0, 0, 0, 1], [0, 0, 1, 1]], np.float32),
                         metadata=[{"genre": "c"}, None])
        self.assertEqual(self.c.rows("SELECT count(*) FROM docs"), [(3,)])
        self.assertEqual(self.c.rows("SELECT rowid, genre FROM docs WHERE embedding MATCH "
                                     "'[0, 0, 0, 1]' AND k = 2"), [(5, "c"), (6, None)])
        self.assertEqual(self.c.rows("SELECT rowid FROM docs WHERE genre = 'c'"), [(5,)])
        self.assertEqual(self.docs.delete(["5"]), 1)
        self.assertEqual(self.c.rows("SELECT rowid FROM docs WHERE embedding MATCH "
                                     "'[0, 0, 0, 1]' AND k = 5 ORDER BY rowid"), [(1,), (6,)])


if __name__ == "__main__":
    unittest.main()
