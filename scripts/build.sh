#!/usr/bin/env bash
# Configures and builds the native tree into build/ (RelWithDebInfo, Ninja).
#   scripts/build.sh [extra cmake args...]
# BUILD_DIR overrides the folder; JOBS the parallelism (default: all cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ "$#" -gt 0 ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPython3_EXECUTABLE=/usr/bin/python3 "$@"
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
