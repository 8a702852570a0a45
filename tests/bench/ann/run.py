#!/usr/bin/env python3
"""ANN benchmark of issue 19 (item 5): embedkit's HNSW graph core (ek_ann_bench) against
Debian's hnswlib and FAISS (IndexHNSWFlat, IndexIVFFlat) and npm's usearch and
hnswlib-node (peers.js, pinned in tools/npm) in one run, one query thread.

Datasets (written in the tiny format of ann_files.h, under --work):
  glove      GloVe 6B 100-d (.deps/glove/glove-6b-100d.ekwv from scripts/setup.sh),
             angular. A permutation seeded with --seed holds out --queries words as
             queries; the base is the first --n of the rest (all of it by default).
  synthetic  1M x 384 clustered synthetic vectors (--n, --dim), l2: a Gaussian mixture
             from numpy default_rng(--seed): --clusters (256) centres drawn N(0, 1) per
             component, cluster weights from one Dirichlet(1) draw, each point = a
             centre drawn by weight plus N(0, 0.6^2) noise per component. The base is
             drawn and written in chunks of 65,536 rows (the generator's only state is
             the rng, so memory stays at one chunk; the figures are those of this chunk
             size), then the queries (--queries fresh draws from the same mixture).
Filtered search: every base row gets one attribute, uniform in 0..99 from
default_rng(--seed + 1); the 10% filter allows attribute < 10, the 1% filter < 1.
Each filter has its own ground truth (the exact scan over the allowed rows).
Ground truth: the exact scan (ek_ann_bench --make-truth, ScanTopK), top 10.
Parameters: M = 16, ef_construction = 200 for every HNSW; IVF nlist = sqrt(n).
Build time is one thread for every system (embedkit also at 2 threads).
Through the store (ek_ann_bench --store, system "embedkit-store"): the same HNSW in a
store::Store on a temp file (rows upserted in batches of 10,000, BuildIndex timed at 1 and
2 threads, one query per Store::Search call), its reopen (open + first search) against
the one-thread build, and, outside --quick (which builds on one thread only, and whose
2000 rows the store scans exactly: its graph answers from 4096 rows on), the int8 rows with rescore 4
("embedkit-store-int8-r4") and the f16 rows ("embedkit-store-f16"), built on one thread.
Quantized exact scans through the store (ek_ann_bench --store --exact-scan, systems
"embedkit-store-exact-<element>[-r<rescore>]", one query per call on the first 500
queries): a plain f32 collection and kind-exact f16, int8 and bit collections, int8 at
rescore 1, 2, 4 and bit at 4, 8, 16, 32, 64; the target lines take, per element, the
fastest rescore that reaches the issue's recall and divide by the f32 scan of the run.
Through the store, the f32 rows also get each row's attribute as metadata {"a": N} and
each filter is searched as {"a": {"$lt": P}} per ef (the store's planner picks the
filtered graph or the masked scan), beside "embedkit-store-scan": the store's masked
exact scan of the f32 originals (SearchOptions::exact) on the first --exact-queries.
Subset runs: --systems names the systems to run (SYSTEMS; default all of them), and
--ef, --build-threads and --exact-queries cut the sweep; every target line whose
systems did not run prints "not measured". The data files under --work are reused when
their parameters (PARAMS_FILE) match, so a rerun at 1M does not regenerate the base or
its ground truth. --rows LOG,... runs nothing: it reads the rows that earlier runs on the
same files echoed to stderr and prints the table and target lines of them all, so subset
runs made side by side report as one.
Filtered peers: hnswlib-node's filter callback, FAISS HNSW with SearchParametersHNSW +
IDSelectorBitmap (where the FAISS build has them), Debian hnswlib's filter= where its
knn_query takes one (0.6.2 does not: reported, not run).
"""
import argparse
import json
import math
import os
import re
import shutil
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
FILTER_PERCENTS = (10, 1)
SYNTHETIC_CHUNK = 65_536
# Every system run.py can run, in the order it runs them ("embedkit" is the graph core,
# with its exact scan "embedkit-exact"; "embedkit-store-exact" the quantized exact scans).
SYSTEMS = ["embedkit", "embedkit-store", "embedkit-store-int8-r4", "embedkit-store-f16",
           "embedkit-store-exact", "usearch", "hnswlib-node", "hnswlib", "faiss-hnsw",
           "faiss-ivf"]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


# ---- files (ann_files.h) ----------------------------------------------------------
def write_vectors(path, matrix):
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    with open(path, "wb") as f:
        f.write(b"EKANNV1\0" + struct.pack("<II", *matrix.shape))
        f.write(matrix.tobytes())


def write_ids(path, ids):
    ids = np.ascontiguousarray(ids, dtype=np.uint32)
    with open(path, "wb") as f:
        f.write(b"EKANNI1\0" + struct.pack("<II", *ids.shape))
        f.write(ids.tobytes())


def map_vectors(path):
    """The vectors of an ann_files.h file, memory-mapped (read-only, no copy)."""
    with open(path, "rb") as f:
        rows, cols = struct.unpack("<II", f.read(16)[8:])
    return np.memmap(path, dtype=np.float32, mode="r", offset=16, shape=(rows, cols))


def read_ids(path):
    with open(path, "rb") as f:
        head = f.read(16)
        if head[:8] != b"EKANNI1\0":
            raise SystemExit(f"{path}: not an ids file")
        rows, cols = struct.unpack("<II", head[8:])
        return np.frombuffer(f.read(), dtype=np.uint32).reshape(rows, cols)


# ---- datasets ---------------------------------------------------------------------
def load_glove(args, base_path):
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
    write_vectors(base_path, table[base_ids])
    return queries, "angular"


def mixture(rng, centres, weights, count, sigma):
    labels = rng.choice(len(centres), size=count, p=weights)
    noise = rng.standard_normal((count, centres.shape[1]), dtype=np.float32)
    return centres[labels] + sigma * noise


def make_synthetic(args, base_path):
    """Writes the base to base_path chunk by chunk; returns (queries, metric)."""
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.clusters, args.dim), dtype=np.float32)
    weights = rng.dirichlet(np.ones(args.clusters))
    n = args.n or 1_000_000
    with open(base_path, "wb") as f:
        f.write(b"EKANNV1\0" + struct.pack("<II", n, args.dim))
        for start in range(0, n, SYNTHETIC_CHUNK):
            chunk = mixture(rng, centres, weights, min(SYNTHETIC_CHUNK, n - start), 0.6)
            f.write(np.ascontiguousarray(chunk, dtype=np.float32).tobytes())
    queries = mixture(rng, centres, weights, args.queries, 0.6)
    return queries, "l2"


def write_labels(path, n, seed):
    """One attribute per base row, uniform in 0..99: filter P% allows attribute < P."""
    labels = np.random.default_rng(seed + 1).integers(0, 100, size=n, dtype=np.uint32)
    write_ids(path, labels.reshape(n, 1))
    return labels


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


def filter_flags(files):
    flags = ["--labels", files["labels"]]
    for percent in FILTER_PERCENTS:
        flags += ["--filter", f"{percent}:{files[f'truth{percent}']}"]
    return flags


def progress(text):
    """A timestamped line on stderr, so that a long run's log shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


PROGRESS_ROW = re.compile(r"^\[\d\d:\d\d:\d\d\] (\{.*\})$")


def logged_rows(paths):
    """The rows that progress() echoed into the stderr logs at `paths`, in their order."""
    rows = []
    for path in paths:
        with open(path) as f:
            rows += [json.loads(m.group(1)) for m in map(PROGRESS_ROW.match, f) if m]
    return rows


def json_lines(cmd):
    """The JSON lines `cmd` prints, each echoed to stderr (progress) as it arrives."""
    progress(" ".join(os.path.basename(part) for part in cmd[:3]) + " ...")
    rows = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as child:
        for line in child.stdout:
            if line.startswith("{"):
                progress(line.rstrip())
                rows.append(json.loads(line))
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, cmd)
    return rows


def run_embedkit(args, files, metric, efs):
    return json_lines([args.bench, "--base", files["base"], "--queries", files["queries"],
                       "--truth", files["truth"], "--metric", metric, "--m", str(M),
                       "--ef-construction", str(EF_CONSTRUCTION), "--ef", ",".join(map(str, efs)),
                       "--build-threads", args.build_threads,
                       "--exact-queries", str(min(args.queries, args.exact_queries))]
                      + filter_flags(files))


# The store's element-type variants beside f32, each a system of its own (SYSTEMS):
# name -> (element, rescore); --quick runs none of them.
STORE_VARIANTS = {"embedkit-store-int8-r4": ("int8", 4), "embedkit-store-f16": ("f16", 1)}


def run_embedkit_store(args, files, metric, efs, systems):
    common = [args.bench, "--store", "--base", files["base"], "--queries", files["queries"],
              "--truth", files["truth"], "--metric", metric, "--m", str(M),
              "--ef-construction", str(EF_CONSTRUCTION), "--ef", ",".join(map(str, efs))]
    rows = []
    if "embedkit-store" in systems:
        rows += json_lines(common + ["--build-threads", "1" if args.quick else args.build_threads,
                                     "--exact-queries", str(min(args.queries, args.exact_queries))]
                           + filter_flags(files))
    for name, (element, rescore) in STORE_VARIANTS.items() if not args.quick else ():
        if name in systems:
            rows += json_lines(common + ["--build-threads", "1", "--element", element,
                                         "--rescore", str(rescore)])
    return rows


EXACT_SCAN_RESCORE = {"int8": "1,2,4", "bit": "4,8,16,32,64"}


def run_embedkit_store_exact(args, files, metric):
    """The exact scans of f32, f16, int8 and bit collections through the store."""
    return json_lines([args.bench, "--store", "--exact-scan", "--base", files["base"],
                       "--queries", files["queries"], "--truth", files["truth"],
                       "--metric", metric,
                       "--exact-queries", str(min(args.queries, args.exact_queries)),
                       "--int8-rescore", EXACT_SCAN_RESCORE["int8"],
                       "--bit-rescore", EXACT_SCAN_RESCORE["bit"]])


def run_npm_peers(files, metric, efs, selected):
    """usearch and hnswlib-node (those `selected`) through peers.js; those not installed
    are skipped."""
    wanted = [s for s in ("usearch", "hnswlib-node") if s in selected]
    if not wanted:
        return []
    node = shutil.which("node")
    modules = os.path.join(ROOT, "tools", "npm", "node_modules")
    systems = [s for s in wanted if os.path.isdir(os.path.join(modules, s))]
    if node is None or not systems:
        print("note: npm peers skipped (needs node and tools/npm installed by scripts/setup.sh)")
        return []
    return json_lines([node, os.path.join(HERE, "peers.js"), "--base", files["base"],
                       "--queries", files["queries"], "--truth", files["truth"],
                       "--metric", metric, "--m", str(M), "--ef-construction",
                       str(EF_CONSTRUCTION), "--ef", ",".join(map(str, efs)),
                       "--systems", ",".join(systems)] + filter_flags(files))


HNSWLIB_FILTERS = "filter" in (hnswlib.Index.knn_query.__doc__ or "")


def run_hnswlib(base, queries, truth, metric, efs, filters):
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
    for percent, allowed, filtered_truth in filters if HNSWLIB_FILTERS else ():
        for ef in efs:
            index.set_ef(ef)
            found, s = timed(lambda: index.knn_query(queries, k=K, num_threads=1,
                                                     filter=lambda label: bool(allowed[label]))[0])
            rows.append({"system": "hnswlib", "filter": percent, "param": f"ef={ef}",
                         "recall": recall(found, filtered_truth), "qps": len(queries) / s})
    return rows


FAISS_FILTERS = hasattr(faiss, "SearchParametersHNSW") and hasattr(faiss, "IDSelectorBitmap")


def run_faiss_hnsw(base, queries, truth, efs, filters):
    index = faiss.IndexHNSWFlat(base.shape[1], M)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    _, seconds = timed(lambda: index.add(base))
    rows = [{"system": "faiss-hnsw", "event": "build", "threads": 1, "seconds": seconds}]
    for ef in efs:
        index.hnsw.efSearch = ef
        (_, found), s = timed(lambda: index.search(queries, K))
        rows.append({"system": "faiss-hnsw", "param": f"ef={ef}",
                     "recall": recall(found, truth), "qps": len(queries) / s})
    for percent, allowed, filtered_truth in filters if FAISS_FILTERS else ():
        bits = np.packbits(allowed, bitorder="little")  # must outlive the selector
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
        for ef in efs:
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
            (_, found), s = timed(lambda: index.search(queries, K, params=params))
            rows.append({"system": "faiss-hnsw", "filter": percent, "param": f"ef={ef}",
                         "recall": recall(found, filtered_truth), "qps": len(queries) / s})
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
PEERS = ["hnswlib", "faiss-hnsw", "faiss-ivf", "usearch", "hnswlib-node"]


def sweep(rows, system, percent=None):
    """The recall rows of one system, unfiltered (percent None) or at one filter."""
    return [r for r in rows if r.get("system") == system and "recall" in r
            and r.get("filter") == percent]


def best_qps(rows, system, min_recall, percent=None):
    qps = [r["qps"] for r in sweep(rows, system, percent) if r["recall"] >= min_recall]
    return max(qps) if qps else None


def build_row(rows, system, threads=1):
    return next((r for r in rows if r.get("system") == system and r.get("event") == "build"
                 and r["threads"] == threads), None)


def verdict(ok):
    return "met" if ok else "missed"


def ran(rows, system):
    """True when `system` printed any row in this run."""
    return any(r.get("system") == system for r in rows)


def not_measured(what, missing):
    return f"{what}: not measured ({', '.join(missing)} not run)"


def qps_lines(rows):
    peers = [p for p in PEERS if ran(rows, p)]
    lines = []
    for level in (0.95, 0.99):
        what = f"HNSW f32 queries/s at recall>={level} vs best peer"
        if not ran(rows, "embedkit-hnsw") or not peers:
            lines.append(not_measured(what, (["embedkit"] if not ran(rows, "embedkit-hnsw")
                                             else []) + (["any peer"] if not peers else [])))
            continue
        ours = best_qps(rows, "embedkit-hnsw", level)
        reached = [(best_qps(rows, p, level), p) for p in peers]
        peer, who = max((pair for pair in reached if pair[0]), default=(None, None))
        if ours is None or peer is None:
            nobody = ("neither embedkit nor any peer" if ours is None and peer is None
                      else "embedkit never" if ours is None else "no peer")
            lines.append(f"{what}: {nobody} reached it in the sweep (target 1.2x) missed "
                         f"[peers run: {', '.join(peers)}]")
        else:
            lines.append(f"{what}: {ours / peer:.2f}x ({ours:.0f} vs {who} {peer:.0f}) "
                         f"(target 1.2x) {verdict(ours >= 1.2 * peer)} "
                         f"[peers run: {', '.join(peers)}]")
    return lines


def build_lines(rows):
    ours1 = build_row(rows, "embedkit-hnsw", 1)
    ours2 = build_row(rows, "embedkit-hnsw", 2)
    theirs = build_row(rows, "hnswlib", 1)
    missing = ([] if ours1 else ["embedkit one-thread build"]) + ([] if theirs else ["hnswlib"])
    lines = []
    if missing:
        lines.append(not_measured("build, one thread vs hnswlib", missing))
        lines.append(not_measured("memory vs hnswlib", missing))
    else:
        ours_mem = ours1["graph_bytes"] + ours1["vector_bytes"]
        lines.append(f"build, one thread: {ours1['seconds']:.2f} s vs hnswlib "
                     f"{theirs['seconds']:.2f} s (target <= hnswlib) "
                     f"{verdict(ours1['seconds'] <= theirs['seconds'])}")
        lines.append(f"memory (graph + f32 vectors, resident growth): {ours_mem / 2**20:.0f} MiB "
                     f"vs hnswlib {theirs['index_bytes'] / 2**20:.0f} MiB (target <= hnswlib) "
                     f"{verdict(ours_mem <= theirs['index_bytes'])}")
    if ours1 and ours2:
        speedup = ours1["seconds"] / ours2["seconds"]
        lines.append(f"build, 2 threads vs 1: {speedup:.2f}x faster (target >= 1.7x) "
                     f"{verdict(speedup >= 1.7)}")
    else:
        lines.append(not_measured("build, 2 threads vs 1", [
            f"embedkit {t}-thread build" for t, r in ((1, ours1), (2, ours2)) if not r]))
    return lines


# The filtered searches, each beside its own masked exact scan: (graph system, scan system).
FILTERED_PAIRS = [("embedkit-hnsw", "embedkit-exact"), ("embedkit-store", "embedkit-store-scan")]


def filter_lines(rows):
    lines = []
    for graph, scan_system in FILTERED_PAIRS:
        name = "" if graph == "embedkit-hnsw" else f" ({graph})"
        if not sweep(rows, graph, FILTER_PERCENTS[0]):
            lines.append(not_measured(f"filtered{name}", [name.strip(" ()") or "embedkit"]))
            continue
        for percent in FILTER_PERCENTS:
            best = max(sweep(rows, graph, percent), key=lambda r: r["recall"])
            lines.append(f"filtered {percent}%{name}: best recall@10 {best['recall']:.4f} "
                         f"({best['param']}, {best['qps']:.0f} queries/s) (target >= 0.95) "
                         f"{verdict(best['recall'] >= 0.95)}")
        what = (f"filtered {FILTER_PERCENTS[0]}%{name}: queries/s at recall>=0.95 vs masked "
                f"exact scan")
        scans = sweep(rows, scan_system, FILTER_PERCENTS[0])
        if not scans:
            lines.append(not_measured(what, [scan_system]))
            continue
        scan = scans[0]["qps"]
        ours = best_qps(rows, graph, 0.95, FILTER_PERCENTS[0])
        lines.append(f"{what}: " + (f"{ours / scan:.1f}x ({ours:.0f} vs {scan:.0f}) (target 5x) "
                                    f"{verdict(ours >= 5 * scan)}" if ours else
                                    "never reached 0.95 in the sweep (target 5x) missed"))
    return lines


def store_lines(rows):
    """Upsert, file size, reopen and queries/s through the store beside the core."""
    lines = []
    for r in rows:
        if r.get("event") == "build" and "upsert_seconds" in r and r["threads"] == 1:
            lines.append(f"{r['system']}: upsert {r['upsert_seconds']:.2f} s, file "
                         f"{r['file_bytes'] / 2**20:.0f} MiB, {r['bytes_per_vector']} "
                         f"resident bytes/row")
    for level in (0.95, 0.99):
        core = best_qps(rows, "embedkit-hnsw", level)
        ours = best_qps(rows, "embedkit-store", level)
        if core and ours:
            lines.append(f"queries/s at recall>={level}: store {ours:.0f} vs graph core "
                         f"{core:.0f} ({ours / core:.2f}x)")
    return lines


def reopen_lines(rows):
    lines = []
    for r in rows:
        if r.get("event") == "reopen":
            speedup = r["build_seconds"] / r["seconds"]
            lines.append(f"{r['system']} reopen (open + first search) {r['seconds']:.3f} s vs "
                         f"one-thread rebuild {r['build_seconds']:.2f} s: {speedup:.0f}x faster "
                         f"(target >= 20x) {verdict(speedup >= 20)}")
    if not lines:
        lines.append(not_measured("reopen vs rebuild", ["embedkit-store"]))
    return lines


# Issue 19's quantized exact-scan targets: (element, recall@10 floor, speed-up over the
# f32 exact scan); the bit target is stated for the 384-d set.
EXACT_SCAN_TARGETS = [("f16", 0.999, 1.8), ("int8", 0.99, 3.5), ("bit", 0.95, 15.0)]


def exact_scan_lines(rows, dim):
    """Per element: the fastest scan (over its rescore factors) that reaches the
    recall, against the f32 exact scan through the store in the same run."""
    scans = [r for r in rows if r.get("scan")]
    f32 = next((r for r in scans if r["element"] == "f32"), None)
    if f32 is None:
        return [not_measured("quantized exact scans", ["embedkit-store-exact"])]
    lines = []
    for element, floor, speedup in EXACT_SCAN_TARGETS:
        mine = [r for r in scans if r["element"] == element]
        if not mine:
            continue
        reached = [r for r in mine if r["recall"] >= floor]
        target = f"(target recall@10 >= {floor} at >= {speedup}x)"
        note = (f" [the target's set is 384-d; this one is {dim}-d]"
                if element == "bit" and dim != 384 else "")
        if not reached:
            best = max(mine, key=lambda r: r["recall"])
            lines.append(f"quantized exact {element}: best recall@10 {best['recall']:.4f} "
                         f"(rescore {best['rescore']}) never reached {floor} {target} "
                         f"missed{note}")
            continue
        best = max(reached, key=lambda r: r["qps"])
        ratio = best["qps"] / f32["qps"]
        lines.append(f"quantized exact {element}: recall@10 {best['recall']:.4f} at rescore "
                     f"{best['rescore']}, {ratio:.2f}x the f32 exact scan ({best['qps']:.0f} vs "
                     f"{f32['qps']:.0f} queries/s) {target} {verdict(ratio >= speedup)}{note}")
    return lines


def million_lines(rows, n):
    """The 1M target (recall@10 >= 0.99 at >= 1,500 queries/s): the graph core's line,
    and the store's beside it where the store ran."""
    if n < 1_000_000:
        return [f"1M: recall>=0.99 at >=1500 queries/s: not measured (n = {n})"]
    lines = []
    for system, name in (("embedkit-hnsw", "embedkit"), ("embedkit-store", "embedkit-store")):
        label = "1M" if system == "embedkit-hnsw" else "1M (through the store)"
        if not ran(rows, system):
            lines.append(not_measured(f"{label}: recall>=0.99 at >=1500 queries/s", [name]))
            continue
        q99 = best_qps(rows, system, 0.99)
        lines.append(f"{label}: queries/s at recall>=0.99: {q99 or 0:.0f} (target >= 1500) "
                     f"{verdict(bool(q99) and q99 >= 1500)}")
    return lines


def target_lines(rows, n, dim):
    return (qps_lines(rows) + build_lines(rows) + million_lines(rows, n) + filter_lines(rows)
            + reopen_lines(rows) + exact_scan_lines(rows, dim))


def print_table(name, n, dim, metric, nq, rows):
    print(f"\n## {name}: n = {n}, dim = {dim}, {metric}, {nq} queries, k = {K}, "
          f"one query thread")
    print(f"{'system':<28} {'filter':>6} {'param':<11} {'recall@10':>9} {'queries/s':>10}")
    for percent in (None,) + FILTER_PERCENTS:
        for r in rows:
            if "recall" in r and r.get("filter") == percent:
                shown = "-" if percent is None else f"{percent}%"
                print(f"{r['system']:<28} {shown:>6} {r['param']:<11} {r['recall']:>9.4f} "
                      f"{r['qps']:>10.1f}")
    builds = [r for r in rows if r.get("event") == "build"]
    print("build (seconds): " + ", ".join(
        f"{r['system']} {r['threads']}t {r['seconds']:.2f}" for r in builds))
    print("resident growth during the one-thread build (MiB): " + ", ".join(
        f"{r['system']} {(r.get('index_bytes') or r['graph_bytes'] + r['vector_bytes']) / 2**20:.0f}"
        for r in builds if r["threads"] == 1 and ("index_bytes" in r or "graph_bytes" in r)))
    for line in store_lines(rows):
        print("store: " + line)
    if not HNSWLIB_FILTERS and ran(rows, "hnswlib"):
        print("note: Debian's hnswlib has no knn_query(filter=): its filtered search is not run")
    if not FAISS_FILTERS and ran(rows, "faiss-hnsw"):
        print("note: this FAISS has no SearchParametersHNSW/IDSelectorBitmap: its filtered "
              "search is not run")
    for line in target_lines(rows, n, dim):
        print("target: " + line)


def plot(path, results):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [(title, rows, None) for title, rows in results.items()]
    panels += [(f"{title}, filter {FILTER_PERCENTS[0]}%", rows, FILTER_PERCENTS[0])
               for title, rows in results.items()]
    fig, axes = plt.subplots(2, len(results), figsize=(6 * len(results), 9), squeeze=False)
    everyone = sorted({r["system"] for rows in results.values() for r in rows
                       if "recall" in r and not r.get("scan")})
    colour = {system: f"C{i}" for i, system in enumerate(everyone)}  # same in every panel
    for ax, (title, rows, percent) in zip(axes.T.flatten(), panels_by_column(panels, len(results))):
        for system in sorted({r["system"] for r in rows if "recall" in r and not r.get("scan")}):
            points = sorted((r["recall"], r["qps"]) for r in sweep(rows, system, percent))
            if points:
                ax.plot(*zip(*points), marker="o", label=system, color=colour[system])
        ax.set_yscale("log")
        ax.set_xlabel("recall@10")
        ax.set_ylabel("queries/s (one thread, log)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def panels_by_column(panels, datasets):
    """Column j holds dataset j: unfiltered on top, filtered below."""
    return [panels[i + offset] for i in range(datasets) for offset in (0, datasets)]


# ---- run --------------------------------------------------------------------------
PARAMS_FILE = "{name}.params.json"  # what the files under --work were made from


def dataset_params(name, args):
    """Everything the data files of `name` depend on: equal params, equal files."""
    params = {"dataset": name, "n": args.n, "queries": args.queries, "seed": args.seed,
              "k": K, "filters": list(FILTER_PERCENTS)}
    if name != "glove":
        params.update(dim=args.dim, clusters=args.clusters, chunk=SYNTHETIC_CHUNK)
    return params


def prepare(name, args, work):
    """Writes base, queries, labels and every truth file, or reuses those a previous run
    left in `work` from the same parameters; returns (files, metric)."""
    files = {part: os.path.join(work, f"{name}.{part}") for part in ("base", "queries", "labels")}
    for percent in FILTER_PERCENTS:
        files[f"truth{percent}"] = os.path.join(work, f"{name}.truth{percent}")
    files["truth"] = os.path.join(work, f"{name}.truth")
    metric = "angular" if name == "glove" else "l2"
    params_path = os.path.join(work, PARAMS_FILE.format(name=name))
    params = dataset_params(name, args)
    if os.path.exists(params_path) and all(os.path.exists(f) for f in files.values()):
        with open(params_path) as f:
            if json.load(f) == params:
                print(f"note: reusing the {name} files in {work} (same parameters)")
                return files, metric
    if os.path.exists(params_path):
        os.remove(params_path)  # the files are rewritten below: the old stamp no longer holds
    queries, metric = (load_glove if name == "glove" else make_synthetic)(args, files["base"])
    write_vectors(files["queries"], queries)
    write_labels(files["labels"], len(map_vectors(files["base"])), args.seed)
    subprocess.run([args.bench, "--make-truth", "--base", files["base"], "--queries",
                    files["queries"], "--truth", files["truth"], "--metric", metric]
                   + filter_flags(files), check=True)
    with open(params_path, "w") as f:  # last: a run cut short leaves no stamp
        json.dump(params, f)
    return files, metric


def python_peers(files, metric, efs, nprobes, systems):
    base, queries = map_vectors(files["base"]), map_vectors(files["queries"])
    if metric == "angular":  # FAISS's L2 on unit vectors ranks as the angle does
        base = base / np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-30)
        queries = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-30)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    truth = read_ids(files["truth"])
    labels = read_ids(files["labels"])[:, 0]
    filters = [(p, labels < p, read_ids(files[f"truth{p}"])) for p in FILTER_PERCENTS]
    rows = []
    for system, run in (("hnswlib",
                         lambda: run_hnswlib(base, queries, truth, metric, efs, filters)),
                        ("faiss-hnsw", lambda: run_faiss_hnsw(base, queries, truth, efs, filters)),
                        ("faiss-ivf", lambda: run_faiss_ivf(base, queries, truth, nprobes))):
        if system in systems:
            progress(f"{system} ...")
            for row in run():
                progress(json.dumps(row))
                rows.append(row)
    return rows, base.shape


def widest_failures(name, rows):
    """Systems (per filter) whose widest setting is at recall@10 <= 0.9: every filter
    for embedkit, the 10% filter for the peers."""
    failures = []
    # The exact scans' rescore sweeps are judged by their target lines, not here.
    keys = {(r["system"], r.get("filter")) for r in rows if "recall" in r and not r.get("scan")}
    for system, percent in sorted(keys, key=str):
        if system == "embedkit-exact" or (percent not in (None, FILTER_PERCENTS[0])
                                          and not system.startswith("embedkit")):
            continue  # peers at 1%: FAISS 1.7.3's filtered HNSW stops short by design
        widest = sweep(rows, system, percent)[-1]
        if widest["recall"] <= 0.9:
            failures.append(f"{name}: {system} filter={percent} {widest['param']} "
                            f"recall {widest['recall']:.3f}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="glove,synthetic")
    parser.add_argument("--n", type=int,
                        help="base rows (glove: all by default; synthetic: 1000000)")
    parser.add_argument("--dim", type=int, default=384, help="synthetic dimension")
    parser.add_argument("--clusters", type=int, default=256, help="synthetic mixture components")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--quick", action="store_true",
                        help="smoke: synthetic 2000 x 32, 100 queries; fail unless every "
                             "system reaches recall@10 > 0.9 at its widest setting, "
                             "filtered ones included")
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "tests", "bench", "ann",
                                                        "ek_ann_bench"))
    parser.add_argument("--work", default=None, help="folder for the data files")
    parser.add_argument("--plot", help="write a recall vs queries/s PNG here")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help="run only these (comma-separated; default all): "
                             + ", ".join(SYSTEMS))
    parser.add_argument("--ef", help="ef values to sweep (default 10,20,40,80,160,320)")
    parser.add_argument("--build-threads", default="1,2",
                        help="embedkit's build thread counts (core and f32 store)")
    parser.add_argument("--exact-queries", type=int, default=500,
                        help="queries the exact scans answer (a prefix of --queries)")
    parser.add_argument("--rows", help="run nothing: report the rows earlier runs on the same "
                                       "files echoed to these stderr logs (comma-separated)")
    args = parser.parse_args()
    systems = args.systems.split(",")
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        parser.error(f"--systems: unknown {', '.join(unknown)} (known: {', '.join(SYSTEMS)})")
    if args.quick:
        args.datasets, args.n, args.dim, args.queries, args.clusters = "synthetic", 2000, 32, 100, 16
    efs = [10, 20, 40, 80, 160, 320] if not args.quick else [10, 40, 160]
    if args.ef:
        efs = [int(ef) for ef in args.ef.split(",")]
    nprobes = [1, 2, 4, 8, 16, 32, 64, 128] if not args.quick else [1, 8, 32]
    faiss.omp_set_num_threads(1)

    import tempfile
    work_holder = None if args.work else tempfile.TemporaryDirectory(prefix="ek-ann-")
    work = args.work or work_holder.name
    os.makedirs(work, exist_ok=True)
    results, failures = {}, []
    for name in args.datasets.split(","):
        files, metric = prepare(name, args, work)
        if args.rows:
            rows = logged_rows(args.rows.split(","))
            n, dim = map_vectors(files["base"]).shape
        else:
            rows = run_embedkit(args, files, metric, efs) if "embedkit" in systems else []
            rows += run_embedkit_store(args, files, metric, efs, systems)
            if "embedkit-store-exact" in systems:
                rows += run_embedkit_store_exact(args, files, metric)
            rows += run_npm_peers(files, metric, efs, systems)
            python_rows, (n, dim) = python_peers(files, metric, efs, nprobes, systems)
            rows += python_rows
        print_table(name, n, dim, metric, args.queries, rows)
        results[f"{name} ({n} x {dim}, {metric})"] = rows
        failures += widest_failures(name, rows)
        sys.stdout.flush()
    if args.plot:
        plot(args.plot, results)
    if args.quick and failures:
        print("FAIL: recall@10 <= 0.9 at the widest setting: " + "; ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
