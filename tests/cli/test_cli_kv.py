#!/usr/bin/env python3
"""Black-box tests of `embedkit store kv list|get|put|delete|delete-prefix`.

Usage: test_cli_kv.py --binary PATH [unittest args]

Values written by the CLI read back with their kind (JSON as stored, blobs byte for
byte), listing pages in byte order, a plugin's own state (vsa_json's configuration
after `json encode`) is visible read-only, and refusals name their reason.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

BINARY = None
BLOB = bytes([0, 1, 2, 255, 0, 10, 13]) + "ü".encode("utf-8")


def run(*args, text=True):
    proc = subprocess.run([BINARY, *args], capture_output=True, text=text, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


class KvTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-kv-")
        self.db = os.path.join(self.tmp.name, "kv.db")

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def ok(self, *args):
        code, out, err = run(*args)
        self.assertEqual(0, code, f"{args}: {err}")
        return out

    def ok_json(self, *args):
        return json.loads(self.ok("--json", *args))

    def fails(self, code, *args):
        """Runs with --json; returns the error object after checking the exit code."""
        got, out, err = run("--json", *args)
        self.assertEqual(code, got, f"{args}: {out} {err}")
        self.assertEqual("", out)
        return json.loads(err)["error"]


class RoundTrip(KvTestCase):
    def test_json_and_blob_values_read_back_with_their_kind(self):
        value = {"theme": "dark", "sizes": [1, 2.5], "name": "Zoë", "none": None}
        self.ok("store", "kv", "put", self.db, "myapp", "settings", "--value", json.dumps(value))
        blob = self.path("blob.bin")
        with open(blob, "wb") as f:
            f.write(BLOB)
        out = self.ok("store", "kv", "put", self.db, "myapp", "weights", "--blob", blob)
        self.assertIn(f"blob, {len(BLOB)} bytes", out)

        self.assertEqual(value, json.loads(self.ok("store", "kv", "get", self.db, "myapp", "settings")))
        got = self.ok_json("store", "kv", "get", self.db, "myapp", "settings")
        self.assertEqual(("json", value), (got["kind"], got["value"]))
        code, raw, err = run("store", "kv", "get", self.db, "myapp", "weights", text=False)
        self.assertEqual((0, BLOB), (code, raw), err)
        got = self.ok_json("store", "kv", "get", self.db, "myapp", "weights")
        self.assertEqual(("blob", len(BLOB)), (got["kind"], got["length"]))
        self.assertEqual(BLOB, base64.b64decode(got["base64"]))
        copy = self.path("copy.bin")
        self.ok("store", "kv", "get", self.db, "myapp", "weights", "-o", copy)
        with open(copy, "rb") as f:
            self.assertEqual(BLOB, f.read())

        entries = self.ok_json("store", "kv", "list", self.db, "myapp")["entries"]
        self.assertEqual(["settings", "weights"], [e["key"] for e in entries])
        self.assertEqual(value, entries[0]["value"])
        self.assertEqual(("blob", len(BLOB)), (entries[1]["kind"], entries[1]["length"]))
        self.assertNotIn("value", entries[1])
        text = self.ok("store", "kv", "list", self.db, "myapp")
        self.assertIn("2 keys", text)
        self.assertIn('{"theme": "dark", ', text)  # as stored, cut to 60 characters

        self.ok("store", "kv", "put", self.db, "myapp", "settings", "--value", "7")
        self.assertEqual("7\n", self.ok("store", "kv", "get", self.db, "myapp", "settings"))
        self.assertEqual(1, self.ok_json("store", "kv", "delete", self.db, "myapp", "settings")["deleted"])
        self.assertEqual(0, self.ok_json("store", "kv", "delete", self.db, "myapp", "settings")["deleted"])

    def test_list_pages_in_byte_order_and_delete_prefix_counts(self):
        for i in range(5):
            self.ok("store", "kv", "put", self.db, "myapp", f"runs/{i}", "--value", str(i))
        self.ok("store", "kv", "put", self.db, "myapp", "runsX", "--value", "null")
        keys, after = [], []
        for _ in range(4):
            doc = self.ok_json("store", "kv", "list", self.db, "myapp", "--prefix", "runs/",
                               "--limit", "2", *after)
            keys.append([e["key"] for e in doc["entries"]])
            if doc["next_after"] is None:
                break
            after = ["--after", doc["next_after"]]
        self.assertEqual([["runs/0", "runs/1"], ["runs/2", "runs/3"], ["runs/4"]], keys)
        self.assertIn("next page: --after 'runs/1'",
                      self.ok("store", "kv", "list", self.db, "myapp", "-n", "2"))
        doc = self.ok_json("store", "kv", "delete-prefix", self.db, "myapp", "runs/")
        self.assertEqual(5, doc["deleted"])
        entries = self.ok_json("store", "kv", "list", self.db, "myapp")["entries"]
        self.assertEqual([("runsX", None)], [(e["key"], e["value"]) for e in entries])
        self.assertIn("deleted 1 key", self.ok("store", "kv", "delete-prefix", self.db, "myapp", ""))


class PluginState(KvTestCase):
    def test_vsa_json_configuration_is_visible_read_only(self):
        docs = self.path("people.ndjson")
        with open(docs, "w", encoding="utf-8") as f:
            f.write('{"name":"ada","city":"london"}\n{"name":"alan","city":"manchester"}\n')
        self.ok("json", "encode", docs, "--db", self.db, "-c", "people", "--id-field", "name",
                "--dim", "64")
        os.chmod(self.db, 0o444)  # read-only opening (as root the mode alone does not stop writes)
        entries = self.ok_json("store", "kv", "list", self.db, "embedkit.vsa_json")["entries"]
        self.assertEqual(["people/config"], [e["key"] for e in entries])
        self.assertEqual(64, entries[0]["value"]["dim"])
        config = json.loads(self.ok("store", "kv", "get", self.db, "embedkit.vsa_json", "people/config"))
        self.assertEqual(entries[0]["value"], config)


class Errors(KvTestCase):
    def test_bad_json_is_refused_with_its_offset_and_leaves_no_store(self):
        error = self.fails(1, "store", "kv", "put", self.db, "myapp", "k", "--value", '{"a":1,}')
        self.assertEqual("EK_ERR_PARSE", error["status"])
        self.assertRegex(error["message"], r"byte \d+")
        self.assertFalse(os.path.exists(self.db), "a failed put creates no store")

    def test_value_must_be_given_once(self):
        for extra in ([], ["--value", "1", "--blob", self.path("x")]):
            error = self.fails(2, "store", "kv", "put", self.db, "myapp", "k", *extra)
            self.assertIn("exactly one of --value JSON or --blob FILE", error["message"])
        error = self.fails(1, "store", "kv", "put", self.db, "myapp", "k", "--blob", self.path("nope"))
        self.assertIn("cannot read --blob", error["message"])
        self.assertIn("nope", error["message"])

    def test_missing_key_store_and_reserved_namespace(self):
        self.ok("store", "kv", "put", self.db, "myapp", "k", "--value", "1")
        error = self.fails(1, "store", "kv", "get", self.db, "myapp", "absent")
        self.assertEqual("EK_ERR_NOT_FOUND", error["status"])
        self.assertIn("absent", error["message"])
        missing = self.path("missing.db")
        self.assertEqual("EK_ERR_IO", self.fails(1, "store", "kv", "list", missing, "myapp")["status"])
        self.assertFalse(os.path.exists(missing), "list opens read-only and creates nothing")
        error = self.fails(1, "store", "kv", "put", self.db, "ek.mine", "k", "--value", "1")
        self.assertEqual("EK_ERR_INVALID_ARGUMENT", error["status"])
        self.assertIn("ek.", error["message"])

    def test_unknown_subcommand_lists_the_kv_commands(self):
        code, _, err = run("store", "kv", "frob", self.db)
        self.assertEqual(2, code)
        for command in ("store kv list", "store kv get", "store kv put", "store kv delete-prefix"):
            self.assertIn(command, err)


def main():
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
