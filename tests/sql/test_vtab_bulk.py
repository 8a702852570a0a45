"""Bulk DELETE and UPDATE through the `embedkit` table on an HNSW collection.

DELETE hands its rows to the store in batches (sdk/sql/vtab_write.cc): these tests check
that nobody can tell. After a bulk DELETE the count is right, no deleted row comes back
(scan, point lookup, a search near its vector that walks the graph), every live row is its
own nearest neighbour through the index, and the same holds after reopening; inside
BEGIN..ROLLBACK nothing is deleted, SAVEPOINT / ROLLBACK TO undo only the rows after the
savepoint; a read of the store's own table, another table on the same collection, an
INSERT of a deleted key and a reader open during the DELETE all see the deletes at the end
of the statement; a failing batch is an SQLite error and leaves every row. A metadata-only
UPDATE leaves the graph and the codes byte-identical. The times are printed, not asserted
(beyond a generous bound that only catches a hang or a return of the quadratic cost).
"""
import hashlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import unittest
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import sqlite_ext  # noqa: E402

DIM = 8
ROWS = 10_000
DELETED = 8_000  # rowid <= DELETED; more than the vtab's 4,096-id batch
# Live rows must exceed the planner's 4,096 for a k = 1 search to walk the graph: after
# the bulk DELETE the tests insert this many fresh rows first.
REFILL = 3_000
# Seconds a bulk statement may take here before it counts as the quadratic cost again
# (8,000 deletes took about 4 s one by one, 0.1 s batched; the machine is shared).
GENEROUS = 60.0
SAMPLE = 200
GRAPH_TABLES = ["ek_index", "ek_hnsw_node", "ek_code"]
TABLE_SQL = ("CREATE VIRTUAL TABLE t USING embedkit(v float[{dim}], tag integer, "
             "index=hnsw, m=8, ef_construction=40{extra})")


def timed(db, sql, *args):
    start = time.perf_counter()
    cursor = db.execute(sql, args)
    return cursor, time.perf_counter() - start


def build(path, vectors, extra=""):
    db = sqlite_ext.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(TABLE_SQL.format(dim=DIM, extra=extra))
    db.execute("BEGIN")
    db.executemany("INSERT INTO t(rowid, v, tag) VALUES (?, ?, ?)",
                   [(i + 1, vectors[i].tobytes(), i % 10) for i in range(len(vectors))])
    db.execute("COMMIT")
    db.close()


class BulkDelete(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="ek_vtab_bulk_")
        rng = np.random.default_rng(21)
        cls.vectors = rng.standard_normal((ROWS, DIM)).astype(np.float32)
        cls.fresh = rng.standard_normal((REFILL, DIM)).astype(np.float32)
        cls.base = os.path.join(cls.dir.name, "base.db")
        build(cls.base, cls.vectors)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def setUp(self):
        self.path = os.path.join(self.dir.name, f"{self._testMethodName}.db")
        shutil.copy(self.base, self.path)
        self.db = sqlite_ext.connect(self.path, isolation_level=None)

    def tearDown(self):
        self.db.close()

    def rows(self, sql, *args):
        return self.db.execute(sql, args).fetchall()

    def count(self):
        return self.rows("SELECT count(*) FROM t")[0][0]

    def reopen(self):
        self.db.close()
        self.db = sqlite_ext.connect(self.path, isolation_level=None)

    def nearest(self, vector, k=1):
        return [r for r, in self.rows("SELECT rowid FROM t WHERE v MATCH ? AND k = ?",
                                      vector.tobytes(), k)]

    def refill(self):
        """REFILL fresh rows (rowids from 20,001) so that searches walk the graph."""
        self.db.executemany("INSERT INTO t(rowid, v, tag) VALUES (?, ?, 0)",
                            [(20_001 + i, self.fresh[i].tobytes()) for i in range(REFILL)])

    def assert_live_rows_find_themselves(self, live, refilled=True):
        """Each of a sample of `live` (rowids of the first build) and of the fresh rows
        (when `refilled`) comes back first for its own vector."""
        rng = np.random.default_rng(len(live))
        for rowid in rng.choice(sorted(live), size=min(SAMPLE, len(live)), replace=False):
            self.assertEqual(self.nearest(self.vectors[rowid - 1]), [rowid])
        for i in range(0, REFILL if refilled else 0, REFILL // 50):
            self.assertEqual(self.nearest(self.fresh[i]), [20_001 + i])

    def assert_bulk_delete_landed(self):
        """rowid <= DELETED gone, the rest there, as seen through every read path."""
        self.assertEqual(self.count(), ROWS - DELETED)
        self.assertEqual(self.rows("SELECT min(rowid), max(rowid) FROM t"), [(DELETED + 1, ROWS)])
        self.assertEqual(self.rows("SELECT rowid FROM t WHERE rowid IN (1, 4096, 4097, 8000)"), [])
        self.assertEqual(self.rows("SELECT count(*) FROM vectors"), [(ROWS - DELETED,)])
        self.refill()
        for rowid in range(1, DELETED + 1, DELETED // 100):  # searched through the graph
            near = self.nearest(self.vectors[rowid - 1], k=5)
            self.assertEqual(len(near), 5)
            self.assertFalse([r for r in near if r <= DELETED], (rowid, near))
        self.assert_live_rows_find_themselves(range(DELETED + 1, ROWS + 1))

    def test_bulk_delete_in_autocommit(self):
        cursor, seconds = timed(self.db, "DELETE FROM t WHERE rowid <= ?", DELETED)
        print(f"DELETE of {DELETED} of {ROWS} hnsw rows: {seconds:.3f} s")
        self.assertEqual(cursor.rowcount, DELETED)
        self.assertLess(seconds, GENEROUS)
        self.assert_bulk_delete_landed()
        self.reopen()  # the graph as the tables hold it
        self.assertEqual(self.count(), ROWS - DELETED + REFILL)
        self.assert_live_rows_find_themselves(range(DELETED + 1, ROWS + 1))

    def test_bulk_delete_in_a_transaction_is_seen_inside_it_and_kept_at_commit(self):
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM t WHERE rowid <= ?", (DELETED,))
        self.assert_bulk_delete_landed()
        self.db.execute("COMMIT")
        self.reopen()
        self.assertEqual(self.count(), ROWS - DELETED + REFILL)
        self.assertEqual(self.rows("SELECT rowid FROM t WHERE rowid <= ?", DELETED), [])

    def test_rollback_undoes_a_bulk_delete(self):
        before = self.graph_digest()
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM t WHERE rowid <= ?", (DELETED,))
        self.assertEqual(self.count(), ROWS - DELETED)
        self.db.execute("ROLLBACK")
        self.assertEqual(self.count(), ROWS)
        self.assertEqual(self.rows("SELECT count(*) FROM vectors"), [(ROWS,)])
        self.assertEqual(self.graph_digest(), before)
        self.assert_live_rows_find_themselves(range(1, ROWS + 1), refilled=False)
        self.reopen()
        self.assertEqual(self.count(), ROWS)
        self.assert_live_rows_find_themselves(range(1, ROWS + 1), refilled=False)

    def test_rollback_to_a_savepoint_undoes_only_the_deletes_after_it(self):
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM t WHERE rowid <= 3000")
        self.db.execute("SAVEPOINT s")
        self.db.execute("DELETE FROM t WHERE rowid > 5000")  # 5,000 rows: past one batch
        self.assertEqual(self.count(), 2000)
        self.db.execute("ROLLBACK TO s")
        self.assertEqual(self.count(), ROWS - 3000)
        self.assertEqual(self.rows("SELECT min(rowid), max(rowid) FROM t"), [(3001, ROWS)])
        self.db.execute("DELETE FROM t WHERE rowid <= 3100")  # after the ROLLBACK TO: kept
        self.db.execute("RELEASE s")
        self.db.execute("COMMIT")
        self.reopen()
        self.assertEqual(self.count(), ROWS - 3100)
        self.assertEqual(self.rows("SELECT min(rowid), max(rowid) FROM t"), [(3101, ROWS)])
        self.refill()
        self.assert_live_rows_find_themselves(range(3101, ROWS + 1))

    def test_every_reader_sees_the_deletes_when_the_statement_ends(self):
        self.db.execute(f"CREATE VIRTUAL TABLE t2 USING embedkit(v float[{DIM}], tag integer, "
                        "collection=t)")
        other = sqlite_ext.connect(self.path, isolation_level=None)
        self.addCleanup(other.close)
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM t WHERE rowid <= 5000")
        self.assertEqual(self.rows("SELECT count(*) FROM vectors"), [(ROWS - 5000,)])
        self.assertEqual(self.rows("SELECT count(*) FROM t2"), [(ROWS - 5000,)])
        self.assertEqual(other.execute("SELECT count(*) FROM t").fetchall(), [(ROWS,)])
        # A deleted key can be inserted again in the same transaction.
        self.db.execute("INSERT INTO t(rowid, v, tag) VALUES (7, ?, 3)", (self.vectors[6].tobytes(),))
        self.db.execute("COMMIT")
        self.assertEqual(other.execute("SELECT count(*) FROM t").fetchall(), [(ROWS - 4999,)])
        self.assertEqual(self.rows("SELECT rowid, tag FROM t WHERE rowid <= 5000"), [(7, 3)])

    def test_later_steps_of_a_trigger_see_the_delete_it_made(self):
        # Inside one statement (each INSERT INTO purge fires the trigger) the read and the
        # INSERT that follow the DELETE must see it: no statement ends between them.
        self.db.execute("CREATE TEMP TABLE purge(upto INTEGER)")
        self.db.execute("CREATE TEMP TABLE seen(n INTEGER)")
        self.db.execute("CREATE TEMP TRIGGER purging AFTER INSERT ON purge BEGIN "
                        "DELETE FROM t WHERE rowid <= NEW.upto; "
                        "INSERT INTO seen SELECT count(*) FROM t; "
                        "INSERT INTO t(rowid, v, tag) VALUES (NEW.upto, ?, 99); END"
                        .replace("?", f"'[{', '.join(['0'] * DIM)}]'"))
        self.db.execute("INSERT INTO purge VALUES (1000)")
        self.db.execute("INSERT INTO purge VALUES (3000)")
        self.assertEqual(self.rows("SELECT n FROM seen"), [(ROWS - 1000,), (ROWS - 3000,)])
        self.assertEqual(self.count(), ROWS - 2999)
        self.assertEqual(self.rows("SELECT rowid FROM t WHERE tag = 99"), [(3000,)])

    def test_a_delete_while_a_read_is_open_is_committed_at_its_end(self):
        other = sqlite_ext.connect(self.path, isolation_level=None)
        self.addCleanup(other.close)
        scan = self.db.execute("SELECT rowid FROM t WHERE rowid > 9000 ORDER BY rowid")
        first = scan.fetchone()
        self.db.execute("DELETE FROM t WHERE rowid <= 6000")  # autocommit, a reader open
        self.assertEqual(other.execute("SELECT count(*) FROM t").fetchall(), [(ROWS - 6000,)])
        self.assertEqual(len([first] + scan.fetchall()), 1000)
        self.assertEqual(self.count(), ROWS - 6000)

    def test_a_delete_of_absent_rows_deletes_nothing(self):
        cursor = self.db.execute("DELETE FROM t WHERE rowid IN (0, 10001, 99999)")
        self.assertEqual(cursor.rowcount, 0)
        self.assertEqual(self.count(), ROWS)
        self.db.execute("CREATE VIRTUAL TABLE named USING embedkit(name text primary key, "
                        f"v float[{DIM}])")
        self.db.execute("INSERT INTO named(name, v) VALUES ('a', ?), ('b', ?)",
                        (self.vectors[0].tobytes(), self.vectors[1].tobytes()))
        self.assertEqual(self.db.execute("DELETE FROM named WHERE name IN ('a', 'zzz')").rowcount, 1)
        self.assertEqual(self.rows("SELECT name FROM named"), [("b",)])

    def test_a_failing_batch_is_an_error_and_deletes_nothing(self):
        # A row whose slot is gone makes the store refuse the batch (EK_ERR_CORRUPT).
        cid, slot = self.rows("SELECT collection_id, slot FROM vectors WHERE id = '5'")[0]
        self.db.execute("UPDATE vectors SET slot = NULL WHERE collection_id = ? AND id = '5'", (cid,))
        with self.assertRaises(sqlite3.DatabaseError) as autocommit:
            self.db.execute("DELETE FROM t WHERE rowid <= 10")  # applied at the commit
        self.assertIn("has no valid slot", str(autocommit.exception))
        self.assertFalse(self.db.in_transaction)
        self.db.execute("BEGIN")
        with self.assertRaises(sqlite3.DatabaseError):  # applied as the statement ends
            self.db.execute("DELETE FROM t WHERE rowid <= 10")
        self.assertFalse(self.db.in_transaction)  # SQLite rolled the transaction back
        self.db.execute("UPDATE vectors SET slot = ? WHERE collection_id = ? AND id = '5'",
                        (slot, cid))
        self.assertEqual(self.count(), ROWS)
        self.assertEqual(self.nearest(self.vectors[4]), [5])
        self.assertEqual(self.db.execute("DELETE FROM t WHERE rowid <= 10").rowcount, 10)
        self.assertEqual(self.count(), ROWS - 10)

    def test_a_delete_statement_that_fails_midway_leaves_nothing_pending(self):
        # A trigger on the store's table makes the first batch of 4,096 fail inside the
        # statement (RAISE(FAIL): the store's own statement is not rolled back, only the
        # DELETE); SQLite then rolls back just that statement, and ROLLBACK TO must drop
        # the batch it was holding, or COMMIT would apply it.
        self.db.execute("BEGIN")
        self.db.execute("CREATE TEMP TRIGGER keep5 BEFORE DELETE ON main.vectors "
                        "WHEN old.id = '5' BEGIN SELECT RAISE(FAIL, 'row 5 is kept'); END")
        with self.assertRaises(sqlite3.Error) as e:
            self.db.execute("DELETE FROM t WHERE rowid <= 5000")
        self.assertIn("row 5 is kept", str(e.exception))
        self.assertTrue(self.db.in_transaction)  # only the statement was rolled back
        self.assertEqual(self.count(), ROWS)
        self.db.execute("DROP TRIGGER keep5")
        self.db.execute("COMMIT")
        self.assertEqual(self.count(), ROWS)
        self.reopen()
        self.assertEqual(self.count(), ROWS)
        self.assertEqual(self.nearest(self.vectors[4]), [5])

    def graph_digest(self, tables=GRAPH_TABLES):
        digest = hashlib.sha256()
        for table in tables:
            for row in self.rows(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
        return digest.hexdigest()


class MetadataUpdate(unittest.TestCase):
    """An UPDATE that leaves the vector as stored changes the row, not the graph or codes."""

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="ek_vtab_bulk_update_")
        self.addCleanup(self.dir.cleanup)
        path = os.path.join(self.dir.name, "update.db")
        self.vectors = np.random.default_rng(22).standard_normal((ROWS, DIM)).astype(np.float32)
        build(path, self.vectors, extra=", element=int8")
        self.db = sqlite_ext.connect(path, isolation_level=None)
        self.addCleanup(self.db.close)

    def digest(self, table):
        rows = self.db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        self.assertTrue(rows, table)  # an int8 hnsw table has nodes and codes
        return hashlib.sha256(repr(rows).encode()).hexdigest()

    def graph(self):
        return {table: self.digest(table) for table in ("ek_hnsw_node", "ek_code")}

    def test_metadata_update_of_every_row_leaves_graph_and_codes_alone(self):
        before = self.graph()
        for sql in ("UPDATE t SET tag = tag + 100", "UPDATE t SET v = v, tag = tag + 100"):
            cursor, seconds = timed(self.db, sql)
            print(f"{sql} ({ROWS} int8 hnsw rows): {seconds:.3f} s")
            self.assertEqual(cursor.rowcount, ROWS)
            self.assertLess(seconds, GENEROUS)
            self.assertEqual(self.graph(), before, sql)
        self.assertEqual(self.db.execute("SELECT min(tag), max(tag), count(*) FROM t").fetchall(),
                         [(200, 209, ROWS)])
        # The digests do see a changed vector.
        self.db.execute("UPDATE t SET v = ? WHERE rowid = 1", (self.vectors[1].tobytes(),))
        self.assertNotEqual(self.graph(), before)


if __name__ == "__main__":
    unittest.main()
