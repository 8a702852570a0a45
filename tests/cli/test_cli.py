#!/usr/bin/env python3
"""Black-box tests of the `embedkit` command-line program.

Usage: test_cli.py --binary PATH [--data DIR] [unittest args, e.g. a TestCase name]

Each test runs the built binary in a fresh temporary folder and checks its exit
code, stdout (table or --json) and stderr. Expected search results are computed
here, independently of the library, from the same vectors.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import unittest

BINARY = None
DATA_DIR = None


def run(*args, expect=None):
    """Runs the binary; returns (code, stdout, stderr). `expect` asserts the code."""
    proc = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)
    if expect is not None and proc.returncode != expect:
        raise AssertionError(
            f"embedkit {' '.join(args)}: exit {proc.returncode}, expected {expect}\n"
            f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc.returncode, proc.stdout, proc.stderr


def run_json(*args):
    _, out, _ = run(*args, "--json", expect=0)
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1, f"--json must print one document, got: {out!r}"
    return json.loads(lines[0])


def write_f32(path, rows):
    with open(path, "wb") as f:
        for row in rows:
            f.write(struct.pack(f"<{len(row)}f", *row))


def write_jsonl(path, records, trailing_newline=False):
    text = "\n".join(json.dumps(r) for r in records)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + ("\n" if trailing_newline else ""))


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb)


# A tiny fixture whose neighbours are easy to reason about.
VECTORS = {
    "a": [1.0, 0.0, 0.0, 0.0],
    "b": [0.9, 0.1, 0.0, 0.0],
    "c": [0.0, 1.0, 0.0, 0.0],
    "d": [0.0, 0.0, 1.0, 0.0],
    "e": [0.7, 0.7, 0.0, 0.0],
}
RECORDS = [
    {"id": k, "title": f"Title {k.upper()} \u00e9t\u00e9", "category": "x" if k in "abc" else "y",
     "n": i}
    for i, k in enumerate(VECTORS)
]


class TempDir(unittest.TestCase):
    """A fresh temporary folder per test, for the CLI suites that write their own inputs
    (test_cli_plugins.py, test_cli_ids.py, test_cli_defects.py, ...)."""

    prefix = "ek-cli-"

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix=self.prefix)
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)


class Fixture(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-")
        self.dir = self.tmp.name
        self.store = self.path("t.db")
        self.vectors = self.path("v.f32")
        self.records = self.path("r.jsonl")
        write_f32(self.vectors, VECTORS.values())
        write_jsonl(self.records, RECORDS)  # no trailing newline, like the real data

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def import_fixture(self, *extra):
        return run_json("store", "import", self.store, "--collection", "t", "--dim", "4",
                        "--vectors", self.vectors, "--records", self.records, *extra)

    def assert_runtime_error(self, args, *fragments):
        code, out, err = run(*args)
        self.assertEqual(code, 1, f"stdout={out!r} stderr={err!r}")
        self.assertEqual(out, "")
        for frag in fragments:
            self.assertIn(frag, err)
        return err


class HelpTests(unittest.TestCase):
    def test_top_level_help(self):
        _, out, err = run("--help", expect=0)
        for frag in ["Usage: embedkit", "store create", "store import", "store search",
                     "store info", "version", "--json", "--threads", "Exit codes", "130",
                     "Examples:"]:
            self.assertIn(frag, out)
        self.assertEqual(err, "")
        self.assertEqual(run("help", expect=0)[1], out)

    def test_every_command_has_help_with_examples(self):
        for cmd in (["store", "create"], ["store", "import"], ["store", "search"],
                    ["store", "info"], ["version"]):
            _, out, _ = run(*cmd, "--help", expect=0)
            self.assertIn("Usage: embedkit " + " ".join(cmd), out)
            self.assertIn("Examples:", out)
            self.assertIn("--json", out)  # global options are listed everywhere
            self.assertEqual(run("help", *cmd, expect=0)[1], out)
            self.assertEqual(run(*cmd, "-h", expect=0)[1], out)

    def test_help_wins_over_missing_arguments(self):
        _, out, _ = run("store", "search", "--help", expect=0)
        for opt in ["--like", "--vector-file", "--row", "--vector", "--filter", "--show", "-k"]:
            self.assertIn(opt, out)

    def test_group_help(self):
        _, out, _ = run("store", "--help", expect=0)
        self.assertIn("store import", out)
        self.assertNotIn("  version", out)
        code, out, err = run("store")
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        self.assertIn("store search", err)

    def test_no_arguments_is_a_usage_error(self):
        code, out, err = run()
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        self.assertIn("Usage: embedkit", err)

    def test_version(self):
        _, out, _ = run("version", expect=0)
        self.assertRegex(out, r"^embedkit \d+\.\d+\.\d+ \(ABI 1\.\d+")
        doc = run_json("version")
        self.assertRegex(doc["version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(doc["abi"].split(".")[0], "1")
        self.assertIn(doc["backend"], ("cpu", "cuda"))
        self.assertTrue(doc["simd_target"])
        self.assertGreaterEqual(doc["threads"], 1)
        self.assertEqual(run("--version", expect=0)[1], out)

    def test_threads_option_reaches_the_library(self):
        doc = run_json("--threads", "3", "version")
        self.assertEqual(doc["threads"], 3)
        doc = run_json("version", "--threads=2", "--backend", "cpu")
        self.assertEqual(doc["threads"], 2)
        self.assertEqual(doc["backend"], "cpu")


class UsageErrorTests(Fixture):
    def assert_usage(self, args, *fragments):
        code, out, err = run(*args)
        self.assertEqual(code, 2, f"{args}: stdout={out!r} stderr={err!r}")
        self.assertEqual(out, "")
        self.assertIn("embedkit: error:", err)
        self.assertIn("--help", err)
        for frag in fragments:
            self.assertIn(frag, err)
        self.assertFalse(os.path.exists(self.store), "a usage error must not create files")

    def test_unknown_command(self):
        self.assert_usage(["frobnicate"], "unknown command 'frobnicate'")
        self.assert_usage(["store", "frobnicate"], "unknown command 'store frobnicate'",
                          "store import")

    def test_unknown_option(self):
        self.assert_usage(["store", "info", self.store, "--colection", "t"],
                          "unknown option '--colection'", "embedkit store info --help")
        self.assert_usage(["--nope", "version"], "unknown option '--nope'")

    def test_missing_arguments(self):
        self.assert_usage(["store", "create", "--collection", "t", "--dim", "4"], "STORE")
        self.assert_usage(["store", "create", self.store, "--dim", "4"], "--collection")
        self.assert_usage(["store", "create", self.store, "-c", "t"], "--dim")
        self.assert_usage(["store", "create", self.store, "-c"], "needs a value")
        self.assert_usage(["store", "info", self.store, "extra"], "unexpected argument 'extra'")

    def test_bad_values(self):
        self.assert_usage(["store", "create", self.store, "-c", "t", "--dim", "0"], "--dim")
        self.assert_usage(["store", "create", self.store, "-c", "t", "--dim", "4x"], "'4x'")
        self.assert_usage(["store", "create", self.store, "-c", "t", "--dim", "4",
                           "--metric", "manhattan"], "cosine, dot or l2")
        self.assert_usage(["store", "search", self.store, "-c", "t", "--like", "a", "-k", "0"],
                          "-k")
        self.assert_usage(["--threads", "many", "version"], "--threads")
        self.assert_usage(["--backend", "tpu", "version"], "auto, cpu or cuda")
        self.assert_usage(["version", "--json=yes"], "takes no value")

    def test_search_needs_exactly_one_query(self):
        self.assert_usage(["store", "search", self.store, "-c", "t"], "exactly one query")
        self.assert_usage(["store", "search", self.store, "-c", "t", "--like", "a",
                           "--vector", "1,0,0,0"], "exactly one query")
        self.assert_usage(["store", "search", self.store, "-c", "t", "--like", "a",
                           "--row", "1"], "--row goes with --vector-file")
        self.assert_usage(["store", "search", self.store, "-c", "t", "--vector", "1,x,0"],
                          "'x'")

    def test_import_option_conflicts(self):
        self.assert_usage(["store", "import", self.store, "-c", "t", "--vectors", self.vectors,
                           "--metadata", "all"], "need --records")
        self.assert_usage(["store", "import", self.store, "-c", "t", "--vectors", self.vectors,
                           "--records", self.records, "--metadata", "some"], "all or none")
        self.assert_usage(["store", "import", self.store, "-c", "t", "--vectors", self.vectors,
                           "--records", self.records, "--metadata", "all",
                           "--metadata-fields", "title"], "not both")
        self.assert_usage(["store", "import", self.store, "-c", "t", "--vectors", self.vectors,
                           "--batch", "0"], "--batch")

    def test_usage_error_as_json(self):
        code, out, err = run("store", "info", "--json")
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        doc = json.loads(err)
        self.assertEqual(doc["error"]["kind"], "usage")
        self.assertIn("STORE", doc["error"]["message"])


class StoreTests(Fixture):
    def test_create_then_info(self):
        doc = run_json("store", "create", self.store, "--collection", "t", "--dim", "4")
        self.assertTrue(doc["created"])
        self.assertEqual(doc["collection"], {"name": "t", "dim": 4, "metric": "cosine",
                                             "count": 0})
        self.assertEqual((doc["index"]["index"], doc["index"]["element"]), ("exact", "f32"))
        self.assertTrue(os.path.exists(self.store))
        run_json("store", "create", self.store, "-c", "l", "--dim", "3", "--metric", "l2")
        info = run_json("store", "info", self.store)
        self.assertEqual(sorted((c["name"], c["dim"], c["metric"], c["count"])
                                for c in info["collections"]),
                         [("l", 3, "l2", 0), ("t", 4, "cosine", 0)])
        self.assertEqual(info["store"], self.store)
        lib = info["library"]
        self.assertRegex(lib["version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(lib["abi_version"] >> 16, 1)
        self.assertIn(lib["backend"], ("cpu", "cuda"))
        self.assertTrue(lib["simd_target"])
        # Human output: a header line plus a table row per collection.
        _, out, _ = run("store", "info", self.store, expect=0)
        self.assertIn("SIMD " + lib["simd_target"], out)
        self.assertRegex(out, r"(?m)^t\s+4\s+cosine\s+0\s+exact\s+f32\s")
        self.assertRegex(out, r"(?m)^l\s+3\s+l2\s+0\s+exact\s+f32\s")
        # One collection only.
        info = run_json("store", "info", self.store, "--collection", "l")
        self.assertEqual([c["name"] for c in info["collections"]], ["l"])

    def test_create_is_idempotent_for_the_same_shape(self):
        run_json("store", "create", self.store, "-c", "t", "--dim", "4")
        doc = run_json("store", "create", self.store, "-c", "t", "--dim", "4")
        self.assertFalse(doc["created"])
        _, out, _ = run("store", "create", self.store, "-c", "t", "--dim", "4", expect=0)
        self.assertIn("already exists", out)
        self.assert_runtime_error(["store", "create", self.store, "-c", "t", "--dim", "5"],
                                  "EK_ERR_ALREADY_EXISTS")

    def test_info_of_a_missing_store_creates_nothing(self):
        self.assert_runtime_error(["store", "info", self.store], "EK_ERR_IO")
        self.assertFalse(os.path.exists(self.store))

    def test_info_of_a_file_that_is_not_a_store(self):
        with open(self.store, "w") as f:
            f.write("this is not a database, just text\n" * 100)
        self.assert_runtime_error(["store", "info", self.store], "EK_ERR_CORRUPT")

    def test_unknown_collection(self):
        run_json("store", "create", self.store, "-c", "t", "--dim", "4")
        self.assert_runtime_error(["store", "info", self.store, "-c", "nope"],
                                  "EK_ERR_NOT_FOUND", "nope")

    def test_library_error_as_json(self):
        run_json("store", "create", self.store, "-c", "t", "--dim", "4")
        code, out, err = run("store", "info", self.store, "-c", "nope", "--json")
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        doc = json.loads(err)["error"]
        self.assertEqual(doc["kind"], "library")
        self.assertEqual(doc["status"], "EK_ERR_NOT_FOUND")
        self.assertEqual(doc["code"], 2)
        self.assertIn("nope", doc["message"])


class ImportTests(Fixture):
    def count(self, name="t"):
        info = run_json("store", "info", self.store, "-c", name)
        return info["collections"][0]["count"]

    def test_import_with_records(self):
        doc = self.import_fixture()
        self.assertEqual(doc["imported"], 5)
        self.assertEqual(doc["count"], 5)
        self.assertTrue(doc["created"])
        self.assertEqual(doc["dim"], 4)
        self.assertGreater(doc["rows_per_second"], 0)
        self.assertEqual(self.count(), 5)
        # Importing again replaces rows by id.
        doc = self.import_fixture()
        self.assertFalse(doc["created"])
        self.assertEqual(doc["count"], 5)

    def test_human_report(self):
        _, out, err = run("store", "import", self.store, "-c", "t", "--dim", "4",
                          "--vectors", self.vectors, "--records", self.records, expect=0)
        self.assertRegex(out, r"imported 5 vectors \(dim 4\) into 't' \(created\) in [\d.]+ s "
                              r"\(\d+ rows/s\); the collection now holds 5 vectors")
        self.assertNotIn("\r", err, "no progress output when stderr is not a terminal")

    def test_batches_commit_one_at_a_time(self):
        rows = list(VECTORS.values())
        rows[3] = [float("nan"), 0.0, 0.0, 0.0]
        write_f32(self.vectors, rows)
        err = self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4", "--vectors", self.vectors,
             "--records", self.records, "--batch", "2"], "rows 2..3", "2 rows before it")
        self.assertIn("EK_ERR_", err)
        self.assertEqual(self.count(), 2)

    def test_count_mismatch_imports_nothing(self):
        write_jsonl(self.records, RECORDS[:4])
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4", "--vectors", self.vectors,
             "--records", self.records], "5 vectors", "4 records", "nothing was imported")
        # The collection is created only once the inputs are known to agree.
        self.assertEqual(run_json("store", "info", self.store)["collections"], [])
        run_json("store", "create", self.store, "-c", "t", "--dim", "4")
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--vectors", self.vectors,
             "--records", self.records], "nothing was imported")
        self.assertEqual(self.count(), 0)

    def test_trailing_newline_and_blank_lines_are_fine(self):
        write_jsonl(self.records, RECORDS, trailing_newline=True)
        with open(self.records, "a") as f:
            f.write("\n  \n")
        self.assertEqual(self.import_fixture()["count"], 5)

    def test_vectors_file_of_the_wrong_size(self):
        with open(self.vectors, "ab") as f:
            f.write(b"\0\0\0\0")
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4", "--vectors", self.vectors],
            "84 bytes", "dim 4")

    def test_missing_vectors_file(self):
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4",
             "--vectors", self.path("missing.f32")], "missing.f32")

    def test_missing_collection_without_dim(self):
        run_json("store", "create", self.store, "-c", "other", "--dim", "4")
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--vectors", self.vectors],
            "EK_ERR_NOT_FOUND", "--dim")

    def test_dim_or_metric_disagreeing_with_the_collection(self):
        run_json("store", "create", self.store, "-c", "t", "--dim", "2")
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4", "--vectors", self.vectors],
            "--dim 4", "dim 2")
        run_json("store", "create", self.store, "-c", "u", "--dim", "4")
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "u", "--metric", "dot",
             "--vectors", self.vectors], "--metric dot", "cosine")
        # Without --dim the collection's dim is used: 5 x 4 floats = 10 rows of dim 2.
        doc = run_json("store", "import", self.store, "-c", "t", "--vectors", self.vectors)
        self.assertEqual(doc["imported"], 10)

    def test_malformed_record(self):
        with open(self.records, "w") as f:
            f.write('{"id":"a"}\n{"id":"b"}\n{"id": oops}\n{"id":"d"}\n{"id":"e"}')
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4", "--vectors", self.vectors,
             "--records", self.records], "r.jsonl:3:", "malformed JSON")

    def test_record_without_id(self):
        write_jsonl(self.records, RECORDS[:4] + [{"title": "no id"}])
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4", "--vectors", self.vectors,
             "--records", self.records], "r.jsonl:5:", '"id"')
        write_jsonl(self.records, RECORDS)
        self.assert_runtime_error(
            ["store", "import", self.store, "-c", "t", "--dim", "4", "--vectors", self.vectors,
             "--records", self.records, "--id-field", "title2"], "r.jsonl:1:", '"title2"')

    def test_id_field_and_metadata_selection(self):
        self.import_fixture("--id-field", "n", "--metadata-fields", "title, category")
        doc = run_json("store", "search", self.store, "-c", "t", "--like", "0", "-k", "1")
        hit = doc["hits"][0]
        self.assertEqual(hit["id"], "1")  # record n=1 is "b", a's nearest neighbour
        self.assertEqual(hit["metadata"], {"title": RECORDS[1]["title"], "category": "x"})

    def test_sigint_cancels_with_exit_130(self):
        # 1M rows of dim 1, one transaction each: far longer than it takes to interrupt.
        import array
        big = self.path("big.f32")
        with open(big, "wb") as f:
            array.array("f", (1.0 + (i % 7) for i in range(1_000_000))).tofile(f)
        proc = subprocess.Popen([BINARY, "store", "import", self.store, "-c", "big", "--dim", "1",
                                 "--vectors", big, "--batch", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Interrupt once rows are being committed: the CLI's SIGINT handler is then
        # installed (a fixed sleep could fire before it on a loaded machine).
        import sqlite3
        import time
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                db = sqlite3.connect(f"file:{self.store}?mode=ro", uri=True)
                try:
                    if db.execute("SELECT count(*) FROM vectors").fetchone()[0] > 0:
                        break
                finally:
                    db.close()  # `with` would only end a transaction, not close
            except sqlite3.Error:
                pass  # not created yet
            time.sleep(0.02)
        proc.send_signal(2)  # SIGINT
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, f"stdout={out!r} stderr={err!r}")
        self.assertIn("cancelled", err)
        self.assertEqual(out, "")
        # Whole batches only, and the store is still readable.
        self.assertLess(self.count("big"), 1_000_000)

    def test_metadata_none_and_row_number_ids(self):
        self.import_fixture("--metadata", "none")
        doc = run_json("store", "search", self.store, "-c", "t", "--like", "a", "-k", "1")
        self.assertEqual(doc["hits"][0]["metadata"], None)
        run_json("store", "import", self.store, "-c", "plain", "--dim", "4",
                 "--vectors", self.vectors)
        doc = run_json("store", "search", self.store, "-c", "plain", "--vector", "0,0,1,0",
                       "-k", "1")
        self.assertEqual(doc["hits"][0]["id"], "3")
        self.assertAlmostEqual(doc["hits"][0]["score"], 1.0, places=5)


class SearchTests(Fixture):
    def setUp(self):
        super().setUp()
        self.import_fixture()

    def search(self, *args):
        return run_json("store", "search", self.store, "-c", "t", *args)

    def expected(self, query, exclude=None):
        scored = [(cosine(query, v), i, k) for i, (k, v) in enumerate(VECTORS.items())
                  if k != exclude]
        scored.sort(key=lambda t: (-t[0], t[1]))  # ties break by insertion order
        return [(k, s) for s, _, k in scored]

    def assert_hits(self, doc, expected):
        self.assertEqual([h["id"] for h in doc["hits"]], [k for k, _ in expected])
        for hit, (_, score) in zip(doc["hits"], expected):
            self.assertAlmostEqual(hit["score"], score, places=5)
        self.assertEqual([h["rank"] for h in doc["hits"]], list(range(1, len(expected) + 1)))

    def test_more_like_this_leaves_out_the_document(self):
        doc = self.search("--like", "a")
        self.assert_hits(doc, self.expected(VECTORS["a"], exclude="a"))
        self.assertEqual(doc["metric"], "cosine")
        self.assertEqual(doc["k"], 10)
        doc = self.search("--like", "a", "--include-self", "-k", "2")
        self.assert_hits(doc, self.expected(VECTORS["a"])[:2])

    def test_k_limits_the_hits(self):
        doc = self.search("--like", "e", "-k", "2")
        self.assert_hits(doc, self.expected(VECTORS["e"], exclude="e")[:2])

    def test_inline_vector(self):
        q = [0.2, 0.9, 0.1, 0.0]
        doc = self.search("--vector", "0.2, 0.9,0.1 0")
        self.assert_hits(doc, self.expected(q))

    def test_vector_file_rows(self):
        qpath = self.path("q.f32")
        write_f32(qpath, [[0, 0, 0.5, 0.1], [0, 1, 0, 0]])
        self.assert_hits(self.search("--vector-file", qpath), self.expected([0, 0, 0.5, 0.1]))
        self.assert_hits(self.search("--vector-file", qpath, "--row", "1", "-k", "3"),
                         self.expected([0, 1, 0, 0])[:3])
        self.assert_runtime_error(
            ["store", "search", self.store, "-c", "t", "--vector-file", qpath, "--row", "2"],
            "--row 2", "only 2 rows")

    def test_filter(self):
        doc = self.search("--like", "a", "--filter", '{"category":"y"}')
        self.assertEqual([h["id"] for h in doc["hits"]], ["e", "d"])
        self.assertEqual(doc["filter"], {"category": "y"})
        doc = self.search("--vector", "1,0,0,0", "--filter", '{"category":"none"}')
        self.assertEqual(doc["hits"], [])
        self.assert_runtime_error(
            ["store", "search", self.store, "-c", "t", "--like", "a", "--filter", "{oops"],
            "EK_ERR_PARSE")

    def test_metadata_in_json_and_show(self):
        doc = self.search("--like", "b", "-k", "1")
        self.assertEqual(doc["hits"][0]["metadata"], RECORDS[0])
        doc = self.search("--like", "b", "-k", "1", "--show", "title")
        self.assertEqual(doc["hits"][0]["metadata"], {"title": RECORDS[0]["title"]})

    def test_table_output(self):
        _, out, _ = run("store", "search", self.store, "-c", "t", "--like", "a", "-k", "3",
                        "--show", "title,category,missing", expect=0)
        lines = out.splitlines()
        self.assertIn("3 nearest to like 'a' in 't'", lines[0])
        self.assertRegex(lines[1], r"^#\s+score\s+id\s+title\s+category\s+missing$")
        self.assertRegex(lines[2], r"^1\s+0\.9939\s+b\s+Title B \u00e9t\u00e9\s+x\s+-$")
        self.assertRegex(lines[3], r"^2\s+0\.7071\s+e\s+Title E")
        self.assertEqual(len(lines), 5)
        _, quiet, _ = run("store", "search", self.store, "-c", "t", "--like", "a", "-k", "3",
                          "--quiet", expect=0)
        self.assertTrue(quiet.startswith("#"))

    def test_runtime_errors(self):
        self.assert_runtime_error(["store", "search", self.store, "-c", "t", "--vector", "1,0,0"],
                                  "EK_ERR_DIMENSION_MISMATCH")
        self.assert_runtime_error(["store", "search", self.store, "-c", "t", "--like", "zzz"],
                                  "EK_ERR_NOT_FOUND", "zzz")
        self.assert_runtime_error(["store", "search", self.store, "-c", "nope", "--like", "a"],
                                  "EK_ERR_NOT_FOUND", "nope")
        self.assert_runtime_error(["store", "search", self.path("none.db"), "-c", "t",
                                   "--like", "a"], "EK_ERR_IO")
        self.assertFalse(os.path.exists(self.path("none.db")))

    def test_l2_ranks_lowest_first(self):
        run_json("store", "import", self.store, "-c", "l2", "--dim", "4", "--metric", "l2",
                 "--vectors", self.vectors, "--records", self.records)
        doc = run_json("store", "search", self.store, "-c", "l2", "--vector", "1,0,0,0")
        self.assertEqual(doc["metric"], "l2")
        self.assertEqual([h["id"] for h in doc["hits"]][:3], ["a", "b", "e"])
        self.assertAlmostEqual(doc["hits"][0]["score"], 0.0, places=6)
        self.assertAlmostEqual(doc["hits"][1]["score"], 0.02, places=5)


class RealDataTests(unittest.TestCase):
    """The 778 all-MiniLM-L6-v2 vectors of @sap-ux/fiori-docs-embeddings."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-real-")
        cls.store = os.path.join(cls.tmp.name, "fiori.db")
        cls.bin = os.path.join(DATA_DIR, "embeddings.bin")
        cls.jsonl = os.path.join(DATA_DIR, "records.jsonl")
        with open(cls.jsonl, encoding="utf-8") as f:
            cls.records = [json.loads(l) for l in f if l.strip()]
        with open(cls.bin, "rb") as f:
            raw = f.read()
        cls.dim = 384
        n = len(raw) // (4 * cls.dim)
        cls.rows = [struct.unpack_from(f"<{cls.dim}f", raw, i * 4 * cls.dim) for i in range(n)]
        cls.doc = run_json("store", "import", cls.store, "-c", "fiori", "--dim", "384",
                           "--vectors", cls.bin, "--records", cls.jsonl,
                           "--metadata-fields", "title,category,path", "--batch", "100")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def expected(self, query, exclude=None, k=5):
        scored = sorted(((cosine(query, v), i) for i, v in enumerate(self.rows)
                         if self.records[i]["id"] != exclude), key=lambda t: (-t[0], t[1]))
        return [(self.records[i]["id"], s) for s, i in scored[:k]]

    def test_import_counts(self):
        self.assertEqual(len(self.rows), 778)
        self.assertEqual(len(self.records), 778)
        self.assertEqual(self.doc["imported"], 778)
        self.assertEqual(self.doc["batches"], 8)
        info = run_json("store", "info", self.store)
        self.assertEqual([{k: v for k, v in c.items() if k != "index"} for c in info["collections"]],
                         [{"name": "fiori", "dim": 384, "metric": "cosine", "count": 778}])

    def check(self, doc, expected):
        self.assertEqual([h["id"] for h in doc["hits"]], [i for i, _ in expected])
        for hit, (_, score) in zip(doc["hits"], expected):
            self.assertAlmostEqual(hit["score"], score, places=4)

    def test_more_like_this_matches_brute_force(self):
        for row in (0, 123, 777):
            rid = self.records[row]["id"]
            doc = run_json("store", "search", self.store, "-c", "fiori", "--like", rid, "-k", "5")
            self.check(doc, self.expected(self.rows[row], exclude=rid))
            self.assertEqual(set(doc["hits"][0]["metadata"]), {"title", "category", "path"})

    def test_vector_file_row_finds_itself(self):
        doc = run_json("store", "search", self.store, "-c", "fiori", "--vector-file", self.bin,
                       "--row", "42", "-k", "5")
        self.check(doc, self.expected(self.rows[42]))
        self.assertEqual(doc["hits"][0]["id"], self.records[42]["id"])
        self.assertAlmostEqual(doc["hits"][0]["score"], 1.0, places=5)

    def test_filter_by_category(self):
        category = self.records[0]["category"]
        doc = run_json("store", "search", self.store, "-c", "fiori", "--vector-file", self.bin,
                       "--row", "300", "-k", "20", "--filter", json.dumps({"category": category}))
        want = [self.records[i] for i in range(778) if self.records[i]["category"] == category]
        self.assertEqual(len(doc["hits"]), min(20, len(want)))
        self.assertTrue(all(h["metadata"]["category"] == category for h in doc["hits"]))


def main_with_binary():
    """main() of a CLI test file whose one option is --binary (the CLI under test)."""
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


def main():
    global BINARY, DATA_DIR
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data")
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    if args.data is not None:
        DATA_DIR = args.data
        if not os.path.exists(os.path.join(DATA_DIR, "embeddings.bin")):
            print(f"skipped: {DATA_DIR}/embeddings.bin not found (run scripts/setup.sh)")
            sys.exit(77)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
