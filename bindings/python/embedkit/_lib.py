"""Finding libembedkit and declaring its C functions for ctypes.

The shared library is looked up, first match wins:

1. ``EMBEDKIT_LIBRARY``: the path of the library file itself
   (``/opt/embedkit/lib/libembedkit.so.1``) or of a folder holding it;
2. next to this package (``embedkit/libembedkit.so*``), where
   ``EMBEDKIT_LIBRARY=... pip install ./bindings/python`` copies it;
3. the install prefix: ``<sys.prefix>/lib``, ``/usr/local/lib``, ``/usr/lib`` and
   the multiarch folders, then the dynamic linker's search (``ld.so.cache``,
   ``LD_LIBRARY_PATH``) through :func:`ctypes.util.find_library`.

The declarations themselves are generated from the headers into ``_abi_gen.py``
(tools/abigen); the binding's tests compare the structure sizes with the C compiler's.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
from ctypes import c_size_t
from typing import List, Optional

from . import _abi_gen
# The C declarations are generated from the headers (tools/abigen); re-exported here
# for the modules that build these structures.
from ._abi_gen import (ek_collection_info, ek_collection_options, ek_context_info,  # noqa: F401
                       ek_context_options, ek_hit, ek_index_info, ek_index_search_options,
                       ek_log_fn, ek_plugin_info, ek_progress_fn, ek_search_options, ek_status,
                       ek_store_options, ek_string_view, ek_upsert_batch)

#: The ABI major version this binding was written for (EK_ABI_VERSION_MAJOR).
ABI_MAJOR = _abi_gen.ABI_VERSION_MAJOR

#: Structures of the host API (the headers embedkit.h includes), whose layout the tests
#: check against the C compiler.
STRUCTS = {name: cls for name, (cls, header) in _abi_gen.STRUCTS.items()
           if header in ("embedkit/embedkit.h", "embedkit/types.h")}

#: Names of every host-API function this binding declares (tests compare them with
#: the EK_API declarations of embedkit.h).
FUNCTION_NAMES = tuple(sorted(_abi_gen.FUNCTIONS))

_LIB_NAMES = ("libembedkit.so.%d" % ABI_MAJOR, "libembedkit.so", "libembedkit.dylib",
              "embedkit.dll")


def _in_folder(folder: str) -> Optional[str]:
    for name in _LIB_NAMES:
        p = os.path.join(folder, name)
        if os.path.isfile(p):
            return p
    found = sorted(glob.glob(os.path.join(folder, "libembedkit.so.*")))
    return found[0] if found else None


def candidate_paths() -> List[str]:
    """The places searched for the library, in order (for error messages and docs)."""
    out: List[str] = []
    env = os.environ.get("EMBEDKIT_LIBRARY")
    if env:
        out.append(env)
    out.append(os.path.dirname(os.path.abspath(__file__)))
    prefixes = [sys.prefix, sys.base_prefix, "/usr/local", "/usr"]
    multiarch = getattr(sys.implementation, "_multiarch", None)
    for prefix in dict.fromkeys(prefixes):
        for sub in ("lib", "lib64") + ((os.path.join("lib", multiarch),) if multiarch else ()):
            out.append(os.path.join(prefix, sub))
    return out


def find_library() -> str:
    """Returns the path (or soname) of libembedkit to load; raises OSError if none."""
    env = os.environ.get("EMBEDKIT_LIBRARY")
    if env:
        if os.path.isdir(env):
            found = _in_folder(env)
            if not found:
                raise OSError("EMBEDKIT_LIBRARY=%s is a folder without libembedkit.so" % env)
            return found
        if not os.path.exists(env):
            raise OSError("EMBEDKIT_LIBRARY=%s: no such file" % env)
        return env
    for folder in candidate_paths():
        if os.path.isdir(folder):
            found = _in_folder(folder)
            if found:
                return found
    name = ctypes.util.find_library("embedkit")
    if name:
        return name
    raise OSError(
        "libembedkit not found; set EMBEDKIT_LIBRARY to the library file "
        "(e.g. build/sdk/capi/libembedkit.so). Searched: " + ", ".join(candidate_paths()))


_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


def lib() -> ctypes.CDLL:
    """The loaded library (loaded on first use)."""
    global _lib, _lib_path
    if _lib is None:
        path = find_library()
        loaded = ctypes.CDLL(path)
        major = loaded.ek_abi_version() >> 16
        if major != ABI_MAJOR:
            raise OSError("%s implements ABI %d.x; this binding needs ABI %d.x"
                          % (path, major, ABI_MAJOR))
        _lib = _abi_gen.declare(loaded)
        _lib_path = path
    return _lib


def library_path() -> str:
    """The file the library was loaded from (loads it if needed)."""
    lib()
    assert _lib_path is not None
    return _lib_path


def decode(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8")


def _invalid(message: str) -> Exception:
    from .errors import InvalidArgumentError  # errors imports this module
    return InvalidArgumentError(1, message)


def encode(s: "str | bytes | os.PathLike[str] | None",
           what: str = "a string argument") -> Optional[bytes]:
    """``s`` as the bytes of a NUL-terminated C string (``const char*``), or None.

    The C side stops at the first NUL, so text holding one would silently become
    another string (``"alice\\x00x"`` would name ``"alice"``): raise instead, as for
    text that UTF-8 cannot encode (lone surrogates). ``what`` names the argument in
    the message, e.g. ``"upsert: ids[3]"``.
    """
    if s is None:
        return None
    if isinstance(s, bytes):
        b = s
    elif isinstance(s, os.PathLike):
        b = os.fsencode(s)
    elif isinstance(s, str):
        b = utf8(s, what)
    else:
        raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))
    nul = b.find(b"\0")
    if nul >= 0:
        raise _invalid("%s (%s) contains a NUL character (U+0000) at byte %d; ids, names, "
                       "paths and JSON text cannot hold NUL" % (what, _show(s), nul))
    return b


def utf8(s: str, what: str) -> bytes:
    """``s`` encoded as UTF-8; InvalidArgumentError (not a bare UnicodeEncodeError)
    for a lone surrogate, which has no UTF-8 form."""
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _invalid("%s (%s) is not valid Unicode text: a lone surrogate at index %d; text "
                       "must be well-formed UTF-8" % (what, _show(s), e.start)) from None


def is_utf8_encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _show(s: object) -> str:
    """A short quoted form of ``s`` for messages (escapes NUL and surrogates)."""
    text = repr(os.fspath(s) if isinstance(s, os.PathLike) else s)
    return text if len(text) <= 80 else text[:77] + "..."


#: Value ranges of the C integer types the API takes.
_C_INT_RANGES = {
    "int32_t": (-2 ** 31, 2 ** 31 - 1),
    "uint32_t": (0, 2 ** 32 - 1),
    "size_t": (0, 2 ** (8 * ctypes.sizeof(c_size_t)) - 1),
}


def c_int(value: object, what: str, ctype: str = "uint32_t") -> int:
    """``value`` as a Python int that fits the C type ``ctype``.

    ctypes wraps out-of-range integers silently (``2**32 + 5`` becomes 5 in a
    ``uint32_t``, ``-1`` becomes ``2**64 - 1`` in a ``size_t``), so every integer
    bound for C goes through here: TypeError for a non-integer, InvalidArgumentError
    (a ValueError) outside the type's range.
    """
    if not hasattr(value, "__index__"):
        raise TypeError("%s must be an integer, not %s" % (what, type(value).__name__))
    n = value.__index__()  # type: ignore[attr-defined]
    lo, hi = _C_INT_RANGES[ctype]
    if not lo <= n <= hi:
        raise _invalid("%s is %d, outside the range of its C type %s (%d..%d)"
                       % (what, n, ctype, lo, hi))
    return n


__all__ = ["lib", "library_path", "find_library", "candidate_paths", "STRUCTS",
           "FUNCTION_NAMES"]
