#!/usr/bin/env python3
"""Black-box tests of the CLI's collection indexes (issue 19): `store create --index
...`, `store index` (build, change, --compact), `store search --ef/--exact/--rescore`
and `--vector-file FILE --all-rows`, and `store info`'s index columns.

Usage: test_cli_index.py --binary PATH [unittest args]

One store of 5,000 rows of dim 8 (an hnsw collection answers from its graph from
4,096 rows on) is made once: created with --defer-build, imported, then linked by
`store index`; tests that change it work on a copy.
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

BINARY = None
DIM = 8
ROWS = 5000
QUERY_ROWS = 1500  # > 1024: --all-rows needs two library calls


def run(*args):
    proc = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def write_vectors(path, rows):
    with open(path, "wb") as f:
        for row in rows:
            f.write(struct.pack(f"<{DIM}f", *row))


def nearest(rows, query, k):
    """Brute-force squared-L2 top-k row numbers (ties by row number, as the store)."""
    dist = [(sum((a - b) ** 2 for a, b in zip(row, query)), i) for i, row in enumerate(rows)]
    return [i for _, i in sorted(dist)[:k]]


def setUpModule():
    IndexTestCase.prepare()


def tearDownModule():
    IndexTestCase.tmp.cleanup()


class IndexTestCase(unittest.TestCase):
    @classmethod
    def prepare(cls):
        """The shared store, made once for every test class (IndexTestCase's attributes)."""
        cls.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-index-")
        rng = random.Random(19)
        cls.rows = [[rng.uniform(-1, 1) for _ in range(DIM)] for _ in range(ROWS)]
        cls.queries = [[rng.uniform(-1, 1) for _ in range(DIM)] for _ in range(20)]
        cls.data = cls.path("data.f32")
        write_vectors(cls.data, cls.rows)
        cls.first_rows = cls.path("first.f32")
        write_vectors(cls.first_rows, cls.rows[:QUERY_ROWS])
        cls.query_file = cls.path("queries.f32")
        write_vectors(cls.query_file, cls.queries)
        cls.db = cls.path("hnsw.db")
        cls.created = cls.ok_json("store", "create", cls.db, "-c", "v", "--dim", str(DIM),
                                  "--metric", "l2", "--index", "hnsw", "--m", "8",
                                  "--ef-construction", "40", "--ef-search", "24",
                                  "--defer-build")
        cls.ok_json("store", "import", cls.db, "-c", "v", "--vectors", cls.data,
                    "--batch", "5000")
        cls.deferred_info = cls.info(cls.db)
        cls.built = cls.ok_json("store", "index", cls.db, "-c", "v")

    @classmethod
    def path(cls, name):
        return os.path.join(cls.tmp.name, name)

    @classmethod
    def ok_json(cls, *args):
        code, out, err = run("--json", *args)
        if code != 0:
            raise AssertionError(f"{args}: exit {code}: {err}")
        return json.loads(out)

    @classmethod
    def info(cls, db):
        return cls.ok_json("store", "info", db, "-c", "v")["collections"][0]

    def copy(self, name):
        copy = self.path(name)
        shutil.copyfile(self.db, copy)
        return copy

    def fails(self, code, *args):
        got, out, err = run("--json", *args)
        self.assertEqual(code, got, f"{args}: {out} {err}")
        self.assertEqual("", out)
        return json.loads(err.splitlines()[-1])["error"]


class CreateBuildAndInfo(IndexTestCase):
    def test_create_reports_the_options_and_defer_build_leaves_the_index_building(self):
        index = self.created["index"]
        self.assertEqual(("hnsw", "f32", 8, 40, 24, "building"),
                         (index["index"], index["element"], index["m"], index["ef_construction"],
                          index["ef_search"], index["state"]))
        self.assertEqual(ROWS, self.deferred_info["count"])
        self.assertEqual("building", self.deferred_info["index"]["state"])

    def test_store_index_links_the_rows_and_info_shows_every_field(self):
        self.assertEqual("build", self.built["action"])
        self.assertEqual(ROWS, self.built["count"])
        index = self.info(self.db)["index"]
        self.assertEqual({"index": "hnsw", "element": "f32", "m": 8, "ef_construction": 40,
                          "ef_search": 24, "rescore": 1, "state": "ready"},
                         {k: v for k, v in index.items() if k != "bytes_per_vector"})
        # At least the f32 vector (4 * dim bytes) and some links per row.
        self.assertGreater(index["bytes_per_vector"], 4 * DIM)
        code, out, err = run("store", "info", self.db)
        self.assertEqual(0, code, err)
        self.assertRegex(out, r"(?m)^v\s+8\s+l2\s+5000\s+hnsw\s+f32\s+8\s+40\s+24\s+1\s+ready\s+\d+$")

    def test_index_flags_change_only_what_is_given(self):
        db = self.copy("change.db")
        out = self.ok_json("store", "index", db, "-c", "v", "--element", "int8", "--rescore", "4")
        self.assertEqual(("hnsw", "int8", 8, 40, 24, 4, "ready"),
                         tuple(out["index"][k] for k in ("index", "element", "m", "ef_construction",
                                                         "ef_search", "rescore", "state")))
        out = self.ok_json("store", "index", db, "-c", "v", "--index", "exact", "--element", "f32",
                           "--rescore", "1")
        self.assertEqual(("exact", "f32", 0, 0, 0), tuple(out["index"][k] for k in (
            "index", "element", "m", "ef_construction", "ef_search")))
        code, out, err = run("store", "index", db, "-c", "v", "--compact")
        self.assertEqual(0, code, err)
        self.assertRegex(out, r"^compacted the exact f32 index of 'v' \(5000 vectors\) in [\d.]+ s; "
                              r"\d+ bytes freed\n$")
        doc = self.ok_json("store", "index", db, "-c", "v", "--compact")
        self.assertEqual("compact", doc["action"])
        self.assertGreaterEqual(doc["bytes_freed"], 0)

    def test_create_with_other_index_options_names_the_difference(self):
        error = self.fails(1, "store", "create", self.db, "-c", "v", "--dim", str(DIM), "--metric",
                           "l2", "--index", "hnsw", "--m", "16", "--ef-construction", "40",
                           "--ef-search", "24")
        self.assertEqual("EK_ERR_ALREADY_EXISTS", error["status"])
        self.assertIn("m 8 vs 16", error["message"])


class Search(IndexTestCase):
    def search(self, query, *extra):
        vector = ",".join(repr(x) for x in query)
        doc = self.ok_json("store", "search", self.db, "-c", "v", "--vector", vector, "-k", "10",
                           *extra)
        return [int(h["id"]) for h in doc["hits"]]

    def test_exact_equals_brute_force_and_the_graph_finds_most_of_it(self):
        found = total = 0
        for query in self.queries[:3]:
            truth = nearest(self.rows, query, 10)
            self.assertEqual(truth, self.search(query, "--exact"))
            found += len(set(truth) & set(self.search(query, "--ef", "200")))
            total += len(truth)
        self.assertGreaterEqual(found / total, 0.9)

    def test_all_rows_answers_every_row_in_order(self):
        doc = self.ok_json("store", "search", self.db, "-c", "v", "--vector-file", self.first_rows,
                           "--all-rows", "-k", "3", "--exact")
        self.assertEqual(QUERY_ROWS, doc["queries"])
        results = doc["results"]
        self.assertEqual(list(range(QUERY_ROWS)), [r["row"] for r in results])
        self.assertTrue(all(len(r["hits"]) == 3 for r in results))
        # Each stored row is its own nearest neighbour (distance 0; ids are row numbers).
        self.assertEqual([str(i) for i in range(QUERY_ROWS)], [r["hits"][0]["id"] for r in results])
        self.assertLess(max(abs(r["hits"][0]["score"]) for r in results), 1e-5)

    def test_all_rows_through_the_graph_with_ef_and_rescore(self):
        def all_rows(*extra):
            return self.ok_json("store", "search", self.db, "-c", "v", "--vector-file",
                                self.query_file, "--all-rows", "-k", "10", *extra)["results"]
        # --exact equals brute force (test above), so it is the truth here.
        truth = all_rows("--exact")
        graph = all_rows("--ef", "100", "--rescore", "2")
        self.assertEqual(len(self.queries), len(graph))
        found = sum(len({h["id"] for h in t["hits"]} & {h["id"] for h in g["hits"]})
                    for t, g in zip(truth, graph))
        self.assertGreaterEqual(found / (10 * len(self.queries)), 0.9)
        code, out, err = run("store", "search", self.db, "-c", "v", "--vector-file", self.query_file,
                             "--all-rows", "-k", "2")
        self.assertEqual(0, code, err)
        self.assertIn(f"the 2 nearest to each of the {len(self.queries)} rows", out)
        self.assertRegex(out, r"(?m)^\s*19\s+2\s+[\d.]+\s+\d+$")  # last row, second hit


class BadFlags(IndexTestCase):
    def test_bad_values_are_usage_errors_naming_the_flag(self):
        cases = [
            (["store", "create", self.path("x.db"), "-c", "v", "--dim", "8", "--index", "ivf"],
             "--index must be exact or hnsw, got 'ivf'"),
            (["store", "create", self.path("x.db"), "-c", "v", "--dim", "8", "--index", "hnsw",
              "--m", "1"], "--m must be an integer from 2 to 255, got '1'"),
            (["store", "create", self.path("x.db"), "-c", "v", "--dim", "8", "--m", "16"],
             "--m applies to an hnsw index only"),
            (["store", "create", self.path("x.db"), "-c", "v", "--dim", "8", "--defer-build"],
             "--defer-build applies to an hnsw index only"),
            (["store", "create", self.path("x.db"), "-c", "v", "--dim", "8", "--element", "f64"],
             "--element must be f32, f16, int8 or bit, got 'f64'"),
            (["store", "create", self.path("x.db"), "-c", "v", "--dim", "8", "--rescore", "2000"],
             "--rescore must be an integer from 1 to 1024, got '2000'"),
            (["store", "index", self.db, "-c", "v", "--compact", "--m", "8"],
             "--compact keeps the current index options"),
            (["store", "search", self.db, "-c", "v", "--vector", "1,2", "--ef", "0"],
             "--ef must be an integer from 1 to 65536, got '0'"),
            (["store", "search", self.db, "-c", "v", "--vector", "1,2", "--exact", "--ef", "9"],
             "--exact scans the f32 originals"),
            (["store", "search", self.db, "-c", "v", "--vector", "1,2", "--all-rows"],
             "--all-rows goes with --vector-file"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                error = self.fails(2, *args)
                self.assertEqual("usage", error["kind"])
                self.assertIn(message, error["message"])
        self.assertFalse(os.path.exists(self.path("x.db")), "a usage error creates no store")

    def test_store_index_needs_an_existing_store(self):
        missing = self.path("missing.db")
        error = self.fails(1, "store", "index", missing, "-c", "v")
        self.assertIn("no such store", error["message"])
        self.assertFalse(os.path.exists(missing))


def main():
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
