#!/usr/bin/env bash
# The prepared GPU check (issue 8): configure + build with CUDA, run the GPU/CPU
# parity tests (issue 19's quantized scan on a line of its own) and the GPU benchmark,
# then the rest of the test suite with backend "auto" on the GPU; print a summary and
# write it (and the logs) under $OUT.
# Budget: under 8 minutes on the H200 machine (16 cores); every stage has a timeout.
#
#   on a build machine, once:   tests/gpu/fetch_deps.sh      (Debian packages -> .gpu-deps)
#   on the GPU machine:         tests/gpu/device_check.sh    (device tool: carry .gpu-deps)
#
# Environment: OUT (default out/gpu), EK_GPU_BUILD (build dir, default build-gpu),
# EK_BENCH_ROWS (default 10000000), JOBS (default nproc).
set -u -o pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-$ROOT/out/gpu}
BUILD=${EK_GPU_BUILD:-build-gpu}
ROWS=${EK_BENCH_ROWS:-10000000}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
T0=$(date +%s)
say() { echo "$*" | tee -a "$SUMMARY"; }
elapsed() { echo $(( $(date +%s) - T0 )); }

say "== embedkit CUDA device check ($(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /' | tee -a "$SUMMARY"

# ---- Dependencies: the device image lacks the Debian -dev packages; unpack the carried
# ones into a private prefix (never into /).
CMAKE_EXTRA=()
if [ ! -f /usr/include/hwy/highway.h ] || [ ! -f /usr/include/simdjson.h ]; then
  if ls .gpu-deps/*.deb >/dev/null 2>&1; then
    PREFIX=/tmp/ek-deps
    mkdir -p "$PREFIX"
    for f in .gpu-deps/*.deb; do dpkg -x "$f" "$PREFIX"; done
    LIBDIR=$PREFIX/usr/lib/x86_64-linux-gnu
    export LD_LIBRARY_PATH=$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export CPATH=$PREFIX/usr/include${CPATH:+:$CPATH}
    export LIBRARY_PATH=$LIBDIR${LIBRARY_PATH:+:$LIBRARY_PATH}
    CMAKE_EXTRA+=(-DCMAKE_PREFIX_PATH="$PREFIX/usr" -DGTEST_ROOT="$PREFIX/usr"
                  -DSQLite3_INCLUDE_DIR="$PREFIX/usr/include" -DSQLite3_LIBRARY="$LIBDIR/libsqlite3.so")
    say "deps: unpacked $(ls .gpu-deps/*.deb | wc -l) carried packages into $PREFIX"
  else
    say "deps: MISSING hwy/simdjson headers and no .gpu-deps/*.deb (run tests/gpu/fetch_deps.sh and carry .gpu-deps)"
  fi
fi

NVCC=${CUDACXX:-}
[ -z "$NVCC" ] && NVCC=$(command -v nvcc || true)
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
GEN=(-G Ninja)
command -v ninja >/dev/null || GEN=()

# ---- Configure + build (CUDA ON: failing to find nvcc is an error here).
timeout 120 cmake -S . -B "$BUILD" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEK_WITH_CUDA=ON \
  ${NVCC:+-DCMAKE_CUDA_COMPILER="$NVCC"} -DEK_BUILD_TESTS=ON -DEK_BUILD_BENCH=ON \
  "${CMAKE_EXTRA[@]}" >"$OUT/configure.log" 2>&1
rc=$?
say "configure: rc=$rc ($(elapsed) s)"
if [ $rc -ne 0 ]; then tail -30 "$OUT/configure.log" | tee -a "$SUMMARY"; exit 1; fi

timeout 240 cmake --build "$BUILD" -j"$JOBS" --target ek_cuda_test ek_bench_cuda >"$OUT/build.log" 2>&1
rc=$?
say "build (ek_cuda_test, ek_bench_cuda): rc=$rc ($(elapsed) s)"
if [ $rc -ne 0 ]; then grep -E "error|Error" "$OUT/build.log" | head -30 | tee -a "$SUMMARY"; exit 1; fi

# ---- Parity tests (GPU vs CPU); the quantized scan's (issue 19) run apart, below.
timeout 180 "$BUILD/tests/sdk/cuda/ek_cuda_test" --gtest_brief=0 --gtest_filter='-*Quantized*' \
  >"$OUT/parity.log" 2>&1
rc=$?
say "parity tests: rc=$rc ($(elapsed) s)"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[==========\]|Failure|Expected|Which is|actual" "$OUT/parity.log" | head -40 | tee -a "$SUMMARY"
timeout 120 "$BUILD/tests/sdk/cuda/ek_cuda_test" --gtest_filter='*Quantized*' >"$OUT/quantized.log" 2>&1
rc=$?
say "quantized scan parity (f16/int8): rc=$rc ($(elapsed) s)"
grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[==========\]|Failure|Expected|Which is|actual" "$OUT/quantized.log" | head -30 | tee -a "$SUMMARY"

# ---- Benchmark.
timeout 200 "$BUILD/tests/bench/cuda/ek_bench_cuda" --rows "$ROWS" --dim 384 --reps 10 >"$OUT/bench.log" 2>&1
rc=$?
say "benchmark: rc=$rc ($(elapsed) s)"
tee -a "$SUMMARY" <"$OUT/bench.log"

# ---- The rest of the suite with backend auto = cuda, if time is left (8-minute budget).
left=$(( 450 - $(elapsed) ))
if [ $left -gt 90 ]; then
  timeout $(( left - 60 )) cmake --build "$BUILD" -j"$JOBS" >"$OUT/build_all.log" 2>&1
  rc=$?
  say "build (all): rc=$rc ($(elapsed) s)"
  left=$(( 460 - $(elapsed) ))
  if [ $rc -eq 0 ] && [ $left -gt 20 ]; then
    (cd "$BUILD" && timeout $(( left - 10 )) ctest -j"$JOBS" --output-on-failure -E "bench" >"$OUT/ctest.log" 2>&1)
    rc=$?
    say "ctest (all but benchmarks): rc=$rc ($(elapsed) s)"
    grep -E "tests passed|tests failed|\(Failed\)|\(Timeout\)|\(SEGFAULT\)|\*\*\*" "$OUT/ctest.log" | head -30 | tee -a "$SUMMARY"
  fi
else
  say "ctest: skipped, $(elapsed) s used of the 8-minute budget"
fi
say "== done in $(elapsed) s"
