"""The exact top-k merge of the shards' answers (as FAISS ``IndexShards`` and usearch
``Indexes`` merge theirs: every shard answers its own top k, the client keeps the best k).

Hits are ordered by score (higher first for cosine and dot, lower first for L2), then by
the row's ``first`` sequence number, which is the insertion order one store holding
every row would have (:mod:`.shard_ops`). Each shard sends its top k under that same
order, so the merge is exactly the single store's answer, ties included, whenever the
shards search exactly. While re-sharding a row may sit on two shards: the first copy
in the order is kept.
"""
from __future__ import annotations

import heapq
from typing import List, Sequence

from ..core import Hit, Metric
from .shard_ops import ShardHit


def merge_topk(per_shard: Sequence[Sequence[Sequence[ShardHit]]], k: int,
               metric: Metric) -> List[List[Hit]]:
    """``per_shard[shard][query]`` hit lists (each sorted) -> the best ``k`` per query."""
    sign = -1.0 if metric != Metric.L2 else 1.0
    queries = len(per_shard[0]) if per_shard else 0
    out: List[List[Hit]] = []
    for q in range(queries):
        merged = heapq.merge(*(shard[q] for shard in per_shard),
                             key=lambda h: (sign * h[0], h[1]))
        seen = set()
        best: List[Hit] = []
        for score, _, id, meta in merged:
            if id in seen:
                continue
            seen.add(id)
            best.append(Hit(id, score, meta))
            if len(best) == k:
                break
        out.append(best)
    return out
