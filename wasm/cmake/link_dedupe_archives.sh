#!/bin/sh
# Linker launcher for WASM programs linked with -sMAIN_MODULE=1 (ek_wasm_dlopen_host).
# A main module is linked with --whole-archive, so a static library that CMake lists
# twice (it repeats archives to satisfy link order) would define every symbol twice.
# Drops repeated *.a arguments, then runs the real link command with Debian's node
# module folder on NODE_PATH (emcc needs acorn at -O1+).
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
seen=" "
first=1
for a in "$@"; do
  if [ "$first" = 1 ]; then set --; first=0; fi
  case "$a" in
    *.a)
      case "$seen" in *" $a "*) continue ;; esac
      seen="$seen$a "
      ;;
  esac
  set -- "$@" "$a"
done
exec "$@"
