#!/bin/sh
# Peak resident memory of `embedkit store import` of ROWS x DIM float32 vectors into a
# new store (default 200,000 x 384: 307 MB of vectors), by /usr/bin/time -v. An import
# should hold about one batch (1,000 rows) in memory, not the collection: the store
# makes no in-memory copy of a collection until something searches it. Not run by
# ctest (it writes ~700 MB under TMPDIR); figures: docs/storage.md.
#
#   tests/bench/store/import_rss.sh [EMBEDKIT] [ROWS] [DIM]
set -e
E=${1:-build/sdk/cli/embedkit}
ROWS=${2:-200000}
DIM=${3:-384}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
# Random bytes with bit 30 of each float cleared: exponents below 128, so every value
# is finite (|x| < 2) and none is rejected as NaN or Inf.
python3 - "$W/v.f32" "$ROWS" "$DIM" <<'PY'
import os, sys
path, rows, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunk = 1 << 20
mask = int.from_bytes(b"\xff\xff\xff\xbf" * (chunk // 4), "little")
left = rows * dim * 4
with open(path, "wb") as f:
    while left:
        n = min(chunk, left)
        f.write((int.from_bytes(os.urandom(n), "little") & mask).to_bytes(n, "little"))
        left -= n
PY
/usr/bin/time -v "$E" -q store import "$W/s.ekdb" -c v --dim "$DIM" --vectors "$W/v.f32" \
  2> "$W/time.txt"
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$W/time.txt")
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$W/time.txt")
echo "rows $ROWS dim $DIM max_rss_kb $rss wall $wall"
