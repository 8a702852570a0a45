#!/usr/bin/env python3
"""embedkit.dask benchmark (issue 23 item 6): 2 workers vs 1 on a LocalCluster of this
host, in one run, for

* encoding: text_classify prediction (``embedkit.dask.predict``, a model fitted with the
  hashing embedder on the 20 Newsgroups training split and saved in a store) over all
  18,846 documents of ../shared/data/text/20newsgroups.jsonl, in 16 partitions;
* search throughput: --words GloVe 6B 100-d words (.deps/glove) in a cosine collection
  of 2 shards (the same 2 shards in both runs: with 1 worker it owns both), --queries
  held-out-free queries (every n-th word) in batches of --batch, k = 10, exact;
* the merge overhead: the client's top-k merge (embedkit.dask.search.merge_topk, timed
  in place) against the whole call and the shards' tasks: each batch again through
  shard_ops.search (what a search call runs on each shard) and through the shard's
  embedkit collection alone, both timed on the shard's worker through map_shards.

Every worker is one process with one task thread and a one-thread embedkit context.
Prints the host's core count and load average before and after each part: on a shared
host the absolute figures move with the other work (say so when quoting them).

    EMBEDKIT_LIBRARY=build/sdk/capi/libembedkit.so PYTHONPATH=bindings/python \\
      python3 tests/bench/dask/run.py

Exits 77 (skipped) naming what is missing (dask, the corpus or GloVe).
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GLOVE = os.path.join(ROOT, ".deps", "glove", "glove-6b-100d.ekwv")
SHARED = os.environ.get("EMBEDKIT_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
NEWS = os.path.join(SHARED, "text", "20newsgroups.jsonl")
NEWS_LABELS = os.path.join(SHARED, "text", "labels", "20newsgroups.json")


def skip(why):
    print("skipped: " + why)
    sys.exit(77)


try:
    import dask.bag as db
    from distributed import Client, LocalCluster
except ImportError as e:
    skip("needs dask and distributed (Debian: python3-dask python3-distributed): %s" % e)
import embedkit
import embedkit.dask as ekd
import embedkit.dask.collection as ekd_collection
from embedkit.dask import shard_ops

# The .ekwv reader of the sample (samples/dask/corpus_on_dask.py): one copy of it.
sys.path.insert(0, os.path.join(ROOT, "samples", "dask"))
from corpus_on_dask import glove_words  # noqa: E402
from embedkit.dask.search import merge_topk


def host_line(what):
    load = os.getloadavg()
    return "%s: %d cores (os.cpu_count), load average %.2f %.2f %.2f" % (
        what, os.cpu_count(), *load)


def fit_model(ctx, model_file):
    docs = [json.loads(line) for line in open(NEWS, encoding="utf-8")]
    with open(NEWS_LABELS, encoding="utf-8") as f:
        labels = json.load(f)["labels"]
    with ctx.open_store(model_file) as store:
        c = ctx.create_instance("embedkit.text_classify", {"embedder": "hashing"}).classifier()
        c.set_labels(labels)
        c.fit([d["text"] for d in docs if d["split"] == "train"])
        c.save(store, "news")
    return [d["text"] for d in docs]


class TimedMerge:
    """Wraps the collection's merge_topk to add up the client's merge time."""

    def __init__(self):
        self.seconds, self.calls = 0.0, 0

    def __call__(self, per_shard, k, metric):
        start = time.perf_counter()
        out = merge_topk(per_shard, k, metric)
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return out


def shard_search_seconds(access, batches, k):
    """On a shard's owner: the shard's own embedkit search of every batch, in seconds."""
    start = time.perf_counter()
    for batch in batches:
        with access.collection.search(batch, k=k) as res:
            len(res)
    return time.perf_counter() - start


def shard_task_seconds(access, specs, batches, k):
    """On a shard's owner: the whole shard task of every batch (shard_ops.search: the
    batched search, the searches again of queries tied at the k-th score, and the hits'
    sequence-record reads), in seconds."""
    options = {"filter": None, "include_metadata": False, "ef": 0, "exact": False,
               "rescore": 0}
    start = time.perf_counter()
    for batch in batches:
        shard_ops.search(specs[access.shard], batch, k, options)
    return time.perf_counter() - start


def encoding(client, model_file, texts, partitions):
    bag = db.from_sequence(texts, npartitions=partitions)
    ekd.predict(db.from_sequence(texts[:64], npartitions=2), model_file, "news").compute()
    start = time.perf_counter()
    predictions = ekd.predict(bag, model_file, "news").compute()
    seconds = time.perf_counter() - start
    assert len(predictions) == len(texts)
    return seconds, [p.label for p in predictions]


def search(client, root, words, vectors, args):
    coll = ekd.ShardedCollection.create(client, root, "words", dim=vectors.shape[1],
                                        metric="cosine", shards=2)
    rows = [(w, vectors[i]) for i, w in enumerate(words)]
    start = time.perf_counter()
    coll.upsert(db.from_sequence(rows, npartitions=8))
    load_s = time.perf_counter() - start
    step = max(1, len(words) // args.queries)
    queries = np.ascontiguousarray(vectors[::step][:args.queries])
    batches = [queries[i:i + args.batch] for i in range(0, len(queries), args.batch)]
    coll.search(batches[0], k=args.k)  # warm: collections open, copies loaded
    timed = TimedMerge()
    ekd_collection.merge_topk = timed
    try:
        start = time.perf_counter()
        answers = [hits for batch in batches for hits in coll.search(batch, k=args.k)]
        wall = time.perf_counter() - start
    finally:
        ekd_collection.merge_topk = merge_topk
    shard_s = coll.map_shards(shard_search_seconds, batches, args.k)
    specs = [coll._spec(s) for s in range(coll.shards)]  # what coll.search sends each shard
    task_s = coll.map_shards(shard_task_seconds, specs, batches, args.k)
    return {"rows": coll.count(), "load_s": load_s, "wall_s": wall, "queries": len(queries),
            "merge_s": timed.seconds, "merges": timed.calls, "shard_s": shard_s,
            "task_s": task_s,
            "answers": [[h.id for h in a] for a in answers],
            "placement": [w for _, w, _ in coll.placement()]}


def run_cluster(workers, args, model_file, texts, words, vectors, scratch):
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=":0")
    client = Client(cluster)
    try:
        ekd.setup_workers(client, num_threads=1)
        print(host_line("%d worker(s), start" % workers), flush=True)
        enc_s, labels = encoding(client, model_file, texts, args.partitions)
        print(host_line("%d worker(s), after encoding" % workers), flush=True)
        found = search(client, os.path.join(scratch, "w%d" % workers), words, vectors, args)
        print(host_line("%d worker(s), after search" % workers), flush=True)
    finally:
        client.close()
        cluster.close()
    return enc_s, labels, found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--words", type=int, default=50000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--partitions", type=int, default=16)
    args = ap.parse_args()
    missing = [p for p in (GLOVE, NEWS, NEWS_LABELS) if not os.path.exists(p)]
    if missing:
        skip("not found: %s" % ", ".join(missing))
    print("embedkit %s, dask %s, Python %s, %s" % (
        embedkit.version(), __import__("dask").__version__, platform.python_version(),
        platform.processor() or platform.machine()))
    print(host_line("host") + " (a shared host: other work runs beside this benchmark)")
    words, vectors = glove_words(GLOVE, args.words)
    with tempfile.TemporaryDirectory(prefix="ek-dask-bench-") as scratch, \
            embedkit.Context(num_threads=1) as ctx:
        model_file = os.path.join(scratch, "news-model.db")
        texts = fit_model(ctx, model_file)
        results = {w: run_cluster(w, args, model_file, texts, words, vectors, scratch)
                   for w in (1, 2)}
    (enc1, labels1, s1), (enc2, labels2, s2) = results[1], results[2]
    assert labels1 == labels2, "1 and 2 workers predicted differently"
    assert s1["answers"] == s2["answers"], "1 and 2 workers found different neighbours"
    print()
    print("encoding: text_classify predict (hashing), %d 20 Newsgroups documents, %d partitions"
          % (len(texts), args.partitions))
    print("  1 worker : %6.2f s  %8.0f docs/s" % (enc1, len(texts) / enc1))
    print("  2 workers: %6.2f s  %8.0f docs/s  speed-up %.2fx" % (enc2, len(texts) / enc2,
                                                                  enc1 / enc2))
    print("search: %d GloVe words, 2 shards (owners: 1 worker %s, 2 workers %s), %d queries "
          "in batches of %d, k = %d, exact" % (s1["rows"], s1["placement"], s2["placement"],
                                                s1["queries"], args.batch, args.k))
    for w, s in ((1, s1), (2, s2)):
        qps = s["queries"] / s["wall_s"]
        line = "  %d worker%s: %6.2f s  %8.0f queries/s" % (w, "s" if w > 1 else " ",
                                                            s["wall_s"], qps)
        if w == 2:
            line += "  speed-up %.2fx" % (s1["wall_s"] / s["wall_s"])
        print(line)
    print("merge overhead (per search call of %d queries):" % args.batch)
    for w, s in ((1, s1), (2, s2)):
        calls = s["merges"]
        serial = sum if w == 1 else max  # one worker runs its two shard tasks in turn
        rest = s["wall_s"] - s["merge_s"] - serial(s["task_s"])
        print("  %d worker%s: whole call %.2f ms = client merge %.2f ms (%.1f%%) + shard "
              "tasks %.2f ms (%s; each: %s ms, of which the collection's own search %s ms) "
              "+ the rest (Dask submit/gather, run_pinned's supervision) %.2f ms"
              % (w, "s" if w > 1 else " ", 1e3 * s["wall_s"] / calls,
                 1e3 * s["merge_s"] / calls, 100 * s["merge_s"] / s["wall_s"],
                 1e3 * serial(s["task_s"]) / calls, "both in turn" if w == 1 else "slowest",
                 "/".join("%.2f" % (1e3 * t / calls) for t in s["task_s"]),
                 "/".join("%.2f" % (1e3 * t / calls) for t in s["shard_s"]),
                 1e3 * rest / calls))
    print("same predictions and neighbours with 1 and 2 workers")
    print(host_line("host, end"))


if __name__ == "__main__":
    main()
