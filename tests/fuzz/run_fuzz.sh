#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each (FUZZ_JOBS of them at
# once, default: the number of CPUs), each from its committed seeds
# (tests/fuzz/corpus/<target>) plus JSONTestSuite, keeping what it learns in
# BUILD/fuzz-corpus/<target>. Prints executions, exec/s and coverage per target; exits
# non-zero if any target found a crash, leak, timeout or invariant failure (the
# reproducer is in BUILD/fuzz-artifacts/, the target's log beside it).
#
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$1"; PER="$2"; shift 2
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else mapfile -t TARGETS < "$BUILD/fuzz_targets.txt"; fi
[ "$PER" -ge 1 ] || PER=1
PARALLEL="${FUZZ_JOBS:-$(nproc)}"
SUITE="$BUILD/tests/reliability/json_test_suite"
ART="$BUILD/fuzz-artifacts"
mkdir -p "$ART"

# One target: fuzz, then write its summary line and exit status next to its log.
run_one() {
  local t="$1" bin work log rc runs eps cov
  bin="$(find "$BUILD/tests/fuzz" -maxdepth 1 -name "$t" -type f -executable | head -1)"
  log="$ART/$t.log"
  if [ -z "$bin" ]; then
    echo "fuzz target $t not built" >"$log"; echo 1 >"$ART/$t.rc"
    printf '[fuzz] %-26s not built\n' "$t" >"$ART/$t.summary"; return
  fi
  work="$BUILD/fuzz-corpus/$t"; mkdir -p "$work"
  # 2 GB RSS and 10 s per input are findings too; -max_len 64 KiB keeps inputs JSON-sized.
  "$bin" -max_total_time="$PER" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$ART/$t-" \
    "$work" "$ROOT/tests/fuzz/corpus/$t" "$SUITE" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  eps=$(grep -o 'exec/s: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  printf '[fuzz] %-26s %4ss  %10s execs  %7s exec/s  cov %6s  exit %s\n' "$t" "$PER" \
    "${runs:-?}" "${eps:-?}" "${cov:-?}" "$rc" >"$ART/$t.summary"
  echo "$rc" >"$ART/$t.rc"
}

running=0
for t in "${TARGETS[@]}"; do
  [ -n "$t" ] || continue
  rm -f "$ART/$t.rc" "$ART/$t.summary"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$PARALLEL" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
for t in "${TARGETS[@]}"; do
  [ -n "$t" ] || continue
  cat "$ART/$t.summary"
  if [ "$(cat "$ART/$t.rc" 2>/dev/null || echo 1)" -ne 0 ]; then
    status=1
    echo "---- $t failed; last lines of $ART/$t.log:" >&2
    tail -40 "$ART/$t.log" >&2
  fi
done
exit $status
