#!/usr/bin/env python3
"""`embedkit classify` with no --embedder: the default embedder is chosen from the
corpus at fit (docs/text_classify.md, "The default embedder"; issue 17 item 6).

Usage: test_cli_classify_default.py --binary PATH [--data DIR --glove FILE] [unittest args]

Without --data: inline keyword-separable documents; the choice shows in --json
(`model.auto`), is saved with the model, and a missing GloVe table falls back to
doc2vec with a warning on stderr. With --data (../shared/data/text) and --glove: on
SMS Spam (5,574 short messages) the default scores within 0.02 micro-F1 of the best
named embedder; exit 77 when either is absent.
"""
import argparse
import json
import os
import random
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402
from test_cli import run, run_json  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SMS_LABELS = os.path.join(HERE, "..", "plugins", "text_classify", "labels", "sms_spam.json")
DATA_DIR = None
GLOVE = None

SPACE = "nasa orbit launch moon rocket satellite astronaut shuttle mars telescope planet mission".split()
SPORT = "hockey goal team player season coach league score match stadium fans referee".split()
COMMON = "the a of and to in is it that was for on with".split()


class TempDir(test_cli.TempDir):
    def corpus(self):
        """120 documents of 20 words (mean 20 tokens: neither very short nor long)."""
        rng = random.Random(7)
        lines = []
        for i in range(60):
            for label, words in (("space", SPACE), ("sport", SPORT)):
                text = " ".join(rng.choice(words) if rng.random() < 0.5 else rng.choice(COMMON)
                                for _ in range(20))
                lines.append(json.dumps({"id": f"{label}{i}", "label": label, "text": text}))
        docs = self.write("docs.jsonl", "\n".join(lines) + "\n")
        labels = self.write("labels.json", json.dumps(
            {"labels": {"space": ["nasa", "rocket", "orbit"], "sport": ["hockey", "team", "league"]}}))
        return docs, labels


class DefaultEmbedder(TempDir):
    def test_without_glove_falls_back_to_doc2vec_with_a_warning(self):
        docs, labels = self.corpus()
        cfg = '{"min_num_docs":5,"glove_path":"' + self.path("missing.ekwv") + '"}'
        code, out, err = run("classify", "eval", "-l", labels, "-d", docs, "--split", "all",
                             "--config", cfg, "--json", expect=0)
        r = json.loads(out)
        auto = r["model"]["auto"]
        self.assertEqual(auto["chose"], "doc2vec", auto)
        self.assertFalse(auto["glove_available"], auto)
        self.assertEqual((auto["documents"], auto["tokens"]), (120, 2400), auto)
        self.assertEqual(r["model"]["embedder"], "doc2vec")
        self.assertIn("missing.ekwv", err)
        self.assertIn("doc2vec alone", err)
        self.assertGreaterEqual(r["micro_f1"], 0.9, r)

    def test_choice_is_saved_with_the_model_and_used_by_predict(self):
        docs, labels = self.corpus()
        db = self.path("m.db")
        cfg = '{"min_num_docs":5,"glove_path":"' + self.path("missing.ekwv") + '"}'
        r = run_json("classify", "fit", "-l", labels, "-d", docs, "-s", db, "-m", "topics", "--config", cfg)
        self.assertEqual(r["info"]["auto"]["chose"], "doc2vec", r["info"])
        # The config in force carries the rule's settings (small corpus: sample 1e-3).
        self.assertEqual(r["info"]["config"]["sample"], 0.001, r["info"]["config"])
        self.assertEqual(r["info"]["config"]["embedder"], "doc2vec", r["info"]["config"])
        new = self.write("new.jsonl", json.dumps({"id": "n1", "text": "the rocket and the moon orbit"}) + "\n" +
                         json.dumps({"id": "n2", "text": "the team and the hockey league"}) + "\n")
        _, out, _ = run("classify", "predict", "-s", db, "-m", "topics", "-d", new, expect=0)
        got = {x["id"]: x["label"] for x in map(json.loads, out.splitlines())}
        self.assertEqual(got, {"n1": "space", "n2": "sport"})

    def test_named_doc2vec_keeps_the_lbl2vec_settings(self):
        docs, labels = self.corpus()
        r = run_json("classify", "eval", "-l", labels, "-d", docs, "--split", "all", "--embedder", "doc2vec",
                     "--config", '{"min_num_docs":5,"min_count":1,"epochs":2,"vector_size":16}')
        self.assertNotIn("auto", r["model"])
        self.assertEqual(r["model"]["config"].get("sample"), None, "Lbl2Vec's 1e-5 is the plugin's own default")
        self.assertEqual(r["model"]["embedder"], "doc2vec")


class DefaultEmbedderRealData(unittest.TestCase):
    """SMS Spam: 5,574 messages of 16 tokens on average, keywords from the class names."""

    def eval(self, *extra):
        return run_json("classify", "eval", "-l", SMS_LABELS, "-d", os.path.join(DATA_DIR, "sms_spam.jsonl"),
                        "--split", "all", "--glove", GLOVE, "--threads", "2", *extra)

    def test_default_within_two_points_of_the_best_named_embedder(self):
        single = {e: self.eval("--embedder", e)["micro_f1"] for e in ("doc2vec", "glove", "hashing")}
        best = max(single, key=single.get)
        d = self.eval()
        print(f"sms_spam micro-F1: {single}, default {d['micro_f1']:.4f} ({d['model']['embedder']})")
        self.assertGreaterEqual(d["micro_f1"], single[best] - 0.02, (single, d["model"].get("auto")))
        self.assertGreaterEqual(d["micro_f1"], 0.75, "short texts must not collapse")


def main():
    global DATA_DIR, GLOVE
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data")
    parser.add_argument("--glove")
    args, rest = parser.parse_known_args()
    test_cli.BINARY = os.path.abspath(args.binary)
    if args.data is not None:
        DATA_DIR, GLOVE = args.data, args.glove
        for need in (os.path.join(DATA_DIR, "sms_spam.jsonl"), GLOVE or ""):
            if not os.path.exists(need):
                print(f"skipped: {need or 'no --glove'} not found (../shared/data is read in place; "
                      "scripts/setup.sh converts GloVe)")
                sys.exit(77)
        rest = ["DefaultEmbedderRealData", *rest]
    else:
        rest = ["DefaultEmbedder", *rest]
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
