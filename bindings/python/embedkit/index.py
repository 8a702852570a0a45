"""Collection indexes (ABI 1.2): the index kind, the element type, the options
structures the C header fills with static inline ``_init`` functions (which a
binding cannot call: it builds them as zeros + ``struct_size``), and
:class:`IndexInfo`.

How a search uses an index, and what each option costs, is docs/storage.md
"Indexes"; the arguments are those of ``struct ek_collection_options``.
"""
from __future__ import annotations

import ctypes
import enum
from dataclasses import dataclass
from typing import Type, TypeVar, Union

from . import _lib
from ._lib import ek_collection_options, ek_index_info, ek_index_search_options
from .errors import check


class IndexKind(enum.IntEnum):
    """How a collection is searched (``ek_index_kind``)."""

    EXACT = 0  #: scan every row (default)
    HNSW = 1   #: HNSW graph, kept in the store's tables


class Element(enum.IntEnum):
    """What a collection's scans and graph traverse (``ek_element_type``). The f32
    originals always stay in the store; the others add a code per row."""

    F32 = 0   #: 4 bytes per component (default)
    F16 = 1   #: IEEE half, 2 bytes
    INT8 = 2  #: one symmetric scale per collection
    BIT = 3   #: sign bits, Hamming distance; always re-ranked with the f32 originals


_E = TypeVar("_E", IndexKind, Element)


def _member(cls: Type[_E], value: Union[_E, int, str], what: str) -> int:
    """An enum argument given as a member, its value or its name (``"hnsw"``, ``"int8"``).
    A value the enum does not know passes through, for the library to refuse with its
    message (and for kinds a newer library adds)."""
    if isinstance(value, str):
        try:
            return int(cls[value.upper()])
        except KeyError:
            names = ", ".join(m.name.lower() for m in cls)
            raise _lib._invalid("%s: unknown %s %r (%s)" % (what, cls.__name__, value, names)) \
                from None
    return _lib.c_int(value, what, "int32_t")


@dataclass(frozen=True)
class IndexInfo:
    """A collection's index and memory use (``ek_index_info``).

    ``m``, ``ef_construction`` and ``ef_search`` are 0 for an exact index;
    ``building`` is True while rows wait for :meth:`Collection.build_index` (searches
    then scan exactly); ``bytes_per_vector`` is the resident bytes per row once loaded
    (the vector or code, the graph's links, fixed per-row overheads).
    """

    index: IndexKind
    element: Element
    m: int
    ef_construction: int
    ef_search: int
    rescore: int
    bytes_per_vector: int
    building: bool

    @staticmethod
    def _from_c(c: ek_index_info) -> "IndexInfo":
        return IndexInfo(IndexKind(c.index), Element(c.element), c.m, c.ef_construction,
                         c.ef_search, c.rescore, c.bytes_per_vector, c.index_state == 1)


#: The defaults of Store.create_collection's index arguments (the library's own:
#: what a zero field means), which Collection.build_index fills in for the ones not named.
DEFAULTS = {"index": IndexKind.EXACT, "m": 16, "ef_construction": 200, "ef_search": 64,
            "element": Element.F32, "rescore": 1}


def collection_options(what: str, index: Union[IndexKind, int, str], m: int,
                       ef_construction: int, ef_search: int, element: Union[Element, int, str],
                       rescore: int, defer_build: bool) -> ek_collection_options:
    """``struct ek_collection_options`` from the keyword arguments of
    :meth:`Store.create_collection` and :meth:`Collection.build_index`; ``what`` names
    the call in messages. Ranges are the library's to check (its message names them)."""
    o = ek_collection_options()  # ctypes zero-fills: every field at its default
    o.struct_size = ctypes.sizeof(o)
    o.index = _member(IndexKind, index, what + ": index")
    o.m = _lib.c_int(m, what + ": m")
    o.ef_construction = _lib.c_int(ef_construction, what + ": ef_construction")
    o.ef_search = _lib.c_int(ef_search, what + ": ef_search")
    o.element = _member(Element, element, what + ": element")
    o.rescore = _lib.c_int(rescore, what + ": rescore")
    o.defer_build = 1 if defer_build else 0
    return o


def index_search_options(ef: int, exact: bool, rescore: int) -> ek_index_search_options:
    """``struct ek_index_search_options`` for :meth:`Collection.search`."""
    o = ek_index_search_options()
    o.struct_size = ctypes.sizeof(o)
    o.ef = _lib.c_int(ef, "search: ef")
    o.exact = 1 if exact else 0
    o.rescore = _lib.c_int(rescore, "search: rescore")
    return o


def index_info_of(collection_handle: int) -> IndexInfo:
    """``ek_collection_index_info_get`` of a collection handle."""
    c = ek_index_info()
    c.struct_size = ctypes.sizeof(c)
    check(_lib.lib().ek_collection_index_info_get(collection_handle, ctypes.byref(c)))
    return IndexInfo._from_c(c)
