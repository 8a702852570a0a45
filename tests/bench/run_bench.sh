#!/usr/bin/env bash
# One benchmark session: read bandwidth (bw.c), our kernels (ek_bench_kernels), and the
# peer baselines on the same sizes (numpy+OpenBLAS, sqlite-vec, usearch), then a
# summary table of ratios. Figures only; nothing here is a test.
#
#   tests/bench/run_bench.sh [build-dir]        (default: build-bench; run from anywhere)
#
# Env: EK_BENCH_REPS (default 5) repetitions per benchmark (medians are reported),
#      EK_BENCH_SIZES (default "100000 1000000") peer sizes, EK_BENCH_SKIP_PEERS=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/build-bench}
PEERS=$(cd "$ROOT/../shared/tools/peers" && pwd)
NPM=$ROOT/tools/npm
VEC0=$NPM/node_modules/sqlite-vec-linux-x64/vec0.so
REPS=${EK_BENCH_REPS:-5}
SIZES=${EK_BENCH_SIZES:-"100000 1000000"}
OUT=$(mktemp -d /tmp/ek_bench.XXXXXX)
echo "== results in $OUT"

echo "== build"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target ek_bench_kernels -j2 >/dev/null
gcc -O3 -march=native "$PEERS/bw.c" -o "$OUT/bw"

echo "== machine"
{ nproc; grep -m1 'model name' /proc/cpuinfo; uptime; } | tee "$OUT/machine.txt"

echo "== single-core read bandwidth (bw.c)"
"$OUT/bw" 2>/dev/null | tee "$OUT/bw.txt"

echo "== embedkit kernels (Google Benchmark, $REPS repetitions)"
"$BUILD/tests/bench/ek_bench_kernels" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$OUT/ours.json" --benchmark_out_format=json | tee "$OUT/ours.txt"

echo "== bandwidth again (after our run)"
"$OUT/bw" 2>/dev/null | tee -a "$OUT/bw.txt"

: >"$OUT/peers.txt"
if [ "${EK_BENCH_SKIP_PEERS:-0}" != 1 ]; then
  for N in $SIZES; do
    echo "== peers N=$N D=384"
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$PEERS/knn_numpy.py" "$N" 384 | tee -a "$OUT/peers.txt"
    (cd "$NPM" && node "$PEERS/knn_usearch.mjs" "$N" 384) | tee -a "$OUT/peers.txt"
    /usr/bin/python3 "$PEERS/knn_sqlite_vec.py" "$VEC0" "$N" 384 | tee -a "$OUT/peers.txt"
  done
fi

echo "== summary"
/usr/bin/python3 - "$OUT" <<'PY'
import json, re, sys, os
out = sys.argv[1]
bws = [float(m) for m in re.findall(r"best of 5\): ([\d.]+)", open(os.path.join(out, "bw.txt")).read())]
bw = max(bws) if bws else float("nan")
data = json.load(open(os.path.join(out, "ours.json")))
ours = {}
for b in data["benchmarks"]:
    if b.get("run_type") != "aggregate":
        continue
    ours.setdefault(b["run_name"], {})[b["aggregate_name"]] = b
peers = {}
for line in open(os.path.join(out, "peers.txt")):
    m = re.match(r"(numpy|usearch|sqlite-vec)\S*(?: \S+)* N=(\d+) D=\d+: ([\d.]+) queries/s, ([\d.]+) GB/s", line)
    if m:
        peers[(m.group(1), int(m.group(2)))] = (float(m.group(3)), float(m.group(4)))

def med(name, key):
    a = ours.get(name, {}).get("median")
    return a[key] if a and key in a else float("nan")

def best(name, key):
    a = ours.get(name, {}).get("max")
    return a[key] if a and key in a else float("nan")

peak = 117.0
threads_all = max([int(med(n, "threads")) for n in ours if n.startswith("ScanSingle")] or [1])
print(f"read bandwidth (bw.c best of 5, max of the runs before/after): {bw:.1f} GB/s  {bws}")
print()
print("one-vs-many, 150 MiB base, 1 thread (median GB/s; ratio to bw)")
for metric in ("dot", "l2", "cosine"):
    row = []
    for dim in (128, 384, 768, 1536):
        g = med(f"OneVsMany/{metric}/{dim}/real_time", "GB/s")
        row.append(f"d{dim}: {g:5.1f} ({g / bw:4.0%})")
    print(f"  {metric:6s} " + "  ".join(row))
print()
hdr = f"{'scan (dim 384, top-10)':36s} {'ours':>22s} {'/bw':>6s} {'/usearch':>9s} {'/numpy':>7s} {'/sqlite-vec':>11s}"
print(hdr)
for n in (100000, 1000000):
    for t in sorted({1, threads_all}):
        name = f"ScanSingle/rows:{n}/threads:{t}/real_time"
        if name not in ours:
            continue
        g, q = med(name, "GB/s"), med(name, "queries/s")
        us = peers.get(("usearch", n), (float("nan"),) * 2)[0]
        npq = peers.get(("numpy", n), (float("nan"),) * 2)[0]
        sv = peers.get(("sqlite-vec", n), (float("nan"),) * 2)[0]
        extra = f"   (cpu-time {med(name, 'cpu_GB/s'):.1f} GB/s = {med(name, 'cpu_GB/s') / bw:.0%}; best rep {best(name, 'GB/s'):.1f})" if t == 1 else ""
        print(f"  single query N={n:<8d} threads={t}   {q:8.1f} q/s {g:5.1f} GB/s {g / bw:6.0%} {q / us:9.2f} {q / npq:7.2f} {q / sv:11.2f}{extra}")
for n in (100000, 1000000):
    for t in sorted({1, threads_all}):
        name = f"ScanBatch/rows:{n}/threads:{t}/real_time"
        if name not in ours:
            continue
        gf = med(name, "GFLOP/s")
        print(f"  100-query batch N={n:<8d} threads={t}   {gf:6.1f} GFLOP/s = {gf / (peak * t):5.1%} of {t} x {peak:.0f} GFLOP/s peak"
              f"   (best rep {best(name, 'GFLOP/s'):.1f}" + (f"; cpu-time {med(name, 'cpu_GFLOP/s'):.1f} = {med(name, 'cpu_GFLOP/s') / peak:.1%})" if t == 1 else ")"))
print()
print("peers (median queries/s, GB/s):")
for (k, n), (q, g) in sorted(peers.items()):
    print(f"  {k:10s} N={n:<8d} {q:8.1f} q/s {g:6.2f} GB/s  ({g / bw:4.0%} of bw)")
print()
for kind in ("ScanSingle", "ScanBatch"):
    for n in (100000, 1000000):
        one = ours.get(f"{kind}/rows:{n}/threads:1/real_time", {}).get("median")
        alln = ours.get(f"{kind}/rows:{n}/threads:{threads_all}/real_time", {}).get("median")
        if one and alln and threads_all > 1:
            print(f"  {kind} N={n}: {threads_all} threads {one['real_time'] / alln['real_time']:.2f}x faster than 1")
PY
