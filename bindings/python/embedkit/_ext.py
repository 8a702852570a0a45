"""ctypes declarations of the plugin extension tables.

One to one with ``abi/include/embedkit/ext/classifier.h``, ``matcher.h`` and
``recommender.h``: the data structures and the function-pointer tables a plugin
returns from ``ek_instance_get_extension``. The binding's tests compare every size
and field offset with the C compiler's, and the table sizes with the
``struct_size`` the bundled plugins report.

Table functions are called directly (not through libembedkit): a failure is read
from the table's own ``last_error(self)``, never from ``ek_last_error()``.
"""
from __future__ import annotations

from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_float,
                    c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

from ._lib import ek_string_view

ek_status = c_int32
_P = c_void_p  # the plugin's instance pointer (ek_instance_plugin_data) / opaque handles
_S = POINTER(ek_string_view)

EXT_CLASSIFIER = "ek.classifier/1"
EXT_MATCHER = "ek.matcher/1"
EXT_RECOMMENDER = "ek.recommender/1"
EXT_UNLEARNER = "ek.unlearner/1"

#: Function type of every table's ``last_error(instance)``. Returns the raw address
#: (c_void_p) so that the text is copied by the caller right away.
_last_error_fn = CFUNCTYPE(c_void_p, _P)

# ---- ext/classifier.h ---------------------------------------------------------------

ek_embed_batch_fn = CFUNCTYPE(ek_status, c_void_p, _S, c_size_t, c_uint32, POINTER(c_float))


class ek_classifier_label(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("keywords", POINTER(c_char_p)),
        ("keyword_count", c_size_t),
        ("description", c_char_p),
    ]


class ek_classifier_label_info(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("known_keywords", c_uint32),
        ("total_keywords", c_uint32),
        ("documents", c_uint32),
        ("active", c_uint32),
    ]


class ek_classifier_ext(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("last_error", _last_error_fn),
        ("set_embedder", CFUNCTYPE(ek_status, _P, ek_embed_batch_fn, c_void_p, c_uint32)),
        ("set_labels", CFUNCTYPE(ek_status, _P, POINTER(ek_classifier_label), c_size_t)),
        ("set_labels_json", CFUNCTYPE(ek_status, _P, c_char_p, c_size_t)),
        ("fit", CFUNCTYPE(ek_status, _P, _S, c_size_t)),
        ("label_count", CFUNCTYPE(ek_status, _P, POINTER(c_size_t))),
        ("dim", CFUNCTYPE(ek_status, _P, POINTER(c_size_t))),
        ("label_info", CFUNCTYPE(ek_status, _P, c_size_t, POINTER(ek_classifier_label_info))),
        ("predict", CFUNCTYPE(ek_status, _P, _S, c_size_t, POINTER(c_int32), POINTER(c_float),
                              POINTER(c_float))),
        ("predict_fitted", CFUNCTYPE(ek_status, _P, c_size_t, c_size_t, POINTER(c_int32),
                                     POINTER(c_float), POINTER(c_float))),
        ("embed", CFUNCTYPE(ek_status, _P, _S, c_size_t, POINTER(c_float))),
        ("fitted_vectors", CFUNCTYPE(ek_status, _P, c_size_t, c_size_t, POINTER(c_float))),
        ("label_vectors", CFUNCTYPE(ek_status, _P, POINTER(c_float), POINTER(c_float))),
        ("save", CFUNCTYPE(ek_status, _P, c_void_p, c_char_p)),
        ("load", CFUNCTYPE(ek_status, _P, c_void_p, c_char_p)),
        ("info_json", CFUNCTYPE(ek_status, _P, c_void_p, c_size_t, POINTER(c_size_t))),
    ]


# ---- ext/matcher.h ------------------------------------------------------------------

MATCHER_SOURCE = 0
MATCHER_TARGET = 1
MATCHER_FORMAT_AUTO = 0
MATCHER_FORMAT_SCHEMA_JSON = 1
MATCHER_FORMAT_SQL_DDL = 2
MATCHER_FORMAT_GLOSSARY_JSON = 3
MATCHER_FORMAT_GLOSSARY_CSV = 4
MATCHER_MODE_ONE_TO_MANY = 0
MATCHER_MODE_ONE_TO_ONE = 1


class ek_matcher_column(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("id", c_char_p),
        ("table", c_char_p),
        ("name", c_char_p),
        ("type", c_char_p),
        ("description", c_char_p),
        ("table_description", c_char_p),
        ("synonyms", c_char_p),
    ]


ek_matcher_context_fn = CFUNCTYPE(ek_status, c_void_p, POINTER(ek_matcher_column), c_void_p,
                                  c_size_t, POINTER(c_size_t))
ek_matcher_judge_fn = CFUNCTYPE(ek_status, c_void_p, POINTER(ek_matcher_column),
                                POINTER(ek_matcher_column), POINTER(c_float))


class ek_matcher_llm_hooks(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("user_data", c_void_p),
        ("generate_context", ek_matcher_context_fn),
        ("judge", ek_matcher_judge_fn),
        ("judge_top_n", c_uint32),
        ("judge_weight", c_float),
        ("context_capacity", c_uint32),
    ]


class ek_matcher_options(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("top_k", c_uint32),
        ("mode", c_uint32),
        ("threshold", c_float),
        ("max_matches", c_uint32),
        ("use_llm", c_uint32),
    ]


class ek_matcher_candidate(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("target_index", c_size_t),
        ("score", c_float),
        ("model_score", c_float),
        ("judge_probability", c_float),
        ("is_match", c_uint32),
        ("signal_count", c_size_t),
        ("signals", POINTER(c_float)),
        ("contributions", POINTER(c_float)),
    ]


class ek_matcher_ext(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("last_error", _last_error_fn),
        ("options_init", CFUNCTYPE(None, POINTER(ek_matcher_options))),
        ("load", CFUNCTYPE(ek_status, _P, c_uint32, c_char_p, c_size_t, c_uint32)),
        ("clear", CFUNCTYPE(ek_status, _P, c_uint32)),
        ("count", CFUNCTYPE(ek_status, _P, c_uint32, POINTER(c_size_t))),
        ("column", CFUNCTYPE(ek_status, _P, c_uint32, c_size_t, POINTER(ek_matcher_column))),
        ("add_abbreviations", CFUNCTYPE(ek_status, _P, c_char_p, c_size_t)),
        ("set_llm_hooks", CFUNCTYPE(ek_status, _P, POINTER(ek_matcher_llm_hooks))),
        ("match", CFUNCTYPE(ek_status, _P, POINTER(ek_matcher_options), POINTER(c_void_p))),
        ("signal_count", CFUNCTYPE(c_size_t, _P)),
        ("signal_name", CFUNCTYPE(c_char_p, _P, c_size_t)),
        ("result_column_count", CFUNCTYPE(c_size_t, c_void_p)),
        ("result_column", CFUNCTYPE(ek_status, c_void_p, c_size_t, POINTER(ek_matcher_column),
                                    POINTER(c_size_t))),
        ("result_candidate", CFUNCTYPE(ek_status, c_void_p, c_size_t, c_size_t,
                                       POINTER(ek_matcher_candidate))),
        ("result_target", CFUNCTYPE(ek_status, c_void_p, c_size_t, POINTER(ek_matcher_column))),
        ("result_json", CFUNCTYPE(ek_status, c_void_p, POINTER(c_void_p))),
        ("free_text", CFUNCTYPE(None, c_void_p)),
        ("result_free", CFUNCTYPE(None, c_void_p)),
    ]


# ---- ext/recommender.h ----------------------------------------------------------------

FORGET_INTERACTIONS = 0
FORGET_USERS = 1
FORGET_ITEMS = 2
UNLEARN_MMRECUN = 0
UNLEARN_GOLD = 1
UNLEARN_FINETUNE = 2
UNLEARN_NOOP = 3
FORGET_KEEP_ROWS = 0x1


class ek_rec_interactions(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("count", c_size_t),
        ("users", POINTER(c_char_p)),
        ("items", POINTER(c_char_p)),
        ("weights", POINTER(c_float)),
        ("timestamps", POINTER(c_int64)),
    ]


class ek_rec_items(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("count", c_size_t),
        ("ids", POINTER(c_char_p)),
        ("categorical", POINTER(c_float)),
        ("categorical_dim", c_size_t),
        ("texts", _S),
    ]


class ek_rec_train_report(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("epochs", c_uint32),
        ("samples", c_uint64),
        ("seconds", c_double),
        ("last_loss", c_double),
    ]


class ek_rec_metrics(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("recall", c_double),
        ("ndcg", c_double),
        ("hit_rate", c_double),
        ("mean_rank", c_double),
        ("users", c_uint64),
        ("pairs", c_uint64),
        ("pairs_skipped", c_uint64),
    ]


class ek_rec_stats(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("users", c_uint64),
        ("items", c_uint64),
        ("interactions", c_uint64),
        ("dim", c_uint32),
        ("layers", c_uint32),
        ("trained", c_uint32),
        ("pending_requests", c_uint32),
    ]


class ek_recommender_ext(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("last_error", _last_error_fn),
        ("set_items", CFUNCTYPE(ek_status, _P, POINTER(ek_rec_items))),
        ("add_interactions", CFUNCTYPE(ek_status, _P, POINTER(ek_rec_interactions))),
        ("train", CFUNCTYPE(ek_status, _P, c_char_p, POINTER(ek_rec_train_report))),
        ("recommend", CFUNCTYPE(ek_status, _P, c_char_p, c_size_t, c_uint32, POINTER(c_char_p),
                                POINTER(c_float), POINTER(c_size_t))),
        ("score", CFUNCTYPE(ek_status, _P, c_char_p, POINTER(c_char_p), c_size_t,
                            POINTER(c_float))),
        ("evaluate", CFUNCTYPE(ek_status, _P, POINTER(ek_rec_interactions), c_size_t, c_uint32,
                               POINTER(ek_rec_metrics))),
        ("save", CFUNCTYPE(ek_status, _P, c_void_p, c_char_p)),
        ("load", CFUNCTYPE(ek_status, _P, c_void_p, c_char_p)),
        ("stats", CFUNCTYPE(ek_status, _P, POINTER(ek_rec_stats))),
    ]


class ek_forget_request(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("kind", c_int32),
        ("method", c_int32),
        ("flags", c_uint32),
        ("count", c_size_t),
        ("users", POINTER(c_char_p)),
        ("items", POINTER(c_char_p)),
        ("options_json", c_char_p),
        ("request_id", c_char_p),
    ]


class ek_forget_report(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("interactions_removed", c_uint64),
        ("users_removed", c_uint64),
        ("items_removed", c_uint64),
        ("epochs", c_uint32),
        ("seconds", c_double),
        ("request_id", c_char * 64),
        ("digest", c_char * 65),
    ]


class ek_unlearner_ext(Structure):
    _fields_ = [
        ("struct_size", c_uint32),
        ("last_error", _last_error_fn),
        ("forget", CFUNCTYPE(ek_status, _P, POINTER(ek_forget_request),
                             POINTER(ek_forget_report))),
        ("purge", CFUNCTYPE(ek_status, _P, POINTER(c_uint64))),
    ]


#: Structures whose layout the tests check against the C compiler, with the header
#: that declares each.
STRUCTS = {
    "ek_classifier_label": (ek_classifier_label, "classifier.h"),
    "ek_classifier_label_info": (ek_classifier_label_info, "classifier.h"),
    "ek_classifier_ext": (ek_classifier_ext, "classifier.h"),
    "ek_matcher_column": (ek_matcher_column, "matcher.h"),
    "ek_matcher_llm_hooks": (ek_matcher_llm_hooks, "matcher.h"),
    "ek_matcher_options": (ek_matcher_options, "matcher.h"),
    "ek_matcher_candidate": (ek_matcher_candidate, "matcher.h"),
    "ek_matcher_ext": (ek_matcher_ext, "matcher.h"),
    "ek_rec_interactions": (ek_rec_interactions, "recommender.h"),
    "ek_rec_items": (ek_rec_items, "recommender.h"),
    "ek_rec_train_report": (ek_rec_train_report, "recommender.h"),
    "ek_rec_metrics": (ek_rec_metrics, "recommender.h"),
    "ek_rec_stats": (ek_rec_stats, "recommender.h"),
    "ek_recommender_ext": (ek_recommender_ext, "recommender.h"),
    "ek_forget_request": (ek_forget_request, "recommender.h"),
    "ek_forget_report": (ek_forget_report, "recommender.h"),
    "ek_unlearner_ext": (ek_unlearner_ext, "recommender.h"),
}

#: Extension id -> table structure.
TABLES = {
    EXT_CLASSIFIER: ek_classifier_ext,
    EXT_MATCHER: ek_matcher_ext,
    EXT_RECOMMENDER: ek_recommender_ext,
    EXT_UNLEARNER: ek_unlearner_ext,
}

#: Constants the tests compare with the headers' #defines.
CONSTANTS = {
    "EK_MATCHER_SOURCE": MATCHER_SOURCE,
    "EK_MATCHER_TARGET": MATCHER_TARGET,
    "EK_MATCHER_FORMAT_AUTO": MATCHER_FORMAT_AUTO,
    "EK_MATCHER_FORMAT_SCHEMA_JSON": MATCHER_FORMAT_SCHEMA_JSON,
    "EK_MATCHER_FORMAT_SQL_DDL": MATCHER_FORMAT_SQL_DDL,
    "EK_MATCHER_FORMAT_GLOSSARY_JSON": MATCHER_FORMAT_GLOSSARY_JSON,
    "EK_MATCHER_FORMAT_GLOSSARY_CSV": MATCHER_FORMAT_GLOSSARY_CSV,
    "EK_MATCHER_MODE_ONE_TO_MANY": MATCHER_MODE_ONE_TO_MANY,
    "EK_MATCHER_MODE_ONE_TO_ONE": MATCHER_MODE_ONE_TO_ONE,
    "EK_FORGET_INTERACTIONS": FORGET_INTERACTIONS,
    "EK_FORGET_USERS": FORGET_USERS,
    "EK_FORGET_ITEMS": FORGET_ITEMS,
    "EK_UNLEARN_MMRECUN": UNLEARN_MMRECUN,
    "EK_UNLEARN_GOLD": UNLEARN_GOLD,
    "EK_UNLEARN_FINETUNE": UNLEARN_FINETUNE,
    "EK_UNLEARN_NOOP": UNLEARN_NOOP,
    "EK_FORGET_KEEP_ROWS": FORGET_KEEP_ROWS,
}
