"""ShardedCollection: one embedkit collection split over N stores, each owned by one
Dask worker (see the package docstring for the whole picture)."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from distributed import Lock

from ..core import Hit, Metric
from ..errors import NotFoundError
from ..index import DEFAULTS as INDEX_DEFAULTS
from . import placement, plugin_work, resharding, shard_ops, writes
from .pinned import PinnedCall, run_pinned, worker_addresses
from .routing import route
from .search import merge_topk


class ShardedCollection:
    """A collection of ``dim``-vectors split by id over shard stores on Dask workers.

    Make one with :meth:`create` or :meth:`open`; the workers need
    :func:`embedkit.dask.setup_workers` first. Every call waits at most ``timeout``
    seconds, and at most ``worker_timeout`` seconds for a shard whose worker is gone
    (then :class:`ShardUnavailableError` names the shard and the worker). Several
    handles (clients, processes) may write at once: each write call takes its
    generation under a cluster-wide lock from the manifest on disk, so concurrent
    writes of one id end as if applied in the order their generations were taken.
    """

    def __init__(self, client: Any, root: str, manifest: placement.Manifest,
                 timeout: float = 120.0, worker_timeout: float = 10.0) -> None:
        self.client = client
        self.root = os.path.abspath(root)
        self.manifest = manifest
        self.timeout = timeout
        self.worker_timeout = worker_timeout
        self._last_seen: Dict[str, str] = {}  # worker name -> last address, for errors

    # -- making and opening
    @classmethod
    def create(cls, client: Any, root: str, name: str, dim: int,
               metric: Union[Metric, int, str] = "cosine", shards: int = 2,
               workers: Optional[Sequence[Any]] = None, timeout: float = 120.0,
               worker_timeout: float = 10.0, **index: Any) -> "ShardedCollection":
        """Places ``shards`` new shards over ``workers`` (names; default: every worker
        of the cluster, by name, round robin), writes ``<root>/manifest.json`` and
        creates the shard stores ``<root>/<name>-shard-NNNN.db`` on their owners.

        ``index`` takes :meth:`embedkit.Store.create_collection`'s index arguments
        (``index="hnsw"``, ``m``, ``ef_search``, ``element``, ...). FileExistsError if
        ``root`` already holds a manifest (use :meth:`open`).
        """
        if os.path.exists(placement.manifest_path(root)):
            raise FileExistsError("%s already exists: open it with ShardedCollection.open"
                                  % placement.manifest_path(root))
        unknown = set(index) - set(INDEX_DEFAULTS)
        if unknown:
            raise TypeError("create: unknown index arguments %s" % sorted(unknown))
        if workers is None:
            workers = sorted(worker_addresses(client), key=str)
        metric_name = Metric[metric.upper()].name if isinstance(metric, str) else Metric(metric).name
        m = placement.Manifest(name=name, dim=int(dim), metric=metric_name.lower(),
                               index=dict(index),
                               shards=placement.assign(name, 0, shards, workers))
        placement.save(root, m)
        coll = cls(client, root, m, timeout, worker_timeout)
        coll._run([PinnedCall(s, coll._owner(s), shard_ops.create_shard, (coll._spec(s),))
                   for s in range(shards)])
        return coll

    @classmethod
    def open(cls, client: Any, root: str, timeout: float = 120.0,
             worker_timeout: float = 10.0) -> "ShardedCollection":
        """The sharded collection whose manifest is ``<root>/manifest.json``."""
        return cls(client, root, placement.load(root), timeout, worker_timeout)

    # -- what it is
    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def dim(self) -> int:
        return self.manifest.dim

    @property
    def metric(self) -> Metric:
        return Metric[self.manifest.metric.upper()]

    @property
    def shards(self) -> int:
        """Number of shards (new ones included while a re-sharding is unfinished)."""
        return len(self.manifest.shards)

    def placement(self) -> List[Tuple[int, str, str]]:
        """``(shard, worker name, store path)`` of every shard."""
        return [(p.shard, p.worker, self._path(p.shard)) for p in self.manifest.shards]

    def shard_of(self, id: str) -> int:
        """The shard that holds ``id``."""
        return route(id, self._routing_shards())

    # -- writes
    def upsert(self, data: Any) -> int:
        """Inserts or replaces rows from a Dask Bag or DataFrame (formats: :mod:`.writes`);
        each partition's rows of one shard are one transaction. Returns the number of
        distinct ids per partition, summed (rows repeated in a partition count once)."""
        generation = self._take_generation()
        n, dim = self._writable(), self.dim
        pieces = writes.shard_pieces(
            self.client, data,
            lambda part, p: writes.split_upserts(part, p, generation, n, dim), n)
        return sum(self._run([PinnedCall(s, self._owner(s), shard_ops.apply_rows,
                                         (self._spec(s), piece))
                              for row in pieces for s, piece in enumerate(row)]))

    def delete(self, data: Any) -> int:
        """Deletes the ids of a Dask Bag (of ids) or DataFrame (``id`` column), or of a
        list; each partition's ids of one shard are one transaction. Returns how many
        rows existed."""
        n = self._writable()
        if isinstance(data, (list, tuple)):
            groups = writes.split_deletes(data, n)
            calls = [PinnedCall(s, self._owner(s), shard_ops.delete_ids, (self._spec(s), ids))
                     for s, ids in groups.items() if ids]
        else:
            pieces = writes.shard_pieces(self.client, data,
                                         lambda part, p: writes.split_deletes(part, n), n)
            calls = [PinnedCall(s, self._owner(s), shard_ops.delete_ids, (self._spec(s), piece))
                     for row in pieces for s, piece in enumerate(row)]
        return sum(self._run(calls))

    # -- reads
    def search(self, queries: Any, k: int = 10, filter: Any = None,
               include_metadata: bool = False, ef: int = 0, exact: bool = False,
               rescore: int = 0) -> List[List[Hit]]:
        """Top-``k`` hits of each query (``(dim,)`` or ``(n, dim)``), best first, merged
        from every shard's own search (arguments as :meth:`embedkit.Collection.search`).
        With exact search the answer equals one store holding every row, ties included.
        """
        if k < 1:
            raise ValueError("search: k must be 1 or more, not %d" % k)
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        options = {"filter": filter, "include_metadata": include_metadata, "ef": ef,
                   "exact": exact, "rescore": rescore}
        answers = self._run([PinnedCall(s, self._owner(s), shard_ops.search,
                                        (self._spec(s), q, k, options))
                             for s in range(self.shards)])
        return merge_topk(answers, k, self.metric)

    def get(self, id: str) -> Tuple[np.ndarray, Any]:
        """``(vector, metadata)`` of ``id`` from its shard (NotFoundError if absent)."""
        s = self.shard_of(id)
        if self.manifest.state != placement.READY:  # it may have moved already
            moved_to = route(id, self.shards)
            if moved_to != s:
                try:
                    return self._call(moved_to, shard_ops.get, id)
                except NotFoundError:
                    pass
        return self._call(s, shard_ops.get, id)

    def count(self) -> int:
        """Rows over all shards."""
        return sum(self._each(shard_ops.count))

    def ids_by_shard(self) -> Dict[int, List[str]]:
        """Every shard's ids, in the shard's insertion order."""
        return dict(enumerate(self._each(shard_ops.ids)))

    def integrity_check(self) -> Dict[int, str]:
        """SQLite's ``PRAGMA integrity_check`` of every shard file (``"ok"`` when sound)."""
        return dict(enumerate(self._each(shard_ops.integrity_check)))

    # -- shards
    def add_shards(self, count: int, workers: Optional[Sequence[Any]] = None) -> int:
        """Adds ``count`` shards (placed over ``workers``, default every worker) and moves
        the rows whose shard changes; returns how many moved. The order that keeps
        every row through a crash is in :mod:`.resharding`."""
        if workers is None:
            workers = sorted(worker_addresses(self.client), key=str)
        return resharding.add_shards(self, count, workers)

    def finish_resharding(self) -> int:
        """Completes an interrupted :meth:`add_shards`; returns the rows it moved."""
        if self.manifest.state == placement.READY:
            return 0
        return resharding.finish(self)

    # -- work on every shard
    def map_shards(self, fn: Any, *args: Any) -> List[Any]:
        """``fn(shard_access, *args)`` on every shard's owner, under the shard's lock
        (:class:`.shard_ops.ShardAccess`: shard, store, collection, context); returns
        the results by shard. Use it to save a per-shard model, for example."""
        return self._each(shard_ops.call_with_shard, fn, args)

    def forget(self, model: str, kind: str = "users", users: Sequence[str] = (),
               pairs: Optional[Sequence[Sequence[str]]] = None, method: str = "mmrecun",
               request_id: Optional[str] = None, items: Sequence[str] = ()) -> Dict[int, Any]:
        """rec_unlearn forget request on every shard whose recommender (saved as
        ``model`` in the shard's store) holds what it names: ``kind`` ``"users"``
        (``users``), ``"items"`` (``items``: every shard whose users touched them) or
        ``"interactions"`` (``pairs`` of (user, item)). Each shard forgets what it holds
        and passes over the rest. Returns shard -> :class:`embedkit.ForgetReport`, or
        None where the shard held none of it."""
        plugin_work.check_forget_request(kind, users, items, pairs)
        return dict(enumerate(self._each(shard_ops.forget, model, kind, list(users), list(items),
                                         None if pairs is None else [list(p) for p in pairs],
                                         method, request_id)))

    # -- internals
    def _path(self, shard: int) -> str:
        return os.path.join(self.root, self.manifest.shards[shard].file)

    def _owner(self, shard: int) -> str:
        return self.manifest.shards[shard].worker

    def _spec(self, shard: int) -> shard_ops.ShardSpec:
        m = self.manifest
        return shard_ops.ShardSpec(self._path(shard), m.name, m.dim, m.metric,
                                   tuple(sorted(m.index.items())), shard, m.uid)

    def _routing_shards(self) -> int:
        m = self.manifest
        return m.shards_before if m.state == placement.MOVING else len(m.shards)

    def _writable(self) -> int:
        if self.manifest.state != placement.READY:
            raise RuntimeError("%s: writes wait until the re-sharding is finished "
                               "(finish_resharding())" % self.name)
        return len(self.manifest.shards)

    def _take_generation(self) -> int:
        """The next write generation, never handed out twice: taken under a lock the
        scheduler holds for this collection, from the manifest as it is on disk (another
        handle may have written since this one read it; a stale in-memory counter gave a
        second handle the same generation, and its writes of an id the first had written
        were silently dropped as already applied). The handle's manifest is refreshed
        with it, re-sharding state included."""
        with Lock("embedkit.dask.manifest:" + self.manifest.uid, client=self.client):
            m = placement.load(self.root)
            generation = m.next_generation
            m.next_generation += 1
            placement.save(self.root, m)
        self.manifest = m
        return generation

    def _run(self, calls: Sequence[PinnedCall]) -> List[Any]:
        return run_pinned(self.client, self.name, calls, self.timeout, self.worker_timeout,
                          self._last_seen)

    def _call(self, shard: int, fn: Any, *args: Any) -> Any:
        return self._run([PinnedCall(shard, self._owner(shard), fn,
                                     (self._spec(shard),) + args)])[0]

    def _each(self, fn: Any, *args: Any) -> List[Any]:
        return self._run([PinnedCall(s, self._owner(s), fn, (self._spec(s),) + args)
                          for s in range(self.shards)])
