#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a share of a time budget, each from
# its committed seeds (tests/fuzz/corpus/<target>) plus JSONTestSuite, keeping what it
# learns in BUILD/fuzz-corpus/<target>. Prints executions, exec/s and findings per
# target; exits non-zero on the first crash, leak or invariant failure (the
# reproducer is in BUILD/fuzz-artifacts/).
#
#   tests/fuzz/run_fuzz.sh BUILD_DIR TOTAL_SECONDS [TARGET...]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$1"; TOTAL="$2"; shift 2
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else mapfile -t TARGETS < "$BUILD/fuzz_targets.txt"; fi
PER=$(( TOTAL / ${#TARGETS[@]} )); [ "$PER" -ge 1 ] || PER=1
SUITE="$BUILD/tests/reliability/json_test_suite"
mkdir -p "$BUILD/fuzz-artifacts"
status=0
for t in "${TARGETS[@]}"; do
  [ -n "$t" ] || continue
  bin="$(find "$BUILD/tests/fuzz" -maxdepth 1 -name "$t" -type f -executable | head -1)"
  [ -n "$bin" ] || { echo "fuzz target $t not built" >&2; status=1; continue; }
  work="$BUILD/fuzz-corpus/$t"; mkdir -p "$work"
  log="$BUILD/fuzz-artifacts/$t.log"
  # 2 GB RSS and 10 s per input are findings too; -max_len 64 KiB keeps inputs JSON-sized.
  "$bin" -max_total_time="$PER" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-artifacts/$t-" \
    "$work" "$ROOT/tests/fuzz/corpus/$t" "$SUITE" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  eps=$(grep -o 'exec/s: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  printf '[fuzz] %-18s %4ss  %10s execs  %7s exec/s  cov %6s  exit %s\n' "$t" "$PER" \
    "${runs:-?}" "${eps:-?}" "${cov:-?}" "$rc"
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "---- $t failed; last lines of $log:" >&2
    tail -40 "$log" >&2
  fi
done
exit $status
