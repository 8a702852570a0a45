// Issue 17, item 2, through the JavaScript package: cosine scores stay within [-1, 1]
// for every finite vector. [2e19, 0, 0, 0] (squared norm beyond float range) scored
// 2e19 and outranked every real match; [1e-25, 0, 0, 0] (squared norm below it)
// scored 0 against itself.
//   node --test tests/wasm/js/store_cosine.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Embedkit } from '../../../wasm/js/index.js';

let kit;
let ctx;

before(async () => {
  kit = await Embedkit.load();
  ctx = kit.createContext({ numThreads: 1 });
});

after(() => ctx.free());

const ROWS = [
  ['one', [1, 0, 0, 0]],
  ['huge', [2e19, 0, 0, 0]],
  ['tiny', [1e-25, 0, 0, 0]],
  ['max', [3e38, 3e38, 0, 0]],
  ['y', [0, 1, 0, 0]],
  ['minus', [-1e-30, 0, 0, 0]],
];

test('cosine of extreme magnitudes ranks by direction, scores within [-1, 1]', () => {
  const store = ctx.openStore(':memory:');
  const col = store.createCollection('c', 4, 'cosine');
  col.upsert(ROWS.map(([id, v]) => ({ id, vector: new Float32Array(v) })));
  for (const q of [[1, 0, 0, 0], [2e19, 0, 0, 0], [1e-25, 0, 0, 0], [3e38, 0, 0, 0]]) {
    const results = col.search(new Float32Array(q), { k: ROWS.length });
    const hits = results.hits(0);
    results.free();
    const label = `query ${q}: ${JSON.stringify(hits)}`;
    for (const h of hits) {
      assert.ok(Number.isFinite(h.score) && h.score <= 1 && h.score >= -1, label);
    }
    assert.deepEqual(hits.slice(0, 3).map((h) => h.id), ['one', 'huge', 'tiny'], label);
    for (const h of hits.slice(0, 3)) assert.ok(Math.abs(h.score - 1) < 1e-6, label);
    assert.equal(hits[3].id, 'max', label);
    assert.ok(Math.abs(hits[3].score - Math.SQRT1_2) < 1e-6, label);
    assert.equal(hits[hits.length - 1].id, 'minus', label);
    assert.ok(Math.abs(hits[hits.length - 1].score + 1) < 1e-6, label);
  }
  // Stored as given: normalised only in memory.
  assert.deepEqual(col.get('huge').vector, new Float32Array([2e19, 0, 0, 0]));
  store.free();
});
