#!/usr/bin/env python3
"""Writes the fuzz_c_api seeds for the ABI 1.2 index ops (tests/fuzz/fuzz_c_api_index.h).

Each helper emits the bytes the fuzzer's decoder reads for one op, in the order it
reads them (op byte = case number of fuzz_c_api.cc's switch, byte % 32). If the
decoder's order changes, change the helper beside it and rerun:

    python3 tests/fuzz/make_c_api_index_seeds.py tests/fuzz/corpus/fuzz_c_api
"""
import os
import sys

SIZEOF = 4  # WithSize: byte % 6 >= 4 keeps struct_size = sizeof(T)
NAME_C = 1  # Input::Str dictionary entry "c"


def context():  # case 0: cpu, 2 threads, no bundled plugins (cheap to create)
    return [0, 1, SIZEOF, 2, 1, 1, 1, 1, 1]


def file_store():  # case 24: writable, on the context
    return [24, 1, 1]


def create_with(index, m, efc, efs, element, rescore, dim=0, metric=2, defer=False):
    # Pick store, name, dim (index into {8,8,16,1,3,0,65536,65537}), metric, options
    # (non-NULL, sizeof, OneOf indices), defer_build, then name and out non-NULL. The
    # existing-collection snapshot reads one more byte when "c" already exists.
    return ([25, 1, NAME_C, dim, metric, 1, SIZEOF, index, m, efc, efs, element, rescore] +
            ([0, 0] if defer else [1]) + [1, 1])


def create_with_existing(**kw):  # as create_with, with the snapshot's offset byte
    b = create_with(**kw)
    return b[:-2] + [128] + b[-2:]


def fill(large, seed=1, meta=1):  # case 26: 4,096 + rows, or 100
    return [26, 0] + ([6, 0] if large else [3]) + [seed, meta]


def search(k, filt, ef=0, exact=False, rescore=0, dim=8, nq=1):
    # k: OneOf index into {1,5,10,0,100,5000}; filt: index into the filter list;
    # ef/rescore: OneOf indices; nq: 1 or 2 queries of the collection's dim.
    q = [(37 * i + 11) % 250 for i in range(nq * dim + 1)]
    return ([27, 1, 1, SIZEOF, k, filt, 1, 1, SIZEOF, ef] + ([0, 1] if exact else [1]) +
            [rescore, 1, nq - 1, 1] + q + [1])


def build(index, m, efc, efs, element, rescore):  # case 28, not compact
    return [28, 1, 1, 1, SIZEOF, index, m, efc, efs, element, rescore, 1, 128]


def build_null():  # case 28 with NULL options: rebuild with the current ones
    return [28, 1, 1, 0, 128]


def compact():  # case 28, compact, with out_bytes_freed
    return [28, 1, 0, 128, 1]


def info():  # case 29
    return [29, 1, SIZEOF, 1]


def delete_ids(ids):  # case 8: up to 3 ids, each length-prefixed (Str sel 200)
    b = [8, len(ids)]
    for i in ids:
        b += [200, len(i)] + list(i.encode()) + [1]
    return b + [1, 1, 1]


SEEDS = {
    # hnsw f32 over 4,096 rows (deferred, then built: the graph work once, about a
    # second under ASan): graph searches plain, filtered, with two queries and a small
    # ef; info; deletes (the graph relinks); the exact baseline.
    "index_graph.bin": context() + file_store() +
        create_with(index=0, m=3, efc=0, efs=3, element=0, rescore=0, defer=True) +
        fill(True) + search(1, 0) + build_null() + search(2, 3, ef=2) + search(5, 4, nq=2) +
        info() + delete_ids(["r1_5", "r1_77"]) + search(2, 0, ef=1) + search(4, 5, exact=True),
    # quantized over 100 rows: hnsw bit with rescore, rebuilt as int8, compacted.
    "index_quantized.bin": context() + file_store() +
        create_with(index=0, m=2, efc=1, efs=2, element=3, rescore=4) + fill(False, seed=4) +
        search(2, 0) + info() + build(index=0, m=1, efc=0, efs=2, element=2, rescore=3) +
        search(2, 3, rescore=3) + delete_ids(["r1_5"]) + compact() + search(0, 0, ef=1) + info(),
    # small collections: build and compact of an empty one, f16 exact, create_with of
    # an existing name with other options (refused), hnsw below the graph threshold.
    "index_small.bin": context() + file_store() +
        create_with(index=2, m=0, efc=0, efs=0, element=1, rescore=2) + build_null() +
        compact() + info() + fill(False) + search(2, 0) + search(1, 6) +
        create_with_existing(index=0, m=3, efc=0, efs=3, element=0, rescore=0) +
        build(index=0, m=2, efc=1, efs=1, element=0, rescore=1) + search(3, 3) +
        build(index=2, m=0, efc=0, efs=0, element=0, rescore=0) + info(),
    # hostile values: NULL handles and options, struct_size 0, out-of-range fields.
    "index_hostile.bin": context() + file_store() +
        [25, 0, NAME_C, 0, 2, 0, 1, 1] +  # create_with on a NULL store
        create_with(index=4, m=6, efc=5, efs=5, element=4, rescore=5) +  # refused
        create_with(index=0, m=0, efc=0, efs=0, element=0, rescore=0) + fill(False) +
        # struct_size 0 with index -1 (the fields are not read: a rebuild as it is)
        [28, 1, 1, 1, 0, 7, 255, 255, 255, 255, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 128] +
        build(index=3, m=5, efc=4, efs=4, element=3, rescore=5) +  # rescore 1025: refused
        [29, 0, 1] + [29, 1, 0, 1] + search(5, 7) + search(0, 0, ef=4, rescore=4),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "corpus", "fuzz_c_api")
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(b & 0xFF for b in data))


if __name__ == "__main__":
    main()
