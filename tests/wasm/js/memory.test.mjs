// No leaks, bounded memory: 10,000 create/use/free cycles of the whole handle family
// (context, store, collection, upsert, search, results, instance + encode) and the
// module's malloc'd bytes return to where they were; the WebAssembly memory stops
// growing after the first cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Embedkit, EmbedkitError } from '../../../wasm/js/index.js';

const CYCLES = Number(process.env.EK_WASM_MEMORY_CYCLES ?? 10000);

test(`${CYCLES} create/use/free cycles leave memory flat`, async () => {
  const kit = await Embedkit.load();
  const dim = 32;
  const vectors = Float32Array.from({ length: 64 * dim }, (_, i) => Math.cos(i * 0.11));
  const ids = Array.from({ length: 64 }, (_, i) => `id-${i}`);
  const metadata = ids.map((_, i) => ({ group: i % 4 }));
  const encoderId = (() => {
    const ctx = kit.createContext();
    const p = ctx.plugins().find((x) => x.extensions.includes('ek.encoder/1'));
    ctx.free();
    return p?.id;
  })();

  function cycle(i) {
    const ctx = kit.createContext();
    const store = ctx.openStore(':memory:');
    const c = store.createCollection('c', dim, i % 2 ? 'cosine' : 'l2');
    c.upsert({ ids, vectors, metadata });
    const r = c.search(vectors.subarray(0, 2 * dim), { k: 5, filter: { group: 1 }, includeMetadata: true });
    assert.equal(r.hitCount(1), 5);
    r.hits(1);
    r.free();
    c.get('id-3');
    assert.equal(c.delete(['id-1', 'id-2']), 2);
    try {
      c.get('id-1'); // an error path allocates its message too
    } catch (e) {
      assert.ok(e instanceof EmbedkitError);
    }
    const l = c.list({ limit: 10 });
    l.free();
    if (encoderId && i % 10 === 0) {
      const inst = ctx.createInstance(encoderId, {});
      inst.encode(['{"a": 1}', '{"b": [1, 2]}']);
      inst.free();
    }
    c.free();
    store.free();
    ctx.free();
  }

  const WARMUP = 200;
  for (let i = 0; i < WARMUP; ++i) cycle(i);
  const base = kit.memory();
  const samples = [];
  for (let i = WARMUP; i < CYCLES; ++i) {
    cycle(i);
    if (i % 1000 === 999) samples.push(kit.memory());
  }
  const end = kit.memory();
  const report = { base, end, samples: samples.map((s) => s.mallocBytes) };
  // malloc'd bytes back to the warmed-up level (a few KiB of slack for allocator
  // bookkeeping and caches), the wasm memory itself no larger than after warm-up.
  assert.ok(end.mallocBytes <= base.mallocBytes + 16 * 1024, JSON.stringify(report));
  assert.equal(end.heapBytes, base.heapBytes, JSON.stringify(report));
  // and no trend across the run
  const max = Math.max(...samples.map((s) => s.mallocBytes));
  assert.ok(max <= base.mallocBytes + 16 * 1024, JSON.stringify(report));
});
