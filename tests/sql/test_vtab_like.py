"""`LIKE 'prefix%'` in a filtered KNN of the `embedkit` table: the prefix goes into the
index's search as the filter {"$iprefix": ...} (ASCII case folding, as SQLite's LIKE), so
`k` rows come back whenever `k` rows match; SQLite checks the pattern again. Patterns
with other wildcards, an ESCAPE clause or a non-text column stay with SQLite."""
import sqlite3
import struct
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sqlite_ext  # noqa: E402

N, DIM = 6000, 16  # over 4,096 rows: the HNSW graph is searched, not an exact scan
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def f32_blob(v):
    return struct.pack(f"<{len(v)}f", *v)


def title_of(i):
    """1% of titles start with abc in mixed case, 1% with 'ábc'/'ÁBC' (non-ASCII: no
    folding), 2% are NULL; the rest start with near misses ('abd', 'xabc', 'a_c', ...)."""
    if i % 100 == 7:
        return ["abc", "ABC", "Abc", "aBc"][(i // 100) % 4] + f"-{i}"
    if i % 100 == 57:
        return ["\u00e1bc", "\u00c1BC"][(i // 100) % 2] + f"-{i}"
    if i % 50 == 21:
        return None
    return ["abd", "xabc", "ab", "a_c", "axc", "ab%c", "zeta"][i % 7] + f"-{i}"


def sqlite_like_fold(s):
    """SQLite's default LIKE folds ASCII letters only."""
    return s.translate(ASCII_LOWER)


class VtabLikeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.db = sqlite_ext.connect(str(Path(cls.dir.name) / "store.db"))
        rng = np.random.default_rng(11)
        cls.base = rng.standard_normal((N, DIM)).astype(np.float32)
        cls.titles = [title_of(i) for i in range(N)]
        cls.db.execute(f"CREATE VIRTUAL TABLE h USING embedkit(v float[{DIM}], title text, "
                       "n integer, index=hnsw, m=8, ef_construction=40)")
        cls.db.executemany("INSERT INTO h(rowid, v, title, n) VALUES (?, ?, ?, ?)",
                           [(i + 1, f32_blob(cls.base[i]), cls.titles[i], i) for i in range(N)])
        cls.db.commit()
        cls.q = rng.standard_normal(DIM).astype(np.float32)

    @classmethod
    def tearDownClass(cls):
        cls.db.close()
        cls.dir.cleanup()

    def setUp(self):
        self.db.execute("PRAGMA case_sensitive_like = OFF")

    def knn(self, where, k=10, *args):
        return self.db.execute(f"SELECT rowid, distance FROM h WHERE v MATCH ? AND k = {k} "
                               f"AND {where}", (f32_blob(self.q), *args)).fetchall()

    def brute_force(self, mask, k):
        """The k nearest rows (rowid, distance) among those `mask` selects, by numpy."""
        d = np.sqrt(((self.base.astype(np.float64) - self.q.astype(np.float64)) ** 2).sum(axis=1))
        ids = np.flatnonzero(mask)
        order = ids[np.argsort(d[ids], kind="stable")[:k]]
        return [(int(i) + 1, float(d[i])) for i in order]

    def assert_same_rows(self, got, want):
        self.assertEqual([r for r, _ in got], [r for r, _ in want])
        np.testing.assert_allclose([d for _, d in got], [d for _, d in want], rtol=1e-5)

    def prefix_mask(self, prefix, fold):
        f = sqlite_like_fold if fold else (lambda s: s)
        return np.array([t is not None and f(t).startswith(f(prefix)) for t in self.titles])

    def sqlite_like(self, title, pattern):
        """SQLite's own verdict on one value, outside the virtual table."""
        return self.db.execute(f"SELECT ? LIKE {pattern}", (title,)).fetchone()[0] == 1

    # --- pushed: a literal prefix then one '%' -----------------------------------------

    def test_prefix_returns_k_rows_whenever_k_match(self):
        mask = self.prefix_mask("abc", fold=True)
        self.assertEqual(int(mask.sum()), 60)
        got = self.knn("title LIKE 'abc%'")
        self.assertEqual(len(got), 10)
        self.assert_same_rows(got, self.brute_force(mask, 10))
        self.assertEqual(len(self.knn("title LIKE 'abc%'", 100)), 60)  # every match, no more

    def test_prefix_folds_ascii_case_as_sqlite_does(self):
        want = self.brute_force(self.prefix_mask("abc", fold=True), 10)
        for pattern in ["'ABC%'", "'aBc%'", "?"]:
            with self.subTest(pattern=pattern):
                args = ("AbC%",) if pattern == "?" else ()
                self.assert_same_rows(self.knn(f"title LIKE {pattern}", 10, *args), want)

    def test_non_ascii_letters_compare_exactly(self):
        for prefix in ["\u00e1bc", "\u00c1BC", "\u00e1BC"]:
            with self.subTest(prefix=prefix):
                mask = self.prefix_mask(prefix, fold=True)
                got = self.knn("title LIKE ?", 10, prefix + "%")
                self.assert_same_rows(got, self.brute_force(mask, 10))
                self.assertTrue(all(self.sqlite_like(self.titles[r - 1], f"'{prefix}%'")
                                    for r, _ in got))
        self.assertEqual(int(self.prefix_mask("\u00e1bc", fold=True).sum()), 30)
        self.assertEqual(len(self.knn("title LIKE ?", 10, "\u00e1BC%")), 10)  # bc folds, á not

    def test_bare_percent_keeps_every_non_null_title(self):
        k = 200
        self.assertTrue(any(self.titles[r - 1] is None for r, _ in self.knn("1", k)))
        # {"$iprefix": ""} holds for every string: the same rows as IS NOT NULL.
        got = self.knn("title LIKE '%'", k)
        self.assertEqual(len(got), k)
        self.assertTrue(all(self.titles[r - 1] is not None for r, _ in got))
        self.assert_same_rows(got, self.knn("title IS NOT NULL", k))

    def test_null_pattern_matches_nothing(self):
        self.assertEqual(self.knn("title LIKE NULL"), [])
        self.assertEqual(self.knn("title LIKE ?", 10, None), [])

    def test_patterns_are_read_up_to_their_first_nul_as_sqlite_does(self):
        # 'abc%' || char(0) || 'x' is the pattern 'abc%' to LIKE; 'abc-7' || char(0) ||
        # 'x*' is 'abc-7' to GLOB (no wildcard: that title only).
        want = self.brute_force(self.prefix_mask("abc", fold=True), 10)
        self.assert_same_rows(self.knn("title LIKE 'abc%' || char(0) || 'x'"), want)
        self.assert_same_rows(self.knn("title GLOB 'abc-7' || char(0) || 'x*'", 10),
                              self.brute_force(np.arange(N) == 7, 10))

    def test_plan_pushes_like_as_a_column_term(self):
        plan = self.db.execute("EXPLAIN QUERY PLAN SELECT rowid FROM h WHERE v MATCH ? AND "
                               "k = 3 AND title LIKE 'abc%'", (f32_blob(self.q),)).fetchall()
        self.assertIn("cl1;", plan[0][3])

    def test_case_sensitive_like_stays_exact(self):
        self.db.execute("PRAGMA case_sensitive_like = ON")
        mask = self.prefix_mask("abc", fold=False)
        self.assertEqual(int(mask.sum()), 15)
        # The pushed $iprefix lets 'ABC', 'Abc' and 'aBc' through too, but the
        # `title >= 'abc' AND title < 'abd'` SQLite adds beside the LIKE is BINARY under
        # this pragma, so it is pushed as well and is exact: k rows still come back.
        self.assert_same_rows(self.knn("title LIKE 'abc%'"), self.brute_force(mask, 10))
        self.assert_same_rows(self.knn("title LIKE 'ABC%'"),
                              self.brute_force(self.prefix_mask("ABC", fold=False), 10))
        self.assert_same_rows(self.knn("title LIKE ?", 10, "aBc%"),  # a parameter too
                              self.brute_force(self.prefix_mask("aBc", fold=False), 10))

    # --- left to SQLite: other wildcards, ESCAPE, non-text columns ----------------------

    def test_text_comparisons_under_nocase_stay_with_sqlite(self):
        # SQLite adds `title >= 'ABC' COLLATE NOCASE AND title < 'abd' COLLATE NOCASE`
        # beside `title LIKE 'abc%'`; the store compares bytewise, so such terms are not
        # pushed.
        k = 200
        nearest = self.knn("1", k)
        r, d = next((r, d) for r, d in nearest
                    if self.titles[r - 1] and self.titles[r - 1][0].isalpha())
        self.assertEqual(self.knn("title = ? COLLATE NOCASE", k, self.titles[r - 1].upper()),
                         [(r, d)])
        want = [(r, d) for r, d in nearest if self.titles[r - 1] is not None
                and "ab" <= sqlite_like_fold(self.titles[r - 1]) < "abd"]
        got = self.knn("title >= 'AB' COLLATE NOCASE AND title < 'abd' COLLATE NOCASE", k)
        self.assertGreater(len(got), 0)  # bytewise, 'a_c-1' lies in the range too: not here
        self.assert_same_rows(got, want)

    def test_other_patterns_are_checked_by_sqlite_on_the_unfiltered_rows(self):
        k = 200
        nearest = self.knn("1", k)  # the unfiltered search; SQLite then checks each row
        plain = next(self.titles[r - 1] for r, _ in nearest
                     if self.titles[r - 1] and self.titles[r - 1].startswith("ab-"))
        for where, pattern in [
            ("title LIKE 'a_c%'", "'a_c%'"),          # '_' is one character
            ("title LIKE 'ab%c%'", "'ab%c%'"),        # an inner '%'
            ("title LIKE '%7'", "'%7'"),              # a suffix
            (f"title LIKE '{plain.upper()}'", f"'{plain.upper()}'"),  # no wildcard
            ("title LIKE 'a!_c%' ESCAPE '!'", "'a!_c%' ESCAPE '!'"),  # not offered to xBestIndex
        ]:
            with self.subTest(where=where):
                want = [(r, d) for r, d in nearest if self.titles[r - 1] is not None
                        and self.sqlite_like(self.titles[r - 1], pattern)]
                got = self.knn(where, k)
                self.assertGreater(len(got), 0)
                self.assert_same_rows(got, want)

    def test_like_on_an_integer_column_stays_with_sqlite(self):
        k = 200
        nearest = self.knn("1", k)
        want = [(r, d) for r, d in nearest if str(r - 1).startswith("12")]
        self.assertGreater(len(want), 0)
        self.assert_same_rows(self.knn("n LIKE '12%'", k), want)


if __name__ == "__main__":
    unittest.main()
