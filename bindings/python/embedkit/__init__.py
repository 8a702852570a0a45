"""embedkit: Python binding of the embedkit C ABI (ctypes + NumPy, no compiled code).

Quick start::

    import numpy as np
    import embedkit

    with embedkit.Context() as ctx, ctx.open_store("demo.db") as store:
        docs = store.create_collection("docs", dim=4)
        docs.upsert(["a", "b"], np.eye(2, 4, dtype=np.float32))
        with docs.search([1, 0, 0, 0], k=1) as res:
            print(res[0][0].id)          # "a"

The shared library is found through ``EMBEDKIT_LIBRARY``, next to this package, or
in the install prefix (see :func:`embedkit.library_path` and docs/bindings.md).
Failures raise subclasses of :class:`EmbedkitError` carrying ``status`` and
``message``. The plugin extensions have typed wrappers (:mod:`embedkit.extensions`):
``Instance.classifier()``, ``.matcher()``, ``.recommender()``.
"""
from ._lib import find_library, library_path
from .core import (EXT_ENCODER, Collection, CollectionInfo, Context, ContextInfo, Hit,
                   Instance, LogLevel, Metric, PluginInfo, Results, Store, abi_version,
                   last_error, status_name, version)
from .errors import (AbiMismatchError, AlreadyExistsError, BufferTooSmallError,
                     CancelledError, CorruptError, DimensionMismatchError, EmbedkitError,
                     EmbedkitIOError, InternalError, InvalidArgumentError, LimitError,
                     NotAPluginError, NotFoundError, OutOfMemoryError, ParseError,
                     PluginError, ReadOnlyError, Status, StorageError, UnsupportedError,
                     error_class)
from .index import Element, IndexInfo, IndexKind
from .extensions import (Classifier, ForgetReport, Label, LabelInfo, MatchColumn, Matcher,
                         NumberEstimate, Prediction, RecMetrics, Recommender, RecStats,
                         TrainReport, ValueMatch, VsaProbe)

__version__ = "0.1.0"

__all__ = [
    "Context", "ContextInfo", "PluginInfo", "Instance", "Store", "Collection",
    "CollectionInfo", "Results", "Hit", "Metric", "LogLevel", "EXT_ENCODER",
    "IndexKind", "Element", "IndexInfo",
    "version", "abi_version", "status_name", "last_error", "library_path", "find_library",
    "Status", "EmbedkitError", "error_class", "InvalidArgumentError", "NotFoundError",
    "AlreadyExistsError", "DimensionMismatchError", "ParseError", "EmbedkitIOError",
    "StorageError", "CorruptError", "ReadOnlyError", "AbiMismatchError", "NotAPluginError",
    "UnsupportedError", "BufferTooSmallError", "OutOfMemoryError", "CancelledError",
    "LimitError", "InternalError", "PluginError",
    "Classifier", "Label", "LabelInfo", "Prediction", "Matcher", "MatchColumn", "Recommender",
    "TrainReport", "RecMetrics", "RecStats", "ForgetReport", "VsaProbe", "ValueMatch",
    "NumberEstimate",
]
