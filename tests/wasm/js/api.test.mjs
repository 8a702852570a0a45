// The JavaScript package over the WASM module: the same API surface and failure
// paths as tests/abi/c_api_test.c (context, plugins, instances and the encoder, the
// store, collections, upsert/get/delete/search/list, results, errors).
//   node --test tests/wasm/js/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';

let kit;
before(async () => {
  kit = await Embedkit.load();
});

// The call throws EmbedkitError with `status` and a message containing `needle`.
function fails(fn, status, needle) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof EmbedkitError, `not an EmbedkitError: ${e}`);
    assert.equal(e.status, status, `status ${e.statusName}: ${e.message}`);
    assert.ok(e.message.includes(needle), `"${e.message}" lacks "${needle}"`);
    assert.equal(e.statusName, kit.statusName(status));
    return true;
  });
}

// The vectors of c_api_test.c's make_vectors (32-bit LCG), so both tests see the same data.
function makeVectors(rows, dim, seed) {
  const v = new Float32Array(rows * dim);
  let s = seed >>> 0;
  for (let i = 0; i < rows * dim; ++i) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    v[i] = ((s >>> 8) & 0xffff) / 65536 - 0.5;
  }
  return v;
}

test('version and errors', () => {
  assert.match(kit.version, /^\d+\.\d+\.\d+/);
  assert.equal(kit.abiVersion, (1 << 16) | 2);  // ABI 1.2 (indexes, issue 19)
  assert.equal(kit.statusName(Status.NOT_FOUND), 'EK_ERR_NOT_FOUND');
  assert.equal(kit.statusName(9999), 'EK_ERR_UNKNOWN');
  const e = new EmbedkitError(2, 'EK_ERR_NOT_FOUND', 'x');
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'EmbedkitError');
});

test('context: options, refusals, info, log callback', () => {
  fails(() => kit.createContext({ backend: 'tpu' }), Status.INVALID_ARGUMENT, "backend 'tpu'");
  fails(() => kit.createContext({ backend: 'cuda' }), Status.UNSUPPORTED, 'cuda');
  fails(() => kit.createContext({ numThreads: 100000 }), Status.INVALID_ARGUMENT, 'num_threads');
  fails(() => kit.createContext({ logLevel: 'loud' }), Status.INVALID_ARGUMENT, 'logLevel');

  const lines = [];
  const ctx = kit.createContext({ logLevel: 'info', numThreads: 2, onLog: (l, m) => lines.push([l, m]) });
  assert.ok(lines.length > 0, 'the context logs its backend at info level');
  assert.ok(lines.some(([l, m]) => l === 'info' && m.includes('backend')));
  const info = ctx.info();
  assert.equal(info.backend, 'cpu');
  assert.equal(info.simdTarget, 'WASM');
  assert.equal(info.numThreads, 1); // no pthreads in the WASM build
  assert.equal(info.abiVersion, kit.abiVersion);
  ctx.cancel();
  ctx.resetCancel();
  ctx.onProgress(() => false);
  ctx.onProgress(null);
  ctx.free();
  ctx.free(); // twice is a no-op
  assert.ok(ctx.freed);
  fails(() => ctx.info(), Status.INVALID_ARGUMENT, 'freed');
});

test('plugins: bundled registry, lookups, no dlopen in the module', () => {
  const ctx = kit.createContext();
  try {
    const plugins = ctx.plugins();
    assert.equal(plugins.length, ctx.info().pluginCount);
    assert.ok(plugins.length >= 1, 'bundled plugins are registered statically');
    for (const p of plugins) {
      assert.equal(p.path, null, 'built in');
      assert.equal(p.abiVersion, kit.abiVersion);
      // Each string of ek_plugin_info from its own field.
      assert.match(p.id, /^embedkit\.\w+$/);
      assert.match(p.version, /^\d+\.\d+\.\d+/);
      assert.equal(p.vendor, 'embedkit');
      assert.ok(p.name && p.description && p.name !== p.description, p.id);
      assert.ok(p.extensions.every((e) => /^ek\.\w+\/1$/.test(e)), p.id);
      assert.deepEqual(ctx.plugin(p.id), p);
    }
    assert.deepEqual(ctx.plugin('embedkit.vsa_json').extensions, ['ek.encoder/1', 'ek.vsa_probe/1']);
    fails(() => ctx.plugin('no.such.plugin'), Status.NOT_FOUND, 'no.such.plugin');
    fails(() => ctx.loadPlugin('/nonexistent/plugin.so'), Status.IO, 'no such file');
    // A file that exists but cannot be loaded: the package has no dynamic linking.
    kit.FS.writeFile('/not_a_plugin.so', 'this is text, not a module\n');
    fails(() => ctx.loadPlugin('/not_a_plugin.so'), Status.NOT_A_PLUGIN, 'not a loadable module');
    fails(() => ctx.createInstance('no.such.plugin'), Status.NOT_FOUND, 'no.such.plugin');
    const bare = kit.createContext({ bundledPlugins: false });
    assert.equal(bare.plugins().length, 0);
    bare.free();
  } finally {
    ctx.free();
  }
});

test('instances and the encoder extension', () => {
  const ctx = kit.createContext();
  try {
    const encoders = ctx.plugins().filter((p) => p.extensions.includes('ek.encoder/1'));
    assert.ok(encoders.length >= 1, 'a bundled encoder plugin');
    const id = encoders[0].id;
    fails(() => ctx.createInstance(id, '{"a": '), Status.PARSE, 'config_json');
    fails(() => ctx.createInstance(id, '[1,2]'), Status.PARSE, 'config_json');
    const inst = ctx.createInstance(id, {});
    assert.equal(inst.hasExtension('ek.encoder/1'), true);
    assert.equal(inst.hasExtension('ek.nothing/1'), false);
    const dim = inst.encoderDim();
    assert.ok(dim > 0);
    const docs = ['{"name": "Ada", "born": 1815}', '{"name": "Ada", "born": 1816}', '{"city": "Paris"}'];
    const out = inst.encode(docs);
    assert.ok(out instanceof Float32Array);
    assert.equal(out.length, docs.length * dim);
    assert.ok(out.every(Number.isFinite));
    // Deterministic: the same input gives the same vector.
    assert.deepEqual(inst.encode([docs[0]]), out.subarray(0, dim));
    inst.free();
    fails(() => inst.encoderDim(), Status.INVALID_ARGUMENT, 'freed');
  } finally {
    ctx.free();
  }
});

function storeChecks(ctx, path) {
  const DIM = 8;
  const ROWS = 50;
  fails(() => ctx.openStore(''), Status.INVALID_ARGUMENT, 'path');
  fails(() => ctx.openStore('/nonexistent-dir/x.db', { mustExist: true }), Status.IO, 'x.db');
  const store = ctx.openStore(path);

  fails(() => store.createCollection('docs', 0, 'cosine'), Status.INVALID_ARGUMENT, 'dim');
  fails(() => store.createCollection('docs', DIM, 7), Status.INVALID_ARGUMENT, 'metric');
  fails(() => store.createCollection('docs', DIM, 'manhattan'), Status.INVALID_ARGUMENT, 'metric');
  fails(() => store.createCollection('', DIM, 'cosine'), Status.INVALID_ARGUMENT, 'name');
  const coll = store.createCollection('docs', DIM, 'cosine');
  fails(() => store.createCollection('docs', DIM + 1, 'cosine'), Status.ALREADY_EXISTS, 'docs');
  store.createCollection('docs', DIM, 'cosine').free(); // same shape: opens
  fails(() => store.openCollection('nope'), Status.NOT_FOUND, 'nope');
  assert.equal(coll.name, 'docs');
  assert.equal(coll.dim, DIM);
  assert.equal(coll.metric, 'cosine');

  const vectors = makeVectors(ROWS, DIM, 1);
  const ids = Array.from({ length: ROWS }, (_, i) => `doc-${i}`);
  const metadata = ids.map((_, i) => (i % 2 ? { parity: 'odd', n: 1 } : { parity: 'even' }));
  coll.upsert({ ids, vectors, metadata });
  assert.equal(coll.count(), ROWS);

  // bad batches: nothing from them is stored
  fails(() => coll.upsert({ ids, vectors: vectors.subarray(0, ROWS * (DIM - 1)) }),
    Status.DIMENSION_MISMATCH, 'dim');
  const bad = new Float32Array(DIM);
  bad[3] = NaN;
  fails(() => coll.upsert([{ id: 'nan-row', vector: bad }]), Status.INVALID_ARGUMENT, 'nan-row');
  bad[3] = Infinity;
  fails(() => coll.upsert([{ id: 'nan-row', vector: bad }]), Status.INVALID_ARGUMENT, 'nan-row');
  bad[3] = 0;
  fails(() => coll.upsert([{ id: 'nan-row', vector: bad, metadata: '{"x": ' }]), Status.PARSE, 'nan-row');
  fails(() => coll.upsert([{ id: 'a', vector: bad }, { id: 'b', vector: [1, 2] }]),
    Status.DIMENSION_MISMATCH, "row 1 ('b')");
  fails(() => coll.upsert([{ id: 'dup', vector: bad }, { id: 'dup', vector: bad }]),
    Status.INVALID_ARGUMENT, 'dup');
  fails(() => coll.upsert(null), Status.INVALID_ARGUMENT, 'rows');
  assert.equal(coll.count(), ROWS);

  // get
  const row = coll.get('doc-3');
  assert.deepEqual(row.vector, vectors.subarray(3 * DIM, 4 * DIM));
  assert.deepEqual(row.metadata, { parity: 'odd', n: 1 });
  assert.equal(coll.get('doc-2').metadata.parity, 'even');
  fails(() => coll.get('missing'), Status.NOT_FOUND, 'missing');

  // search: a stored vector finds itself first
  let results = coll.search(vectors.subarray(7 * DIM, 8 * DIM), { k: 5, includeMetadata: true });
  assert.equal(results.queryCount, 1);
  assert.equal(results.hitCount(0), 5);
  const hits = results.hits(0);
  assert.equal(hits[0].id, 'doc-7');
  assert.ok(Math.abs(hits[0].score - 1) < 1e-5);
  assert.equal(hits[0].metadata.parity, 'odd');
  for (let i = 1; i < hits.length; ++i) assert.ok(hits[i].score <= hits[i - 1].score);
  fails(() => results.hit(0, 5), Status.INVALID_ARGUMENT, 'rank 5');
  fails(() => results.hit(1, 0), Status.INVALID_ARGUMENT, 'query 1');
  results.free();
  fails(() => results.hits(0), Status.INVALID_ARGUMENT, 'freed');

  // filter and batched queries (one flat Float32Array of 2 x DIM, and an array of rows)
  results = coll.search(vectors.subarray(0, 2 * DIM), { k: 100, filter: { parity: 'even' }, includeMetadata: true });
  assert.equal(results.queryCount, 2);
  assert.equal(results.hitCount(1), ROWS / 2);
  for (const h of results.hits(1)) assert.equal(h.metadata.parity, 'even');
  results.free();
  results = coll.search([vectors.subarray(0, DIM), Array.from(vectors.subarray(DIM, 2 * DIM))], { k: 3 });
  assert.deepEqual(results.toArray().map((q) => q[0].id), ['doc-0', 'doc-1']);
  results.free();
  fails(() => coll.search(vectors.subarray(0, DIM), { filter: '{"parity": ' }), Status.PARSE, 'filter');
  results = coll.search(vectors.subarray(0, DIM), { k: 2000 });  // no cap on k: every row
  assert.equal(results.hitCount(0), ROWS);
  results.free();
  fails(() => coll.search(vectors.subarray(0, DIM + 1), { k: 3 }), Status.DIMENSION_MISMATCH, 'dim');
  fails(() => coll.search(null, { k: 3 }), Status.INVALID_ARGUMENT, 'queries');

  // delete, list, info
  assert.equal(coll.delete(['doc-0', 'never-there']), 1);
  assert.equal(coll.count(), ROWS - 1);
  fails(() => coll.get('doc-0'), Status.NOT_FOUND, 'doc-0');
  results = coll.list({ offset: 0, limit: 3 });
  assert.deepEqual(results.hits(0).map((h) => h.id), ['doc-1', 'doc-2', 'doc-3']);
  assert.ok(results.hits(0).every((h) => h.score === 0 && h.metadata === null));
  results.free();
  results = coll.list({ offset: 47, includeMetadata: true });
  assert.deepEqual(results.hits(0).map((h) => h.id), ['doc-48', 'doc-49']);
  assert.equal(results.hits(0)[1].metadata.parity, 'odd');
  results.free();
  assert.deepEqual(coll.info(), { name: 'docs', dim: DIM, metric: 'cosine', count: ROWS - 1 });

  const l2 = store.createCollection('l2', 3, 'l2');
  // Every element of ek_store_list_collections' array, each field of its own.
  assert.deepEqual(store.collections().sort((x, y) => x.name.localeCompare(y.name)), [
    { name: 'docs', dim: DIM, metric: 'cosine', count: ROWS - 1 },
    { name: 'l2', dim: 3, metric: 'l2', count: 0 },
  ]);
  l2.free();
  store.dropCollection('l2');
  fails(() => store.dropCollection('l2'), Status.NOT_FOUND, 'l2');

  // free the store before the collection: the handle keeps working
  store.free();
  assert.equal(coll.count(), ROWS - 1);
  coll.free();
}

test('store and collections in memory', () => {
  const ctx = kit.createContext();
  try {
    storeChecks(ctx, ':memory:');
  } finally {
    ctx.free();
  }
});

test('store on a file (MEMFS): reopen, read-only, corrupt', async () => {
  kit.FS.mkdirTree('/work');
  const path = '/work/api_test.db';
  let ctx = kit.createContext();
  storeChecks(ctx, path);
  ctx.free();

  ctx = kit.createContext();
  let store = ctx.openStore(path);
  let coll = store.openCollection('docs');
  assert.equal(coll.count(), 49);
  coll.free();
  await store.close();

  store = ctx.openStore(path, { readOnly: true });
  coll = store.openCollection('docs');
  fails(() => coll.upsert([{ id: 'x', vector: new Float32Array(8) }]), Status.READ_ONLY, 'read-only');
  store.free();

  const garbage = new Uint8Array(4096).map((_, i) => (i * 7) % 251);
  kit.FS.writeFile('/work/garbage.db', garbage);
  fails(() => ctx.openStore('/work/garbage.db'), Status.CORRUPT, 'garbage.db');
  // freeing the context frees the collection still open under it
  ctx.free();
  assert.ok(coll.freed);
});

test('metrics: dot and l2 scores and order', () => {
  const ctx = kit.createContext();
  try {
    const store = ctx.openStore();
    const dot = store.createCollection('dot', 2, 'dot');
    const l2 = store.createCollection('l2', 2, 'l2');
    const rows = [
      { id: 'a', vector: [1, 0] },
      { id: 'b', vector: [2, 2] },
      { id: 'c', vector: [-1, 0.5] },
    ];
    dot.upsert(rows);
    l2.upsert(rows);
    let r = dot.search([1, 1], { k: 3 });
    assert.deepEqual(r.hits().map((h) => [h.id, h.score]), [['b', 4], ['a', 1], ['c', -0.5]]);
    r.free();
    r = l2.search([1, 1], { k: 3 });
    assert.deepEqual(r.hits().map((h) => [h.id, h.score]), [['a', 1], ['b', 2], ['c', 4.25]]);
    r.free();
  } finally {
    ctx.free();
  }
});

test('upsert replaces rows; ids and metadata round-trip as UTF-8', () => {
  const ctx = kit.createContext();
  try {
    const c = ctx.openStore().createCollection('u', 2, 'dot');
    c.upsert([{ id: 'größe-名前', vector: [1, 2], metadata: { note: 'ünïcödé ✓' } }]);
    c.upsert([{ id: 'größe-名前', vector: [3, 4] }]);
    assert.equal(c.count(), 1);
    const row = c.get('größe-名前');
    assert.deepEqual(Array.from(row.vector), [3, 4]);
    const r = c.search([1, 0], { k: 1 });
    assert.equal(r.hit(0, 0).id, 'größe-名前');
    r.free();
  } finally {
    ctx.free();
  }
});

test('store transactions: commit keeps every write, rollback none', () => {
  const ctx = kit.createContext();
  try {
    const store = ctx.openStore();
    const c = store.createCollection('t', 2, 'dot');
    c.upsert([{ id: 'a', vector: [1, 0] }, { id: 'b', vector: [0, 1] }]);
    assert.throws(() => store.transaction(() => {
      c.delete(['a']);
      c.upsert([{ id: 'c', vector: [1, 1] }]);
      assert.equal(c.count(), 2);
      throw new Error('abandon the request');
    }), /abandon/);
    assert.equal(c.count(), 2);
    assert.ok(c.get('a'));
    store.transaction(() => {
      c.delete(['a']);
      fails(() => store.begin(), Status.INVALID_ARGUMENT, 'already open');
    });
    assert.equal(c.count(), 1);
    fails(() => store.commit(), Status.INVALID_ARGUMENT, 'no transaction');
  } finally {
    ctx.free();
  }
});
