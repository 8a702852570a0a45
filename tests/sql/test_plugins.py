"""The bundled plugins in SQL (sdk/sql/plugin_functions.h): every answer is checked
against the CLI's answer for the same input (build/sdk/cli/embedkit, the oracle), on the
small inputs the CLI's own plugin tests use (tests/cli/plugin_inputs.py): two taste
groups of users, keyword-separable topics, obviously named columns.

Run by ctest as sql_plugins (EK_SQL_EXTENSION = the built extension); the CLI is found
beside it in the build tree (EK_CLI overrides).
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "cli"))  # the inputs the CLI's plugin tests use
from plugin_inputs import CORPUS, DDL, GLOSSARY, TOPICS, interactions_tsv  # noqa: E402
from sqlite_ext import connect, extension_path  # noqa: E402


def cli_path() -> str:
    # build/sdk/sql/libembedkit_sqlite.so -> build/sdk/cli/embedkit
    return os.environ.get("EK_CLI", str(Path(extension_path()).resolve().parents[1] / "cli" / "embedkit"))


def cli(*args) -> str:
    proc = subprocess.run([cli_path(), *args], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"embedkit {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def cli_json(*args):
    return json.loads(cli(*args, "--json"))


class Folder(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="ek_sql_plugins_"))
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = self.dir / name
        path.write_text(text)
        return str(path)

    def open(self, name):
        conn = connect(str(self.dir / name))
        self.addCleanup(conn.close)
        return conn


DOCUMENTS = [{"name": "Ada", "city": "London", "year": 1815, "tags": ["math", "engines"]},
             {"name": "Grace", "city": "New York", "year": 1906, "tags": ["cobol"]},
             {"name": "Alan", "city": "London", "year": 1912, "tags": ["math", "codes"]}]


class Encode(Folder):
    """ek_encode = the vector `embedkit json encode` stores for the same document."""

    def test_equals_what_the_cli_stores(self):
        lines = "\n".join(json.dumps(d) for d in DOCUMENTS) + "\n"
        cli("json", "encode", self.write("docs.ndjson", lines), "--db", str(self.dir / "s.db"), "-c", "people")
        db = self.open("s.db")
        db.execute("create virtual table people using embedkit(id text primary key, "
                   "embedding float[1024] distance_metric=cosine)")
        stored = dict(db.execute("select id, embedding from people").fetchall())
        self.assertEqual(len(stored), 3)
        for i, d in enumerate(DOCUMENTS):
            mine = db.execute("select ek_encode(?)", (json.dumps(d),)).fetchone()[0]
            self.assertEqual(mine, stored[str(i)], d["name"])
        # A query document finds its own row first.
        hit = db.execute("select id from people where embedding match ek_encode(?) and k = 1",
                         (json.dumps(DOCUMENTS[1]),)).fetchall()
        self.assertEqual(hit, [("1",)])

    def test_config_null_and_errors(self):
        db = self.open("e.db")
        self.assertEqual(db.execute("select vec_length(ek_encode('{\"a\": 1}', '{\"dim\": 64}')), "
                                    "vec_type(ek_encode('[1, 2]'))").fetchone(), (64, "float32"))
        self.assertIsNone(db.execute("select ek_encode(NULL)").fetchone()[0])
        # INSERT ... SELECT into an embedkit table.
        db.execute("create table src(id integer primary key, doc text)")
        db.executemany("insert into src(doc) values (?)", [(json.dumps(d),) for d in DOCUMENTS])
        db.execute("create virtual table v using embedkit(embedding float[64] distance_metric=cosine)")
        db.execute("insert into v(rowid, embedding) select id, ek_encode(doc, '{\"dim\": 64}') from src")
        self.assertEqual(db.execute("select count(*) from v").fetchone()[0], 3)
        for sql, message in [("select ek_encode('{\"a\": ')", "malformed JSON"),
                             ("select ek_encode('{}', '{\"dim\": 100}')", "dim"),
                             ("select ek_encode(x'00')", "ek_encode() argument 1: expected text")]:
            with self.assertRaises(sqlite3.OperationalError) as caught:
                db.execute(sql).fetchall()
            self.assertIn(message, str(caught.exception))
            self.assertTrue(str(caught.exception).startswith("embedkit: "), str(caught.exception))


NEW_TEXTS = ["a rocket to orbit", "the team lost the game", "space match", "", "zzz qqq"]


class Classify(Folder):
    """ek_classify / ek_classify_scores = `embedkit classify predict` on a model in the file."""

    def setUp(self):
        super().setUp()
        rows = [{"id": f"d{i}", "text": t} for i, t in enumerate(CORPUS)]
        cli("classify", "fit", "-l", self.write("labels.json", json.dumps({"labels": TOPICS})),
            "-d", self.write("docs.jsonl", "\n".join(map(json.dumps, rows)) + "\n"),
            "-s", str(self.dir / "m.db"), "-m", "topics", "--embedder", "hashing",
            "--config", '{"min_num_docs":2,"hash_dim":256}')

    def test_labels_and_confidence_equal_the_cli(self):
        new = [{"id": f"n{i}", "text": t} for i, t in enumerate(NEW_TEXTS)]
        expected = cli_json("classify", "predict", "-s", str(self.dir / "m.db"), "-m", "topics",
                            "-d", self.write("new.jsonl", "\n".join(map(json.dumps, new)) + "\n"))
        db = self.open("m.db")
        for text, want in zip(NEW_TEXTS, expected["predictions"]):
            label = db.execute("select ek_classify('topics', ?)", (text,)).fetchone()[0]
            self.assertEqual(label, want["label"], text)
            scores = json.loads(db.execute("select ek_classify_scores('topics', ?)", (text,)).fetchone()[0])
            self.assertEqual(scores["label"], want["label"], text)
            self.assertAlmostEqual(scores["confidence"], want["confidence"], places=6)
            self.assertEqual(sorted(scores["scores"]), sorted(TOPICS))
        self.assertEqual(expected["predictions"][0]["label"], "space")  # the oracle is not trivial
        self.assertIsNone(expected["predictions"][3]["label"])
        # Over a table: one load per statement, every row labelled.
        db.execute("create table notes(body text)")
        db.executemany("insert into notes values (?)", [(t,) for t in NEW_TEXTS[:2]])
        self.assertEqual(db.execute("select ek_classify('topics', body) from notes order by rowid").fetchall(),
                         [("space",), ("sport",)])
        self.assertIsNone(db.execute("select ek_classify('topics', NULL)").fetchone()[0])

    def test_unknown_model(self):
        db = self.open("m.db")
        with self.assertRaises(sqlite3.OperationalError) as caught:
            db.execute("select ek_classify('nope', 'a rocket')").fetchall()
        self.assertEqual(str(caught.exception),
                         "embedkit: ek_classify(): load: no model named 'nope' in the store")




class Match(Folder):
    """ek_match rows = the candidates of `embedkit match --json`, in the same order."""

    def check(self, cli_flags, options):
        expected = cli_json("match", "-s", self.write("s.sql", DDL), "-t", self.write("g.json", json.dumps(GLOSSARY)),
                            "--config", '{"wordvec":"none"}', *cli_flags)
        want = [(c["id"], rank + 1, cand["id"], cand["match"])
                for c in expected["columns"] for rank, cand in enumerate(c["candidates"])]
        want_scores = [cand["score"] for c in expected["columns"] for cand in c["candidates"]]
        db = self.open("m.db")
        rows = db.execute("select source, rank, target, score, is_match, explanation from ek_match(?, ?, ?)",
                          (DDL, json.dumps(GLOSSARY), json.dumps(options))).fetchall()
        self.assertEqual([(r[0], r[1], r[2], bool(r[4])) for r in rows], want)
        for r, score in zip(rows, want_scores):
            self.assertAlmostEqual(r[3], score, places=5)
        return rows

    def test_ranks_like_the_cli(self):
        rows = self.check(["-k", "2"], {"k": 2, "config": {"wordvec": "none"}})
        best = {r[0]: r[2] for r in rows if r[1] == 1}
        self.assertEqual(best["patients.birth_dt"], "birth_date")
        self.assertEqual(best["patients.gender_cd"], "gender")
        self.assertRegex(rows[0][5], r"^[a-z_]+ \+\d\.\d\d")  # the CLI's "top signals"

    def test_options_like_the_cli_flags(self):
        rows = self.check(["-k", "3", "--one-to-one", "--threshold", "0.5"],
                          {"k": 3, "one_to_one": True, "threshold": 0.5, "config": {"wordvec": "none"}})
        matched = [r[2] for r in rows if r[4]]
        self.assertEqual(len(matched), len(set(matched)))  # one to one

    def test_errors(self):
        db = self.open("m.db")
        for args, message in [
                (("CREATE TABLE t (\n  a INT,\n  b VARCHAR(\n", "[]", None), "ek_match() source: load: line"),
                ((DDL, json.dumps(GLOSSARY), '{"kk": 1}'), 'unknown option "kk"'),
                ((DDL, json.dumps(GLOSSARY), '{"k": 0}'), '"k" must be an integer in 1..1024')]:
            with self.assertRaises(sqlite3.OperationalError) as caught:
                db.execute("select * from ek_match(?, ?, ?)", args).fetchall()
            self.assertIn(message, str(caught.exception))


class Recommend(Folder):
    """ek_recommend / ek_forget = `embedkit rec recommend` / `rec forget` on the same model."""

    def setUp(self):
        super().setUp()
        cli("rec", "train", str(self.dir / "rec.db"), "-i", self.write("data.tsv", interactions_tsv()),
            "--config", '{"dim":16,"epochs":60,"seed":5,"text_dim":0}')

    def copy(self, name):
        for suffix in ("", "-wal"):
            if (self.dir / ("rec.db" + suffix)).exists():
                shutil.copy(self.dir / ("rec.db" + suffix), self.dir / (name + suffix))
        return str(self.dir / name)

    def recommendations(self, db, user, k):
        return db.execute("select rank, item, score from ek_recommend('rec', ?, ?)", (user, k)).fetchall()

    def assert_same(self, rows, expected):
        self.assertEqual([r[1] for r in rows], [x["item"] for x in expected["items"]])
        self.assertEqual([r[0] for r in rows], list(range(1, len(rows) + 1)))
        for r, x in zip(rows, expected["items"]):
            self.assertAlmostEqual(r[2], x["score"], places=5)

    def test_recommend_equals_the_cli(self):
        expected = cli_json("rec", "recommend", str(self.dir / "rec.db"), "-u", "a1", "-k", "3")
        db = self.open("rec.db")
        rows = self.recommendations(db, "a1", 3)
        self.assert_same(rows, expected)
        self.assertEqual(len(rows), 3)
        self.assertEqual(len(db.execute("select * from ek_recommend('rec', 'a1')").fetchall()), 10)  # k's default
        seen = db.execute("select count(*) from ek_recommend('rec', 'a1', 16, 1)").fetchone()[0]
        self.assertEqual(seen, 16)
        with self.assertRaises(sqlite3.OperationalError) as caught:
            db.execute("select * from ek_recommend('rec', 'nobody')").fetchall()
        self.assertIn("nobody", str(caught.exception))

    def test_forget_equals_the_cli(self):
        oracle = self.copy("oracle.db")
        want = cli_json("rec", "forget", oracle, "--users", "a0,b3")
        db = self.open("rec.db")
        got = json.loads(db.execute("select ek_forget('rec', 'users', json_array('a0', 'b3'))").fetchone()[0])
        for key in ("request_id", "method", "interactions_removed", "users_removed", "items_removed", "epochs",
                    "sha256"):
            self.assertEqual(got[key], want[key], key)
        self.assertEqual(got["users_removed"], 2)
        # The model was updated in the file: the same recommendations as the CLI's after it.
        self.assert_same(self.recommendations(db, "a1", 4), cli_json("rec", "recommend", oracle, "-u", "a1", "-k", "4"))
        # Committed on its own (the SELECT ran in autocommit mode): another connection sees it.
        for conn in (db, self.open("rec.db")):
            with self.assertRaises(sqlite3.OperationalError) as caught:
                conn.execute("select * from ek_recommend('rec', 'a0')").fetchall()
            self.assertIn("a0", str(caught.exception))

    def test_forget_items_and_interactions(self):
        db = self.open("rec.db")
        one = json.loads(db.execute("select ek_forget('rec', 'item', 'x1', 'noop')").fetchone()[0])
        self.assertEqual((one["items_removed"], one["method"]), (1, "noop"))
        pairs = json.loads(db.execute("select ek_forget('rec', 'interactions', '[[\"b0\", \"y2\"], [\"b0\", \"y3\"]]',"
                                      " 'finetune', '{\"unlearn_epochs\": 1}')").fetchone()[0])
        self.assertEqual(pairs["interactions_removed"], 2)
        items = [r[1] for r in self.recommendations(db, "a2", 16)]
        self.assertNotIn("x1", items)

    def test_forget_inside_a_transaction_is_undone_by_rollback(self):
        db = self.open("rec.db")
        db.isolation_level = None  # explicit BEGIN/ROLLBACK
        db.execute("begin")
        db.execute("select ek_forget('rec', 'users', 'a0')").fetchall()
        with self.assertRaises(sqlite3.OperationalError):
            db.execute("select * from ek_recommend('rec', 'a0')").fetchall()
        db.execute("rollback")
        self.assertEqual(len(self.recommendations(db, "a0", 2)), 2)

    def test_forget_refusals(self):
        db = self.open("rec.db")
        for sql, message in [
                ("select ek_forget('rec', 'users', 'nobody')", "nobody"),
                ("select ek_forget('rec', 'rows', 'a0')", "kind must be 'users', 'items' or 'interactions'"),
                ("select ek_forget('rec', 'users', 'a0', 'fast')", "method must be mmrecun, gold, finetune or noop"),
                ("select ek_forget('rec', 'interactions', 'a0')", "[user, item] pairs"),
                ("select ek_forget('rec', 'users', '[1, 2]')", "ids must be strings")]:
            with self.assertRaises(sqlite3.OperationalError) as caught:
                db.execute(sql).fetchall()
            self.assertIn(message, str(caught.exception))
        self.assertEqual(len(self.recommendations(db, "a0", 2)), 2)  # nothing was forgotten


if __name__ == "__main__":
    unittest.main()
