"""Plugin work as ``map_partitions``: encoding, classification and unlearning, with each
plugin instance (and each saved model) made once per worker process
(:mod:`.worker_state`), not once per partition.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from ..errors import NotFoundError
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


def held_users(recommender: Any, users: Sequence[str]) -> List[str]:
    """The users this recommender knows (``recommend`` raises NotFoundError for others)."""
    held = []
    for user in users:
        try:
            recommender.recommend(user, k=1, exclude_seen=False)
        except NotFoundError:
            continue
        held.append(user)
    return held


def forget_on_shard(recommender: Any, kind: str, users: Sequence[str],
                    pairs: Optional[Sequence[Sequence[str]]], method: str,
                    request_id: Optional[str]) -> Any:
    """One forget request limited to the users (or pairs of users) this shard holds;
    None when it holds none of them."""
    if kind == "users":
        held = held_users(recommender, users)
        if not held:
            return None
        return recommender.forget("users", users=held, method=method, request_id=request_id)
    if kind == "interactions":
        mine = set(held_users(recommender, sorted({p[0] for p in pairs or []})))
        held_pairs = [tuple(p) for p in pairs or [] if p[0] in mine]
        if not held_pairs:
            return None
        return recommender.forget("interactions", pairs=held_pairs, method=method,
                                  request_id=request_id)
    raise ValueError("forget: kind is 'users' or 'interactions' (user data is what shards "
                     "split), not %r" % (kind,))
