"""Issue 17 through the Python binding: text that the C side would cut short at a
NUL (or that has no UTF-8 form) is refused instead of naming another row, every
integer bound for a C type is range-checked instead of wrapping, and an encoder
that writes NaN or infinity fails instead of handing them back."""
import os

import numpy as np
import pytest

import embedkit as ek

DIM = 4


@pytest.fixture
def col(ctx):
    with ctx.open_store(":memory:") as store:
        c = store.create_collection("docs", DIM, "l2")
        c.upsert(["alice", "bob"], np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float32))
        yield c


def _alice(col):
    return col.get("alice").tolist()


# ---- ids and names with NUL or lone surrogates ------------------------------------


def test_upsert_of_an_id_with_nul_is_refused_and_alice_is_untouched(col):
    with pytest.raises(ek.InvalidArgumentError) as e:
        col.upsert(["carol", "alice\x00mallory"], np.ones((2, DIM), dtype=np.float32))
    assert "upsert: ids[1]" in str(e.value) and "alice\\x00mallory" in str(e.value)
    assert "NUL" in str(e.value)
    assert _alice(col) == [1, 0, 0, 0]
    assert len(col) == 2  # carol was not written either: all or none


def test_delete_and_get_of_an_id_with_nul_never_reach_alice(col):
    with pytest.raises(ek.InvalidArgumentError, match=r"delete: ids\[0\].*NUL"):
        col.delete(["alice\x00x"])
    with pytest.raises(ek.InvalidArgumentError, match=r"get: id.*NUL"):
        col.get("alice\x00x")
    assert "alice\x00x" not in col and "alice" in col
    assert len(col) == 2 and _alice(col) == [1, 0, 0, 0]


def test_lone_surrogates_are_refused_not_replaced(col):
    with pytest.raises(ek.InvalidArgumentError, match=r"upsert: ids\[0\].*lone surrogate"):
        col.upsert(["\ud800"], np.ones(DIM, dtype=np.float32).reshape(1, -1))
    assert "\udfff" not in col
    assert len(col) == 2


def test_names_paths_and_json_text_with_nul_are_refused(ctx, col, tmp_path):
    store = col.store
    with pytest.raises(ek.InvalidArgumentError, match="create_collection: name.*NUL"):
        store.create_collection("docs\x00x", DIM)
    with pytest.raises(ek.InvalidArgumentError, match="collection: name.*NUL"):
        store.collection("docs\x00x")
    with pytest.raises(ek.InvalidArgumentError, match="drop_collection: name.*NUL"):
        store.drop_collection("docs\x00x")
    assert [c.name for c in store.collections()] == ["docs"] and len(col) == 2
    # "x.db\0y" would open x.db
    with pytest.raises(ek.InvalidArgumentError, match="Store: path.*NUL"):
        ctx.open_store(str(tmp_path / "x.db") + "\x00y")
    assert not os.path.exists(tmp_path / "x.db")
    with pytest.raises(ek.InvalidArgumentError, match="search: filter.*NUL"):
        col.search(np.zeros(DIM), filter='{"a": 1}\x00garbage')
    # a NUL inside a JSON string value is escaped by json.dumps and stays data
    col.upsert(["meta"], np.ones((1, DIM)), metadata=[{"k": "a\x00b"}])
    assert col.get_with_metadata("meta")[1] == {"k": "a\x00b"}


def test_integer_and_other_non_text_ids_raise_type_error(col):
    with pytest.raises(TypeError, match=r"upsert: ids\[0\] must be str or bytes, not int"):
        col.upsert([1], np.ones((1, DIM)))
    with pytest.raises(TypeError, match=r"delete: ids\[1\] must be str or bytes, not int"):
        col.delete(["bob", 7])
    with pytest.raises(TypeError, match="get: id must be str or bytes, not int"):
        col.get(5)
    assert len(col) == 2


def test_encoder_items_keep_nul_as_data_but_refuse_non_text(ctx, template_plugin):
    ctx.load_plugin(template_plugin)
    with ctx.create_instance("embedkit.sample.trigram_hash", {"dim": 16}) as enc:
        a, b = enc.encode(["ab\x00cd", "ab"])  # length-delimited: the NUL is part of the item
        assert not np.array_equal(a, b)
        with pytest.raises(TypeError, match=r"encode: items\[1\] must be str or bytes, not int"):
            enc.encode(["x", 3])  # bytes(3) would have been three NUL bytes


def test_recommender_ids_with_nul_are_refused(ctx):
    rec = ctx.create_instance("embedkit.rec_unlearn", {"dim": 8}).recommender()
    with pytest.raises(ek.InvalidArgumentError,
                       match=r"add_interactions: users\[1\].*NUL"):
        rec.add_interactions(["u1", "u1\x00evil"], ["a", "b"])
    with pytest.raises(ek.InvalidArgumentError, match=r"add_interactions: row 0 item.*NUL"):
        rec.add_interactions([("u1", "a\x00b")])
    assert rec.stats().interactions == 0


# ---- integers that cross into C types ---------------------------------------------


def test_search_k_beyond_uint32_raises_instead_of_wrapping(col):
    q = np.array([1, 0, 0, 0], dtype=np.float32)
    for k in (2 ** 32 + 5, -1):
        with pytest.raises(ValueError, match=r"search: k is %d, outside the range of its C type "
                                             r"uint32_t" % k):
            col.search(q, k=k)
    with pytest.raises(TypeError, match="search: k must be an integer, not float"):
        col.search(q, k=2.0)
    with col.search(q, k=np.int64(1)) as res:  # NumPy integers are integers
        assert res.ids(0) == ["alice"]


def test_context_and_store_integers_are_range_checked(ctx, tmp_path):
    with pytest.raises(ValueError, match="Context: num_threads is 4294967296"):
        ek.Context(num_threads=2 ** 32, plugin_path="")
    with pytest.raises(ValueError, match="Context: log_level is 2147483648"):
        ek.Context(log_level=2 ** 31, plugin_path="")
    with pytest.raises(ValueError, match="Store: busy_timeout_ms is -1"):
        ctx.open_store(str(tmp_path / "s.db"), busy_timeout_ms=-1)
    with ctx.open_store(":memory:") as store:
        # 2**32 + 4 would have become a dim-4 collection
        with pytest.raises(ValueError, match="create_collection: dim is 4294967300"):
            store.create_collection("c", 2 ** 32 + 4)
        assert store.collections() == []
        c = store.create_collection("c", DIM)
        c.upsert(["a"], np.ones((1, DIM)))
        with pytest.raises(ValueError, match="list: offset is -1"):
            c.list(offset=-1)
        with pytest.raises(ValueError, match="list: limit is 18446744073709551616"):
            c.list(limit=2 ** 64)
        with c.search(np.ones(DIM), k=1) as res:
            with pytest.raises(ValueError, match="hit: rank is -1"):
                res.hit(0, -1)
            with pytest.raises(ValueError, match="hit_count: query is -1"):
                res.hit_count(-1)
    with pytest.raises(ValueError, match="plugin_at: index is -1"):
        ctx.plugin_at(-1)


def test_extension_integers_are_range_checked(ctx):
    rec = ctx.create_instance("embedkit.rec_unlearn", {"dim": 8}).recommender()
    with pytest.raises(ValueError, match="Recommender.recommend: k is -1"):
        rec.recommend("u", k=-1)
    with pytest.raises(ValueError, match="Recommender.evaluate: k is 18446744073709551617"):
        rec.evaluate(["u"], ["i"], k=2 ** 64 + 1)
    m = ctx.create_instance("embedkit.table_match", {"wordvec": "none"}).matcher()
    with pytest.raises(ValueError, match="Matcher.match: top_k is 4294967297"):
        m.match(top_k=2 ** 32 + 1)
    with pytest.raises(ValueError, match="Matcher.count side is 4294967296"):
        m.count(2 ** 32)  # would have counted side 0, the source


# ---- ek_encode refuses non-finite plugin output ----------------------------------


@pytest.mark.parametrize("mode,value", [("nan", "nan"), ("inf", "-inf")])
def test_encoder_writing_nan_or_inf_fails_with_plugin_error(ctx, fixture_dir, mode, value):
    ctx.load_plugin(os.path.join(fixture_dir, "fixture_throwing.so"))
    with ctx.create_instance("test.throwing", {"mode": mode}) as inst:
        with pytest.raises(ek.PluginError, match="item 2, component 3 is %s" % value):
            inst.encode(["a", "b", "c"])
