"""A user's trigger on the store's own tables that aborts a statement the store runs
(`RAISE(ABORT|FAIL|ROLLBACK)` on `vectors`) fails that one SQL statement with the
trigger's message and leaves the connection usable and the table unchanged.

Before the fix the connection hung: SQLite rolls the virtual table back from inside the
store's own failing INSERT/DELETE, on the thread that holds the store's lock. Each case
runs in a child process with a timeout, so a hang fails the test instead of blocking it.
"""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import sqlite_ext  # noqa: E402

CHILD_TIMEOUT_S = 60
ROWS = 60
NEW = "[3.25, 1, -3]"  # the row the trigger stops: nearer to itself than any other row


def rows_json(n, offset=0):
    return [(offset + i, json.dumps([float(offset + i), 1.0, -float(i % 7)])) for i in range(n)]


def open_table(path, index):
    db = sqlite_ext.connect(path, isolation_level=None)
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS t USING embedkit(embedding float[3], "
               f"index={index})")
    return db


def fill(db, rows):
    with db:  # one transaction: a commit per row would be an fsync per row
        db.execute("BEGIN")
        db.executemany("INSERT INTO t(rowid, embedding) VALUES (?, ?)", rows)


def count(db):
    return db.execute("SELECT count(*) FROM t").fetchone()[0]


def nearest(db):
    return [r[0] for r in db.execute(
        "SELECT rowid FROM t WHERE embedding MATCH ? AND k = 3", (NEW,))]


def expect_error(db, sql, params, text):
    try:
        db.execute(sql, params)
    except Exception as e:  # sqlite3.IntegrityError for ABORT/FAIL/ROLLBACK
        if text not in str(e):
            raise AssertionError(f"{sql!r}: error {e!r} lacks {text!r}")
        return
    raise AssertionError(f"{sql!r} succeeded; the trigger should have stopped it")


def case_insert(path, index, action):
    """A BEFORE INSERT trigger on `vectors` stops a row; the earlier rows stay."""
    db = open_table(path, index)
    fill(db, rows_json(ROWS))
    before = nearest(db)
    db.execute("CREATE TRIGGER stop BEFORE INSERT ON vectors "
               f"BEGIN SELECT RAISE({action}, 'stopped by trigger'); END")
    expect_error(db, "INSERT INTO t(rowid, embedding) VALUES (?, ?)",
                 (ROWS + 1, NEW), "stopped by trigger")
    assert count(db) == ROWS, count(db)
    assert nearest(db) == before, (nearest(db), before)
    db.execute("DROP TRIGGER stop")
    db.execute("INSERT INTO t(rowid, embedding) VALUES (?, ?)", (ROWS + 1, NEW))
    assert count(db) == ROWS + 1
    assert nearest(db)[0] == ROWS + 1, nearest(db)


def case_insert_in_transaction(path, index, action):
    """Inside BEGIN..COMMIT: ABORT and FAIL undo only the failing statement (the rows
    before it commit); ROLLBACK undoes the whole transaction."""
    db = open_table(path, index)
    fill(db, rows_json(ROWS))
    db.execute("CREATE TRIGGER stop BEFORE INSERT ON vectors WHEN NEW.id = '999' "
               f"BEGIN SELECT RAISE({action}, 'stopped by trigger'); END")
    db.execute("BEGIN")
    db.executemany("INSERT INTO t(rowid, embedding) VALUES (?, ?)", rows_json(5, offset=ROWS))
    expect_error(db, "INSERT INTO t(rowid, embedding) VALUES (999, '[0, 0, 1]')", (),
                 "stopped by trigger")
    if action == "ROLLBACK":
        assert not db.in_transaction
        assert count(db) == ROWS, count(db)
    else:
        db.execute("COMMIT")
        assert count(db) == ROWS + 5, count(db)
    db.execute("DROP TRIGGER stop")
    db.execute("INSERT INTO t(rowid, embedding) VALUES (999, '[0, 0, 1]')")
    assert db.execute("SELECT count(*) FROM t WHERE rowid = 999").fetchone()[0] == 1


def case_delete(path, index, action):
    """A BEFORE DELETE trigger on `vectors` keeps the row, in the table and its index."""
    db = open_table(path, index)
    fill(db, rows_json(ROWS))
    db.execute("CREATE TRIGGER keep BEFORE DELETE ON vectors "
               f"BEGIN SELECT RAISE({action}, 'kept by trigger'); END")
    expect_error(db, "DELETE FROM t WHERE rowid = 3", (), "kept by trigger")
    assert count(db) == ROWS, count(db)
    assert 3 in nearest(db), nearest(db)
    db.execute("DROP TRIGGER keep")
    db.execute("DELETE FROM t WHERE rowid = 3")
    assert count(db) == ROWS - 1
    assert 3 not in nearest(db)


CASES = {f.__name__: f for f in (case_insert, case_insert_in_transaction, case_delete)}


def run_child(case, index, action):
    with tempfile.TemporaryDirectory(prefix="ek_vtab_triggers_") as d:
        return subprocess.run(
            [sys.executable, __file__, case, index, action, str(Path(d) / "t.db")],
            capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)


class UserTriggersOnStoreTables(unittest.TestCase):
    def test_every_case(self):
        for case in CASES:
            for index in ("exact", "hnsw"):
                for action in ("ABORT", "FAIL", "ROLLBACK"):
                    with self.subTest(case=case, index=index, action=action):
                        try:
                            done = run_child(case, index, action)
                        except subprocess.TimeoutExpired:
                            self.fail(f"{case} {index} {action}: the connection hung")
                        self.assertEqual(done.returncode, 0, done.stderr[-3000:])


if __name__ == "__main__":
    if len(sys.argv) == 5:
        CASES[sys.argv[1]](sys.argv[4], sys.argv[2], sys.argv[3])
        sys.exit(0)
    unittest.main()
