"""The vec_* functions of libembedkit_sqlite against sqlite-vec 0.1.9's vec0.so on the
same inputs: blobs byte-equal where vec0 defines them, subtypes equal, float answers
within 1e-6 relative; and every refusal by its message.

Where embedkit departs from vec0 on purpose the test says so: vec_to_json writes the
shortest text that reads back as the same float (vec0: "%f"); vec_each lists bits in
the order vec_to_json does (vec0's vec_each reverses each byte); malformed JSON, NaN,
Inf, int8 overflow and an all-zero normalize are refused (vec0 accepts or wraps).

Without vec0 the comparisons are skipped and, if the rest passes, the run exits 77.
"""
import json
import math
import os
import random
import sqlite3
import struct
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sqlite_ext  # noqa: E402

HAVE_VEC0 = Path(sqlite_ext.vec0_path()).exists()
RNG = random.Random(20)
DIMS = [1, 3, 8, 16, 17, 100, 384]


def f32_blob(values):
    return struct.pack(f"<{len(values)}f", *values)


def f32_values(blob):
    return list(struct.unpack(f"<{len(blob) // 4}f", blob))


def random_f32(dim, scale=1.0):
    # Rounded through float32 so both extensions read the same numbers.
    return f32_values(f32_blob([RNG.gauss(0, scale) for _ in range(dim)]))


def close(a, b, rel=1e-6):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-30)


class Functions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ours = sqlite_ext.connect()
        cls.vec0 = sqlite_ext.connect_vec0() if HAVE_VEC0 else None

    @classmethod
    def tearDownClass(cls):
        cls.ours.close()
        if cls.vec0:
            cls.vec0.close()

    def one(self, conn, sql, *args):
        return conn.execute(sql, args).fetchone()[0]

    def both(self, sql, *args):
        """(ours, vec0's) first column of the first row; skips without vec0."""
        if not self.vec0:
            self.skipTest("sqlite-vec's vec0 is not installed")
        return self.one(self.ours, sql, *args), self.one(self.vec0, sql, *args)

    def assert_same(self, sql, *args):
        ours, theirs = self.both(sql, *args)
        self.assertEqual(ours, theirs, sql)
        return ours

    def refused(self, sql, *args):
        with self.assertRaises(sqlite3.OperationalError, msg=sql) as caught:
            self.one(self.ours, sql, *args)
        return str(caught.exception)

    def vec0_refuses(self, sql, *args):
        if self.vec0:
            with self.assertRaises(sqlite3.OperationalError, msg=f"vec0: {sql}"):
                self.one(self.vec0, sql, *args)

    # ---- constructors and inspection ------------------------------------------------

    def test_constructors_match_vec0_bytes_and_subtypes(self):
        for dim in DIMS:
            v = random_f32(dim)
            codes = [RNG.randint(-128, 127) for _ in range(dim)]
            bits = bytes(RNG.randrange(256) for _ in range(max(1, dim // 8)))
            self.assert_same("SELECT vec_f32(?)", json.dumps(v))
            self.assert_same("SELECT vec_f32(?)", f32_blob(v))
            self.assert_same("SELECT vec_int8(?)", json.dumps(codes))
            self.assert_same("SELECT vec_int8(?)", bytes(c & 0xFF for c in codes))
            self.assert_same("SELECT vec_bit(?)", bits)
        self.assert_same("SELECT vec_f32('  [1 , -2.5e3, 0.1 ]  ')")
        self.assertEqual(self.assert_same("SELECT subtype(vec_f32('[1]'))"), 223)
        self.assertEqual(self.assert_same("SELECT subtype(vec_bit(X'01'))"), 224)
        self.assertEqual(self.assert_same("SELECT subtype(vec_int8('[1]'))"), 225)

    def test_length_and_type_match_vec0(self):
        for dim in DIMS:
            v = json.dumps(random_f32(dim))
            self.assert_same("SELECT vec_length(?)", v)
            self.assert_same("SELECT vec_length(vec_int8(?))", json.dumps([1] * dim))
            self.assert_same("SELECT vec_length(vec_bit(zeroblob(?)))", dim)
        self.assertEqual(self.assert_same("SELECT vec_type('[1]')"), "float32")
        self.assertEqual(self.assert_same("SELECT vec_type(vec_int8('[1]'))"), "int8")
        self.assertEqual(self.assert_same("SELECT vec_type(vec_bit(X'01'))"), "bit")

    def test_to_json_reads_back_as_vec0s_values(self):
        for dim in DIMS:
            v = random_f32(dim, scale=100)
            ours, theirs = self.both("SELECT vec_to_json(?)", f32_blob(v))
            ours, theirs = json.loads(ours), json.loads(theirs)
            self.assertEqual(f32_values(f32_blob(ours)), v)  # ours is exact
            for a, b in zip(ours, theirs):  # vec0's "%f" keeps 6 decimals
                self.assertLessEqual(abs(a - b), 5e-7 + 1e-6 * abs(a))
            codes = [RNG.randint(-128, 127) for _ in range(dim)]
            self.assert_same("SELECT vec_to_json(vec_int8(?))", json.dumps(codes))
        self.assert_same("SELECT vec_to_json(vec_bit(X'05F0'))")
        self.assertEqual(self.one(self.ours, "SELECT vec_to_json('[0.1, -3e-7]')"), "[0.1,-3e-07]")

    def test_version(self):
        version = self.one(self.ours, "SELECT vec_version()")
        expected = os.environ.get("EK_EXPECTED_VERSION")
        self.assertEqual(version, f"embedkit {expected}" if expected else version)
        self.assertTrue(version.startswith("embedkit "), version)

    # ---- distances ---------------------------------------------------------------------

    def test_float_distances_match_vec0(self):
        for dim in DIMS:
            a, b = f32_blob(random_f32(dim)), f32_blob(random_f32(dim))
            for fn in ("vec_distance_l2", "vec_distance_cosine", "vec_distance_l1"):
                ours, theirs = self.both(f"SELECT {fn}(?, ?)", a, b)
                self.assertTrue(close(ours, theirs), f"{fn} dim {dim}: {ours} vs {theirs}")
        self.assertIsNone(self.assert_same("SELECT vec_distance_cosine('[0, 0]', '[1, 1]')"))

    def test_int8_distances_match_vec0(self):
        for dim in DIMS:
            a = json.dumps([RNG.randint(-128, 127) for _ in range(dim)])
            b = json.dumps([RNG.randint(-128, 127) for _ in range(dim)])
            for fn in ("vec_distance_l2", "vec_distance_cosine"):
                ours, theirs = self.both(f"SELECT {fn}(vec_int8(?), vec_int8(?))", a, b)
                self.assertTrue(close(ours, theirs), f"{fn} int8 dim {dim}: {ours} vs {theirs}")
            self.assert_same("SELECT vec_distance_l1(vec_int8(?), vec_int8(?))", a, b)
            self.assert_same("SELECT typeof(vec_distance_l1(vec_int8(?), vec_int8(?)))", a, b)

    def test_hamming_matches_vec0(self):
        for size in (1, 2, 8, 9, 48):
            a = bytes(RNG.randrange(256) for _ in range(size))
            b = bytes(RNG.randrange(256) for _ in range(size))
            self.assert_same("SELECT vec_distance_hamming(vec_bit(?), vec_bit(?))", a, b)

    # ---- operations ----------------------------------------------------------------------

    def test_normalize_matches_vec0(self):
        for dim in DIMS:
            v = f32_blob(random_f32(dim))
            ours, theirs = self.both("SELECT vec_normalize(?)", v)
            for a, b in zip(f32_values(ours), f32_values(theirs)):
                self.assertTrue(close(a, b), f"dim {dim}: {a} vs {b}")
        self.assertEqual(self.assert_same("SELECT subtype(vec_normalize('[3, 4]'))"), 223)

    def test_add_sub_slice_match_vec0(self):
        for dim in DIMS:
            a, b = f32_blob(random_f32(dim)), f32_blob(random_f32(dim))
            self.assert_same("SELECT vec_add(?, ?)", a, b)
            self.assert_same("SELECT vec_sub(?, ?)", a, b)
            self.assert_same("SELECT vec_slice(?, ?, ?)", a, dim // 3, dim)
            small = json.dumps([RNG.randint(-60, 60) for _ in range(dim)])
            other = json.dumps([RNG.randint(-60, 60) for _ in range(dim)])
            self.assert_same("SELECT vec_add(vec_int8(?), vec_int8(?))", small, other)
            self.assert_same("SELECT vec_sub(vec_int8(?), vec_int8(?))", small, other)
            self.assert_same("SELECT vec_slice(vec_int8(?), 0, ?)", small, (dim + 1) // 2)
        self.assert_same("SELECT vec_slice(vec_bit(X'0102030405'), 8, 32)")
        for sql in ("SELECT subtype(vec_add(vec_int8('[1]'), vec_int8('[2]')))",
                    "SELECT subtype(vec_slice(vec_int8('[1, 2]'), 0, 1))",
                    "SELECT subtype(vec_slice(vec_bit(X'0101'), 0, 8))",
                    "SELECT subtype(vec_sub('[1]', '[2]'))"):
            self.assert_same(sql)

    def test_quantize_matches_vec0(self):
        for dim in (8, 16, 384):
            v = f32_blob(random_f32(dim))
            self.assert_same("SELECT vec_quantize_binary(?)", v)
            codes = json.dumps([RNG.randint(-128, 127) for _ in range(dim)])
            self.assert_same("SELECT vec_quantize_binary(vec_int8(?))", codes)
        # Every float of a dense sweep of [-1, 1], plus values outside it (which clamp).
        sweep = [i / 10000 - 1 for i in range(20001)] + [RNG.uniform(-1, 1) for _ in range(20000)]
        sweep += [1.0001, 1.5, 3, -1.0001, -7]
        self.assert_same("SELECT vec_quantize_int8(?, 'unit')", f32_blob(sweep))
        self.assertEqual(self.assert_same("SELECT subtype(vec_quantize_int8('[0.5]', 'unit'))"), 225)
        self.assertEqual(self.assert_same("SELECT subtype(vec_quantize_binary(zeroblob(32)))"), 224)

    def test_vec_each_matches_vec0(self):
        v = f32_blob(random_f32(17))
        sql = "SELECT rowid, value, vector FROM vec_each(?)"
        if not self.vec0:
            self.skipTest("sqlite-vec's vec0 is not installed")
        self.assertEqual(self.ours.execute(sql, (v,)).fetchall(), self.vec0.execute(sql, (v,)).fetchall())
        sql8 = "SELECT rowid, value, typeof(value) FROM vec_each(vec_int8('[1, -2, 127]'))"
        self.assertEqual(self.ours.execute(sql8).fetchall(), self.vec0.execute(sql8).fetchall())
        # Bits: in vec_to_json's order (both extensions' vec_to_json agree on it).
        bits = [row[0] for row in self.ours.execute("SELECT value FROM vec_each(vec_bit(X'05F0'))")]
        self.assertEqual(bits, json.loads(self.one(self.vec0, "SELECT vec_to_json(vec_bit(X'05F0'))")))

    # ---- refusals ----------------------------------------------------------------------

    def test_refusals_vec0_shares(self):
        cases = {
            "SELECT vec_distance_l2('[1, 2]', '[3, 5, 6]')":
                "embedkit: vec_distance_l2(): argument 1 has 2 dimensions and argument 2 has 3; "
                "both must have the same number",
            "SELECT vec_add(vec_int8('[1]'), '[1]')":
                "embedkit: vec_add(): argument 1 is a int8 vector and argument 2 a float32 vector; "
                "both must have the same element type",
            "SELECT vec_f32('[]')": "embedkit: vec_f32() argument 1: a vector needs at least one component",
            "SELECT vec_f32(X'')":
                "embedkit: vec_f32() argument 1: a vector needs at least one component (the blob is empty)",
            "SELECT vec_f32(X'000000')":
                "embedkit: vec_f32() argument 1: a float32 blob has 4 bytes per component; this one has 3 bytes",
            "SELECT vec_length(NULL)":
                "embedkit: vec_length() argument 1: NULL is not a vector "
                "(give JSON text like '[1, 2]' or a vector blob)",
            "SELECT vec_f32(1.5)":
                "embedkit: vec_f32() argument 1: a real number is not a vector "
                "(give JSON text like '[1, 2]' or a vector blob)",
            "SELECT vec_f32('[1, \"a\"]')": "embedkit: vec_f32() argument 1: element 1 is a string, not a number",
            "SELECT vec_f32('[[1]]')": "embedkit: vec_f32() argument 1: element 0 is an array, not a number",
            "SELECT vec_int8('[128]')":
                "embedkit: vec_int8(): component 0 (128) is not an integer in [-128, 127]; "
                "vec_quantize_int8() maps floats",
            "SELECT vec_bit('[1]')":
                "embedkit: vec_bit(): expects a blob of packed bits, got text; "
                "vec_quantize_binary() turns a float or int8 vector into bits",
            "SELECT vec_distance_hamming('[1]', '[2]')":
                "embedkit: vec_distance_hamming(): needs bit vectors, got float32 ones; "
                "vec_quantize_binary() makes bits of them",
            "SELECT vec_distance_l2(vec_bit(X'01'), vec_bit(X'01'))":
                "embedkit: vec_distance_l2(): bit vectors have no such distance; "
                "vec_distance_hamming() compares them",
            "SELECT vec_normalize(vec_int8('[3]'))":
                "embedkit: vec_normalize(): only float32 and float16 vectors can be normalized, got int8",
            "SELECT vec_add(vec_bit(X'01'), vec_bit(X'01'))":
                "embedkit: vec_add(): bit vectors cannot be added or subtracted",
            "SELECT vec_slice('[1, 2]', 1, 0)":
                "embedkit: vec_slice(): start (1) must be less than end (0): a vector needs at least one component",
            "SELECT vec_slice('[1, 2]', 1, 1)":
                "embedkit: vec_slice(): start (1) must be less than end (1): a vector needs at least one component",
            "SELECT vec_slice('[1, 2]', -1, 1)": "embedkit: vec_slice(): start (-1) must be >= 0",
            "SELECT vec_slice('[1, 2]', 0, 3)": "embedkit: vec_slice(): end (3) is beyond the vector's 2 dimensions",
            "SELECT vec_slice(vec_bit(X'0101'), 4, 16)":
                "embedkit: vec_slice(): a bit vector slices at whole bytes: start and end must be multiples of 8",
            "SELECT vec_quantize_binary('[1, 2, 3]')":
                "embedkit: vec_quantize_binary(): needs a number of dimensions divisible by 8, got 3",
            "SELECT vec_quantize_binary(vec_bit(X'01'))": "embedkit: vec_quantize_binary(): the vector is already bits",
            "SELECT vec_quantize_int8('[1]', 'other')":
                "embedkit: vec_quantize_int8(): argument 2 must be 'unit' (the only range there is: [-1, 1])",
        }
        for sql, message in cases.items():
            with self.subTest(sql=sql):
                self.assertEqual(self.refused(sql), message)
                self.vec0_refuses(sql)

    def test_refusals_of_what_vec0_lets_through(self):
        cases = {
            "SELECT vec_f32('[1e40]')": "embedkit: vec_f32() argument 1: component 0 (1e+40) is beyond the float32 range",
            "SELECT vec_f32(X'0000C07F')": "embedkit: vec_f32() argument 1: component 0 is NaN; vectors must be finite",
            "SELECT vec_to_json(X'0000807F')":
                "embedkit: vec_to_json() argument 1: component 0 is infinite; vectors must be finite",
            "SELECT vec_normalize('[0, 0]')": "embedkit: vec_normalize(): an all-zero vector has no direction to normalize",
            "SELECT vec_add(vec_int8('[100]'), vec_int8('[100]'))":
                "embedkit: vec_add(): component 0 (100 + 100) overflows int8",
            "SELECT vec_slice('[1, 2]', '0', 1)": "embedkit: vec_slice(): start must be an integer, got text",
            "SELECT vec_f32(zeroblob(4 * 65537))":
                "embedkit: vec_f32() argument 1: 65537 components, more than the 65536 a vector may have",
            "SELECT * FROM vec_each('[]')": "embedkit: vec_each() argument 1: a vector needs at least one component",
        }
        for sql, message in cases.items():
            with self.subTest(sql=sql):
                self.assertEqual(self.refused(sql), message)
        # Malformed JSON (vec0 reads '[1, 2' as [1, 2]): the JSON layer's reason and offset.
        for text in ("[1, 2", "[1,,2]", "[1] x", "abc", ""):
            with self.subTest(text=text):
                message = self.refused("SELECT vec_f32(?)", text)
                self.assertTrue(message.startswith("embedkit: vec_f32() argument 1: "), message)
                self.assertIn(" at byte ", message)


if __name__ == "__main__":
    result = unittest.main(exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if not HAVE_VEC0:
        sqlite_ext.require_vec0()  # the comparisons did not run: report a skip (77)
    sys.exit(0)
