"""Finding libembedkit and declaring its C functions for ctypes.

The shared library is looked up, first match wins:

1. ``EMBEDKIT_LIBRARY``: the path of the library file itself
   (``/opt/embedkit/lib/libembedkit.so.1``) or of a folder holding it;
2. next to this package (``embedkit/libembedkit.so*``), where
   ``EMBEDKIT_LIBRARY=... pip install ./bindings/python`` copies it;
3. the install prefix: ``<sys.prefix>/lib``, ``/usr/local/lib``, ``/usr/lib`` and
   the multiarch folders, then the dynamic linker's search (``ld.so.cache``,
   ``LD_LIBRARY_PATH``) through :func:`ctypes.util.find_library`.

Every declaration mirrors ``abi/include/embedkit/embedkit.h`` exactly; the
binding's tests compare the structure sizes with the C compiler's.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_float, c_int32,
                    c_size_t, c_uint32, c_uint64, c_void_p)
from typing import List, Optional

#: The ABI major version this binding was written for (EK_ABI_VERSION_MAJOR).
ABI_MAJOR = 1

ek_status = c_int32


class ek_string_view(Structure):
    _fields_ = [("data", c_void_p), ("length", c_size_t)]


ek_log_fn = CFUNCTYPE(None, c_void_p, c_int32, c_char_p)
ek_progress_fn = CFUNCTYPE(c_int32, c_void_p, c_char_p, c_uint64, c_uint64)


class ek_context_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("backend", c_char_p),
        ("num_threads", c_uint32),
        ("log_level", c_int32),
        ("log_callback", ek_log_fn),
        ("log_user_data", c_void_p),
        ("plugin_path", c_char_p),
        ("no_bundled_plugins", c_uint32),
    ]


class ek_context_info(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("backend", c_char_p),
        ("simd_target", c_char_p),
        ("num_threads", c_uint32),
        ("abi_version", c_uint32),
        ("plugin_count", c_size_t),
    ]


class ek_plugin_info(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("id", c_char_p),
        ("name", c_char_p),
        ("version", c_char_p),
        ("vendor", c_char_p),
        ("description", c_char_p),
        ("extensions", POINTER(c_char_p)),
        ("path", c_char_p),
        ("abi_version", c_uint32),
    ]


class ek_store_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("read_only", c_uint32),
        ("must_exist", c_uint32),
        ("busy_timeout_ms", c_uint32),
    ]


class ek_collection_info(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("dim", c_uint32),
        ("metric", c_int32),
        ("count", c_uint64),
    ]


class ek_collection_options(Structure):
    """ABI 1.2. The header's ek_collection_options_init is a static inline, not an
    exported symbol: the binding builds the struct itself (zeros + struct_size)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("index", c_int32),
        ("m", c_uint32),
        ("ef_construction", c_uint32),
        ("ef_search", c_uint32),
        ("element", c_int32),
        ("rescore", c_uint32),
        ("defer_build", c_uint32),
    ]


class ek_index_info(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("index", c_int32),
        ("element", c_int32),
        ("m", c_uint32),
        ("ef_construction", c_uint32),
        ("ef_search", c_uint32),
        ("rescore", c_uint32),
        ("index_state", c_uint32),
        ("bytes_per_vector", c_uint64),
    ]


class ek_upsert_batch(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("count", c_size_t),
        ("ids", POINTER(c_char_p)),
        ("vectors", POINTER(c_float)),
        ("dim", c_size_t),
        ("metadata_json", POINTER(c_char_p)),
    ]


class ek_search_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("k", c_uint32),
        ("filter_json", c_char_p),
        ("include_metadata", c_uint32),
    ]


class ek_index_search_options(Structure):
    """ABI 1.2; its _init is a static inline too (zeros + struct_size)."""
    _fields_ = [
        ("struct_size", c_uint32),
        ("ef", c_uint32),
        ("exact", c_uint32),
        ("rescore", c_uint32),
    ]


class ek_hit(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("id", c_char_p),
        ("score", c_float),
        ("metadata_json", c_char_p),
    ]


#: Structures whose layout the tests check against the C compiler.
STRUCTS = {
    "ek_string_view": ek_string_view,
    "ek_context_options": ek_context_options,
    "ek_context_info": ek_context_info,
    "ek_plugin_info": ek_plugin_info,
    "ek_store_options": ek_store_options,
    "ek_collection_info": ek_collection_info,
    "ek_collection_options": ek_collection_options,
    "ek_index_info": ek_index_info,
    "ek_upsert_batch": ek_upsert_batch,
    "ek_search_options": ek_search_options,
    "ek_index_search_options": ek_index_search_options,
    "ek_hit": ek_hit,
}

# Opaque handles are plain void pointers on the Python side.
_H = c_void_p
_PH = POINTER(c_void_p)

# name: (restype, argtypes)
_FUNCTIONS = {
    "ek_version": (c_char_p, []),
    "ek_abi_version": (c_uint32, []),
    "ek_last_error": (c_char_p, []),
    "ek_last_status": (ek_status, []),
    "ek_status_name": (c_char_p, [ek_status]),
    "ek_string_free": (None, [c_void_p]),
    "ek_context_options_init": (None, [POINTER(ek_context_options)]),
    "ek_context_create": (ek_status, [POINTER(ek_context_options), _PH]),
    "ek_context_free": (None, [_H]),
    "ek_context_info_get": (ek_status, [_H, POINTER(ek_context_info)]),
    "ek_context_set_progress": (ek_status, [_H, ek_progress_fn, c_void_p]),
    "ek_context_cancel": (ek_status, [_H]),
    "ek_context_reset_cancel": (ek_status, [_H]),
    "ek_plugin_load": (ek_status, [_H, c_char_p, POINTER(c_char_p)]),
    "ek_plugin_load_dir": (ek_status, [_H, c_char_p, POINTER(c_size_t)]),
    "ek_plugin_count": (ek_status, [_H, POINTER(c_size_t)]),
    "ek_plugin_info_at": (ek_status, [_H, c_size_t, POINTER(ek_plugin_info)]),
    "ek_plugin_info_find": (ek_status, [_H, c_char_p, POINTER(ek_plugin_info)]),
    "ek_instance_create": (ek_status, [_H, c_char_p, c_char_p, _PH]),
    "ek_instance_free": (None, [_H]),
    "ek_instance_has_extension": (c_int32, [_H, c_char_p]),
    "ek_instance_get_extension": (ek_status, [_H, c_char_p, _PH]),
    "ek_instance_plugin_data": (c_void_p, [_H]),
    "ek_encoder_dim": (ek_status, [_H, POINTER(c_size_t)]),
    "ek_encode": (ek_status, [_H, POINTER(ek_string_view), c_size_t, POINTER(c_float),
                              c_size_t, POINTER(c_size_t)]),
    "ek_store_options_init": (None, [POINTER(ek_store_options)]),
    "ek_store_open": (ek_status, [_H, c_char_p, POINTER(ek_store_options), _PH]),
    "ek_store_free": (None, [_H]),
    "ek_store_begin": (ek_status, [_H]),
    "ek_store_commit": (ek_status, [_H]),
    "ek_store_rollback": (ek_status, [_H]),
    "ek_collection_create": (ek_status, [_H, c_char_p, c_uint32, c_int32, _PH]),
    # ABI 1.2: indexes
    "ek_collection_create_with": (ek_status, [_H, c_char_p, c_uint32, c_int32,
                                              POINTER(ek_collection_options), _PH]),
    "ek_collection_index_build": (ek_status, [_H, POINTER(ek_collection_options)]),
    "ek_collection_index_compact": (ek_status, [_H, POINTER(c_uint64)]),
    "ek_collection_index_info_get": (ek_status, [_H, POINTER(ek_index_info)]),
    "ek_collection_open": (ek_status, [_H, c_char_p, _PH]),
    "ek_collection_drop": (ek_status, [_H, c_char_p]),
    "ek_store_list_collections": (ek_status, [_H, POINTER(POINTER(ek_collection_info)),
                                              POINTER(c_size_t)]),
    "ek_collection_infos_free": (None, [POINTER(ek_collection_info), c_size_t]),
    "ek_collection_free": (None, [_H]),
    "ek_collection_info_get": (ek_status, [_H, POINTER(ek_collection_info)]),
    "ek_collection_upsert": (ek_status, [_H, POINTER(ek_upsert_batch)]),
    "ek_collection_get": (ek_status, [_H, c_char_p, POINTER(c_float), c_size_t,
                                      POINTER(c_size_t), POINTER(c_void_p)]),
    "ek_collection_delete": (ek_status, [_H, POINTER(c_char_p), c_size_t, POINTER(c_size_t)]),
    "ek_collection_count": (ek_status, [_H, POINTER(c_uint64)]),
    "ek_search_options_init": (None, [POINTER(ek_search_options)]),
    "ek_collection_search": (ek_status, [_H, POINTER(c_float), c_size_t, c_size_t,
                                         POINTER(ek_search_options), _PH]),
    "ek_collection_search_with": (ek_status, [_H, POINTER(c_float), c_size_t, c_size_t,
                                              POINTER(ek_search_options),
                                              POINTER(ek_index_search_options), _PH]),
    "ek_collection_list": (ek_status, [_H, c_size_t, c_size_t, c_uint32, _PH]),
    "ek_results_query_count": (c_size_t, [_H]),
    "ek_results_hit_count": (c_size_t, [_H, c_size_t]),
    "ek_results_hit": (ek_status, [_H, c_size_t, c_size_t, POINTER(ek_hit)]),
    "ek_results_free": (None, [_H]),
    # ABI 1.1: key/value state
    "ek_store_kv_put": (ek_status, [_H, c_char_p, c_char_p, c_void_p, c_size_t, c_int32]),
    "ek_store_kv_get": (ek_status, [_H, c_char_p, c_char_p, c_void_p, c_size_t,
                                    POINTER(c_size_t), POINTER(c_int32)]),
    "ek_store_kv_delete": (ek_status, [_H, c_char_p, c_char_p, POINTER(c_size_t)]),
    "ek_store_kv_delete_prefix": (ek_status, [_H, c_char_p, c_char_p, POINTER(c_size_t)]),
    "ek_store_kv_list": (ek_status, [_H, c_char_p, c_char_p, c_char_p, c_size_t, c_uint32, _PH]),
}

#: Names of every host-API function this binding declares (tests compare them with
#: the EK_API declarations of embedkit.h).
FUNCTION_NAMES = tuple(sorted(_FUNCTIONS))

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


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in _FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


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
        _lib = _declare(loaded)
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
