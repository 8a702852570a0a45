#!/usr/bin/env python3
"""Regenerates everything derived from the headers, or checks that nothing drifted.

    /usr/bin/python3 tools/abigen/regenerate.py          # rewrite the committed files
    /usr/bin/python3 tools/abigen/regenerate.py --check  # regenerate into a temp folder;
                                                         # exit 1 with a unified diff if
                                                         # a committed file differs

Derived files: abi/embedkit_abi.json (the description, read from the headers),
bindings/python/embedkit/_abi_gen.py and tests/bindings/python/test_abi_layout.py
(generated from the description), bindings/rust/src/ffi_gen.rs and
bindings/rust/tests/abi_layout.rs (gen_rust), gen_wasm.OUTPUTS (the WASM export list, JS ABI table
and .d.ts, wasm32 layout check), gen_wasm_ext.OUTPUTS (the extension tables'
C trampolines and their JS classes). Needs Debian's libclang bindings (python3-clang-14).
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_python  # noqa: E402
import gen_rust  # noqa: E402
import gen_wasm  # noqa: E402
import gen_wasm_ext  # noqa: E402
import read_headers  # noqa: E402

ROOT = read_headers.ROOT


def generate(out_dir: str) -> dict:
    """Writes every derived file under `out_dir` (paths relative to the repository
    root); returns {relative path: text}."""
    description = read_headers.to_json(read_headers.Reader(ROOT).describe())
    abi = json.loads(description)
    files = {"abi/embedkit_abi.json": description}
    for generator in (gen_python, gen_rust, gen_wasm, gen_wasm_ext):
        files.update({os.path.relpath(path, ROOT): text_of(abi)
                      for path, text_of in generator.OUTPUTS.items()})
    for rel, text in files.items():
        path = os.path.join(out_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return files


def check() -> int:
    with tempfile.TemporaryDirectory(prefix="ek-abigen-") as tmp:
        files = generate(tmp)
        drifted = 0
        for rel, fresh in sorted(files.items()):
            committed_path = os.path.join(ROOT, rel)
            committed = ""
            if os.path.exists(committed_path):
                with open(committed_path, encoding="utf-8") as f:
                    committed = f.read()
            if committed != fresh:
                drifted += 1
                sys.stdout.writelines(difflib.unified_diff(
                    committed.splitlines(True), fresh.splitlines(True),
                    "a/" + rel + " (committed)", "b/" + rel + " (regenerated)"))
    if drifted:
        print("\nabi_description_drift: %d generated file(s) differ from the headers; run "
              "/usr/bin/python3 tools/abigen/regenerate.py and commit the result" % drifted)
        return 1
    print("abi_description_drift: %d generated files match the headers" % len(files))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="diff against a fresh generation")
    if ap.parse_args().check:
        return check()
    generate(ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
