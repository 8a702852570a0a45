#!/usr/bin/env python3
"""SQL benchmark of issue 20 (item 4): KNN at k = 10 through embedkit's SQL extension
against the C API on the same store and index, and against sqlite-vec's vec0, in one run
and one process.

Data: the clustered generator of tests/bench/ann/run.py (its `mixture`: --clusters Gaussian
centres from default_rng(--seed), Dirichlet weights, sigma 0.6), --n base rows x --dim,
then --queries fresh draws; metric l2 (vec0's default).

Systems, all on one CPU (the process is pinned with sched_setaffinity; both embedkit
contexts keep their default thread count, the SQL session having no other):
  exact  an `embedkit` table filled by SQL INSERTs (the row-load rate is printed too);
  hnsw   a collection built through the C API (upsert, then build_index m=16
         ef_construction=200), reached from SQL by `CREATE VIRTUAL TABLE ... USING
         embedkit(...)` over the same collection, so SQL and C API search one graph;
  vec0   sqlite-vec 0.1.9's vec0 table (exact, its only mode) with the same rows.
SQL: `select rowid, distance from T where embedding match ? and k = 10` with an f32 blob,
rows fetched. C API: the Python binding's Collection.search(query, k=10), hits read. Each
side answers every query once per round, rounds interleaved; the best round counts. Both
sides must return the same ids (the run fails otherwise).

Prints queries/s, the SQL/C-API overhead against the issue's target (<= 10%), and vec0
against embedkit. --quick (2,000 rows, 20 queries, 1 round) is the ctest smoke.
"""
import argparse
import importlib.util
import math
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "tests" / "sql"))
sys.path.insert(0, str(ROOT / "bindings" / "python"))

try:
    import numpy as np
except ImportError as error:  # Debian's python3-numpy (scripts/setup.sh)
    print(f"SKIP: the SQL benchmark needs numpy: {error}")
    sys.exit(77)
import sqlite_ext  # noqa: E402

# The binding finds libembedkit through EMBEDKIT_LIBRARY; default to this tree's build.
os.environ.setdefault("EMBEDKIT_LIBRARY", str(ROOT / "build" / "sdk" / "capi" / "libembedkit.so"))

K = 10
OVERHEAD_TARGET = 0.10
M, EF_CONSTRUCTION = 16, 200
INSERT_BATCH = 10_000


def load_ann_generator():
    """tests/bench/ann/run.py's `mixture`, the one clustered generator (imported, so the
    two benchmarks draw the same kind of data; that module wants hnswlib and faiss)."""
    spec = importlib.util.spec_from_file_location("ann_run", ROOT / "tests/bench/ann/run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.mixture


def make_data(args):
    mixture = load_ann_generator()
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim), dtype=np.float32)
    weights = rng.dirichlet(np.ones(args.clusters))
    base = np.ascontiguousarray(mixture(rng, centres, weights, args.n, 0.6), dtype=np.float32)
    queries = np.ascontiguousarray(mixture(rng, centres, weights, args.queries, 0.6),
                                   dtype=np.float32)
    return base, queries


def pin_to_one_cpu():
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


# ---- the three systems -----------------------------------------------------------
def sql_insert(conn, table, base):
    conn.execute("begin")
    for start in range(0, len(base), INSERT_BATCH):
        chunk = base[start:start + INSERT_BATCH]
        conn.executemany(f"insert into {table}(rowid, embedding) values (?, ?)",
                         ((start + i + 1, row.tobytes()) for i, row in enumerate(chunk)))
    conn.execute("commit")


def capi_build_hnsw(store, base):
    collection = store.create_collection("hnsw_items", base.shape[1], metric="l2",
                                         index="hnsw", m=M, ef_construction=EF_CONSTRUCTION,
                                         defer_build=True)
    for start in range(0, len(base), INSERT_BATCH):
        chunk = base[start:start + INSERT_BATCH]
        collection.upsert([str(start + i + 1) for i in range(len(chunk))], chunk)
    collection.build_index()
    return collection


def sql_search(conn, table, queries, warm_up=False):
    queries = queries[:1] if warm_up else queries
    sql = f"select rowid, distance from {table} where embedding match ? and k = {K}"
    return [conn.execute(sql, (q.tobytes(),)).fetchall() for q in queries]


def capi_search(collection, queries, warm_up=False):
    """Hits as (rowid, distance) like SQL's: ids are the rowids' text, L2 scores squared."""
    queries = queries[:1] if warm_up else queries
    out = []
    for q in queries:
        hits = collection.search(q, k=K).hits(0)
        out.append([(int(h.id), math.sqrt(max(h.score, 0.0))) for h in hits])
    return out


def vec0_setup(path, base):
    conn = sqlite_ext.connect_vec0(path)
    conn.execute(f"create virtual table vec_items using vec0(embedding float[{base.shape[1]}])")
    _, seconds = timed(lambda: sql_insert(conn, "vec_items", base))
    return conn, seconds


# ---- measuring -------------------------------------------------------------------
def best_round(systems, rounds):
    """{name: (answers, best seconds)}: every system answers all queries once per round,
    in turn, so a slow moment of the machine hits them alike."""
    best = {name: (None, float("inf")) for name in systems}
    for run in systems.values():
        run(warm_up=True)  # untimed: the first search loads each store's warm copy
    for _ in range(rounds):
        for name, run in systems.items():
            answers, seconds = timed(run)
            best[name] = (answers, min(best[name][1], seconds))
    return best


def same_ids(a, b):
    """The same ids for every query (as sets: near-ties may swap places)."""
    return all({i for i, _ in x} == {i for i, _ in y} for x, y in zip(a, b))


def recall(found, truth):
    hits = sum(len({i for i, _ in f} & {i for i, _ in t}) for f, t in zip(found, truth))
    return hits / max(1, sum(len(t) for t in truth))


def report(args, results, loads, cpu, queries):
    qps = {name: len(queries) / seconds for name, (_, seconds) in results.items()}
    print(f"sql bench: n={args.n} dim={args.dim} queries={len(queries)} k={K} metric=l2, "
          f"one CPU (cpu {cpu}), best of {args.rounds} rounds; SQLite {sqlite_ext.sqlite3.sqlite_version}")
    for line in loads:
        print(f"load: {line}")
    overheads = {}
    for index in ("exact", "hnsw"):
        sql, capi = qps[f"{index} SQL"], qps[f"{index} C API"]
        overheads[index] = capi / sql - 1.0
        print(f"{index:5s} C API: {capi:10.1f} queries/s ({1e3 / capi:.3f} ms/query)")
        print(f"{index:5s} SQL  : {sql:10.1f} queries/s ({1e3 / sql:.3f} ms/query), "
              f"overhead vs C API {overheads[index] * 100:+.1f}%")
    print(f"vec0  SQL  : {qps['vec0']:10.1f} queries/s ({1e3 / qps['vec0']:.3f} ms/query), "
          f"exact")
    print(f"vs vec0: embedkit SQL exact {qps['exact SQL'] / qps['vec0']:.2f}x vec0's "
          f"queries/s, embedkit SQL hnsw {qps['hnsw SQL'] / qps['vec0']:.2f}x")
    hnsw_recall = recall(results["hnsw SQL"][0], results["exact SQL"][0])
    print(f"hnsw SQL recall@{K} vs exact: {hnsw_recall:.3f}")
    met = all(o <= OVERHEAD_TARGET for o in overheads.values())
    print(f"target: SQL vs C API overhead <= {OVERHEAD_TARGET:.0%} at k={K} "
          f"(exact {overheads['exact'] * 100:+.1f}%, hnsw {overheads['hnsw'] * 100:+.1f}%): "
          f"{'met' if met else 'missed'}")


def run(args, work):
    import embedkit  # the Python binding over libembedkit (EMBEDKIT_LIBRARY)

    base, queries = make_data(args)
    cpu = pin_to_one_cpu()
    path = str(Path(work) / "sql_bench.ekdb")
    loads = []
    with embedkit.Context(plugin_path="") as context, context.open_store(path) as store:
        hnsw, seconds = timed(lambda: capi_build_hnsw(store, base))
        loads.append(f"C API upsert + build_index hnsw (m={M}, ef_construction="
                     f"{EF_CONSTRUCTION}) {args.n} rows: {seconds:.1f} s")
        conn = sqlite_ext.connect(path)
        conn.execute(f"create virtual table exact_items using embedkit(embedding "
                     f"float[{args.dim}])")
        conn.execute(f"create virtual table hnsw_items using embedkit(embedding "
                     f"float[{args.dim}], index=hnsw, m={M}, ef_construction={EF_CONSTRUCTION})")
        _, seconds = timed(lambda: sql_insert(conn, "exact_items", base))
        loads.append(f"SQL insert into embedkit exact_items: {args.n / seconds:,.0f} rows/s")
        exact = store.collection("exact_items")
        vec0, seconds = vec0_setup(str(Path(work) / "vec0.db"), base)
        loads.append(f"SQL insert into vec0 vec_items: {args.n / seconds:,.0f} rows/s")
        results = best_round({
            "exact C API": lambda **w: capi_search(exact, queries, **w),
            "exact SQL": lambda **w: sql_search(conn, "exact_items", queries, **w),
            "hnsw C API": lambda **w: capi_search(hnsw, queries, **w),
            "hnsw SQL": lambda **w: sql_search(conn, "hnsw_items", queries, **w),
            "vec0": lambda **w: sql_search(vec0, "vec_items", queries, **w),
        }, args.rounds)
        report(args, results, loads, cpu, queries)
        problems = [f"{a} and {b} return different ids" for a, b in
                    (("exact SQL", "exact C API"), ("hnsw SQL", "hnsw C API"),
                     ("exact SQL", "vec0")) if not same_ids(results[a][0], results[b][0])]
        conn.close()
        vec0.close()
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=256)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="2,000 rows, 20 queries, 1 round: the ctest smoke")
    parser.add_argument("--work", help="folder for the store files (default: a temp dir)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.queries, args.rounds = 2_000, 20, 1
    sqlite_ext.require_vec0()
    if args.work:
        return run(args, args.work)
    with tempfile.TemporaryDirectory(prefix="ek_sql_bench_") as work:
        return run(args, work)


if __name__ == "__main__":
    sys.exit(main())
