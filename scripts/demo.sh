#!/usr/bin/env bash
# embedkit demo: drives the `embedkit` CLI (and, in the sql section, Debian's sqlite3 shell
# with the SQL extension) over real data, one section per feature.
#
#   scripts/setup.sh && scripts/demo.sh   # README: set up, build, every section
#   scripts/demo.sh                  # every section (builds build/ first)
#   scripts/demo.sh store            # only the named sections
#
# Environment:
#   EMBEDKIT_BIN       the CLI (default: build/sdk/cli/embedkit, built by scripts/build.sh)
#   EMBEDKIT_DEMO_DIR  where stores and query files go (default: out/demo)
#   EMBEDKIT_SQLITE    the SQL extension for the sql section (default: beside the CLI's
#                      build tree, build/sdk/sql/libembedkit_sqlite.so)
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
show() {
  local shown="" a safe='^[][A-Za-z0-9_./:,=+@%$-]+$'
  for a in "$@"; do
    a="${a//"$DATA"/\$DATA}"
    a="${a//"$OUT"/\$OUT}"
    [ -n "${SHARED:-}" ] && a="${a//"$SHARED"/\$SHARED}"
    [[ "$a" =~ $safe ]] || a="'$a'"
    shown+=" $a"
  done
  printf '%s$ embedkit%s%s\n' "$BOLD" "$shown" "$RESET"
}
ek() {
  show "$@"
  "$BIN" "$@"
}
# ek_json FILE ARGS...: shows and runs `embedkit --json ARGS > FILE` (for checks).
ek_json() {
  local file="$1"
  shift
  show --json "$@"
  "$BIN" --json "$@" > "$file"
  printf '%s# (JSON written to %s)%s\n' "$DIM_" "${file//"$OUT"/\$OUT}" "$RESET"
}
fail() { printf 'demo.sh: FAILED: %s\n' "$*" >&2; exit 1; }
# One line per section for the closing report.
SUMMARY=()
report() { SUMMARY+=("$(printf '%-9s %s' "$1" "$2")"); }
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
  report store "778 MiniLM vectors (dim $DIM) in $store; row 100 finds itself first"

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
  say "the plugin's own state: its encoder configuration, in the store's key/value state"
  ek store kv list "$store" embedkit.vsa_json
  "$BIN" --json store kv get "$store" embedkit.vsa_json countries/config | grep -q '"dim":1024' ||
    fail "store kv: embedkit.vsa_json countries/config should hold the encoding's dim 1024"
  report json "250 countries -> 1024-d vectors in $store; nearest to a Nordic query: $top; JPN.region decodes to Asia; its config read back by store kv"
}

# ../shared/data (read in place, never copied): the text, schema and rec sections use
# it when present and say so when not.
SHARED="${EMBEDKIT_SHARED_DATA:-$ROOT/../shared/data}"
need_shared() {
  [ -e "$SHARED/$1" ] && return 0
  say "skipped: $SHARED/$1 not found (the real data of ../shared/data is read in place)"
  report "${FUNCNAME[1]#demo_}" "skipped: $SHARED/$1 not found"
  return 1
}
# Value of a top-level number field in a one-line JSON document on stdin.
json_num() { grep -o "\"$1\":[-0-9.e]*" | head -n 1 | cut -d : -f 2; }

# ---- section: classify ----------------------------------------------------------------
# text_classify: labels given only as keywords, a corpus without labels; Lbl2Vec builds
# each label's vector from the documents nearest its keywords. Scored on R8 (Reuters).
demo_classify() {
  section "classify: Reuters R8 from 8 keyword lists, no labelled training data (text_classify)"
  need_shared text/r8.jsonl || return 0
  say "SHARED=$SHARED"
  local glove="$ROOT/.deps/glove/glove-6b-100d.ekwv" embedder=(--embedder hashing)
  [ -f "$glove" ] && embedder=(--embedder glove --glove "$glove")
  say "the label file holds a few keywords per class, e.g. earn: $(grep -o '"earn": *\[[^]]*\]' \
    "$SHARED/text/labels/r8.json" | head -n 1 | cut -c 1-70)"
  local out="$OUT/r8_eval.json"
  ek_json "$out" classify eval -l "$SHARED/text/labels/r8.json" -d "$SHARED/text/r8.jsonl" \
    --split test "${embedder[@]}"
  local f1
  f1=$(json_num micro_f1 < "$out")
  say "micro-F1 on the R8 test split: $f1 (labels used for scoring only; full report $out)"
  /usr/bin/python3 -c "import sys; sys.exit(0 if float('$f1') >= 0.6 else 1)" ||
    fail "classify: R8 micro-F1 $f1 is below 0.6"
  report classify "R8 test micro-F1 $(printf '%.3f' "$f1") from keywords only (${embedder[1]}); model saved in $OUT/models.db"
  say "fit once, save the model into SQLite, label new texts from the saved model"
  local store="$OUT/models.db" docs="$OUT/new_texts.jsonl"
  rm -f "$store" "$store-wal" "$store-shm"
  ek classify fit -l "$SHARED/text/labels/r8.json" -d "$SHARED/text/r8.jsonl" --split train \
    -s "$store" -m r8 "${embedder[@]}"
  cat > "$docs" <<'JSONL'
{"id":"a","text":"The company reported quarterly net profit of 12 million dollars, up from 9 million, on higher revenue."}
{"id":"b","text":"Crude oil prices rose after OPEC agreed to cut production quotas next month."}
{"id":"c","text":"The central bank raised interest rates to defend the currency on the foreign exchange market."}
JSONL
  ek classify predict -s "$store" -m r8 -d "$docs"
}

# ---- section: match -------------------------------------------------------------------
# table_match: the IMDB schema's columns against the Sakila schema (LLMatch benchmark),
# ranked with explanations, then scored against the benchmark's gold pairs.
demo_match() {
  section "match: IMDB columns -> Sakila schema, ranked and explained (table_match)"
  need_shared schema/llmatch/schemas/imdb-schema.json || return 0
  local L="$SHARED/schema/llmatch"
  ek match -s "$L/schemas/imdb-schema.json" -t "$L/schemas/sakila-schema.json" -k 2 --matches-only |
    head -n 24
  local out="$OUT/imdb_sakila_eval.json"
  ek_json "$out" match eval -s "$L/schemas/imdb-schema.json" -t "$L/schemas/sakila-schema.json" \
    -g "$L/gold/IMDB-SAKILA-ground_truth.csv"
  say "against the gold pairs: precision $(json_num precision < "$out"), recall" \
    "$(json_num recall < "$out"), F1 $(json_num f1 < "$out"), Hit@5 $(json_num hit5 < "$out")"
  local hit5
  hit5=$(json_num hit5 < "$out")
  /usr/bin/python3 -c "import sys; sys.exit(0 if float('$hit5') >= 0.3 else 1)" ||
    fail "match: Hit@5 $hit5 on IMDB->Sakila is below 0.3"
  report match "IMDB->Sakila F1 $(printf '%.2f' "$(json_num f1 < "$out")"), Hit@5 $(printf '%.2f' "$hit5") (gold pairs of LLMatch), offline"
}

# ---- section: rec ---------------------------------------------------------------------
# rec_unlearn: a BPR recommender on MovieLens-100K, then a user is forgotten on request
# (MMRecUn) and the unlearning is compared with retraining from scratch.
demo_rec() {
  section "rec: MovieLens-100K recommender that forgets on request (rec_unlearn, MMRecUn)"
  need_shared rec/ml-100k/u.data || return 0
  local ML="$SHARED/rec/ml-100k" store="$OUT/movies.db"
  rm -f "$store" "$store-wal" "$store-shm"
  ek rec train "$store" -i "$ML/u.data" --items "$ML/u.item" --config '{"dim":64,"epochs":30,"lr":0.005}'
  ek rec recommend "$store" -u 196 -k 5
  say "user 196 asks to be forgotten: their rows are deleted (secure_delete), the model"
  say "unlearns them, and the ledger keeps only counts and a digest"
  ek rec forget "$store" --users 196
  if "$BIN" -q rec recommend "$store" -u 196 -k 5 >/dev/null 2>&1; then
    fail "rec: user 196 still gets recommendations after being forgotten"
  fi
  say "user 196 is unknown now; MMRecUn against retraining from scratch (Gold) on 5% of users:"
  local out="$OUT/rec_eval.json"
  ek_json "$out" rec eval -i "$ML/u.data" --items "$ML/u.item" --forget users --fraction 0.05 \
    --seed 1 --methods mmrecun,gold
  /usr/bin/python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for m in ("mmrecun", "gold"):
    x = r[m]
    print(f"  {m:8s} recall@20 {x['recall@20']:.4f}  forget_recall@20 {x['forget_recall@20']:.4f}  time {x['time_s']:.3f} s")
print(f"  MMRecUn keeps {r['mmrecun']['recall@20'] / r['gold']['recall@20']:.0%} of Gold's recall, "
      f"{r['gold']['time_s'] / max(r['mmrecun']['time_s'], 1e-9):.1f}x faster")
PY
  report rec "$(/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"user 196 forgotten from {sys.argv[2]}; 5% of users: MMRecUn keeps {r['mmrecun']['recall@20']/r['gold']['recall@20']:.0%} of Gold's recall@20, {r['gold']['time_s']/max(r['mmrecun']['time_s'],1e-9):.1f}x faster\")" "$out" "$store")"
}

# ---- GloVe words (the index and sql sections) ---------------------------------------
# glove_words GLOVE N VECTORS RECORDS [QUERIES STEP]: the first N words of an .ekwv file
# (frequency order) as float32 rows (VECTORS) and JSONL records {"id": word, "rank": i}
# (RECORDS, rank 1 = most frequent); QUERIES gets every STEP-th row.
glove_words() {
  python3 - "$@" <<'PY'
import json, struct, sys
src, n, vec_out, rec_out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
q_out, step = (sys.argv[5], int(sys.argv[6])) if len(sys.argv) > 6 else (None, 0)
with open(src, "rb") as f:
    head = f.read(64)
    dim, _flags, count = struct.unpack_from("<IIQ", head, 8)
    words_offset, strings_offset, vectors_offset = struct.unpack_from("<QQQ", head, 40)
    f.seek(words_offset)
    ends = struct.unpack(f"<{n + 1}Q", f.read((n + 1) * 8))
    f.seek(strings_offset)
    strings = f.read(ends[n])
    words = [strings[ends[i]:ends[i + 1]] for i in range(n)]
    f.seek(vectors_offset)
    raw = f.read(n * dim * 4)
with open(vec_out, "wb") as f:
    f.write(raw)
with open(rec_out, "w") as f:
    for rank, w in enumerate(words, start=1):
        f.write(json.dumps({"id": w.decode("utf-8", "replace"), "rank": rank}) + "\n")
if q_out:
    with open(q_out, "wb") as f:
        for i in range(0, n, step):
            f.write(raw[i * dim * 4:(i + 1) * dim * 4])
PY
}

# ---- section: index -----------------------------------------------------------------
# HNSW index and quantized codes kept in the store (issue 19): the 50,000 most frequent
# GloVe words, an index built with progress, graph vs exact search, int8 codes.
demo_index() {
  local glove="$ROOT/.deps/glove/glove-6b-100d.ekwv"
  if [ ! -f "$glove" ]; then
    say "index: skipped ($glove not found: run scripts/setup.sh)"
    return 0
  fi
  section "index: HNSW over 50,000 GloVe words in the store; graph vs exact; int8 codes"
  local store="$OUT/words.db" vectors="$OUT/words.f32" records="$OUT/words.jsonl"
  local queries="$OUT/word_queries.f32"
  rm -f "$store" "$store-wal" "$store-shm"
  say "the first 50,000 words of glove-6b-100d.ekwv (frequency order) as float32 rows + ids;"
  say "queries: 200 of them, every 250th"
  glove_words "$glove" 50000 "$vectors" "$records" "$queries" 250
  ek store create "$store" --collection words --dim 100 --metric cosine --index hnsw \
    --m 16 --ef-construction 100 --defer-build
  ek store import "$store" --collection words --vectors "$vectors" --records "$records" \
    --metadata none --batch 10000
  say "the graph is built once, after the import (progress on stderr; Ctrl-C keeps the old index)"
  ek store index "$store" --collection words
  ek store info "$store"
  say "neighbours of 'king' from the graph (ef 64), then from the exact scan"
  ek store search "$store" --collection words --like king -k 6 --ef 64
  ek store search "$store" --collection words --like king -k 6 --exact
  local recall
  recall=$(python3 - "$BIN" "$store" "$queries" <<'PY'
import json, subprocess, sys
bin_, store, queries = sys.argv[1:4]
def run(*flags):
    out = subprocess.run([bin_, "--json", "store", "search", store, "--collection", "words",
                          "--vector-file", queries, "--all-rows", "-k", "10", *flags],
                         check=True, capture_output=True, text=True).stdout
    return [[h["id"] for h in r["hits"]] for r in json.loads(out)["results"]]
graph, exact = run("--ef", "64"), run("--exact")
print(f"{sum(len(set(g) & set(e)) for g, e in zip(graph, exact)) / (10 * len(exact)):.3f}")
PY
)
  say "recall@10 of the graph at ef 64 over 200 queries, against the exact scan: $recall"
  awk "BEGIN { exit !($recall >= 0.9) }" || fail "index: recall@10 $recall < 0.9"
  say "the same words as int8 codes (a quarter of the bytes), re-ranked with the originals"
  ek store index "$store" --collection words --element int8 --rescore 4
  ek store info "$store"
  ek store search "$store" --collection words --like king -k 6
  report index "50,000 GloVe words, HNSW m 16: recall@10 $recall at ef 64 vs exact; int8 + rescore 4"
}

# ---- section: sql -------------------------------------------------------------------
# The SQL extension (docs/sql.md): Debian's sqlite3 shell with libembedkit_sqlite loaded
# reads a collection the CLI made (20,000 GloVe words in an HNSW index) through an
# `embedkit` table, in place: neighbours, an analogy computed with vec_* functions, a
# metadata filter pushed into the graph search, a write rolled back; the CLI agrees.
SQLITE_EXT="${EMBEDKIT_SQLITE:-$(realpath -m "$(dirname "$BIN")/../sql/libembedkit_sqlite.so")}"
# sql_show DB QUERY...: shows each query as typed at the sqlite3 prompt, then runs it in
# the shell (columns with headers) with the extension loaded.
sql_show() {
  local db="$1" query
  shift
  for query in "$@"; do
    printf '%ssqlite> %s%s\n' "$BOLD" "$query" "$RESET"
    sqlite3 -batch -header -column "$db" ".load $SQLITE_EXT" "$query"
  done
}
# sql_value DB QUERY: the query's rows as bare text (for checks).
sql_value() { sqlite3 -batch -noheader -list "$1" ".load $SQLITE_EXT" "$2"; }

demo_sql() {
  local glove="$ROOT/.deps/glove/glove-6b-100d.ekwv"
  section "sql: the sqlite3 shell on an embedkit store (libembedkit_sqlite, docs/sql.md)"
  local missing=""
  [ -f "$glove" ] || missing="$glove (scripts/setup.sh)"
  [ -f "$SQLITE_EXT" ] || missing="$SQLITE_EXT (scripts/build.sh)"
  command -v sqlite3 >/dev/null || missing="Debian's sqlite3 shell (scripts/setup.sh)"
  if [ -n "$missing" ]; then
    say "skipped: $missing not found"
    report sql "skipped: $missing not found"
    return 0
  fi
  local store="$OUT/sql_words.db" vectors="$OUT/sql_words.f32" records="$OUT/sql_words.jsonl"
  rm -f "$store" "$store-wal" "$store-shm"
  say "the CLI makes the store: the 20,000 most frequent GloVe words, metadata {\"rank\": N}"
  glove_words "$glove" 20000 "$vectors" "$records"
  ek store create "$store" --collection words --dim 100 --metric cosine --index hnsw \
    --m 16 --ef-construction 100 --defer-build
  ek store import "$store" --collection words --vectors "$vectors" --records "$records" \
    --metadata all --batch 10000
  ek store index "$store" --collection words

  say "sqlite3 $store, .load ${SQLITE_EXT#"$ROOT/"}; the table is the CLI's collection, read in place"
  local king="(SELECT embedding FROM words WHERE id = 'king')"
  local analogy="(SELECT vec_add(vec_sub(a.embedding, b.embedding), c.embedding) FROM words a, words b, words c WHERE a.id = 'king' AND b.id = 'man' AND c.id = 'woman')"
  sql_show "$store" \
    "CREATE VIRTUAL TABLE words USING embedkit(id text primary key, embedding float[100] distance_metric=cosine, rank integer);" \
    "SELECT count(*) AS words, min(rank), max(rank) FROM words;" \
    "SELECT id, rank, round(distance, 3) AS distance FROM words WHERE embedding MATCH $king AND k = 6;"
  say "king - man + woman, computed in SQL with vec_sub and vec_add"
  sql_show "$store" "SELECT id, round(distance, 3) AS distance FROM words WHERE embedding MATCH $analogy AND k = 5;"
  local queen_at
  queen_at=$(sql_value "$store" "SELECT id FROM words WHERE embedding MATCH $analogy AND k = 5;" |
    grep -n '^queen$' | cut -d : -f 1 || true)
  [ -n "$queen_at" ] || fail "sql: 'queen' is not among the 5 nearest to king - man + woman"

  say "a metadata filter inside the graph search: only words rarer than the 5,000 most frequent"
  local paris="(SELECT embedding FROM words WHERE id = 'paris')"
  sql_show "$store" "SELECT id, rank, round(distance, 3) AS distance FROM words WHERE embedding MATCH $paris AND k = 5 AND rank > 5000;"
  local rare
  rare=$(sql_value "$store" "SELECT count(*) FROM words WHERE embedding MATCH $paris AND k = 5 AND rank > 5000;")
  [ "$rare" = 5 ] || fail "sql: the filtered KNN returned $rare rows, expected 5"
  local too_common
  too_common=$(sql_value "$store" "SELECT count(*) FROM words WHERE embedding MATCH $paris AND k = 5 AND rank > 5000 AND NOT rank > 5000;")
  [ "$too_common" = 0 ] || fail "sql: the filtered KNN returned rows with rank <= 5000"

  say "a write inside a transaction, then ROLLBACK: the row and its graph node are gone"
  local new="(SELECT embedding FROM words WHERE id = 'king-man+woman')"
  sql_show "$store" "BEGIN; INSERT INTO words(id, embedding, rank) SELECT 'king-man+woman', $analogy, 0; SELECT id, round(distance, 3) AS distance FROM words WHERE embedding MATCH $new AND k = 3; ROLLBACK; SELECT count(*) AS words FROM words;"
  local left
  left=$(sql_value "$store" "SELECT count(*) FROM words WHERE id = 'king-man+woman' OR rank = 0;")$(sql_value "$store" "SELECT count(*) FROM words;")
  [ "$left" = 020000 ] || fail "sql: after the rollback: the row left, or the count changed ($left)"

  say "the CLI (the C API) on the same file finds the same neighbours of 'king'"
  local from_sql from_cli
  from_sql=$(sql_value "$store" "SELECT id FROM words WHERE embedding MATCH $king AND k = 6;" | tr '\n' ' ')
  from_cli=$("$BIN" --json store search "$store" --collection words --like king --include-self -k 6 |
    python3 -c 'import json, sys; print(" ".join(h["id"] for h in json.load(sys.stdin)["hits"]), end=" ")')
  say "SQL: $from_sql"
  say "CLI: $from_cli"
  [ "$from_sql" = "$from_cli" ] || fail "sql: SQL and the CLI disagree on king's neighbours"
  report sql "20,000 GloVe words read by sqlite3 through an embedkit table: king - man + woman -> queen (#$queen_at of 5); a filtered KNN 5 of 5; a rollback left 20000 rows; SQL = CLI on king's 6 neighbours"
}

# ---- section: dask ------------------------------------------------------------------
# embedkit.dask (docs/distributed.md): samples/dask/corpus_on_dask.py on a LocalCluster of
# 2 worker processes: GloVe words searched over 4 shards (equal to one store), R8
# classified on the workers (equal to one process). The sample checks its own results.
demo_dask() {
  section "dask: a collection sharded over Dask workers, plugin work as map_partitions (embedkit.dask)"
  local lib
  lib="$(dirname "$BIN")/../capi/libembedkit.so"
  say "EMBEDKIT_LIBRARY=build/sdk/capi/libembedkit.so PYTHONPATH=bindings/python python3 samples/dask/corpus_on_dask.py"
  local out="$OUT/dask.txt" status=0
  EMBEDKIT_LIBRARY="$lib" PYTHONPATH="$ROOT/bindings/python" EMBEDKIT_SHARED_DATA="$SHARED" \
    /usr/bin/python3 "$ROOT/samples/dask/corpus_on_dask.py" 2>/dev/null | tee "$out" || status=$?
  if [ "$status" = 77 ]; then
    report dask "$(grep '^skipped' "$out")"
    return 0
  fi
  [ "$status" = 0 ] && tail -n 1 "$out" | grep -qx ok || fail "dask: samples/dask/corpus_on_dask.py failed (exit $status)"
  report dask "$(grep -o '^[0-9]* GloVe words upserted into [0-9]* shards on [0-9]* workers' "$out"), merged neighbours = one store's; $(grep -o 'accuracy [0-9.]*' "$out") on R8 classified on the workers"
}

# ---- main ----------------------------------------------------------------------------
# Later features add a demo_<name> function above and their name here.
SECTIONS=(store index sql json classify match rec dask)

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
printf '\n%s== report ==%s\n' "$BOLD" "$RESET"
for line in "${SUMMARY[@]}"; do printf '  %s\n' "$line"; done
printf '\n%sdemo finished%s (stores and query files in %s)\n' "$BOLD" "$RESET" "$OUT"
