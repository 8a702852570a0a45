"""Crash safety of SQL writes through the extension (issue 20 item 5).

A writer process (this file with --writer) loads libembedkit_sqlite into Python's sqlite3
and writes to an hnsw `embedkit` table of more than 4,096 rows (so KNN goes through the
graph): autocommit INSERT / INSERT OR REPLACE / UPDATE / DELETE statements (one row or
several in one statement), explicit transactions of several statements, some with a
savepoint rolled back inside, and transactions it rolls back. Before a unit that can
commit it logs "P <ops>", after the commit "A". The test SIGKILLs it at a random moment,
again and again on the same file, in rollback-journal and in WAL mode. After every kill:
  - PRAGMA integrity_check is "ok";
  - the table's rows (id, vector bytes, metadata) are exactly the acknowledged state,
    or that state plus the unit in flight (nothing of a rolled-back unit, no half unit);
  - every sampled live row (and every row the runs touched) is its own nearest neighbour
    both by an exact scan (ORDER BY vec_distance_l2) and through the index (MATCH, k = 1);
    a KNN with k = the row count returns every live row, and nothing deleted; a filtered
    KNN returns only rows of its group, as many as asked when the group has them.
Exit 0 pass, 77 skip (no extension built), else fail. About 10 s (20 kills).
EK_SQL_CRASH_SEED=N reruns a seed (kill moments, samples); each writer's run is seeded by
its run number.
"""
import json
import os
import random
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sql"))
import sqlite_ext  # noqa: E402

DIM = 8
SEED_ROWS = 4352          # past the store's 4,096-row graph threshold
KILLS_PER_JOURNAL = 10
GROUPS = 7
SAMPLED_ROWS = 25
TABLE = ("CREATE VIRTUAL TABLE IF NOT EXISTS docs USING embedkit(id integer primary key, "
         f"embedding float[{DIM}], grp integer, index=hnsw, m=8, ef_construction=40)")


def vector(row_id: int, version: int) -> bytes:
    """The f32 blob of row `row_id` at `version`: distinct for every (id, version)."""
    rng = random.Random(f"{row_id}:{version}")  # a string seed: no two pairs collide
    return struct.pack(f"<{DIM}f", *(rng.uniform(-1, 1) for _ in range(DIM)))


def group(row_id: int) -> int:
    return row_id % GROUPS


# --- the writer --------------------------------------------------------------------------

class Writer:
    """Random commit units on `docs`; its own view of the live ids (committed only)."""

    def __init__(self, path: str, run: int, log):
        self.rng = random.Random(run)
        self.log = log
        self.db = sqlite_ext.connect(path, isolation_level=None)
        self.live = {r[0] for r in self.db.execute("SELECT id FROM docs")}
        self.next_id = max(self.live, default=0) + 1
        self.version = run * 1_000_000

    def emit(self, line: str) -> None:
        self.log.write(line + "\n")
        self.log.flush()  # in the kernel before the next write: only the process dies

    def choose(self, live: set):
        """One write statement on the rows `live`: (sql, args, the ops it makes)."""
        self.version += 1
        kind = self.rng.random()
        existing = sorted(live)
        if kind < 0.3 or len(existing) < 10:
            ids = [self.next_id + i for i in range(1 + (self.rng.random() < 0.3) * 2)]
            self.next_id += len(ids)
            values = ", ".join("(?, ?, ?)" for _ in ids)
            args = [x for i in ids for x in (i, vector(i, self.version), group(i))]
            return (f"INSERT INTO docs(id, embedding, grp) VALUES {values}", args,
                    [("put", i, self.version) for i in ids])
        if kind < 0.45:
            i = self.rng.choice(existing) if self.rng.random() < 0.7 else self.next_id
            self.next_id = max(self.next_id, i + 1)
            return ("INSERT OR REPLACE INTO docs(id, embedding, grp) VALUES (?, ?, ?)",
                    (i, vector(i, self.version), group(i)), [("put", i, self.version)])
        if kind < 0.7:
            i = self.rng.choice(existing)
            return ("UPDATE docs SET embedding = ? WHERE id = ?", (vector(i, self.version), i),
                    [("put", i, self.version)])
        ids = self.rng.sample(existing, 1 + (self.rng.random() < 0.3))
        return (f"DELETE FROM docs WHERE id IN ({', '.join('?' for _ in ids)})", ids,
                [("delete", i, 0) for i in ids])

    def statement(self, live: set) -> list:
        """Runs one chosen statement and applies it to `live`; returns its ops."""
        sql, args, ops = self.choose(live)
        self.db.execute(sql, args)
        apply_ops(live, ops)
        return ops

    def unit(self) -> None:
        kind = self.rng.random()
        if kind < 0.4:  # one autocommit statement
            sql, args, ops = self.choose(self.live)
            self.emit("P " + json.dumps(ops))
            self.db.execute(sql, args)
            apply_ops(self.live, ops)
            self.emit("A")
            return
        live = set(self.live)
        self.db.execute("BEGIN")
        ops = []
        for _ in range(self.rng.randint(2, 8)):
            if self.rng.random() < 0.15:  # a savepoint whose statement is undone
                self.db.execute("SAVEPOINT s")
                self.statement(set(live))
                self.db.execute("ROLLBACK TO s")
                self.db.execute("RELEASE s")
            ops += self.statement(live)
        if kind > 0.85:  # a transaction rolled back: none of it may stay
            self.db.execute("ROLLBACK")
            return
        self.emit("P " + json.dumps(ops))
        self.db.execute("COMMIT")
        self.live = live
        self.emit("A")

    def run(self) -> None:
        self.emit("READY")
        while True:
            self.unit()


def apply_ops(live, ops) -> None:
    """Applies ops to a set of ids or a dict id -> version."""
    for op, i, version in ops:
        if op == "delete":
            live.discard(i) if isinstance(live, set) else live.pop(i, None)
        elif isinstance(live, set):
            live.add(i)
        else:
            live[i] = version


# --- the test ----------------------------------------------------------------------------

def read_log(path: str):
    """(acknowledged units, the unit in flight or None) from a writer's log."""
    units, pending = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("P "):
                pending = json.loads(line[2:])
            elif line.strip() == "A" and pending is not None:
                units.append(pending)
                pending = None
    return units, pending


class SqlCrashTest(unittest.TestCase):
    def setUp(self):
        if not Path(sqlite_ext.extension_path()).exists():
            self.skipTest(f"no extension at {sqlite_ext.extension_path()}")
        self.dir = tempfile.TemporaryDirectory(prefix="ek_sql_crash_")
        seed = int(os.environ.get("EK_SQL_CRASH_SEED", time.time_ns() % 1_000_000))
        print(f"seed {seed} (EK_SQL_CRASH_SEED reruns it)", flush=True)
        self.rng = random.Random(seed)

    def tearDown(self):
        self.dir.cleanup()

    def seed_store(self, path: str) -> dict:
        db = sqlite_ext.connect(path, isolation_level=None)
        db.execute(TABLE)
        db.execute("BEGIN")
        db.executemany("INSERT INTO docs(id, embedding, grp) VALUES (?, ?, ?)",
                       [(i, vector(i, 0), group(i)) for i in range(1, SEED_ROWS + 1)])
        db.execute("COMMIT")
        db.close()
        return {i: 0 for i in range(1, SEED_ROWS + 1)}

    def kill_writer(self, path: str, run: int):
        log_path = os.path.join(self.dir.name, f"writer{run}.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([sys.executable, __file__, "--writer", path, str(run)],
                                    stdout=log, stderr=log, env=os.environ)
        deadline = time.monotonic() + 60
        tail = lambda: Path(log_path).read_text()[-2000:]  # noqa: E731
        while "READY" not in Path(log_path).read_text():
            self.assertIsNone(proc.poll(), f"writer {run} exited before writing:\n{tail()}")
            self.assertLess(time.monotonic(), deadline, f"writer {run} never got ready")
            time.sleep(0.005)
        time.sleep(self.rng.uniform(0.0, 0.25))
        self.assertIsNone(proc.poll(), f"writer {run} stopped by itself:\n{tail()}")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return read_log(log_path)

    def check(self, path: str, candidates: list, touched: dict, state: dict) -> None:
        """Checks the file after a kill; `state` becomes the candidate it holds."""
        plain = sqlite3.connect(path)
        self.assertEqual(plain.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        self.assertGreater(plain.execute("SELECT count(*) FROM ek_hnsw_node").fetchone()[0], 0,
                           "no graph: KNN would not go through the index")
        plain.close()
        db = sqlite_ext.connect(path)
        try:
            rows = {i: (bytes(v), g) for i, v, g in db.execute("SELECT id, embedding, grp FROM docs")}
            matches = [m for m in candidates
                       if rows == {i: (vector(i, ver), group(i)) for i, ver in m.items()}]
            self.assertTrue(matches, "the rows are neither the acknowledged state nor that "
                                     "state plus the unit in flight")
            state.clear()
            state.update(matches[0])
            self.check_reachable(db, state, touched)
        finally:
            db.close()

    def check_reachable(self, db, state: dict, touched: dict) -> None:
        """touched: id -> the last version it had, for every id the last run wrote."""
        live = sorted(state)
        sample = set(self.rng.sample(live, min(SAMPLED_ROWS, len(live))))
        sample |= {i for i in touched if i in state}
        for i in sorted(sample):
            v = vector(i, state[i])
            exact = db.execute("SELECT id FROM docs ORDER BY vec_distance_l2(embedding, ?) LIMIT 1",
                               (v,)).fetchall()
            self.assertEqual(exact, [(i,)], f"row {i} is not its own exact nearest neighbour")
            knn = db.execute("SELECT id FROM docs WHERE embedding MATCH ? AND k = 1 AND ef = 256",
                             (v,)).fetchall()
            self.assertEqual(knn, [(i,)], f"row {i} is not its own nearest neighbour by the index")
        for i in sorted(set(touched) - set(state))[:20]:  # deleted: not even near its vector
            ids = [r[0] for r in db.execute("SELECT id FROM docs WHERE embedding MATCH ? AND k = 10",
                                            (vector(i, touched[i]),))]
            self.assertTrue(set(ids) <= set(state), f"KNN returned a deleted row near {i}")
        everything = [r[0] for r in db.execute(
            "SELECT id FROM docs WHERE embedding MATCH ? AND k = ?", (vector(0, 0), len(live)))]
        self.assertEqual(sorted(everything), live, "KNN with k = rows does not return every live row")
        g = self.rng.randrange(GROUPS)
        in_group = [r[0] for r in db.execute(
            "SELECT id FROM docs WHERE embedding MATCH ? AND k = 10 AND grp = ?", (vector(0, 1), g))]
        self.assertTrue(all(group(i) == g for i in in_group), "filtered KNN returned another group")
        self.assertEqual(len(in_group), min(10, sum(1 for i in live if group(i) == g)))

    def run_kills(self, path: str, journal: str, state: dict, first_run: int) -> None:
        db = sqlite3.connect(path)
        self.assertEqual(db.execute(f"PRAGMA journal_mode={journal}").fetchone()[0].lower(), journal)
        db.close()
        acknowledged = 0
        for run in range(first_run, first_run + KILLS_PER_JOURNAL):
            units, pending = self.kill_writer(path, run)
            acknowledged += len(units)
            touched = {}  # id -> its last version (a deleted row keeps the one it had)

            def touch(ops):
                for op, i, version in ops:
                    touched[i] = version if op == "put" else touched.get(i, state.get(i, 0))
            for ops in units:
                touch(ops)
                apply_ops(state, ops)
            candidates = [dict(state)]
            if pending is not None:
                touch(pending)
                with_pending = dict(state)
                apply_ops(with_pending, pending)
                candidates.append(with_pending)
            with self.subTest(journal=journal, run=run):
                self.check(path, candidates, touched, state)
        self.assertGreater(acknowledged, KILLS_PER_JOURNAL, f"{journal}: the writers hardly wrote")
        print(f"{journal}: {KILLS_PER_JOURNAL} kills, {acknowledged} units acknowledged, "
              f"{len(state)} rows", flush=True)

    def test_sigkill_during_sql_writes_leaves_the_committed_rows(self):
        seeded = os.path.join(self.dir.name, "seeded.db")
        rows = self.seed_store(seeded)
        for n, journal in enumerate(["delete", "wal"]):
            path = os.path.join(self.dir.name, f"{journal}.db")
            shutil.copy(seeded, path)
            self.run_kills(path, journal, dict(rows), first_run=1 + n * 100)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--writer":
        Writer(sys.argv[2], int(sys.argv[3]), sys.stdout).run()
    elif not Path(sqlite_ext.extension_path()).exists():
        print(f"skipped: no extension at {sqlite_ext.extension_path()}")
        sys.exit(77)
    else:
        unittest.main()
