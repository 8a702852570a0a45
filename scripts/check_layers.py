#!/usr/bin/env python3
"""Fails when an include arrow runs upward between the layers of sdk/.

The layer order lives here, and only here (docs/architecture.md must show the line
this script prints with --order; the check compares them). A layer may include its
own files and any layer in a LOWER row; never a layer above it, and never another
layer of its own row (rows are independent neighbours). Plugins and samples see only
abi/ headers and plugins/common, so they may include no sdk layer at all.

Reads every #include "layer/..." in sdk/**/*.{h,cc,cu,cuh,in}, plugins/** and
samples/** (those plus .c/.cpp), prints file:line for each violation and exits 1.
Usage: check_layers.py [--root DIR] [--docs FILE] [--order]
"""
import argparse
import pathlib
import re
import sys

# Top to bottom. Each row: the folders of sdk/ on that floor.
LAYERS = [
    ("cli", "sql"),
    ("capi",),
    ("core",),
    ("store", "cuda"),
    ("index",),
    ("kernels", "json", "text"),
    ("base",),
]

SDK_SUFFIXES = {".h", ".cc", ".cu", ".cuh", ".in"}
OUTSIDE_SUFFIXES = SDK_SUFFIXES | {".c", ".cpp"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)/[^"]*"')


def row_of():
    return {layer: row for row, names in enumerate(LAYERS) for layer in names}


def order_line():
    """The order as docs/architecture.md shows it."""
    return "Layer order (top to bottom): " + " → ".join(" | ".join(r) for r in LAYERS)


def includes(path):
    """(line number, included layer) for each #include "layer/..." of path."""
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        match = INCLUDE.match(line)
        if match:
            yield number, match.group(1)


def source_files(folder, suffixes):
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes)


def check_sdk(root, rows):
    problems = []
    sdk = root / "sdk"
    for folder in sorted(p for p in sdk.iterdir() if p.is_dir()) if sdk.is_dir() else []:
        if folder.name not in rows:
            problems.append(f"sdk/{folder.name}: not in the layer table (scripts/check_layers.py)")
    for path in source_files(sdk, SDK_SUFFIXES):
        layer = path.relative_to(sdk).parts[0]
        if layer not in rows:
            continue  # reported above, once per folder
        for number, target in includes(path):
            if target not in rows or target == layer:
                continue
            if rows[target] < rows[layer]:
                problems.append(f"{path.relative_to(root)}:{number}: {layer} includes {target}, "
                                "a layer above it")
            elif rows[target] == rows[layer]:
                problems.append(f"{path.relative_to(root)}:{number}: {layer} includes {target}, "
                                "a neighbour on its own floor")
    return problems


def check_outside(root, rows):
    problems = []
    for top in ("plugins", "samples"):
        for path in source_files(root / top, OUTSIDE_SUFFIXES):
            for number, target in includes(path):
                if target in rows:
                    problems.append(f"{path.relative_to(root)}:{number}: includes sdk/{target}; "
                                    "plugins and samples see only abi/ and plugins/common")
    return problems


def check_docs(docs):
    if order_line() in docs.read_text(encoding="utf-8"):
        return []
    return [f"{docs}: does not show the layer order; expected the line:\n  {order_line()}"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent.parent)
    parser.add_argument("--docs", type=pathlib.Path, help="a document that must show the order")
    parser.add_argument("--order", action="store_true", help="print the order line and exit")
    args = parser.parse_args(argv)
    if args.order:
        print(order_line())
        return 0
    rows = row_of()
    problems = check_sdk(args.root, rows) + check_outside(args.root, rows)
    if args.docs:
        problems += check_docs(args.docs)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} layering problem(s); the order: {order_line()}")
        return 1
    print(f"layers ok: {order_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
