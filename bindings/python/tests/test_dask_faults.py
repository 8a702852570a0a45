"""Faults on a real 2-process LocalCluster: a worker process killed in the middle of
an upsert (its transaction written, not committed) is restarted by its Nanny, the lost
tasks run again, and every row is present exactly once on sound shard files; a shard
whose worker is gone fails fast with an error naming the shard and the worker."""
import os
import signal
import time

import numpy as np
import pytest

from dask_support import (Reference, assert_each_row_once, assert_same_hits, bag,
                          start_cluster, stop_cluster, wait_for_workers)

import embedkit.dask as ekd

DIM = 8


@pytest.fixture(scope="module")
def cluster_client():
    """One cluster for the module: the tests run in file order, and the last one
    takes a worker away for good."""
    cluster, client = start_cluster()
    yield cluster, client
    stop_cluster(cluster, client)


def _kill_at_second_commit(marker, dask_worker=None):
    """The second store commit in this process, on the first worker to get there,
    kills the process (SIGKILL: no cleanup) instead of committing."""
    from embedkit.core import Store
    real = Store.commit
    commits = {"n": 0}

    def commit(self):
        commits["n"] += 1
        if commits["n"] == 2:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                os.kill(os.getpid(), signal.SIGKILL)
        return real(self)

    Store.commit = commit


def test_worker_killed_mid_upsert_leaves_every_row_once(cluster_client, tmp_path):
    _, client = cluster_client
    root = str(tmp_path / "coll")
    coll = ekd.ShardedCollection.create(client, root, "crash", dim=DIM, shards=2)
    rng = np.random.default_rng(11)
    rows = [("r%d" % i, rng.standard_normal(DIM).astype(np.float32), {"i": i})
            for i in range(600)]
    before = wait_for_workers(client, 2)
    marker = str(tmp_path / "killed")
    client.run(_kill_at_second_commit, marker)

    assert coll.upsert(bag(rows, 6)) == 600
    assert os.path.exists(marker), "a worker was killed during the upsert"
    after = wait_for_workers(client, 2)
    assert set(after) == set(before) and after != before, "the killed worker came back"

    assert_each_row_once(coll, [r[0] for r in rows])
    ref = Reference(DIM, "cosine")
    ref.upsert(rows)
    queries = rng.standard_normal((3, DIM)).astype(np.float32)
    assert_same_hits(coll.search(queries, k=20, include_metadata=True),
                     ref.search(queries, 20, include_metadata=True))
    ref.close()


def _sleep_on_shard(shard, seconds):
    time.sleep(seconds)
    return shard.shard


def test_a_slow_shard_times_out_naming_the_shards(cluster_client, tmp_path):
    _, client = cluster_client
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "slow", dim=DIM, shards=2)
    assert coll.map_shards(_sleep_on_shard, 0) == [0, 1]
    coll.timeout = 0.5
    start = time.monotonic()
    with pytest.raises(ekd.ShardTimeoutError, match=r"slow: not finished after 0 s: shard 0 on"):
        coll.map_shards(_sleep_on_shard, 2)
    assert time.monotonic() - start < 1.5
    time.sleep(2)  # let the sleeping tasks end before the next test


def test_a_shard_whose_worker_is_gone_names_it_without_hanging(cluster_client, tmp_path):
    cluster, client = cluster_client
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "gone", dim=DIM, shards=2,
                                        worker_timeout=1.5)
    coll.upsert(bag([("a", np.ones(DIM)), ("b", -np.ones(DIM))], 1))
    owner_of_1 = coll.placement()[1][1]
    address = wait_for_workers(client, 2)[owner_of_1]
    cluster.scale(1)
    remaining = wait_for_workers(client, 1)
    assert owner_of_1 not in remaining, "scale(1) closed another worker"
    start = time.monotonic()
    with pytest.raises(ekd.ShardUnavailableError) as ei:
        coll.search(np.ones(DIM), k=2)
    assert time.monotonic() - start < 15
    message = str(ei.value)
    assert "shard 1 of 'gone'" in message and repr(owner_of_1) in message
    assert address in message
    assert (ei.value.shard, ei.value.worker) == (1, owner_of_1)
