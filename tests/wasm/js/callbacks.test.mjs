// JS functions as the C callbacks of the extension tables (Emscripten addFunction; the
// module links with -sALLOW_TABLE_GROWTH): Classifier.setEmbedder and
// Matcher.setLlmHooks, with the same deterministic callbacks as the Python tests
// (bindings/python/tests/test_extensions.py: test_classifier_host_embedder,
// test_matcher_llm_hooks). A callback that throws fails the call with PLUGIN, the
// thrown value as the error's cause; the table slots are given back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';
import { DDL, GLOSSARY, LABELS, SPACE, SPORT } from './ext_data.mjs';

const kit = await Embedkit.load();

const SPACE_WORDS = new Set(['space', 'orbit', 'rocket', 'nasa', 'astronauts', 'astronaut',
  'telescope', 'galaxy', 'moon', 'mars', 'planets', 'sun', 'shuttle', 'station']);
const SPORT_WORDS = new Set(['team', 'match', 'game', 'football', 'goal', 'tennis', 'player',
  'players', 'fans', 'coach', 'marathon', 'race', 'scored', 'final']);

// A deterministic 3-d "sentence encoder": (space words, sport words, 0.1) per text.
function wordCounts(texts) {
  return texts.map((t) => {
    const words = t.toLowerCase().split(/\s+/);
    return [words.filter((w) => SPACE_WORDS.has(w)).length,
      words.filter((w) => SPORT_WORDS.has(w)).length, 0.1];
  });
}

// Table slots in use: a slot given back is reused by the next addFunction.
function nextSlot() {
  const fp = kit._M.addFunction(() => 0, 'i');
  kit._M.removeFunction(fp);
  return fp;
}

test('Classifier.setEmbedder: a JS sentence encoder fits and predicts', () => {
  const ctx = kit.createContext();
  const inst = ctx.createInstance('embedkit.text_classify', { embedder: 'host', min_num_docs: 3 });
  const cls = inst.classifier();
  const calls = [];
  cls.setEmbedder((texts) => {
    calls.push(texts.length);
    return wordCounts(texts);
  }, 3);
  cls.setLabels(LABELS);
  cls.fit([...SPACE, ...SPORT]);
  assert.ok(calls.length > 0);
  assert.equal(cls.shape().dim, 3);
  assert.deepEqual(cls.predict(['an astronaut went to orbit on a rocket', 'the team lost the match'])
    .map((p) => p.label), ['space', 'sport']);
  const v = cls.embed(['rocket team team']);
  const n = Math.hypot(...v);
  const want = [1, 2, 0.1].map((x) => x / Math.hypot(1, 2, 0.1));
  assert.ok(want.every((w, i) => Math.abs(v[i] / n - w) < 1e-5), `${v} ~ ${want}`);
  // A flat Float32Array answer works too; texts arrive decoded from UTF-8.
  const seen = [];
  cls.setEmbedder((texts) => {
    seen.push(...texts);
    return Float32Array.from(wordCounts(texts).flat());
  }, 3);
  assert.equal(cls.predict(['rocket orbit ünïcode'])[0].label, 'space');
  assert.ok(seen.includes('rocket orbit ünïcode'), seen.join('|'));
  ctx.free();
});

test('Classifier.setEmbedder: what the callback throws fails the call, as its cause', () => {
  const ctx = kit.createContext();
  const cls = ctx.createInstance('embedkit.text_classify', { embedder: 'host', min_num_docs: 3 })
    .classifier();
  cls.setEmbedder((texts) => wordCounts(texts), 3);
  cls.setLabels(LABELS);
  cls.fit([...SPACE, ...SPORT]);
  const broken = new Error('no model');
  cls.setEmbedder(() => { throw broken; }, 3);
  assert.throws(() => cls.predict(['rocket']), (e) => e instanceof EmbedkitError &&
    e.status === Status.PLUGIN && e.cause === broken);
  cls.setEmbedder((texts) => texts.map(() => [1, 2]), 3); // wrong shape
  assert.throws(() => cls.embed(['rocket']), (e) => e.status === Status.PLUGIN &&
    e.cause instanceof RangeError && /expected 1 x 3/.test(e.cause.message));
  assert.throws(() => cls.setEmbedder(wordCounts, 0), (e) => e.status === Status.INVALID_ARGUMENT);
  cls.setEmbedder(wordCounts, 3);
  assert.equal(cls.predict(['rocket orbit'])[0].label, 'space');
  // The cause went with the call that failed: a later failure carries none.
  assert.throws(() => cls.fit([]), (e) => e.status === Status.INVALID_ARGUMENT && !e.cause);
  ctx.free();
});

test('Classifier.setEmbedder: replaced, refused and freed callbacks give their table slot back', () => {
  const ctx = kit.createContext();
  const inst = ctx.createInstance('embedkit.text_classify', { embedder: 'host' });
  const cls = inst.classifier();
  const first = nextSlot();
  cls.setEmbedder(wordCounts, 3); // takes `first`
  const second = nextSlot();
  assert.notEqual(second, first, 'the embedder holds its slot');
  cls.setEmbedder(wordCounts, 3); // takes `second`, gives `first` back
  assert.equal(nextSlot(), first, 'the replaced embedder gave its slot back');
  assert.throws(() => cls.setEmbedder(wordCounts, 0), (e) => e.status === Status.INVALID_ARGUMENT);
  assert.equal(nextSlot(), first, 'a refused embedder gives its slot back');
  assert.throws(() => cls.setEmbedder(null, 3), (e) => e.status === Status.INVALID_ARGUMENT &&
    /must be a function/.test(e.message));
  inst.free();
  assert.equal(nextSlot(), second, 'freeing the instance gives the slot of its embedder back');
  ctx.free();
});

// A matcher with the patients DDL against the glossary loaded.
function patientsMatcher() {
  const ctx = kit.createContext();
  const m = ctx.createInstance('embedkit.table_match', { wordvec: 'none' }).matcher();
  m.loadSource(DDL, 'sql_ddl');
  m.loadTarget(GLOSSARY, 'glossary_json');
  return { ctx, m };
}

test('Matcher.setLlmHooks: context and judge from JS change the ranking', () => {
  const { ctx, m } = patientsMatcher();
  const seen = [];
  m.setLlmHooks({
    generateContext: (col) => {
      seen.push(col.id);
      return col.name === 'birth_dt' ? 'the day the patient was born' : '';
    },
    // A "model" that insists patient_id means visit_start.
    judge: (col, cand) => {
      if (col.name === 'patient_id') return cand.id === 'visit_start' ? 1 : 0;
      return 0.5;
    },
    judgeTopN: 4,
    judgeWeight: 1,
  });
  const r = m.match({ topK: 3 });
  assert.deepEqual(seen.sort(), ['patients.birth_dt', 'patients.gender_cd', 'patients.patient_id']);
  const top = Object.fromEntries(r.columns.map((c) => [c.name, c.candidates[0]]));
  assert.equal(top.patient_id.id, 'visit_start');
  assert.equal(top.patient_id.score, 1);
  // Without the hooks (useLlm false) the offline model decides again.
  assert.equal(m.match({ topK: 3, useLlm: false }).columns[0].candidates[0].id, 'person_id');

  const zero = new TypeError('judge is broken');
  m.setLlmHooks({ judge: () => { throw zero; } });
  assert.throws(() => m.match(), (e) => e.status === Status.PLUGIN && e.cause === zero &&
    /judge/.test(e.message));
  m.setLlmHooks(null); // clears
  assert.equal(m.match({ topK: 1 }).columns[0].candidates[0].id, 'person_id');
  ctx.free();
});

test('Matcher.setLlmHooks: a long context is cut to contextCapacity at a character boundary', () => {
  const { ctx, m } = patientsMatcher();
  let calls = 0;
  m.setLlmHooks({ generateContext: () => { calls += 1; return 'é'.repeat(5000); }, contextCapacity: 7 });
  assert.equal(m.match({ topK: 1 }).columns.length, 3);
  assert.equal(calls, 3);
  assert.throws(() => m.setLlmHooks({ judge: () => 1, judgeTopN: -1 }),
    (e) => e.status === Status.INVALID_ARGUMENT && /judgeTopN/.test(e.message));
  ctx.free();
});
