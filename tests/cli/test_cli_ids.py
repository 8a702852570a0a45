#!/usr/bin/env python3
"""Black-box tests (issue 17) of ids read from files, and of the -k limit.

Usage: test_cli_ids.py --binary PATH [unittest args]

JSON lets a string hold U+0000 ("c\\u0000d"); the C API takes ids as NUL-terminated
strings, so such an id would silently become another one ("c"). Every reader of
ids refuses it, naming the line or record. Every command's -k takes the same range,
1..1024, says so in --help and refuses 1025 with the same message.
"""
import argparse
import json
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest

# The shared TempDir of test_cli.py (same folder).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402

BINARY = None
MAX_K = 1024


def run(*args):
    proc = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def count_rows(db):
    """Rows in the store's vectors table (0 when the file or table is missing)."""
    if not os.path.exists(db):
        return 0
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM vectors").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()


class TempDir(test_cli.TempDir):
    prefix = "ek-cli-ids-"

    def vectors(self, name, rows, dim=4):
        with open(self.path(name), "wb") as f:
            for r in range(rows):
                f.write(struct.pack("<%df" % dim, *[float(r + 1)] + [0.0] * (dim - 1)))
        return self.path(name)


class NulIds(TempDir):
    def import_records(self, records, *extra):
        recs = self.write("r.jsonl", "\n".join(records) + "\n")
        vecs = self.vectors("v.bin", len(records))
        return run("store", "import", self.path("s.db"), "-c", "t", "--dim", "4",
                   "--vectors", vecs, "--records", recs, *extra)

    def test_store_import_refuses_an_id_with_nul_naming_the_line(self):
        # one row per batch: nothing else in the batch notices that both ids became "c"
        code, out, err = self.import_records(
            ['{"id": "a"}', '{"id": "c\\u0000d"}', '{"id": "c\\u0000e"}'], "--batch", "1")
        self.assertNotEqual(0, code, out)
        self.assertIn("r.jsonl:2", err)
        self.assertIn("NUL", err)
        self.assertIn("c\\u0000d", err)  # shown escaped, as it was written
        self.assertEqual(1, count_rows(self.path("s.db")))  # only the batch before it

    def test_store_import_refuses_nul_in_a_custom_id_field(self):
        code, _, err = self.import_records(['{"key": "x"}', '{"key": "\\u0000"}'],
                                           "--id-field", "key")
        self.assertNotEqual(0, code)
        self.assertIn("r.jsonl:2", err)
        self.assertIn("\"key\"", err)
        self.assertIn("NUL", err)

    def test_store_import_keeps_nul_inside_metadata_as_data(self):
        code, out, err = self.import_records(['{"id": "a", "note": "x\\u0000y"}'])
        self.assertEqual(0, code, err)
        code, out, err = run("store", "search", self.path("s.db"), "-c", "t",
                             "--vector", "1,0,0,0", "-k", "1", "--show", "note", "--json")
        self.assertEqual(0, code, err)
        hit = json.loads(out)["hits"][0]
        self.assertEqual("a", hit["id"])
        self.assertEqual("x\u0000y", hit["metadata"]["note"])

    def test_json_encode_refuses_an_id_field_with_nul_naming_the_line(self):
        docs = self.write("d.ndjson", "\n".join(json.dumps(d) for d in [
            {"name": "c", "v": 1}, {"name": "c\u0000d", "v": 2}, {"name": "c\u0000e", "v": 3}]))
        db = self.path("j.db")
        code, out, err = run("json", "encode", docs, "--db", db, "-c", "people",
                             "--id-field", "name", "--dim", "64")
        self.assertNotEqual(0, code, out)
        self.assertIn("d.ndjson:2: ", err)
        self.assertIn("NUL", err)
        self.assertIn("--id-field 'name'", err)
        self.assertEqual(0, count_rows(db))


class RecNulIds(TempDir):
    """`rec` reads user and item ids from TSV files: a NUL byte in one would make it
    another id at the C API ("u\\0a" and "u\\0b" both "u")."""

    CONFIG = '{"dim":8,"epochs":2,"text_dim":0}'

    def interactions(self, bad_line):
        lines = ["u%d\ti%d\t5" % (u, (u + j) % 12) for u in range(12) for j in range(6)]
        lines.insert(1, bad_line)
        return self.write("data.tsv", "\n".join(lines) + "\n")

    def assert_refused(self, code, out, err):
        self.assertNotEqual(0, code, out)
        self.assertIn("data.tsv:2:", err)
        self.assertIn("NUL", err)

    def test_rec_train_refuses_a_user_id_with_nul(self):
        db = self.path("rec.db")
        self.assert_refused(*run("rec", "train", db, "-i", self.interactions("u\x00a\ti1\t5"),
                                 "--config", self.CONFIG))
        self.assertFalse(os.path.exists(db))

    def test_rec_eval_refuses_an_item_id_with_nul(self):
        self.assert_refused(*run("rec", "eval", "-i", self.interactions("u1\ti\x001\t5"),
                                 "--config", self.CONFIG, "--forget", "users", "--methods", "noop"))

    def test_rec_forget_pairs_refuses_an_id_with_nul(self):
        good = self.write("good.tsv", "\n".join(
            "u%d\ti%d\t5" % (u, (u + j) % 12) for u in range(12) for j in range(6)) + "\n")
        db = self.path("rec.db")
        code, _, err = run("rec", "train", db, "-i", good, "--config", self.CONFIG)
        self.assertEqual(0, code, err)
        pairs = self.write("data.tsv", "u0\ti0\nu\x000\ti1\n")
        self.assert_refused(*run("rec", "forget", db, "--pairs", pairs))


class ClassifyNulLabels(TempDir):
    """Label names (and keywords) from the labels file reach the plugin; one holding
    U+0000 would be saved cut short, so two labels would become one."""

    def test_classify_fit_refuses_a_label_name_with_nul(self):
        docs = self.write("docs.jsonl", "\n".join(json.dumps({"text": t}) for t in [
            "win a free prize now", "call now to win cash", "see you at the game tonight",
            "the team played a good game"]) + "\n")
        labels = self.write("labels.json", json.dumps(
            {"labels": {"sp\u0000am": ["win", "prize"], "sp\u0000ort": ["game", "team"]}}))
        db = self.path("m.db")
        code, out, err = run("classify", "fit", "-l", labels, "-d", docs, "-s", db, "-m", "m",
                             "--embedder", "hashing")
        self.assertNotEqual(0, code, out)
        self.assertIn("NUL", err)
        self.assertIn("sp\\u0000am", err)  # shown escaped, as it was written
        self.assertFalse(os.path.exists(db))


class MaxK(TempDir):
    """k = 1024 works in every extension command that takes -k; 1025 fails the same
    way. `store search -k` has no cap: it returns min(k, rows) hits."""

    REFUSAL = "--k must be an integer from 1 to %d, got '%d'" % (MAX_K, MAX_K + 1)

    def check(self, argv):
        code, out, err = run(*argv, "-k", str(MAX_K))
        self.assertEqual(0, code, "%s -k %d: %s" % (" ".join(argv[:2]), MAX_K, err))
        code, _, err = run(*argv, "-k", str(MAX_K + 1))
        self.assertEqual(2, code, err)
        self.assertIn(self.REFUSAL, err)
        return out

    def check_help(self, command):
        code, out, err = run(*command, "--help")
        self.assertEqual(0, code, err)
        self.assertIn("1..%d" % MAX_K, out, " ".join(command))

    def test_store_search(self):
        db = self.path("s.db")
        recs = self.write("r.jsonl", "\n".join('{"id": "r%d"}' % i for i in range(3)))
        code, _, err = run("store", "import", db, "-c", "t", "--dim", "4", "--metric", "dot",
                           "--vectors", self.vectors("v.bin", 3), "--records", recs)
        self.assertEqual(0, code, err)
        search = ["store", "search", db, "-c", "t", "--json"]
        for k in ("2000", str(2 ** 32 - 1)):
            code, out, err = run(*search, "--vector", "1,0,0,0", "-k", k)
            self.assertEqual(0, code, err)
            hits = json.loads(out)["hits"]
            self.assertEqual(["r2", "r1", "r0"], [h["id"] for h in hits], k)
            code, out, err = run(*search, "--like", "r1", "-k", k)  # k + 1 asked, r1 dropped
            self.assertEqual(0, code, err)
            self.assertEqual(2, len(json.loads(out)["hits"]), k)
        code, _, err = run(*search, "--vector", "1,0,0,0", "-k", "0")
        self.assertEqual(2, code, err)
        self.assertIn("--k must be an integer from 1 to %d, got '0'" % (2 ** 32 - 1), err)
        code, out, err = run("store", "search", "--help")
        self.assertEqual(0, code, err)
        self.assertIn("hits to return, 1 or more", out)

    def test_json_search_and_probe(self):
        docs = self.write("d.ndjson", "\n".join(json.dumps({"name": "n%d" % i, "city": "c%d" % i})
                                                for i in range(3)))
        db = self.path("j.db")
        code, _, err = run("json", "encode", docs, "--db", db, "-c", "p", "--id-field", "name",
                           "--dim", "256")
        self.assertEqual(0, code, err)
        out = self.check(["json", "search", "--db", db, "-c", "p", "--query", '{"city": "c1"}',
                          "--json"])
        self.assertEqual("n1", json.loads(out)["results"][0]["id"])
        self.check(["json", "probe", "--db", db, "-c", "p", "--id", "n1", "--path", "city"])
        self.check_help(["json", "search"])
        self.check_help(["json", "probe"])

    def test_match(self):
        src = self.write("s.sql", "CREATE TABLE t (birth_dt DATE, gender_cd VARCHAR(1));\n")
        tgt = self.write("g.json", json.dumps([
            {"id": "birth_date", "label": "Birth date"}, {"id": "gender", "label": "Gender"}]))
        self.check(["match", "-s", src, "-t", tgt, "--config", '{"wordvec":"none"}'])
        self.check_help(["match"])

    def test_rec_recommend_and_eval(self):
        lines = ["u%d\ti%d\t5" % (u, (u + j) % 12) for u in range(12) for j in range(6)]
        data = self.write("data.tsv", "\n".join(lines) + "\n")
        db = self.path("rec.db")
        cfg = '{"dim":8,"epochs":2,"text_dim":0}'
        code, _, err = run("rec", "train", db, "-i", data, "--config", cfg)
        self.assertEqual(0, code, err)
        self.check(["rec", "recommend", db, "-u", "u0"])
        self.check(["rec", "eval", "-i", data, "--config", cfg, "--forget", "users",
                    "--methods", "noop"])
        self.check_help(["rec", "recommend"])
        self.check_help(["rec", "eval"])


def main():
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
