"""Plugin work on a real 2-process LocalCluster, as map_partitions with each plugin
loaded once per worker process: vsa_json encoding and text_classify prediction equal
the single-process answers; a rec_unlearn forget request reaches every shard holding
the users' data and does there what one process would."""
import json

import numpy as np
import pytest

from dask_support import bag, start_cluster, stop_cluster

import embedkit as ek
import embedkit.dask as ekd
from embedkit.dask.worker_state import PLUGIN_NAME

from test_extensions import CLS_CONFIG, LABELS, SPACE, SPORT, taste_rows  # same data

VSA = {"dim": 128}
REC_CONFIG = {"dim": 8, "epochs": 20, "seed": 7, "text_dim": 0}


@pytest.fixture(scope="module")
def client():
    cluster, client = start_cluster()
    yield client
    stop_cluster(cluster, client)


@pytest.fixture
def ctx():
    with ek.Context(num_threads=1, plugin_path="") as c:
        yield c


def _instances_created(dask_worker):
    return dict(dask_worker.plugins[PLUGIN_NAME].instances_created)


def test_vsa_json_encoding_equals_one_process_with_one_instance_per_worker(client, ctx):
    docs = [json.dumps({"name": "item %d" % i, "tags": ["t%d" % (i % 5)], "price": i % 17})
            for i in range(120)]
    got = np.stack(ekd.encode(bag(docs, 8), "embedkit.vsa_json", VSA).compute())
    want = ctx.create_instance("embedkit.vsa_json", VSA).encode(docs)
    np.testing.assert_array_equal(got, want)
    ekd.encode(bag(docs, 6), "embedkit.vsa_json", VSA).compute()
    per_worker = client.run(_instances_created)
    assert all(c.get("embedkit.vsa_json", 0) <= 1 for c in per_worker.values()), per_worker
    assert sum(c.get("embedkit.vsa_json", 0) for c in per_worker.values()) >= 1


def test_text_classify_prediction_with_a_saved_model_equals_one_process(client, ctx, tmp_path):
    model_file = str(tmp_path / "model.db")
    with ctx.open_store(model_file) as store:
        c = ctx.create_instance("embedkit.text_classify", CLS_CONFIG).classifier()
        c.set_labels(LABELS)
        c.fit(SPACE + SPORT)
        c.save(store, "topics")
        docs = ["an astronaut went to orbit on a rocket", "the team lost the match", "",
                "mars and the moon", "a late goal won the game"] * 6
        want = c.predict(docs)
    got = ekd.predict(bag(docs, 5), model_file, "topics").compute()
    assert [(p.label, p.index) for p in got] == [(p.label, p.index) for p in want]
    np.testing.assert_allclose([p.confidence for p in got], [p.confidence for p in want],
                               rtol=1e-6)
    assert {p.label for p in got} == {"space", "sport", None}


def _train_and_save(shard, rows):
    """map_shards: this shard's users' interactions -> a recommender saved in the shard."""
    mine = [r for r in rows if ekd.route(r[0], 2) == shard.shard]
    rec = shard.context.create_instance("embedkit.rec_unlearn", REC_CONFIG).recommender()
    rec.add_interactions(mine)
    rec.train()
    rec.save(shard.store, "rec")
    return len(mine)


def _one_process_forget(ctx, rows, shard, users, pairs):
    rec = ctx.create_instance("embedkit.rec_unlearn", REC_CONFIG).recommender()
    rec.add_interactions([r for r in rows if ekd.route(r[0], 2) == shard])
    rec.train()
    if users:
        return rec, rec.forget("users", users=users, request_id="forget-1")
    return rec, rec.forget("interactions", pairs=pairs, request_id="forget-2")


def test_rec_unlearn_forget_reaches_every_shard_holding_the_users(client, ctx, tmp_path):
    coll = ekd.ShardedCollection.create(client, str(tmp_path), "shop", dim=4, shards=2)
    rows = taste_rows()
    assert sum(coll.map_shards(_train_and_save, rows)) == len(rows)
    users = ["u1", "v2", "u7", "nobody"]
    by_shard = {s: [u for u in users[:3] if ekd.route(u, 2) == s] for s in (0, 1)}
    assert all(by_shard.values()), "the chosen users live on both shards"

    reports = coll.forget("rec", "users", users=users, request_id="forget-1")
    assert set(reports) == {0, 1}
    for s, held in by_shard.items():
        _, want = _one_process_forget(ctx, rows, s, held, None)
        got = reports[s]
        assert (got.interactions_removed, got.users_removed, got.items_removed) == \
            (want.interactions_removed, want.users_removed, want.items_removed)
        assert got.digest == want.digest, "the same request forgot the same data"

    # a pair request reaches only the shard of its user; the other answers None
    pair = [("u3", "a1")] if ("u3", "a1") in rows else [("u3", "a2")]
    shard = ekd.route("u3", 2)
    reports = coll.forget("rec", "interactions", pairs=pair, request_id="forget-2")
    assert reports[1 - shard] is None
    assert reports[shard].interactions_removed == 1

    # an item lives on every shard whose users touched it: each forgets its own part
    # (users already forgotten keep the item alive on their shard, with no rows left)
    gone_users, gone_pairs = set(users[:3]), {tuple(p) for p in pair}
    reports = coll.forget("rec", "items", items=["a5", "no-such-item"], request_id="forget-3")
    for s in (0, 1):
        mine = [r for r in rows if r[1] == "a5" and ekd.route(r[0], 2) == s]
        left = [r for r in mine if r[0] not in gone_users and tuple(r) not in gone_pairs]
        assert mine, "a5 was touched on both shards"
        assert (reports[s].items_removed, reports[s].interactions_removed) == (1, len(left))
    reports = coll.forget("rec", "items", items=["a5"], request_id="forget-4")
    assert reports == {0: None, 1: None}, "a forgotten item is held nowhere"
    with pytest.raises(ValueError, match="names no items"):
        coll.forget("rec", "items", items=[])
    with pytest.raises(ValueError, match="kind is"):
        coll.forget("rec", "everything", users=["u1"])
