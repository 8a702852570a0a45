"""The text_classify default embedder through the Python binding (issue 17 item 6).

With no "embedder" the plugin chooses one from the corpus at fit and reports the
choice in ``info()["auto"]``; before fit its dim is unknown (UnsupportedError); with
no GloVe table it falls back to doc2vec (docs/text_classify.md, "The default embedder").
"""
import random

import pytest

import embedkit

_SPACE = "nasa orbit launch moon rocket satellite astronaut shuttle mars telescope planet mission".split()
_SPORT = "hockey goal team player season coach league score match stadium fans referee".split()
_COMMON = "the a of and to in is it that was for on with".split()


def _docs(words, seed):
    rng = random.Random(seed)
    return [" ".join(rng.choice(words) if rng.random() < 0.5 else rng.choice(_COMMON) for _ in range(20))
            for _ in range(24)]


SPACE, SPORT = _docs(_SPACE, 1), _docs(_SPORT, 2)
LABELS = {"space": ["nasa", "orbit", "rocket"], "sport": ["hockey", "team", "league"]}


def test_default_is_chosen_at_fit_and_reported(ctx, tmp_path):
    config = {"min_num_docs": 3, "glove_path": str(tmp_path / "missing.ekwv")}
    c = ctx.create_instance("embedkit.text_classify", config).classifier()
    with pytest.raises(embedkit.UnsupportedError, match="auto"):
        c.dim
    c.set_labels(LABELS)
    c.fit(SPACE + SPORT)
    info = c.info()
    assert info["embedder"] == "doc2vec"
    auto = info["auto"]
    assert (auto["documents"], auto["chose"], auto["glove_available"]) == (48, "doc2vec", False)
    assert info["config"]["sample"] == 0.001, "a small corpus gets gensim's down-sampling, not Lbl2Vec's 1e-5"
    assert c.dim == 100
    got = [p.label for p in c.predict(["an astronaut went to orbit on a rocket", "the hockey team lost the league match"])]
    assert got == ["space", "sport"]


def test_named_doc2vec_is_not_resolved(ctx):
    c = ctx.create_instance("embedkit.text_classify",
                            {"embedder": "doc2vec", "min_num_docs": 3, "vector_size": 16, "min_count": 1,
                             "epochs": 2}).classifier()
    assert c.dim == 16
    c.set_labels(LABELS)
    c.fit(SPACE + SPORT)
    assert "auto" not in c.info()
