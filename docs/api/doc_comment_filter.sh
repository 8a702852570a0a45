#!/bin/sh
# Doxygen INPUT_FILTER for abi/include/embedkit: the public headers use plain C
# comments (C99, no tool markup). A block comment that opens a line becomes a doc
# comment for what follows it, and a comment after a declaration on the same line
# documents that declaration (member fields, #defines). Outside #include lines, '@'
# and '<word' are escaped so that prose like "recall@k" or "<name>.*" is not read
# as a Doxygen command or an HTML tag.
exec sed -E \
  -e '/^[[:space:]]*#[[:space:]]*include/!{s,@,\\@,g;s,<([A-Za-z]),\\<\1,g}' \
  -e 's,^([[:space:]]*)/\*([^*]),\1/**\2,' \
  -e 's,([;,{])([[:space:]]+)/\*([^*<]),\1\2/**<\3,' \
  -e 's,^(#[[:space:]]*define[[:space:]]+[A-Za-z0-9_]+[[:space:]].*[^[:space:]])([[:space:]]+)/\*([^*<]),\1\2/**<\3,' \
  "$1"
