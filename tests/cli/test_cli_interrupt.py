#!/usr/bin/env python3
"""Ctrl-C and failed commands: progress on a terminal, exit 130, no store left behind.

Usage: test_cli_interrupt.py --binary PATH [unittest args]

Each long operation runs with stderr on a pseudo-terminal (the CLI draws its progress
bar only on a terminal). The test waits until the bar shows that the work has started
(never a fixed sleep), sends one SIGINT, and asserts exit 130 within two seconds and
that a store the command created is gone. The other tests check that a command that
fails leaves no store file behind, while a store that existed before is kept.
"""
import argparse
import json
import os
import pty
import random
import select
import signal
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402
import test_cli_plugins  # noqa: E402  (TempDir)
from test_cli import run  # noqa: E402

# How long a SIGINT may take to end a command (the brief: "within a second"; the
# margin is for a loaded test machine).
STOP_WITHIN_S = 2.0


def store_files(path):
    """The store file and its SQLite companions that exist."""
    return [p for p in (path, path + "-wal", path + "-shm", path + "-journal") if os.path.exists(p)]


class Interrupted:
    """Runs the binary with stderr on a pty; `wait_for` reads until a marker shows up."""

    def __init__(self, args):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([test_cli.BINARY, *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        self.seen = b""

    def _read(self, timeout):
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)

    def wait_for(self, marker, timeout=120):
        deadline = time.monotonic() + timeout
        while marker not in self.seen:
            if time.monotonic() > deadline or (self.proc.poll() is not None and not self._read(0)):
                raise AssertionError(f"no {marker!r} on the terminal (exit {self.proc.poll()}); "
                                     f"stderr so far: {self.seen[-500:]!r}")
            self._read(0.05)

    def close(self):
        """Kills the child if it still runs (a failed test) and closes the pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self._close_terminal()

    def _close_terminal(self):
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def interrupt(self):
        """Sends SIGINT; returns (exit code, seconds until exit, stdout)."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            # Keep draining the terminal so that the child never blocks writing to it.
            while self.proc.poll() is None and time.monotonic() - start < 60:
                self._read(0.01)
            elapsed = time.monotonic() - start
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            while self._read(0):
                pass
            self._close_terminal()
        out = self.proc.stdout.read()
        return self.proc.returncode, elapsed, out


class TempDir(test_cli_plugins.TempDir):
    def interactions(self):
        """3,000 users x 40 interactions with 2,000 items: each epoch takes a while."""
        rng = random.Random(1)
        lines = [f"u{u}\ti{rng.randrange(2000)}\t5\t{k}" for u in range(3000) for k in range(40)]
        return self.write("big.tsv", "\n".join(lines) + "\n")

    def assert_stopped(self, run_, marker, what):
        self.addCleanup(run_.close)
        run_.wait_for(marker)
        code, elapsed, out = run_.interrupt()
        text = run_.seen.decode("utf-8", "replace")
        self.assertEqual(code, 130, f"{what}: exit {code}; stderr: {text[-500:]}")
        self.assertLess(elapsed, STOP_WITHIN_S, f"{what}: took {elapsed:.2f} s to stop after SIGINT")
        self.assertIn("cancelled", text)
        self.assertEqual(out, b"")


class CtrlC(TempDir):
    def test_json_encode_dense(self):
        # One document with 300 keys: 300 dense 512 x 512 role matrices, tens of seconds.
        doc = self.write("doc.json", json.dumps({f"key{i}": i for i in range(300)}) + "\n")
        db = self.path("j.db")
        r = Interrupted(["json", "encode", doc, "--db", db, "-c", "c", "--binding", "dense",
                         "--dim", "512"])
        self.assert_stopped(r, b"vsa_json dense role matrix", "json encode --binding dense")
        self.assertEqual(store_files(db), [], "the cancelled encode left its new store behind")

    def test_store_index_build(self):
        # 20,000 rows of dim 8 linked with a wide beam: seconds of "index build". The
        # cancelled build keeps the collection as it was (deferred: state building).
        rng = random.Random(4)
        vectors = self.path("v.f32")
        with open(vectors, "wb") as f:
            f.write(struct.pack("<160000f", *(rng.uniform(-1, 1) for _ in range(160000))))
        db = self.path("i.db")
        run("store", "create", db, "-c", "v", "--dim", "8", "--index", "hnsw", "--defer-build",
            expect=0)
        run("store", "import", db, "-c", "v", "--vectors", vectors, "--batch", "20000", expect=0)
        r = Interrupted(["store", "index", db, "-c", "v", "--ef-construction", "400"])
        self.assert_stopped(r, b"index build", "store index")
        _, out, _ = run("store", "info", db, "-c", "v", "--json", expect=0)
        self.assertEqual("building", json.loads(out)["collections"][0]["index"]["state"])

    def test_rec_train(self):
        db = self.path("r.db")
        r = Interrupted(["rec", "train", db, "-i", self.interactions(), "--config",
                         '{"epochs":100000,"text_dim":0}'])
        self.assert_stopped(r, b"rec_unlearn train", "rec train")
        self.assertEqual(store_files(db), [], "the cancelled rec train left its new store behind")

    def test_rec_eval(self):
        r = Interrupted(["rec", "eval", "-i", self.interactions(), "--forget", "users",
                         "--config", '{"epochs":100000,"text_dim":0}'])
        self.assert_stopped(r, b"rec_unlearn train", "rec eval")

    def corpus(self, documents):
        rng = random.Random(2)
        words = ["rocket", "orbit", "space", "team", "game", "score"] + [f"w{i}" for i in range(3000)]
        docs = [json.dumps({"id": f"d{i}", "text": " ".join(rng.choice(words) for _ in range(60))})
                for i in range(documents)]
        data = self.write("docs.jsonl", "\n".join(docs) + "\n")
        labels = self.write("labels.json", json.dumps(
            {"labels": {"space": ["rocket", "orbit", "space"], "sport": ["team", "game", "score"]}}))
        return data, labels

    def test_classify_fit(self):
        data, labels = self.corpus(3000)
        db = self.path("c.db")
        r = Interrupted(["classify", "fit", "-l", labels, "-d", data, "-s", db, "-m", "m",
                         "--embedder", "doc2vec", "--config", '{"epochs":1000,"min_num_docs":2}'])
        self.assert_stopped(r, b"doc2vec train", "classify fit")
        self.assertEqual(store_files(db), [])

    def test_classify_fit_while_tokenizing(self):
        # The passes over the corpus before training (the vocabulary, the word ids)
        # take seconds on a large corpus: they show progress and stop too.
        data, labels = self.corpus(30000)
        db = self.path("c.db")
        r = Interrupted(["classify", "fit", "-l", labels, "-d", data, "-s", db, "-m", "m",
                         "--embedder", "doc2vec", "--config", '{"epochs":1000,"min_num_docs":2}'])
        self.assert_stopped(r, b"text_classify vocabulary", "classify fit (tokenizing)")
        self.assertEqual(store_files(db), [])

    def test_match(self):
        # 3,000 columns against 3,000 glossary terms: 9 M pairs, seconds of scoring.
        rng = random.Random(3)
        words = ["date", "birth", "gender", "visit", "start", "code", "name", "amount", "price",
                 "status", "type", "patient", "order", "customer", "address", "city"]
        tables = []
        for t in range(60):
            cols = ",\n".join(f"  {rng.choice(words)}_{rng.choice(words)}_{t * 50 + c} VARCHAR(10)"
                              for c in range(50))
            tables.append(f"CREATE TABLE t{t} (\n{cols}\n);\n")
        src = self.write("big.sql", "".join(tables))
        tgt = self.write("big.json", json.dumps([
            {"id": f"g{i}", "label": f"{rng.choice(words)} {rng.choice(words)}",
             "description": " ".join(rng.choice(words) for _ in range(6))} for i in range(3000)]))
        r = Interrupted(["match", "-s", src, "-t", tgt, "-k", "1", "--config", '{"wordvec":"none"}'])
        self.assert_stopped(r, b"table_match scoring", "match")


class NothingLeftOnFailure(TempDir):
    def test_json_encode_bad_document(self):
        db = self.path("j.db")
        bad = self.write("bad.ndjson", '{"a": 1}\n{"a": [1, 2\n')
        code, _, err = run("json", "encode", bad, "--db", db, "-c", "c", expect=1)
        self.assertIn("malformed JSON", err)
        self.assertEqual(store_files(db), [], "a failed encode left an (empty) store behind")

    def test_json_encode_failure_keeps_an_existing_store(self):
        db = self.path("j.db")
        good = self.write("good.ndjson", '{"a": 1}\n{"a": 2}\n')
        run("json", "encode", good, "--db", db, "-c", "c", expect=0)
        bad = self.write("bad.ndjson", '{"a": [1, 2\n')
        run("json", "encode", bad, "--db", db, "-c", "d", expect=1)
        self.assertTrue(os.path.exists(db), "a failed encode removed a store that existed before")
        _, out, _ = run("store", "info", db, "--json", expect=0)
        self.assertIn('"c"', out)

    def test_json_encode_dense_dim_limit(self):
        db = self.path("j.db")
        doc = self.write("doc.json", '{"a": 1}\n')
        code, _, err = run("json", "encode", doc, "--db", db, "-c", "c", "--binding", "dense",
                           "--dim", "2048", expect=1)
        self.assertIn("EK_ERR_LIMIT", err)
        self.assertIn("512", err)
        self.assertEqual(store_files(db), [])
        _, out, _ = run("json", "encode", "--help", expect=0)
        self.assertIn("at most 512", out)
        run("json", "encode", doc, "--db", db, "-c", "c", "--binding", "dense", "--dim", "512",
            expect=0)

    def test_rec_train_unreadable_input(self):
        db = self.path("r.db")
        code, _, err = run("rec", "train", db, "-i", self.path("missing.tsv"), expect=1)
        self.assertIn("missing.tsv", err)
        self.assertEqual(store_files(db), [], "a failed rec train left an (empty) store behind")

    def test_rec_forget_missing_store(self):
        db = self.path("missing.db")
        code, _, err = run("rec", "forget", db, "--users", "a", expect=1)
        self.assertIn("no such store", err)
        self.assertEqual(store_files(db), [], "rec forget created a store")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    test_cli.BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0], *rest])


if __name__ == "__main__":
    main()
