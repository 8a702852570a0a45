"""Status codes and the exceptions that carry them.

Every failing C call raises a subclass of :class:`EmbedkitError` chosen by its
status; the exception carries the numeric ``status``, its C name (``status_name``)
and the library's message (``message``), which names the function, the argument
and the reason, e.g. ``ek_collection_upsert: vectors has dim 383, collection
'docs' has dim 384``.
"""
from __future__ import annotations

import enum
from typing import Dict, Type

from . import _lib


class Status(enum.IntEnum):
    """The ``ek_status`` values of ``abi/include/embedkit/types.h``."""

    OK = 0
    INVALID_ARGUMENT = 1
    NOT_FOUND = 2
    ALREADY_EXISTS = 3
    DIMENSION_MISMATCH = 4
    PARSE = 5
    IO = 6
    STORAGE = 7
    CORRUPT = 8
    READ_ONLY = 9
    ABI_MISMATCH = 10
    NOT_A_PLUGIN = 11
    UNSUPPORTED = 12
    BUFFER_TOO_SMALL = 13
    OUT_OF_MEMORY = 14
    CANCELLED = 15
    LIMIT = 16
    INTERNAL = 17
    PLUGIN = 18


class EmbedkitError(Exception):
    """A failed embedkit call.

    Attributes:
        status: the numeric ``ek_status`` (an :class:`int`; a :class:`Status` when known).
        status_name: its C name, e.g. ``"EK_ERR_NOT_FOUND"``.
        message: the library's message for the failure.
    """

    status: int
    status_name: str
    message: str

    def __init__(self, status: int, message: str, status_name: str = "") -> None:
        try:
            status = Status(status)
        except ValueError:
            pass
        self.status = status
        self.status_name = status_name or _status_name(int(status))
        self.message = message
        super().__init__("%s: %s" % (self.status_name, message))

    def __reduce__(self):  # keep pickling (multiprocessing) working
        return (self.__class__, (int(self.status), self.message, self.status_name))


class InvalidArgumentError(EmbedkitError, ValueError):
    """EK_ERR_INVALID_ARGUMENT: NULL where not allowed, bad option value, bad id."""


class NotFoundError(EmbedkitError, LookupError):
    """EK_ERR_NOT_FOUND: unknown collection, id, plugin or extension."""


class AlreadyExistsError(EmbedkitError):
    """EK_ERR_ALREADY_EXISTS: duplicate plugin id, collection with another shape."""


class DimensionMismatchError(EmbedkitError, ValueError):
    """EK_ERR_DIMENSION_MISMATCH: vector length differs from the collection's dim."""


class ParseError(EmbedkitError, ValueError):
    """EK_ERR_PARSE: malformed JSON (config, metadata, filter)."""


class EmbedkitIOError(EmbedkitError):
    """EK_ERR_IO: file missing or unreadable."""


class StorageError(EmbedkitError):
    """EK_ERR_STORAGE: SQLite failure (locked, full, ...)."""


class CorruptError(EmbedkitError):
    """EK_ERR_CORRUPT: the file is not a store or fails its checks."""


class ReadOnlyError(EmbedkitError):
    """EK_ERR_READ_ONLY: write to a store opened read-only or a read-only file."""


class AbiMismatchError(EmbedkitError):
    """EK_ERR_ABI_MISMATCH: plugin built for another ABI major or bad struct_size."""


class NotAPluginError(EmbedkitError):
    """EK_ERR_NOT_A_PLUGIN: not loadable, or no ek_plugin_entry symbol."""


class UnsupportedError(EmbedkitError):
    """EK_ERR_UNSUPPORTED: backend not available, extension not provided."""


class BufferTooSmallError(EmbedkitError, ValueError):
    """EK_ERR_BUFFER_TOO_SMALL: a caller buffer (``out=``) is too small."""


class OutOfMemoryError(EmbedkitError, MemoryError):
    """EK_ERR_OUT_OF_MEMORY."""


class CancelledError(EmbedkitError):
    """EK_ERR_CANCELLED: stopped by Context.cancel() or a progress callback."""


class LimitError(EmbedkitError):
    """EK_ERR_LIMIT: input beyond a configured limit."""


class InternalError(EmbedkitError):
    """EK_ERR_INTERNAL: a bug in embedkit; please report it with the message."""


class PluginError(EmbedkitError):
    """EK_ERR_PLUGIN: a plugin call failed; the message says why."""


_BY_STATUS: Dict[int, Type[EmbedkitError]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.NOT_FOUND: NotFoundError,
    Status.ALREADY_EXISTS: AlreadyExistsError,
    Status.DIMENSION_MISMATCH: DimensionMismatchError,
    Status.PARSE: ParseError,
    Status.IO: EmbedkitIOError,
    Status.STORAGE: StorageError,
    Status.CORRUPT: CorruptError,
    Status.READ_ONLY: ReadOnlyError,
    Status.ABI_MISMATCH: AbiMismatchError,
    Status.NOT_A_PLUGIN: NotAPluginError,
    Status.UNSUPPORTED: UnsupportedError,
    Status.BUFFER_TOO_SMALL: BufferTooSmallError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.CANCELLED: CancelledError,
    Status.LIMIT: LimitError,
    Status.INTERNAL: InternalError,
    Status.PLUGIN: PluginError,
}


def error_class(status: int) -> Type[EmbedkitError]:
    """The exception class raised for ``status`` (EmbedkitError for unknown codes)."""
    return _BY_STATUS.get(int(status), EmbedkitError)


def _status_name(status: int) -> str:
    return _lib.lib().ek_status_name(status).decode("utf-8")


def make_error(status: int, message: str | None = None) -> EmbedkitError:
    """Builds the exception for ``status``; the message defaults to ek_last_error()."""
    if message is None:
        message = _lib.lib().ek_last_error().decode("utf-8", "replace")
    return error_class(status)(int(status), message)


def check(status: int) -> None:
    """Raises the matching EmbedkitError unless ``status`` is EK_OK.

    Must be called right after the C call, on the same thread, so that
    ek_last_error() still describes it.
    """
    if status != 0:
        raise make_error(status)
