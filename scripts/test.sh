#!/usr/bin/env bash
# Builds everything and runs every test suite. Exit status is non-zero if any
# suite fails. Run scripts/setup.sh first (the README's command does).
#
# Stages (docs/reliability.md), each in its own build folder:
#   native  build/       RelWithDebInfo, every test (incl. the ABI gate)
#   wasm    build-wasm/  emcc build of the SDK + every plugin, its GoogleTest suites and
#                        C API test under node, the JS package's node:test files (API,
#                        extensions, persistence, memory, cross-backend fixture) and the
#                        web page in Debian's chromium (scripts/test_wasm.sh)
#   asan    build-asan/  the whole native suite under ASan+UBSan (+ a self-check)
#   tsan    build-tsan/  the concurrency tests under TSan (ctest -L concurrency)
#   fuzz    build-fuzz/  clang-14 libFuzzer targets: seed replay + a 60 s smoke of
#                        every target (FUZZ_JOBS at once; ~1.5 min build + ~4 min)
# The default (the README's command and CI) is the native, wasm and fuzz stages:
# together they fit the CI budget of 40 minutes on 2 cores (docs/reliability.md has
# the times). The sanitizer stages rebuild the whole tree and are run on demand:
# STAGES="asan tsan" scripts/test.sh (docs/reliability.md). FUZZ_SECONDS changes the
# smoke's seconds per target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"
STAGES="${STAGES:-native wasm fuzz}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
export BUILD_DIR JOBS
has_stage() { [[ " $STAGES " == *" $1 "* ]]; }
stamp() { echo "== [$(date +%T), +$((SECONDS))s] $*" >&2; }

if has_stage native; then
  stamp "native build"
  "$ROOT/scripts/build.sh"
  stamp "native tests (ctest)"
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
fi

# ---- WebAssembly: the same suites under node, the JS package, the page in chromium ----
if has_stage wasm; then
  stamp "wasm build + tests (scripts/test_wasm.sh)"
  "$ROOT/scripts/test_wasm.sh"
fi

# ---- ASan + UBSan: the whole native suite -------------------------------------------
if has_stage asan; then
  ASAN_DIR="$ROOT/build-asan"
  stamp "asan+ubsan build ($ASAN_DIR)"
  if [ ! -f "$ASAN_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DEK_SANITIZE=ON -DEK_BUILD_BENCH=OFF -DEK_WITH_CUDA=OFF -DPython3_EXECUTABLE=/usr/bin/python3
  fi
  cmake --build "$ASAN_DIR" -j "$JOBS"
  stamp "asan+ubsan tests (ctest)"
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    ctest --test-dir "$ASAN_DIR" --output-on-failure -j "$JOBS" --timeout 900
fi

# ---- TSan: threads and processes on one context / store ------------------------------
if has_stage tsan; then
  TSAN_DIR="$ROOT/build-tsan"
  stamp "tsan build ($TSAN_DIR, concurrency targets only)"
  if [ ! -f "$TSAN_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$TSAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DEK_SANITIZE_THREAD=ON -DEK_BUILD_BENCH=OFF -DEK_WITH_CUDA=OFF -DPython3_EXECUTABLE=/usr/bin/python3
  fi
  cmake --build "$TSAN_DIR" -j "$JOBS" --target concurrency_test ek_store_writer \
    sanitizer_selfcheck ek_base_test
  stamp "tsan tests (ctest -L concurrency)"
  # setarch -R: TSan's shadow layout needs the classic address-space layout on
  # kernels with high mmap randomisation.
  TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}" \
    setarch "$(uname -m)" -R ctest --test-dir "$TSAN_DIR" --output-on-failure -j "$JOBS" \
    --timeout 900 -L concurrency
  # The gtest-discovered Concurrency.* cases are listed by ctest only after discovery
  # (PRE_TEST), so -L does not select them: run their program directly too.
  TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}" \
    setarch "$(uname -m)" -R "$TSAN_DIR/tests/reliability/concurrency_test" --gtest_brief=1
  TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}" \
    setarch "$(uname -m)" -R "$TSAN_DIR/tests/sdk/base/ek_base_test" --gtest_brief=1
fi

# ---- libFuzzer: seed replay + smoke ---------------------------------------------------
if has_stage fuzz; then
  FUZZ_DIR="$ROOT/build-fuzz"
  stamp "fuzz build ($FUZZ_DIR, clang-14)"
  if [ ! -f "$FUZZ_DIR/build.ninja" ]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$FUZZ_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEK_FUZZ=ON -DEK_BUILD_BENCH=OFF -DEK_WITH_CUDA=OFF \
      -DPython3_EXECUTABLE=/usr/bin/python3
  fi
  cmake --build "$FUZZ_DIR" -j "$JOBS" --target ek_fuzz_all
  stamp "fuzz seed replay (ctest -L fuzz)"
  ctest --test-dir "$FUZZ_DIR" --output-on-failure -j "$JOBS" --timeout 600 -L fuzz
  stamp "fuzz smoke (${FUZZ_SECONDS}s per target)"
  "$ROOT/tests/fuzz/run_fuzz.sh" "$FUZZ_DIR" "$FUZZ_SECONDS"
fi
stamp "all test suites passed"
