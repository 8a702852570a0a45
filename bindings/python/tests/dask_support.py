"""Shared by the test_dask_*.py suites: a real LocalCluster (2 worker processes on
127.0.0.1, one thread each) with embedkit's worker plugin, and the single-store
reference the sharded answers are compared with. Skips the importing module, with a
message, when dask/distributed are not installed."""
import os
import time

import pytest

try:
    import dask.bag as db
    from distributed import Client, LocalCluster
except ImportError as e:  # Debian: python3-dask python3-distributed (setup installs them)
    pytest.skip("embedkit.dask needs dask and distributed: %s" % e, allow_module_level=True)

import numpy as np

import embedkit as ek
import embedkit.dask as ekd
from embedkit.dask.pinned import worker_addresses


def start_cluster():
    """(cluster, client) with embedkit set up on both workers."""
    cluster = LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                           host="127.0.0.1", dashboard_address=None)
    client = Client(cluster)
    ekd.setup_workers(client, num_threads=1, plugin_path="")
    return cluster, client


def stop_cluster(cluster, client):
    client.close()
    cluster.close()


def wait_for_workers(client, count, timeout=30.0):
    """The name -> address map once the scheduler has ``count`` workers."""
    deadline = time.monotonic() + timeout
    while True:
        names = worker_addresses(client)
        if len(names) == count:
            return names
        assert time.monotonic() < deadline, "workers: %s" % names
        time.sleep(0.1)


def bag(rows, partitions):
    return db.from_sequence(rows, npartitions=partitions)


class Reference:
    """One in-process store receiving the same writes, in (call, partition, row) order:
    what a sharded collection must answer like."""

    def __init__(self, dim, metric):
        self.ctx = ek.Context(num_threads=1, plugin_path="")
        self.store = self.ctx.open_store(":memory:")
        self.coll = self.store.create_collection("ref", dim=dim, metric=metric)

    def upsert(self, rows):
        for id, vector, *meta in rows:
            self.coll.upsert([id], np.asarray(vector, dtype=np.float32).reshape(1, -1),
                             [meta[0] if meta else None])

    def delete(self, ids):
        self.coll.delete(list(ids))

    def search(self, queries, k, **options):
        with self.coll.search(queries, k=k, **options) as res:
            return [res.hits(q) for q in range(len(res))]

    def close(self):
        self.store.close()
        self.ctx.close()


def assert_same_hits(got, want):
    """Same ids in the same order (ties included), same metadata, scores equal to float32
    rounding (a kernel may sum in another order for another row position)."""
    assert len(got) == len(want)
    for q, (g, w) in enumerate(zip(got, want)):
        assert [h.id for h in g] == [h.id for h in w], "query %d" % q
        assert [h.metadata_json for h in g] == [h.metadata_json for h in w], "query %d" % q
        np.testing.assert_allclose([h.score for h in g], [h.score for h in w], rtol=1e-5,
                                   atol=1e-6)


def assert_each_row_once(coll, ids):
    """Every id on exactly one shard, the one it routes to, and nothing else."""
    by_shard = coll.ids_by_shard()
    seen = [i for shard_ids in by_shard.values() for i in shard_ids]
    assert sorted(seen) == sorted(ids), "duplicated or lost rows"
    for shard, shard_ids in by_shard.items():
        assert all(coll.shard_of(i) == shard for i in shard_ids), shard
    assert coll.count() == len(ids)
    assert set(coll.integrity_check().values()) == {"ok"}


def scratch_dir(tmp_path_factory, name):
    return str(tmp_path_factory.mktemp(name))


__all__ = ["start_cluster", "stop_cluster", "wait_for_workers", "bag", "Reference",
           "assert_same_hits", "assert_each_row_once", "scratch_dir", "os"]
