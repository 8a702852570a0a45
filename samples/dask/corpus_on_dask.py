#!/usr/bin/env python3
"""embedkit on a Dask cluster (embedkit.dask), on real data:

1. Search: the 20,000 most frequent GloVe words (.deps/glove, from scripts/setup.sh) in
   a collection split over 4 shards on 2 worker processes; the neighbours of a few words
   merged from the shards are exactly those of one store holding every word.
2. Classification: a text_classify model fitted on Reuters R8's training split from
   keywords alone (../shared/data/text) and saved in a store file, then the test split
   classified on the workers (map_partitions, the model loaded once per worker); the
   predictions equal one process's.

    EMBEDKIT_LIBRARY=build/sdk/capi/libembedkit.so PYTHONPATH=bindings/python \\
      python3 samples/dask/corpus_on_dask.py

It starts a LocalCluster of 2 worker processes on 127.0.0.1 (for a cluster of several
hosts, docs/distributed.md: replace it with Client("tcp://SCHEDULER:8786")). Needs
Debian's python3-dask and python3-distributed. Exits 77 (skipped) naming what is
missing. Run by the test command (ctest python_dask_sample).
"""
import json
import os
import struct
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GLOVE = os.path.join(ROOT, ".deps", "glove", "glove-6b-100d.ekwv")
SHARED = os.environ.get("EMBEDKIT_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
R8 = os.path.join(SHARED, "text", "r8.jsonl")
R8_LABELS = os.path.join(SHARED, "text", "labels", "r8.json")
WORDS = 20000
QUERIES = ["king", "paris", "computer", "river", "music"]


def skip(why):
    print("skipped: " + why)
    sys.exit(77)


try:
    import dask.bag as db
    from distributed import Client, LocalCluster
except ImportError as e:
    skip("embedkit.dask needs dask and distributed (Debian: python3-dask "
         "python3-distributed, installed by scripts/setup.sh): %s" % e)
import embedkit
import embedkit.dask as ekd


def glove_words(path, n):
    """The first ``n`` words of an .ekwv file (frequency order) and their vectors."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:8] != b"EKWVEC1\0":
            raise SystemExit("%s: not an .ekwv file (run scripts/setup.sh)" % path)
        dim = struct.unpack_from("<I", head, 8)[0]
        words_offset, strings_offset, vectors_offset = struct.unpack_from("<QQQ", head, 40)
        f.seek(words_offset)
        ends = struct.unpack("<%dQ" % (n + 1), f.read((n + 1) * 8))
        f.seek(strings_offset)
        strings = f.read(ends[n])
        f.seek(vectors_offset)
        vectors = np.frombuffer(f.read(n * dim * 4), dtype=np.float32).reshape(n, dim)
    return [strings[ends[i]:ends[i + 1]].decode("utf-8") for i in range(n)], vectors


def sharded_search(client, ctx, root):
    words, vectors = glove_words(GLOVE, WORDS)
    coll = ekd.ShardedCollection.create(client, os.path.join(root, "glove"), "words",
                                        dim=vectors.shape[1], metric="cosine", shards=4)
    rows = [(w, vectors[i], {"rank": i + 1}) for i, w in enumerate(words)]
    start = time.perf_counter()
    coll.upsert(db.from_sequence(rows, npartitions=8))
    print("%d GloVe words upserted into %d shards on %d workers in %.1f s"
          % (coll.count(), coll.shards, len({w for _, w, _ in coll.placement()}),
             time.perf_counter() - start))
    for shard, worker, path in coll.placement():
        print("  shard %d on worker %s: %s" % (shard, worker, os.path.basename(path)))

    store = ctx.open_store(":memory:")
    one = store.create_collection("words", vectors.shape[1], "cosine")
    one.upsert(words, vectors, [{"rank": i + 1} for i in range(len(words))])
    queries = vectors[[words.index(q) for q in QUERIES]]
    merged = coll.search(queries, k=6)
    with one.search(queries, k=6) as res:
        single = [res.hits(q) for q in range(len(QUERIES))]
    for q, word in enumerate(QUERIES):
        print("  %-8s -> %s" % (word, " ".join(h.id for h in merged[q][1:])))
        assert [h.id for h in merged[q]] == [h.id for h in single[q]], word
    rare = coll.search(queries[0], k=3, filter={"rank": {"$gt": 5000}})[0]
    print("  king, only words ranked past 5,000: %s" % " ".join(h.id for h in rare))
    assert all(one.get_with_metadata(h.id)[1]["rank"] > 5000 for h in rare)
    print("the merged neighbours equal one store's with every word")
    store.close()


def distributed_classification(ctx, root):
    docs = [json.loads(line) for line in open(R8, encoding="utf-8")]
    with open(R8_LABELS, encoding="utf-8") as f:
        labels = json.load(f)["labels"]
    train = [d["text"] for d in docs if d["split"] == "train"]
    test = [d for d in docs if d["split"] == "test"]
    model_file = os.path.join(root, "r8-model.db")
    with ctx.open_store(model_file) as store:
        classifier = ctx.create_instance("embedkit.text_classify",
                                         {"embedder": "hashing"}).classifier()
        classifier.set_labels(labels)
        classifier.fit(train)
        classifier.save(store, "r8")
        local = classifier.predict([d["text"] for d in test])
    texts = db.from_sequence([d["text"] for d in test], npartitions=8)
    start = time.perf_counter()
    predicted = ekd.predict(texts, model_file, "r8").compute()
    seconds = time.perf_counter() - start
    accuracy = sum(p.label == d["label"] for p, d in zip(predicted, test)) / len(test)
    print("R8: %d test documents classified on the workers in %.1f s, accuracy %.3f "
          "(keywords only, hashing embedder)" % (len(test), seconds, accuracy))
    assert [p.label for p in predicted] == [p.label for p in local]
    print("the workers' predictions equal one process's")
    assert accuracy > 0.6, accuracy


def main():
    missing = [p for p in (GLOVE, R8, R8_LABELS) if not os.path.exists(p)]
    if missing:
        skip("not found: %s (GloVe: scripts/setup.sh; the corpus: ../shared/data, read in "
             "place)" % ", ".join(missing))
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=":0")
    client = Client(cluster)
    try:
        ekd.setup_workers(client, num_threads=1)
        # The shard files must be at the same path on every worker's host: on one host
        # a temporary folder does; on several, pass a folder that exists on each.
        with tempfile.TemporaryDirectory(prefix="embedkit-dask-sample-") as root, \
                embedkit.Context(num_threads=1) as ctx:
            sharded_search(client, ctx, root)
            distributed_classification(ctx, root)
    finally:
        client.close()
        cluster.close()
    print("ok")


if __name__ == "__main__":
    main()
