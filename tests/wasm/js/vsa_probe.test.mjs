// VsaProbe (wasm/js/extensions.js), the wrapper of ek.vsa_probe/1 of embedkit.vsa_json,
// with the answers of the C API's tests (tests/plugins/vsa_json/vsa_json_test.cc,
// VsaJsonProbe.*) and the same data as bindings/python/tests/test_extensions.py and
// bindings/rust/tests/vsa_probe.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedkit, Status } from '../../../wasm/js/index.js';

const kit = await Embedkit.load();

const CONFIG = { dim: 2048, number_scale: 'linear', number_min: 0, number_max: 1000 };
const DOC = { name: { first: 'Ada', last: 'Lovelace' }, tags: ['red', 'green', 'blue'], price: 420, ok: true };
const MOVIES = [
  { title: 'Alien', genre: 'Horror', year: 1979 },
  { title: 'Aliens', genre: 'Action', year: 1986 },
  { title: 'Amelie', genre: 'Comedy', year: 2001 },
  { title: 'Heat', genre: 'Crime', year: 1995 },
];

const dot = (a, b) => a.reduce((sum, x, i) => sum + x * b[i], 0);

function setup() {
  const ctx = kit.createContext();
  const inst = ctx.createInstance('embedkit.vsa_json', CONFIG);
  return { ctx, inst, vp: inst.vsaProbe() };
}

test('VsaProbe.probe ranks the value stored at a path first; scores are cosines', () => {
  const { ctx, inst, vp } = setup();
  assert.equal(vp.dim, 2048);
  const v = inst.encode([JSON.stringify(DOC)]);
  const names = ['Lovelace', 'Ada', 'Grace'];
  const ranked = vp.probe(v, 'name.first', names);
  assert.equal(ranked.length, 3);
  assert.deepEqual([ranked[0].index, ranked[0].value], [1, 'Ada']);
  assert.equal(vp.probe(v, 'name.last', names, { k: 1 })[0].value, 'Lovelace');
  const colours = ['green', 'red', 'blue'];
  assert.deepEqual([0, 1, 2].map((i) => vp.probe(v, `tags[${i}]`, colours, { k: 1 })[0].value),
    ['red', 'green', 'blue']);
  assert.equal(vp.probe(v, 'ok', [false, true, null])[0].value, true);
  assert.equal(vp.probe(v, 'name.first', names, { k: 2 }).length, 2);

  const unbound = vp.bind('name.first', v, { transpose: true });
  const norm = Math.sqrt(dot(unbound, unbound));
  for (const r of ranked) {
    const e = vp.encodeValue(r.value);
    assert.ok(Math.abs(dot(e, e) - 1) < 1e-4);
    assert.ok(Math.abs(r.score - dot(unbound, e) / norm) < 1e-4, `${r.score} is the cosine`);
  }
  for (let i = 1; i < ranked.length; ++i) assert.ok(ranked[i - 1].score >= ranked[i].score);

  const n = vp.decodeNumber(v, 'price');
  assert.ok(Math.abs(n.value - 420) < 60 && n.confidence > 0.2, JSON.stringify(n));
  ctx.free();
});

test('VsaProbe.bind is orthogonal and its transpose unbinds', () => {
  const { ctx, vp } = setup();
  const x = Float32Array.from({ length: 2048 }, (_, i) => ((i * 7919) % 101) / 50 - 1);
  const y = vp.bind('name.first[2]', x);
  assert.ok(Math.abs(dot(x, x) - dot(y, y)) < 1e-3 * dot(x, x));
  assert.ok(y.some((b, i) => Math.abs(b - x[i]) > 1e-3));
  const back = vp.bind('name.first[2]', y, { transpose: true });
  assert.ok(back.every((b, i) => Math.abs(b - x[i]) < 1e-4));
  ctx.free();
});

test('VsaProbe.encodeBatch equals one encode per document', () => {
  const ctx = kit.createContext();
  const inst = ctx.createInstance('embedkit.vsa_json', { dim: 256 });
  const vp = inst.vsaProbe();
  const docs = ['{"a":1}', '{"b":[true,null]}', '"text"'];
  const expected = inst.encode(docs);
  assert.deepEqual(vp.encodeBatch(`[${docs.join(', ')}]`), expected);
  assert.deepEqual(vp.encodeBatch(`${docs.join('\r\n')}\n\n`), expected);
  assert.deepEqual(vp.encodeBatch([{ a: 1 }]), expected.slice(0, 256));
  assert.equal(vp.encodeBatch('').length, 0);
  ctx.free();
});

test('VsaProbe: index, similar, probeCollection and collectionConfig through a store', () => {
  const { ctx, vp } = setup();
  const store = ctx.openStore(':memory:');
  vp.index(store, 'movies', MOVIES, { ids: ['m1', 'm2', 'm3', 'm4'] });
  const hits = vp.similar(store, 'movies', { title: 'Alien', genre: 'Horror' }, { k: 2 });
  assert.equal(hits.length, 2);
  assert.equal(hits[0].id, 'm1');
  assert.deepEqual(hits[0].metadata, MOVIES[0]);
  assert.deepEqual(vp.similar(store, 'movies', '{"title": "Alien"}', { k: 4,
    filter: { genre: 'Crime' } }).map((h) => h.id), ['m4']);

  const v = store.openCollection('movies').get('m4').vector;
  const genres = vp.probeCollection(store, 'movies', v, 'genre', { k: 4 });
  assert.equal(genres.length, 4);
  assert.equal(genres[0].value, 'Crime');
  assert.deepEqual(genres.map((g) => g.value).sort(), ['Action', 'Comedy', 'Crime', 'Horror']);
  assert.throws(() => vp.probeCollection(store, 'movies', v, 'director'),
    (e) => e.status === Status.NOT_FOUND);

  // The recorded configuration makes an instance that encodes like the collection.
  const config = vp.collectionConfig(store, 'movies');
  assert.equal(config.dim, 2048);
  assert.equal(config.number_max, 1000);
  const again = ctx.createInstance('embedkit.vsa_json', config);
  assert.deepEqual(again.encode([JSON.stringify(MOVIES[3])]), v);
  assert.throws(() => vp.collectionConfig(store, 'nothing'), (e) => e.status === Status.NOT_FOUND);

  vp.index(store, 'plain', ['{"k": 1}', '{"k": 2}'], { storeDocuments: false }); // ids "0", "1"
  assert.equal(store.openCollection('plain').get('1').metadata, null);
  ctx.free();
});

test('VsaProbe refuses bad input with the plugin\'s message', () => {
  const { ctx, inst, vp } = setup();
  const v = inst.encode([JSON.stringify(DOC)]);
  assert.throws(() => vp.probe(v.subarray(0, 5), 'name', ['Ada']),
    (e) => e.status === Status.DIMENSION_MISMATCH && /5 numbers/.test(e.message));
  assert.throws(() => vp.probe(v, 'a[', ['Ada']),
    (e) => e.status === Status.INVALID_ARGUMENT && /array position/.test(e.message));
  assert.throws(() => vp.probe(v, 'a', ['Ada'], { k: 0 }), (e) => e.status === Status.INVALID_ARGUMENT);
  assert.throws(() => vp.probe(v, 'a', [undefined]),
    (e) => e.status === Status.INVALID_ARGUMENT && /candidates\[0\]: not a JSON value/.test(e.message));
  assert.throws(() => vp.index(ctx.openStore(':memory:'), 'm', MOVIES, { ids: ['x'] }),
    (e) => e.status === Status.INVALID_ARGUMENT && /4 documents but 1 ids/.test(e.message));
  assert.throws(() => ctx.createInstance('embedkit.rec_unlearn', {}).vsaProbe(),
    (e) => e.status === Status.UNSUPPORTED && /ek\.vsa_probe\/1/.test(e.message));
  inst.free();
  assert.throws(() => vp.decodeNumber(new Float32Array(2048), 'price'), /freed|closed/);
  ctx.free();
});
