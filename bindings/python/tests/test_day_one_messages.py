"""Issue 17, item 11 through the Python binding: messages say what is wrong.

A missing model is "no model named ...", not a read-only error about an internal
collection; a plugin module built for another machine says so (glibc's dlopen only
says "No such file or directory").
"""
import os

import pytest

import embedkit as ek


@pytest.fixture
def ctx():
    with ek.Context(num_threads=1, plugin_path="") as c:
        yield c


@pytest.mark.parametrize("plugin,config,wrap", [
    ("embedkit.rec_unlearn", {"dim": 8, "text_dim": 0}, "recommender"),
    ("embedkit.text_classify", {"embedder": "hashing"}, "classifier"),
])
def test_a_missing_model_is_named(ctx, tmp_path, plugin, config, wrap):
    path = str(tmp_path / "empty.db")
    with ctx.open_store(path) as store:
        store.create_collection("unrelated", 2)
    with ctx.open_store(path, read_only=True) as store:
        ext = getattr(ctx.create_instance(plugin, config), wrap)()
        with pytest.raises(ek.NotFoundError) as ei:
            ext.load(store, "nomodel")
        assert "no model named 'nomodel'" in ei.value.message
        assert "READ_ONLY" not in str(ei.value)


def test_a_plugin_for_another_machine_says_so(ctx, tmp_path, template_plugin):
    with open(template_plugin, "rb") as f:
        elf = bytearray(f.read())
    other = 62 if os.uname().machine == "aarch64" else 183  # EM_X86_64 / EM_AARCH64
    elf[18:20] = other.to_bytes(2, "little")
    foreign = tmp_path / "foreign.so"
    foreign.write_bytes(bytes(elf))
    with pytest.raises(ek.NotAPluginError) as ei:
        ctx.load_plugin(str(foreign))
    assert "built for" in ei.value.message
    assert "No such file or directory" not in ei.value.message


def test_a_failed_store_call_in_a_plugin_carries_the_stores_reason(ctx):
    with ctx.open_store(":memory:") as store:
        rec = ctx.create_instance("embedkit.rec_unlearn", {"dim": 8, "text_dim": 0, "epochs": 1}).recommender()
        rec.add_interactions(["u", "u", "v"], ["i", "j", "i"])
        rec.train()
        store.create_collection("m.users", 3, ek.Metric.DOT)  # taken with another dim
        with pytest.raises(ek.AlreadyExistsError) as ei:
            rec.save(store, "m")
        assert "see the host's message" not in ei.value.message
        assert "exists with dim 3" in ei.value.message
