#!/usr/bin/env bash
# Builds the WebAssembly tree and runs its suites under node: the GoogleTest suites and
# the pure-C API test compiled with emcc, the JS package's node:test files, and the
# chromium test of samples/web (label "browser"). Exit status is non-zero if any fails.
#   scripts/test_wasm.sh            (after scripts/setup.sh)
# WASM_BUILD_DIR, JOBS as for scripts/build_wasm.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${WASM_BUILD_DIR:-$ROOT/build-wasm}"
JOBS="${JOBS:-$(nproc)}"
export WASM_BUILD_DIR="$BUILD_DIR" JOBS

echo "== wasm build" >&2
"$ROOT/scripts/build_wasm.sh"
echo "== wasm tests (ctest under node)" >&2
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 900
echo "== wasm suites passed" >&2
