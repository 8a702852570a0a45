// Same answers everywhere: the WASM build, through the JS package, reproduces the
// cross-backend fixture written by the native build (tests/fixture/cross_backend.json,
// from tests/fixture/fixture_writer.cc): identical ids and ranks, scores and encoder
// vectors within 1e-5 relative (rules in tests/fixture/compare.mjs).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Embedkit } from '../../../wasm/js/index.js';
import { compareHits, compareMatches, comparePredictions, compareVectors } from '../../fixture/compare.mjs';

const golden = JSON.parse(readFileSync(new URL('../../fixture/cross_backend.json', import.meta.url), 'utf8'));
let kit;
before(async () => {
  kit = await Embedkit.load();
});

const flat = (rows) => Float32Array.from(rows.flat());

for (const c of golden.vector_cases) {
  test(`vector case ${c.name} (${c.metric}, dim ${c.dim}${c.filter ? ', filtered' : ''})`, () => {
    const ctx = kit.createContext();
    try {
      const coll = ctx.openStore().createCollection(c.name, c.dim, c.metric);
      coll.upsert({ ids: c.ids, vectors: flat(c.vectors), metadata: c.metadata });
      const r = coll.search(flat(c.queries), { k: c.k, filter: c.filter });
      const actual = r.toArray().map((hits) => hits.map(({ id, score }) => ({ id, score })));
      const byId = new Map(c.ids.map((id, i) => [id, c.vectors[i]]));
      const problems = compareHits(c.name, c.metric, c.queries, byId, c.results, actual);
      assert.deepEqual(problems, []);
    } finally {
      ctx.free();
    }
  });
}

for (const c of golden.encoder_cases) {
  test(`encoder case ${c.plugin}`, (t) => {
    const ctx = kit.createContext();
    try {
      if (!ctx.plugins().some((p) => p.id === c.plugin)) {
        assert.fail(`plugin ${c.plugin} of the fixture is not bundled in the WASM module`);
      }
      const inst = ctx.createInstance(c.plugin, c.config);
      assert.equal(inst.encoderDim(), c.dim);
      const rows = (v) => Array.from({ length: v.length / c.dim }, (_, i) => Array.from(v.subarray(i * c.dim, (i + 1) * c.dim)));
      const items = inst.encode(c.items);
      const queries = inst.encode(c.queries);
      assert.deepEqual(compareVectors(`${c.plugin} items`, c.vectors, rows(items)), []);
      assert.deepEqual(compareVectors(`${c.plugin} queries`, c.query_vectors, rows(queries)), []);
      // Search with what this build encoded, over what it encoded.
      const coll = ctx.openStore().createCollection('enc', c.dim, 'cosine');
      coll.upsert({ ids: c.items.map((_, i) => `item-${i}`), vectors: items });
      const r = coll.search(queries, { k: c.k });
      const actual = r.toArray().map((hits) => hits.map(({ id, score }) => ({ id, score })));
      const byId = new Map(c.vectors.map((v, i) => [`item-${i}`, v]));
      assert.deepEqual(compareHits(c.plugin, 'cosine', c.query_vectors, byId, c.results, actual), []);
    } finally {
      ctx.free();
    }
  });
}

for (const c of golden.classifier_cases) {
  test(`classifier case ${c.plugin}`, () => {
    const ctx = kit.createContext();
    try {
      const cls = ctx.createInstance(c.plugin, c.config).classifier();
      cls.setLabels(c.labels);
      cls.fit(c.corpus);
      const actual = cls.predict(c.queries, { scores: true })
        .map((p) => ({ label: p.index, confidence: p.confidence, scores: Array.from(p.scores) }));
      assert.deepEqual(comparePredictions(c.plugin, c.predictions, actual), []);
    } finally {
      ctx.free();
    }
  });
}

// A model fitted and saved natively: its store rows are rebuilt here and loaded into a
// fresh instance, which must classify as the native one did.
for (const c of golden.classifier_model_cases ?? []) {
  test(`classifier model fitted natively, loaded in WASM (${c.plugin})`, () => {
    const ctx = kit.createContext();
    try {
      const store = ctx.openStore();
      for (const [name, coll] of Object.entries(c.store)) {
        const metric = ['cosine', 'dot', 'l2'][coll.metric];
        store.createCollection(name, coll.dim, metric).upsert(coll.rows.map((r) => ({ id: r.id,
          vector: Float32Array.from(r.vector), metadata: r.metadata })));
      }
      const cls = ctx.createInstance(c.plugin, {}).classifier();
      cls.load(store, c.model);
      const actual = cls.predict(c.queries, { scores: true })
        .map((p) => ({ label: p.index, confidence: p.confidence, scores: Array.from(p.scores) }));
      assert.deepEqual(comparePredictions(`${c.plugin} saved model`, c.predictions, actual), []);
    } finally {
      ctx.free();
    }
  });
}

for (const c of golden.matcher_cases) {
  test(`matcher case ${c.plugin}`, () => {
    const ctx = kit.createContext();
    try {
      const m = ctx.createInstance(c.plugin, c.config).matcher();
      m.loadSource(c.source_ddl, 'sql_ddl');
      m.loadTarget(c.glossary, 'glossary_json');
      const actual = m.match({ topK: c.top_k }).columns.map((col) => ({ table: col.table,
        name: col.name, candidates: col.candidates.map((k) => ({ id: k.id, score: k.score, match: k.match })) }));
      assert.deepEqual(compareMatches(c.plugin, c.columns, actual), []);
    } finally {
      ctx.free();
    }
  });
}

test('the fixture was written natively and covers every metric', () => {
  assert.notEqual(golden.written_by.simd_target, 'WASM');
  assert.deepEqual([...new Set(golden.vector_cases.map((c) => c.metric))].sort(), ['cosine', 'dot', 'l2']);
  assert.ok(golden.encoder_cases.length >= 1);
  assert.ok(golden.classifier_cases.length >= 1 && golden.matcher_cases.length >= 1);
  assert.ok(golden.classifier_model_cases.length >= 1);
});
