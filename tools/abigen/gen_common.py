"""The command line every generator shares: read the ABI description, write each of the
generator's OUTPUTS ({path: function(description) -> text}). regenerate.py calls the
same OUTPUTS tables, so a generator's files are listed in one place."""
from __future__ import annotations

import argparse
import json
import os
from typing import Callable, Dict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DESCRIPTION = os.path.join(ROOT, "abi", "embedkit_abi.json")

Outputs = Dict[str, Callable[[dict], str]]


def main(doc: str, outputs: Outputs) -> None:
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--abi", default=DESCRIPTION, help="the ABI description to read")
    abi_path = ap.parse_args().abi
    with open(abi_path, encoding="utf-8") as f:
        abi = json.load(f)
    for path, text_of in outputs.items():
        with open(path, "w", encoding="utf-8") as f:
            f.write(text_of(abi))


def extension_tables(abi: dict) -> list:
    """The plugin extension tables of abi/include/embedkit/ext/*.h (not the encoder table
    of plugin.h, which the library itself calls through ek_instance_encode), each as
    {"id", "macro", "table", "header", "members": [{"name", "doc", "params", "returns"}]}:
    every function-pointer field after struct_size, in table order."""
    structs = {s["name"]: s for s in abi["structs"]}
    out = []
    for ext in sorted(abi["extensions"], key=lambda e: e["table"]):
        if not ext["header"].startswith("embedkit/ext/"):
            continue
        members = []
        for field in structs[ext["table"]]["fields"]:
            t = field["type"]
            if t["kind"] == "pointer" and t["pointee"]["kind"] == "function":
                fn = t["pointee"]
                members.append({"name": field["name"], "doc": field["doc"],
                                "params": fn["params"], "returns": fn["returns"]})
        out.append(dict(ext, members=members))
    return out
