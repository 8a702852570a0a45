#!/bin/sh
# Debian's sqlite3 shell loads libembedkit_sqlite.so with `.load` (SQLite finds
# sqlite3_embedkitsqlite_init from the file name), answers embedkit_version(), creates
# an `embedkit` table in a store file and reads it back, and closes cleanly each time.
# Usage: test_shell.sh PATH/libembedkit_sqlite.so VERSION    (exit 77: no sqlite3 shell)
set -eu
extension="$1"
version="$2"
if ! command -v sqlite3 >/dev/null 2>&1; then
  echo "skipped: no sqlite3 shell (scripts/setup.sh installs Debian's sqlite3)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# Runs the shell on a database with the extension loaded; anything on stderr (an error,
# or "unable to close due to unfinalized statements") fails the test.
shell() {
  db="$1"; shift
  sqlite3 -batch "$db" ".load $extension" "$@" 2>"$work/stderr"
  [ ! -s "$work/stderr" ] || fail "the shell reported: $(cat "$work/stderr")"
}

answer=$(shell "$work/plain.db" "select embedkit_version();")
case "$answer" in
  "embedkit $version (ABI "*")") echo "ok: embedkit_version() = $answer" ;;
  *) fail "embedkit_version() answered '$answer', expected 'embedkit $version (ABI ...)'" ;;
esac

has_module=$(shell "$work/plain.db" "select count(*) from pragma_module_list where name = 'embedkit';")
[ "$has_module" = "1" ] || fail "the embedkit module is not registered"

store="$work/store.db"
out=$(shell "$store" "create virtual table docs using embedkit(embedding float[3]);" \
  "insert into docs(rowid, embedding) values (1, '[1, 0, 0]'), (2, '[0, 1, 0]');" \
  "select rowid from docs where embedding match '[0.9, 0.1, 0]' and k = 1;")
[ "$out" = "1" ] || fail "KNN through the shell answered '$out', expected 1"
echo "ok: created an embedkit table in the shell and found the nearest row"
# A second shell on the same file sees the rows (they live in the store's tables).
count=$(shell "$store" "select count(*) from docs;")
[ "$count" = "2" ] || fail "a second shell counted '$count' rows, expected 2"
echo "ok: a second shell reads the table back"
