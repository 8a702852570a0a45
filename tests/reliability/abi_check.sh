#!/usr/bin/env bash
# The ABI gate: compares a freshly built libembedkit.so with the committed baseline
# (abi/abi-baseline.xml). abidiff exit status is a bit mask: 1 = tool error,
# 2 = usage error, 4 = ABI change, 8 = incompatible ABI change. Added functions
# (a minor-version change) are allowed; anything else fails.
#
#   abi_check.sh LIBEMBEDKIT_SO BASELINE_XML HEADERS_DIR
# Exit 77 (ctest SKIP) when abidiff is not installed.
set -uo pipefail
LIB="$1" BASELINE="$2" HEADERS="$3"
if ! command -v abidiff >/dev/null 2>&1; then
  echo "SKIP: abidiff not installed (apt-get install abigail-tools; scripts/setup.sh does)"
  exit 77
fi
[ -f "$BASELINE" ] || { echo "missing baseline $BASELINE (scripts/abi_baseline.sh)"; exit 1; }
abidiff --no-added-syms --drop-private-types --exported-interfaces-only \
  --headers-dir2 "$HEADERS" "$BASELINE" "$LIB"
rc=$?
if [ "$rc" -eq 0 ]; then
  echo "ABI of $LIB matches $BASELINE"
  exit 0
fi
echo "abidiff exit status $rc (4 = ABI change, 8 = incompatible change, 1/2 = tool error)."
echo "If the change is on purpose, follow docs/abi.md 'Bumping on purpose' and run scripts/abi_baseline.sh."
exit 1
