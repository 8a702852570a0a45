#!/usr/bin/env python3
"""Times `DELETE FROM t` of every row of an hnsw `embedkit` table (the figure docs/sql.md
quotes for batched deletes, ca0ef84), one CPU, default hnsw options, dim 16, seeded
uniform vectors. Not a ctest: run it by hand.

    /usr/bin/python3 tests/bench/sql/bulk_delete.py [--rows 50000] [--dim 16]

Before ca0ef84 the table handed the store one id per row, and each removal was one pass
over the whole graph (154 s for 50,000 rows on that build); now the deletes of a
statement reach the store in batches of up to 4,096.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "sql"))
from sqlite_ext import connect  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--dim", type=int, default=16)
    a = ap.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    vectors = np.random.default_rng(20).uniform(-1, 1, (a.rows, a.dim)).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="ek-bulk-delete-") as tmp:
        db = connect(os.path.join(tmp, "store.db"))
        db.execute(f"CREATE VIRTUAL TABLE t USING embedkit(v float[{a.dim}], index=hnsw)")
        t0 = time.perf_counter()
        with db:
            db.executemany("INSERT INTO t(rowid, v) VALUES (?, ?)",
                           ((i + 1, vectors[i].tobytes()) for i in range(a.rows)))
        print(f"insert {a.rows} rows (hnsw, dim {a.dim}): {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        with db:
            deleted = db.execute("DELETE FROM t").rowcount
        print(f"DELETE FROM t of {deleted} rows: {time.perf_counter() - t0:.2f} s")
        assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
        db.close()


if __name__ == "__main__":
    main()
