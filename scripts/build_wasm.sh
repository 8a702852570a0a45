#!/usr/bin/env bash
# Configures (emcmake) and builds the WebAssembly tree into build-wasm/: the SDK's
# libraries and tests compiled with Debian's emscripten, and the npm package's module
# (wasm/js/dist/embedkit_core.{cjs,mjs,wasm}). Run scripts/setup.sh first: it fetches
# the Debian source packages the WASM build compiles (.deps/src).
#   scripts/build_wasm.sh [extra cmake args...]
# WASM_BUILD_DIR overrides the folder; JOBS the parallelism (default: all cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${WASM_BUILD_DIR:-$ROOT/build-wasm}"
JOBS="${JOBS:-$(nproc)}"
# emcc at -O1 and above runs acorn through node and needs Debian's module folder.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ "$#" -gt 0 ]; then
  # emcmake's default test emulator passes a flag Node 20 rejects: plain node instead.
  emcmake cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CROSSCOMPILING_EMULATOR=/usr/bin/node -Wno-dev "$@"
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
ls -l "$ROOT/wasm/js/dist/embedkit_core.wasm" >&2
