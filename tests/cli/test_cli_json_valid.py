#!/usr/bin/env python3
"""Every `--json` output of every `embedkit` command is strict JSON.

Usage: test_cli_json_valid.py --binary PATH [unittest args]

The commands are read from `embedkit --help` (the dispatcher's own table), so a new
command without scenarios here fails CoverageTests. Each scenario runs one command
line with --json, ordinary and edge inputs (empty filters, quotes and control
characters in ids and metadata, unicode, scores that overflow to inf, missing files,
bad options), and checks:
  - exit 0: stdout is exactly one JSON document (one line), parsed strictly
    (NaN/Infinity rejected, no control characters in strings);
  - exit != 0: stdout is empty and stderr is one JSON error object
    {"error": {"kind", "message", ...}}.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402  (its main_with_binary sets test_cli.BINARY)


def reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def strict_loads(text):
    return json.loads(text, parse_constant=reject_constant)


def run(args, env=None):
    proc = subprocess.run([test_cli.BINARY, *args], capture_output=True, text=True, timeout=120,
                          env=env)
    return proc.returncode, proc.stdout, proc.stderr


def commands_from_help():
    """The command paths listed by `embedkit --help` (dispatch.cc's CommandList)."""
    _, out, _ = run(["--help"])
    section = out.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    # "  store create   summary ...": the path ends where the run of 3+ spaces before
    # the summary starts.
    return [line.strip().split("   ", 1)[0] for line in section.splitlines() if line.strip()]


VECTORS = [[1.0, 0.0, 0.0, 0.0], [0.9, 0.1, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0],
           [0.0, 0.0, 1.0, 0.0], [3e38, 3e38, 0.0, 0.0]]
RECORDS = [{"id": "a", "title": "plain", "cat": "x"},
           {"id": "quote\"back\\slash", "title": "\u00e9t\u00e9 \u2603", "cat": "x"},
           {"id": "tab\there", "title": "ctrl \u0001 \u001f", "cat": "y"},
           {"id": "line\nbreak", "title": None, "cat": "y"},
           {"id": "huge", "title": "overflows a dot product", "cat": "z"}]
DDL = """CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY,
  birth_dt DATE,        -- date of birth
  gender_cd VARCHAR(1)  -- sex of the "patient"
);
"""
GLOSSARY = [{"id": "birth_date", "label": "Birth date", "description": "The date the person was born"},
            {"id": "gender", "label": "Gender \u00e9", "description": "The sex of the person"},
            {"id": "visit_start", "label": "Visit start", "description": "When the visit started"}]
TOPICS = {"space": ["space", "orbit", "rocket"], "sport": ["team", "match", "game"]}
CORPUS = ["the rocket launch reached orbit", "nasa astronauts on the space station",
          "planets orbit the sun in space", "the shuttle returned from space orbit",
          "the team won the football match", "a goal in the last minute of the game",
          "fans cheered as the team scored", "the coach picked the players for the match"]


class Fixture:
    """Files and stores in a temporary folder, built once for all scenarios."""

    def __init__(self, folder):
        self.dir = folder
        p = self.path
        with open(p("v.f32"), "wb") as f:
            for row in VECTORS:
                f.write(struct.pack("<4f", *row))
        self.write("r.jsonl", "\n".join(json.dumps(r) for r in RECORDS) + "\n")
        self.write("people.ndjson", "\n".join(json.dumps(d) for d in [
            {"name": "ada", "city": "london", "age": 36, "tags": ["math"]},
            {"name": "al\"an", "city": "m\u00e4nchester", "age": 41.5, "tags": []},
            {"name": "grace", "city": None, "age": 1e300, "tags": ["navy", "compilers"]},
        ]) + "\n")
        lines = []
        for u in range(6):
            for i in range(6):
                if (u + i) % 3 != 0:
                    lines.append(f"a{u}\tx{i}\t5\t{u * 10 + i}")
                if (u + i) % 3 != 1:
                    lines.append(f"b{u}\ty{i}\t4\t{u * 10 + i}")
        self.write("rec.tsv", "\n".join(lines) + "\n")
        self.write("pairs.tsv", "a1\tx1\n")
        self.write("labels.json", json.dumps({"labels": TOPICS}))
        self.write("docs.jsonl", "\n".join(json.dumps(
            {"id": f"d{i}", "split": "train", "text": t, "label": "space" if i < 4 else "sport"})
            for i, t in enumerate(CORPUS)) + "\n")
        self.write("new.jsonl", json.dumps({"id": "n\"1", "text": "a rocket to orbit"}) + "\n" +
                   json.dumps({"id": "n2", "text": ""}) + "\n")
        self.write("s.sql", DDL)
        self.write("g.json", json.dumps(GLOSSARY))
        self.write("gold.txt", "patients.birth_dt -> birth_date\npatients.gender_cd -> gender\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)

    def build_stores(self):
        """Stores the read commands need; each step must succeed."""
        p = self.path
        steps = [
            ["store", "import", p("s.db"), "-c", "t", "--dim", "4", "--metric", "dot",
             "--vectors", p("v.f32"), "--records", p("r.jsonl")],
            ["json", "encode", p("people.ndjson"), "--db", p("j.db"), "-c", "people",
             "--id-field", "name", "--dim", "256"],
            ["store", "import", p("ix.db"), "-c", "t", "--dim", "4", "--vectors", p("v.f32"),
             "--records", p("r.jsonl")],
            ["store", "kv", "put", p("kv.db"), "app", "bytes", "--blob", p("v.f32")],
            ["store", "kv", "put", p("kv.db"), "app", "json", "--value", "[1,2]"],
            ["rec", "train", p("rec.db"), "-i", p("rec.tsv"), "--config",
             '{"dim":8,"epochs":3,"text_dim":0}'],
            ["classify", "fit", "-l", p("labels.json"), "-d", p("docs.jsonl"), "-s", p("c.db"),
             "-m", "topics", "--embedder", "hashing", "--config", '{"min_num_docs":2,"hash_dim":64}'],
        ]
        for args in steps:
            code, out, err = run(args)
            if code != 0:
                raise AssertionError(f"fixture step {args} failed: {err}")

    def scenarios(self):
        """command path -> list of argument lists (without --json)."""
        p = self.path
        missing = p("missing.db")
        rec_cfg = '{"dim":8,"epochs":2,"text_dim":0}'
        cls_cfg = '{"min_num_docs":2,"hash_dim":64}'
        return {
            "version": [["version"]],
            "store create": [
                ["store", "create", p("new.db"), "-c", "q\"uo\\te", "--dim", "3"],
                ["store", "create", p("new.db"), "-c", "q\"uo\\te", "--dim", "3"],  # exists
                ["store", "create", p("new2.db"), "-c", "x", "--dim", "0"],
            ],
            "store import": [
                ["store", "import", p("i.db"), "-c", "t", "--dim", "4", "--vectors", p("v.f32"),
                 "--records", p("r.jsonl")],
                ["store", "import", p("i2.db"), "-c", "t", "--dim", "4", "--vectors", p("v.f32")],
                ["store", "import", p("i3.db"), "-c", "t", "--dim", "3", "--vectors", p("v.f32")],
                ["store", "import", p("i4.db"), "-c", "t", "--dim", "4", "--vectors", p("nope.f32")],
            ],
            "store search": [
                ["store", "search", p("s.db"), "-c", "t", "--vector", "1,0,0,0"],
                ["store", "search", p("s.db"), "-c", "t", "--vector", "1,0,0,0", "--filter", ""],
                ["store", "search", p("s.db"), "-c", "t", "--vector", "1,0,0,0", "--filter", " "],
                ["store", "search", p("s.db"), "-c", "t", "--vector", "1,0,0,0", "--filter",
                 '{"cat":"x"}'],
                ["store", "search", p("s.db"), "-c", "t", "--vector", "1,0,0,0", "--filter",
                 '{"cat":'],
                ["store", "search", p("s.db"), "-c", "t", "--vector", "3e38,3e38,0,0"],
                ["store", "search", p("s.db"), "-c", "t", "--like", "tab\there", "--show",
                 "title"],
                ["store", "search", p("s.db"), "-c", "t", "--like", "line\nbreak", "--show",
                 "nothing,title"],
                ["store", "search", p("s.db"), "-c", "t", "--vector", "1e39,0,0,0"],
                ["store", "search", missing, "-c", "t", "--vector", "1,0,0,0"],
                ["store", "search", p("s.db"), "-c", "t", "--vector-file", p("v.f32"),
                 "--all-rows", "-k", "2", "--show", "title"],
                ["store", "search", p("s.db"), "-c", "t", "--vector", "1,0,0,0", "--ef", "0"],
            ],
            "store index": [
                ["store", "index", p("ix.db"), "-c", "t", "--index", "hnsw", "--m", "8"],
                ["store", "index", p("ix.db"), "-c", "t", "--compact"],
                ["store", "index", p("ix.db"), "-c", "t", "--element", "int9"],
                ["store", "index", missing, "-c", "t"],
            ],
            "store info": [
                ["store", "info", p("s.db")],
                ["store", "info", missing],
            ],
            "store kv list": [
                ["store", "kv", "list", p("j.db"), "embedkit.vsa_json"],
                ["store", "kv", "list", p("kv.db"), "app", "--limit", "1"],
                ["store", "kv", "list", missing, "app"],
            ],
            "store kv get": [
                ["store", "kv", "get", p("j.db"), "embedkit.vsa_json", "people/config"],
                ["store", "kv", "get", p("kv.db"), "app", "bytes"],
                ["store", "kv", "get", p("kv.db"), "app", "absent"],
            ],
            "store kv put": [
                ["store", "kv", "put", p("kv.db"), "app", "q\"uo\\te", "--value", '{"k":"\u00e9"}'],
                ["store", "kv", "put", p("kv.db"), "app", "k", "--value", "{"],
            ],
            "store kv delete": [
                ["store", "kv", "delete", p("kv.db"), "app", "k"],
                ["store", "kv", "delete", missing, "app", "k"],
            ],
            "store kv delete-prefix": [
                ["store", "kv", "delete-prefix", p("kv.db"), "app", "q"],
                ["store", "kv", "delete-prefix", p("kv.db"), "ek.x", ""],
            ],
            "json encode": [
                ["json", "encode", p("people.ndjson"), "--db", p("j2.db"), "-c", "people",
                 "--dim", "128"],
                ["json", "encode", p("r.jsonl"), "--db", p("j3.db"), "-c", "r", "--dim", "100"],
            ],
            "json search": [
                ["json", "search", "--db", p("j.db"), "-c", "people", "--query", '{"city":"london"}'],
                ["json", "search", "--db", p("j.db"), "-c", "people", "--query", '{"city":"london"}',
                 "--filter", ""],
                ["json", "search", "--db", p("j.db"), "-c", "people", "--query", "{"],
            ],
            "json probe": [
                ["json", "probe", "--db", p("j.db"), "-c", "people", "--id", "ada", "--path", "city"],
                ["json", "probe", "--db", p("j.db"), "-c", "people", "--id", "ada", "--path", "age"],
                ["json", "probe", "--db", p("j.db"), "-c", "people", "--id", "grace", "--path", "age"],
                ["json", "probe", "--db", p("j.db"), "-c", "people", "--id", "ada", "--path", "nope"],
            ],
            "rec train": [
                ["rec", "train", p("rec2.db"), "-i", p("rec.tsv"), "--config", rec_cfg],
                ["rec", "train", p("rec3.db"), "-i", p("rec.tsv"), "--config", rec_cfg,
                 "--min-rating", "4.5"],
                ["rec", "train", p("rec4.db"), "-i", p("nope.tsv")],
            ],
            "rec recommend": [
                ["rec", "recommend", p("rec.db"), "-u", "a1", "-k", "3"],
                ["rec", "recommend", p("rec.db"), "-u", "nobody"],
                ["rec", "recommend", p("rec.db"), "-u", "a1", "-n", "nomodel"],
            ],
            "rec forget": [
                ["rec", "forget", p("rec.db"), "--pairs", p("pairs.tsv")],
                ["rec", "forget", p("rec.db"), "--users", "nobody"],
            ],
            "rec eval": [
                ["rec", "eval", "-i", p("rec.tsv"), "--forget", "users", "--fraction", "0.2",
                 "--config", rec_cfg, "--methods", "noop,finetune"],
                ["rec", "eval", "-i", p("rec.tsv"), "--forget", "nothing"],
            ],
            "classify fit": [
                ["classify", "fit", "-l", p("labels.json"), "-d", p("docs.jsonl"), "-s", p("c2.db"),
                 "-m", "m", "--embedder", "hashing", "--config", cls_cfg],
                ["classify", "fit", "-l", p("labels.json"), "-d", p("nope.jsonl"), "-s", p("c3.db"),
                 "-m", "m"],
            ],
            "classify predict": [
                ["classify", "predict", "-s", p("c.db"), "-m", "topics", "-d", p("new.jsonl")],
                ["classify", "predict", "-s", p("c.db"), "-m", "nomodel", "-d", p("new.jsonl")],
            ],
            "classify eval": [
                ["classify", "eval", "-l", p("labels.json"), "-d", p("docs.jsonl"), "--split", "all",
                 "--embedder", "hashing", "--config", cls_cfg],
                # No document of split "test": every score is 0/0.
                ["classify", "eval", "-l", p("labels.json"), "-d", p("docs.jsonl"),
                 "--embedder", "hashing", "--config", cls_cfg],
            ],
            "match": [
                ["match", "-s", p("s.sql"), "-t", p("g.json"), "-k", "2", "--config",
                 '{"wordvec":"none"}'],
                ["match", "-s", p("nope.sql"), "-t", p("g.json")],
            ],
            "match eval": [
                ["match", "eval", "-s", p("s.sql"), "-t", p("g.json"), "-g", p("gold.txt"),
                 "--config", '{"wordvec":"none"}'],
                ["match", "eval", "-s", p("s.sql"), "-t", p("g.json"), "-g", p("nope.txt")],
            ],
        }


class JsonOutputIsValid(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="ek-cli-json-valid-")
        cls.fixture = Fixture(cls._tmp.name)
        cls.fixture.build_stores()

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def check(self, args):
        code, out, err = run([*args, "--json"])
        where = f"embedkit {' '.join(map(repr, args))} --json -> exit {code}"
        if code == 0:
            lines = out.splitlines()
            self.assertEqual(1, len(lines), f"{where}: stdout must be one JSON line: {out!r}")
            try:
                strict_loads(lines[0])
            except ValueError as e:
                self.fail(f"{where}: stdout is not valid JSON ({e}): {out!r}")
        else:
            self.assertEqual("", out, f"{where}: a failed command prints nothing on stdout")
            lines = [l for l in err.splitlines() if l.strip()]
            self.assertTrue(lines, f"{where}: no error on stderr")
            try:
                doc = strict_loads(lines[-1])
            except ValueError as e:
                self.fail(f"{where}: stderr's error is not valid JSON ({e}): {err!r}")
            self.assertIn("error", doc, where)
            self.assertTrue(doc["error"]["message"], where)
        return code

    def test_every_command_prints_valid_json(self):
        scenarios = self.fixture.scenarios()
        succeeded = {}
        for command in commands_from_help():
            self.assertIn(command, scenarios, f"no --json scenarios for '{command}'")
            for args in scenarios[command]:
                with self.subTest(args=args):
                    if self.check(args) == 0:
                        succeeded[command] = True
        # Every command's ordinary case must work, so its success output was checked.
        for command in commands_from_help():
            self.assertTrue(succeeded.get(command), f"no scenario of '{command}' succeeded")

    def test_empty_filter_is_null_not_a_hole(self):
        p = self.fixture.path
        code, out, err = run(["store", "search", p("s.db"), "-c", "t", "--vector", "1,0,0,0",
                              "--filter", "", "--json"])
        self.assertEqual(0, code, err)
        doc = strict_loads(out)
        self.assertIsNone(doc["filter"])
        self.assertEqual(5, len(doc["hits"]))

    def test_bytes_that_are_not_utf8_become_replacement_characters(self):
        # A Latin-1 file name: JSON text must be Unicode, so the byte cannot pass through.
        folder = os.fsencode(self.fixture.dir)
        store = folder + b"/caf\xe9.db"
        proc = subprocess.run([test_cli.BINARY, "store", "create", store, "-c", "t", "--dim", "2", "--json"],
                              capture_output=True, timeout=60)
        self.assertEqual(0, proc.returncode, proc.stderr)
        doc = strict_loads(proc.stdout.decode("utf-8"))  # strict UTF-8 decoding
        self.assertTrue(doc["store"].endswith("caf\ufffd.db"), doc)

    def test_overflowing_scores_are_null(self):
        p = self.fixture.path
        code, out, err = run(["store", "search", p("s.db"), "-c", "t", "--vector",
                              "3e38,3e38,0,0", "--json"])
        self.assertEqual(0, code, err)
        hits = strict_loads(out)["hits"]
        self.assertEqual("huge", hits[0]["id"])
        self.assertIsNone(hits[0]["score"])  # +inf: not representable in JSON


class CoverageTests(unittest.TestCase):
    def test_help_lists_the_known_commands(self):
        # Guards the parser of the help text: if it finds nothing, coverage means nothing.
        commands = commands_from_help()
        for c in ["store search", "json encode", "version", "match", "match eval"]:
            self.assertIn(c, commands)
        self.assertGreaterEqual(len(commands), 17)


if __name__ == "__main__":
    test_cli.main_with_binary()
