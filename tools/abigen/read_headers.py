#!/usr/bin/env python3
"""Reads the public headers with libclang and describes the ABI as one JSON document.

    /usr/bin/python3 tools/abigen/read_headers.py [--out abi/embedkit_abi.json]

Covers abi/include/embedkit/*.h and ext/*.h: every EK_API function (and the static
inline ones, listed apart: they are no exported symbols), struct (fields with their C
types, size/alignment/offsets for x86_64 and wasm32 as libclang lays them out),
enum (an ek_* integer typedef and the #defines that follow it), opaque handle,
callback, constant macro and plugin extension table. Doc comments are kept verbatim;
threading tags are also listed. The output is sorted and stable, so the committed
file only changes with the headers.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
from typing import Dict, List, Optional

import clang.cindex as ci

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clang_types import STANDARD_TYPEDEFS, TypeDescriber  # noqa: E402
from comments import SourceText, threading_tags  # noqa: E402
import macros  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMSCRIPTEN_SYSROOT = "/usr/share/emscripten/cache/sysroot"

#: The layouts recorded: the native target and the WebAssembly build's.
TARGETS = {
    "x86_64": ["-target", "x86_64-linux-gnu"],
    "wasm32": ["-target", "wasm32-unknown-emscripten", "--sysroot=" + EMSCRIPTEN_SYSROOT,
               "-isystem", EMSCRIPTEN_SYSROOT + "/include"],
}
CK = ci.CursorKind


class Reader:
    def __init__(self, root: str) -> None:
        self.include_dir = os.path.join(root, "abi", "include")
        pattern = os.path.join(self.include_dir, "embedkit")
        self.headers = sorted(os.path.relpath(p, self.include_dir)
                              for p in glob.glob(pattern + "/*.h") + glob.glob(pattern + "/ext/*.h"))
        self.index = ci.Index.create()
        self.text = SourceText()
        self.tus = {target: self._parse(args) for target, args in TARGETS.items()}
        self.items = [c for c in self.tus["x86_64"].cursor.get_children() if self._ours(c)]
        self.typedefs = {c.spelling: c for c in self.items if c.kind == CK.TYPEDEF_DECL}
        self.types = TypeDescriber(self._categories())

    # ---- parsing --------------------------------------------------------------------
    def _args(self, target_args: List[str]) -> List[str]:
        return ["-x", "c", "-std=c99", "-I", self.include_dir] + target_args

    def _parse(self, target_args: List[str]) -> ci.TranslationUnit:
        umbrella = "ek_abi_umbrella.c"
        source = "".join("#include <%s>\n" % h for h in self.headers)
        tu = self.index.parse(umbrella, args=self._args(target_args),
                              unsaved_files=[(umbrella, source)],
                              options=ci.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD)
        errors = [str(d) for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
        if errors:
            raise SystemExit("abigen: the headers do not parse for %s:\n  %s"
                             % (" ".join(target_args), "\n  ".join(errors)))
        return tu

    def _header(self, cursor: ci.Cursor) -> Optional[str]:
        f = cursor.location.file
        if f is None:
            return None
        rel = os.path.relpath(f.name, self.include_dir)
        return rel if rel in self.headers else None

    def _ours(self, cursor: ci.Cursor) -> bool:
        return self._header(cursor) is not None

    def _path(self, cursor: ci.Cursor) -> str:
        return cursor.location.file.name

    def _doc(self, cursor: ci.Cursor, line: Optional[int] = None) -> Optional[str]:
        return self.text.comment_above(self._path(cursor), line or cursor.extent.start.line)

    def _categories(self) -> Dict[str, str]:
        out = {}
        for name, td in self.typedefs.items():
            canon = td.underlying_typedef_type.get_canonical()
            if canon.kind == ci.TypeKind.POINTER and \
                    canon.get_pointee().get_canonical().kind == ci.TypeKind.FUNCTIONPROTO:
                out[name] = "callback"
            elif canon.kind == ci.TypeKind.RECORD:
                defined = canon.get_declaration().get_definition() is not None
                out[name] = "struct" if defined else "handle"
            elif name not in STANDARD_TYPEDEFS:
                out[name] = "enum"
        return out

    # ---- sections -------------------------------------------------------------------
    def structs(self) -> List[dict]:
        out = []
        for name, td in sorted(self.typedefs.items()):
            if self.types.categories[name] != "struct":
                continue
            definition = td.underlying_typedef_type.get_canonical().get_declaration().get_definition()
            fields = [c for c in definition.get_children() if c.kind == CK.FIELD_DECL]
            layouts = {t: self._layout(t, name, fields) for t in self.tus}
            out.append({
                "name": name, "header": self._header(td), "doc": self._doc(td),
                "has_struct_size": bool(fields) and fields[0].spelling == "struct_size",
                "size": {t: layouts[t]["size"] for t in layouts},
                "align": {t: layouts[t]["align"] for t in layouts},
                "fields": [self._field(f, {t: layouts[t]["offsets"][f.spelling] for t in layouts})
                           for f in fields],
            })
        return out

    def _layout(self, target: str, name: str, fields: List[ci.Cursor]) -> dict:
        td = next(c for c in self.tus[target].cursor.get_children()
                  if c.kind == CK.TYPEDEF_DECL and c.spelling == name)
        canon = td.underlying_typedef_type.get_canonical()
        return {"size": canon.get_size(), "align": canon.get_align(),
                "offsets": {f.spelling: canon.get_offset(f.spelling) // 8 for f in fields}}

    def _field(self, f: ci.Cursor, offset: Dict[str, int]) -> dict:
        path = self._path(f)
        docs = [self.text.comment_above(path, f.extent.start.line),
                self.text.comment_after(path, f.extent.end.line, f.extent.end.column)]
        doc = "\n".join(d for d in docs if d) or None
        return {"name": f.spelling, "type": self.types.describe(f.type, params_from=f),
                "offset": offset, "doc": doc}

    def functions(self) -> Dict[str, List[dict]]:
        exported, inline = [], []
        by_end_line: Dict[tuple, dict] = {}
        docs: Dict[str, Optional[str]] = {}  # the doc each function falls under
        for c in sorted((c for c in self.items if c.kind == CK.FUNCTION_DECL),
                        key=lambda c: (self._header(c), c.extent.start.line)):
            line = c.extent.start.line
            doc = self._doc(c, line)
            entry = {"name": c.spelling, "header": self._header(c), "doc": doc,
                     "returns": self.types.describe(c.result_type),
                     "params": [{"name": a.spelling, "type": self.types.describe(a.type, a)}
                                for a in c.get_arguments()]}
            # Declarations written back to back under one comment share it.
            previous = by_end_line.get((entry["header"], line - 1))
            if doc is None and previous is not None:
                owner = previous.get("shares_doc_with", previous["name"])
                entry["shares_doc_with"] = owner
                doc = docs[owner]
            docs[c.spelling] = doc
            entry["threading"] = threading_tags(doc)
            by_end_line[(entry["header"], c.extent.end.line)] = entry
            if self._exported(c):
                exported.append(entry)
            elif c.storage_class == ci.StorageClass.STATIC:
                inline.append(entry)
        key = lambda e: e["name"]  # noqa: E731
        return {"functions": sorted(exported, key=key), "inline_functions": sorted(inline, key=key)}

    def _exported(self, c: ci.Cursor) -> bool:
        """Declared with EK_API, which expands to nothing (or an attribute) and so is
        seen only in the text before the declaration's extent."""
        start = c.extent.start
        before = self.text.lines(self._path(c))[start.line - 1][:start.column - 1]
        return before.split() == ["EK_API"]

    def typedef_sections(self) -> Dict[str, List[dict]]:
        handles, callbacks = [], []
        for name, td in sorted(self.typedefs.items()):
            category = self.types.categories[name]
            path = self._path(td)
            doc = self._doc(td) or self.text.comment_after(path, td.extent.end.line,
                                                           td.extent.end.column)
            if category == "handle":
                handles.append({"name": name, "header": self._header(td), "doc": doc})
            elif category == "callback":
                fn = self.types.describe(td.underlying_typedef_type, params_from=td)["pointee"]
                callbacks.append({"name": name, "header": self._header(td), "doc": doc,
                                  "threading": threading_tags(doc),
                                  "returns": fn["returns"], "params": fn["params"]})
        return {"handles": handles, "callbacks": callbacks}

    def macro_sections(self) -> Dict[str, List[dict]]:
        """Enums (an integer typedef followed by integer #defines) and constants."""
        defs = [c for c in self.items if c.kind == CK.MACRO_DEFINITION]
        candidates = [c for c in defs if macros.is_candidate(c)]
        ints = macros.evaluate_integers(
            self.index, self.headers, [c.spelling for c in candidates],
            self._args(TARGETS["x86_64"]))
        enum_of = self._enum_runs()
        enums = {name: {"name": name, "header": self._header(td), "doc": self._doc(td),
                        "underlying": self.types.describe(td.underlying_typedef_type)["name"],
                        "values": []}
                 for name, td in self.typedefs.items() if self.types.categories[name] == "enum"}
        c_types = macros.integer_types(self.index, self.headers, sorted(ints),
                                       self._args(TARGETS["x86_64"]))
        constants = []
        for c in candidates:
            path, line = self._path(c), c.extent.start.line
            doc = self.text.comment_after(path, line, c.extent.end.column) or \
                self.text.comment_above(path, line)
            text = macros.string_value(c)
            if c.spelling in enum_of:
                enums[enum_of[c.spelling]]["values"].append(
                    {"name": c.spelling, "value": ints[c.spelling], "doc": doc})
            elif text is not None or c.spelling in ints:
                constants.append({"name": c.spelling, "header": self._header(c), "doc": doc,
                                  "kind": "string" if text is not None else "integer",
                                  "value": text if text is not None else ints[c.spelling],
                                  "expression": macros.body_text(c)})
                if text is None:
                    constants[-1]["type"] = c_types[c.spelling]
        keep_only_constant_bodies(constants)
        for e in enums.values():
            e["values"].sort(key=lambda v: (v["value"], v["name"]))
        return {"enums": sorted(enums.values(), key=lambda e: e["name"]),
                "constants": sorted(constants, key=lambda e: e["name"])}

    def _enum_runs(self) -> Dict[str, str]:
        """macro name -> enum typedef, for the integer-literal #defines that directly
        follow an enum typedef in its header."""
        out: Dict[str, str] = {}
        ordered = sorted((c for c in self.items if c.kind != CK.MACRO_INSTANTIATION
                          and c.kind != CK.INCLUSION_DIRECTIVE),
                         key=lambda c: (self._header(c), c.extent.start.line))
        current = None
        for c in ordered:
            if c.kind == CK.TYPEDEF_DECL and self.types.categories.get(c.spelling) == "enum":
                current = c.spelling
            elif c.kind == CK.MACRO_DEFINITION and current and macros.is_integer_literal(c) \
                    and c.spelling.startswith("EK_"):
                out[c.spelling] = current
            else:
                current = None
        return out

    def describe(self) -> dict:
        doc = {"headers": self.headers,
               "targets": {t: args[1] for t, args in TARGETS.items()},
               "structs": self.structs()}
        doc.update(self.functions())
        doc.update(self.typedef_sections())
        doc.update(self.macro_sections())
        doc["abi_version"] = {
            part: next(c["value"] for c in doc["constants"]
                       if c["name"] == "EK_ABI_VERSION_" + part.upper())
            for part in ("major", "minor")}
        doc["extensions"] = extension_tables(doc)
        return doc


def keep_only_constant_bodies(constants: List[dict]) -> None:
    """Drops macros whose body names anything but standard types and other constants
    (an attribute such as EK_EXPORT_ATTR can slip through the compiler's probe)."""
    while True:
        names = {c["name"] for c in constants}
        bad = [c for c in constants if c["kind"] == "integer" and any(
            w not in names and w not in STANDARD_TYPEDEFS
            for w in re.findall(r"[A-Za-z_]\w*", _without_numbers(c["expression"])))]
        if not bad:
            return
        for c in bad:
            constants.remove(c)


def _without_numbers(expression: str) -> str:
    """`expression` less its numeric literals, whose suffixes and hex digits (0u, 0x1u)
    are no names."""
    return re.sub(r"\b\d\w*", " ", expression)


def extension_tables(doc: dict) -> List[dict]:
    """Each EK_EXT_<NAME> id with its table struct ek_<name>_ext."""
    structs = {s["name"]: s for s in doc["structs"]}
    out = []
    for c in doc["constants"]:
        if not c["name"].startswith("EK_EXT_"):
            continue
        table = "ek_%s_ext" % c["name"][len("EK_EXT_"):].lower()
        if table not in structs:
            raise SystemExit("abigen: %s (%r) has no table struct %s in %s"
                             % (c["name"], c["value"], table, c["header"]))
        out.append({"id": c["value"], "macro": c["name"], "table": table, "header": c["header"]})
    return sorted(out, key=lambda e: e["id"])


def to_json(doc: dict) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "abi", "embedkit_abi.json"))
    a = ap.parse_args()
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(to_json(Reader(ROOT).describe()))


if __name__ == "__main__":
    main()
