#!/usr/bin/env python3
"""Black-box tests of `embedkit json encode|search|probe` (the vsa_json plugin).

Usage: test_cli_json.py --binary PATH [unittest args]

The checks are behavioural: a query equal to a stored document ranks it first, a
probe along a key path recovers the stored value, malformed input and bad options
fail with the library's status and a precise message.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BINARY = None
PEOPLE = [
    {"name": "ada", "city": "london", "age": 36, "tags": ["math", "engines"]},
    {"name": "alan", "city": "manchester", "age": 41, "tags": ["math", "computing"]},
    {"name": "grace", "city": "new york", "age": 85, "tags": ["navy", "compilers"]},
    {"name": "edsger", "city": "rotterdam", "age": 72, "tags": ["algorithms", "structured"]},
]


def run(*args):
    proc = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


class JsonCommands(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-json-")
        self.db = os.path.join(self.tmp.name, "t.db")
        self.docs = os.path.join(self.tmp.name, "people.ndjson")
        with open(self.docs, "w", encoding="utf-8") as f:
            f.write("\n".join(json.dumps(p) for p in PEOPLE) + "\n")

    def tearDown(self):
        self.tmp.cleanup()

    def encode(self, *extra):
        code, out, err = run("json", "encode", self.docs, "--db", self.db, "-c", "people",
                             "--id-field", "name", "--dim", "256", *extra)
        self.assertEqual(0, code, err)
        return out

    def test_encode_then_search_ranks_the_matching_document_first(self):
        self.assertIn("encoded 4 documents", self.encode())
        for person in PEOPLE:
            query = json.dumps({"name": person["name"], "city": person["city"]})
            code, out, err = run("json", "search", "--db", self.db, "-c", "people",
                                 "--query", query, "-k", "4", "--json")
            self.assertEqual(0, code, err)
            results = json.loads(out)["results"]
            self.assertEqual(4, len(results))
            self.assertEqual(person["name"], results[0]["id"])
            scores = [r["score"] for r in results]
            self.assertEqual(sorted(scores, reverse=True), scores)
            self.assertGreater(scores[0], scores[1] + 0.2)

    def test_probe_recovers_the_stored_value(self):
        self.encode()
        for person in PEOPLE:
            code, out, err = run("json", "probe", "--db", self.db, "-c", "people",
                                 "--id", person["name"], "--path", "city", "--json")
            self.assertEqual(0, code, err)
            candidates = json.loads(out)["candidates"]
            self.assertEqual(person["city"], candidates[0]["value"])

    def test_strict_and_soft_modes_both_work(self):
        self.encode("--mode", "strict")
        code, out, err = run("json", "search", "--db", self.db, "-c", "people",
                             "--query", json.dumps(PEOPLE[1]), "-k", "1", "--json")
        self.assertEqual(0, code, err)
        result = json.loads(out)["results"][0]
        self.assertEqual("alan", result["id"])
        self.assertAlmostEqual(1.0, result["score"], places=4)

    def test_malformed_document_reports_parse_error_with_offset(self):
        bad = os.path.join(self.tmp.name, "bad.ndjson")
        with open(bad, "w") as f:
            f.write('{"a": [1,2,}\n')
        code, _, err = run("json", "encode", bad, "--db", self.db, "-c", "bad")
        self.assertEqual(1, code)
        self.assertIn("EK_ERR_PARSE", err)
        self.assertIn("byte 11", err)

    def test_structured_binding_needs_a_power_of_two(self):
        code, _, err = run("json", "encode", self.docs, "--db", self.db, "-c", "x",
                           "--dim", "1000")
        self.assertEqual(1, code)
        self.assertIn("EK_ERR_INVALID_ARGUMENT", err)
        self.assertIn("power of two", err)

    def test_probe_of_unknown_id_fails_cleanly(self):
        self.encode()
        code, _, err = run("json", "probe", "--db", self.db, "-c", "people",
                           "--id", "nobody", "--path", "city")
        self.assertEqual(1, code)
        self.assertIn("nobody", err)


class EncodeFailuresNameTheLine(unittest.TestCase):
    """A document that fails is named by FILE:LINE (blank lines counted), not by its
    position among the documents or within the batch sent to the plugin."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-json-lines-")
        self.db = os.path.join(self.tmp.name, "t.db")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_malformed_document_names_file_and_line(self):
        bad = self.write("bad.ndjson", '{"a": 1}\n\n{"b": 2}\n{"a": [1, 2\n')
        code, _, err = run("json", "encode", bad, "--db", self.db, "-c", "c", "--dim", "64")
        self.assertEqual(1, code, err)
        self.assertIn("EK_ERR_PARSE", err)
        self.assertIn("bad.ndjson:4: ", err)
        self.assertNotIn("document 2", err)
        self.assertIn("byte 11", err)  # the plugin's own reason is kept

    def test_document_in_a_later_batch_names_its_line(self):
        # 2,048 documents go to the plugin per call: the bad one is document 2 of the
        # second call and on line 2,051 of the file.
        lines = [json.dumps({"n": i}) for i in range(2050)] + ['{"n": [}']
        bad = self.write("many.ndjson", "\n".join(lines) + "\n")
        code, _, err = run("json", "encode", bad, "--db", self.db, "-c", "c", "--dim", "64")
        self.assertEqual(1, code, err)
        self.assertIn("many.ndjson:2051: ", err)
        self.assertNotIn("document 2:", err)

    def test_id_field_failures_name_the_line(self):
        path = self.write("ids.ndjson", '{"id": "a"}\n\n{"x": 1}\n')
        code, _, err = run("json", "encode", path, "--db", self.db, "-c", "c", "--id-field", "id")
        self.assertEqual(1, code, err)
        self.assertIn("ids.ndjson:3: ", err)
        self.assertIn("--id-field 'id'", err)
        path = self.write("dup.ndjson", '{"id": "a"}\n\n{"id": "b"}\n{"id": "a"}\n')
        code, _, err = run("json", "encode", path, "--db", self.db, "-c", "c", "--id-field", "id")
        self.assertEqual(1, code, err)
        self.assertIn("dup.ndjson:4: ", err)
        self.assertIn("line 1", err)  # where the id was first seen
        self.assertFalse(os.path.exists(self.db))

    def test_array_element_is_named_by_its_index(self):
        path = self.write("arr.json", '[{"id": "a"}, {"x": 1}]\n')
        code, _, err = run("json", "encode", path, "--db", self.db, "-c", "c", "--id-field", "id")
        self.assertEqual(1, code, err)
        self.assertIn("arr.json: element 1: ", err)


class StoreFromTheLastRelease(unittest.TestCase):
    """tests/fixture/store_v1 (written before the key/value state: vsa_json's
    configuration was a row of "countries.vsa_values") answers `json probe` and `json
    search` with the text that release printed, and a writable copy is upgraded on the
    way: the row moves to the key/value state, so the values collection loses one row
    (vsa_json_state_test reads the key/value entry through the C API and covers a
    read-only store). The fixture itself is copied, never opened."""

    FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixture", "store_v1")
    PROBE = ["json", "probe", "-c", "countries", "--id", "0", "--path", "region", "-k", "2"]
    SEARCH = ["json", "search", "-c", "countries", "--query", '{"region":"Europe"}', "-k", "2"]

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-json-v1-")
        self.db = os.path.join(self.tmp.name, "store_v1.ekdb")
        shutil.copyfile(os.path.join(self.FIXTURE, "store_v1.ekdb"), self.db)
        with open(os.path.join(self.FIXTURE, "expected.jsonl"), encoding="utf-8") as f:
            expected = f.read().splitlines()
        self.expected_probe, self.expected_search = expected[1], expected[2]

    def tearDown(self):
        self.tmp.cleanup()

    def read(self, command):
        code, out, err = run("-q", "--json", *command, "--db", self.db)
        self.assertEqual(0, code, err)
        return out.strip()

    def assertSameAnswer(self, expected_text, actual_text):
        """The same document, scores within float rounding: the fixture was printed on an
        AVX2 host, and an AVX-512 host sums a dot product in another order (one float
        step apart, e.g. 0.5581191 vs 0.558119); ids, order and every other value exact."""
        def same(expected, actual, where):
            if isinstance(expected, float) or isinstance(actual, float):
                self.assertAlmostEqual(expected, actual, delta=1e-6, msg=where)
            elif isinstance(expected, dict):
                self.assertEqual(sorted(expected), sorted(actual), where)
                for key in expected:
                    same(expected[key], actual[key], f"{where}.{key}")
            elif isinstance(expected, list):
                self.assertEqual(len(expected), len(actual), where)
                for i, (e, a) in enumerate(zip(expected, actual)):
                    same(e, a, f"{where}[{i}]")
            else:
                self.assertEqual(expected, actual, where)
        same(json.loads(expected_text), json.loads(actual_text), "answer")

    def values_rows(self):
        code, out, err = run("--json", "store", "info", self.db)
        self.assertEqual(0, code, err)
        return {c["name"]: c["count"] for c in json.loads(out)["collections"]}["countries.vsa_values"]

    def test_probe_and_search_answer_as_before_and_upgrade_the_store(self):
        before = self.values_rows()
        self.assertSameAnswer(self.expected_probe, self.read(self.PROBE))
        self.assertEqual(before - 1, self.values_rows())  # the configuration row moved
        self.assertSameAnswer(self.expected_search, self.read(self.SEARCH))
        self.assertSameAnswer(self.expected_probe, self.read(self.PROBE))
        self.assertEqual(before - 1, self.values_rows())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = args.binary
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
