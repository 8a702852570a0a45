#!/usr/bin/env python3
"""Issue 17 through `embedkit store`: the store's day-one defects, end to end.

Usage: test_cli_store_defects.py --binary PATH [unittest args, e.g. a TestCase name]

  CosineExtremes     item 2: rows and queries of any finite magnitude score within
                     [-1, 1] (2e19 scored 2e19, printed inf / null; 1e-25 scored 0).
  ImportUnderMemoryCap
                     item 3: under a memory cap, what `store import` reports matches
                     what the file holds (a committed batch was reported as failed).
  ReadOnlyFolder     item 9: a store in a folder (or a file) the user cannot write is
                     read by info and search; writes fail with EK_ERR_READ_ONLY. Run
                     as an unprivileged user (setpriv/runuser when this runs as root).
  CorruptPages       item 14: opening a store whose b-tree pages are damaged for
                     writing fails with EK_ERR_CORRUPT naming the file, and writes
                     nothing.
"""
import argparse
import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest

BINARY = None


def run(*args, prefix=(), timeout=120):
    proc = subprocess.run([*prefix, BINARY, *args], capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def write_f32(path, rows):
    with open(path, "wb") as f:
        for row in rows:
            f.write(struct.pack(f"<{len(row)}f", *row))


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records))


def count_rows(db):
    """Rows in the file, read with Python's own sqlite3 (not the library under test)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM vectors").fetchone()[0]
    finally:
        con.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Fixture(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ek-cli-store-")
        self.dir = self.tmp.name

    def tearDown(self):
        # Folders made read-only by a test must be writable again to be removed.
        for root, dirs, _ in os.walk(self.dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def import_rows(self, db, rows, ids, metric="cosine", extra=()):
        vec, rec = db + ".f32", db + ".jsonl"
        write_f32(vec, rows)
        write_jsonl(rec, [{"id": i} for i in ids])
        code, out, err = run("store", "import", db, "-c", "c", "--dim", str(len(rows[0])),
                             "--metric", metric, "--vectors", vec, "--records", rec, *extra)
        self.assertEqual(0, code, err)
        return out


# ---- item 2 ------------------------------------------------------------------------------

class CosineExtremes(Fixture):
    ROWS = [("one", [1, 0, 0, 0]), ("huge", [2e19, 0, 0, 0]), ("tiny", [1e-25, 0, 0, 0]),
            ("max", [3e38, 3e38, 0, 0]), ("y", [0, 1, 0, 0]), ("minus", [-1e-30, 0, 0, 0])]

    def test_scores_stay_within_unit_range_and_rank_by_direction(self):
        db = self.path("cos.db")
        self.import_rows(db, [v for _, v in self.ROWS], [i for i, _ in self.ROWS])
        for query in ("1,0,0,0", "2e19,0,0,0", "1e-25,0,0,0", "3e38,0,0,0"):
            code, out, err = run("store", "search", db, "-c", "c", "--vector", query,
                                 "-k", str(len(self.ROWS)), "--json")
            self.assertEqual(0, code, err)
            hits = json.loads(out)["hits"]
            scores = [h["score"] for h in hits]
            for s in scores:  # inf was printed as null
                self.assertIsInstance(s, (int, float), f"query {query}: {out}")
                self.assertTrue(math.isfinite(s) and -1 <= s <= 1, f"query {query}: {out}")
            ids = [h["id"] for h in hits]
            self.assertEqual(["one", "huge", "tiny"], ids[:3], f"query {query}: {out}")
            for s in scores[:3]:
                self.assertAlmostEqual(1.0, s, places=5)
            self.assertEqual("max", ids[3])
            self.assertAlmostEqual(math.sqrt(0.5), scores[3], places=5)
            self.assertEqual("minus", ids[-1])
            self.assertAlmostEqual(-1.0, scores[-1], places=5)
        # The table output prints no inf either.
        code, out, err = run("store", "search", db, "-c", "c", "--vector", "1,0,0,0")
        self.assertEqual(0, code, err)
        self.assertNotIn("inf", out.lower())


# ---- item 3 ------------------------------------------------------------------------------

class ImportUnderMemoryCap(Fixture):
    """A batch reported as failed must not be in the file, and a reported success must
    have every row in it. The caps span the range where the warm in-memory copy of the
    collection (rows x dim floats, grown after each committed batch) no longer fits:
    there an allocation failed after the batch's commit and the import reported the
    committed batch as failed."""
    ROWS, DIM, BATCH = 100000, 64, 10000

    def test_what_import_reports_matches_what_the_file_holds(self):
        prlimit = shutil.which("prlimit")
        if not prlimit:
            self.skipTest("prlimit (util-linux) is not installed")
        vec = self.path("v.f32")
        # Deterministic, cheap rows: row r = (r, r+1, ...) scaled; distinct per row.
        with open(vec, "wb") as f:
            row = struct.Struct(f"<{self.DIM}f")
            for r in range(self.ROWS):
                f.write(row.pack(*[float(r % 997 + j) for j in range(self.DIM)]))
        matrix_mib = self.ROWS * self.DIM * 4 / 2**20
        outcomes = []
        for cap_mib in range(24, 100, 16):
            db = self.path(f"cap{cap_mib}.db")
            code, out, err = run("store", "import", db, "-c", "c", "--dim", str(self.DIM),
                                 "--vectors", vec, "--batch", str(self.BATCH), "--threads", "1",
                                 prefix=(prlimit, f"--as={cap_mib * 2**20}"))
            held = count_rows(db) if os.path.exists(db) and os.path.getsize(db) > 0 else 0
            outcomes.append((cap_mib, code, held))
            where = f"cap {cap_mib} MiB: exit {code}, file holds {held}\n{out}{err}"
            if code == 0:
                self.assertEqual(self.ROWS, held, where)
                self.assertIn(f"now holds {self.ROWS} vectors", out, where)
            else:
                m = re.search(r"(\d+) rows before it were imported", err)
                if m:  # failed in a batch: exactly the batches before it are in the file
                    self.assertEqual(int(m.group(1)), held, where)
                else:  # failed before any batch (start-up under a tiny cap)
                    self.assertEqual(0, held, where)
        # Not vacuous: some cap below what the warm copy needs still imported everything
        # (the copy is dropped when it cannot grow; it is reloaded from the file later).
        full_below = [c for c, code, held in outcomes
                      if code == 0 and held == self.ROWS and c < matrix_mib * 2.5]
        self.assertTrue(full_below, f"no capped import succeeded: {outcomes}")


# ---- item 9 ------------------------------------------------------------------------------

def unprivileged_prefix():
    """Command prefix that runs as an unprivileged user, [] when already one, or None."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv:
        probe = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                                "true"], capture_output=True)
        if probe.returncode == 0:
            return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    runuser = shutil.which("runuser")
    if runuser:
        probe = subprocess.run([runuser, "-u", "nobody", "--", "true"], capture_output=True)
        if probe.returncode == 0:
            return [runuser, "-u", "nobody", "--"]
    return None


class ReadOnlyFolder(Fixture):
    def setUp(self):
        super().setUp()
        self.as_user = unprivileged_prefix()
        if self.as_user is None:
            self.skipTest("running as root and neither setpriv nor runuser can drop to "
                          "uid 65534, so file permissions cannot be tested")
        os.chmod(self.dir, 0o755)  # the unprivileged user must reach the folder
        self.folder = self.path("ro")
        os.mkdir(self.folder)
        self.db = os.path.join(self.folder, "s.db")
        self.import_rows(self.db, [[1, 0, 0, 0], [0, 1, 0, 0], [0.9, 0.1, 0, 0]],
                         ["a", "b", "c"])
        self.vec = self.path("more.f32")
        write_f32(self.vec, [[0, 0, 1, 0]])
        os.chmod(self.vec, 0o644)

    def lock(self, file_mode=0o644):
        os.chmod(self.db, file_mode)
        # As root the folder is root's, so 0755 is read-only for uid 65534; as an
        # ordinary user the folder itself must lose its write bit.
        os.chmod(self.folder, 0o755 if os.geteuid() == 0 else 0o555)

    def listing(self):
        return sorted(os.listdir(self.folder))

    def check_reads_work_and_writes_fail(self):
        before = self.listing()
        digest = sha256(self.db)
        code, out, err = run("store", "info", self.db, "--json", prefix=self.as_user)
        self.assertEqual(0, code, err)
        info = json.loads(out)
        self.assertEqual([{"name": "c", "dim": 4, "metric": "cosine", "count": 3}],
                         [{k: v for k, v in c.items() if k != "index"} for c in info["collections"]])
        self.assertEqual("exact", info["collections"][0]["index"]["index"])
        code, out, err = run("store", "search", self.db, "-c", "c", "--vector", "1,0,0,0",
                             "--json", prefix=self.as_user)
        self.assertEqual(0, code, err)
        self.assertEqual(["a", "c", "b"], [h["id"] for h in json.loads(out)["hits"]])
        code, out, err = run("store", "search", self.db, "-c", "c", "--like", "b",
                             prefix=self.as_user)
        self.assertEqual(0, code, err)
        code, out, err = run("store", "import", self.db, "-c", "c", "--vectors", self.vec,
                             prefix=self.as_user)
        self.assertNotEqual(0, code, out)
        self.assertIn("EK_ERR_READ_ONLY", err)
        self.assertIn("read-only", err)
        self.assertIn(self.db, err)
        code, out, err = run("store", "create", self.db, "-c", "other", "--dim", "4",
                             prefix=self.as_user)
        self.assertNotEqual(0, code, out)
        self.assertIn("EK_ERR_READ_ONLY", err)
        # Nothing was written or created.
        self.assertEqual(before, self.listing())
        self.assertEqual(digest, sha256(self.db))
        self.assertEqual(3, count_rows(self.db))

    def test_store_in_a_read_only_folder_can_be_read(self):
        self.lock(file_mode=0o644)
        self.check_reads_work_and_writes_fail()

    def test_read_only_file_in_a_read_only_folder_can_be_read(self):
        self.lock(file_mode=0o444)
        self.check_reads_work_and_writes_fail()


# ---- item 14 -----------------------------------------------------------------------------

class CorruptPages(Fixture):
    def test_open_for_write_refuses_damaged_pages_and_writes_nothing(self):
        db = self.path("c.db")
        n = 3000
        rows = [[math.sin(r * 0.37 + j) for j in range(32)] for r in range(n)]
        self.import_rows(db, rows, [f"doc-{r}" for r in range(n)])
        self.assertFalse(os.path.exists(db + "-wal") and os.path.getsize(db + "-wal") > 0)
        con = sqlite3.connect(db)
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.close()
        # A page of a table b-tree (leaf 0x0d or interior 0x05; the rows' index pages lie
        # between them) from the middle of the file on, well past the schema page: its
        # header (type, freeblock, cell count, content offset) is overwritten.
        with open(db, "r+b") as f:
            def page_type(page):
                f.seek((page - 1) * page_size)
                return f.read(1)
            victim = next((p for p in range(pages // 2, pages + 1)
                           if page_type(p) in (b"\x0d", b"\x05")), None)
            self.assertIsNotNone(victim, "no table b-tree page in the second half")
            f.seek((victim - 1) * page_size)
            f.write(b"\x0d\xff\xff\xff\xff\x00\x01\xff")
        digest = sha256(db)
        more_vec, more_rec = self.path("more.f32"), self.path("more.jsonl")
        write_f32(more_vec, [[1.0] * 32] * 5)
        write_jsonl(more_rec, [{"id": f"new-{i}"} for i in range(5)])
        for args in (["store", "import", db, "-c", "c", "--vectors", more_vec,
                      "--records", more_rec],
                     ["store", "create", db, "-c", "other", "--dim", "8"]):
            code, out, err = run(*args)
            self.assertNotEqual(0, code, out)
            self.assertIn("EK_ERR_CORRUPT", err)
            self.assertIn(db, err)
            self.assertIn("damaged", err)
            self.assertEqual(digest, sha256(db), f"{args[1]} wrote into the damaged store")
        self.assertFalse(os.path.exists(db + "-wal") and os.path.getsize(db + "-wal") > 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
