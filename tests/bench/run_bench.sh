#!/usr/bin/env bash
# One benchmark session: the host's limits (ek_machine_limits: fp32 FMA peak on 1 and
# all cores, single-core read bandwidth, on the SIMD target the kernels use), our
# kernels (ek_bench_kernels), and the peer baselines on the same sizes (numpy+OpenBLAS,
# sqlite-vec, usearch), then a summary table of ratios to the peers and to the limits
# measured in this run (never to constants: hosts differ between sessions). Figures
# only; nothing here is a test.
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
cmake --build "$BUILD" --target ek_bench_kernels ek_machine_limits -j2 >/dev/null
LIMITS="$BUILD/tests/bench/ek_machine_limits"

echo "== machine"
{ nproc; grep -m1 'model name' /proc/cpuinfo; uptime; } | tee "$OUT/machine.txt"

echo "== machine limits: fp32 FMA peak, single-core read bandwidth (ek_machine_limits)"
"$LIMITS" --threads 1 --threads "$(nproc)" | tee "$OUT/limits.txt"

echo "== embedkit kernels (Google Benchmark, $REPS repetitions)"
"$BUILD/tests/bench/ek_bench_kernels" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$OUT/ours.json" --benchmark_out_format=json | tee "$OUT/ours.txt"

echo "== limits again (after our run)"
"$LIMITS" --threads 1 --threads "$(nproc)" | tee -a "$OUT/limits.txt"

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
/usr/bin/python3 "$ROOT/tests/bench/bench_summary.py" "$OUT"
