"""The part of the generated ctypes layer that the typed extension wrappers use.

The declarations of ``abi/include/embedkit/ext/classifier.h``, ``matcher.h``,
``recommender.h`` and ``vsa_json.h`` (data structures, callback types, the
function-pointer tables a plugin returns from ``ek_instance_get_extension``, their
constants) are generated into ``_abi_gen`` from the ABI description (tools/abigen);
this module picks them out for ``extensions.py`` and for the tests that compile those
headers to compare layouts and constants with the C compiler's, and table sizes with
the plugins' ``struct_size``.

Table functions are called directly (not through libembedkit): a failure is read from
the table's own ``last_error(self)``, never from ``ek_last_error()``. ``last_error``
returns ``const char*``, which ctypes copies into ``bytes`` as the call returns, before
the plugin's next call can overwrite the text.
"""
from __future__ import annotations

from typing import Dict, Tuple

from . import _abi_gen
from ._abi_gen import (EK_FORGET_INTERACTIONS, EK_FORGET_ITEMS,  # noqa: F401
                       EK_FORGET_KEEP_ROWS, EK_FORGET_SKIP_UNKNOWN, EK_FORGET_USERS, EK_MATCHER_FORMAT_AUTO,
                       EK_MATCHER_FORMAT_GLOSSARY_CSV, EK_MATCHER_FORMAT_GLOSSARY_JSON,
                       EK_MATCHER_FORMAT_SCHEMA_JSON, EK_MATCHER_FORMAT_SQL_DDL,
                       EK_MATCHER_MODE_ONE_TO_MANY, EK_MATCHER_MODE_ONE_TO_ONE,
                       EK_MATCHER_SOURCE, EK_MATCHER_TARGET, EK_UNLEARN_FINETUNE,
                       EK_UNLEARN_GOLD, EK_UNLEARN_MMRECUN, EK_UNLEARN_NOOP,
                       EK_VSA_BIND_FORWARD, EK_VSA_BIND_TRANSPOSE,
                       ek_classifier_ext, ek_classifier_label, ek_classifier_label_info,
                       ek_embed_batch_fn, ek_forget_report, ek_forget_request,
                       ek_matcher_column, ek_matcher_context_fn, ek_matcher_ext,
                       ek_matcher_judge_fn, ek_matcher_llm_hooks, ek_matcher_options,
                       ek_rec_interactions, ek_rec_items, ek_rec_metrics, ek_rec_stats,
                       ek_rec_train_report, ek_recommender_ext, ek_unlearner_ext,
                       ek_vsa_probe_ext)

EXT_CLASSIFIER = _abi_gen.EK_EXT_CLASSIFIER
EXT_MATCHER = _abi_gen.EK_EXT_MATCHER
EXT_RECOMMENDER = _abi_gen.EK_EXT_RECOMMENDER
EXT_UNLEARNER = _abi_gen.EK_EXT_UNLEARNER
EXT_VSA_PROBE = _abi_gen.EK_EXT_VSA_PROBE

#: The extension headers the typed wrappers cover (under abi/include/embedkit/ext).
HEADERS = ("classifier.h", "matcher.h", "recommender.h", "vsa_json.h")

#: struct name -> (class, header file name) for every struct of those headers.
STRUCTS: Dict[str, Tuple[type, str]] = {
    name: (cls, header.rsplit("/", 1)[-1])
    for name, (cls, header) in _abi_gen.STRUCTS.items()
    if header in tuple("embedkit/ext/" + h for h in HEADERS)}

#: Extension id -> function table structure, for the tables of those headers.
TABLES = {ext_id: table for ext_id, table in _abi_gen.EXTENSIONS.items()
          if table.__name__ in STRUCTS}

#: The integer constants of those headers (their #defines), by C name.
CONSTANTS: Dict[str, int] = {
    name: getattr(_abi_gen, name) for name in sorted(vars(_abi_gen))
    if name.startswith(("EK_MATCHER_", "EK_FORGET_", "EK_UNLEARN_", "EK_VSA_"))}
