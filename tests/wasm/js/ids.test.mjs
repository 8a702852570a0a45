// Issue 17 through the JavaScript package: text the C side reads as a NUL-terminated
// string is refused when it holds a NUL ("alice\0mallory" would name "alice"), and
// text with a lone UTF-16 surrogate is refused everywhere (stringToUTF8 would write
// U+FFFD, so "\ud800" and "\udfff" would be one id). Ids must be strings or numbers.
//   node --test tests/wasm/js/ids.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';

let kit;
let ctx;
let store;
let col;

before(async () => {
  kit = await Embedkit.load();
  ctx = kit.createContext({ numThreads: 1 });
  store = ctx.openStore(':memory:');
});

after(() => ctx.free());

function fails(fn, needles) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof EmbedkitError, `not an EmbedkitError: ${e}`);
    assert.equal(e.status, Status.INVALID_ARGUMENT, `${e.statusName}: ${e.message}`);
    for (const n of needles) assert.ok(e.message.includes(n), `"${e.message}" lacks "${n}"`);
    return true;
  });
}

const ALICE = new Float32Array([1, 0, 0, 0]);

function freshCollection(name) {
  const c = store.createCollection(name, 4, 'l2');
  c.upsert([{ id: 'alice', vector: ALICE }, { id: 'bob', vector: new Float32Array([0, 1, 0, 0]) }]);
  return c;
}

function assertAliceUntouched(c) {
  assert.equal(c.count(), 2);
  assert.deepEqual(Array.from(c.get('alice').vector), Array.from(ALICE));
}

test('upsert of an id with NUL is refused and alice keeps her vector', () => {
  col = freshCollection('nul');
  fails(() => col.upsert([{ id: 'carol', vector: new Float32Array(4).fill(1) },
    { id: 'alice\0mallory', vector: new Float32Array(4).fill(9) }]),
  ['Collection.upsert: ids[1]', '"alice\\u0000mallory"', 'NUL']);
  fails(() => col.upsert({ ids: ['alice\0x'], vectors: new Float32Array(4).fill(9) }),
    ['Collection.upsert: ids[0]', 'NUL']);
  assertAliceUntouched(col);
});

test('delete and get of an id with NUL never reach alice', () => {
  fails(() => col.delete(['bob', 'alice\0x']), ['Collection.delete: ids[1]', 'NUL']);
  fails(() => col.delete('alice\0x'), ['Collection.delete: ids[0]', 'NUL']);
  fails(() => col.get('alice\0x'), ['Collection.get: id', 'NUL']);
  assertAliceUntouched(col);
});

test('lone surrogates are refused, not turned into U+FFFD', () => {
  const c = store.createCollection('surrogates', 4, 'l2');
  fails(() => c.upsert([{ id: '\ud800', vector: ALICE }]),
    ['Collection.upsert: ids[0]', 'lone surrogate U+D800']);
  fails(() => c.upsert([{ id: 'x\udfff', vector: ALICE }]), ['lone surrogate U+DFFF at index 1']);
  assert.equal(c.count(), 0);
  // a proper pair is fine and round-trips
  c.upsert([{ id: 'smile\ud83d\ude00', vector: ALICE }]);
  assert.equal(c.list().hits(0)[0].id, 'smile\ud83d\ude00');
  c.free();
});

test('ids must be strings or numbers', () => {
  fails(() => col.upsert([{ vector: ALICE }]), ['Collection.upsert: ids[0] must be a string or a number, not undefined']);
  fails(() => col.delete([null]), ['Collection.delete: ids[0] must be a string or a number, not null']);
  col.upsert([{ id: 7, vector: ALICE }]); // numbers are ids in decimal
  assert.deepEqual(Array.from(col.get('7').vector), Array.from(ALICE));
  assert.equal(col.delete(7), 1);
  assertAliceUntouched(col);
});

test('names, paths and JSON text with NUL are refused', () => {
  fails(() => store.createCollection('nul\0x', 4), ['Store.createCollection: name', 'NUL']);
  fails(() => store.openCollection('nul\0x'), ['Store.openCollection: name', 'NUL']);
  fails(() => store.dropCollection('nul\0x'), ['Store.dropCollection: name', 'NUL']);
  assert.ok(store.collections().some((c) => c.name === 'nul' && c.count === 2));
  fails(() => ctx.openStore('/tmp/x.db\0y'), ['Context.openStore: path', 'NUL']);
  fails(() => col.search(ALICE, { filter: '{"a": 1}\0junk' }), ['Collection.search: filter', 'NUL']);
  // a NUL inside a metadata value is escaped by JSON.stringify and stays data
  col.upsert([{ id: 'meta', vector: ALICE, metadata: { k: 'a\0b' } }]);
  assert.deepEqual(col.get('meta').metadata, { k: 'a\0b' });
  col.delete('meta');
});

test('encoder items with lone surrogates are refused', () => {
  const enc = ctx.createInstance('embedkit.vsa_json', { dim: 64 });
  try {
    assert.equal(enc.encode(['{"a": "\ud83d\ude00"}']).length, 64);
    fails(() => enc.encode(['{"a": 1}', '{"a": "\ud800"}']),
      ['Instance.encode: items[1]', 'lone surrogate U+D800']);
  } finally {
    enc.free();
  }
});

test('recommender ids with NUL or lone surrogates are refused', () => {
  const inst = ctx.createInstance('embedkit.rec_unlearn', { dim: 8 });
  try {
    const rec = inst.recommender();
    fails(() => rec.addInteractions([{ user: 'u1', item: 'a' }, { user: 'u1\0evil', item: 'b' }]),
      ['Recommender.addInteractions: users[1]', 'NUL']);
    fails(() => rec.addInteractions([{ user: 'u1', item: '\udc00' }]),
      ['Recommender.addInteractions: items[0]', 'lone surrogate']);
    assert.equal(rec.stats().interactions, 0);
  } finally {
    inst.free();
  }
});

test('integers bound for C are range-checked instead of wrapping', () => {
  // 2**32 + 5 would have been k = 5, 2**32 + 4 a collection of dim 4
  fails(() => col.search(ALICE, { k: 2 ** 32 + 5 }), ['Collection.search: k is 4294967301']);
  fails(() => col.search(ALICE, { k: 1.5 }), ['Collection.search: k is 1.5']);
  fails(() => store.createCollection('wide', 2 ** 32 + 4), ['Store.createCollection: dim is 4294967300']);
  assert.ok(!store.collections().some((c) => c.name === 'wide'));
  fails(() => kit.createContext({ numThreads: -1 }), ['createContext: numThreads is -1']);
  fails(() => col.list({ offset: -1 }), ['Collection.list: offset is -1']);
  const res = col.search(ALICE, { k: 1 });
  try {
    assert.equal(res.hits(0)[0].id, 'alice');
    fails(() => res.hit(0, -1), ['Results.hit: rank is -1']);
  } finally {
    res.free();
  }
  const inst = ctx.createInstance('embedkit.rec_unlearn', { dim: 8 });
  try {
    fails(() => inst.recommender().recommend('u', { k: 2 ** 32 + 1 }), ['Recommender.recommend: k is 4294967297']);
  } finally {
    inst.free();
  }
});
