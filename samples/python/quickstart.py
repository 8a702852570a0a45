#!/usr/bin/env python3
"""embedkit from Python: a vector store with numpy in and out, a recommender that
forgets a user on request, and table metadata matched to a glossary.

    pip install ./bindings/python          # or PYTHONPATH=bindings/python
    EMBEDKIT_LIBRARY=build/sdk/capi/libembedkit.so python3 samples/python/quickstart.py

Run by the test command (tests/bindings/python, ctest python_sample).
"""
import numpy as np

import embedkit

with embedkit.Context(num_threads=1) as ctx:
    print(f"embedkit {embedkit.version()}, plugins: {', '.join(p.id for p in ctx.plugins())}")

    # Vectors: numpy in, numpy out.
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((1000, 64), dtype=np.float32)
    with ctx.open_store(":memory:") as store:
        docs = store.create_collection("docs", 64, "cosine")
        docs.upsert([f"doc-{i}" for i in range(1000)], vectors)
        query = vectors[42] + 0.05 * rng.standard_normal(64, dtype=np.float32)
        hits = docs.search(query, k=3)[0]
        print("nearest to a noisy copy of doc-42:", [(h.id, round(h.score, 3)) for h in hits])
        assert hits[0].id == "doc-42"

        # A recommender: two taste groups; then user a0 is forgotten (MMRecUn).
        rec_inst = ctx.create_instance("embedkit.rec_unlearn",
                                       {"dim": 16, "epochs": 60, "seed": 7, "text_dim": 0})
        rec = rec_inst.recommender()
        pairs = [(f"a{u}", f"x{i}") for u in range(10) for i in range(8) if (u + i) % 4] + \
                [(f"b{u}", f"y{i}") for u in range(10) for i in range(8) if (u + i) % 4 != 1]
        rec.add_interactions([u for u, _ in pairs], [i for _, i in pairs])
        rec.train()
        top = rec.recommend("a1", k=2)
        print("a1 gets:", top)
        assert all(item.startswith("x") for item, _ in top)
        rec.save(store, "shop")
        report = rec.forget("users", users=["a0"])
        print(f"forgot a0: {report.interactions_removed} interactions, ledger digest {report.digest[:16]}...")
        rec_inst.close()

    # Table metadata to a glossary, offline.
    with ctx.create_instance("embedkit.table_match", {"wordvec": "none"}) as inst:
        m = inst.matcher()
        m.load("source", "CREATE TABLE p (birth_dt DATE -- date of birth\n, gender_cd CHAR(1) -- sex\n);")
        m.load("target", '[{"id":"birth_date","label":"Birth date"},{"id":"gender","label":"Gender","synonyms":["sex"]}]')
        for col in m.match(top_k=1)["columns"]:
            best = col["candidates"][0]
            print(f"{col['table']}.{col['name']} -> {best['id']} ({best['score']:.2f})")
print("ok")
