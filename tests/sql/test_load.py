"""Loading libembedkit_sqlite into Python's sqlite3 (Debian's /usr/bin/python3, which uses
the system libsqlite3 the extension links): the entry point is found from the file name,
embedkit_version() answers, loading twice is harmless, each connection has its own
session, errors carry embedkit's text, and a process whose SQLite is another copy of the
library is refused with a message naming both."""
import ctypes
import ctypes.util
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from sqlite_ext import connect, extension_path

EXPECTED_VERSION = os.environ.get("EK_EXPECTED_VERSION", r"\d+\.\d+\.\d+")


def has_module(conn, name):
    return conn.execute("select count(*) from pragma_module_list where name = ?",
                        (name,)).fetchone()[0] == 1


def open_files():
    """The files this process has open now."""
    return {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}


class LoadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_embedkit_version_answers(self):
        conn = connect()
        (text,) = conn.execute("select embedkit_version()").fetchone()
        self.assertRegex(text, rf"^embedkit {EXPECTED_VERSION} \(ABI \d+\.\d+\)$")

    def test_loading_twice_into_one_connection_is_harmless(self):
        conn = connect()
        conn.enable_load_extension(True)
        conn.load_extension(extension_path())
        conn.enable_load_extension(False)
        self.assertTrue(conn.execute("select embedkit_version()").fetchone()[0].startswith("embedkit "))

    def test_loading_twice_keeps_one_session(self):
        # Two sessions on one connection would keep two warm copies of one store, and
        # a write through one would never reach the other (data_version moves only for
        # other connections' commits). Through the same collection under two tables,
        # one created before and one after the second load, a write is seen at once.
        conn = connect(str(self.dir / "twice.db"))
        self.assertTrue(has_module(conn, "embedkit"))
        conn.execute("create virtual table docs using embedkit(embedding float[2])")
        conn.execute("insert into docs(rowid, embedding) values (1, '[1, 0]')")
        conn.enable_load_extension(True)
        conn.load_extension(extension_path())
        conn.enable_load_extension(False)
        conn.execute("create virtual table docs_again using embedkit(embedding float[2], "
                     "collection=docs)")
        self.assertEqual(conn.execute("select count(*) from docs_again").fetchone()[0], 1)
        conn.execute("insert into docs(rowid, embedding) values (2, '[0, 1]')")
        rows = conn.execute("select rowid from docs_again where embedding match '[0, 1]' "
                            "and k = 1").fetchall()
        self.assertEqual(rows, [(2,)])

    def test_each_connection_has_its_own_session(self):
        first = connect(str(self.dir / "first.db"))
        second = connect(str(self.dir / "second.db"))
        for conn, row in ((first, 7), (second, 8)):
            conn.execute("create virtual table docs using embedkit(embedding float[2])")
            conn.execute("insert into docs(rowid, embedding) values (?, '[1, 0]')", (row,))
            conn.commit()
        knn = "select rowid from docs where embedding match '[1, 0]' and k = 5"
        self.assertEqual(first.execute(knn).fetchall(), [(7,)])
        self.assertEqual(second.execute(knn).fetchall(), [(8,)])
        # Closing one connection frees its session only: the other keeps working, and a
        # new connection (perhaps at the old one's address) gets a fresh session.
        first.close()
        self.assertEqual(second.execute(knn).fetchall(), [(8,)])
        third = connect(str(self.dir / "first.db"))
        self.assertEqual(third.execute(knn).fetchall(), [(7,)])

    def test_closing_the_connection_releases_the_file(self):
        # The store caches statements on the connection; a connection with statements
        # left never really closes under sqlite3_close_v2 (Python's), keeping the file
        # open. Tables release the store when SQLite disconnects them at close.
        path = self.dir / "closed.db"
        conn = connect(str(path))
        conn.execute("create virtual table docs using embedkit(embedding float[2])")
        conn.execute("insert into docs(rowid, embedding) values (1, '[1, 0]')")
        conn.commit()
        self.assertEqual(conn.execute("select rowid from docs where embedding match '[1, 0]' "
                                      "and k = 1").fetchall(), [(1,)])
        self.assertIn(str(path), open_files())
        conn.close()
        self.assertNotIn(str(path), open_files())

    def test_an_error_surfaces_with_embedkits_text(self):
        conn = connect()
        with self.assertRaises(sqlite3.OperationalError) as caught:
            conn.execute("select vec_length('[1, 2')").fetchone()
        self.assertTrue(str(caught.exception).startswith("embedkit: vec_length() argument 1"),
                        str(caught.exception))


class SecondSqliteCopyTest(unittest.TestCase):
    """A copy of libsqlite3 loaded under another file name is a second library instance
    in the process (its own globals, same version text). The extension must refuse it:
    it calls the system library directly, which cannot work on the copy's connections.

    Runs in a child process: once SQLite has loaded an extension (RTLD_GLOBAL), the
    system library is global and a later copy would bind its own calls to it."""

    def test_refused_with_both_libraries_named(self):
        child = subprocess.run([sys.executable, __file__, SECOND_COPY_CHILD],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(child.returncode, 0, child.stderr)
        message = child.stdout.strip()
        version = sqlite3.sqlite_version
        self.assertNotEqual(message, "loaded", "the extension loaded into a second copy of SQLite")
        # SQLite prefixes the init's own message.
        self.assertTrue(message.startswith(
            f"error during initialization: embedkit: this process runs SQLite {version} ("), message)
        self.assertIn("not the library libembedkit_sqlite was linked against, "
                      f"SQLite {version} (", message)


SECOND_COPY_CHILD = "--second-copy-child"


def load_through_second_copy():
    """In a fresh process: the system libsqlite3 loaded first (so the extension binds to
    it), then a copy of its file; loads the extension through the copy. The copy's error
    text, or "loaded"."""
    real = ctypes.CDLL(ctypes.util.find_library("sqlite3"))
    real_file = next(line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
                     if "libsqlite3" in line and line.split()[-1].startswith("/"))
    with tempfile.TemporaryDirectory() as tmp:
        copy_path = Path(tmp) / "libsqlite3_second_copy.so"
        shutil.copy(real_file, copy_path)
        lib = ctypes.CDLL(str(copy_path), mode=os.RTLD_LOCAL)
        lib.sqlite3_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        lib.sqlite3_enable_load_extension.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.sqlite3_load_extension.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                               ctypes.POINTER(ctypes.c_void_p)]
        lib.sqlite3_free.argtypes = [ctypes.c_void_p]
        lib.sqlite3_close.argtypes = [ctypes.c_void_p]
        db = ctypes.c_void_p()
        assert lib.sqlite3_open(b":memory:", ctypes.byref(db)) == 0
        assert lib.sqlite3_enable_load_extension(db, 1) == 0
        error = ctypes.c_void_p()
        rc = lib.sqlite3_load_extension(db, extension_path().encode(), None, ctypes.byref(error))
        text = "loaded" if rc == 0 else ctypes.string_at(error.value).decode()
        lib.sqlite3_free(error)  # the copy's allocation: the init used the loader's api table
        lib.sqlite3_close(db)
        return text


if __name__ == "__main__":
    if sys.argv[1:] == [SECOND_COPY_CHILD]:
        print(load_through_second_copy())
        sys.exit(0)
    unittest.main()
