"""Mirrors tests/abi/c_api_test.c through the Python binding: context, plugins
(loading, discovery, every refusal), instances and the encoder, the store and
collections, search and results, and the failure path of each call — each
failure as the matching exception class with the library's message."""
import math
import os
import pickle
import threading

import numpy as np
import pytest

import embedkit as ek

TEMPLATE_ID = "embedkit.sample.trigram_hash"


def expect(exc_class, needle):
    """pytest.raises for an EmbedkitError subclass whose message contains needle."""
    return pytest.raises(exc_class, match=_escape(needle))


def _escape(s):
    import re
    return re.escape(s)


# ---- version and errors -------------------------------------------------------------

def test_version_and_status_names():
    assert ek.version() and ek.version() == ek.__version__
    assert ek.abi_version() == (1, 2)
    assert ek.status_name(2) == "EK_ERR_NOT_FOUND"
    assert ek.status_name(9999) == "EK_ERR_UNKNOWN"
    for s in ek.Status:
        assert ek.status_name(s) == ("EK_OK" if s == 0 else "EK_ERR_" + s.name)
    assert os.path.exists(ek.library_path())


def test_error_classes_carry_status_and_message():
    assert ek.error_class(2) is ek.NotFoundError
    assert ek.error_class(12345) is ek.EmbedkitError
    for s in ek.Status:
        if s != 0:
            cls = ek.error_class(s)
            assert issubclass(cls, ek.EmbedkitError) and cls is not ek.EmbedkitError
    e = ek.NotFoundError(2, "ek_x: gone")
    assert (e.status, e.status_name, e.message) == (ek.Status.NOT_FOUND, "EK_ERR_NOT_FOUND", "ek_x: gone")
    assert isinstance(e, LookupError) and "EK_ERR_NOT_FOUND: ek_x: gone" == str(e)
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is ek.NotFoundError and e2.message == e.message and e2.status == 2


# ---- context -------------------------------------------------------------------------

def test_context_options_are_checked():
    with expect(ek.InvalidArgumentError, "backend 'tpu'") as ei:
        ek.Context(backend="tpu")
    assert ei.value.status == ek.Status.INVALID_ARGUMENT
    assert ek.last_error()[0] == ek.Status.INVALID_ARGUMENT
    with expect(ek.InvalidArgumentError, "num_threads"):
        ek.Context(num_threads=100000)
    try:
        with ek.Context(backend="cuda") as c:  # a GPU machine with the CUDA backend built
            assert c.info().backend == "cuda"
    except ek.UnsupportedError as e:
        assert "cuda" in e.message


def test_context_info_and_log_callback():
    lines = []
    with ek.Context(num_threads=2, plugin_path="", log_level=ek.LogLevel.INFO,
                    log=lambda level, msg: lines.append((level, msg))) as ctx:
        info = ctx.info()
        assert info.backend == "cpu"
        assert info.simd_target
        assert info.num_threads == 2
        assert info.abi_version == (1, 2)
        assert info.plugin_count == ctx.plugin_count >= 1  # bundled plugins
        ctx.cancel()
        ctx.reset_cancel()
        ctx.set_progress(None)
    assert lines and all(isinstance(m, str) for _, m in lines)
    assert any(level == ek.LogLevel.INFO for level, _ in lines)


def test_closed_handles_refuse_use_and_close_twice():
    ctx = ek.Context(plugin_path="")
    ctx.close()
    ctx.close()
    assert ctx.closed
    with pytest.raises(ValueError, match="closed"):
        ctx.info()


def test_no_bundled_plugins(ctx):
    with ek.Context(plugin_path="", bundled_plugins=False) as bare:
        assert bare.plugin_count == 0
    assert "embedkit.vsa_json" in [p.id for p in ctx.plugins()]
    assert ctx.plugin("embedkit.vsa_json").path is None


# ---- plugins -------------------------------------------------------------------------

def test_plugin_loading_refusals(ctx, fixture_dir, template_plugin):
    before = ctx.plugin_count
    with expect(ek.EmbedkitIOError, "no such file"):
        ctx.load_plugin("/nonexistent/plugin.so")
    fx = lambda n: os.path.join(fixture_dir, n)  # noqa: E731
    with expect(ek.NotAPluginError, "not a loadable module"):
        ctx.load_plugin(fx("not_a_plugin.so"))
    with expect(ek.NotAPluginError, "ek_plugin_entry"):
        ctx.load_plugin(fx("fixture_no_entry.so"))
    with expect(ek.AbiMismatchError, "built for ABI 2.0"):
        ctx.load_plugin(fx("fixture_abi2.so"))
    with expect(ek.AbiMismatchError, "struct_size 8"):
        ctx.load_plugin(fx("fixture_small_struct.so"))
    with expect(ek.NotAPluginError, "lacks create"):
        ctx.load_plugin(fx("fixture_no_create.so"))
    assert ctx.plugin_count == before  # nothing half-registered

    assert ctx.load_plugin(fx("fixture_ok.so")) == "test.fixture"
    with expect(ek.AlreadyExistsError, "already registered"):
        ctx.load_plugin(fx("fixture_duplicate.so"))
    assert ctx.load_plugin(template_plugin) == TEMPLATE_ID
    assert ctx.plugin_count == before + 2

    info = ctx.plugin(TEMPLATE_ID)
    assert info.version == "1.1.0"
    assert "trigram_hash" in info.path
    assert info.extensions == (ek.EXT_ENCODER,)
    assert info.abi_version == (1, 2)
    with expect(ek.NotFoundError, "no.such.plugin"):
        ctx.plugin("no.such.plugin")
    with expect(ek.NotFoundError, "out of range"):
        ctx.plugin_at(999)
    assert [p.id for p in ctx.plugins()][-2:] == ["test.fixture", TEMPLATE_ID]

    # instance creation failures
    with expect(ek.NotFoundError, "no.such.plugin"):
        ctx.create_instance("no.such.plugin")
    with expect(ek.ParseError, "config_json"):
        ctx.create_instance("test.fixture", '{"a": ')
    with expect(ek.ParseError, "config_json"):
        ctx.create_instance("test.fixture", "[1,2]")
    with expect(ek.LimitError, "asked to fail by config"):
        ctx.create_instance("test.fixture", {"fail_with": 16})
    with expect(ek.InvalidArgumentError, "fail_with"):
        ctx.create_instance("test.fixture", {"fail_with": "x"})
    with ctx.create_instance("test.fixture") as inst:
        assert not inst.has_extension(ek.EXT_ENCODER)
        with expect(ek.UnsupportedError, "does not provide extension"):
            inst.dim
        with pytest.raises(ek.EmbedkitError):
            inst.extension_table(ek.EXT_ENCODER)


def test_plugin_discovery(fixture_dir):
    with ek.Context(plugin_path=[fixture_dir], log_level=ek.LogLevel.ERROR) as ctx:
        ctx.plugin("test.fixture")
        ctx.plugin("test.throwing")
        assert ctx.load_plugin_dir("/nonexistent-folder") == 0
    with ek.Context(plugin_path="", log_level=ek.LogLevel.ERROR) as ctx:
        assert ctx.load_plugin_dir([fixture_dir]) >= 2
        ctx.plugin("test.throwing")


# ---- encoder ------------------------------------------------------------------------

TEXTS = ["the quick brown fox", "the quick brown foxes", "zzzz 1234 ####"]


def test_encoder(ctx, template_plugin):
    ctx.load_plugin(template_plugin)
    with expect(ek.InvalidArgumentError, '"dim" is 0'):
        ctx.create_instance(TEMPLATE_ID, {"dim": 0})
    with ctx.create_instance(TEMPLATE_ID, {"dim": 32, "seed": 7}) as enc:
        assert enc.has_extension(ek.EXT_ENCODER)
        assert enc.extension_table(ek.EXT_ENCODER) != 0 and enc.plugin_data != 0
        assert enc.dim == 32
        out = enc.encode(TEXTS)
        assert out.shape == (3, 32) and out.dtype == np.float32 and out.flags.c_contiguous
        same, different = out[0] @ out[1], out[0] @ out[2]
        assert same > 0.7 and abs(different) < same
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
        # deterministic; bytes and str agree; one item gives one vector
        np.testing.assert_array_equal(enc.encode([t.encode() for t in TEXTS]), out)
        np.testing.assert_array_equal(enc.encode(TEXTS[1]), out[1])
        # zero-copy out: the library writes into the caller's array
        buf = np.full((4, 32), 7.0, dtype=np.float32)
        got = enc.encode(TEXTS, out=buf)
        assert np.shares_memory(got, buf) and got.shape == (3, 32)
        np.testing.assert_array_equal(buf[:3], out)
        assert (buf[3] == 7.0).all()
        with expect(ek.BufferTooSmallError, "need 96"):
            enc.encode(TEXTS, out=np.empty(10, dtype=np.float32))
        with pytest.raises(TypeError):
            enc.encode(TEXTS, out=np.empty((3, 32), dtype=np.float64))
    # another seed, other vectors
    with ctx.create_instance(TEMPLATE_ID, {"dim": 32, "seed": 8}) as enc2:
        assert not np.array_equal(enc2.encode(TEXTS), out)


def test_plugin_failures_become_exceptions(ctx, fixture_dir):
    ctx.load_plugin(os.path.join(fixture_dir, "fixture_throwing.so"))
    with ctx.create_instance("test.throwing", {"mode": "throw"}) as inst:
        with expect(ek.PluginError, "encoder exploded"):
            inst.encode(["x"], out=np.empty(8, dtype=np.float32))
    with ctx.create_instance("test.throwing", {"mode": "bad_status"}) as inst:
        with expect(ek.PluginError, "test.throwing"):
            inst.encode(["x"], out=np.empty(8, dtype=np.float32))
    with ctx.create_instance("test.throwing", {"mode": "message"}) as inst:
        with expect(ek.InvalidArgumentError, "refusing on purpose"):
            inst.encode(["x"], out=np.empty(8, dtype=np.float32))


def _docs(n):
    return ['{"id": %d, "name": "item %d", "tags": ["t%d"]}' % (i, i, i % 7) for i in range(n)]


def test_progress_and_cancellation(ctx):
    # vsa_json (bundled) reports progress on batches of 4096+ documents.
    with ctx.create_instance("embedkit.vsa_json", {"dim": 256}) as enc:
        docs = _docs(4096)
        seen = []
        ctx.set_progress(lambda task, done, total: seen.append((task, done, total)))
        v = enc.encode(docs)
        assert v.shape == (4096, 256) and seen
        assert all(total == 4096 and done <= total for _, done, total in seen)

        ctx.set_progress(lambda task, done, total: True)  # cancel at the first report
        with expect(ek.CancelledError, "cancel"):
            enc.encode(docs)
        with pytest.raises(ek.CancelledError):  # cancelled until reset
            enc.encode(docs[:10])
        ctx.reset_cancel()

        def boom(task, done, total):
            raise KeyError("from the callback")
        ctx.set_progress(boom)
        with pytest.raises(KeyError, match="from the callback") as ei:
            enc.encode(docs)
        assert isinstance(ei.value.__cause__, ek.CancelledError)
        ctx.reset_cancel()

        ctx.set_progress(None)
        ctx.cancel()
        with pytest.raises(ek.CancelledError):
            enc.encode(docs[:200])
        ctx.reset_cancel()
        np.testing.assert_array_equal(enc.encode(docs[:200]), v[:200])


# ---- store ---------------------------------------------------------------------------

DIM, ROWS = 8, 50


def _vectors(rows=ROWS, dim=DIM, seed=1):
    return np.random.default_rng(seed).uniform(-0.5, 0.5, (rows, dim)).astype(np.float32)


@pytest.mark.parametrize("where", ["memory", "file"])
def test_store(where, tmp_path):
    path = ":memory:" if where == "memory" else str(tmp_path / "py_api_test.db")
    ctx = ek.Context(num_threads=2, plugin_path="")
    with expect(ek.InvalidArgumentError, "path"):
        ctx.open_store("")
    with expect(ek.EmbedkitIOError, "x.db"):
        ctx.open_store("/nonexistent-dir/x.db", must_exist=True)
    store = ctx.open_store(path)
    with expect(ek.InvalidArgumentError, "dim"):
        store.create_collection("docs", 0)
    with expect(ek.InvalidArgumentError, "metric"):
        store.create_collection("docs", DIM, 7)
    with expect(ek.InvalidArgumentError, "name"):
        store.create_collection("", DIM)
    coll = store.create_collection("docs", DIM, ek.Metric.COSINE)
    with expect(ek.AlreadyExistsError, "docs"):
        store.create_collection("docs", DIM + 1)
    store.create_collection("docs", DIM).close()  # same shape: opens
    store.create_collection("docs", DIM, "cosine").close()  # metric by name, as in the CLI/JS
    with expect(ek.InvalidArgumentError, "'manhattan'"):
        store.create_collection("docs", DIM, "manhattan")
    with expect(ek.NotFoundError, "nope"):
        store.collection("nope")
    assert (coll.name, coll.dim, coll.metric) == ("docs", DIM, ek.Metric.COSINE)

    vectors = _vectors()
    ids = ["doc-%d" % i for i in range(ROWS)]
    meta = [{"parity": "odd", "n": 1} if i % 2 else '{"parity": "even"}' for i in range(ROWS)]
    coll.upsert(ids, vectors, metadata=meta)
    assert coll.count() == len(coll) == ROWS

    # bad batches: nothing from them is stored
    with expect(ek.DimensionMismatchError, "dim"):
        coll.upsert(ids, vectors[:, :DIM - 1])
    bad = np.zeros(DIM, dtype=np.float32)
    bad[3] = np.nan
    with expect(ek.InvalidArgumentError, "nan-row"):
        coll.upsert("nan-row", bad)
    bad[3] = np.inf
    with expect(ek.InvalidArgumentError, "nan-row"):
        coll.upsert("nan-row", bad)
    with expect(ek.ParseError, "nan-row"):
        coll.upsert("nan-row", np.zeros(DIM), metadata='{"x": ')
    with expect(ek.InvalidArgumentError, "doc-1"):  # duplicate id in one batch
        coll.upsert(["doc-1", "doc-1"], vectors[:2])
    with pytest.raises(ValueError):
        coll.upsert(["a", "b"], vectors[:3])
    assert coll.count() == ROWS

    # get
    np.testing.assert_array_equal(coll.get("doc-3"), vectors[3])
    got, m = coll.get_with_metadata("doc-3")
    np.testing.assert_array_equal(got, vectors[3])
    assert m == {"parity": "odd", "n": 1}
    buf = np.zeros(DIM, dtype=np.float32)
    assert np.shares_memory(coll.get("doc-4", out=buf), buf)
    np.testing.assert_array_equal(buf, vectors[4])
    with expect(ek.BufferTooSmallError, "8"):
        coll.get("doc-3", out=np.empty(2, dtype=np.float32))
    with expect(ek.NotFoundError, "missing"):
        coll.get("missing")
    assert "doc-3" in coll and "missing" not in coll

    # search: a stored vector finds itself first
    with coll.search(vectors[7], k=5, include_metadata=True) as res:
        assert len(res) == 1 and res.hit_count(0) == 5
        best = res[0][0]
        assert best.id == "doc-7" and abs(best.score - 1.0) < 1e-5
        assert best.metadata == {"parity": "odd", "n": 1}
        scores = res.scores(0)
        assert scores.dtype == np.float32 and (np.diff(scores) <= 0).all()
        assert res.ids(0)[0] == "doc-7"
        with expect(ek.InvalidArgumentError, "rank 5"):
            res.hit(0, 5)
        with expect(ek.InvalidArgumentError, "query 1"):
            res.hit(1, 0)

    # filter and batched queries
    with coll.search(vectors[:2], k=100, filter={"parity": "even"}, include_metadata=True) as res:
        assert len(res) == 2 and res.hit_count(1) == ROWS // 2
        assert all(h.metadata["parity"] == "even" for h in res[1])
        assert [len(q) for q in res] == [ROWS // 2, ROWS // 2]
    with expect(ek.ParseError, "filter"):
        coll.search(vectors[0], filter='{"parity": ')
    with coll.search(vectors[0], k=2000) as res:  # no cap on k: every row
        assert res.hit_count(0) == ROWS
    with expect(ek.DimensionMismatchError, "dim"):
        coll.search(np.zeros(DIM + 1), k=3)

    # delete, list, info
    assert coll.delete(["doc-0", "never-there"]) == 1
    assert coll.count() == ROWS - 1
    with expect(ek.NotFoundError, "doc-0"):
        coll.get("doc-0")
    with coll.list(0, 3) as rows:
        assert rows.ids() == ["doc-1", "doc-2", "doc-3"]
        assert all(h.score == 0 and h.metadata_json is None for h in rows[0])
    with coll.list(offset=48, include_metadata=True) as rows:
        assert rows.ids() == ["doc-49"] and rows[0][0].metadata == {"parity": "odd", "n": 1}
    info = coll.info()
    assert (info.name, info.dim, info.metric, info.count) == ("docs", DIM, ek.Metric.COSINE, ROWS - 1)

    other = store.create_collection("l2", 3, ek.Metric.L2)
    names = sorted(c.name for c in store.collections())
    assert names == ["docs", "l2"] and "l2" in store
    other.close()
    store.drop_collection("l2")
    with expect(ek.NotFoundError, "l2"):
        store.drop_collection("l2")

    # close the store and the context before the collection: the handle keeps working
    store.close()
    ctx.close()
    assert coll.count() == ROWS - 1
    coll.close()
    if where == "memory":
        return

    # reopen: everything committed is there
    with ek.Context(plugin_path="") as ctx, ctx.open_store(path) as store, \
            store.collection("docs") as coll:
        assert coll.count() == ROWS - 1
    # read-only
    with ek.Context(plugin_path="") as ctx, ctx.open_store(path, read_only=True) as store, \
            store.collection("docs") as coll:
        with expect(ek.ReadOnlyError, "read-only"):
            coll.upsert(ids[:1], vectors[:1])
        assert coll.count() == ROWS - 1


def test_corrupt_store(ctx, tmp_path):
    p = tmp_path / "garbage.db"
    p.write_bytes(bytes((i * 7) % 251 for i in range(4096)))
    with expect(ek.CorruptError, "garbage.db"):
        ctx.open_store(p)


@pytest.mark.parametrize("metric", list(ek.Metric))
def test_search_matches_numpy_brute_force(ctx, metric):
    base = _vectors(300, 16, seed=3)
    queries = _vectors(5, 16, seed=4)
    with ctx.open_store(":memory:") as store:
        coll = store.create_collection("m", 16, metric)
        coll.upsert(["r%d" % i for i in range(300)], base)
        with coll.search(queries, k=10) as res:
            for q in range(5):
                if metric == ek.Metric.COSINE:
                    s = (base @ queries[q]) / (np.linalg.norm(base, axis=1) * np.linalg.norm(queries[q]))
                    order = np.argsort(-s, kind="stable")
                elif metric == ek.Metric.DOT:
                    s = base @ queries[q]
                    order = np.argsort(-s, kind="stable")
                else:
                    s = ((base - queries[q]) ** 2).sum(axis=1)
                    order = np.argsort(s, kind="stable")
                assert res.ids(q) == ["r%d" % i for i in order[:10]]
                np.testing.assert_allclose(res.scores(q), s[order[:10]], rtol=1e-4, atol=1e-5)


def test_input_arrays_pass_without_copy_and_others_are_converted(ctx):
    with ctx.open_store(":memory:") as store:
        coll = store.create_collection("c", 4, ek.Metric.DOT)
        f64 = np.arange(8, dtype=np.float64).reshape(2, 4)
        coll.upsert(["a", "b"], f64)  # converted to float32
        np.testing.assert_array_equal(coll.get("b"), [4, 5, 6, 7])
        strided = np.arange(16, dtype=np.float32).reshape(2, 8)[:, ::2]
        coll.upsert(["c", "d"], strided)  # made contiguous
        np.testing.assert_array_equal(coll.get("d"), [8, 10, 12, 14])
        coll.upsert(["e"], [[1, 1, 1, 1]])  # nested lists
        from embedkit.core import _as_f32_matrix
        a = np.ones((3, 4), dtype=np.float32)
        assert np.shares_memory(_as_f32_matrix(a, 4, "v"), a)


def test_threads_share_a_collection_and_keep_their_own_errors(ctx):
    base = _vectors(200, 8, seed=5)
    with ctx.open_store(":memory:") as store:
        coll = store.create_collection("t", 8)
        coll.upsert(["r%d" % i for i in range(200)], base)
        errors, wrong = [], []

        def work(t):
            try:
                for i in range(20):
                    with coll.search(base[(t * 20 + i) % 200], k=1) as res:
                        if res.ids()[0] != "r%d" % ((t * 20 + i) % 200):
                            wrong.append((t, i))
                    try:
                        coll.get("missing-%d" % t)
                    except ek.NotFoundError as e:
                        if "missing-%d" % t not in e.message:
                            wrong.append(("message", t))
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors and not wrong


def test_vsa_json_encoder_is_reachable(ctx):
    with ctx.create_instance("embedkit.vsa_json", {"dim": 256, "seed": 1}) as enc:
        v = enc.encode(['{"a": 1, "b": "x"}', '{"a": 1, "b": "x"}', '{"z": [1,2,3]}'])
        np.testing.assert_array_equal(v[0], v[1])
        assert v[0] @ v[2] < v[0] @ v[1]
        assert math.isclose(float(np.linalg.norm(v[0])), 1.0, rel_tol=1e-4)


def test_store_key_value_state(ctx, tmp_path):
    path = str(tmp_path / "kv.db")
    store = ctx.open_store(path)
    store.kv_put("myapp", "run/config", {"dim": 8, "name": "été"})
    store.kv_put("myapp", "run/weights", b"\x00\x01\xff")
    store.kv_put("myapp", "other", [1, 2])
    assert store.kv_get("myapp", "run/config") == {"dim": 8, "name": "été"}
    assert store.kv_get("myapp", "run/weights") == b"\x00\x01\xff"
    # values around kv_get's first buffer (256 bytes): read whole, one call or two
    for size in (0, 255, 256, 257, 100_000):
        store.kv_put("myapp", "sized", b"x" * size)
        assert store.kv_get("myapp", "sized") == b"x" * size
        store.kv_put("myapp", "sized", "y" * size)
        assert store.kv_get("myapp", "sized") == "y" * size
    store.kv_delete("myapp", "sized")
    assert store.kv_keys("myapp") == ["other", "run/config", "run/weights"]
    assert store.kv_keys("myapp", "run/", after="run/config") == ["run/weights"]
    assert store.kv_items("myapp", "run/") == {"run/config": {"dim": 8, "name": "été"},
                                               "run/weights": b"\x00\x01\xff"}
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.kv_put("myapp", "other", "replaced")
            raise RuntimeError("abandon")
    assert store.kv_get("myapp", "other") == [1, 2]  # the rollback undid the put
    with expect(ek.NotFoundError, "nothing"):
        store.kv_get("myapp", "nothing")
    with pytest.raises(ek.InvalidArgumentError):
        store.kv_put("ek.reserved", "k", 1)
    assert store.kv_delete("myapp", "other") and not store.kv_delete("myapp", "other")
    assert store.kv_delete_prefix("myapp", "run/") == 2
    assert store.kv_keys("myapp") == []
    store.kv_put("myapp", "kept", True)
    store.close()
    with expect(ek.ReadOnlyError, ""):
        ctx.open_store(path, read_only=True).kv_put("myapp", "k", 1)
    assert ctx.open_store(path, read_only=True).kv_get("myapp", "kept") is True


def test_store_transaction_commits_or_rolls_back(ctx, tmp_path):
    path = str(tmp_path / "txn.db")
    store = ctx.open_store(path)
    coll = store.create_collection("t", 2, "dot")
    coll.upsert(["a", "b"], np.array([[1, 0], [0, 1]], dtype=np.float32))
    with pytest.raises(RuntimeError):
        with store.transaction():
            coll.delete("a")
            coll.upsert("c", np.array([1, 1], dtype=np.float32))
            assert coll.count() == 2
            raise RuntimeError("abandon the request")
    assert sorted(h.id for h in coll.list()[0]) == ["a", "b"]
    with store.transaction():
        coll.delete("a")
        with pytest.raises(ek.InvalidArgumentError):
            store.begin()  # one at a time per handle
    assert sorted(h.id for h in coll.list()[0]) == ["b"]
    with pytest.raises(ek.InvalidArgumentError, match="no transaction"):
        store.commit()
    other = ctx.open_store(path)
    assert other.collection("t").count() == 1
