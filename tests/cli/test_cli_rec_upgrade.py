#!/usr/bin/env python3
"""A rec_unlearn model written by the previous release opens and is upgraded (issue 18).

Usage: test_cli_rec_upgrade.py --binary PATH --library PATH --fixture DIR [unittest args]

DIR is tests/fixture/store_v1: store_v1.ekdb (see make.sh there) holds model 'rec'
with its meta record and its ledger (req-1, req-2) as the vector collections rec.meta
and rec.ledger, and expected.jsonl what that release answered. A copy is read by
`rec recommend` (read-only: the old layout as it is, the file untouched), then
`rec forget` opens it for writing: the meta and both ledger entries move into the
store's key/value state, the new request joins them, and the old collections are
emptied in the same transaction. The key/value state is read through the C API
(ctypes on the library), as an application would.
"""
import argparse
import ctypes
import hashlib
import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402
from test_cli import TempDir, run, run_json  # noqa: E402

LIBRARY = None
FIXTURE = None
NAMESPACE = b"embedkit.rec_unlearn"


class Hit(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("id", ctypes.c_char_p), ("score", ctypes.c_float),
                ("metadata_json", ctypes.c_char_p)]


class CollectionInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("name", ctypes.c_char_p), ("dim", ctypes.c_uint32),
                ("metric", ctypes.c_int32), ("count", ctypes.c_uint64)]


class Store:
    """A store opened read-only through the C API: its key/value state and collections."""

    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(LIBRARY)
        lib.ek_last_error.restype = ctypes.c_char_p
        lib.ek_store_kv_list.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.c_size_t, ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p)]
        lib.ek_store_kv_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p,
                                        ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
        lib.ek_results_hit_count.restype = ctypes.c_size_t
        lib.ek_results_hit_count.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.ek_results_hit.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.POINTER(Hit)]
        lib.ek_results_free.argtypes = [ctypes.c_void_p]
        lib.ek_store_list_collections.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.POINTER(CollectionInfo)),
                                                  ctypes.POINTER(ctypes.c_size_t)]
        lib.ek_collection_infos_free.argtypes = [ctypes.POINTER(CollectionInfo), ctypes.c_size_t]
        lib.ek_store_free.argtypes = [ctypes.c_void_p]
        lib.ek_context_free.argtypes = [ctypes.c_void_p]
        self.ctx, self.store = ctypes.c_void_p(), ctypes.c_void_p()
        self.check(lib.ek_context_create(None, ctypes.byref(self.ctx)))
        options = (ctypes.c_uint32 * 4)(16, 1, 1, 0)  # ek_store_options: read_only, must_exist
        self.check(lib.ek_store_open(self.ctx, path.encode(), options, ctypes.byref(self.store)))

    def check(self, status):
        if status != 0:
            raise AssertionError(f"status {status}: {self.lib.ek_last_error().decode()}")

    def kv_list(self, prefix):
        """{key: value} of the plugin's keys starting with `prefix`."""
        res = ctypes.c_void_p()
        self.check(self.lib.ek_store_kv_list(self.store, NAMESPACE, prefix.encode(), None, 0, 1, ctypes.byref(res)))
        out = {}
        for rank in range(self.lib.ek_results_hit_count(res, 0)):
            hit = Hit(struct_size=ctypes.sizeof(Hit))
            self.check(self.lib.ek_results_hit(res, 0, rank, ctypes.byref(hit)))
            out[hit.id.decode()] = json.loads(hit.metadata_json.decode())
        self.lib.ek_results_free(res)
        return out

    def kv_get(self, key):
        """The value of one key, parsed, or None when there is none (EK_ERR_NOT_FOUND)."""
        length = ctypes.c_size_t()
        status = self.lib.ek_store_kv_get(self.store, NAMESPACE, key.encode(), None, 0, ctypes.byref(length), None)
        if status == 2:  # EK_ERR_NOT_FOUND
            return None
        self.check(status)
        buf = ctypes.create_string_buffer(length.value + 1)
        self.check(self.lib.ek_store_kv_get(self.store, NAMESPACE, key.encode(), buf, len(buf),
                                            ctypes.byref(length), None))
        return json.loads(buf.value.decode())

    def collections(self):
        """{name: rows}"""
        infos, count = ctypes.POINTER(CollectionInfo)(), ctypes.c_size_t()
        self.check(self.lib.ek_store_list_collections(self.store, ctypes.byref(infos), ctypes.byref(count)))
        out = {infos[k].name.decode(): infos[k].count for k in range(count.value)}
        self.lib.ek_collection_infos_free(infos, count)
        return out

    def close(self):
        self.lib.ek_store_free(self.store)
        self.lib.ek_context_free(self.ctx)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class RecUpgrade(TempDir):
    def setUp(self):
        super().setUp()
        self.db = self.path("store_v1.ekdb")
        shutil.copyfile(os.path.join(FIXTURE, "store_v1.ekdb"), self.db)
        with open(os.path.join(FIXTURE, "expected.jsonl"), encoding="utf-8") as f:
            self.expected = f.readline().strip()

    def test_read_only_reads_the_old_layout_and_forget_upgrades_it(self):
        before = digest(self.db)
        _, out, _ = run("-q", "--json", "rec", "recommend", self.db, "--user", "1", "-k", "3", expect=0)
        self.assertEqual(out.strip(), self.expected)
        self.assertEqual(digest(self.db), before, "a read-only recommend changed the store file")

        f = run_json("-q", "rec", "forget", self.db, "--users", "3")
        self.assertEqual(f["request_id"], "req-3", f)  # the count of the old meta carried over

        store = Store(self.db)
        try:
            ledger = store.kv_list("rec/ledger/")
            self.assertEqual(sorted(ledger), ["rec/ledger/req-1", "rec/ledger/req-2", "rec/ledger/req-3"])
            self.assertEqual(ledger["rec/ledger/req-1"]["kind"], "interactions")
            self.assertEqual(ledger["rec/ledger/req-2"]["kind"], "users")
            self.assertEqual(ledger["rec/ledger/req-3"]["sha256"], f["sha256"])
            self.assertTrue(all(e["status"] == "done" for e in ledger.values()), ledger)
            self.assertEqual(store.kv_list("rec/pending/"), {})
            meta = store.kv_get("rec/meta")
            self.assertEqual((meta["format"], meta["dim"], meta["requests"]), (1, 8, 3), meta)
            collections = store.collections()
            # The old collections are dropped by the upgrade (ek_host::collection_drop).
            self.assertNotIn("rec.meta", collections)
            self.assertNotIn("rec.ledger", collections)
            self.assertGreater(collections["rec.users"], 0)
        finally:
            store.close()
        # The upgraded store is read like a new one.
        r = run_json("-q", "rec", "recommend", self.db, "--user", "1", "-k", "3")
        self.assertEqual(len(r["items"]), 3)


def main():
    global LIBRARY, FIXTURE
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--library", required=True)
    parser.add_argument("--fixture", required=True)
    args, rest = parser.parse_known_args()
    test_cli.BINARY = os.path.abspath(args.binary)
    LIBRARY = os.path.abspath(args.library)
    FIXTURE = os.path.abspath(args.fixture)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
