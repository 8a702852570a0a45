"""Typed wrappers of the plugin extensions (``abi/include/embedkit/ext/*.h``).

=============  ==========================================  ===========================
wrapper        extension                                   bundled plugin
=============  ==========================================  ===========================
Classifier     ``"ek.classifier/1"``                        ``embedkit.text_classify``
Matcher        ``"ek.matcher/1"``                           ``embedkit.table_match``
Recommender    ``"ek.recommender/1"`` + ``"ek.unlearner/1"``  ``embedkit.rec_unlearn``
VsaProbe       ``"ek.vsa_probe/1"``                         ``embedkit.vsa_json``
=============  ==========================================  ===========================

Obtain them from an instance::

    inst = ctx.create_instance("embedkit.text_classify", {"embedder": "hashing"})
    cls = inst.classifier()          # UnsupportedError if the plugin lacks it

A wrapper borrows its :class:`~embedkit.Instance`: it holds a reference to it, and
every call raises :class:`~embedkit.InvalidArgumentError` once the instance is
closed (instead of calling into freed memory). The functions are called directly
through the plugin's function table; a failure raises the
:class:`~embedkit.EmbedkitError` subclass of its status carrying the extension's
own message (``last_error(self)`` of the table). Like the instance, a wrapper is
used from one thread at a time; the long calls (fit, predict, match, train,
forget) release the GIL and report progress / honour :meth:`Context.cancel`.
"""
from __future__ import annotations

import ctypes
import json
from ctypes import (POINTER, byref, c_char_p, c_float, c_int32, c_int64, c_size_t,
                    c_uint64, c_void_p, cast)
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple, Union)

import numpy as np

from . import _ext, _lib
from ._lib import ek_string_view
from .errors import (AbiMismatchError, CancelledError, EmbedkitError, InvalidArgumentError,
                     Status, UnsupportedError, error_class)

if TYPE_CHECKING:  # pragma: no cover
    from .core import Hit, Instance, Store

Text = Union[str, bytes]
JsonLike = Union[str, bytes, Mapping[str, Any], Sequence[Any]]

__all__ = ["Classifier", "Prediction", "LabelInfo", "Label", "Matcher", "MatchColumn",
           "Recommender", "TrainReport", "RecMetrics", "RecStats", "ForgetReport", "VsaProbe",
           "ValueMatch", "NumberEstimate"]


def _bytes(s: Text, what: str) -> bytes:
    """Text that travels with its length (documents, callback results): NUL is data."""
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return _lib.utf8(s, what)
    raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))


def _cstr(s: Text, what: str) -> bytes:
    """Text for a NUL-terminated ``const char*`` (ids, names): no NUL, str or bytes."""
    if not isinstance(s, (str, bytes)):
        raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))
    return _lib.encode(s, what)  # type: ignore[return-value]


def _json_bytes(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return _lib.utf8(value, what)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, separators=(",", ":")).encode("utf-8")
    raise TypeError("%s must be JSON text, a dict or a list, not %s" % (what, type(value).__name__))


def _json_cstr(value: Any, what: str) -> bytes:
    """JSON for a NUL-terminated ``const char*`` (json.dumps escapes NUL itself)."""
    return _lib.encode(_json_bytes(value, what), what)  # type: ignore[return-value]


def _text_list(items: Any, what: str) -> List[bytes]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                   "%s: expected a sequence of texts, got %s"
                                   % (what, type(items).__name__))
    return [_bytes(s, what) for s in items]


def _views(texts: List[bytes]) -> Any:
    """An ek_string_view array over ``texts`` (which must outlive the call)."""
    arr = (ek_string_view * max(len(texts), 1))()
    for i, b in enumerate(texts):
        arr[i].data = cast(c_char_p(b), c_void_p).value
        arr[i].length = len(b)
    return arr


def _cstr_array(texts: Sequence[bytes]) -> Any:
    return (c_char_p * max(len(texts), 1))(*texts)


def _ids(items: Any, what: str) -> List[bytes]:
    if isinstance(items, (str, bytes)):
        items = [items]
    return [_cstr(i, "%s[%d]" % (what, n)) for n, i in enumerate(items)]


def _out_f32(out: Optional[np.ndarray], shape: Tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape))
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if out.dtype != np.float32 or not out.flags.c_contiguous or not out.flags.writeable:
        raise TypeError("out must be a writable C-contiguous float32 array")
    if out.size < size:
        raise ValueError("out holds %d floats, %d needed" % (out.size, size))
    return out.reshape(-1)[:size].reshape(shape)


def _fptr(a: Optional[np.ndarray]) -> Any:
    return None if a is None else a.ctypes.data_as(POINTER(c_float))


def _choice(table: Mapping[str, int], value: Union[str, int], what: str) -> int:
    if isinstance(value, int):
        return _lib.c_int(value, what)  # a C uint32_t: 2**32 must not wrap to 0
    code = table.get(str(value).lower())
    if code is None:
        raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                   "%s: unknown value %r (one of %s)"
                                   % (what, value, ", ".join(table)))
    return code


class _Extension:
    """Common part: the table, the plugin's instance pointer, and error mapping."""

    _id: str = ""

    def __init__(self, instance: "Instance") -> None:
        self._instance = instance
        self._table = self._get_table(self._id)
        self._self = c_void_p(instance.plugin_data)

    def _get_table(self, ext_id: str) -> Any:
        """The function table of extension `ext_id` as its generated ctypes structure."""
        table_type = _ext.TABLES[ext_id]
        inst = self._instance
        name = type(self).__name__
        if not inst.has_extension(ext_id):
            raise UnsupportedError(int(Status.UNSUPPORTED),
                                   '%s: the instance of "%s" does not provide the extension "%s"'
                                   % (name, inst.plugin_id, ext_id))
        addr = inst.extension_table(ext_id)
        size = ctypes.c_uint32.from_address(addr).value
        if size < ctypes.sizeof(table_type):
            raise AbiMismatchError(int(Status.ABI_MISMATCH),
                                   '%s: the table of "%s" has struct_size %d, this binding needs %d'
                                   % (name, ext_id, size, ctypes.sizeof(table_type)))
        return table_type.from_address(addr)

    @property
    def instance(self) -> "Instance":
        """The instance this wrapper borrows."""
        return self._instance

    @property
    def table_struct_size(self) -> int:
        """``struct_size`` of the plugin's function table (sizeof as built by the plugin)."""
        return int(self._table.struct_size)

    def _long(self, call: Callable[[], Any]) -> Any:
        """Runs a long table call (and its check) so that Ctrl-C cancels it
        (``core._interruptible``)."""
        from .core import _interruptible
        return _interruptible(self._instance.context, call)

    def _p(self, method: str) -> c_void_p:
        """The plugin's instance pointer; InvalidArgumentError once the instance is closed."""
        if self._instance.closed:
            raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                       "%s.%s: the instance was closed (freed)"
                                       % (type(self).__name__, method))
        return self._self

    def _error(self, table: Any, status: int) -> EmbedkitError:
        # last_error is const char*: ctypes has already copied the text into bytes
        # (None for NULL), so the plugin's next call cannot change it under us.
        text = table.last_error(self._self)
        message = text.decode("utf-8", "replace") if text else ""
        return error_class(status)(int(status), message)

    def _check(self, status: int, table: Any = None) -> None:
        # An exception raised by one of our callbacks (host embedder, LLM hooks) made
        # it return a failure; re-raise it, chained to the call's error.
        cb_errors = getattr(self._instance, "_callback_errors", None)
        pending_cb = cb_errors.pop(0) if cb_errors else None
        if cb_errors:
            cb_errors.clear()
        if status == 0:
            return
        err = self._error(table if table is not None else self._table, status)
        ctx = self._instance.context
        pending, ctx._progress_error = ctx._progress_error, None
        if pending_cb is not None:
            raise pending_cb from err
        if pending is not None and isinstance(err, CancelledError):
            raise pending from err
        raise err

    def _keep_callbacks(self, key: str, objs: Any) -> None:
        """Keeps ctypes callbacks alive as long as the instance (the plugin holds them)."""
        inst = self._instance
        if getattr(inst, "_callbacks", None) is None:
            inst._callbacks = {}
            inst._callback_errors = []
        inst._callbacks[key] = objs

    def _callback_failed(self, e: BaseException) -> int:
        errs = getattr(self._instance, "_callback_errors", None)
        if errs is not None:
            errs.append(e)
        return int(Status.PLUGIN)

    @staticmethod
    def _store_ptr(store: "Store", what: str) -> int:
        from .core import Store
        if not isinstance(store, Store):
            raise TypeError("%s: expected a Store, not %s" % (what, type(store).__name__))
        return store._h


# ---- ek.classifier/1 -------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    """A label given as data (``ek_classifier_label``): a name plus keywords and/or a
    description."""

    name: str
    keywords: Sequence[str] = ()
    description: Optional[str] = None


@dataclass(frozen=True)
class LabelInfo:
    """What is known about a label after fit/load (``ek_classifier_label_info``)."""

    name: str
    known_keywords: int
    total_keywords: int
    documents: int
    active: bool


@dataclass(frozen=True)
class Prediction:
    """The class of one document.

    Attributes:
        label: the label's name, or None for a document with no known word.
        index: the label's index (-1 for none).
        confidence: max of softmax(cosine * scale), 0 for none.
        scores: the cosine with each label (float32, label order) when asked for.
    """

    label: Optional[str]
    index: int
    confidence: float
    scores: Optional[np.ndarray] = None


class Classifier(_Extension):
    """Unsupervised text classification from label keywords (``"ek.classifier/1"``,
    Lbl2Vec family; docs/text_classify.md).

    Example::

        cls = ctx.create_instance("embedkit.text_classify",
                                  {"embedder": "hashing", "min_num_docs": 3}).classifier()
        cls.set_labels({"space": ["orbit", "rocket"], "sport": ["team", "match"]})
        cls.fit(corpus)
        [p.label for p in cls.predict(["the rocket reached orbit"])]   # ['space']
    """

    _id = _ext.EXT_CLASSIFIER

    def set_labels(self, labels: Union[JsonLike, Sequence[Label]]) -> None:
        """Sets (replaces) the labels.

        Args:
            labels: a dict ``{"name": ["kw", ...]}`` / ``{"labels": {...}}`` / values
                ``{"keywords": [...], "description": "..."}``, the same as JSON text,
                or a sequence of :class:`Label`.

        Raises:
            ParseError: malformed JSON (the message says where).
            InvalidArgumentError: a label without a name, or with neither keywords
                nor description.
        """
        p = self._p("set_labels")
        if isinstance(labels, (list, tuple)) and all(isinstance(x, Label) for x in labels):
            keep: List[Any] = []
            arr = (_ext.ek_classifier_label * max(len(labels), 1))()
            for i, lab in enumerate(labels):
                where = "Classifier.set_labels: labels[%d]" % i
                kws = [_cstr(k, "%s keywords[%d]" % (where, j)) for j, k in enumerate(lab.keywords)]
                karr = _cstr_array(kws)
                name = _cstr(lab.name, where + " name")
                desc = None if lab.description is None else _cstr(lab.description,
                                                                   where + " description")
                keep += [kws, karr, name, desc]
                arr[i].struct_size = ctypes.sizeof(_ext.ek_classifier_label)
                arr[i].name = name
                arr[i].keywords = karr if kws else None
                arr[i].keyword_count = len(kws)
                arr[i].description = desc
            self._check(self._table.set_labels(p, arr, len(labels)))
            return
        text = _json_bytes(labels, "labels")
        self._check(self._table.set_labels_json(p, text, len(text)))

    def set_embedder(self, embed: Optional[Callable[[List[bytes]], Any]], dim: int) -> None:
        """Plugs in the "host" embedder (config ``"embedder": "host"``): any sentence
        encoder (the Lbl2TransformerVec path).

        Args:
            embed: ``embed(texts) -> (len(texts), dim)`` float array, called on the
                thread of fit/predict/embed with the texts as UTF-8 ``bytes``
                (keywords one per text). An exception fails the calling function and
                is re-raised from it (chained to its PluginError). A later call
                replaces it; None is passed on as a NULL function, which the bundled
                plugin refuses (InvalidArgumentError "fn is NULL"): it cannot go
                back to having no embedder.
            dim: the vector length ``embed`` returns (1..65536).
        """
        p = self._p("set_embedder")
        dim = _lib.c_int(dim, "Classifier.set_embedder: dim")
        if embed is None:
            status = self._table.set_embedder(p, _ext.ek_embed_batch_fn(), None, dim)
            if status == 0:
                self._keep_callbacks("embedder", None)
            self._check(status)
            return

        def _embed(_user: Any, texts: Any, count: int, d: int, out: Any) -> int:
            try:
                batch = [ctypes.string_at(texts[i].data, texts[i].length) if texts[i].length
                         else b"" for i in range(count)]
                vecs = np.asarray(embed(batch), dtype=np.float32)
                if vecs.shape != (count, d):
                    raise ValueError("embedder returned shape %s, expected (%d, %d)"
                                     % (vecs.shape, count, d))
                ctypes.memmove(out, np.ascontiguousarray(vecs).ctypes.data, count * d * 4)
                return 0
            except BaseException as e:  # never unwind into C
                return self._callback_failed(e)

        cb = _ext.ek_embed_batch_fn(_embed)
        status = self._table.set_embedder(p, cb, None, dim)
        if status == 0:  # on failure the plugin keeps (and we keep) the previous one
            self._keep_callbacks("embedder", cb)
        self._check(status)

    def fit(self, documents: Sequence[Text]) -> None:
        """Fits the embedder on unlabelled ``documents`` and derives the label vectors.

        Raises InvalidArgumentError for no documents or no labels.
        """
        p = self._p("fit")
        docs = _text_list(documents, "Classifier.fit")
        self._long(lambda: self._check(self._table.fit(p, _views(docs), len(docs))))

    @property
    def label_count(self) -> int:
        """Number of labels."""
        n = c_size_t()
        self._check(self._table.label_count(self._p("label_count"), byref(n)))
        return n.value

    @property
    def dim(self) -> int:
        """Vector length of the embedder."""
        n = c_size_t()
        self._check(self._table.dim(self._p("dim"), byref(n)))
        return n.value

    def labels(self) -> List[LabelInfo]:
        """Every label with its statistics, in label order."""
        out = []
        for i in range(self.label_count):
            info = _ext.ek_classifier_label_info()
            info.struct_size = ctypes.sizeof(info)
            self._check(self._table.label_info(self._p("labels"), i, byref(info)))
            out.append(LabelInfo((info.name or b"").decode("utf-8"), info.known_keywords,
                                 info.total_keywords, info.documents, bool(info.active)))
        return out

    def label_names(self) -> List[str]:
        """The label names, in label order."""
        return [lab.name for lab in self.labels()]

    def _predictions(self, labels: np.ndarray, conf: np.ndarray,
                     scores: Optional[np.ndarray]) -> List[Prediction]:
        names = self.label_names()
        return [Prediction(names[int(k)] if k >= 0 else None, int(k), float(c),
                           None if scores is None else scores[i])
                for i, (k, c) in enumerate(zip(labels, conf))]

    def predict_arrays(self, documents: Sequence[Text], scores: bool = False
                       ) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        """Classifies new documents into arrays (for many documents).

        Returns:
            ``(labels, confidence, scores)``: int32 ``(n,)`` label indices (-1 for a
            document with no known word), float32 ``(n,)`` confidences, and float32
            ``(n, label_count)`` cosines when ``scores`` (else None).
        """
        p = self._p("predict")
        docs = _text_list(documents, "Classifier.predict")
        n = len(docs)
        labels = np.empty(n, dtype=np.int32)
        conf = np.empty(n, dtype=np.float32)
        sc = np.empty((n, self.label_count), dtype=np.float32) if scores else None
        self._long(lambda: self._check(self._table.predict(
            p, _views(docs), n, labels.ctypes.data_as(POINTER(c_int32)), _fptr(conf), _fptr(sc))))
        return labels, conf, sc

    def predict(self, documents: Sequence[Text], scores: bool = False) -> List[Prediction]:
        """Classifies new documents; one :class:`Prediction` per document.

        Args:
            documents: texts (str or UTF-8 bytes).
            scores: include the cosine with each label (``Prediction.scores``, a
                float32 row of one ``(n, label_count)`` array).
        """
        return self._predictions(*self.predict_arrays(documents, scores))

    def predict_fitted(self, first: int = 0, count: Optional[int] = None,
                       scores: bool = False) -> List[Prediction]:
        """Classifies fitted documents ``[first, first + count)`` from their fitted
        vectors (UnsupportedError after :meth:`load`)."""
        p = self._p("predict_fitted")
        first = _lib.c_int(first, "Classifier.predict_fitted: first", "size_t")
        if count is None:
            count = int(self.info().get("fitted_documents", 0)) - first
        count = _lib.c_int(count, "Classifier.predict_fitted: count", "size_t")
        labels = np.empty(count, dtype=np.int32)
        conf = np.empty(count, dtype=np.float32)
        sc = np.empty((count, self.label_count), dtype=np.float32) if scores else None
        self._check(self._table.predict_fitted(p, first, count,
                                               labels.ctypes.data_as(POINTER(c_int32)),
                                               _fptr(conf), _fptr(sc)))
        return self._predictions(labels, conf, sc)

    def embed(self, documents: Sequence[Text], out: Optional[np.ndarray] = None) -> np.ndarray:
        """Vectors of new documents: ``(n, dim)`` float32, written by the plugin
        straight into the array (``out``, C-contiguous float32, when given)."""
        p = self._p("embed")
        docs = _text_list(documents, "Classifier.embed")
        res = _out_f32(out, (len(docs), self.dim))
        self._long(lambda: self._check(self._table.embed(p, _views(docs), len(docs), _fptr(res))))
        return res

    def fitted_vectors(self, first: int, count: int,
                       out: Optional[np.ndarray] = None) -> np.ndarray:
        """Vectors of fitted documents ``[first, first + count)``: ``(count, dim)``."""
        p = self._p("fitted_vectors")
        first = _lib.c_int(first, "Classifier.fitted_vectors: first", "size_t")
        count = _lib.c_int(count, "Classifier.fitted_vectors: count", "size_t")
        res = _out_f32(out, (count, self.dim))
        self._check(self._table.fitted_vectors(p, first, count, _fptr(res)))
        return res

    def label_vectors(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(labels, seeds)``: the label vectors and keyword seeds, ``(label_count, dim)``
        float32 each."""
        p = self._p("label_vectors")
        shape = (self.label_count, self.dim)
        lab = np.empty(shape, dtype=np.float32)
        seed = np.empty(shape, dtype=np.float32)
        self._check(self._table.label_vectors(p, _fptr(lab), _fptr(seed)))
        return lab, seed

    def info(self) -> Dict[str, Any]:
        """The effective configuration and fit statistics (parsed ``info_json``)."""
        p = self._p("info")
        needed = c_size_t()
        buf = ctypes.create_string_buffer(4096)
        status = self._table.info_json(p, buf, len(buf), byref(needed))
        if status == Status.BUFFER_TOO_SMALL:
            buf = ctypes.create_string_buffer(needed.value + 1)
            status = self._table.info_json(p, buf, len(buf), byref(needed))
        self._check(status)
        return json.loads(buf.value.decode("utf-8"))

    def save(self, store: "Store", model: str) -> None:
        """Saves the fitted model into ``store`` under collections ``"<model>.*"``."""
        p = self._p("save")
        self._check(self._table.save(p, self._store_ptr(store, "Classifier.save"),
                                     _cstr(model, "Classifier.save: model")))

    def load(self, store: "Store", model: str) -> None:
        """Loads a model saved by :meth:`save` (the stored config wins)."""
        p = self._p("load")
        self._check(self._table.load(p, self._store_ptr(store, "Classifier.load"),
                                     _cstr(model, "Classifier.load: model")))


# ---- ek.matcher/1 --------------------------------------------------------------------------

_SIDES = {"source": _ext.EK_MATCHER_SOURCE, "target": _ext.EK_MATCHER_TARGET}
_FORMATS = {"auto": _ext.EK_MATCHER_FORMAT_AUTO,
            "schema_json": _ext.EK_MATCHER_FORMAT_SCHEMA_JSON,
            "sql_ddl": _ext.EK_MATCHER_FORMAT_SQL_DDL,
            "glossary_json": _ext.EK_MATCHER_FORMAT_GLOSSARY_JSON,
            "glossary_csv": _ext.EK_MATCHER_FORMAT_GLOSSARY_CSV}
_MODES = {"one_to_many": _ext.EK_MATCHER_MODE_ONE_TO_MANY,
          "1:n": _ext.EK_MATCHER_MODE_ONE_TO_MANY,
          "one_to_one": _ext.EK_MATCHER_MODE_ONE_TO_ONE, "1:1": _ext.EK_MATCHER_MODE_ONE_TO_ONE}


@dataclass(frozen=True)
class MatchColumn:
    """A loaded column or glossary entry (``ek_matcher_column``); "" when absent."""

    id: str
    table: str
    name: str
    type: str
    description: str
    table_description: str
    synonyms: str

    @staticmethod
    def _from_c(c: "_ext.ek_matcher_column") -> "MatchColumn":
        d = lambda b: (b or b"").decode("utf-8", "replace")  # noqa: E731
        return MatchColumn(d(c.id), d(c.table), d(c.name), d(c.type), d(c.description),
                           d(c.table_description), d(c.synonyms))


class Matcher(_Extension):
    """Table metadata to glossary (or schema to schema) matching (``"ek.matcher/1"``,
    docs/table_match.md).

    Example::

        m = ctx.create_instance("embedkit.table_match", {}).matcher()
        m.load("source", ddl, "sql_ddl")
        m.load("target", glossary, "glossary_json")     # a list/dict is sent as JSON
        r = m.match(top_k=3)
        {c["name"]: c["candidates"][0]["id"] for c in r["columns"]}
    """

    _id = _ext.EXT_MATCHER

    def load(self, side: Union[str, int], text: Union[Text, Mapping[str, Any], Sequence[Any]],
             format: Union[str, int] = "auto") -> None:
        """Adds columns (side ``"source"``) or glossary entries / target columns
        (``"target"``) parsed from ``text``; loads accumulate.

        Args:
            side: ``"source"`` | ``"target"`` (or EK_MATCHER_SOURCE/TARGET).
            text: the input (str/bytes); a dict or list is sent as JSON.
            format: ``"auto"`` | ``"schema_json"`` | ``"sql_ddl"`` |
                ``"glossary_json"`` | ``"glossary_csv"`` (or the EK_MATCHER_FORMAT_* code).

        Raises:
            ParseError: malformed input ("line L, column C: ..."); the side is unchanged.
            AlreadyExistsError, LimitError, InvalidArgumentError (unknown side/format).
        """
        p = self._p("load")
        s = _choice(_SIDES, side, "Matcher.load side")
        f = _choice(_FORMATS, format, "Matcher.load format")
        body = _json_bytes(text, "text")
        self._check(self._table.load(p, s, body, len(body), f))

    def clear(self, side: Union[str, int]) -> None:
        """Empties a side."""
        self._check(self._table.clear(self._p("clear"), _choice(_SIDES, side, "Matcher.clear side")))

    def count(self, side: Union[str, int]) -> int:
        """Number of columns/entries loaded on a side."""
        n = c_size_t()
        self._check(self._table.count(self._p("count"), _choice(_SIDES, side, "Matcher.count side"),
                                      byref(n)))
        return n.value

    def columns(self, side: Union[str, int]) -> List[MatchColumn]:
        """The columns/entries loaded on a side, in load order."""
        s = _choice(_SIDES, side, "Matcher.columns side")
        out = []
        for i in range(self.count(s)):
            c = _ext.ek_matcher_column()
            c.struct_size = ctypes.sizeof(c)
            self._check(self._table.column(self._p("columns"), s, i, byref(c)))
            out.append(MatchColumn._from_c(c))
        return out

    def add_abbreviations(self, abbreviations: Union[Text, Mapping[str, str]]) -> None:
        """User abbreviations ``{"abbr": "expansion words"}`` (take precedence over
        the built-in dictionary)."""
        p = self._p("add_abbreviations")
        body = _json_bytes(abbreviations, "abbreviations")
        self._check(self._table.add_abbreviations(p, body, len(body)))

    def set_llm_hooks(self, generate_context: Optional[Callable[[MatchColumn], str]] = None,
                      judge: Optional[Callable[[MatchColumn, MatchColumn], float]] = None,
                      judge_top_n: int = 0, judge_weight: float = 0.0,
                      context_capacity: int = 0) -> None:
        """Plugs in a large language model (both callbacks optional; none clears).

        Args:
            generate_context: ``fn(column) -> str``, extra text describing a source
                column, added to its description before matching.
            judge: ``fn(column, candidate) -> probability`` in [0, 1] that both mean
                the same; called for the ``judge_top_n`` best candidates of each
                column, whose score becomes ``(1 - judge_weight) * model score +
                judge_weight * probability``.
            judge_top_n: candidates judged per column (0 = 5).
            judge_weight: in (0, 1] (0 = 0.5).
            context_capacity: bytes offered to generate_context (0 = 4096); longer
                texts are truncated.

        An exception in a callback fails the match and is re-raised from it.
        """
        p = self._p("set_llm_hooks")
        if generate_context is None and judge is None:
            self._check(self._table.set_llm_hooks(p, None))
            self._keep_callbacks("llm", None)  # cleared: the plugin no longer calls them
            return
        h = _ext.ek_matcher_llm_hooks()
        h.struct_size = ctypes.sizeof(h)
        h.judge_top_n = _lib.c_int(judge_top_n, "Matcher.set_llm_hooks: judge_top_n")
        h.judge_weight = judge_weight
        h.context_capacity = _lib.c_int(context_capacity, "Matcher.set_llm_hooks: context_capacity")
        keep: List[Any] = []
        if generate_context is not None:
            def _context(_user: Any, column: Any, out: int, capacity: int, out_len: Any) -> int:
                try:
                    text = generate_context(MatchColumn._from_c(column.contents))
                    b = _bytes(text, "generate_context result")[:capacity]
                    ctypes.memmove(out, b, len(b))
                    out_len[0] = len(b)
                    return 0
                except BaseException as e:
                    return self._callback_failed(e)
            cb = _ext.ek_matcher_context_fn(_context)
            h.generate_context = cb
            keep.append(cb)
        if judge is not None:
            def _judge(_user: Any, column: Any, candidate: Any, out_p: Any) -> int:
                try:
                    out_p[0] = float(judge(MatchColumn._from_c(column.contents),
                                           MatchColumn._from_c(candidate.contents)))
                    return 0
                except BaseException as e:
                    return self._callback_failed(e)
            cb2 = _ext.ek_matcher_judge_fn(_judge)
            h.judge = cb2
            keep.append(cb2)
        status = self._table.set_llm_hooks(p, byref(h))
        if status == 0:  # on failure the previous hooks stay registered (and alive)
            self._keep_callbacks("llm", keep)
        self._check(status)

    def signal_names(self) -> List[str]:
        """The signals the model combines, in the order of a candidate's signals."""
        p = self._p("signal_names")
        return [self._table.signal_name(p, i).decode("utf-8")
                for i in range(self._table.signal_count(p))]

    def match(self, top_k: int = 5, mode: Union[str, int] = "one_to_many",
              threshold: Optional[float] = None, max_matches: int = 0,
              use_llm: bool = True) -> Dict[str, Any]:
        """Matches every source column against every target.

        Args:
            top_k: candidates kept per column, 1..1024.
            mode: ``"one_to_many"`` (``"1:n"``) or ``"one_to_one"`` (``"1:1"``,
                optimal assignment: each target matched at most once).
            threshold: decision threshold on the score; None = the model's
                calibrated one.
            max_matches: one-to-many: at most this many matches per column (0 = the
                model's default).
            use_llm: call the LLM hooks if any were set.

        Returns:
            The result as a dict (``result_json``, docs/table_match.md): ``columns``,
            each with ``candidates`` ranked best first (``id``, ``score``, ``match``,
            ``signals``, ``contributions``, ...), plus the model, threshold, mode
            and signal names.

        Raises:
            InvalidArgumentError: a side is empty. LimitError: too many pairs.
        """
        p = self._p("match")
        o = _ext.ek_matcher_options()
        self._table.options_init(byref(o))
        o.top_k = _lib.c_int(top_k, "Matcher.match: top_k")
        o.mode = _choice(_MODES, mode, "Matcher.match mode")
        if threshold is not None:
            o.threshold = threshold
        o.max_matches = _lib.c_int(max_matches, "Matcher.match: max_matches")
        o.use_llm = 1 if use_llm else 0
        res = c_void_p()
        self._long(lambda: self._check(self._table.match(p, byref(o), byref(res))))
        try:
            text = c_void_p()
            status = self._table.result_json(res, byref(text))
            if status != 0:
                raise error_class(status)(int(status), "Matcher.match: result_json failed")
            try:
                return json.loads(ctypes.string_at(text.value).decode("utf-8"))
            finally:
                self._table.free_text(text)
        finally:
            self._table.result_free(res)


# ---- ek.recommender/1 + ek.unlearner/1 ------------------------------------------------------


@dataclass(frozen=True)
class TrainReport:
    """What :meth:`Recommender.train` did (``ek_rec_train_report``)."""

    epochs: int
    samples: int
    seconds: float
    last_loss: float


@dataclass(frozen=True)
class RecMetrics:
    """Ranking quality on held-out pairs (``ek_rec_metrics``)."""

    recall: float
    ndcg: float
    hit_rate: float
    mean_rank: float
    users: int
    pairs: int
    pairs_skipped: int


@dataclass(frozen=True)
class RecStats:
    """Size and state of a recommender (``ek_rec_stats``)."""

    users: int
    items: int
    interactions: int
    dim: int
    layers: int
    trained: bool
    pending_requests: int


@dataclass(frozen=True)
class ForgetReport:
    """What a forget request removed (``ek_forget_report``)."""

    interactions_removed: int
    users_removed: int
    items_removed: int
    epochs: int
    seconds: float
    request_id: str
    digest: str


_FORGET_KINDS = {"interactions": _ext.EK_FORGET_INTERACTIONS, "users": _ext.EK_FORGET_USERS,
                 "items": _ext.EK_FORGET_ITEMS}
_UNLEARN_METHODS = {"mmrecun": _ext.EK_UNLEARN_MMRECUN, "gold": _ext.EK_UNLEARN_GOLD,
                    "finetune": _ext.EK_UNLEARN_FINETUNE, "noop": _ext.EK_UNLEARN_NOOP}


def _pairs(users: Any, items: Any, what: str) -> Tuple[List[bytes], List[bytes]]:
    """(users, items) from two sequences, or from one sequence of (user, item, ...) rows."""
    if items is None:
        rows = list(users)
        return ([_cstr(r[0], "%s: row %d user" % (what, n)) for n, r in enumerate(rows)],
                [_cstr(r[1], "%s: row %d item" % (what, n)) for n, r in enumerate(rows)])
    u = _ids(users, what + ": users")
    i = _ids(items, what + ": items")
    if len(u) != len(i):
        raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                   "%s: %d users but %d items" % (what, len(u), len(i)))
    return u, i


class Recommender(_Extension):
    """BPR recommender with unlearning (``"ek.recommender/1"`` and, for
    :meth:`forget`/:meth:`purge`, ``"ek.unlearner/1"``; docs/rec_unlearn.md).

    Example::

        rec = ctx.create_instance("embedkit.rec_unlearn", {"dim": 16}).recommender()
        rec.add_interactions(["ann", "ann", "bob"], ["m1", "m2", "m1"])
        rec.train()
        rec.recommend("bob", k=1)                          # [("m2", 0.83)]
        rec.forget("users", users=["ann"])                 # ForgetReport(...)
    """

    _id = _ext.EXT_RECOMMENDER

    def __init__(self, instance: "Instance") -> None:
        super().__init__(instance)
        self._unlearner: Any = None

    def _bound(self, method: str) -> c_void_p:
        """_p, also refusing calls while the store bound by save/load is closed."""
        p = self._p(method)
        store = getattr(self._instance, "_bound_store", None)
        if store is not None and store.closed:
            raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                       "Recommender.%s: the store bound by save/load was closed"
                                       % method)
        return p

    def _interactions(self, users: List[bytes], items: List[bytes],
                      weights: Any = None, timestamps: Any = None) -> Tuple[Any, List[Any]]:
        n = len(users)
        b = _ext.ek_rec_interactions()
        b.struct_size = ctypes.sizeof(b)
        b.count = n
        ua, ia = _cstr_array(users), _cstr_array(items)
        b.users, b.items = ua, ia
        keep: List[Any] = [users, items, ua, ia]
        if weights is not None:
            w = np.ascontiguousarray(weights, dtype=np.float32).reshape(-1)
            if w.size != n:
                raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                           "%d interactions but %d weights" % (n, w.size))
            b.weights = _fptr(w)
            keep.append(w)
        if timestamps is not None:
            t = np.ascontiguousarray(timestamps, dtype=np.int64).reshape(-1)
            if t.size != n:
                raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                           "%d interactions but %d timestamps" % (n, t.size))
            b.timestamps = t.ctypes.data_as(POINTER(c_int64))
            keep.append(t)
        return b, keep

    def add_interactions(self, users: Any, items: Optional[Sequence[Text]] = None,
                         weights: Any = None, timestamps: Any = None) -> None:
        """Adds implicit feedback (duplicate pairs merge; the last weight wins).

        Args:
            users: user ids, one per interaction — or, with ``items`` None, a
                sequence of ``(user, item)`` rows.
            items: item ids, one per interaction.
            weights: optional float weights (e.g. ratings); None = all 1.
            timestamps: optional int64 timestamps (stored, not used by BPR).
        """
        p = self._bound("add_interactions")
        u, i = _pairs(users, items, "Recommender.add_interactions")
        b, _keep = self._interactions(u, i, weights, timestamps)
        self._check(self._table.add_interactions(p, byref(b)))

    def set_items(self, ids: Sequence[Text], categorical: Any = None,
                  texts: Optional[Sequence[Text]] = None) -> None:
        """Sets (replaces) item side features: ``categorical`` an ``(n, d)`` float
        array (e.g. genre flags) and/or ``texts`` (e.g. titles), one row per id."""
        p = self._bound("set_items")
        id_b = _ids(ids, "Recommender.set_items: ids")
        n = len(id_b)
        it = _ext.ek_rec_items()
        it.struct_size = ctypes.sizeof(it)
        it.count = n
        arr = _cstr_array(id_b)
        it.ids = arr
        cat = None
        if categorical is not None:
            cat = np.ascontiguousarray(categorical, dtype=np.float32)
            if cat.ndim != 2 or cat.shape[0] != n:
                raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                           "categorical must be (%d, d), got %s" % (n, cat.shape))
            it.categorical = _fptr(cat)
            it.categorical_dim = cat.shape[1]
        views = None
        tb: List[bytes] = []
        if texts is not None:
            tb = _text_list(texts, "Recommender.set_items texts")
            if len(tb) != n:
                raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                           "%d ids but %d texts" % (n, len(tb)))
            views = _views(tb)
            it.texts = views
        self._check(self._table.set_items(p, byref(it)))

    def train(self, options: Union[Text, Mapping[str, Any], None] = None) -> TrainReport:
        """Trains from scratch on the interactions held; ``options`` (dict or JSON)
        override the config for this call (``epochs``, ``lr``, ``seed``, ...)."""
        p = self._bound("train")
        r = _ext.ek_rec_train_report()
        r.struct_size = ctypes.sizeof(r)
        opts = None if options is None else _json_cstr(options, "Recommender.train: options")
        self._long(lambda: self._check(self._table.train(p, opts, byref(r))))
        return TrainReport(r.epochs, r.samples, r.seconds, r.last_loss)

    def recommend(self, user: Text, k: int = 10,
                  exclude_seen: bool = True) -> List[Tuple[str, float]]:
        """The ``k`` (1..1024) best items for ``user`` as ``[(item, score)]``, best
        first; NotFoundError for an unknown user."""
        p = self._bound("recommend")
        k = _lib.c_int(k, "Recommender.recommend: k", "size_t")
        items = (c_char_p * max(k, 1))()
        scores = np.empty(max(k, 1), dtype=np.float32)
        n = c_size_t()
        self._check(self._table.recommend(p, _cstr(user, "Recommender.recommend: user"), k,
                                          1 if exclude_seen else 0,
                                          items, _fptr(scores), byref(n)))
        return [(items[j].decode("utf-8"), float(scores[j])) for j in range(n.value)]

    def score(self, user: Text, items: Sequence[Text]) -> np.ndarray:
        """Scores of ``items`` for ``user`` (float32 array); NotFoundError names an
        unknown id."""
        p = self._bound("score")
        ib = _ids(items, "Recommender.score: items")
        out = np.empty(len(ib), dtype=np.float32)
        self._check(self._table.score(p, _cstr(user, "Recommender.score: user"), _cstr_array(ib),
                                      len(ib),
                                      _fptr(out)))
        return out

    def evaluate(self, users: Any, items: Optional[Sequence[Text]] = None, k: int = 20,
                 exclude_seen: bool = True) -> RecMetrics:
        """Ranking quality on held-out pairs (``users[i]``, ``items[i]``), or rows of
        ``(user, item)`` with ``items`` None. Pairs naming unknown ids are counted in
        ``pairs_skipped``."""
        p = self._bound("evaluate")
        u, i = _pairs(users, items, "Recommender.evaluate")
        b, _keep = self._interactions(u, i)
        m = _ext.ek_rec_metrics()
        m.struct_size = ctypes.sizeof(m)
        self._long(lambda: self._check(
            self._table.evaluate(p, byref(b), _lib.c_int(k, "Recommender.evaluate: k", "size_t"),
                                 1 if exclude_seen else 0, byref(m))))
        return RecMetrics(m.recall, m.ndcg, m.hit_rate, m.mean_rank, m.users, m.pairs,
                          m.pairs_skipped)

    def stats(self) -> RecStats:
        """Users, items, interactions, dim, layers, trained, pending requests."""
        p = self._bound("stats")
        s = _ext.ek_rec_stats()
        s.struct_size = ctypes.sizeof(s)
        self._check(self._table.stats(p, byref(s)))
        return RecStats(s.users, s.items, s.interactions, s.dim, s.layers, bool(s.trained),
                        s.pending_requests)

    def save(self, store: "Store", name: str) -> None:
        """Writes the model and data to collections ``"<name>.*"`` of ``store`` and
        binds the instance to it (later forget requests delete there). The instance
        keeps a reference to the store; closing the store while bound makes the
        recommender's calls fail."""
        p = self._p("save")
        self._check(self._table.save(p, self._store_ptr(store, "Recommender.save"),
                                     _cstr(name, "Recommender.save: name")))
        self._instance._bound_store = store

    def load(self, store: "Store", name: str) -> None:
        """Reads a model written by :meth:`save` and binds the instance to the store
        (NotFoundError if there is none)."""
        p = self._p("load")
        self._check(self._table.load(p, self._store_ptr(store, "Recommender.load"),
                                     _cstr(name, "Recommender.load: name")))
        self._instance._bound_store = store

    # -- "ek.unlearner/1"
    def _unlearn_table(self) -> Any:
        if self._unlearner is None:
            self._unlearner = self._get_table(_ext.EXT_UNLEARNER)
        return self._unlearner

    def forget(self, kind: Union[str, int] = "interactions", users: Any = None,
               items: Any = None, pairs: Any = None, method: Union[str, int] = "mmrecun",
               keep_rows: bool = False,
               options: Union[Text, Mapping[str, Any], None] = None,
               request_id: Optional[str] = None, skip_unknown: bool = False) -> ForgetReport:
        """Forgets interactions, users or items (``"ek.unlearner/1"``).

        Args:
            kind: ``"interactions"`` (``pairs`` of (user, item), or ``users`` and
                ``items`` side by side), ``"users"`` (``users``) or ``"items"`` (``items``).
            method: ``"mmrecun"`` (default), ``"gold"`` (retrain), ``"finetune"``,
                ``"noop"``.
            keep_rows: keep the embeddings of forgotten users/items until :meth:`purge`.
            options: JSON overrides of the unlearning config for this request.
            request_id: recorded in the ledger (default ``"req-<n>"``).
            skip_unknown: pass over ids (and pairs) the model does not hold instead of
                raising NotFoundError; if none is held nothing changes or is recorded
                and the report has zeros and an empty ``request_id``.

        Raises:
            InvalidArgumentError / NotFoundError (unknown ids, empty request) before
            anything changes.
        """
        table = self._unlearn_table()
        p = self._bound("forget")
        k = _choice(_FORGET_KINDS, kind, "Recommender.forget kind")
        m = _choice(_UNLEARN_METHODS, method, "Recommender.forget method")
        ub: Optional[List[bytes]] = None
        ib: Optional[List[bytes]] = None
        if k == _ext.EK_FORGET_INTERACTIONS:
            if pairs is not None:
                ub, ib = _pairs(pairs, None, "Recommender.forget")
            else:
                ub, ib = _pairs(users or [], items or [], "Recommender.forget")
        elif k == _ext.EK_FORGET_USERS:
            ub = _ids(users or [], "Recommender.forget: users")
        else:
            ib = _ids(items or [], "Recommender.forget: items")
        r = _ext.ek_forget_request()
        r.struct_size = ctypes.sizeof(r)
        r.kind = k
        r.method = m
        r.flags = ((_ext.EK_FORGET_KEEP_ROWS if keep_rows else 0) |
                   (_ext.EK_FORGET_SKIP_UNKNOWN if skip_unknown else 0))
        r.count = len(ub if ub is not None else ib or [])
        ua = _cstr_array(ub) if ub is not None else None
        ia = _cstr_array(ib) if ib is not None else None
        r.users = ua
        r.items = ia
        r.options_json = None if options is None else _json_cstr(options, "Recommender.forget: options")
        r.request_id = None if request_id is None else _cstr(request_id,
                                                             "Recommender.forget: request_id")
        rep = _ext.ek_forget_report()
        rep.struct_size = ctypes.sizeof(rep)
        self._long(lambda: self._check(table.forget(p, byref(r), byref(rep)), table))
        return ForgetReport(rep.interactions_removed, rep.users_removed, rep.items_removed,
                            rep.epochs, rep.seconds, rep.request_id.decode("utf-8"),
                            rep.digest.decode("ascii"))

    def purge(self) -> int:
        """Removes users/items kept by ``keep_rows``; returns how many."""
        table = self._unlearn_table()
        p = self._bound("purge")
        n = c_uint64()
        self._check(table.purge(p, byref(n)), table)
        return n.value


# ---- ek.vsa_probe/1 ------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueMatch:
    """A value ranked by a probe, best first.

    Attributes:
        value: the candidate as given (:meth:`VsaProbe.probe`), or the value
            :meth:`VsaProbe.index` recorded, parsed from JSON
            (:meth:`VsaProbe.probe_collection`).
        score: the cosine between the unbound vector and the value's encoding.
        index: the candidate's position in ``candidates`` (None for
            :meth:`VsaProbe.probe_collection`).
    """

    value: Any
    score: float
    index: Optional[int] = None


@dataclass(frozen=True)
class NumberEstimate:
    """The number decoded at a path (:meth:`VsaProbe.decode_number`)."""

    value: float
    #: Cosine between the unbound vector and the decoded number's encoding (near 0:
    #: there is probably no number at that path).
    confidence: float


def _value_json(value: Any, what: str) -> bytes:
    """A JSON value as JSON text: ``bytes`` are JSON text already, anything else is a
    Python value (``"Europe"`` is the JSON string ``"\\"Europe\\""``)."""
    if isinstance(value, bytes):
        return value
    try:
        return json.dumps(value, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                   "%s: not a JSON value (%s)" % (what, e)) from None


class VsaProbe(_Extension):
    """Reads the vectors of ``embedkit.vsa_json`` back (``"ek.vsa_probe/1"``,
    docs/vsa_json.md): unbinds along a key path and ranks candidate values, decodes
    numbers, and indexes, searches and probes a store's collection of documents.

    Paths: keys separated by ``.``, array positions as ``[i]``: ``"name.first"``,
    ``"tags[0]"``; ``""`` is the document itself. Documents are JSON text (str or
    bytes) or a dict/list; candidate values are Python values (``bytes``: JSON text).

    Example::

        inst = ctx.create_instance("embedkit.vsa_json", {"dim": 1024})
        vp = inst.vsa_probe()
        v = inst.encode('{"name": "Ada", "tags": ["red", "green"]}')
        vp.probe(v, "tags[1]", ["red", "green", "blue"])[0].value     # 'green'
    """

    _id = _ext.EXT_VSA_PROBE

    @property
    def dim(self) -> int:
        """Length of the instance's vectors (its encoder's dim)."""
        return self._instance.dim

    def _vector(self, vector: Any, what: str) -> np.ndarray:
        """``vector`` as ``dim`` contiguous float32 (the plugin reads exactly dim)."""
        v = np.ascontiguousarray(vector, dtype=np.float32).reshape(-1)
        if v.size != self.dim:
            raise error_class(Status.DIMENSION_MISMATCH)(
                int(Status.DIMENSION_MISMATCH),
                "%s: the vector has %d floats, the instance's dim is %d" % (what, v.size, self.dim))
        return v

    def bind(self, path: Text, x: Any, transpose: bool = False,
             out: Optional[np.ndarray] = None) -> np.ndarray:
        """The binding matrix of ``path`` applied to ``x`` (``transpose``: its
        transpose, i.e. unbinding), no normalisation: a ``(dim,)`` float32 array."""
        p = self._p("bind")
        xv = self._vector(x, "VsaProbe.bind: x")
        res = _out_f32(out, (self.dim,))
        flags = _ext.EK_VSA_BIND_TRANSPOSE if transpose else _ext.EK_VSA_BIND_FORWARD
        self._check(self._table.bind(p, _cstr(path, "VsaProbe.bind: path"), _fptr(xv),
                                     _fptr(res), flags))
        return res

    def encode_value(self, value: Any) -> np.ndarray:
        """A JSON value encoded as a field value is (before binding): the unit
        ``(dim,)`` vector a probe compares against."""
        p = self._p("encode_value")
        text = _value_json(value, "VsaProbe.encode_value")
        out = np.empty(self.dim, dtype=np.float32)
        view = _views([text])
        self._check(self._table.encode_value(p, view, _fptr(out)))
        return out

    def probe(self, vector: Any, path: Text, candidates: Sequence[Any],
              k: Optional[int] = None) -> List[ValueMatch]:
        """Unbinds ``vector`` along ``path`` and ranks ``candidates`` (values) by cosine.

        Returns:
            The best ``k`` (default: all, at most 1024) as :class:`ValueMatch`, best
            first (ties by lower index).

        Raises:
            ParseError: a candidate ``bytes`` is not JSON. InvalidArgumentError: a
            malformed path, k = 0.
        """
        p = self._p("probe")
        v = self._vector(vector, "VsaProbe.probe: vector")
        cands = list(candidates)
        texts = [_value_json(c, "VsaProbe.probe: candidates[%d]" % i) for i, c in enumerate(cands)]
        k = min(len(cands), 1024) if k is None else _lib.c_int(k, "VsaProbe.probe: k", "size_t")
        idx = (ctypes.c_uint32 * max(k, 1))()
        score = np.empty(max(k, 1), dtype=np.float32)
        n = c_size_t()
        self._check(self._table.probe(p, _fptr(v), _cstr(path, "VsaProbe.probe: path"),
                                      _views(texts), len(texts), k, idx, _fptr(score), byref(n)))
        return [ValueMatch(cands[idx[j]], float(score[j]), int(idx[j])) for j in range(n.value)]

    def decode_number(self, vector: Any, path: Text) -> NumberEstimate:
        """Estimates the number stored at ``path`` of ``vector``."""
        p = self._p("decode_number")
        v = self._vector(vector, "VsaProbe.decode_number: vector")
        value, confidence = ctypes.c_double(), c_float()
        self._check(self._table.decode_number(p, _fptr(v),
                                              _cstr(path, "VsaProbe.decode_number: path"),
                                              byref(value), byref(confidence)))
        return NumberEstimate(value.value, confidence.value)

    def encode_batch(self, text: JsonLike) -> np.ndarray:
        """Encodes documents given as one text, NDJSON or a JSON array (a list is sent
        as a JSON array): ``(n, dim)`` float32."""
        p = self._p("encode_batch")
        body = _json_bytes(text, "VsaProbe.encode_batch: text")
        n = c_size_t()
        status = self._table.encode_batch(p, body, len(body), None, 0, byref(n))
        if status != Status.BUFFER_TOO_SMALL:  # counts first; OK only when there are none
            self._check(status)
        out = np.empty((n.value, self.dim), dtype=np.float32)
        if n.value == 0:
            return out
        self._long(lambda: self._check(self._table.encode_batch(p, body, len(body), _fptr(out),
                                                                out.size, byref(n))))
        return out

    def index(self, store: "Store", collection: Text, documents: Sequence[JsonLike],
              ids: Optional[Sequence[Text]] = None, store_documents: bool = True) -> None:
        """Encodes ``documents`` and upserts them into ``collection`` of ``store``
        (created with the encoder's dim and cosine metric if missing), under ``ids``
        (default: the 0-based positions as text), recording every scalar value seen
        for :meth:`probe_collection`. ``store_documents``: keep each JSON object as
        the row's metadata. One transaction."""
        p = self._p("index")
        if isinstance(documents, (str, bytes, Mapping)):
            raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                       "VsaProbe.index: expected a sequence of documents, got %s"
                                       % type(documents).__name__)
        docs = [_json_bytes(d, "VsaProbe.index: documents[%d]" % i)
                for i, d in enumerate(documents)]
        id_arr = None
        if ids is not None:
            id_b = _ids(ids, "VsaProbe.index: ids")
            if len(id_b) != len(docs):
                raise InvalidArgumentError(int(Status.INVALID_ARGUMENT),
                                           "VsaProbe.index: %d documents but %d ids"
                                           % (len(docs), len(id_b)))
            id_arr = _cstr_array(id_b)
        self._long(lambda: self._check(self._table.index(
            p, self._store_ptr(store, "VsaProbe.index"), _cstr(collection, "VsaProbe.index: collection"),
            _views(docs), id_arr, len(docs), 1 if store_documents else 0)))

    def probe_collection(self, store: "Store", collection: Text, vector: Any, path: Text,
                         k: int = 5) -> List[ValueMatch]:
        """Like :meth:`probe`, the candidates being every value :meth:`index` recorded
        at ``path`` in ``collection``. NotFoundError if none was."""
        from .core import Results
        p = self._p("probe_collection")
        v = self._vector(vector, "VsaProbe.probe_collection: vector")
        out = c_void_p()
        self._check(self._table.probe_collection(
            p, self._store_ptr(store, "VsaProbe.probe_collection"),
            _cstr(collection, "VsaProbe.probe_collection: collection"), _fptr(v),
            _cstr(path, "VsaProbe.probe_collection: path"),
            _lib.c_int(k, "VsaProbe.probe_collection: k", "size_t"), byref(out)))
        with Results(out.value, None) as res:
            return [ValueMatch(h.metadata["value"], h.score) for h in res.hits(0)]

    def similar(self, store: "Store", collection: Text, document: JsonLike, k: int = 10,
                filter: Union[Text, Mapping[str, Any], None] = None) -> List["Hit"]:
        """The ``k`` (1..1024) rows of ``collection`` most similar to ``document``
        (cosine), optionally filtered on their metadata (as ``Collection.search``),
        as :class:`~embedkit.Hit` with metadata, best first."""
        from .core import Results
        p = self._p("similar")
        doc = _json_bytes(document, "VsaProbe.similar: document")
        flt = None if filter is None else _json_cstr(filter, "VsaProbe.similar: filter")
        out = c_void_p()
        self._long(lambda: self._check(self._table.similar(
            p, self._store_ptr(store, "VsaProbe.similar"),
            _cstr(collection, "VsaProbe.similar: collection"), _views([doc]),
            _lib.c_int(k, "VsaProbe.similar: k", "size_t"), flt, byref(out))))
        with Results(out.value, None) as res:
            return res.hits(0)

    def collection_config(self, store: "Store", collection: Text) -> Dict[str, Any]:
        """The encoding configuration :meth:`index` recorded with ``collection``: pass
        it to ``ctx.create_instance("embedkit.vsa_json", config)`` for an instance
        that encodes the way the collection was. NotFoundError if none was."""
        p = self._p("collection_config")
        sp = self._store_ptr(store, "VsaProbe.collection_config")
        name = _cstr(collection, "VsaProbe.collection_config: collection")
        n = c_size_t()
        self._check(self._table.collection_config(p, sp, name, None, 0, byref(n)))
        buf = ctypes.create_string_buffer(n.value + 1)
        self._check(self._table.collection_config(p, sp, name, buf, len(buf), byref(n)))
        return json.loads(buf.value.decode("utf-8"))
