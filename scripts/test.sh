#!/usr/bin/env bash
# Builds everything and runs every test suite. Exit status is non-zero if any
# suite fails. Run scripts/setup.sh first (the README's command does).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
JOBS="${JOBS:-$(nproc)}"
export BUILD_DIR JOBS

echo "== native build" >&2
"$ROOT/scripts/build.sh"
echo "== native tests (ctest)" >&2
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
echo "== all test suites passed" >&2
