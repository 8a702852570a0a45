// SQL in the WebAssembly package (issue 20): Store.sql() is a SQLite connection of its
// own on the store's file with the embedkit extension registered. The `embedkit`
// virtual table writes and searches the same collections the JS API sees (both ways,
// through PRAGMA data_version), the vec_* functions run, failures are SqlErrors with
// the extension's "embedkit: " messages, and a rolled-back transaction leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Embedkit, EmbedkitError, SqlError, Status } from '../../../wasm/js/index.js';
import { randomRows } from './random_rows.mjs';

const kit = await Embedkit.load();
const DIM = 4;
const GENRES = ['drama', 'comedy', 'horror'];
let nextStore = 0;

// A fresh store file in MEMFS and its SQL connection; the context frees both.
function openStore(t, options = {}) {
  const ctx = kit.createContext();
  t.after(() => ctx.free());
  const store = ctx.openStore(`/sql-${nextStore++}.db`, options);
  return { ctx, store, db: store.sql() };
}

function createDocs(db) {
  db.exec(`CREATE VIRTUAL TABLE docs USING embedkit(id text primary key,
             embedding float[${DIM}] distance_metric=l2, genre text, year integer)`);
}

// `n` seeded rows inserted through SQL: vectors bound as Float32Array (f32 blobs).
function insertRows(db, n, seed = 7) {
  const flat = randomRows(n, DIM, seed);
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, vector: flat.slice(i * DIM, (i + 1) * DIM), genre: GENRES[i % 3], year: 1990 + i,
  }));
  for (const r of rows) {
    db.query('INSERT INTO docs(id, embedding, genre, year) VALUES (?, ?, ?, ?)',
      [r.id, r.vector, r.genre, r.year]);
  }
  return rows;
}

function l2(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; ++i) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

// Ids of the k nearest rows passing `keep`, by brute force (ties broken by id).
function nearest(rows, q, k, keep = () => true) {
  return rows.filter(keep).map((r) => ({ id: r.id, d: l2(r.vector, q) }))
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1)).slice(0, k);
}

function searchIds(collection, q, options) {
  const r = collection.search(q, options);
  try {
    return r.hits(0);
  } finally {
    r.free();
  }
}

test('create, insert, filtered KNN, update and delete through SQL; the JS API sees them', (t) => {
  const { store, db } = openStore(t);
  createDocs(db);
  const rows = insertRows(db, 60);
  const q = Float32Array.from([0.2, -0.4, 0.1, 0.3]);

  const knn = db.query(`SELECT id, genre, distance FROM docs
                        WHERE embedding MATCH :q AND k = 5 AND genre = :genre ORDER BY distance`,
  { q, genre: 'drama' });
  const expected = nearest(rows, q, 5, (r) => r.genre === 'drama');
  assert.deepEqual(knn.map((r) => r.id), expected.map((e) => e.id));
  knn.forEach((r, i) => {
    assert.equal(r.genre, 'drama');
    assert.ok(Math.abs(r.distance - expected[i].d) < 1e-5, `${r.distance} vs ${expected[i].d}`);
  });
  // The same vector as JSON text, and ORDER BY distance LIMIT instead of k.
  const byLimit = db.query(`SELECT id FROM docs WHERE embedding MATCH ? AND genre = 'drama'
                            ORDER BY distance LIMIT 5`, [JSON.stringify(Array.from(q))]);
  assert.deepEqual(byLimit.map((r) => r.id), expected.map((e) => e.id));

  // The JS API reads the collection the table writes: same rows, same answer.
  const docs = store.openCollection('docs');
  assert.equal(docs.count(), 60);
  const hits = searchIds(docs, q, { k: 5, filter: { genre: 'drama' }, includeMetadata: true });
  assert.deepEqual(hits.map((h) => h.id), expected.map((e) => e.id));
  hits.forEach((h, i) => assert.ok(Math.abs(h.score - expected[i].d ** 2) < 1e-4)); // squared L2
  assert.deepEqual(hits[0].metadata, { genre: 'drama', year: rows.find((r) => r.id === hits[0].id).year });

  // UPDATE (vector and metadata) and DELETE through SQL, read back through the JS API.
  const moved = Float32Array.from([9, 9, 9, 9]);
  db.query('UPDATE docs SET embedding = ?, year = ? WHERE id = ?', [moved, 2042, 'r3']);
  assert.deepEqual(docs.get('r3'), { vector: moved, metadata: { genre: 'drama', year: 2042 } });
  db.exec("DELETE FROM docs WHERE id = 'r4'");
  assert.equal(docs.count(), 59);
  assert.throws(() => docs.get('r4'), (e) => e.status === Status.NOT_FOUND);
  assert.deepEqual(db.query('SELECT count(*) AS n FROM docs'), [{ n: 59 }]);
  assert.deepEqual(searchIds(docs, moved, { k: 1 }).map((h) => h.id), ['r3']);

  // And the reverse: a row upserted through the JS API is found by SQL.
  docs.upsert([{ id: 'js-1', vector: Float32Array.from([5, 5, 5, 5]), metadata: { genre: 'horror', year: 1999 } }]);
  assert.deepEqual(db.query("SELECT id, genre, year FROM docs WHERE id = 'js-1'"),
    [{ id: 'js-1', genre: 'horror', year: 1999 }]);
  const near = db.query(`SELECT id, distance FROM docs WHERE embedding MATCH '[5, 5, 5, 5]'
                         AND k = 1 AND genre = 'horror'`);
  assert.deepEqual(near, [{ id: 'js-1', distance: 0 }]);
  // Vectors come back as blobs, or as Float32Array when asked.
  const [raw] = db.query("SELECT embedding FROM docs WHERE id = 'js-1'");
  assert.ok(raw.embedding instanceof Uint8Array && raw.embedding.length === 16);
  assert.deepEqual(db.query("SELECT embedding FROM docs WHERE id = 'js-1'", undefined, { float32: ['embedding'] }),
    [{ embedding: Float32Array.from([5, 5, 5, 5]) }]);
  docs.free();
});

test('a C API collection is reached with collection=, hnsw KNN with a filter and ef', (t) => {
  const { store, db } = openStore(t);
  const n = 400;
  const flat = randomRows(n, 8, 11);
  const c = store.createCollection('shared', 8, 'cosine', { index: 'hnsw', m: 8, efConstruction: 64 });
  c.upsert({ ids: Array.from({ length: n }, (_, i) => `v${i}`), vectors: flat,
    metadata: Array.from({ length: n }, (_, i) => ({ part: i % 4 })) });
  db.exec('CREATE VIRTUAL TABLE s USING embedkit(id text primary key, v float[8] distance_metric=cosine, ' +
          'part integer, collection=shared)');
  const q = flat.slice(5 * 8, 6 * 8);
  const viaSql = db.query('SELECT id, distance FROM s WHERE v MATCH ? AND k = 10 AND part = 1 AND ef = 200',
    [q]).map((r) => r.id);
  const viaJs = searchIds(c, q, { k: 10, filter: { part: 1 }, ef: 200 }).map((h) => h.id);
  assert.equal(viaSql.length, 10);
  assert.deepEqual(viaSql, viaJs);
  assert.deepEqual(db.query("SELECT part FROM s WHERE id = 'v5'"), [{ part: 1 }]);
  c.free();
});

test('vec_* functions, typed values and parameters', (t) => {
  const { db } = openStore(t);
  const [row] = db.query(`SELECT vec_length('[1, 2, 3]') AS n, vec_to_json(vec_f32('[1, 2.5]')) AS j,
                                 vec_distance_l2('[0, 0]', '[3, 4]') AS d, vec_type(vec_int8('[1, -2]')) AS t,
                                 vec_distance_cosine(?, ?) AS c`, [Float32Array.from([1, 0]), Float32Array.from([0, 1])]);
  assert.deepEqual(row, { n: 3, j: '[1,2.5]', d: 5, t: 'int8', c: 1 });
  const [bytes] = db.query('SELECT vec_f32(?) AS v', ['[1, -2, 0.5]']);
  assert.deepEqual(bytes.v, new Uint8Array(Float32Array.from([1, -2, 0.5]).buffer));
  assert.deepEqual(db.query('SELECT rowid, value FROM vec_each(?)', [Float32Array.from([3, 4])]),
    [{ rowid: 0, value: 3 }, { rowid: 1, value: 4 }]);
  assert.deepEqual(db.query('SELECT vec_to_json(vec_normalize(?)) AS j', ['[3, 4]']), [{ j: '[0.6,0.8]' }]);

  // Values both ways: integers beyond 2^53 as BigInt, NULL, booleans, text with NUL,
  // empty blobs, named parameters with each prefix.
  const big = 2n ** 60n + 1n;
  assert.deepEqual(db.query('SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ? AS f',
    [big, null, true, 'a\0b', new Uint8Array(0), -7]),
  [{ a: big, b: null, c: 1, d: 'a\0b', e: new Uint8Array(0), f: -7 }]);
  assert.deepEqual(db.query('SELECT :x + @y + $z AS s, typeof(:x) AS tx, typeof(@y) AS ty',
    { x: 1, y: 2.5, z: 3 }), [{ s: 6.5, tx: 'integer', ty: 'real' }]);
  assert.deepEqual(db.query('SELECT 1 AS one; -- a comment after the one statement\n  '), [{ one: 1 }]);
  assert.deepEqual(db.query('SELECT ?2 AS second, ?1 AS first', ['a', 'b']), [{ second: 'b', first: 'a' }]);

  // exec runs several statements (each sees the ones before) and returns the results
  // of those with columns, as sql.js's exec does.
  assert.deepEqual(db.exec(`CREATE TABLE notes(a INTEGER); INSERT INTO notes VALUES (1), (2);
                            SELECT a FROM notes ORDER BY a DESC; SELECT 'x' AS y, NULL AS z;`),
  [{ columns: ['a'], values: [[2], [1]] }, { columns: ['y', 'z'], values: [['x', null]] }]);
});

test('failures are SqlErrors; the extension speaks with "embedkit: " messages', (t) => {
  const { ctx, db } = openStore(t);
  createDocs(db);
  const sqlFailure = (pattern, status = Status.STORAGE) => (e) => {
    assert.ok(e instanceof SqlError && e instanceof EmbedkitError, String(e));
    assert.match(e.message, pattern);
    assert.equal(e.status, status);
    assert.equal(typeof e.sqliteCode, 'number');
    return true;
  };
  assert.throws(() => db.query("SELECT vec_length('[1, nope]')"), sqlFailure(/^embedkit: vec_length\(\)/));
  assert.throws(() => db.query("INSERT INTO docs(id, embedding) VALUES ('x', '[1, 2]')"),
    sqlFailure(/^embedkit: .*4/));
  assert.throws(() => db.exec('CREATE VIRTUAL TABLE bad USING embedkit(embedding float[3] distance_metric=l1)'),
    sqlFailure(/^embedkit: /));
  assert.throws(() => db.exec('SELEC 1'), (e) => {
    sqlFailure(/syntax error/)(e);
    assert.equal(e.sqliteCode, 1);
    assert.equal(e.sql, 'SELEC 1');
    return true;
  });
  // exec stops at the failing statement; the ones before it stay done.
  assert.throws(() => db.exec("INSERT INTO docs(id, embedding) VALUES ('ok', '[1,1,1,1]'); SELEC 2"),
    sqlFailure(/syntax error/));
  assert.deepEqual(db.query('SELECT id FROM docs'), [{ id: 'ok' }]);

  const argument = (pattern) => (e) => e instanceof EmbedkitError && e.status === Status.INVALID_ARGUMENT &&
    pattern.test(e.message);
  assert.throws(() => db.query('SELECT 1; SELECT 2'), argument(/runs one statement/));
  assert.throws(() => db.query('   -- nothing\n'), argument(/no statement/));
  assert.throws(() => db.query('SELECT ?, ?', [1]), argument(/2 parameter\(s\), 1 value/));
  assert.throws(() => db.query('SELECT ?'), argument(/no values were given/));
  assert.throws(() => db.query('SELECT :a', { a: 1, b: 2 }), argument(/no parameter named :b/));
  assert.throws(() => db.query('SELECT :a', { b: 2 }), argument(/no value for parameter :a/));
  assert.throws(() => db.query('SELECT ?', [[1, 2]]), argument(/parameter 1 is an array/));
  assert.throws(() => db.query('SELECT ?', [2n ** 64n]), argument(/outside SQLite's 64-bit/));
  assert.throws(() => db.query('SELECT x\'00\' AS b', undefined, { float32: ['b'] }), argument(/1-byte blob/));

  // An in-memory store has no file to share; a closed connection refuses calls.
  const mem = ctx.openStore(':memory:');
  assert.throws(() => mem.sql(), (e) => e.status === Status.UNSUPPORTED && /in memory/.test(e.message));
  db.close();
  assert.ok(db.closed);
  assert.throws(() => db.query('SELECT 1'), argument(/connection was closed/));
  db.close(); // a second close is a no-op
});

test('transactions: a rollback leaves nothing, commits reach the store handle both ways', (t) => {
  const { store, db } = openStore(t, { busyTimeoutMs: 1 });
  createDocs(db);
  const rows = insertRows(db, 20);
  const docs = store.openCollection('docs');
  const q = rows[0].vector;
  assert.deepEqual(searchIds(docs, q, { k: 1 }).map((h) => h.id), ['r0']); // warm copy loaded

  // A rolled-back transaction: its rows were visible inside it, and nothing is left.
  db.exec('BEGIN');
  assert.ok(db.inTransaction);
  db.query('INSERT INTO docs(id, embedding) VALUES (?, ?)', ['tmp', q]);
  db.exec("UPDATE docs SET year = 0 WHERE id = 'r1'; DELETE FROM docs WHERE id = 'r2'");
  assert.deepEqual(db.query('SELECT id FROM docs WHERE embedding MATCH ? AND k = 2', [q]).map((r) => r.id).sort(),
    ['r0', 'tmp']);
  db.exec('ROLLBACK');
  assert.ok(!db.inTransaction);
  assert.deepEqual(db.query('SELECT count(*) AS n FROM docs'), [{ n: 20 }]);
  assert.deepEqual(db.query('SELECT id FROM docs WHERE embedding MATCH ? AND k = 1', [q]), [{ id: 'r0' }]);
  assert.deepEqual(db.query("SELECT year FROM docs WHERE id IN ('r1', 'r2') ORDER BY id"),
    [{ year: 1991 }, { year: 1992 }]);
  assert.equal(docs.count(), 20);
  assert.deepEqual(searchIds(docs, q, { k: 2 }).map((h) => h.id).includes('tmp'), false);

  // A committed SQL write reaches the store handle's warm copy, and the reverse.
  db.query('INSERT INTO docs(id, embedding) VALUES (?, ?)', ['sql-new', Float32Array.from([7, 7, 7, 7])]);
  assert.deepEqual(searchIds(docs, Float32Array.from([7, 7, 7, 7]), { k: 1 }).map((h) => h.id), ['sql-new']);
  docs.upsert([{ id: 'js-new', vector: Float32Array.from([-7, -7, -7, -7]) }]);
  assert.deepEqual(db.query("SELECT id FROM docs WHERE embedding MATCH '[-7,-7,-7,-7]' AND k = 1"), [{ id: 'js-new' }]);
  store.transaction(() => docs.delete('sql-new'));
  assert.deepEqual(db.query("SELECT count(*) AS n FROM docs WHERE id = 'sql-new'"), [{ n: 0 }]);

  // One file, two connections on one thread: an open transaction on one blocks the
  // other's writes, which fail at once instead of waiting for a lock nobody can free.
  store.begin();
  docs.upsert([{ id: 'held', vector: q }]);
  assert.throws(() => db.query("DELETE FROM docs WHERE id = 'r5'"),
    (e) => e instanceof SqlError && (e.sqliteCode & 0xff) === 5 && /locked/.test(e.message));
  store.rollback();
  db.exec('BEGIN');
  db.exec("DELETE FROM docs WHERE id = 'r5'");
  assert.throws(() => docs.upsert([{ id: 'blocked', vector: q }]),
    (e) => e.status === Status.STORAGE && /locked/.test(e.message));
  db.exec('COMMIT');
  docs.upsert([{ id: 'unblocked', vector: q }]);
  assert.equal(docs.count(), 21); // the 20 - r5 + js-new + unblocked (sql-new came and went)
  docs.free();
});

test('journal mode, read-only stores, and the context closing its SQL connections', (t) => {
  const { ctx, store, db } = openStore(t);
  // The store sets WAL on its file; in one module the two connections share its
  // -shm index in memory, so WAL works in MEMFS as on disk.
  assert.deepEqual(db.query('PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
  createDocs(db);
  insertRows(db, 3);
  const ro = ctx.openStore(store.path, { readOnly: true });
  const rodb = ro.sql();
  assert.deepEqual(rodb.query('SELECT count(*) AS n FROM docs'), [{ n: 3 }]);
  assert.throws(() => rodb.exec("DELETE FROM docs WHERE id = 'r0'"),
    (e) => e instanceof SqlError && /readonly|read-only/i.test(e.message));
  ctx.free();
  assert.ok(db.closed && rodb.closed);
});

test('on NODEFS: both connections share the WAL store, and SQL writes outlive the module', async (t) => {
  const host = mkdtempSync(join(tmpdir(), 'embedkit-sql-nodefs-'));
  t.after(() => rmSync(host, { recursive: true, force: true }));
  {
    const mount = kit.mountNode(host, '/sqlhost');
    const ctx = kit.createContext();
    const store = ctx.openStore(`${mount}/s.db`);
    const db = store.sql();
    assert.deepEqual(db.query('PRAGMA journal_mode'), [{ journal_mode: 'wal' }]);
    createDocs(db);
    insertRows(db, 10);
    const docs = store.openCollection('docs');
    assert.equal(docs.count(), 10);
    docs.upsert([{ id: 'js', vector: Float32Array.from([1, 2, 3, 4]) }]);
    assert.deepEqual(db.query('SELECT count(*) AS n FROM docs'), [{ n: 11 }]);
    ctx.free();
  }
  const fresh = await Embedkit.load(); // a new module: only the host file is shared
  fresh.mountNode(host, '/again');
  const ctx = fresh.createContext();
  t.after(() => ctx.free());
  const db = ctx.openStore('/again/s.db', { mustExist: true }).sql();
  assert.deepEqual(db.query("SELECT id FROM docs WHERE embedding MATCH '[1,2,3,4]' AND k = 1"), [{ id: 'js' }]);
  assert.deepEqual(db.query("SELECT genre, year FROM docs WHERE id = 'r4'"), [{ genre: 'comedy', year: 1994 }]);
});
