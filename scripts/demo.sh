#!/usr/bin/env bash
# embedkit demo: drives the `embedkit` CLI over real data, one section per feature.
#
#   scripts/setup.sh && scripts/demo.sh   # README: set up, build, every section
#   scripts/demo.sh                  # every section (builds build/ first)
#   scripts/demo.sh store            # only the named sections
#
# Environment:
#   EMBEDKIT_BIN       the CLI (default: build/sdk/cli/embedkit, built by scripts/build.sh)
#   EMBEDKIT_DEMO_DIR  where stores and query files go (default: out/demo)
#
# Data: the 778 all-MiniLM-L6-v2 vectors (dim 384) of @sap-ux/fiori-docs-embeddings,
# installed by scripts/setup.sh under tools/npm/node_modules. Exits 77 ("skipped")
# when they are missing. Every section checks its results and fails loudly.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${EMBEDKIT_BIN:-}" ]; then
  echo "== building (scripts/build.sh)" >&2
  "$ROOT/scripts/build.sh" >&2
fi
BIN="${EMBEDKIT_BIN:-$ROOT/build/sdk/cli/embedkit}"
OUT="${EMBEDKIT_DEMO_DIR:-$ROOT/out/demo}"
DATA="$ROOT/tools/npm/node_modules/@sap-ux/fiori-docs-embeddings/data/embeddings"
VECTORS="$DATA/embeddings.bin"
RECORDS="$DATA/records.jsonl"
DIM=384

# ---- helpers ---------------------------------------------------------------------
if [ -t 1 ]; then BOLD=$'\033[1m'; DIM_=$'\033[2m'; RESET=$'\033[0m'; else BOLD=; DIM_=; RESET=; fi
section() { printf '\n%s== %s ==%s\n' "$BOLD" "$*" "$RESET"; }
say() { printf '%s# %s%s\n' "$DIM_" "$*" "$RESET"; }
# Shows the command (as "embedkit", with $DATA/$OUT for the long paths and quotes
# where the shell needs them), then runs it.
ek() {
  local shown="" a safe='^[][A-Za-z0-9_./:,=+@%$-]+$'
  for a in "$@"; do
    a="${a//"$DATA"/\$DATA}"
    a="${a//"$OUT"/\$OUT}"
    [[ "$a" =~ $safe ]] || a="'$a'"
    shown+=" $a"
  done
  printf '%s$ embedkit%s%s\n' "$BOLD" "$shown" "$RESET"
  "$BIN" "$@"
}
fail() { printf 'demo.sh: FAILED: %s\n' "$*" >&2; exit 1; }
# The id of record number $1 (1-based line of records.jsonl).
record_id() { sed -n "${1}p" "$RECORDS" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d '"' -f 4; }
# Value of a top-level integer field in a one-line JSON document on stdin.
json_int() { grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d : -f 2; }

# ---- section: store -----------------------------------------------------------------
# SQLite vector store: create, bulk import with metadata, info, searches.
demo_store() {
  section "store: import ${DIM}-dim sentence embeddings into SQLite and search them"
  local store="$OUT/fiori.db"
  rm -f "$store" "$store-wal" "$store-shm"
  say "DATA=$DATA"
  say "OUT=$OUT"

  ek version
  ek store create "$store" --collection fiori --dim "$DIM" --metric cosine

  say "778 vectors (embeddings.bin, float32 rows) + their records (ids, titles, texts)"
  ek store import "$store" --collection fiori --vectors "$VECTORS" --records "$RECORDS" \
    --metadata all --batch 200
  ek store info "$store"
  local count
  count=$("$BIN" --json store info "$store" --collection fiori | json_int count)
  [ "$count" = 778 ] || fail "store holds $count vectors, expected 778"

  local id
  id=$(record_id 1)
  say "more like this: the documents closest to '$id'"
  ek store search "$store" --collection fiori --like "$id" -k 5 --show title,category

  id=$(record_id 400)
  say "more like this, only within one category"
  local category
  category=$(sed -n 400p "$RECORDS" | grep -o '"category":"[^"]*"' | head -n 1 | cut -d '"' -f 4)
  ek store search "$store" --collection fiori --like "$id" -k 5 --show title,category \
    --filter "{\"category\":\"$category\"}"

  say "a query vector read from a file: row 100 of embeddings.bin, cut out with dd,"
  say "finds its own document first (score 1)"
  local query="$OUT/query.f32"
  dd if="$VECTORS" of="$query" bs=$((DIM * 4)) skip=100 count=1 status=none
  ek store search "$store" --collection fiori --vector-file "$query" -k 3 --show title
  local top
  top=$("$BIN" --json store search "$store" --collection fiori --vector-file "$query" -k 1 \
          | grep -o '"id":"[^"]*"' | head -n 1 | cut -d '"' -f 4)
  [ "$top" = "$(record_id 101)" ] || fail "row 100 should find itself first, got '$top'"

  say "a query no document equals: the normalised sum of rows 0 and 399 (deployment +"
  say "table annotations) written as float32 by python3; its neighbours mix both topics"
  local mixed="$OUT/mixed.f32"
  python3 - "$VECTORS" "$mixed" "$DIM" <<'PY'
import math, struct, sys
src, dst, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, "rb") as f:
    raw = f.read()
row = lambda i: struct.unpack_from(f"<{dim}f", raw, i * 4 * dim)
v = [a + b for a, b in zip(row(0), row(399))]
n = math.sqrt(sum(x * x for x in v))
with open(dst, "wb") as f:
    f.write(struct.pack(f"<{dim}f", *(x / n for x in v)))
PY
  ek store search "$store" --collection fiori --vector-file "$mixed" -k 6 --show title,category

  say "the same search for scripts (--json, first 300 characters)"
  "$BIN" --json store search "$store" --collection fiori --vector-file "$query" -k 3 \
    --show title | cut -c 1-300
}

# ---- section: json ------------------------------------------------------------------
# vsa_json: every country record (nested JSON) becomes one 1024-d vector (MBAT with
# orthogonal role matrices); search by a partial document; read fields back out.
demo_json() {
  section "json: 250 nested country records -> one vector each (vsa_json, MBAT)"
  local countries="$ROOT/tools/npm/node_modules/world-countries/countries.json"
  [ -f "$countries" ] || { say "skipped: $countries not found (run scripts/setup.sh)"; return 0; }
  local store="$OUT/countries.db"
  rm -f "$store" "$store-wal" "$store-shm"
  ek json encode "$countries" --db "$store" --collection countries --id-field cca3 --dim 1024
  say "a partial document as the query: Nordic, Swedish-speaking"
  ek json search --db "$store" --collection countries -k 5 \
    --query '{"region":"Europe","subregion":"Northern Europe","languages":{"swe":"Swedish"}}'
  local top
  top=$("$BIN" --json json search --db "$store" --collection countries -k 1 \
    --query '{"region":"Europe","subregion":"Northern Europe","languages":{"swe":"Swedish"}}' |
    grep -o '"id":"[A-Z]*"' | head -n 1 | cut -d '"' -f 4)
  case "$top" in SWE|ALA|FIN) ;; *) fail "json search: expected a Swedish-speaking Nordic country first, got '$top'";; esac
  say "unbinding a stored vector along a key path recovers the value"
  ek json probe --db "$store" --collection countries --id FRA --path 'capital[0]' -k 3
  ek json probe --db "$store" --collection countries --id JPN --path region -k 3
  "$BIN" --json json probe --db "$store" --collection countries --id JPN --path region -k 1 |
    grep -q '"value":"Asia"' || fail "json probe: JPN region should decode to Asia"
}

# ---- main ----------------------------------------------------------------------------
# Later features add a demo_<name> function above and their name here.
SECTIONS=(store json)

[ -x "$BIN" ] || { echo "demo.sh: no embedkit binary at $BIN (build first, or set EMBEDKIT_BIN)" >&2; exit 1; }
if [ ! -f "$VECTORS" ] || [ ! -f "$RECORDS" ]; then
  echo "demo.sh: skipped: $DATA not found (run scripts/setup.sh)" >&2
  exit 77
fi
mkdir -p "$OUT"

selected=("$@")
[ "${#selected[@]}" -gt 0 ] || selected=("${SECTIONS[@]}")
for name in "${selected[@]}"; do
  if ! declare -F "demo_$name" >/dev/null; then
    echo "demo.sh: unknown section '$name' (sections: ${SECTIONS[*]})" >&2
    exit 2
  fi
  "demo_$name"
done
printf '\n%sdemo finished%s (stores and query files in %s)\n' "$BOLD" "$RESET" "$OUT"
