// The typed extension wrappers of the JS package (wasm/js/extensions.js) against the
// bundled plugins compiled into the WASM module: classifier, matcher, recommender +
// unlearner. Small inline data with known answers; bad input throws EmbedkitError
// carrying the extension's message. (Native answers for the same inputs are in the
// cross-backend fixture: tests/wasm/js/fixture.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';
import { DDL, GLOSSARY, LABELS, SPACE, SPORT } from './ext_data.mjs';
import { STRUCTS } from '../../../wasm/js/abi_gen.js';
import { EXTENSION_TABLES } from '../../../wasm/js/ext_gen.js';

const kit = await Embedkit.load();

test('Classifier: fit on a small corpus, predict new texts, scores and labels', () => {
  const ctx = kit.createContext();
  const inst = ctx.createInstance('embedkit.text_classify',
    { embedder: 'hashing', min_num_docs: 3, hash_dim: 256 });
  const cls = inst.classifier();
  cls.setLabels(LABELS);
  cls.fit([...SPACE, ...SPORT]);
  assert.deepEqual(cls.shape(), { labels: 2, dim: 256 });
  const labels = cls.labels();
  assert.deepEqual(labels.map((l) => l.name), ['space', 'sport']);
  assert.ok(labels.every((l) => l.active && l.documents >= 3 && l.knownKeywords === 3));

  const out = cls.predict(['an astronaut went to orbit on a rocket', 'the team lost the match',
    ''], { scores: true });
  assert.equal(out[0].label, 'space');
  assert.equal(out[1].label, 'sport');
  assert.equal(out[2].label, null, 'an empty document has no label');
  assert.equal(out[2].index, -1);
  assert.ok(out[0].confidence > 0.5 && out[0].confidence <= 1);
  assert.equal(out[0].scores.length, 2);
  assert.ok(out[0].scores[0] > out[0].scores[1]);

  const v = cls.embed(['rocket orbit']);
  assert.equal(v.length, 256);
  const norm = Math.hypot(...v);
  assert.ok(Math.abs(norm - 1) < 1e-4, `hashing vectors are unit length (${norm})`);
  const lv = cls.labelVectors();
  assert.equal(lv.labels.length, 2 * 256);
  // The fitted documents: unit vectors, a range is a slice of a longer one, and most of
  // each topic's documents go to its label.
  const fitted = cls.fittedVectors(0, 3);
  assert.equal(fitted.length, 3 * 256);
  assert.ok(Math.abs(Math.hypot(...fitted.subarray(0, 256)) - 1) < 1e-4);
  assert.deepEqual(cls.fittedVectors(1, 2), fitted.slice(256));
  const all = cls.predictFitted(0, null, { scores: true });
  assert.equal(all.length, SPACE.length + SPORT.length);
  assert.ok(all.slice(0, 6).filter((r) => r.label === 'space').length >= 5);
  assert.ok(all.slice(6).filter((r) => r.label === 'sport').length >= 5);
  assert.equal(all[0].scores.length, 2);
  assert.deepEqual(cls.predictFitted(7, 2).map((r) => r.label), all.slice(7, 9).map((r) => r.label));
  assert.throws(() => cls.fittedVectors(-1, 1), (e) => e.status === Status.INVALID_ARGUMENT &&
    /first/.test(e.message));
  assert.equal(cls.info().config?.embedder ?? cls.info().embedder, 'hashing');

  // Save into a store and classify with a fresh instance loaded from it.
  const store = ctx.openStore(':memory:');
  cls.save(store, 'topics');
  const inst2 = ctx.createInstance('embedkit.text_classify', { embedder: 'hashing' });
  const cls2 = inst2.classifier();
  cls2.load(store, 'topics');
  assert.deepEqual(cls2.predict(['the rocket reached orbit']).map((r) => r.label), ['space']);
  assert.throws(() => cls2.predictFitted(0, 1), (e) => e.status === Status.UNSUPPORTED,
    'fitted vectors are not stored');
  ctx.free();
});

test('Classifier: bad input throws the extension message and keeps the model', () => {
  const ctx = kit.createContext();
  const cls = ctx.createInstance('embedkit.text_classify', { embedder: 'hashing', min_num_docs: 3 })
    .classifier();
  assert.throws(() => cls.setLabels('{"labels": '), (e) => e instanceof EmbedkitError &&
    e.status === Status.PARSE && e.message.length > 0);
  cls.setLabels(LABELS);
  assert.throws(() => cls.fit([]), (e) => e.status === Status.INVALID_ARGUMENT &&
    /document/i.test(e.message));
  cls.fit([...SPACE, ...SPORT]);
  assert.equal(cls.predict(['rocket to orbit'])[0].label, 'space');
  assert.throws(() => cls.fit('not an array'), (e) => e.status === Status.INVALID_ARGUMENT);
  // A vsa_json instance has no classifier.
  const enc = ctx.createInstance('embedkit.vsa_json', { dim: 64 });
  assert.throws(() => enc.classifier(), (e) => e.status === Status.UNSUPPORTED &&
    /ek\.classifier\/1/.test(e.message));
  ctx.free();
  assert.throws(() => cls.predict(['x']), (e) => e.status === Status.INVALID_ARGUMENT &&
    /freed/.test(e.message));
});

test('Matcher: DDL against a JSON glossary, ranked and explained', () => {
  const ctx = kit.createContext();
  const m = ctx.createInstance('embedkit.table_match', {}).matcher();
  m.loadSource(DDL, 'sql_ddl');
  m.loadTarget(GLOSSARY, 'glossary_json');
  assert.equal(m.count('source'), 3);
  assert.equal(m.count('target'), 4);
  const cols = m.columns('source');
  assert.deepEqual(cols.map((c) => c.name), ['patient_id', 'birth_dt', 'gender_cd']);
  assert.equal(cols[1].id, 'patients.birth_dt');
  assert.equal(cols[1].table, 'patients');
  assert.equal(cols[1].type, 'DATE');
  assert.equal(cols[1].description, 'date of birth');
  assert.deepEqual(m.columns('target').map((c) => c.id), GLOSSARY.map((g) => g.id));
  const r = m.match({ topK: 3 });
  assert.deepEqual(m.signalNames(), r.signals);
  assert.equal(r.columns.length, 3);
  const best = Object.fromEntries(r.columns.map((c) => [c.name, c.candidates[0].id]));
  assert.equal(best.birth_dt, 'birth_date');
  assert.equal(best.gender_cd, 'gender');
  for (const c of r.columns) {
    assert.ok(c.candidates.length <= 3);
    for (let i = 1; i < c.candidates.length; ++i) {
      assert.ok(c.candidates[i - 1].score >= c.candidates[i].score, 'ranked best first');
    }
    const top = c.candidates[0];
    assert.ok(top.score >= 0 && top.score <= 1);
    assert.deepEqual(Object.keys(top.signals), r.signals, 'every signal is explained');
  }
  const one = m.match({ mode: '1:1', topK: 4 });
  const assigned = one.columns.flatMap((c) => c.candidates.filter((k) => k.match).map((k) => k.id));
  assert.equal(new Set(assigned).size, assigned.length, '1:1 matches each target at most once');
  ctx.free();
});

test('Matcher: malformed DDL and bad options give precise errors; the side is kept', () => {
  const ctx = kit.createContext();
  const m = ctx.createInstance('embedkit.table_match', {}).matcher();
  m.loadSource(DDL, 'sql_ddl');
  assert.throws(() => m.loadSource('CREATE TABLE t (a INT', 'sql_ddl'),
    (e) => e.status === Status.PARSE && /line \d+/.test(e.message));
  assert.equal(m.count('source'), 3, 'a failed load leaves the side as it was');
  assert.throws(() => m.match(), (e) => e.status === Status.INVALID_ARGUMENT);  // no targets
  assert.throws(() => m.load('sideways', '{}'), (e) => e.status === Status.INVALID_ARGUMENT &&
    /sideways/.test(e.message));
  ctx.free();
});

// Two taste groups: users u0..u9 like items a*, users v0..v9 like items b*.
function tasteData() {
  const rows = [];
  for (let u = 0; u < 10; ++u) {
    for (let i = 0; i < 8; ++i) {
      if ((u + i) % 4 !== 0) rows.push({ user: `u${u}`, item: `a${i}` });
      if ((u + i) % 4 !== 1) rows.push({ user: `v${u}`, item: `b${i}` });
    }
  }
  return rows;
}

test('Recommender: trains, recommends within the taste group, forgets on request', () => {
  const ctx = kit.createContext({ numThreads: 1 });
  const rec = ctx.createInstance('embedkit.rec_unlearn', { dim: 16, epochs: 60, seed: 7 })
    .recommender();
  const rows = tasteData();
  rec.addInteractions(rows);
  const report = rec.train();
  assert.ok(report.epochs > 0 && report.samples > 0);
  const st = rec.stats();
  assert.equal(st.users, 20);
  assert.equal(st.items, 16);
  assert.equal(st.interactions, rows.length);
  assert.ok(st.trained);

  const top = rec.recommend('u1', { k: 2 });
  assert.equal(top.length, 2);
  assert.ok(top.every((r) => r.item.startsWith('a')), JSON.stringify(top));
  assert.ok(top[0].score >= top[1].score);
  const s = rec.score('u1', ['a3', 'b3']);
  assert.ok(s[0] > s[1], `u1 prefers a3 over b3 (${s[0]} vs ${s[1]})`);

  const store = ctx.openStore(':memory:');
  rec.save(store, 'shop');
  const f = rec.forget({ kind: 'users', users: ['u0'], method: 'mmrecun' });
  assert.ok(f.interactionsRemoved > 0);
  assert.equal(f.usersRemoved, 1);
  assert.match(f.digest, /^[0-9a-f]{64}$/);
  assert.throws(() => rec.recommend('u0'), (e) => e.status === Status.NOT_FOUND);
  assert.equal(rec.stats().users, 19);
  assert.throws(() => rec.forget({ kind: 'items', items: ['nope'] }),
    (e) => e instanceof EmbedkitError && /nope/.test(e.message));
  assert.equal(rec.stats().users, 19, 'a refused request changes nothing');
  const nothing = rec.forget({ kind: 'users', users: ['u0', 'nope'], skipUnknown: true });
  assert.deepEqual([nothing.interactionsRemoved, nothing.usersRemoved, nothing.requestId], [0, 0, '']);

  const m = rec.evaluate([{ user: 'u2', item: 'a2' }, { user: 'ghost', item: 'a1' }],
    { k: 5, excludeSeen: false });
  assert.equal(m.pairs, 1);
  assert.equal(m.pairsSkipped, 1);
  ctx.free();
});

// The generated low-level layer (wasm/js/ext_gen.js, tools/abigen/gen_wasm_ext.py): one
// class per table of abi/include/embedkit/ext, one method per member, each calling an
// exported C trampoline.
test('ext_gen: every table member has its exported trampoline; short tables are refused', () => {
  const M = kit._M;
  const tables = Object.values(EXTENSION_TABLES);
  assert.deepEqual(tables.map((T) => T.id).sort(), ['ek.classifier/1', 'ek.matcher/1',
    'ek.recommender/1', 'ek.unlearner/1', 'ek.vsa_probe/1']);
  for (const T of tables) {
    const members = Object.keys(STRUCTS[T.name].fields).filter((f) => f !== 'struct_size');
    const short = T.name.replace(/^ek_/, '').replace(/_ext$/, '');
    for (const m of members) {
      assert.equal(typeof T.prototype[m], 'function', `${T.name}.${m}`);
      assert.equal(typeof M[`_ekw_${short}_${m}`], 'function', `_ekw_${short}_${m}`);
    }
  }
  // A plugin's table shorter than the header's (an older plugin) is refused up front.
  const fake = M._malloc(8);
  try {
    M.HEAPU32[fake >> 2] = 8;
    assert.throws(() => new EXTENSION_TABLES['ek.classifier/1'](M, fake, (status, message) => {
      throw new EmbedkitError(status, 'EK_ERR_ABI_MISMATCH', message);
    }), (e) => e.status === Status.ABI_MISMATCH &&
      e.message.includes(`struct_size 8, this package needs ${STRUCTS.ek_classifier_ext.size}`));
  } finally {
    M._free(fake);
  }
});
