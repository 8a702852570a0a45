#!/usr/bin/env python3
"""Black-box tests of `embedkit classify`, `embedkit match` and `embedkit rec`.

Usage: test_cli_plugins.py --binary PATH [unittest args]

Small inline data with answers that follow from how the data is built (two taste
groups of users, keyword-separable topics, obviously named columns); each command's
exit code, --json document and error messages are checked, including the read-only
paths (recommend and predict open the store read-only).
"""
import json
import os
import sys
from unittest import mock

# The runner of test_cli.py (same folder): run(*args, expect=...) and run_json(*args).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402
from test_cli import TempDir, run, run_json  # noqa: E402
from plugin_inputs import CORPUS, DDL, GLOSSARY, TOPICS, interactions_tsv  # noqa: E402


class RecCommands(TempDir):
    """Two taste groups: users a0..a9 like items x0..x7, users b0..b9 items y0..y7."""

    def interactions(self):
        return self.write("data.tsv", interactions_tsv())

    def test_train_recommend_forget(self):
        db = self.path("rec.db")
        cfg = '{"dim":16,"epochs":60,"seed":5,"text_dim":0}'
        t = run_json("rec", "train", db, "-i", self.interactions(), "--config", cfg)
        self.assertEqual((t["users"], t["items"]), (20, 16))
        # recommend opens the store read-only: it must work on a model with no ledger yet.
        r = run_json("rec", "recommend", db, "-u", "a0", "-k", "2")
        self.assertEqual(len(r["items"]), 2)
        self.assertTrue(all(x["item"].startswith("x") for x in r["items"]), r)
        f = run_json("rec", "forget", db, "--users", "a0")
        self.assertEqual(f["users_removed"], 1, f)
        code, _, err = run("rec", "recommend", db, "-u", "a0", expect=None)
        self.assertNotEqual(code, 0)
        self.assertIn("a0", err)
        # The others still get recommendations from the updated model.
        self.assertEqual(len(run_json("rec", "recommend", db, "-u", "a1", "-k", "2")["items"]), 2)

    def test_errors(self):
        db = self.path("rec.db")
        code, _, err = run("rec", "recommend", db, "-u", "a0")
        self.assertNotEqual(code, 0)
        run("rec", "train", db, "-i", self.interactions(), "--config", '{"dim":8,"epochs":2,"text_dim":0}',
            expect=0)
        code, _, err = run("rec", "forget", db, "--users", "nobody")
        self.assertNotEqual(code, 0)
        self.assertIn("nobody", err)
        code, _, err = run("rec", "train", db, "-i", self.write("bad.tsv", "only-one-field\n"))
        self.assertNotEqual(code, 0)
        self.assertIn("bad.tsv:1:", err)


class ClassifyCommands(TempDir):
    def data(self):
        rows = [{"id": f"d{i}", "split": "train", "text": t,
                 "label": "space" if i < 4 else "sport"} for i, t in enumerate(CORPUS)]
        return self.write("docs.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")

    def test_fit_then_predict_from_the_store(self):
        labels = self.write("labels.json", json.dumps({"labels": TOPICS}))
        db = self.path("models.db")
        cfg = '{"min_num_docs":2,"hash_dim":256}'
        run("classify", "fit", "-l", labels, "-d", self.data(), "-s", db, "-m", "topics",
            "--embedder", "hashing", "--config", cfg, expect=0)
        new = self.write("new.jsonl", json.dumps({"id": "n1", "text": "a rocket to orbit"}) + "\n" +
                         json.dumps({"id": "n2", "text": "the team lost the game"}) + "\n")
        _, out, _ = run("classify", "predict", "-s", db, "-m", "topics", "-d", new, expect=0)
        got = {r["id"]: r["label"] for r in map(json.loads, out.splitlines())}
        self.assertEqual(got, {"n1": "space", "n2": "sport"})

    def test_eval_reports_f1_and_bad_labels_fail(self):
        labels = self.write("labels.json", json.dumps({"labels": TOPICS}))
        e = run_json("classify", "eval", "-l", labels, "-d", self.data(), "--split", "all",
                     "--embedder", "hashing", "--config", '{"min_num_docs":2}')
        self.assertGreaterEqual(e["micro_f1"], 0.75, e)
        bad = self.write("bad.json", '{"labels": {"space": []}}')
        code, _, err = run("classify", "eval", "-l", bad, "-d", self.data(), "--split", "all",
                           "--embedder", "hashing")
        self.assertNotEqual(code, 0)
        self.assertIn("space", err)


class MatchCommands(TempDir):
    def test_match_json_ranks_and_explains(self):
        src = self.write("s.sql", DDL)
        tgt = self.write("g.json", json.dumps(GLOSSARY))
        r = run_json("match", "-s", src, "-t", tgt, "-k", "2", "--config", '{"wordvec":"none"}')
        best = {c["name"]: c["candidates"][0]["id"] for c in r["columns"]}
        self.assertEqual(best["birth_dt"], "birth_date")
        self.assertEqual(best["gender_cd"], "gender")
        for c in r["columns"]:
            self.assertLessEqual(len(c["candidates"]), 2)
            self.assertIn("contributions", c["candidates"][0])

    def test_malformed_ddl_names_the_line(self):
        src = self.write("s.sql", "CREATE TABLE t (\n  a INT,\n  b VARCHAR(\n")
        tgt = self.write("g.json", json.dumps(GLOSSARY))
        code, _, err = run("match", "-s", src, "-t", tgt)
        self.assertNotEqual(code, 0)
        self.assertRegex(err, r"line \d+")


class DataFolder(TempDir):
    """The GloVe table is found at run time, not through a path compiled in (issue 18
    item 6): $EMBEDKIT_DATA_PATH names a data folder, tried before the folders beside the
    library (the build tree's share/embedkit). Its table here is not a table, so the
    messages show which file each plugin opened."""

    def setUp(self):
        super().setUp()
        os.makedirs(self.path("data/glove"))
        self.table = self.write("data/glove/glove-6b-100d.ekwv", "not a table")
        env = {k: v for k, v in os.environ.items() if k != "EMBEDKIT_GLOVE"}
        env["EMBEDKIT_DATA_PATH"] = self.path("data")
        patch = mock.patch.dict(os.environ, env, clear=True)
        patch.start()
        self.addCleanup(patch.stop)

    def test_match_tries_the_table_of_the_data_folder(self):
        src = self.write("s.sql", DDL)
        tgt = self.write("g.json", json.dumps(GLOSSARY))
        _, out, err = run("match", "-s", src, "-t", tgt, "-k", "1", "--json", expect=0)
        self.assertIn(self.table, err)
        self.assertEqual(json.loads(out)["model"], "lexical")

    def test_glove_embedder_opens_the_table_of_the_data_folder(self):
        labels = self.write("labels.json", json.dumps({"labels": TOPICS}))
        docs = self.write("docs.jsonl", "".join(json.dumps({"id": f"d{i}", "split": "train", "text": t,
                                                            "label": "x"}) + "\n"
                                                for i, t in enumerate(CORPUS)))
        code, _, err = run("classify", "eval", "-l", labels, "-d", docs, "--split", "all",
                           "--embedder", "glove", "--config", '{"min_num_docs":2}')
        self.assertEqual(code, 1, err)
        self.assertIn(self.table, err)


if __name__ == "__main__":
    test_cli.main_with_binary()
