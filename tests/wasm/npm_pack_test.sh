#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack` in wasm/js, install the tarball into
# a fresh project (offline: the package has no runtime dependencies), and run
# samples/node/quickstart.mjs there, importing 'embedkit' by name.
#   tests/wasm/npm_pack_test.sh      (after scripts/build_wasm.sh wrote wasm/js/dist)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT/wasm/js"
tarball="$(npm pack --silent --pack-destination "$TMP" | tail -n 1)"
echo "packed $tarball ($(du -k "$TMP/$tarball" | cut -f 1) KiB)"
# What a user receives: the module, the loader for both environments and the types.
listing="$(tar -tzf "$TMP/$tarball")"
for f in index.js extensions.js heap.js index.d.ts README.md dist/embedkit_core.wasm \
         dist/embedkit_core.cjs dist/embedkit_core.mjs; do
  grep -qx "package/$f" <<<"$listing" || { echo "missing from the tarball: $f" >&2; exit 1; }
done
mkdir "$TMP/app"
cd "$TMP/app"
printf '{"name":"embedkit-user","version":"1.0.0","type":"module","private":true}\n' > package.json
npm install --offline --no-audit --no-fund --silent "$TMP/$tarball"
cp "$ROOT/samples/node/quickstart.mjs" .
node quickstart.mjs
