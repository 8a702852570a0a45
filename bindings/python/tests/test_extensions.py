"""The typed extension wrappers (embedkit.extensions) against the bundled plugins:
Classifier (embedkit.text_classify), Matcher (embedkit.table_match), Recommender
(embedkit.rec_unlearn: ek.recommender/1 + ek.unlearner/1), VsaProbe
(embedkit.vsa_json: ek.vsa_probe/1). Small inline data with
known answers (the same as the JS package's tests/wasm/js/extensions.test.mjs);
bad input raises the exception class of its status with the extension's own
message. The ctypes tables and structs are checked against the C compiler and
against the struct_size the plugins report."""
import ctypes
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import embedkit as ek
from embedkit import _ext

# ---- layouts ------------------------------------------------------------------------------


def test_ext_struct_layouts_and_constants_match_the_headers(include_dir, tmp_path):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed to check the layout"
    lines = ["#include <embedkit/ext/%s>" % h for h in _ext.HEADERS]
    lines += ["#include <stddef.h>", "#include <stdio.h>", "#include <string.h>",
              "int main(void) {"]
    for name, (cls, _hdr) in _ext.STRUCTS.items():
        lines.append('printf("%s size %%zu\\n", sizeof(%s));' % (name, name))
        for field, _ in cls._fields_:
            lines.append('printf("%s %s %%zu\\n", offsetof(%s, %s));' % (name, field, name, field))
    for name in _ext.CONSTANTS:
        lines.append('printf("%s %%lld\\n", (long long)(%s));' % (name, name))
    for name in ("EK_EXT_CLASSIFIER", "EK_EXT_MATCHER", "EK_EXT_RECOMMENDER", "EK_EXT_UNLEARNER",
                 "EK_EXT_VSA_PROBE"):
        lines.append('printf("%s %%s\\n", %s);' % (name, name))
    lines.append("return 0; }")
    src = tmp_path / "ext_layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "ext_layout"
    subprocess.run([cc, "-std=c99", "-Wall", "-Werror", "-I", include_dir, str(src), "-o",
                    str(exe)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    c = dict((" ".join(l.split()[:-1]), l.split()[-1]) for l in out.splitlines())
    for name, (cls, _hdr) in _ext.STRUCTS.items():
        assert ctypes.sizeof(cls) == int(c["%s size" % name]), name
        for field, _ in cls._fields_:
            assert getattr(cls, field).offset == int(c["%s %s" % (name, field)]), (name, field)
    for name, value in _ext.CONSTANTS.items():
        assert int(c[name]) == value, name
    assert c["EK_EXT_CLASSIFIER"] == _ext.EXT_CLASSIFIER
    assert c["EK_EXT_MATCHER"] == _ext.EXT_MATCHER
    assert c["EK_EXT_RECOMMENDER"] == _ext.EXT_RECOMMENDER
    assert c["EK_EXT_UNLEARNER"] == _ext.EXT_UNLEARNER
    assert c["EK_EXT_VSA_PROBE"] == _ext.EXT_VSA_PROBE


def test_every_table_field_is_declared(include_dir):
    """Each function pointer of the headers' ek_*_ext tables has a ctypes field, in order."""
    for table in ("ek_classifier_ext", "ek_matcher_ext", "ek_recommender_ext", "ek_unlearner_ext",
                  "ek_vsa_probe_ext"):
        cls, hdr = _ext.STRUCTS[table]
        with open(os.path.join(include_dir, "embedkit", "ext", hdr)) as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (table, table), text, re.S).group(1)
        header_fields = ["struct_size"] + re.findall(r"\(\*(\w+)\)", body)
        assert header_fields == [f for f, _ in cls._fields_], table


@pytest.mark.parametrize("plugin, ext_id", [
    ("embedkit.text_classify", _ext.EXT_CLASSIFIER),
    ("embedkit.table_match", _ext.EXT_MATCHER),
    ("embedkit.rec_unlearn", _ext.EXT_RECOMMENDER),
    ("embedkit.rec_unlearn", _ext.EXT_UNLEARNER),
    ("embedkit.vsa_json", _ext.EXT_VSA_PROBE),
])
def test_table_sizes_match_the_struct_size_the_plugins_report(ctx, plugin, ext_id):
    inst = ctx.create_instance(plugin, {"wordvec": "none"} if plugin == "embedkit.table_match"
                               else {})
    addr = inst.extension_table(ext_id)
    assert ctypes.c_uint32.from_address(addr).value == ctypes.sizeof(_ext.TABLES[ext_id])
    w = {"embedkit.text_classify": inst.classifier, "embedkit.table_match": inst.matcher,
         "embedkit.rec_unlearn": inst.recommender, "embedkit.vsa_json": inst.vsa_probe}[plugin]()
    if ext_id != _ext.EXT_UNLEARNER:
        assert w.table_struct_size == ctypes.sizeof(_ext.TABLES[ext_id])


# ---- Classifier ---------------------------------------------------------------------------

SPACE = ["the rocket launch reached orbit", "nasa astronauts on the space station",
         "a telescope saw a distant galaxy", "the moon landing and the orbit of mars",
         "planets orbit the sun in the solar system", "the shuttle crew returned from space"]
SPORT = ["the team won the football match", "a goal in the last minute of the game",
         "the tennis player won the final", "fans cheered as the team scored",
         "the coach picked the players for the match", "a record in the marathon race"]
LABELS = {"space": ["space", "orbit", "rocket"], "sport": ["team", "match", "game"]}
CLS_CONFIG = {"embedder": "hashing", "min_num_docs": 3, "hash_dim": 256}


@pytest.fixture
def cls(ctx):
    c = ctx.create_instance("embedkit.text_classify", CLS_CONFIG).classifier()
    c.set_labels(LABELS)
    c.fit(SPACE + SPORT)
    return c


def test_classifier_fit_predict_scores_and_labels(cls):
    assert (cls.label_count, cls.dim) == (2, 256)
    labels = cls.labels()
    assert [lab.name for lab in labels] == ["space", "sport"]
    assert all(lab.active and lab.documents >= 3 and lab.known_keywords == 3 == lab.total_keywords
               for lab in labels)

    out = cls.predict(["an astronaut went to orbit on a rocket", "the team lost the match", ""],
                      scores=True)
    assert [p.label for p in out] == ["space", "sport", None]
    assert [p.index for p in out] == [0, 1, -1]
    assert 0.5 < out[0].confidence <= 1 and out[2].confidence == 0
    assert isinstance(out[0].scores, np.ndarray) and out[0].scores.dtype == np.float32
    assert out[0].scores.shape == (2,) and out[0].scores[0] > out[0].scores[1]
    assert out[1].scores[1] > out[1].scores[0]
    assert not out[2].scores.any(), "an empty document has all-zero scores"
    assert cls.predict(["rocket"])[0].scores is None

    idx, conf, sc = cls.predict_arrays([b"rocket to orbit", "football team match"], scores=True)
    assert idx.dtype == np.int32 and list(idx) == [0, 1]
    assert conf.shape == (2,) and sc.shape == (2, 2)

    fitted = cls.predict_fitted()
    assert len(fitted) == 12
    assert sum(p.label == "space" for p in fitted[:6]) >= 5
    assert sum(p.label == "sport" for p in fitted[6:]) >= 5


def test_classifier_embed_is_float32_rows_written_in_place(cls):
    v = cls.embed(["rocket orbit", "team match"])
    assert v.shape == (2, 256) and v.dtype == np.float32 and v.flags.c_contiguous
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4), "hashing vectors are unit length"
    out = np.zeros((4, 256), dtype=np.float32)
    r = cls.embed(["rocket orbit", "team match"], out=out)
    assert np.shares_memory(r, out) and np.array_equal(out[:2], v) and not out[2:].any()
    with pytest.raises(ValueError):
        cls.embed(["a", "b"], out=np.zeros(10, dtype=np.float32))
    lab, seeds = cls.label_vectors()
    assert lab.shape == seeds.shape == (2, 256)
    fv = cls.fitted_vectors(0, 3)
    assert fv.shape == (3, 256)
    info = cls.info()
    assert info["embedder"] == "hashing" and info["fitted_documents"] == 12


def test_classifier_save_and_load_in_a_fresh_instance(ctx, cls, tmp_path):
    with ctx.open_store(str(tmp_path / "topics.db")) as store:
        cls.save(store, "topics")
        other = ctx.create_instance("embedkit.text_classify", {"embedder": "hashing"}).classifier()
        other.load(store, "topics")
        assert other.label_names() == ["space", "sport"]
        assert [p.label for p in other.predict(["the rocket reached orbit", "the team won"])] == \
            ["space", "sport"]
        with pytest.raises(ek.UnsupportedError):
            other.predict_fitted(0, 1)  # fitted vectors are not stored
        with pytest.raises(ek.EmbedkitError) as ei:
            other.load(store, "no_such_model")
        assert ei.value.message


def test_classifier_labels_as_structs(ctx):
    c = ctx.create_instance("embedkit.text_classify", CLS_CONFIG).classifier()
    c.set_labels([ek.Label("space", ["space", "orbit", "rocket"]),
                  ek.Label("sport", ["team"], description="match game")])
    c.fit(SPACE + SPORT)
    assert c.label_names() == ["space", "sport"]
    assert c.predict(["the team won the match"])[0].label == "sport"
    with pytest.raises(ek.InvalidArgumentError) as ei:
        c.set_labels([ek.Label("", ["x"])])
    assert ei.value.message


def test_classifier_bad_input_raises_the_extension_message(ctx):
    c = ctx.create_instance("embedkit.text_classify", CLS_CONFIG).classifier()
    with pytest.raises(ek.ParseError) as ei:
        c.set_labels('{"labels": ')
    assert ei.value.status == ek.Status.PARSE
    assert "set_labels_json" in ei.value.message and "JSON" in ei.value.message
    # ek_last_error() is not where extension messages go: the exception has its own.
    c.set_labels(LABELS)
    with pytest.raises(ek.InvalidArgumentError, match="document"):
        c.fit([])
    with pytest.raises(ek.InvalidArgumentError):
        c.fit("not a list")
    with pytest.raises(TypeError):
        c.fit([1, 2])
    c.fit(SPACE + SPORT)
    assert c.predict(["rocket to orbit"])[0].label == "space", "a failed call keeps the model"
    with pytest.raises(TypeError):
        c.save("not a store", "m")


def test_extension_missing_and_use_after_free(ctx):
    enc = ctx.create_instance("embedkit.vsa_json", {"dim": 64})
    for get, ext_id in ((enc.classifier, "ek.classifier/1"), (enc.matcher, "ek.matcher/1"),
                        (enc.recommender, "ek.recommender/1")):
        with pytest.raises(ek.UnsupportedError) as ei:
            get()
        assert ei.value.status == ek.Status.UNSUPPORTED and ext_id in ei.value.message
    inst = ctx.create_instance("embedkit.text_classify", CLS_CONFIG)
    c = inst.classifier()
    c.set_labels(LABELS)
    inst.close()
    with pytest.raises(ek.InvalidArgumentError, match="closed") as ei:
        c.fit(SPACE)
    assert isinstance(ei.value, ValueError)
    with pytest.raises(ek.InvalidArgumentError, match="closed"):
        c.predict(["x"])
    with pytest.raises(ValueError):
        inst.classifier()


# ---- Matcher --------------------------------------------------------------------------------

DDL = """CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY, -- unique identifier of the patient
  birth_dt DATE,                  -- date of birth
  gender_cd VARCHAR(1)            -- sex of the patient
);"""
GLOSSARY = [
    {"id": "person_id", "label": "Person identifier",
     "description": "A unique identifier for each person"},
    {"id": "birth_date", "label": "Birth date", "description": "The date the person was born"},
    {"id": "gender", "label": "Gender", "description": "The sex of the person", "synonyms": ["sex"]},
    {"id": "visit_start", "label": "Visit start date", "description": "When the visit started"},
]


@pytest.fixture
def matcher(ctx):
    m = ctx.create_instance("embedkit.table_match", {"wordvec": "none"}).matcher()
    m.load("source", DDL, "sql_ddl")
    m.load("target", GLOSSARY, "glossary_json")
    return m


def test_matcher_ddl_against_a_json_glossary(matcher):
    assert matcher.count("source") == 3 and matcher.count("target") == 4
    cols = matcher.columns("source")
    assert [c.name for c in cols] == ["patient_id", "birth_dt", "gender_cd"]
    assert cols[1].id == "patients.birth_dt" and cols[1].type == "DATE"
    assert cols[1].description == "date of birth"
    assert [c.id for c in matcher.columns("target")][:2] == ["person_id", "birth_date"]

    r = matcher.match(top_k=3)
    assert len(r["columns"]) == 3
    best = {c["name"]: c["candidates"][0]["id"] for c in r["columns"]}
    assert best["birth_dt"] == "birth_date"
    assert best["gender_cd"] == "gender"
    assert r["signals"] == matcher.signal_names()
    for c in r["columns"]:
        cands = c["candidates"]
        assert 1 <= len(cands) <= 3
        assert all(a["score"] >= b["score"] for a, b in zip(cands, cands[1:])), "best first"
        assert 0 <= cands[0]["score"] <= 1
        assert list(cands[0]["signals"]) == r["signals"], "every signal is explained"

    one = matcher.match(top_k=4, mode="1:1")
    assigned = [k["id"] for c in one["columns"] for k in c["candidates"] if k["match"]]
    assert len(set(assigned)) == len(assigned), "1:1 matches each target at most once"
    strict = matcher.match(top_k=2, threshold=1.01)
    assert not any(k["match"] for c in strict["columns"] for k in c["candidates"])


def test_matcher_bad_input_keeps_the_side(ctx, matcher):
    with pytest.raises(ek.ParseError, match=r"line \d+, column \d+"):
        matcher.load("source", "CREATE TABLE t (a INT", "sql_ddl")
    assert matcher.count("source") == 3, "a failed load leaves the side as it was"
    with pytest.raises(ek.InvalidArgumentError, match="sideways"):
        matcher.load("sideways", "{}")
    with pytest.raises(ek.InvalidArgumentError, match="mode"):
        matcher.match(mode="many_to_many")
    matcher.clear("target")
    assert matcher.count("target") == 0
    with pytest.raises(ek.InvalidArgumentError) as ei:
        matcher.match()  # no targets
    assert ei.value.message
    with pytest.raises(ek.AlreadyExistsError):
        matcher.load("source", DDL, "sql_ddl")  # the same columns again
    matcher.load("target", "id,label,description\nbirth_date,Birth date,The date of birth\n",
                 "glossary_csv")
    matcher.add_abbreviations({"dt": "date"})
    assert matcher.match(top_k=1)["columns"][1]["candidates"][0]["id"] == "birth_date"


# ---- Recommender ----------------------------------------------------------------------------

REC_CONFIG = {"dim": 16, "epochs": 60, "seed": 7, "text_dim": 0}


def taste_rows():
    """Two taste groups: users u0..u9 like items a*, users v0..v9 like items b*."""
    rows = []
    for u in range(10):
        for i in range(8):
            if (u + i) % 4 != 0:
                rows.append(("u%d" % u, "a%d" % i))
            if (u + i) % 4 != 1:
                rows.append(("v%d" % u, "b%d" % i))
    return rows


@pytest.fixture
def ctx1():
    with ek.Context(num_threads=1, plugin_path="") as c:
        yield c


@pytest.fixture
def rec(ctx1):
    r = ctx1.create_instance("embedkit.rec_unlearn", REC_CONFIG).recommender()
    r.add_interactions(taste_rows())
    return r


def test_recommender_trains_and_recommends_within_the_taste_group(rec):
    report = rec.train()
    assert report.epochs == 60 and report.samples > 0 and np.isfinite(report.last_loss)
    st = rec.stats()
    assert (st.users, st.items, st.interactions, st.dim) == (20, 16, len(taste_rows()), 16)
    assert st.trained and st.pending_requests == 0

    top = rec.recommend("u1", k=2)
    assert len(top) == 2 and all(item.startswith("a") for item, _ in top), top
    assert top[0][1] >= top[1][1]
    assert {item for item, _ in top} <= {"a3", "a7"}, "seen items are left out"
    assert all(item.startswith("b") for item, _ in rec.recommend("v3", k=3, exclude_seen=False))
    s = rec.score("u1", ["a3", "b3"])
    assert s.dtype == np.float32 and s[0] > s[1]

    m = rec.evaluate(["u2", "ghost"], ["a2", "a1"], k=5, exclude_seen=False)
    assert (m.pairs, m.pairs_skipped, m.users) == (1, 1, 1)
    m2 = rec.evaluate([("u2", "a2"), ("v3", "b2")], k=8, exclude_seen=False)
    assert m2.pairs == 2 and m2.hit_rate == 1.0


def test_recommender_save_load_forget_and_purge(ctx1, rec, tmp_path):
    rec.train()
    store = ctx1.open_store(str(tmp_path / "shop.db"))
    rec.save(store, "shop")
    f = rec.forget("users", users=["u0"], method="mmrecun")
    assert f.interactions_removed == 6 and f.users_removed == 1 and f.items_removed == 0
    assert re.fullmatch(r"[0-9a-f]{64}", f.digest) and f.request_id.startswith("req-")
    with pytest.raises(ek.NotFoundError, match="u0"):
        rec.recommend("u0")
    assert rec.stats().users == 19
    with pytest.raises(ek.NotFoundError, match="nope"):
        rec.forget("items", items=["nope"])
    assert rec.stats().users == 19, "a refused request changes nothing"
    skipped = rec.forget("items", items=["nope", "a7"], method="noop", skip_unknown=True)
    assert (skipped.items_removed, skipped.request_id != "") == (1, True)
    nothing = rec.forget("users", users=["u0", "nope"], skip_unknown=True)
    assert (nothing.interactions_removed, nothing.users_removed, nothing.request_id) == (0, 0, "")

    f2 = rec.forget(pairs=[("u1", "a1")], method="finetune", request_id="r-1")
    assert f2.interactions_removed == 1 and f2.request_id == "r-1"
    f3 = rec.forget("items", items=["b0"], keep_rows=True, method="noop")
    assert f3.interactions_removed > 0 and f3.items_removed == 0
    assert rec.stats().items == 15
    assert rec.purge() == 1
    assert rec.stats().items == 14

    other = ctx1.create_instance("embedkit.rec_unlearn", {}).recommender()
    other.load(store, "shop")
    st = other.stats()
    assert (st.users, st.items, st.trained) == (19, 14, True)
    assert all(item.startswith("a") for item, _ in other.recommend("u2", k=2))
    with pytest.raises(ek.NotFoundError):
        ctx1.create_instance("embedkit.rec_unlearn", {}).recommender().load(store, "nothing")

    store.close()
    with pytest.raises(ek.InvalidArgumentError, match="store"):
        rec.forget("users", users=["u2"])


def test_recommender_bad_input(ctx1, rec):
    with pytest.raises(ek.InvalidArgumentError) as ei:
        rec.recommend("u1")  # not trained yet
    assert ei.value.message
    rec.train({"epochs": 5})
    with pytest.raises(ek.NotFoundError, match="ghost"):
        rec.recommend("ghost")
    with pytest.raises(ek.NotFoundError, match="zz"):
        rec.score("u1", ["a1", "zz"])
    with pytest.raises(ek.InvalidArgumentError):
        rec.add_interactions(["u1", "u2"], ["a1"])
    with pytest.raises(ek.InvalidArgumentError, match="kind"):
        rec.forget("everything", users=["u1"])
    with pytest.raises(ek.EmbedkitError):
        rec.forget("users", users=[])
    with pytest.raises(ek.ParseError):
        rec.train("{not json")
    rec.add_interactions(["w0"], ["a0"], weights=[2.5], timestamps=[1700000000])
    rec.set_items(["a0", "a1"], categorical=[[1, 0], [0, 1]], texts=["first", "second"])
    assert rec.train().epochs == 60
    assert rec.stats().users == 21
    inst = rec.instance
    inst.close()
    with pytest.raises(ek.InvalidArgumentError, match="closed"):
        rec.stats()


# ---- callbacks: the host embedder and the LLM hooks --------------------------------------

SPACE_WORDS = {"space", "orbit", "rocket", "nasa", "astronauts", "astronaut", "telescope",
               "galaxy", "moon", "mars", "planets", "sun", "shuttle", "station"}
SPORT_WORDS = {"team", "match", "game", "football", "goal", "tennis", "player", "players",
               "fans", "coach", "marathon", "race", "scored", "final"}


def word_counts(texts):
    """A deterministic 3-d "sentence encoder": (space words, sport words, 0.1)."""
    out = np.zeros((len(texts), 3), dtype=np.float32)
    for i, t in enumerate(texts):
        words = t.decode("utf-8").lower().split()
        out[i] = (sum(w in SPACE_WORDS for w in words), sum(w in SPORT_WORDS for w in words), 0.1)
    return out


def test_classifier_host_embedder(ctx):
    inst = ctx.create_instance("embedkit.text_classify",
                               {"embedder": "host", "min_num_docs": 3})
    c = inst.classifier()
    calls = []

    def embed(texts):
        calls.append(len(texts))
        return word_counts(texts)

    c.set_embedder(embed, 3)
    c.set_labels(LABELS)
    c.fit(SPACE + SPORT)
    assert calls and c.dim == 3
    p = c.predict(["an astronaut went to orbit on a rocket", "the team lost the match"])
    assert [x.label for x in p] == ["space", "sport"]
    v = c.embed(["rocket team team"])
    assert np.allclose(v[0] / np.linalg.norm(v[0]),
                       np.array([1, 2, 0.1]) / np.linalg.norm([1, 2, 0.1]), atol=1e-5)

    # An exception in the callback fails the call and is re-raised from it.
    def broken(texts):
        raise KeyError("no model")
    c.set_embedder(broken, 3)
    with pytest.raises(KeyError) as ei:
        c.predict(["rocket"])
    assert isinstance(ei.value.__cause__, ek.PluginError)
    c.set_embedder(lambda texts: np.zeros((len(texts), 2)), 3)  # wrong shape
    with pytest.raises(ValueError, match="shape"):
        c.embed(["rocket"])
    with pytest.raises(ek.InvalidArgumentError):
        c.set_embedder(embed, 0)
    with pytest.raises(ek.InvalidArgumentError, match="fn is NULL"):  # no way back to none
        c.set_embedder(None, 3)
    c.set_embedder(embed, 3)
    assert c.predict(["rocket orbit"])[0].label == "space"


def test_matcher_llm_hooks(matcher):
    seen = []

    def context(col):
        seen.append(col.id)
        return "the day the patient was born" if col.name == "birth_dt" else ""

    def judge(col, cand):
        # A "model" that insists patient_id means visit_start.
        if col.name == "patient_id":
            return 1.0 if cand.id == "visit_start" else 0.0
        return 0.5

    matcher.set_llm_hooks(generate_context=context, judge=judge, judge_top_n=4, judge_weight=1.0)
    r = matcher.match(top_k=3)
    assert sorted(seen) == ["patients.birth_dt", "patients.gender_cd", "patients.patient_id"]
    top = {c["name"]: c["candidates"][0] for c in r["columns"]}
    assert top["patient_id"]["id"] == "visit_start" and top["patient_id"]["score"] == 1.0
    # Without the hooks (use_llm=False) the offline model decides again.
    r2 = matcher.match(top_k=3, use_llm=False)
    assert r2["columns"][0]["candidates"][0]["id"] == "person_id"

    matcher.set_llm_hooks(judge=lambda a, b: 1 / 0)
    with pytest.raises(ZeroDivisionError) as ei:
        matcher.match()
    assert isinstance(ei.value.__cause__, ek.PluginError) and "judge" in ei.value.__cause__.message
    matcher.set_llm_hooks()  # clears
    assert matcher.match(top_k=1)["columns"][0]["candidates"][0]["id"] == "person_id"


# ---- VsaProbe -------------------------------------------------------------------------------
# The answers of the C API's tests (tests/plugins/vsa_json/vsa_json_test.cc, VsaJsonProbe.*),
# with the same data as the JS package's extensions.test.mjs and the Rust crate's tests.

VSA_CONFIG = {"dim": 2048, "number_scale": "linear", "number_min": 0, "number_max": 1000}
VSA_DOC = {"name": {"first": "Ada", "last": "Lovelace"}, "tags": ["red", "green", "blue"],
           "price": 420, "ok": True}
MOVIES = [{"title": "Alien", "genre": "Horror", "year": 1979},
          {"title": "Aliens", "genre": "Action", "year": 1986},
          {"title": "Amelie", "genre": "Comedy", "year": 2001},
          {"title": "Heat", "genre": "Crime", "year": 1995}]


@pytest.fixture
def vsa(ctx):
    inst = ctx.create_instance("embedkit.vsa_json", VSA_CONFIG)
    return inst, inst.vsa_probe()


def test_vsa_probe_ranks_the_value_stored_at_a_path_first(vsa):
    inst, vp = vsa
    v = inst.encode(json.dumps(VSA_DOC))
    names = ["Lovelace", "Ada", "Grace"]
    assert vp.probe(v, "name.first", names)[0] == ek.ValueMatch("Ada", pytest.approx(0.34, abs=0.1), 1)
    assert vp.probe(v, "name.last", names)[0].index == 0
    colours = ["green", "red", "blue"]
    assert [vp.probe(v, "tags[%d]" % i, colours, k=1)[0].value for i in range(3)] == [
        "red", "green", "blue"]
    assert vp.probe(v, "ok", [False, True, None])[0].value is True
    assert vp.probe(v, "name.first", [b'"Grace"', b'"Ada"'])[0].index == 1  # bytes: JSON text
    n = vp.decode_number(v, "price")
    assert abs(n.value - 420) < 60 and n.confidence > 0.2


def test_vsa_probe_scores_are_cosines_after_unbinding(vsa):
    inst, vp = vsa
    v = inst.encode(json.dumps(VSA_DOC))
    ranked = vp.probe(v, "name.first", ["Lovelace", "Ada", "Grace", 42])
    assert len(ranked) == 4 and [m.score for m in ranked] == sorted(
        (m.score for m in ranked), reverse=True)
    unbound = vp.bind("name.first", v, transpose=True)
    for m in ranked:
        e = vp.encode_value(m.value)
        assert np.linalg.norm(e) == pytest.approx(1, abs=1e-5)
        assert m.score == pytest.approx(float(unbound @ e) / np.linalg.norm(unbound), abs=1e-4)
    assert len(vp.probe(v, "name.first", ["Lovelace", "Ada", "Grace"], k=2)) == 2


def test_vsa_probe_bind_is_orthogonal_and_its_transpose_unbinds(vsa):
    _inst, vp = vsa
    x = np.random.default_rng(7).standard_normal(vp.dim).astype(np.float32)
    y = vp.bind("name.first[2]", x)
    assert y.shape == (2048,) and y.dtype == np.float32 and not np.allclose(x, y)
    assert np.linalg.norm(y) == pytest.approx(np.linalg.norm(x), rel=1e-4)
    back = np.empty(vp.dim, dtype=np.float32)
    assert vp.bind("name.first[2]", y, transpose=True, out=back) is not None
    assert np.allclose(back, x, atol=1e-4)


def test_vsa_probe_encode_batch_equals_one_encode_per_document(vsa):
    inst, vp = vsa
    docs = ['{"a":1}', '{"b":[true,null]}', '"text"']
    expected = inst.encode(docs)
    for text in ("[" + ", ".join(docs) + "]", "\n".join(docs) + "\n\n"):
        assert np.array_equal(vp.encode_batch(text), expected)
    assert np.array_equal(vp.encode_batch([{"a": 1}]), expected[:1])
    assert vp.encode_batch("").shape == (0, 2048)


def test_vsa_probe_index_similar_probe_collection_and_config(ctx, vsa, tmp_path):
    inst, vp = vsa
    with ctx.open_store(str(tmp_path / "movies.db")) as store:
        vp.index(store, "movies", MOVIES, ids=["m1", "m2", "m3", "m4"])
        hits = vp.similar(store, "movies", {"title": "Alien", "genre": "Horror"}, k=2)
        assert [h.id for h in hits][:1] == ["m1"] and len(hits) == 2
        assert hits[0].metadata == MOVIES[0]
        assert [h.id for h in vp.similar(store, "movies", '{"title": "Alien"}', k=4,
                                         filter={"genre": "Crime"})] == ["m4"]
        v = store.collection("movies").get("m4")
        genres = vp.probe_collection(store, "movies", v, "genre", k=4)
        assert len(genres) == 4 and genres[0].value == "Crime" and genres[0].index is None
        assert {g.value for g in genres} == {"Horror", "Action", "Comedy", "Crime"}
        with pytest.raises(ek.NotFoundError):
            vp.probe_collection(store, "movies", v, "director")
        # The recorded configuration makes an instance that encodes like the collection.
        config = vp.collection_config(store, "movies")
        assert config["dim"] == 2048 and config["number_max"] == 1000
        again = ctx.create_instance("embedkit.vsa_json", config)
        assert np.array_equal(again.encode(json.dumps(MOVIES[3], separators=(",", ":"))), v)
        with pytest.raises(ek.NotFoundError):
            vp.collection_config(store, "nothing")
        vp.index(store, "plain", ['{"k": 1}', '{"k": 2}'], store_documents=False)  # ids "0", "1"
        assert store.collection("plain").get_with_metadata("1")[1] is None


def test_vsa_probe_refuses_bad_input_with_the_plugins_message(ctx, vsa):
    inst, vp = vsa
    v = inst.encode(json.dumps(VSA_DOC))
    with pytest.raises(ek.DimensionMismatchError, match="5 floats"):
        vp.probe(v[:5], "name", ["Ada"])
    with pytest.raises(ek.InvalidArgumentError, match="array position"):
        vp.probe(v, "a[", ["Ada"])
    with pytest.raises(ek.InvalidArgumentError):
        vp.probe(v, "a", ["Ada"], k=0)
    with pytest.raises(ek.ParseError, match="candidate 0"):
        vp.probe(v, "a", [b"{nope"])
    with pytest.raises(ek.InvalidArgumentError, match="4 documents but 1 ids"):
        vp.index(ctx.open_store(":memory:"), "m", MOVIES, ids=["x"])
    with pytest.raises(ek.UnsupportedError, match="ek.vsa_probe/1"):
        ctx.create_instance("embedkit.rec_unlearn", {}).vsa_probe()
    inst.close()
    with pytest.raises(ek.InvalidArgumentError, match="closed"):
        vp.decode_number(np.zeros(2048, dtype=np.float32), "price")
