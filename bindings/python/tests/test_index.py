"""Collection indexes through the binding (ABI 1.2, issue 19): an hnsw collection
answers from its graph (>= 4096 rows) with the recall of the exact scan, an exact
collection converts to int8 + rescore, compaction, index_info, cancellation, and
every bad option as InvalidArgumentError carrying ek_last_error's message."""
import re

import numpy as np
import pytest

import embedkit as ek

DIM, ROWS, K = 8, 5000, 10  # 5000 >= 4096: the planner answers from the graph


def expect(exc_class, needle):
    return pytest.raises(exc_class, match=re.escape(needle))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(19)
    base = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    queries = rng.standard_normal((50, DIM)).astype(np.float32)
    ids = ["r%d" % i for i in range(ROWS)]
    return base, queries, ids


def _l2_top(base, queries, k):
    d = ((queries[:, None, :] - base[None, :, :]) ** 2).sum(-1)
    return np.argsort(d, axis=1, kind="stable")[:, :k], d


def test_hnsw_graph_recall_against_exact(ctx, data):
    base, queries, ids = data
    store = ctx.open_store(":memory:")
    coll = store.create_collection("ann", DIM, "l2", index="hnsw", defer_build=True)
    coll.upsert(ids, base)
    info = coll.index_info()
    assert (info.index, info.element, info.building) == (ek.IndexKind.HNSW, ek.Element.F32, True)

    seen = []
    ctx.set_progress(lambda task, done, total: seen.append((task, done, total)))
    coll.build_index(index="hnsw", m=12, ef_construction=64, ef_search=32)
    ctx.set_progress(None)
    assert seen and seen[-1] == ("index build", ROWS, ROWS)
    info = coll.index_info()
    assert info == ek.IndexInfo(ek.IndexKind.HNSW, ek.Element.F32, 12, 64, 32, 1,
                                info.bytes_per_vector, False)
    assert info.bytes_per_vector >= DIM * 4 + 4 * (1 + 2 * 12)  # vector + layer-0 links

    truth, _ = _l2_top(base, queries, K)
    exact = coll.search(queries, k=K, exact=True)
    for q in range(len(queries)):  # exact=True is the true baseline
        assert exact.ids(q) == [ids[i] for i in truth[q]]
    graph = coll.search(queries, k=K, ef=K)
    recall = np.mean([len(set(graph.ids(q)) & set(exact.ids(q))) / K
                      for q in range(len(queries))])
    assert recall >= 0.9, recall
    default = coll.search(queries, k=K)  # the collection's ef_search (32)
    assert len(default) == len(queries) and all(len(h) == K for h in default)


def test_build_index_converts_exact_to_int8_with_rescore_and_compacts(ctx, data, tmp_path):
    base, queries, ids = data
    store = ctx.open_store(str(tmp_path / "index.db"))
    coll = store.create_collection("docs", DIM, ek.Metric.L2)  # the old positional form
    coll.upsert(ids, base)
    f32 = coll.index_info()
    assert (f32.index, f32.element, f32.rescore) == (ek.IndexKind.EXACT, ek.Element.F32, 1)

    coll.build_index(element="int8", rescore=4)
    info = coll.index_info()
    assert (info.index, info.element, info.rescore, info.m) == \
        (ek.IndexKind.EXACT, ek.Element.INT8, 4, 0)
    assert info.bytes_per_vector < f32.bytes_per_vector  # a 1-byte code per component
    truth, dist = _l2_top(base, queries, 1)
    res = coll.search(queries, k=1)
    for q in range(len(queries)):  # re-ranked with the f32 originals: exact scores
        hit = res[q][0]
        assert hit.id == ids[truth[q][0]]
        assert hit.score == pytest.approx(dist[q, truth[q][0]], rel=1e-4)
    coll.build_index()  # no arguments: the current options again
    assert coll.index_info() == info

    assert coll.delete(ids[: ROWS // 2]) == ROWS // 2
    freed = coll.compact_index()
    assert isinstance(freed, int) and freed > 0
    assert coll.count() == ROWS - ROWS // 2 and coll.index_info() == info

    coll.build_index(index="exact")  # exact f32: drops the index
    assert coll.index_info().element == ek.Element.F32


def test_cancelled_build_keeps_the_previous_index(ctx, data):
    base, _, ids = data
    coll = ctx.open_store(":memory:").create_collection("c", DIM, "l2")
    coll.upsert(ids[:500], base[:500])
    ctx.cancel()
    with pytest.raises(ek.CancelledError):
        coll.build_index(index="hnsw")
    ctx.reset_cancel()
    ctx.set_progress(lambda task, done, total: True)  # cancel at the first report
    with pytest.raises(ek.CancelledError):
        coll.build_index(index="hnsw")
    ctx.set_progress(None)
    ctx.reset_cancel()
    assert coll.index_info().index == ek.IndexKind.EXACT
    coll.build_index(index="hnsw")
    assert coll.index_info().index == ek.IndexKind.HNSW


def test_bad_index_options_raise_with_the_library_message(ctx):
    store = ctx.open_store(":memory:")
    with expect(ek.InvalidArgumentError, "ek_collection_create_with: m is 300; it must be 2..255"):
        store.create_collection("x", DIM, index="hnsw", m=300)
    with expect(ek.InvalidArgumentError, "rescore is 2000"):
        store.create_collection("x", DIM, element="int8", rescore=2000)
    with expect(ek.InvalidArgumentError, "element type 9"):
        store.create_collection("x", DIM, element=9)
    with expect(ek.InvalidArgumentError, "defer_build applies to an hnsw index only"):
        store.create_collection("x", DIM, defer_build=True)
    with expect(ek.InvalidArgumentError, "unknown IndexKind 'tree' (exact, hnsw)"):
        store.create_collection("x", DIM, index="tree")
    with expect(ek.InvalidArgumentError, "create_collection: m is -1"):
        store.create_collection("x", DIM, m=-1)  # refused before C could wrap it

    coll = store.create_collection("x", DIM, index="hnsw", element="f16")
    with expect(ek.AlreadyExistsError, "element f16 vs f32"):
        store.create_collection("x", DIM, index="hnsw")
    with expect(ek.AlreadyExistsError, "index hnsw vs exact"):
        store.create_collection("x", DIM)
    store.create_collection("x", DIM, index=ek.IndexKind.HNSW, element=ek.Element.F16).close()
    with expect(ek.InvalidArgumentError, "rescore is 5000"):
        coll.search(np.zeros(DIM, np.float32), rescore=5000)
    with expect(ek.InvalidArgumentError, "ef_search is 70000"):
        coll.build_index(index="hnsw", ef_search=70000)
    with store.transaction():
        with expect(ek.InvalidArgumentError, "ek_collection_index_build"):
            coll.build_index()
    assert coll.index_info().element == ek.Element.F16
