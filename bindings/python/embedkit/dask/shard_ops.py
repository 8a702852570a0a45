"""The operations that run on a shard's owner worker (submitted by :mod:`.pinned`).

Each takes a :class:`ShardSpec` (which file, which collection, its shape) and works on
the worker's open store (:mod:`.worker_state`) under the shard's lock. Writes are one
store transaction each, and idempotent, so a task that runs again after a crash —
before or after its commit — leaves the same rows.

Next to its rows every shard keeps, in the store's key/value table (namespace
``embedkit.dask.seq/<collection>``, key = row id, same transaction as the row), the
row's sequence record ``[first, last]``: ``first`` is the sequence number of the write
that inserted the id (kept by later upserts, as embedkit keeps a row's insertion
position on update), ``last`` that of the write whose value the row holds. A sequence
number is ``[generation, partition, position]`` (:mod:`.writes`). ``first`` breaks
score ties across shards exactly as one store's insertion order would; ``last`` lets
an older write that runs again (a retried task) leave a newer value alone.
"""
from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from ..core import Collection, Store
from ..errors import NotFoundError
from .plugin_work import RECOMMENDER_PLUGIN, forget_on_shard
from .routing import route
from .worker_state import current

Seq = Tuple[int, int, int]
IDENTITY_NS = "embedkit.dask"


@dataclass(frozen=True)
class ShardSpec:
    """One shard of a sharded collection, as the worker needs it."""

    path: str
    name: str
    dim: int
    metric: str
    index: Tuple[Tuple[str, Any], ...]
    shard: int
    uid: str

    @property
    def seq_namespace(self) -> str:
        return "embedkit.dask.seq/" + self.name


@dataclass
class Rows:
    """Rows with their sequence records: what a write or a move carries."""

    ids: List[str]
    vectors: np.ndarray
    metadata: Optional[List[Any]]
    first: List[Seq]
    last: List[Seq]

    def __len__(self) -> int:
        return len(self.ids)


def _open(spec: ShardSpec) -> Tuple[Store, Collection, Any]:
    """The shard's store, collection and lock (opened once per worker process)."""
    state = current()
    store, lock = state.store(spec.path)
    return store, state.cached(("collection", spec), lambda: _first_open(spec, store, lock)), lock


def _first_open(spec: ShardSpec, store: Store, lock: Any) -> Collection:
    """Checks the file is this shard's (marking a new one) and opens the collection."""
    identity = {"uid": spec.uid, "collection": spec.name, "shard": spec.shard}
    try:
        found = store.kv_get(IDENTITY_NS, "shard")
    except NotFoundError:
        with lock, store.transaction():
            store.kv_put(IDENTITY_NS, "shard", identity)
        found = identity
    if found != identity:
        raise ValueError("%s holds %s, not shard %d of %r (uid %s): is the manifest's placement "
                         "right?" % (spec.path, found, spec.shard, spec.name, spec.uid))
    return store.create_collection(spec.name, spec.dim, spec.metric, **dict(spec.index))


def _seq_record(store: Store, spec: ShardSpec, id: str) -> Optional[Tuple[Seq, Seq]]:
    try:
        first, last = store.kv_get(spec.seq_namespace, id)
    except NotFoundError:
        return None
    return tuple(first), tuple(last)


def _known_record(store: Store, spec: ShardSpec, id: str) -> Tuple[Seq, Seq]:
    """The sequence record of a row the shard holds (written in the row's transaction)."""
    record = _seq_record(store, spec, id)
    if record is None:
        raise ValueError("%s: row %r has no sequence record" % (spec.path, id))
    return record


def create_shard(spec: ShardSpec) -> int:
    """Creates (or opens) the shard's store and collection; returns its row count."""
    return _open(spec)[1].count()


def apply_rows(spec: ShardSpec, rows: Rows) -> int:
    """Merges rows into the shard in one transaction; returns ``len(rows)`` (the same
    when it runs again, unlike the number of values rewritten).

    A row whose id the shard holds keeps the earlier ``first``; its value is replaced
    only by a write with a later ``last`` (ids are unique within ``rows``).
    """
    if not len(rows):
        return 0
    store, coll, lock = _open(spec)
    with lock, store.transaction():
        write: List[int] = []
        for r, id in enumerate(rows.ids):
            old = _seq_record(store, spec, id)
            first, last = tuple(rows.first[r]), tuple(rows.last[r])
            if old is None or last > old[1]:
                write.append(r)
                record = (first if old is None else min(old[0], first), last)
            else:
                record = (min(old[0], first), old[1])
            if record != old:
                store.kv_put(spec.seq_namespace, id, [list(record[0]), list(record[1])])
        if write:
            meta = None if rows.metadata is None else [rows.metadata[r] for r in write]
            coll.upsert([rows.ids[r] for r in write], rows.vectors[write], meta)
    return len(rows)


def delete_ids(spec: ShardSpec, ids: Sequence[str]) -> int:
    """Deletes rows (and their sequence records) in one transaction; returns how many
    existed. Running it again deletes nothing more."""
    if not ids:
        return 0
    store, coll, lock = _open(spec)
    with lock, store.transaction():
        removed = coll.delete(list(ids))
        for id in ids:
            store.kv_delete(spec.seq_namespace, id)
    return removed


def count(spec: ShardSpec) -> int:
    return _open(spec)[1].count()


def ids(spec: ShardSpec) -> List[str]:
    """Every id of the shard, in the shard's insertion order."""
    return _open(spec)[1].list().ids(0)


def get(spec: ShardSpec, id: str) -> Tuple[np.ndarray, Any]:
    return _open(spec)[1].get_with_metadata(id)


def integrity_check(spec: ShardSpec) -> str:
    """SQLite's ``PRAGMA integrity_check`` of the shard file (``"ok"`` when sound),
    through Python's sqlite3 on a read-only connection."""
    _open(spec)
    with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % spec.path, uri=True)) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    return "\n".join(str(r[0]) for r in rows)


def rows_leaving(spec: ShardSpec, shards_after: int, limit: int) -> Rows:
    """Up to ``limit`` rows whose route with ``shards_after`` shards is another shard."""
    store, coll, lock = _open(spec)
    with lock:
        leaving = [i for i in coll.list().ids(0) if route(i, shards_after) != spec.shard][:limit]
        vectors = np.empty((len(leaving), spec.dim), dtype=np.float32)
        metadata: List[Any] = []
        first: List[Seq] = []
        last: List[Seq] = []
        for r, id in enumerate(leaving):
            vec, meta = coll.get_with_metadata(id)
            vectors[r] = vec
            metadata.append(meta)
            record = _known_record(store, spec, id)
            first.append(record[0])
            last.append(record[1])
    return Rows(leaving, vectors, metadata, first, last)


# ---- search ---------------------------------------------------------------------------

#: (score, first sequence number, id, metadata JSON or None)
ShardHit = Tuple[float, Seq, str, Optional[str]]


def search(spec: ShardSpec, queries: np.ndarray, k: int, options: Dict[str, Any]) -> List[List[ShardHit]]:
    """The shard's top ``k`` per query, ties broken by the rows' ``first`` sequence.

    The shard's own search breaks ties by *its* insertion order, which may differ from
    the global one (partitions commit in any order), so a query whose hits tie at the
    k-th score is searched again with a larger k until every row of that score is in,
    and the cut at k is made after sorting by (score, sequence). One batched search
    answers every query whose k-th score does not continue (nearly all of them).
    """
    store, coll, lock = _open(spec)
    higher_is_better = coll.metric != 2  # L2 scores are distances
    # under the lock: the store handle is shared with this process's write tasks, and a
    # read on it inside their open transaction would see rows without their records
    with lock:
        per_query = _hits_through_boundary_ties(coll, np.atleast_2d(queries), k, options)
        firsts = _first_sequences(store, spec, {h.id for hits in per_query for h in hits})
    out: List[List[ShardHit]] = []
    for hits in per_query:
        ranked = [(h.score, firsts[h.id], h.id, h.metadata_json) for h in hits]
        ranked.sort(key=lambda t: ((-t[0] if higher_is_better else t[0]), t[1]))
        out.append(ranked[:k])
    return out


def _hits_through_boundary_ties(coll: Collection, queries: np.ndarray, k: int,
                                options: Dict[str, Any]) -> List[List[Any]]:
    """Each query's hits, through the last row of its k-th score: one batched search
    for k + 1 (one past k shows whether the k-th score continues), then only the
    queries whose k-th score does continue again, alone, with a doubling k."""
    with coll.search(queries, k=k + 1, **options) as res:
        per_query = [res.hits(q) for q in range(len(res))]
    for q, hits in enumerate(per_query):
        want = k + 1
        while len(hits) == want and hits[-1].score == hits[k - 1].score:
            want *= 2
            with coll.search(queries[q], k=want, **options) as res:
                hits = res.hits(0)
        per_query[q] = hits
    return per_query


def _first_sequences(store: Store, spec: ShardSpec, ids: Set[str]) -> Dict[str, Seq]:
    """The ``first`` sequence number of each id (rows the shard holds), each record read
    once however many queries found its row."""
    return {id: _known_record(store, spec, id)[0] for id in ids}


# ---- user functions and models on a shard --------------------------------------------


@dataclass
class ShardAccess:
    """What :meth:`ShardedCollection.map_shards` hands its function on the owner: the
    shard number, its store and collection, and the worker's context. The shard's lock
    is held during the call."""

    shard: int
    store: Store
    collection: Collection
    context: Any


def call_with_shard(spec: ShardSpec, fn: Any, args: Tuple[Any, ...]) -> Any:
    """``fn(ShardAccess, *args)`` under the shard's lock; models loaded from the shard are
    reloaded afterwards (``fn`` may have rewritten them)."""
    store, coll, lock = _open(spec)
    state = current()
    with lock:
        try:
            return fn(ShardAccess(spec.shard, store, coll, state.context), *args)
        finally:
            state.forget_models(spec.path)


def forget(spec: ShardSpec, model: str, kind: str, users: Sequence[str], items: Sequence[str],
           pairs: Optional[Sequence[Sequence[str]]], method: str,
           request_id: Optional[str]) -> Any:
    """The shard's part of a forget request (:func:`.plugin_work.forget_on_shard`) on the
    recommender saved as ``model`` in the shard's store."""
    _, _, lock = _open(spec)
    with lock, current().model("recommender", spec.path, model, RECOMMENDER_PLUGIN) as rec:
        return forget_on_shard(rec, kind, users, items, pairs, method, request_id)
