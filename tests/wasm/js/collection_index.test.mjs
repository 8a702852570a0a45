// Collection indexes through the JS package (ABI 1.2, issue 19): createCollection's
// options (ek_collection_create_with), search's ef/exact/rescore
// (ek_collection_search_with), buildIndex / compactIndex / indexInfo, and the
// library's refusals as EmbedkitError. The graph answers from 4096 rows on, so the
// recall test stores 5000 rows of dim 8 (small m and efConstruction keep it cheap).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';
import { randomRows as rows } from './random_rows.mjs';

const kit = await Embedkit.load();
const DIM = 8;

const randomRows = (n, seed) => rows(n, DIM, seed);

function fill(collection, vectors, prefix = 'r') {
  const n = vectors.length / DIM;
  collection.upsert({ ids: Array.from({ length: n }, (_, i) => `${prefix}${i}`), vectors });
}

function searchIds(collection, queries, options) {
  const results = collection.search(queries, options);
  try {
    return results.toArray().map((hits) => hits.map((h) => h.id));
  } finally {
    results.free();
  }
}

function recall(found, truth) {
  let hit = 0;
  let total = 0;
  found.forEach((ids, q) => {
    const want = new Set(truth[q]);
    hit += ids.filter((id) => want.has(id)).length;
    total += truth[q].length;
  });
  return hit / total;
}

function fails(status, pattern) {
  return (e) => {
    assert.ok(e instanceof EmbedkitError, String(e));
    assert.equal(e.status, status, e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

function withStore(path, fn) {
  const ctx = kit.createContext();
  try {
    fn(ctx, ctx.openStore(path));
  } finally {
    ctx.free();
  }
}

test('hnsw over 5000 x 8: recall@10 against exact: true, ef widens the beam', () => {
  withStore(':memory:', (ctx, store) => {
    const c = store.createCollection('ann', DIM, 'l2', { index: 'hnsw', m: 6, efConstruction: 16 });
    assert.deepEqual(c.indexInfo(), {
      index: 'hnsw', element: 'f32', m: 6, efConstruction: 16, efSearch: 64, rescore: 1,
      building: false, bytesPerVector: c.indexInfo().bytesPerVector,
    });
    assert.ok(c.indexInfo().bytesPerVector >= DIM * 4);
    const base = randomRows(5000, 1);
    fill(c, base);
    const queries = randomRows(40, 2);

    // exact: true is the true top 10: every score equals the brute-force distance.
    const exact = c.search(queries, { k: 10, exact: true });
    const truth = [];
    for (let q = 0; q < 40; ++q) {
      const d = [];
      for (let i = 0; i < 5000; ++i) {
        let s = 0;
        for (let j = 0; j < DIM; ++j) s += (queries[q * DIM + j] - base[i * DIM + j]) ** 2;
        d.push(s);
      }
      d.sort((x, y) => x - y);
      const hits = exact.hits(q);
      hits.forEach((h, r) => assert.ok(Math.abs(h.score - d[r]) < 1e-4, `${q}/${r}: ${h.score} vs ${d[r]}`));
      truth.push(hits.map((h) => h.id));
    }
    exact.free();

    const graph = recall(searchIds(c, queries, { k: 10 }), truth);
    const narrow = recall(searchIds(c, queries, { k: 10, ef: 10 }), truth);
    const wide = recall(searchIds(c, queries, { k: 10, ef: 400 }), truth);
    assert.ok(graph >= 0.9, `recall@10 at the default ef: ${graph}`);
    assert.ok(wide >= 0.98, `recall@10 at ef 400: ${wide}`);
    assert.ok(wide >= narrow, `ef 400 (${wide}) vs ef 10 (${narrow})`);
  });
});

test('deferBuild stores rows only; buildIndex links them with progress and changes options', () => {
  withStore(':memory:', (ctx, store) => {
    const c = store.createCollection('later', DIM, 'cosine',
      { index: 'hnsw', m: 8, efConstruction: 32, deferBuild: true });
    fill(c, randomRows(600, 3));
    assert.equal(c.indexInfo().building, true);

    const seen = [];
    ctx.onProgress((task, done, total) => { seen.push([task, done, total]); });
    c.buildIndex();
    assert.equal(c.indexInfo().building, false);
    assert.ok(seen.length >= 1);
    assert.ok(seen.every(([task]) => task === 'index build'), JSON.stringify(seen.slice(0, 3)));
    assert.deepEqual(seen.at(-1).slice(1), [600, 600]);

    // New options replace the old ones (missing fields = defaults).
    c.buildIndex({ index: 'hnsw', m: 12, efConstruction: 32, element: 'int8', rescore: 4 });
    const info = c.indexInfo();
    assert.deepEqual([info.index, info.m, info.element, info.rescore, info.efSearch], ['hnsw', 12, 'int8', 4, 64]);
    assert.ok(info.bytesPerVector < 600 * DIM * 4);
    const hits = searchIds(c, randomRows(1, 3).subarray(0, DIM), { k: 3, rescore: 8 })[0];
    assert.equal(hits[0], 'r0'); // the first stored row itself, re-ranked with its f32 original
    assert.equal(c.count(), 600);

    // Exact + f32 drops the index.
    c.buildIndex({ index: 'exact' });
    assert.deepEqual([c.indexInfo().index, c.indexInfo().m], ['exact', 0]);
  });
});

test('a cancelled build fails with CANCELLED and keeps the previous index', () => {
  withStore(':memory:', (ctx, store) => {
    const c = store.createCollection('c', DIM, 'l2', { index: 'hnsw', m: 8, deferBuild: true });
    fill(c, randomRows(300, 4));
    ctx.onProgress(() => true);
    assert.throws(() => c.buildIndex({ index: 'hnsw', m: 16 }), fails(Status.CANCELLED, /./));
    ctx.onProgress(null);
    assert.deepEqual([c.indexInfo().m, c.indexInfo().building], [8, true]);
    // ek_context_cancel is sticky until resetCancel.
    ctx.cancel();
    assert.throws(() => c.buildIndex(), fails(Status.CANCELLED, /./));
    ctx.resetCancel();
    c.buildIndex();
    assert.equal(c.indexInfo().building, false);
  });
});

test('compactIndex returns the bytes the VACUUM gave back', () => {
  withStore('/tmp/compact.db', (ctx, store) => {
    const c = store.createCollection('c', DIM, 'l2', { element: 'int8' });
    fill(c, randomRows(3000, 5));
    c.delete(Array.from({ length: 2900 }, (_, i) => `r${i}`));
    assert.equal(c.indexInfo().element, 'int8');
    const freed = c.compactIndex();
    assert.ok(Number.isInteger(freed) && freed > 0, String(freed));
    assert.equal(c.count(), 100);
    assert.equal(searchIds(c, randomRows(3000, 5).subarray(2999 * DIM), { k: 1 })[0][0], 'r2999');
  });
  kit.FS.unlink('/tmp/compact.db');
});

test('refusals: unknown kinds, bad parameters, other options on reopen', () => {
  withStore(':memory:', (ctx, store) => {
    assert.throws(() => store.createCollection('x', DIM, 'l2', { index: 'ivf' }),
      fails(Status.INVALID_ARGUMENT, /index kind/));
    assert.throws(() => store.createCollection('x', DIM, 'l2', { element: 'int4' }),
      fails(Status.INVALID_ARGUMENT, /element type/));
    assert.throws(() => store.createCollection('x', DIM, 'l2', { index: 'hnsw', m: 1 }),
      fails(Status.INVALID_ARGUMENT, /m is 1/));
    assert.throws(() => store.createCollection('x', DIM, 'l2', { efSearch: -1 }),
      fails(Status.INVALID_ARGUMENT, /efSearch is -1/));
    assert.throws(() => store.createCollection('x', DIM, 'l2', { deferBuild: true }),
      fails(Status.INVALID_ARGUMENT, /./));
    const c = store.createCollection('x', DIM, 'l2', { index: 'hnsw' });
    assert.throws(() => store.createCollection('x', DIM, 'l2', { index: 'hnsw', element: 'f16' }),
      fails(Status.ALREADY_EXISTS, /element/));
    // The same options open it.
    store.createCollection('x', DIM, 'l2', { index: 'hnsw' }).free();
    fill(c, randomRows(5, 6));
    assert.throws(() => c.search(randomRows(1, 7), { rescore: 5000 }),
      fails(Status.INVALID_ARGUMENT, /rescore/));
    assert.throws(() => c.search(randomRows(1, 7), { ef: 1.5 }),
      fails(Status.INVALID_ARGUMENT, /ef is 1.5/));
    c.free();
    assert.throws(() => c.indexInfo(), fails(Status.INVALID_ARGUMENT, /freed/));
    assert.throws(() => c.buildIndex(), fails(Status.INVALID_ARGUMENT, /freed/));
  });
});
