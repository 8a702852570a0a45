#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_sql (tests/fuzz/fuzz_sql.cc) into tests/fuzz/corpus/fuzz_sql.

An input is a mode byte (bit 0: a file database, bit 1: WAL) and then statements, each an
op byte, a table byte (t0..t2), a length byte and that many bytes the op reads its fields
from (fuzz_sql_grammar.h). Two kinds:
  sql_*      raw SQL (op 13, the chunk is the text): sqlite-vec style scripts
             rewritten for embedkit, so the fuzzer starts from statements that work
  grammar_*  op sequences (create, inserts, KNN, update, delete, transactions, reopen)
             whose operand bytes come from a seeded generator
regress_* seeds are inputs the fuzzer found (kept by hand, never rewritten here).

  python3 tests/fuzz/make_sql_seeds.py
"""
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "fuzz_sql"

OP = {"create": 0, "drop": 1, "insert": 2, "bulk": 5, "knn": 6, "scan": 8, "update": 9,
      "delete": 10, "txn": 11, "function": 12, "raw": 13, "reopen": 14}

SCRIPTS = {
    "basic": [
        "CREATE VIRTUAL TABLE t0 USING embedkit(v float[4])",
        "INSERT INTO t0(rowid, v) VALUES (1, '[1,2,3,4]'), (2, '[0,0,1,1]'), (3, '[4,3,2,1]')",
        "SELECT rowid, distance FROM t0 WHERE v MATCH '[1,2,3,4]' AND k = 2",
        "UPDATE t0 SET v = '[9,9,9,9]' WHERE rowid = 2",
        "DELETE FROM t0 WHERE rowid = 1",
        "SELECT rowid, distance FROM t0 WHERE v MATCH '[1,2,3,4]' ORDER BY distance LIMIT 5",
    ],
    "metadata": [
        "CREATE VIRTUAL TABLE t1 USING embedkit(id integer primary key, embedding float[2] "
        "distance_metric=cosine, genre text, year integer, user_id integer partition key, "
        "+title text, index=hnsw, m=8)",
        "INSERT INTO t1(id, embedding, genre, year, user_id, title) VALUES "
        "(1, '[1,0]', 'rock', 1990, 1, 'a'), (2, '[0,1]', 'jazz', 2001, 2, 'b')",
        "SELECT id, distance FROM t1 WHERE embedding MATCH '[1,1]' AND k = 3 AND genre IN "
        "('rock','pop') AND year >= 1980 AND user_id = 1",
        "SELECT id FROM t1 WHERE embedding MATCH '[1,1]' AND k = 9 AND genre LIKE 'ro%' "
        "AND title IS NOT NULL AND distance < 0.5",
    ],
    "text_id": [
        "CREATE VIRTUAL TABLE t2 USING embedkit(id text primary key, v float[3], score float, ok boolean)",
        "INSERT OR REPLACE INTO t2(id, v, score, ok) VALUES ('a', '[1,1,1]', 0.5, 1), ('b', '[2,2,2]', NULL, 0)",
        "SELECT id, distance FROM t2 WHERE v MATCH vec_f32('[1,1,1]') AND k = 5 AND ef = 40 AND score IS NULL",
        "SELECT * FROM t2 WHERE id = 'a'",
    ],
    "quantized": [
        "CREATE VIRTUAL TABLE t0 USING embedkit(v int8[4])",
        "INSERT INTO t0(rowid, v) VALUES (1, vec_int8('[1,-2,3,-4]')), (2, vec_int8('[127,0,0,-128]'))",
        "SELECT rowid, distance FROM t0 WHERE v MATCH vec_int8('[1,1,1,1]') AND k = 2",
        "CREATE VIRTUAL TABLE t1 USING embedkit(b bit[16])",
        "INSERT INTO t1(rowid, b) VALUES (1, vec_bit(X'ff00')), (2, vec_bit(X'0f0f'))",
        "SELECT rowid, distance FROM t1 WHERE b MATCH vec_bit(X'f0f0') AND k = 2",
    ],
    "element": [
        "CREATE VIRTUAL TABLE t0 USING embedkit(v float[4], element=f16, index=hnsw, ef_search=16)",
        "INSERT INTO t0(rowid, v) VALUES (1, '[1,2,3,4]'), (2, '[0.5,0.5,0.5,0.5]')",
        "CREATE VIRTUAL TABLE t1 USING embedkit(v float[4], element=int8, rescore=2)",
        "INSERT INTO t1(rowid, v) SELECT rowid, v FROM t0",
        "SELECT rowid FROM t1 WHERE v MATCH '[1,2,3,4]' AND k = 1",
    ],
    "transactions": [
        "CREATE VIRTUAL TABLE t0 USING embedkit(v float[2], genre text)",
        "BEGIN",
        "INSERT INTO t0(rowid, v, genre) VALUES (1, '[1,1]', 'a')",
        "SAVEPOINT s",
        "INSERT INTO t0(rowid, v, genre) VALUES (2, '[2,2]', 'b')",
        "ROLLBACK TO s",
        "COMMIT",
        "BEGIN",
        "DELETE FROM t0",
        "ROLLBACK",
        "SELECT count(*) FROM t0",
    ],
    "functions": [
        "SELECT vec_to_json(vec_normalize('[3,4]')), vec_length(vec_f16('[1,2,3]')), vec_type(vec_int8('[1]'))",
        "SELECT vec_distance_l2('[1,2]', X'0000803f00000040'), vec_distance_cosine('[1,0]', '[0,1]')",
        "SELECT vec_distance_hamming(vec_bit(X'ff'), vec_bit(X'0f')), vec_distance_l1('[1]', '[3]')",
        "SELECT vec_to_json(vec_add('[1,2]', '[3,4]')), vec_to_json(vec_sub('[1,2]', '[3,4]'))",
        "SELECT vec_to_json(vec_slice('[1,2,3,4]', 1, 3)), vec_quantize_binary('[1,-1,1,-1,1,-1,1,-1]')",
        "SELECT vec_quantize_int8('[0.1,-0.5]', 'unit'), vec_version(), embedkit_version()",
        "SELECT rowid, value FROM vec_each('[1,2,3]')",
    ],
    "store_tables": [
        "CREATE VIRTUAL TABLE t0 USING embedkit(v float[2])",
        "INSERT INTO t0(rowid, v) VALUES (1, '[1,1]')",
        "SELECT name FROM sqlite_master",
        "UPDATE vectors SET vector = X'00'",
        "SELECT rowid, distance FROM t0 WHERE v MATCH '[1,1]' AND k = 1",
        "DELETE FROM collections",
        "SELECT * FROM t0",
    ],
}


# Chunks CreateTable reads as a valid table (float[4] v, genre text, year integer,
# index=hnsw, m=8, ef_construction=24): shape, dim byte, column name, id kind (rowid,
# integer id, text id), float, no metric, metadata columns, options, index pick, m and
# ef_construction (Count: selector 5 then the value), no swap, no IF NOT EXISTS.
CREATE = [bytes([0, 3, 0, kind, 0, 0, 0x03, 0x07, 0, 5, 8, 5, 24, 1, 1]) for kind in range(3)]


def raw(sql: str) -> bytes:
    data = sql.encode()
    assert len(data) < 256, sql
    return bytes([OP["raw"], 0, len(data)]) + data


def write(name: str, data: bytes) -> None:
    (OUT / name).write_bytes(data)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, script in SCRIPTS.items():
        body = b"".join(raw(s) for s in script)
        write(f"sql_{name}", bytes([0]) + body)
        write(f"sql_{name}_wal_reopen", bytes([3]) + body + bytes([OP["reopen"], 0, 0]) + raw(script[-1]))
    rng = random.Random(20)
    plans = {
        "crud": ["create", "insert", "insert", "insert", "knn", "update", "delete", "knn", "scan"],
        "txn": ["create", "txn", "insert", "insert", "txn", "knn", "txn", "delete", "txn", "knn"],
        "bulk": ["create", "bulk", "knn", "knn", "delete", "knn", "update", "knn"],
        "functions": ["function"] * 12,
        "reopen": ["create", "insert", "insert", "reopen", "knn", "insert", "reopen", "scan"],
    }
    for name, plan in plans.items():
        for variant in range(3):
            data = bytearray([variant])  # memory, file, file in WAL
            for op in plan:
                table = 0 if op == "create" or rng.random() < 0.8 else rng.randrange(3)
                chunk = CREATE[variant] if op == "create" else bytes(rng.randrange(256) for _ in range(24))
                data += bytes([OP[op], table, len(chunk)]) + chunk
            write(f"grammar_{name}_{variant}", bytes(data))


if __name__ == "__main__":
    main()
