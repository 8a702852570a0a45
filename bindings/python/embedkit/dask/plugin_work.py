"""Plugin work as ``map_partitions``: encoding, classification and unlearning, with each
plugin instance (and each saved model) made once per worker process
(:mod:`.worker_state`), not once per partition.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from .worker_state import current

CLASSIFIER_PLUGIN = "embedkit.text_classify"
RECOMMENDER_PLUGIN = "embedkit.rec_unlearn"


def _encode_partition(items: Sequence[Any], plugin: str, config: Any) -> List[np.ndarray]:
    items = list(items)
    if not items:
        return []
    with current().instance(plugin, config) as inst:
        return list(inst.encode(items))


def encode(bag: Any, plugin: str = "embedkit.vsa_json", config: Any = None) -> Any:
    """A Bag of float32 vectors: ``plugin``'s encoding (``Instance.encode``) of each
    item (str or bytes; JSON documents for vsa_json) of ``bag``."""
    return bag.map_partitions(_encode_partition, plugin, config)


def _predict_partition(docs: Sequence[Any], store_path: str, model: str,
                       scores: bool) -> List[Any]:
    docs = list(docs)
    if not docs:
        return []
    with current().model("classifier", store_path, model, CLASSIFIER_PLUGIN) as classifier:
        return classifier.predict(docs, scores=scores)


def predict(bag: Any, store_path: str, model: str, scores: bool = False) -> Any:
    """A Bag of :class:`embedkit.Prediction`: text_classify's prediction for each
    document of ``bag`` with the model saved (``Classifier.save``) under ``model`` in
    the store file ``store_path`` (a path every worker can read)."""
    return bag.map_partitions(_predict_partition, store_path, model, scores)


FORGET_KINDS = ("users", "items", "interactions")


def check_forget_request(kind: str, users: Sequence[str], items: Sequence[str],
                         pairs: Optional[Sequence[Sequence[str]]]) -> None:
    """Refuses a request no shard could act on, before any task is sent."""
    if kind not in FORGET_KINDS:
        raise ValueError("forget: kind is 'users', 'items' or 'interactions', not %r" % (kind,))
    named = {"users": users, "items": items, "interactions": pairs}[kind]
    if not named:
        raise ValueError("forget: a %r request names no %s" % (
            kind, "pairs" if kind == "interactions" else kind))


def forget_on_shard(recommender: Any, kind: str, users: Sequence[str], items: Sequence[str],
                    pairs: Optional[Sequence[Sequence[str]]], method: str,
                    request_id: Optional[str]) -> Any:
    """One forget request on this shard's recommender, passing over the users, items
    and pairs it does not hold (``skip_unknown``: users live on one shard, items on
    every shard whose users touched them); None when it held none of them."""
    named = {"users": {"users": list(users)}, "items": {"items": list(items)},
             "interactions": {"pairs": [tuple(p) for p in pairs or []]}}[kind]
    report = recommender.forget(kind, method=method, request_id=request_id, skip_unknown=True,
                                **named)
    return report if report.request_id else None
