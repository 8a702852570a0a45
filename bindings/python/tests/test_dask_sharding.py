"""embedkit.dask on a real 2-process LocalCluster: sharded writes and search give the
answer of one store holding every row (exact search, filters, many equal scores), a
re-run partition changes nothing, and adding shards keeps every row exactly once."""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from dask_support import (Reference, assert_each_row_once, assert_same_hits, bag,
                          start_cluster, stop_cluster)

import embedkit.dask as ekd
from embedkit.dask import placement, shard_ops, writes
from embedkit.dask.pinned import worker_addresses

DIM = 16


@pytest.fixture(scope="module")
def client():
    cluster, client = start_cluster()
    yield client
    stop_cluster(cluster, client)


def random_rows(n, seed, prefix="doc"):
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    return [("%s%d" % (prefix, i), vectors[i],
             {"lang": ["en", "de", "fr"][i % 3], "year": 1990 + i % 30}) for i in range(n)]


def test_exact_search_with_filters_equals_one_store(client, tmp_path):
    rows = random_rows(300, seed=1)
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "docs", dim=DIM, shards=3)
    assert coll.upsert(bag(rows, 4)) == 300
    ref = Reference(DIM, "cosine")
    ref.upsert(rows)
    queries = np.random.default_rng(2).standard_normal((4, DIM)).astype(np.float32)
    for options in ({}, {"filter": {"lang": "en"}, "include_metadata": True},
                    {"filter": {"year": {"$gte": 2010}, "lang": {"$in": ["de", "fr"]}}},
                    {"filter": {"lang": "xx"}}):
        for k in (1, 7, 40):
            assert_same_hits(coll.search(queries, k=k, **options), ref.search(queries, k, **options))
    assert sorted(len(ids) for ids in coll.ids_by_shard().values())[0] > 50, "ids spread"
    vec, meta = coll.get("doc7")
    np.testing.assert_array_equal(vec, rows[7][1])
    assert meta == rows[7][2]
    reopened = ekd.ShardedCollection.open(client, str(tmp_path))
    assert reopened.count() == 300 and reopened.placement() == coll.placement()
    ref.close()


def tie_rows(ids, seed):
    """Vectors of small integers, three distinct values: exact scores, many ties."""
    rng = np.random.default_rng(seed)
    basis = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]], dtype=np.float32)
    return [(i, basis[rng.integers(0, 3)], {"g": int(rng.integers(0, 2))}) for i in ids]


def test_ties_break_as_one_store_through_updates_deletes_and_reinserts(client, tmp_path):
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "ties", dim=4, metric="dot",
                                        shards=3)
    ref = Reference(4, "dot")
    first = tie_rows(["t%03d" % i for i in range(240)], seed=3)
    # t005 twice in one call (partitions 0 and 3): first position, last value
    first[200] = ("t005", np.array([1, 1, 0, 0], np.float32), None)
    for call in (lambda: first,
                 lambda: tie_rows(["t%03d" % i for i in range(100, 140)] +
                                  ["n%03d" % i for i in range(60)], seed=4)):
        rows = call()
        coll.upsert(bag(rows, 4))
        ref.upsert(rows)
    gone = ["t%03d" % i for i in range(0, 240, 7)]
    assert coll.delete(gone) == len(gone)
    ref.delete(gone)
    back = tie_rows(gone[:10], seed=5)
    coll.upsert(bag(back, 2))
    ref.upsert(back)
    queries = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]], np.float32)
    for k in (1, 5, 33, 120, 400):
        assert_same_hits(coll.search(queries, k=k), ref.search(queries, k))
        assert_same_hits(coll.search(queries, k=k, filter={"g": 1}),
                         ref.search(queries, k, filter={"g": 1}))
    ref.close()


def test_one_batch_mixing_tied_and_untied_queries_equals_one_store(client, tmp_path):
    # each shard answers the batch with one search and searches again, wider, only the
    # queries whose k-th score ties: both kinds in one batch must come out as one store's
    rng = np.random.default_rng(8)
    rows = tie_rows(["t%03d" % i for i in range(90)], seed=7)
    rows += [("u%03d" % i, np.array([0, 0, *rng.uniform(0.1, 1.0, 2)], np.float32), None)
             for i in range(60)]
    rng.shuffle(rows)
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "mixed", dim=4, metric="dot",
                                        shards=3)
    coll.upsert(bag(rows, 5))
    ref = Reference(4, "dot")
    ref.upsert(rows)
    queries = np.array([[1, 0, 0, 0], [0, 0, 1, 0.3], [0, 1, 0, 0]], np.float32)
    k = 8
    want = ref.search(queries, k + 1)
    assert [w[k - 1].score == w[k].score for w in want] == [True, False, True]  # the premise
    assert_same_hits(coll.search(queries, k=k), ref.search(queries, k))
    ref.close()


def test_a_rerun_partition_changes_nothing(client, tmp_path):
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "idem", dim=DIM, shards=2)
    rows = random_rows(80, seed=6)
    coll.upsert(bag(rows, 2))
    newer = [(id, -v, {"v": 2}) for id, v, _ in rows[:20]]
    coll.upsert(bag(newer, 1))
    ref = Reference(DIM, "cosine")
    ref.upsert(rows)
    ref.upsert(newer)
    # The first call's partition 0 again, as a retried task would run it (generation 1):
    # no row duplicated, and the newer values of generation 2 stay.
    pieces = writes.split_upserts(rows[:40], 0, 1, 2, DIM)
    owners = worker_addresses(client)
    rerun = [client.submit(shard_ops.apply_rows, coll._spec(s), pieces[s], pure=False,
                           workers=[owners[coll._owner(s)]]) for s in range(2)]
    assert sum(f.result() for f in rerun) == 40
    assert coll.count() == 80
    queries = np.random.default_rng(7).standard_normal((3, DIM)).astype(np.float32)
    assert_same_hits(coll.search(queries, k=30, include_metadata=True),
                     ref.search(queries, 30, include_metadata=True))
    # the whole second call again: same rows, same answer
    coll.upsert(bag(newer, 3))
    assert coll.count() == 80
    assert_same_hits(coll.search(queries, k=30), ref.search(queries, 30))
    ref.close()


def test_two_handles_writing_at_once_never_share_a_generation(client, tmp_path):
    first = ekd.ShardedCollection.create(client, str(tmp_path), "two", dim=DIM, shards=2)
    second = ekd.ShardedCollection.open(client, str(tmp_path))  # read before first writes
    rows = random_rows(40, seed=9)
    first.upsert(bag(rows, 2))
    # The stale handle's later write wins (it once reused the first's generation, and
    # its values were dropped as a re-run of writes already applied).
    newer = [(id, -v, {"v": 2}) for id, v, _ in rows]
    second.upsert(bag(newer, 2))
    assert all(first.get(id)[1] == {"v": 2} for id, _, _ in newer[:8])
    # Two handles writing from two threads at once: every row lands, no generation twice.
    more = [random_rows(30, seed=10 + t, prefix="t%d-" % t) for t in range(2)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda args: args[0].upsert(bag(args[1], 2)), [(first, more[0]), (second, more[1])]))
    assert first.count() == 100
    assert placement.load(str(tmp_path)).next_generation == 1 + 4, "four write calls, four generations"


def _fail_one_delete(marker, dask_worker=None):
    """Makes the next row delete on any one worker raise, once (a crash between the
    copy to the new shard and the delete at the old one)."""
    from embedkit.core import Collection
    real = Collection.delete

    def failing(self, ids):
        Collection.delete = real
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return real(self, ids)
        raise RuntimeError("injected failure before the source delete")

    Collection.delete = failing


def test_adding_shards_moves_rows_once_even_when_interrupted(client, tmp_path):
    rows = random_rows(400, seed=8)
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "grow", dim=DIM, shards=2)
    coll.upsert(bag(rows, 4))
    ref = Reference(DIM, "cosine")
    ref.upsert(rows)
    queries = np.random.default_rng(9).standard_normal((3, DIM)).astype(np.float32)
    ids = [r[0] for r in rows]

    moved = coll.add_shards(1)
    assert 0 < moved < 400 and coll.shards == 3
    assert_each_row_once(coll, ids)
    assert_same_hits(coll.search(queries, k=25), ref.search(queries, 25))

    client.run(_fail_one_delete, str(tmp_path / "failed-once"))
    with pytest.raises(RuntimeError, match="injected failure"):
        coll.add_shards(2)
    assert ekd.ShardedCollection.open(client, str(tmp_path)).manifest.state == "moving"
    with pytest.raises(RuntimeError, match="re-sharding"):
        coll.upsert(bag(rows[:3], 1))
    # copies sit on two shards now: the search still answers each row once
    assert sum(len(v) for v in coll.ids_by_shard().values()) > 400
    assert_same_hits(coll.search(queries, k=25), ref.search(queries, 25))
    assert coll.finish_resharding() > 0
    assert coll.shards == 5
    assert_each_row_once(coll, ids)
    assert_same_hits(coll.search(queries, k=25), ref.search(queries, 25))
    ref.close()


def test_dataframe_writes_bag_deletes_and_hnsw_shards(client, tmp_path):
    import dask.dataframe as dd
    import pandas as pd

    rows = random_rows(200, seed=10)
    frame = pd.DataFrame({"id": [r[0] for r in rows], "vector": [r[1] for r in rows],
                          "metadata": [r[2] for r in rows]})
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "frames", dim=DIM, shards=2,
                                        index="hnsw", m=8, ef_search=64)
    assert coll.upsert(dd.from_pandas(frame, npartitions=3)) == 200
    gone = bag([r[0] for r in rows[::4]] + ["never-there"], 2)
    assert coll.delete(gone) == 50
    assert coll.delete(dd.from_pandas(frame.iloc[1:3], npartitions=1)) == 2
    kept = [r for n, r in enumerate(rows) if n % 4 and n not in (1, 2)]
    assert_each_row_once(coll, [r[0] for r in kept])
    ref = Reference(DIM, "cosine")
    ref.upsert(kept)
    queries = np.random.default_rng(12).standard_normal((3, DIM)).astype(np.float32)
    # each shard answers with its hnsw graph; exact=True scans the originals: one store's answer
    assert_same_hits(coll.search(queries, k=15, exact=True), ref.search(queries, 15))
    approx = coll.search(queries, k=15, filter={"lang": "en"}, ef=64)
    want = ref.search(queries, 15, filter={"lang": "en"})
    for got, exact in zip(approx, want):
        assert len(got) == 15 and all(h.id in {r[0] for r in kept} for h in got)
        assert len({h.id for h in got} & {h.id for h in exact}) >= 12, "hnsw recall"
    with pytest.raises(ValueError, match="dim is 16"):
        coll.upsert(bag([("short", np.ones(3))], 1))
    ref.close()


def _routes(ids, shards, dask_worker=None):
    return [ekd.route(i, shards) for i in ids]


def test_routing_is_stable_across_processes_and_moves_only_to_added_shards(client):
    ids = ["id-%d" % i for i in range(3000)]
    here = _routes(ids, 3)
    assert all(r == here for r in client.run(_routes, ids, 3).values()), \
        "workers (other hash seeds) route alike"
    assert min(here.count(s) for s in range(3)) > 900
    grown = _routes(ids, 5)
    moved = [(a, b) for a, b in zip(here, grown) if a != b]
    assert all(b in (3, 4) for _, b in moved), "rows move only to the new shards"
    assert 0.3 < len(moved) / len(ids) < 0.5  # about 2/5


def test_a_file_of_another_shard_or_collection_is_refused(client, tmp_path):
    first = ekd.ShardedCollection.create(client, str(tmp_path / "a"), "docs", dim=4, shards=2)
    with pytest.raises(FileExistsError, match="manifest.json"):
        ekd.ShardedCollection.create(client, str(tmp_path / "a"), "docs", dim=4)
    # a manifest whose placement swapped the two files
    swapped = first.manifest
    swapped.shards[0].file, swapped.shards[1].file = swapped.shards[1].file, swapped.shards[0].file
    placement.save(str(tmp_path / "a"), swapped)
    with pytest.raises(ValueError, match=r"not shard 0 of 'docs'"):
        ekd.ShardedCollection.open(client, str(tmp_path / "a")).count()
