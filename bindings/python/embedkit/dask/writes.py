"""Upserts and deletes from a Dask Bag or DataFrame, one transaction per (partition,
shard).

Each partition is split by shard where it was computed (:func:`split_upserts`), and
each shard's part is written by the shard's owner in ONE transaction
(:func:`.shard_ops.apply_rows`). A row is identified by its id and stamped with its
sequence number ``[generation, partition, position]``: the generation is taken from the
manifest once per call, so a task that Dask (or :mod:`.pinned`) runs again writes the
same numbers and changes nothing; an id written twice keeps the value of the higher
number. The result equals one store into which the call's rows were upserted in
(partition, position) order.

Accepted rows: a Bag of ``(id, vector)`` / ``(id, vector, metadata)`` tuples or of
dicts with keys ``"id"``, ``"vector"``, ``"metadata"`` (optional); a Dask DataFrame
with columns ``id``, ``vector`` (one array-like per row) and optionally ``metadata``
(dict, JSON text or None). Deletes take a Bag of ids or a DataFrame with an ``id``
column.
"""
from __future__ import annotations

import operator
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .routing import route
from .shard_ops import Rows

Row = Tuple[str, Any, Any]


def _rows_of(partition: Any) -> Iterable[Row]:
    """(id, vector, metadata) of each row of a Bag or pandas partition."""
    columns = getattr(partition, "columns", None)
    if columns is not None:  # a pandas DataFrame
        meta = partition["metadata"] if "metadata" in columns else [None] * len(partition)
        return zip(partition["id"], partition["vector"], meta)
    return (_bag_row(r, n) for n, r in enumerate(partition))


def _bag_row(row: Any, n: int) -> Row:
    if isinstance(row, dict):
        return row["id"], row["vector"], row.get("metadata")
    if isinstance(row, (tuple, list)) and len(row) in (2, 3):
        return row[0], row[1], (row[2] if len(row) == 3 else None)
    raise TypeError("row %d: expected (id, vector[, metadata]) or a dict with id/vector, got %s"
                    % (n, type(row).__name__))


def split_upserts(partition: Any, index: int, generation: int, shards: int,
                  dim: int) -> Dict[int, Rows]:
    """The rows of partition ``index`` grouped by shard, with their sequence numbers.

    An id appearing twice keeps its first position as ``first`` and its last row as
    value (and ``last``), as one store upserting the rows in order would.
    """
    by_id: Dict[str, List[Any]] = {}
    for pos, (id, vector, meta) in enumerate(_rows_of(partition)):
        seq = (generation, index, pos)
        if id in by_id:
            by_id[id][1:] = [vector, meta, seq]
        else:
            by_id[id] = [seq, vector, meta, seq]
    groups: Dict[int, List[Tuple[str, List[Any]]]] = {s: [] for s in range(shards)}
    for id, entry in by_id.items():
        groups[route(id, shards)].append((id, entry))
    return {s: _rows(group, dim) for s, group in groups.items()}


def _rows(group: Sequence[Tuple[str, List[Any]]], dim: int) -> Rows:
    vectors = np.empty((len(group), dim), dtype=np.float32)
    for r, (id, entry) in enumerate(group):
        vector = np.asarray(entry[1], dtype=np.float32).reshape(-1)
        if vector.size != dim:
            raise ValueError("row %r: a vector of %d values, the collection's dim is %d"
                             % (id, vector.size, dim))
        vectors[r] = vector
    metadata: Optional[List[Any]] = [e[2] for _, e in group]
    if all(m is None for m in metadata):  # type: ignore[union-attr]
        metadata = None
    return Rows([id for id, _ in group], vectors, metadata, [e[0] for _, e in group],
                [e[3] for _, e in group])


def split_deletes(partition: Any, shards: int) -> Dict[int, List[str]]:
    """The ids of a partition (Bag of ids, or pandas with an ``id`` column) by shard."""
    ids = partition["id"] if getattr(partition, "columns", None) is not None else partition
    groups: Dict[int, List[str]] = {s: [] for s in range(shards)}
    for id in dict.fromkeys(ids):
        groups[route(id, shards)].append(id)
    return groups


def partitions(data: Any) -> List[Any]:
    """The partitions of a Dask Bag or DataFrame as Delayed objects."""
    to_delayed = getattr(data, "to_delayed", None)
    if to_delayed is None:
        raise TypeError("expected a dask Bag or DataFrame, not %s (wrap a list with "
                        "dask.bag.from_sequence)" % type(data).__name__)
    return list(to_delayed())


def shard_pieces(client: Any, data: Any, split: Any, shards: int) -> List[List[Any]]:
    """Futures of each partition's pieces, ``[partition][shard]``.

    ``split(partition, index)`` returns a dict shard -> piece. The split runs where
    Dask computed the partition, and each piece is picked out there (a task with no
    restriction, placed by data locality), so only that piece travels to the shard's
    owner.
    """
    import dask

    delayed = [dask.delayed(split, pure=False)(part, p)
               for p, part in enumerate(partitions(data))]
    splits = client.compute(delayed)
    return [[client.submit(operator.getitem, f, s, pure=False) for s in range(shards)]
            for f in splits]
