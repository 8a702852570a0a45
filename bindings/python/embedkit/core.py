"""Context, plugins, instances, stores, collections and results.

Every class wraps one C handle, frees it in :meth:`close` (or when it is garbage
collected) and works as a context manager. A handle keeps what it depends on
alive on both sides (the C handles hold shared ownership; the Python objects hold
a reference to their parent), so they may be closed in any order.

Vectors cross the boundary without copies: inputs are passed as pointers into
C-contiguous float32 arrays (``np.ascontiguousarray(x, dtype=np.float32)`` copies
only when the array is not already like that); outputs are written by the library
straight into NumPy arrays, yours when you pass ``out=``.
"""
from __future__ import annotations

import contextlib
import ctypes
import enum
import json
import os
import queue
import signal
import threading
from ctypes import POINTER, byref, c_char_p, c_float, c_size_t, c_uint64, c_void_p, cast
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Mapping,
                    Optional, Sequence, Tuple, TypeVar, Union)

import numpy as np

from . import _lib
from ._lib import (ek_collection_info, ek_context_info, ek_context_options, ek_hit,
                   ek_plugin_info, ek_search_options, ek_store_options, ek_string_view,
                   ek_upsert_batch)
from .errors import CancelledError, EmbedkitError, check, make_error
from .index import DEFAULTS as INDEX_DEFAULTS
from .index import (Element, IndexInfo, IndexKind, collection_options, index_info_of,
                    index_search_options)

if TYPE_CHECKING:  # pragma: no cover
    from .extensions import Classifier, Matcher, Recommender, VsaProbe

PathLike = Union[str, "os.PathLike[str]"]
Text = Union[str, bytes]
JsonLike = Union[str, Mapping[str, Any], None]

#: Extension id of the encoder capability (``EK_EXT_ENCODER``).
EXT_ENCODER = "ek.encoder/1"


class Metric(enum.IntEnum):
    """Distance metric of a collection (``ek_metric``).

    COSINE and DOT scores are similarities (higher is closer); L2 scores are squared
    Euclidean distances (lower is closer).
    """

    COSINE = 0
    DOT = 1
    L2 = 2


class LogLevel(enum.IntEnum):
    """Log levels (``ek_log_level``)."""

    ERROR = 0
    WARN = 1
    INFO = 2
    DEBUG = 3


def version() -> str:
    """The library's semantic version, e.g. ``"0.1.0"``."""
    return _lib.lib().ek_version().decode("utf-8")


def abi_version() -> Tuple[int, int]:
    """The library's ABI version as ``(major, minor)``."""
    v = _lib.lib().ek_abi_version()
    return (v >> 16, v & 0xFFFF)


def status_name(status: int) -> str:
    """The C name of a status code, e.g. ``status_name(2) == "EK_ERR_NOT_FOUND"``."""
    return _lib.lib().ek_status_name(int(status)).decode("utf-8")


def last_error() -> Tuple[int, str]:
    """``(status, message)`` of the last failed call on this thread."""
    L = _lib.lib()
    return L.ek_last_status(), L.ek_last_error().decode("utf-8", "replace")


def _json_text(value: JsonLike, what: str) -> Optional[bytes]:
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        return _lib.encode(value, what)
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(",", ":")).encode("utf-8")
    raise TypeError("%s must be a JSON string or a mapping, not %s" % (what, type(value).__name__))


def _item_bytes(item: Any, index: int) -> bytes:
    """An encoder item as bytes. Items travel with their length, so NUL is fine;
    anything but str/bytes (an int would become that many zero bytes) is not."""
    if isinstance(item, str):
        return _lib.utf8(item, "encode: items[%d]" % index)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item)
    raise TypeError("encode: items[%d] must be str or bytes, not %s" % (index, type(item).__name__))


def _as_f32_matrix(x: Any, dim: Optional[int], what: str) -> np.ndarray:
    """A C-contiguous float32 2-D view of ``x`` (no copy when it already is one)."""
    a = np.ascontiguousarray(x, dtype=np.float32)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2:
        raise ValueError("%s must be 1-D or 2-D, got shape %s" % (what, a.shape))
    return a


def _float_ptr(a: np.ndarray) -> Any:
    return a.ctypes.data_as(POINTER(c_float))


class _Handle:
    """Owns one C handle; frees it with ``_free`` exactly once."""

    _free: str = ""
    _ptr: Optional[int] = None
    _parent: Optional["_Handle"] = None

    def __init__(self, ptr: int, parent: Optional["_Handle"]) -> None:
        self._ptr = ptr
        self._parent = parent  # keeps the parent (and its callbacks) alive

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._ptr is None

    @property
    def _h(self) -> int:
        """The C handle; ValueError once closed."""
        if self._ptr is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._ptr

    def close(self) -> None:
        """Frees the C handle. Safe to call twice; the object is unusable afterwards."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None and _lib._lib is not None:
            getattr(_lib._lib, self._free)(ptr)

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


# ---- Context ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContextInfo:
    """What a context runs on (``ek_context_info``)."""

    backend: str
    simd_target: str
    num_threads: int
    abi_version: Tuple[int, int]
    plugin_count: int


@dataclass(frozen=True)
class PluginInfo:
    """A registered plugin (``ek_plugin_info``). ``path`` is None for built-in plugins."""

    id: str
    name: str
    version: str
    vendor: str
    description: str
    extensions: Tuple[str, ...]
    path: Optional[str]
    abi_version: Tuple[int, int]

    @staticmethod
    def _from_c(info: ek_plugin_info) -> "PluginInfo":
        exts: List[str] = []
        if info.extensions:
            i = 0
            while info.extensions[i] is not None:
                exts.append(info.extensions[i].decode("utf-8"))
                i += 1
        d = lambda b: (b or b"").decode("utf-8")  # noqa: E731
        return PluginInfo(d(info.id), d(info.name), d(info.version), d(info.vendor),
                          d(info.description), tuple(exts), _lib.decode(info.path),
                          (info.abi_version >> 16, info.abi_version & 0xFFFF))


LogCallback = Callable[[LogLevel, str], None]
ProgressCallback = Callable[[str, int, int], Optional[bool]]


class Context(_Handle):
    """Plugins, worker threads and the compute backend. Thread-safe.

    Args:
        backend: ``"auto"`` (default), ``"cpu"`` or ``"cuda"``.
        num_threads: worker threads; 0 = all cores.
        log_level: messages up to this level are delivered.
        log: ``callback(level, message)`` receiving log lines (any thread); None
            sends them to stderr.
        plugin_path: folders to scan for plugin modules (a ``":"``-separated string
            or a list); None uses ``EMBEDKIT_PLUGIN_PATH``; ``""`` or ``[]`` scans none.
        bundled_plugins: register the plugins built into the library.

    Example::

        with embedkit.Context(num_threads=2) as ctx:
            print(ctx.info().simd_target, [p.id for p in ctx.plugins()])
    """

    _free = "ek_context_free"

    def __init__(self, backend: str = "auto", num_threads: int = 0,
                 log_level: int = LogLevel.WARN, log: Optional[LogCallback] = None,
                 plugin_path: Union[str, Sequence[PathLike], None] = None,
                 bundled_plugins: bool = True) -> None:
        L = _lib.lib()
        o = ek_context_options()
        L.ek_context_options_init(byref(o))
        o.backend = _lib.encode(backend, "Context: backend")
        o.num_threads = _lib.c_int(num_threads, "Context: num_threads")
        o.log_level = _lib.c_int(log_level, "Context: log_level", "int32_t")
        self._log_cb = None
        if log is not None:
            def _log(_user: Any, level: int, message: bytes) -> None:
                try:
                    log(LogLevel(level) if level in LogLevel._value2member_map_ else level,
                        message.decode("utf-8", "replace"))
                except BaseException:  # never let an exception unwind into C
                    pass
            self._log_cb = _lib.ek_log_fn(_log)
            o.log_callback = self._log_cb
        if plugin_path is not None:
            if not isinstance(plugin_path, (str, bytes)):
                plugin_path = ":".join(os.fspath(p) for p in plugin_path)
            o.plugin_path = _lib.encode(plugin_path, "Context: plugin_path")
        o.no_bundled_plugins = 0 if bundled_plugins else 1
        self._progress_cb: Any = None
        self._progress_error: Optional[BaseException] = None
        ptr = c_void_p()
        check(L.ek_context_create(byref(o), byref(ptr)))
        super().__init__(ptr.value, None)

    def info(self) -> ContextInfo:
        """Backend, SIMD target, threads, ABI and plugin count of this context."""
        i = ek_context_info()
        i.struct_size = ctypes.sizeof(i)
        check(_lib.lib().ek_context_info_get(self._h, byref(i)))
        return ContextInfo(i.backend.decode(), i.simd_target.decode(), i.num_threads,
                           (i.abi_version >> 16, i.abi_version & 0xFFFF), i.plugin_count)

    # -- plugins
    def load_plugin(self, path: PathLike) -> str:
        """Loads a plugin module and returns its id.

        Raises EmbedkitIOError (missing file), NotAPluginError, AbiMismatchError or
        AlreadyExistsError with the library's message.
        """
        out = c_char_p()
        check(_lib.lib().ek_plugin_load(self._h, _lib.encode(path, "load_plugin: path"), byref(out)))
        return out.value.decode("utf-8")  # type: ignore[union-attr]

    def load_plugin_dir(self, folders: Union[PathLike, Sequence[PathLike]]) -> int:
        """Loads every plugin module in the folders; returns how many were registered."""
        if not isinstance(folders, (str, bytes, os.PathLike)):
            folders = ":".join(os.fspath(f) for f in folders)
        n = c_size_t()
        check(_lib.lib().ek_plugin_load_dir(self._h, _lib.encode(folders, "load_plugin_dir: folders"),
                                            byref(n)))
        return n.value

    @property
    def plugin_count(self) -> int:
        """Number of registered plugins."""
        n = c_size_t()
        check(_lib.lib().ek_plugin_count(self._h, byref(n)))
        return n.value

    def plugins(self) -> List[PluginInfo]:
        """Every registered plugin, in registration order."""
        out = []
        for i in range(self.plugin_count):
            info = ek_plugin_info()
            info.struct_size = ctypes.sizeof(info)
            check(_lib.lib().ek_plugin_info_at(self._h, i, byref(info)))
            out.append(PluginInfo._from_c(info))
        return out

    def plugin(self, plugin_id: str) -> PluginInfo:
        """The plugin with this id; NotFoundError if none."""
        info = ek_plugin_info()
        info.struct_size = ctypes.sizeof(info)
        check(_lib.lib().ek_plugin_info_find(self._h, _lib.encode(plugin_id, "plugin: plugin_id"),
                                             byref(info)))
        return PluginInfo._from_c(info)

    def plugin_at(self, index: int) -> PluginInfo:
        """Plugin number ``index`` (0 <= index < plugin_count)."""
        info = ek_plugin_info()
        info.struct_size = ctypes.sizeof(info)
        check(_lib.lib().ek_plugin_info_at(self._h, _lib.c_int(index, "plugin_at: index", "size_t"),
                                           byref(info)))
        return PluginInfo._from_c(info)

    # -- instances and stores
    def create_instance(self, plugin_id: str, config: JsonLike = None) -> "Instance":
        """Creates an instance of a plugin configured by a JSON object (str or dict)."""
        return Instance(self, plugin_id, config)

    def open_store(self, path: PathLike, read_only: bool = False, must_exist: bool = False,
                   busy_timeout_ms: int = 0) -> "Store":
        """Opens (creating if needed) a store file, or ``":memory:"``."""
        return Store(self, path, read_only=read_only, must_exist=must_exist,
                     busy_timeout_ms=busy_timeout_ms)

    # -- progress and cancellation
    def set_progress(self, callback: Optional[ProgressCallback]) -> None:
        """Sets (or clears, with None) ``callback(task, done, total)`` for long work.

        It may run on any thread. Returning True cancels the operation, which then
        raises CancelledError; an exception raised by the callback cancels too and
        is re-raised (chained) in place of the CancelledError. Either way the
        context stays cancelled until :meth:`reset_cancel`, as with :meth:`cancel`.
        """
        if callback is None:
            check(_lib.lib().ek_context_set_progress(self._h, _lib.ek_progress_fn(), None))
            self._progress_cb = None
            return

        def _progress(_user: Any, task: bytes, done: int, total: int) -> int:
            try:
                return 1 if callback(task.decode("utf-8", "replace"), done, total) else 0
            except BaseException as e:  # cancel, and re-raise after the call returns
                self._progress_error = e
                return 1

        cb = _lib.ek_progress_fn(_progress)
        check(_lib.lib().ek_context_set_progress(self._h, cb, None))
        self._progress_cb = cb

    def cancel(self) -> None:
        """Asks every running long operation of this context to stop (any thread)."""
        check(_lib.lib().ek_context_cancel(self._h))

    def reset_cancel(self) -> None:
        """Clears the cancellation flag before starting new work."""
        check(_lib.lib().ek_context_reset_cancel(self._h))

    def _raise(self, status: int) -> None:
        """Raises for a failed long operation, surfacing a progress-callback error."""
        err = make_error(status)
        pending, self._progress_error = self._progress_error, None
        if pending is not None and isinstance(err, CancelledError):
            raise pending from err
        raise err


# ---- Long calls and Ctrl-C ---------------------------------------------------------

_R = TypeVar("_R")

# The thread that runs the main thread's long calls (one is enough: the main thread
# waits for each call), started on first use; forgotten in a forked child, where it
# does not exist. A persistent thread costs ~30 us a call, a new one ~300 us.
_jobs: Optional["queue.SimpleQueue[Callable[[], None]]"] = None


def _run_jobs(jobs: "queue.SimpleQueue[Callable[[], None]]") -> None:
    while True:
        jobs.get()()


def _submit(job: Callable[[], None]) -> None:
    global _jobs
    if _jobs is None:
        _jobs = queue.SimpleQueue()
        threading.Thread(target=_run_jobs, args=(_jobs,), name="embedkit-calls", daemon=True).start()
    _jobs.put(job)


def _forget_worker() -> None:
    global _jobs
    _jobs = None


os.register_at_fork(after_in_child=_forget_worker)


def _interruptible(context: Context, call: Callable[[], _R]) -> _R:
    """Runs ``call`` (one long library call, with its error check) so that Ctrl-C
    cancels it.

    Python runs signal handlers on the main thread only, between bytecodes: while the
    main thread sits in a C call, a KeyboardInterrupt waits until the call returns
    (minutes, for a long fit). So, on the main thread with a Python SIGINT handler,
    the call runs on a worker thread (ctypes releases the GIL) while the main thread
    waits in short timed waits. A KeyboardInterrupt there (or any exception a signal
    handler raises, e.g. a timeout from SIGALRM) cancels the context's running work
    (``ek_context_cancel``), waits for the call to return
    (EK_ERR_CANCELLED, within a poll interval), clears the flag so that the context
    stays usable, and re-raises it. Elsewhere (other threads, SIGINT
    ignored or default) the call runs directly. Everything ``call`` does, including
    reading the thread's ``ek_last_error()``, happens on one thread.
    """
    if threading.current_thread() is not threading.main_thread() or \
            not callable(signal.getsignal(signal.SIGINT)):
        return call()
    box: Dict[str, Any] = {}
    # An Event, not Thread.join: a KeyboardInterrupt inside join() can mark a running
    # thread as stopped (CPython's bpo-45274 handling, Python 3.11), and the call would
    # then go on after we returned.
    done = threading.Event()

    def work() -> None:
        try:
            box["result"] = call()
        except BaseException as e:  # handed to the caller's thread
            box["error"] = e
        finally:
            done.set()

    _submit(work)
    try:
        while not done.wait(0.1):
            pass
    except BaseException:  # KeyboardInterrupt, or what another signal handler raised
        context.cancel()
        # The worker still uses the call's buffers: never leave before it returns.
        # Another signal meanwhile only repeats the cancel.
        while not done.is_set():
            try:
                done.wait(0.1)
            except BaseException:
                context.cancel()
        context.reset_cancel()
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]


# ---- Instances ---------------------------------------------------------------------


class Instance(_Handle):
    """One configured plugin instance. Use from one thread at a time.

    Example::

        enc = ctx.create_instance("embedkit.sample.trigram_hash", {"dim": 64})
        vectors = enc.encode(["hello world", "hello there"])   # (2, 64) float32
    """

    _free = "ek_instance_free"

    def __init__(self, context: Context, plugin_id: str, config: JsonLike = None) -> None:
        ptr = c_void_p()
        check(_lib.lib().ek_instance_create(context._h,
                                            _lib.encode(plugin_id, "create_instance: plugin_id"),
                                            _json_text(config, "config"), byref(ptr)))
        super().__init__(ptr.value, context)
        self.context = context
        self.plugin_id = plugin_id
        self._dim: Optional[int] = None
        self._bound_store: Optional["Store"] = None  # set by Recommender.save/load

    def has_extension(self, extension_id: str) -> bool:
        """True if the instance provides the extension (e.g. ``"ek.encoder/1"``)."""
        return bool(_lib.lib().ek_instance_has_extension(
            self._h, _lib.encode(extension_id, "has_extension: extension_id")))

    def extension_table(self, extension_id: str) -> int:
        """Address of the plugin's function table for an extension (raw access).

        Its functions take :attr:`plugin_data` as first argument. NotFoundError or
        UnsupportedError if the instance lacks it.
        """
        out = c_void_p()
        check(_lib.lib().ek_instance_get_extension(
            self._h, _lib.encode(extension_id, "extension_table: extension_id"), byref(out)))
        return int(out.value or 0)

    @property
    def plugin_data(self) -> int:
        """The plugin's own instance pointer (first argument of extension functions)."""
        return int(_lib.lib().ek_instance_plugin_data(self._h) or 0)

    # -- typed extension wrappers (embedkit.extensions)
    def classifier(self) -> "Classifier":
        """The ``"ek.classifier/1"`` wrapper (``embedkit.text_classify``).

        UnsupportedError if the instance does not provide the extension.
        """
        from .extensions import Classifier
        return Classifier(self)

    def matcher(self) -> "Matcher":
        """The ``"ek.matcher/1"`` wrapper (``embedkit.table_match``).

        UnsupportedError if the instance does not provide the extension.
        """
        from .extensions import Matcher
        return Matcher(self)

    def recommender(self) -> "Recommender":
        """The ``"ek.recommender/1"`` (+ ``"ek.unlearner/1"``) wrapper
        (``embedkit.rec_unlearn``).

        UnsupportedError if the instance does not provide the extension.
        """
        from .extensions import Recommender
        return Recommender(self)

    def vsa_probe(self) -> "VsaProbe":
        """The ``"ek.vsa_probe/1"`` wrapper (``embedkit.vsa_json``): probing, decoding
        and indexing its vectors.

        UnsupportedError if the instance does not provide the extension.
        """
        from .extensions import VsaProbe
        return VsaProbe(self)

    # -- "ek.encoder/1"
    @property
    def dim(self) -> int:
        """Length of the vectors the encoder produces (UnsupportedError if no encoder)."""
        if self._dim is None:
            n = c_size_t()
            check(_lib.lib().ek_encoder_dim(self._h, byref(n)))
            self._dim = n.value
        return self._dim

    def encode(self, items: Union[Text, Sequence[Text]],
               out: Optional[np.ndarray] = None) -> np.ndarray:
        """Encodes texts (or JSON documents, per plugin) into vectors.

        Args:
            items: one ``str``/``bytes`` item, or a sequence of them.
            out: optional C-contiguous, writable float32 array receiving the vectors
                (at least ``len(items) * dim`` elements); written in place.

        Returns:
            ``(len(items), dim)`` float32 array (``(dim,)`` for a single item) — a
            view of ``out`` when given.

        Raises:
            BufferTooSmallError: ``out`` holds fewer than ``len(items) * dim`` floats.
            CancelledError: cancelled by :meth:`Context.cancel` or a progress callback.
        """
        single = isinstance(items, (str, bytes))
        seq: Sequence[Text] = [items] if single else items  # type: ignore[list-item]
        count = len(seq)
        keep = [_item_bytes(s, i) for i, s in enumerate(seq)]
        views = (ek_string_view * max(count, 1))()
        for i, b in enumerate(keep):
            views[i].data = cast(c_char_p(b), c_void_p).value
            views[i].length = len(b)
        dim = self.dim
        if out is None:
            out = np.empty((count, dim), dtype=np.float32)
            result = out
        else:
            if out.dtype != np.float32 or not out.flags.c_contiguous or not out.flags.writeable:
                raise TypeError("out must be a writable C-contiguous float32 array")
            result = out.reshape(-1)[: count * dim].reshape(count, dim) \
                if out.size >= count * dim else out
        needed = c_size_t()

        def call() -> None:
            status = _lib.lib().ek_encode(self._h, views, count, _float_ptr(out), out.size,
                                          byref(needed))
            if status != 0:
                self.context._raise(status)

        _interruptible(self.context, call)
        return result[0] if single else result


# ---- Store, collections, results -------------------------------------------------


@dataclass(frozen=True)
class CollectionInfo:
    """Name, shape and size of a collection (``ek_collection_info``)."""

    name: str
    dim: int
    metric: Metric
    count: int

    @staticmethod
    def _from_c(c: ek_collection_info) -> "CollectionInfo":
        return CollectionInfo(c.name.decode("utf-8"), c.dim, Metric(c.metric), c.count)


_KV_BLOB, _KV_JSON = 0, 1  # ek_value_kind
_BUFFER_TOO_SMALL = 13    # EK_ERR_BUFFER_TOO_SMALL
_KV_FIRST_READ = 256      # bytes kv_get offers before asking a value's size


class Store(_Handle):
    """One SQLite store file (or ``":memory:"``). Thread-safe.

    Args:
        context: the context it belongs to.
        path: file to open (created if missing unless ``must_exist``) or ``":memory:"``.
        read_only: open read-only; writes raise ReadOnlyError.
        must_exist: raise EmbedkitIOError instead of creating the file.
        busy_timeout_ms: wait this long on a lock held by another process (0 = 5000).
    """

    _free = "ek_store_free"

    def __init__(self, context: Context, path: PathLike, read_only: bool = False,
                 must_exist: bool = False, busy_timeout_ms: int = 0) -> None:
        L = _lib.lib()
        o = ek_store_options()
        L.ek_store_options_init(byref(o))
        o.read_only = 1 if read_only else 0
        o.must_exist = 1 if must_exist else 0
        o.busy_timeout_ms = _lib.c_int(busy_timeout_ms, "Store: busy_timeout_ms")
        ptr = c_void_p()
        check(L.ek_store_open(context._h, _lib.encode(path, "Store: path"), byref(o), byref(ptr)))
        super().__init__(ptr.value, context)
        self.context = context
        self.path = os.fspath(path)

    def begin(self) -> None:
        """Opens one transaction over the following writes through this store (and its
        collections): all durable at :meth:`commit`, none after :meth:`rollback`,
        closing the store or a crash. A failed call inside undoes only itself.
        Prefer ``with store.transaction():``."""
        check(_lib.lib().ek_store_begin(self._h))

    def commit(self) -> None:
        """Makes every write since :meth:`begin` durable at once."""
        check(_lib.lib().ek_store_commit(self._h))

    def rollback(self) -> None:
        """Undoes every write since :meth:`begin`."""
        check(_lib.lib().ek_store_rollback(self._h))

    @contextlib.contextmanager
    def transaction(self):
        """``with store.transaction(): ...`` commits when the block ends normally and
        rolls back when it raises."""
        self.begin()
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def create_collection(self, name: str, dim: int,
                          metric: Union[Metric, int, str] = Metric.COSINE,
                          index: Union[IndexKind, int, str] = IndexKind.EXACT, m: int = 16,
                          ef_construction: int = 200, ef_search: int = 64,
                          element: Union[Element, int, str] = Element.F32, rescore: int = 1,
                          defer_build: bool = False) -> "Collection":
        """Creates a collection, or opens it if it exists with the same dim, metric and
        index options.

        ``metric`` is a :class:`Metric`, its value, or its name (``"cosine"``, ``"dot"``,
        ``"l2"``, as in the CLI and the JS package). AlreadyExistsError if it exists
        with another shape.

        The index arguments (ABI 1.2; docs/storage.md "Indexes") are those of
        ``ek_collection_options``: ``index`` ``"exact"`` or ``"hnsw"`` (an
        :class:`IndexKind`), the graph's ``m`` (2..255), ``ef_construction`` and
        default ``ef_search`` (1..65536), ``element`` ``"f32"``, ``"f16"``, ``"int8"``
        or ``"bit"`` (an :class:`Element`), the default ``rescore`` oversampling
        (1 = none .. 1024), and ``defer_build`` (hnsw: store rows only until
        :meth:`Collection.build_index`, the fastest import). An existing collection is
        opened only with the same options (AlreadyExistsError naming the first
        difference: change them with :meth:`Collection.build_index`).
        """
        if isinstance(metric, str):
            try:
                metric = Metric[metric.upper()]
            except KeyError:
                raise make_error(1, f"create_collection: unknown metric {metric!r} "
                                    "(cosine, dot or l2)") from None
        L = _lib.lib()
        c_name = _lib.encode(name, "create_collection: name")
        c_dim = _lib.c_int(dim, "create_collection: dim")
        c_metric = _lib.c_int(metric, "create_collection: metric", "int32_t")
        o = collection_options("create_collection", index, m, ef_construction, ef_search,
                               element, rescore, defer_build)
        ptr = c_void_p()
        check(L.ek_collection_create_with(self._h, c_name, c_dim, c_metric, byref(o), byref(ptr)))
        return Collection(ptr.value, self)

    def collection(self, name: str) -> "Collection":
        """Opens an existing collection; NotFoundError if there is none."""
        ptr = c_void_p()
        check(_lib.lib().ek_collection_open(self._h, _lib.encode(name, "collection: name"),
                                            byref(ptr)))
        return Collection(ptr.value, self)

    def drop_collection(self, name: str) -> None:
        """Deletes a collection and its vectors; NotFoundError if there is none."""
        check(_lib.lib().ek_collection_drop(self._h, _lib.encode(name, "drop_collection: name")))

    def collections(self) -> List[CollectionInfo]:
        """Every collection of the store."""
        arr = POINTER(ek_collection_info)()
        n = c_size_t()
        L = _lib.lib()
        check(L.ek_store_list_collections(self._h, byref(arr), byref(n)))
        try:
            return [CollectionInfo._from_c(arr[i]) for i in range(n.value)]
        finally:
            L.ek_collection_infos_free(arr, n.value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(c.name == name for c in self.collections())

    # ---- key/value state (ABI 1.1): values that are not vectors, in the same file and
    # the same transactions as the collections. ``namespace`` is the owner's id.

    def kv_put(self, namespace: str, key: str, value: Any) -> None:
        """Stores ``value`` under (namespace, key): bytes-like values as a blob, anything
        else as JSON (``json.dumps``). Joins an open :meth:`transaction`."""
        if isinstance(value, (bytes, bytearray, memoryview)):
            data, kind = bytes(value), _KV_BLOB
        else:
            data, kind = json.dumps(value, separators=(",", ":")).encode("utf-8"), _KV_JSON
        check(_lib.lib().ek_store_kv_put(self._h, _lib.encode(namespace, "kv_put: namespace"),
                                         _lib.encode(key, "kv_put: key"), data, len(data), kind))

    def kv_get(self, namespace: str, key: str) -> Any:
        """The value of (namespace, key): bytes for a blob, the parsed value for JSON.
        NotFoundError if there is none."""
        L = _lib.lib()
        ns, k = _lib.encode(namespace, "kv_get: namespace"), _lib.encode(key, "kv_get: key")
        length, kind = c_size_t(), ctypes.c_int32()
        # one call for a value that fits a small buffer (most do: many small reads, e.g.
        # embedkit.dask's per-row records, paid twice the calls otherwise); a larger one,
        # or one another writer grows meanwhile, is read again at the size reported
        buf = ctypes.create_string_buffer(_KV_FIRST_READ)
        status = L.ek_store_kv_get(self._h, ns, k, buf, len(buf), byref(length), byref(kind))
        while status == _BUFFER_TOO_SMALL:
            buf = ctypes.create_string_buffer(length.value + 1)
            status = L.ek_store_kv_get(self._h, ns, k, buf, len(buf), byref(length), byref(kind))
        check(status)
        data = buf.raw[:length.value]
        return json.loads(data) if kind.value == _KV_JSON else data

    def kv_delete(self, namespace: str, key: str) -> bool:
        """Deletes (namespace, key); True if it existed."""
        n = c_size_t()
        check(_lib.lib().ek_store_kv_delete(self._h, _lib.encode(namespace, "kv_delete: namespace"),
                                            _lib.encode(key, "kv_delete: key"), byref(n)))
        return n.value == 1

    def kv_delete_prefix(self, namespace: str, prefix: str = "") -> int:
        """Deletes every key of ``namespace`` starting with ``prefix``; returns how many."""
        n = c_size_t()
        check(_lib.lib().ek_store_kv_delete_prefix(
            self._h, _lib.encode(namespace, "kv_delete_prefix: namespace"),
            _lib.encode(prefix, "kv_delete_prefix: prefix"), byref(n)))
        return n.value

    def kv_keys(self, namespace: str, prefix: str = "", after: Optional[str] = None,
                limit: int = 0) -> List[str]:
        """Keys of ``namespace`` starting with ``prefix``, in byte order, after ``after``,
        at most ``limit`` (0 = all)."""
        return [h.id for h in self._kv_list(namespace, prefix, after, limit, False).hits()]

    def kv_items(self, namespace: str, prefix: str = "") -> Dict[str, Any]:
        """Key -> value for the keys starting with ``prefix``; JSON values parsed,
        blobs read with :meth:`kv_get`."""
        out: Dict[str, Any] = {}
        for h in self._kv_list(namespace, prefix, None, 0, True).hits():
            out[h.id] = h.metadata if h.metadata_json is not None else self.kv_get(namespace, h.id)
        return out

    def _kv_list(self, namespace: str, prefix: str, after: Optional[str], limit: int,
                 values: bool) -> "Results":
        ptr = c_void_p()
        check(_lib.lib().ek_store_kv_list(
            self._h, _lib.encode(namespace, "kv_list: namespace"),
            _lib.encode(prefix, "kv_list: prefix"),
            None if after is None else _lib.encode(after, "kv_list: after"),
            _lib.c_int(limit, "kv_list: limit", "size_t"), 1 if values else 0, byref(ptr)))
        return Results(ptr.value, self)


@dataclass(frozen=True)
class Hit:
    """One search or listing hit. ``score`` follows the collection's :class:`Metric`."""

    id: str
    score: float
    metadata_json: Optional[str] = None

    @property
    def metadata(self) -> Optional[Dict[str, Any]]:
        """The row's metadata parsed from JSON (None when absent or not requested)."""
        return None if self.metadata_json is None else json.loads(self.metadata_json)


class Results(_Handle):
    """Hits of a search (one list per query) or of a listing (one list).

    ``results[q]`` is the list of :class:`Hit` of query ``q``, best first;
    ``results.ids(q)`` and ``results.scores(q)`` give them as a list and a float32
    array.
    """

    _free = "ek_results_free"

    def __init__(self, ptr: int, parent: Optional[_Handle]) -> None:
        super().__init__(ptr, parent)

    def __len__(self) -> int:
        return int(_lib.lib().ek_results_query_count(self._h))

    def hit_count(self, query: int = 0) -> int:
        """Hits of query ``query`` (0 when out of range)."""
        return int(_lib.lib().ek_results_hit_count(self._h, _lib.c_int(query, "hit_count: query",
                                                                        "size_t")))

    def hit(self, query: int, rank: int) -> Hit:
        """Hit number ``rank`` (0 = best) of query ``query``; InvalidArgumentError if none."""
        h = ek_hit()
        h.struct_size = ctypes.sizeof(h)
        check(_lib.lib().ek_results_hit(self._h, _lib.c_int(query, "hit: query", "size_t"),
                                        _lib.c_int(rank, "hit: rank", "size_t"), byref(h)))
        return Hit(h.id.decode("utf-8"), float(h.score), _lib.decode(h.metadata_json))

    def hits(self, query: int = 0) -> List[Hit]:
        """Every hit of query ``query``, best first."""
        if not 0 <= query < len(self):
            raise IndexError("query %d of %d" % (query, len(self)))
        return [self.hit(query, r) for r in range(self.hit_count(query))]

    def __getitem__(self, query: int) -> List[Hit]:
        if query < 0:
            query += len(self)
        return self.hits(query)

    def __iter__(self) -> Iterator[List[Hit]]:
        for q in range(len(self)):
            yield self.hits(q)

    def ids(self, query: int = 0) -> List[str]:
        """The ids of query ``query``'s hits, best first."""
        return [h.id for h in self.hits(query)]

    def scores(self, query: int = 0) -> np.ndarray:
        """The scores of query ``query``'s hits as a float32 array, best first."""
        return np.array([h.score for h in self.hits(query)], dtype=np.float32)


class Collection(_Handle):
    """A named set of vectors of one dim and metric in a store. Thread-safe.

    Example::

        docs = store.create_collection("docs", dim=64)
        docs.upsert(["a", "b"], vectors, metadata=[{"lang": "en"}, None])
        with docs.search(query, k=5, filter={"lang": "en"}) as res:
            print(res[0])
    """

    _free = "ek_collection_free"

    def __init__(self, ptr: int, store: Store) -> None:
        super().__init__(ptr, store)
        self.store = store
        info = self.info()
        self.name = info.name
        self.dim = info.dim
        self.metric = info.metric

    def info(self) -> CollectionInfo:
        """Current name, dim, metric and count."""
        c = ek_collection_info()
        c.struct_size = ctypes.sizeof(c)
        check(_lib.lib().ek_collection_info_get(self._h, byref(c)))
        return CollectionInfo._from_c(c)

    def count(self) -> int:
        """Rows stored."""
        n = c_uint64()
        check(_lib.lib().ek_collection_count(self._h, byref(n)))
        return n.value

    def __len__(self) -> int:
        return self.count()

    def upsert(self, ids: Union[str, Sequence[str]], vectors: Any,
               metadata: Union[JsonLike, Sequence[JsonLike]] = None) -> None:
        """Inserts or replaces rows in one transaction (all or none).

        Args:
            ids: one id or a sequence of ``n`` ids.
            vectors: ``(n, dim)`` (or ``(dim,)`` for one id) array-like of floats;
                a C-contiguous float32 array is passed without a copy.
            metadata: None, or per row a JSON object (dict or str) or None; for a
                single id, one dict/str.

        Raises:
            DimensionMismatchError, InvalidArgumentError (NaN, duplicate id),
            ParseError (bad metadata), ReadOnlyError — naming the offending row.
        """
        single = isinstance(ids, str)
        id_list = [ids] if single else list(ids)  # type: ignore[list-item]
        a = _as_f32_matrix(vectors, self.dim, "vectors")
        n = len(id_list)
        if a.shape[0] != n:
            raise ValueError("%d ids but %d vector rows" % (n, a.shape[0]))
        id_bytes = [_lib.encode(i, "upsert: ids[%d]" % r) for r, i in enumerate(id_list)]
        id_arr = (c_char_p * max(n, 1))(*id_bytes)
        b = ek_upsert_batch()
        b.struct_size = ctypes.sizeof(b)
        b.count = n
        b.ids = id_arr
        b.vectors = _float_ptr(a)
        b.dim = a.shape[1]
        meta_arr = None
        if metadata is not None:
            rows = [metadata] if single else list(metadata)  # type: ignore[arg-type]
            if len(rows) != n:
                raise ValueError("%d ids but %d metadata entries" % (n, len(rows)))
            meta_arr = (c_char_p * max(n, 1))(
                *[_json_text(m, "upsert: metadata[%d]" % r) for r, m in enumerate(rows)])
            b.metadata_json = meta_arr
        check(_lib.lib().ek_collection_upsert(self._h, byref(b)))

    def get(self, id: str, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The vector stored under ``id`` (NotFoundError if none).

        ``out`` (optional, float32, C-contiguous, writable) receives it in place;
        BufferTooSmallError if it holds fewer than ``dim`` floats.
        """
        vec, _ = self._get(id, out, False)
        return vec

    def get_with_metadata(self, id: str) -> Tuple[np.ndarray, Optional[Dict[str, Any]]]:
        """``(vector, metadata)`` stored under ``id``; metadata is None when absent."""
        vec, meta = self._get(id, None, True)
        return vec, (None if meta is None else json.loads(meta))

    def _get(self, id: str, out: Optional[np.ndarray],
             want_meta: bool) -> Tuple[np.ndarray, Optional[str]]:
        if out is None:
            out = np.empty(self.dim, dtype=np.float32)
        elif out.dtype != np.float32 or not out.flags.c_contiguous or not out.flags.writeable:
            raise TypeError("out must be a writable C-contiguous float32 array")
        dim = c_size_t()
        meta = c_void_p()
        L = _lib.lib()
        check(L.ek_collection_get(self._h, _lib.encode(id, "get: id"), _float_ptr(out), out.size,
                                  byref(dim),
                                  byref(meta) if want_meta else None))
        text = None
        if meta.value:
            try:
                text = ctypes.string_at(meta.value).decode("utf-8")
            finally:
                L.ek_string_free(meta.value)
        return out.reshape(-1)[: dim.value], text

    def __contains__(self, id: object) -> bool:
        # No stored id holds a NUL or a lone surrogate: such a key is simply absent.
        if not isinstance(id, str) or "\0" in id or not _lib.is_utf8_encodable(id):
            return False
        dim = c_size_t()
        status = _lib.lib().ek_collection_get(self._h, _lib.encode(id), None, 0, byref(dim), None)
        if status == 0:
            return True
        err = make_error(status)
        if err.status == 2:  # NOT_FOUND
            return False
        raise err

    def delete(self, ids: Union[str, Iterable[str]]) -> int:
        """Deletes rows by id in one transaction; returns how many existed."""
        id_list = [ids] if isinstance(ids, str) else list(ids)
        arr = (c_char_p * max(len(id_list), 1))(
            *[_lib.encode(i, "delete: ids[%d]" % r) for r, i in enumerate(id_list)])
        n = c_size_t()
        check(_lib.lib().ek_collection_delete(self._h, arr, len(id_list), byref(n)))
        return n.value

    def search(self, queries: Any, k: int = 10, filter: JsonLike = None,
               include_metadata: bool = False, ef: int = 0, exact: bool = False,
               rescore: int = 0) -> Results:
        """Top-``k`` search of one query (``(dim,)``) or a batch (``(n, dim)``): exact
        for an exact f32 collection, else as docs/storage.md "Indexes" says.

        Args:
            queries: array-like of floats; C-contiguous float32 passes without a copy.
            k: hits per query, 1 or more (no upper limit; a query gets at most
                as many hits as rows the filter allows).
            filter: only rows whose metadata matches (dict or JSON text): equality
                ``{"lang": "en"}`` or operators such as
                ``{"year": {"$gte": 2000}, "genre": {"$in": ["a", "b"]}}``,
                ``$or``/``$and``/``$not`` (grammar: docs/storage.md, "Filters").
            include_metadata: hits carry their metadata.
            ef: hnsw beam (0 = the collection's ``ef_search``; raised to ``k``).
            exact: scan the f32 originals exactly (the recall baseline of an hnsw or
                quantized collection).
            rescore: oversampling re-ranked with the f32 originals (0 = the
                collection's, 1 = none, up to 1024).

        Returns:
            :class:`Results` with one list of hits per query, best first.
        """
        a = _as_f32_matrix(queries, self.dim, "queries")
        L = _lib.lib()
        o = ek_search_options()
        L.ek_search_options_init(byref(o))
        o.k = _lib.c_int(k, "search: k")
        o.filter_json = _json_text(filter, "search: filter")
        o.include_metadata = 1 if include_metadata else 0
        ptr = c_void_p()
        if ef or exact or rescore:
            io = index_search_options(ef, exact, rescore)
            check(L.ek_collection_search_with(self._h, _float_ptr(a), a.shape[0], a.shape[1],
                                              byref(o), byref(io), byref(ptr)))
        else:
            check(L.ek_collection_search(self._h, _float_ptr(a), a.shape[0], a.shape[1],
                                         byref(o), byref(ptr)))
        return Results(ptr.value, self)

    # ---- index (ABI 1.2; docs/storage.md "Indexes")

    def index_info(self) -> IndexInfo:
        """The collection's index kind, element, parameters and bytes per row."""
        return index_info_of(self._h)

    def build_index(self, index: Union[IndexKind, int, str, None] = None,
                    m: Optional[int] = None, ef_construction: Optional[int] = None,
                    ef_search: Optional[int] = None,
                    element: Union[Element, int, str, None] = None,
                    rescore: Optional[int] = None) -> None:
        """(Re)builds the index in one transaction.

        With no arguments it rebuilds with the current options. Otherwise the
        arguments are :meth:`Store.create_collection`'s index arguments with the same
        defaults: an option not named takes its default (exact, m 16, ef_construction
        200, ef_search 64, f32, rescore 1), not its current value, as in C
        (``build_index(index="exact")`` drops the index). Progress goes to
        :meth:`Context.set_progress` (task ``"index build"``); Ctrl-C or
        :meth:`Context.cancel` stops it (CancelledError) and the collection keeps its
        previous index. InvalidArgumentError inside :meth:`Store.begin`.
        """
        L = _lib.lib()
        given = {"index": index, "m": m, "ef_construction": ef_construction,
                 "ef_search": ef_search, "element": element, "rescore": rescore}
        o = None
        if any(v is not None for v in given.values()):
            named = {k: INDEX_DEFAULTS[k] if v is None else v for k, v in given.items()}
            o = collection_options("build_index", defer_build=False, **named)

        def call() -> None:
            status = L.ek_collection_index_build(self._h, None if o is None else byref(o))
            if status != 0:
                self.store.context._raise(status)

        _interruptible(self.store.context, call)

    def compact_index(self) -> int:
        """Rebuilds the index with its current options (giving up deleted rows'
        slots), then VACUUMs the store file; returns the bytes the file shrank by.
        Progress, Ctrl-C and refusals as :meth:`build_index`."""
        freed = c_uint64()

        def call() -> None:
            status = _lib.lib().ek_collection_index_compact(self._h, byref(freed))
            if status != 0:
                self.store.context._raise(status)

        _interruptible(self.store.context, call)
        return freed.value

    def list(self, offset: int = 0, limit: int = 0, include_metadata: bool = False) -> Results:
        """Rows in insertion order (``limit`` 0 = all) as one result list, scores 0."""
        ptr = c_void_p()
        check(_lib.lib().ek_collection_list(self._h, _lib.c_int(offset, "list: offset", "size_t"),
                                            _lib.c_int(limit, "list: limit", "size_t"),
                                            1 if include_metadata else 0, byref(ptr)))
        return Results(ptr.value, self)

