"""Object-like EK_* macros that are constants, with their values as the compiler sees
them.

libclang exposes a macro's tokens but no value, so each candidate is evaluated by the
compiler itself: a probe translation unit declares `char ek_probe_N[(NAME) + 1];` and
the array's size gives the value. A macro that is no integer constant expression (an
attribute, an empty expansion) makes that line fail and is left out. String macros
(extension ids, file magics) are one string literal token and are read as written.
"""
from __future__ import annotations

import ast
from typing import Dict, List

import clang.cindex as ci


def tokens_of(cursor: ci.Cursor) -> List[ci.Token]:
    return list(cursor.get_tokens())


def is_candidate(cursor: ci.Cursor) -> bool:
    """An object-like EK_* macro with a body."""
    toks = tokens_of(cursor)
    if not cursor.spelling.startswith("EK_") or len(toks) < 2:
        return False
    name, first = toks[0], toks[1]
    function_like = (first.spelling == "(" and
                     first.extent.start.offset == name.extent.end.offset)
    return not function_like


def string_value(cursor: ci.Cursor):
    """The text of a macro whose body is one string literal, else None."""
    body = tokens_of(cursor)[1:]
    if len(body) == 1 and body[0].kind == ci.TokenKind.LITERAL and body[0].spelling.startswith('"'):
        return ast.literal_eval(body[0].spelling)
    return None


def body_text(cursor: ci.Cursor) -> str:
    return " ".join(t.spelling for t in tokens_of(cursor)[1:])


def is_integer_literal(cursor: ci.Cursor) -> bool:
    body = tokens_of(cursor)[1:]
    return len(body) == 1 and body[0].kind == ci.TokenKind.LITERAL and body[0].spelling[0].isdigit()


def evaluate_integers(index: ci.Index, includes: List[str], names: List[str],
                      args: List[str]) -> Dict[str, int]:
    """Values of the macros in `names` that are non-negative integer constant
    expressions once `includes` are included; the others are absent."""
    lines = ["#include <%s>" % h for h in includes]
    first_probe_line = len(lines) + 1
    lines += ["char ek_probe_%d[(%s) + 1];" % (i, n) for i, n in enumerate(names)]
    source = "ek_macro_probe.c"
    tu = index.parse(source, args=args, unsaved_files=[(source, "\n".join(lines) + "\n")])
    failed = {d.location.line for d in tu.diagnostics
              if d.severity >= ci.Diagnostic.Error and d.location.file
              and d.location.file.name == source}
    values: Dict[str, int] = {}
    for cur in tu.cursor.get_children():
        if cur.kind != ci.CursorKind.VAR_DECL or not cur.spelling.startswith("ek_probe_"):
            continue
        if cur.location.line in failed or cur.type.kind != ci.TypeKind.CONSTANTARRAY:
            continue
        i = cur.location.line - first_probe_line
        values[names[i]] = cur.type.get_array_size() - 1
    return values


def integer_types(index: ci.Index, includes: List[str], names: List[str],
                  args: List[str]) -> Dict[str, str]:
    """The C type of each integer macro in `names` ("int", "unsigned int", "size_t"...),
    as the compiler gives it to `__auto_type x = (NAME);` (typedef names kept), so that
    a binding can declare the constant with the type C code sees."""
    lines = ["#include <%s>" % h for h in includes]
    lines += ["__auto_type ek_type_%d = (%s);" % (i, n) for i, n in enumerate(names)]
    source = "ek_macro_type_probe.c"
    tu = index.parse(source, args=args, unsaved_files=[(source, "\n".join(lines) + "\n")])
    types: Dict[str, str] = {}
    for cur in tu.cursor.get_children():
        if cur.kind == ci.CursorKind.VAR_DECL and cur.spelling.startswith("ek_type_"):
            types[names[int(cur.spelling[len("ek_type_"):])]] = cur.type.spelling
    return types
