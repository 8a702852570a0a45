"""embedkit on Dask: a collection sharded over worker-owned stores, distributed writes,
search and plugin work (issue 23).

Requires ``dask`` and ``distributed`` (Debian: python3-dask, python3-distributed);
importing this package without them raises ImportError saying so.

The pieces:

* Each shard is an embedkit store file ``<root>/<name>-shard-NNNN.db`` owned by one
  worker, named in ``<root>/manifest.json`` (:mod:`.placement`); every task for the
  shard runs on that worker, which keeps one Context, its plugins and the open stores
  (:mod:`.worker_state`). An id's shard is a jump hash of BLAKE2b(id) (:mod:`.routing`).
* Writes from a Bag or DataFrame: one transaction per (partition, shard), idempotent by
  id and sequence number, so a re-run task neither duplicates nor loses a row
  (:mod:`.writes`, :mod:`.shard_ops`).
* Search: every shard searches its own index (exact or hnsw; filters passed through);
  the client merges the top k exactly — with exact search the same answer as one store
  holding every row, ties included (:mod:`.search`).
* Adding shards moves only the rows whose shard changes, copy-then-delete, so a crash
  loses nothing (:mod:`.resharding`).
* Plugin work as ``map_partitions`` with the plugin loaded once per worker process:
  :func:`encode`, :func:`predict`, and :meth:`ShardedCollection.forget`
  (:mod:`.plugin_work`).
* Faults: a task whose worker dies is resubmitted to the restarted worker; a shard
  whose worker stays away raises :class:`ShardUnavailableError` naming the shard and
  the worker; every call has a timeout (:mod:`.pinned`).

Example::

    from distributed import Client, LocalCluster
    import embedkit.dask as ekd

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    ekd.setup_workers(client)
    docs = ekd.ShardedCollection.create(client, "/data/docs", "docs", dim=64, shards=4)
    docs.upsert(bag_of_id_vector_metadata)            # a dask.bag or dask DataFrame
    hits = docs.search(query, k=10, filter={"lang": "en"})[0]
"""
try:
    import distributed as _distributed  # noqa: F401
    import dask as _dask  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("embedkit.dask needs dask and distributed (Debian: apt install "
                      "python3-dask python3-distributed; pip: dask[distributed]): %s" % e) from e

from .collection import ShardedCollection
from .pinned import ShardTimeoutError, ShardUnavailableError
from .plugin_work import encode, predict
from .routing import route
from .shard_ops import ShardAccess
from .worker_state import EmbedkitWorkerPlugin, setup_workers

__all__ = ["ShardedCollection", "ShardAccess", "ShardUnavailableError", "ShardTimeoutError",
           "EmbedkitWorkerPlugin", "setup_workers", "encode", "predict", "route"]
