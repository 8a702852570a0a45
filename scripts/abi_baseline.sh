#!/usr/bin/env bash
# Regenerates the committed ABI baseline abi/abi-baseline.xml from a RelWithDebInfo
# build of libembedkit.so (abidw needs the debug info). Run it only when the host API
# changes on purpose (docs/abi.md, "Bumping on purpose"), then commit the XML with
# the header change and say why in the commit message.
#
#   scripts/abi_baseline.sh [path/to/libembedkit.so]
#
# Default library: build-rel/sdk/capi/libembedkit.so (configured and built here if
# missing). The test `abi_gate` (tests/reliability) compares every build against it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIB="${1:-}"
if [ -z "$LIB" ]; then
  BUILD_DIR="${BUILD_DIR:-$ROOT/build-rel}"
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DEK_BUILD_TESTS=OFF -DEK_BUILD_BENCH=OFF
  fi
  cmake --build "$BUILD_DIR" --target embedkit -j "${JOBS:-2}"
  LIB="$BUILD_DIR/sdk/capi/libembedkit.so"
fi
command -v abidw >/dev/null || { echo "abidw not found: apt-get install abigail-tools" >&2; exit 2; }
abidw --headers-dir "$ROOT/abi/include/embedkit" --drop-private-types \
  --exported-interfaces-only --no-corpus-path --no-comp-dir-path \
  --out-file "$ROOT/abi/abi-baseline.xml" "$LIB"
echo "wrote $ROOT/abi/abi-baseline.xml from $LIB" >&2
