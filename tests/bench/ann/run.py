#!/usr/bin/env python3
"""ANN benchmark of issue 19 (item 5): embedkit's HNSW graph core (ek_ann_bench) against
Debian's hnswlib and FAISS (IndexHNSWFlat, IndexIVFFlat) in one run, one query thread.

Datasets (written in the tiny format of ann_files.h, under --work):
  glove      GloVe 6B 100-d (.deps/glove/glove-6b-100d.ekwv from scripts/setup.sh),
             angular. A permutation seeded with --seed holds out --queries words as
             queries; the base is the first --n of the rest (all of it by default).
  synthetic  A Gaussian mixture, l2: --clusters centres drawn N(0, 1) per component,
             cluster weights from a Dirichlet(1) draw, each point = its centre plus
             N(0, 0.6^2) noise per component (numpy default_rng(--seed)); queries
             are fresh draws from the same mixture. Size --n x --dim.
Ground truth: the exact scan (ek_ann_bench --make-truth, ScanTopK), top 10.
Parameters: M = 16, ef_construction = 200 for every HNSW; IVF nlist = sqrt(n).
Build time is one thread for every system (embedkit also at 2 threads).
"""
import argparse
import json
import math
import os
import resource
import struct
import subprocess
import sys
import time

try:
    import numpy as np
    import hnswlib
    import faiss
except ImportError as error:  # the ctest skips (code 77) rather than fails
    print(f"SKIP: ann benchmark needs numpy, hnswlib and faiss "
          f"(apt-get install python3-hnswlib python3-faiss): {error}")
    sys.exit(77)

K = 10
M = 16
EF_CONSTRUCTION = 200
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


# ---- files (ann_files.h) ----------------------------------------------------------
def write_vectors(path, matrix):
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    with open(path, "wb") as f:
        f.write(b"EKANNV1\0" + struct.pack("<II", *matrix.shape))
        f.write(matrix.tobytes())


def read_ids(path):
    with open(path, "rb") as f:
        head = f.read(16)
        if head[:8] != b"EKANNI1\0":
            raise SystemExit(f"{path}: not an ids file")
        rows, cols = struct.unpack("<II", head[8:])
        return np.frombuffer(f.read(), dtype=np.uint32).reshape(rows, cols)


# ---- datasets ---------------------------------------------------------------------
def load_glove(args):
    path = os.path.join(ROOT, ".deps", "glove", "glove-6b-100d.ekwv")
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:8] != b"EKWVEC1\0":
        raise SystemExit(f"{path}: not an .ekwv file (run scripts/setup.sh)")
    dim, _flags, count = struct.unpack_from("<IIQ", head, 8)
    vectors_offset = struct.unpack_from("<Q", head, 56)[0]
    table = np.memmap(path, dtype=np.float32, mode="r", offset=vectors_offset,
                      shape=(count, dim))
    order = np.random.default_rng(args.seed).permutation(count)
    queries = np.array(table[np.sort(order[:args.queries])])
    rest = order[args.queries:]
    base_ids = np.sort(rest if args.n is None else rest[:args.n])
    return np.array(table[base_ids]), queries, "angular"


def mixture(rng, centres, weights, count, sigma):
    labels = rng.choice(len(centres), size=count, p=weights)
    noise = rng.standard_normal((count, centres.shape[1]), dtype=np.float32)
    return centres[labels] + sigma * noise


def make_synthetic(args):
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim), dtype=np.float32)
    weights = rng.dirichlet(np.ones(args.clusters))
    n = args.n or 200_000
    base = mixture(rng, centres, weights, n, 0.6)
    queries = mixture(rng, centres, weights, args.queries, 0.6)
    return base, queries, "l2"


# ---- systems ----------------------------------------------------------------------
def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def recall(found, truth):
    hits = sum(len(set(row[:K]) & set(t[:K])) for row, t in zip(found, truth))
    return hits / (len(truth) * K)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run_embedkit(args, files, metric, efs):
    cmd = [args.bench, "--base", files["base"], "--queries", files["queries"],
           "--truth", files["truth"], "--metric", metric, "--m", str(M),
           "--ef-construction", str(EF_CONSTRUCTION), "--ef", ",".join(map(str, efs)),
           "--build-threads", "1,2", "--exact-queries", str(min(args.queries, 500))]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def run_hnswlib(base, queries, truth, metric, efs):
    space = "cosine" if metric == "angular" else "l2"
    before = rss_bytes()
    index = hnswlib.Index(space=space, dim=base.shape[1])
    index.init_index(max_elements=len(base), M=M, ef_construction=EF_CONSTRUCTION,
                     random_seed=100)
    index.set_num_threads(1)
    _, seconds = timed(lambda: index.add_items(base, np.arange(len(base))))
    rows = [{"system": "hnswlib", "event": "build", "threads": 1, "seconds": seconds,
             "index_bytes": rss_bytes() - before}]
    for ef in efs:
        index.set_ef(ef)
        found, s = timed(lambda: index.knn_query(queries, k=K, num_threads=1)[0])
        rows.append({"system": "hnswlib", "param": f"ef={ef}",
                     "recall": recall(found, truth), "qps": len(queries) / s})
    return rows


def run_faiss_hnsw(base, queries, truth, efs):
    index = faiss.IndexHNSWFlat(base.shape[1], M)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    _, seconds = timed(lambda: index.add(base))
    rows = [{"system": "faiss-hnsw", "event": "build", "threads": 1, "seconds": seconds}]
    for ef in efs:
        index.hnsw.efSearch = ef
        (_, found), s = timed(lambda: index.search(queries, K))
        rows.append({"system": "faiss-hnsw", "param": f"ef={ef}",
                     "recall": recall(found, truth), "qps": len(queries) / s})
    return rows


def run_faiss_ivf(base, queries, truth, nprobes):
    nlist = max(1, int(math.sqrt(len(base))))
    quantizer = faiss.IndexFlatL2(base.shape[1])
    index = faiss.IndexIVFFlat(quantizer, base.shape[1], nlist)
    def build():
        index.train(base)
        index.add(base)
    _, seconds = timed(build)
    rows = [{"system": "faiss-ivf", "event": "build", "threads": 1, "seconds": seconds}]
    for nprobe in nprobes:
        if nprobe > nlist:
            break
        index.nprobe = nprobe
        (_, found), s = timed(lambda: index.search(queries, K))
        rows.append({"system": "faiss-ivf", "param": f"nprobe={nprobe}",
                     "recall": recall(found, truth), "qps": len(queries) / s})
    return rows


# ---- report -----------------------------------------------------------------------
def best_qps(rows, system, min_recall):
    qps = [r["qps"] for r in rows if r.get("system") == system and "recall" in r
           and r["recall"] >= min_recall]
    return max(qps) if qps else None


def build_seconds(rows, system, threads):
    for r in rows:
        if r.get("system") == system and r.get("event") == "build" and r["threads"] == threads:
            return r["seconds"]
    return None


def verdict(ok):
    return "met" if ok else "missed"


def target_lines(rows, n):
    lines = []
    peers = ["hnswlib", "faiss-hnsw", "faiss-ivf"]
    for level in (0.95, 0.99):
        ours = best_qps(rows, "embedkit-hnsw", level)
        peer = max((q for q in (best_qps(rows, p, level) for p in peers) if q), default=None)
        if ours is None or peer is None:
            who = ("neither embedkit nor any peer" if ours is None and peer is None
                   else "embedkit never" if ours is None else "no peer")
            lines.append(f"HNSW f32 queries/s at recall>={level} vs best peer: "
                         f"{who} reached it in the sweep (target 1.2x) missed")
        else:
            lines.append(f"HNSW f32 queries/s at recall>={level} vs best peer: "
                         f"{ours / peer:.2f}x (target 1.2x) {verdict(ours >= 1.2 * peer)}")
    ours1, ours2 = build_seconds(rows, "embedkit-hnsw", 1), build_seconds(rows, "embedkit-hnsw", 2)
    theirs = build_seconds(rows, "hnswlib", 1)
    lines.append(f"build, one thread: {ours1:.2f} s vs hnswlib {theirs:.2f} s "
                 f"(target <= hnswlib) {verdict(ours1 <= theirs)}")
    lines.append(f"build, 2 threads vs 1: {ours1 / ours2:.2f}x faster (target >= 1.7x) "
                 f"{verdict(ours1 / ours2 >= 1.7)}")
    ours_mem = next(r["graph_bytes"] + r["vector_bytes"] for r in rows
                    if r.get("system") == "embedkit-hnsw" and r.get("event") == "build")
    theirs_mem = next(r["index_bytes"] for r in rows
                      if r.get("system") == "hnswlib" and r.get("event") == "build")
    lines.append(f"memory (graph + f32 vectors, resident growth): {ours_mem / 2**20:.0f} MiB "
                 f"vs hnswlib {theirs_mem / 2**20:.0f} MiB (target <= hnswlib) "
                 f"{verdict(ours_mem <= theirs_mem)}")
    if n >= 1_000_000:
        q99 = best_qps(rows, "embedkit-hnsw", 0.99)
        lines.append(f"1M: queries/s at recall>=0.99: {q99 or 0:.0f} (target >= 1500) "
                     f"{verdict(bool(q99) and q99 >= 1500)}")
    else:
        lines.append(f"1M: recall>=0.99 at >=1500 queries/s: not measured (n = {n})")
    return lines


def print_table(name, n, dim, metric, nq, rows):
    print(f"\n## {name}: n = {n}, dim = {dim}, {metric}, {nq} queries, k = {K}, "
          f"one query thread")
    print(f"{'system':<15} {'param':<11} {'recall@10':>9} {'queries/s':>10}")
    for r in rows:
        if "recall" in r:
            print(f"{r['system']:<15} {r['param']:<11} {r['recall']:>9.4f} {r['qps']:>10.1f}")
    print("build (seconds): " + ", ".join(
        f"{r['system']} {r['threads']}t {r['seconds']:.2f}" for r in rows if r.get("event")))
    for line in target_lines(rows, n):
        print("target: " + line)


def plot(path, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for ax, (title, rows) in zip(axes[0], results.items()):
        systems = sorted({r["system"] for r in rows if "recall" in r})
        for system in systems:
            points = sorted((r["recall"], r["qps"]) for r in rows
                            if r.get("system") == system and "recall" in r)
            ax.plot(*zip(*points), marker="o", label=system)
        ax.set_yscale("log")
        ax.set_xlabel("recall@10")
        ax.set_ylabel("queries/s (one thread, log)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="glove,synthetic")
    parser.add_argument("--n", type=int, help="base rows (glove: all by default; synthetic: 200000)")
    parser.add_argument("--dim", type=int, default=384, help="synthetic dimension")
    parser.add_argument("--clusters", type=int, default=256, help="synthetic mixture components")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--quick", action="store_true",
                        help="smoke: synthetic 5000 x 32, 200 queries; fail unless every "
                             "system reaches recall@10 > 0.9 at its widest setting")
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "tests", "bench", "ann",
                                                        "ek_ann_bench"))
    parser.add_argument("--work", default=None, help="folder for the data files")
    parser.add_argument("--plot", help="write a recall vs queries/s PNG here")
    args = parser.parse_args()
    if args.quick:
        args.datasets, args.n, args.dim, args.queries, args.clusters = "synthetic", 5000, 32, 200, 16
    efs = [10, 20, 40, 80, 160, 320] if not args.quick else [10, 40, 160]
    nprobes = [1, 2, 4, 8, 16, 32, 64, 128] if not args.quick else [1, 8, 32]
    faiss.omp_set_num_threads(1)

    import tempfile
    work_holder = None if args.work else tempfile.TemporaryDirectory(prefix="ek-ann-")
    work = args.work or work_holder.name
    os.makedirs(work, exist_ok=True)
    results, failures = {}, []
    for name in args.datasets.split(","):
        base, queries, metric = load_glove(args) if name == "glove" else make_synthetic(args)
        files = {part: os.path.join(work, f"{name}.{part}") for part in ("base", "queries", "truth")}
        write_vectors(files["base"], base)
        write_vectors(files["queries"], queries)
        subprocess.run([args.bench, "--make-truth", "--base", files["base"], "--queries",
                        files["queries"], "--truth", files["truth"], "--metric", metric],
                       check=True)
        truth = read_ids(files["truth"])
        if metric == "angular":  # FAISS's L2 on unit vectors ranks as the angle does
            base = base / np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-30)
            queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-30)
        base = np.ascontiguousarray(base, dtype=np.float32)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        rows = run_embedkit(args, files, metric, efs)
        rows += run_hnswlib(base, queries, truth, metric, efs)
        rows += run_faiss_hnsw(base, queries, truth, efs)
        rows += run_faiss_ivf(base, queries, truth, nprobes)
        print_table(name, len(base), base.shape[1], metric, len(queries), rows)
        results[f"{name} ({len(base)} x {base.shape[1]}, {metric})"] = rows
        for system in sorted({r["system"] for r in rows if "recall" in r} - {"embedkit-exact"}):
            widest = [r for r in rows if r.get("system") == system and "recall" in r][-1]
            if widest["recall"] <= 0.9:
                failures.append(f"{name}: {system} {widest['param']} recall {widest['recall']:.3f}")
    if args.plot:
        plot(args.plot, results)
    if args.quick and failures:
        print("FAIL: recall@10 <= 0.9 at the widest setting: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
