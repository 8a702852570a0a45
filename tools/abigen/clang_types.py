"""C types as plain data: what a libclang Type is, in the words of the ABI.

Every type becomes a dict with `kind` (and, at the outermost level, `c`: its C spelling):
  builtin   {"name": "uint32_t" | "float" | "char" | "void" | ...}
  enum      an ek_* integer typedef whose values are #defines   {"name"}
  struct    a struct typedef with a definition                  {"name"}
  handle    a struct typedef never defined (opaque)             {"name"}
  callback  a function-pointer typedef                          {"name"}
  pointer   {"pointee": type}
  array     {"size": n, "element": type}
  function  {"returns": type, "params": [{"name", "type"}]}  (the pointee of an inline
            function-pointer field)
and "const": true when that level is const-qualified.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import clang.cindex as ci

K = ci.TypeKind

#: Fixed-width and size typedefs from <stdint.h>/<stddef.h>, kept by name: their
#: meaning, not the platform's spelling of them, is the ABI.
STANDARD_TYPEDEFS = {"int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t",
                     "int64_t", "uint64_t", "size_t", "uintptr_t", "intptr_t"}

_BUILTIN_NAMES = {K.VOID: "void", K.CHAR_S: "char", K.SCHAR: "signed char",
                  K.UCHAR: "unsigned char", K.INT: "int", K.UINT: "unsigned int",
                  K.FLOAT: "float", K.DOUBLE: "double", K.LONG: "long",
                  K.ULONG: "unsigned long", K.LONGLONG: "long long",
                  K.ULONGLONG: "unsigned long long", K.SHORT: "short",
                  K.USHORT: "unsigned short", K.BOOL: "_Bool"}


class TypeDescriber:
    """Describes types, knowing which ek_* typedef names are enums, structs, handles
    or callbacks (`categories`, filled by the reader before describing anything)."""

    def __init__(self, categories: Dict[str, str]) -> None:
        self.categories = categories

    def describe(self, t: ci.Type, params_from: Optional[ci.Cursor] = None) -> dict:
        """`params_from`: the cursor whose PARM_DECL children name the parameters of
        a function type met on the way (a field or typedef of a function pointer).
        Only the outermost level carries the C spelling `c`."""
        out = {"c": t.spelling}
        out.update(self._inner(t, params_from))
        return out

    def _inner(self, t: ci.Type, params_from: Optional[ci.Cursor] = None) -> dict:
        out: dict = {}
        if t.is_const_qualified():
            out["const"] = True
        out.update(self._kind(t, params_from))
        return out

    def _kind(self, t: ci.Type, params_from: Optional[ci.Cursor]) -> dict:
        if t.kind == K.ELABORATED:
            return self._kind(t.get_named_type(), params_from)
        if t.kind == K.TYPEDEF:
            name = t.get_declaration().spelling
            if name in STANDARD_TYPEDEFS:
                return {"kind": "builtin", "name": name}
            if name in self.categories:
                return {"kind": self.categories[name], "name": name}
            raise ValueError("typedef %s is neither standard nor declared in the ABI" % name)
        if t.kind == K.RECORD:
            name = t.get_declaration().spelling
            return {"kind": self.categories.get(name, "struct"), "name": name}
        if t.kind == K.POINTER:
            return {"kind": "pointer", "pointee": self._inner(t.get_pointee(), params_from)}
        if t.kind == K.CONSTANTARRAY:
            return {"kind": "array", "size": t.get_array_size(),
                    "element": self._inner(t.get_array_element_type())}
        if t.kind in (K.FUNCTIONPROTO, K.FUNCTIONNOPROTO):
            return self._function(t, params_from)
        if t.kind == K.UNEXPOSED:  # e.g. a parenthesised function type
            return self._kind(t.get_canonical(), params_from)
        if t.kind in _BUILTIN_NAMES:
            return {"kind": "builtin", "name": _BUILTIN_NAMES[t.kind]}
        raise ValueError("unhandled type %s (%s)" % (t.spelling, t.kind))

    def _function(self, t: ci.Type, params_from: Optional[ci.Cursor]) -> dict:
        names: List[str] = []
        if params_from is not None:
            names = [c.spelling for c in params_from.get_children()
                     if c.kind == ci.CursorKind.PARM_DECL]
        args = list(t.argument_types())
        if len(names) != len(args):
            names = [""] * len(args)
        return {"kind": "function", "returns": self.describe(t.get_result()),
                "params": [{"name": n, "type": self.describe(a)} for n, a in zip(names, args)]}
