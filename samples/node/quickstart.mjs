// embedkit from Node: a vector store, the vsa_json encoder and the text classifier,
// through the npm package `embedkit` (wasm/js). Run it where the package is
// installed (tests/wasm/npm_pack_test.sh installs the packed tarball into a fresh
// project and runs this file):
//   npm install embedkit-0.1.0.tgz && node quickstart.mjs
import { Embedkit, EmbedkitError } from 'embedkit';

const kit = await Embedkit.load();
const ctx = kit.createContext();
console.log(`embedkit ${kit.version}, ${ctx.info().simdTarget} SIMD, plugins: ${ctx.plugins().map((p) => p.id).join(', ')}`);

// JSON documents -> one vector each -> a SQLite store -> nearest neighbours.
const encoder = ctx.createInstance('embedkit.vsa_json', { dim: 1024 });
const people = [
  { name: 'Ada Lovelace', field: 'mathematics', born: 1815 },
  { name: 'Alan Turing', field: 'computer science', born: 1912 },
  { name: 'Grace Hopper', field: 'computer science', born: 1906 },
  { name: 'Marie Curie', field: 'physics', born: 1867 },
];
const store = ctx.openStore(':memory:');
const coll = store.createCollection('people', encoder.encoderDim(), 'cosine');
coll.upsert({ ids: people.map((p) => p.name), vectors: encoder.encode(people.map((p) => JSON.stringify(p))) });
const hits = coll.search(encoder.encode([JSON.stringify({ field: 'computer science' })]), { k: 2 }).hits(0);
console.log('closest to {"field": "computer science"}:', hits.map((h) => `${h.id} (${h.score.toFixed(3)})`).join(', '));
if (!hits.every((h) => h.id === 'Alan Turing' || h.id === 'Grace Hopper')) throw new Error('unexpected neighbours');

// Classification from keywords alone.
const cls = ctx.createInstance('embedkit.text_classify', { embedder: 'hashing', min_num_docs: 2 }).classifier();
cls.setLabels({ space: ['rocket', 'orbit'], food: ['recipe', 'bake'] });
cls.fit(['the rocket reached orbit', 'a rocket launch to orbit', 'a recipe to bake bread', 'bake the recipe slowly']);
const [p] = cls.predict(['they will bake a cake from this recipe']);
console.log(`"they will bake a cake from this recipe" -> ${p.label} (${(p.confidence * 100).toFixed(0)}%)`);
if (p.label !== 'food') throw new Error('unexpected label');

// Errors carry the status and the library's message.
try {
  coll.upsert([{ id: 'x', vector: new Float32Array(3) }]);
} catch (e) {
  if (!(e instanceof EmbedkitError)) throw e;
  console.log(`refused as expected: ${e.statusName}`);
}
ctx.free();
console.log('ok');
