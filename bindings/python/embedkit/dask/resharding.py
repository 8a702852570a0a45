"""Adding shards: the rows whose route changes move, in transactions, losing nothing.

The order, so that a crash at any point loses no row:

1. The manifest is rewritten with the new shards placed and ``state = "moving"``
   (``shards_before`` = the old count). From here writes are refused until the move
   ends; searches go to every shard and drop a second copy of an id.
2. Each new shard's store is created on its owner.
3. For each old shard, in batches: read up to ``batch`` rows whose route with the new
   count is another shard; write them, with their sequence records, into each
   destination shard in one transaction per destination; only then delete them from
   the source in one transaction. A crash between the two leaves a row on both shards
   (never on neither); running the move again rewrites nothing at the destination
   (same sequence numbers) and deletes the source copy.
4. The manifest is rewritten with ``state = "ready"``.

After a crash, :meth:`ShardedCollection.finish_resharding` (the same loop) completes
the move. With jump hashing (:mod:`.routing`) rows only move from old shards to new
ones, about ``added / total`` of them.
"""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from . import placement, shard_ops
from .pinned import PinnedCall
from .routing import route
from .shard_ops import Rows

BATCH = 5000


def _split_by_destination(rows: Rows, shards: int) -> Dict[int, Rows]:
    groups: Dict[int, List[int]] = {}
    for r, id in enumerate(rows.ids):
        groups.setdefault(route(id, shards), []).append(r)
    return {dest: Rows([rows.ids[r] for r in idx], rows.vectors[np.array(idx)],
                       None if rows.metadata is None else [rows.metadata[r] for r in idx],
                       [rows.first[r] for r in idx], [rows.last[r] for r in idx])
            for dest, idx in groups.items()}


def move_rows(coll: Any, batch: int = BATCH) -> int:
    """Step 3 for every shard of ``coll`` (a ShardedCollection); returns rows moved."""
    shards = len(coll.manifest.shards)
    moved = 0
    for source in range(shards):
        while True:
            (rows,) = coll._run([PinnedCall(source, coll._owner(source), shard_ops.rows_leaving,
                                            (coll._spec(source), shards, batch))])
            if not len(rows):
                break
            parts = _split_by_destination(rows, shards)
            coll._run([PinnedCall(dest, coll._owner(dest), shard_ops.apply_rows,
                                  (coll._spec(dest), part)) for dest, part in parts.items()])
            coll._run([PinnedCall(source, coll._owner(source), shard_ops.delete_ids,
                                  (coll._spec(source), rows.ids))])
            moved += len(rows)
    return moved


def add_shards(coll: Any, count: int, workers: Any) -> int:
    """Steps 1-4; returns the rows moved."""
    m = coll.manifest
    if m.state != placement.READY:
        raise RuntimeError("%s: a re-sharding is unfinished; call finish_resharding() first"
                           % m.name)
    if count < 1:
        raise ValueError("add_shards: count must be 1 or more, not %d" % count)
    before = len(m.shards)
    m.shards += placement.assign(m.name, before, count, workers)
    m.state, m.shards_before = placement.MOVING, before
    placement.save(coll.root, m)
    return finish(coll)


def finish(coll: Any) -> int:
    """Steps 2-4 (idempotent); returns the rows moved."""
    m = coll.manifest
    coll._run([PinnedCall(s, coll._owner(s), shard_ops.create_shard, (coll._spec(s),))
               for s in range(len(m.shards))])
    moved = move_rows(coll)
    m.state, m.shards_before = placement.READY, 0
    placement.save(coll.root, m)
    return moved
