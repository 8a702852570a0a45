// text_classify's default embedder from the JS package (issue 17 item 6): with no
// "embedder" the plugin chooses one from the corpus at fit and reports it in info().auto;
// the WASM module has no GloVe table unless given one, so it falls back to doc2vec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';

const kit = await Embedkit.load();

// Deterministic keyword-separable documents of 20 words (mean 20 tokens).
function docs(words, seed) {
  const common = 'the a of and to in is it that was for on with'.split(' ');
  let s = seed;
  const next = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  const out = [];
  for (let i = 0; i < 24; i++) {
    const w = [];
    for (let j = 0; j < 20; j++) w.push(next() < 0.5 ? words[Math.floor(next() * words.length)] : common[Math.floor(next() * common.length)]);
    out.push(w.join(' '));
  }
  return out;
}
const SPACE = docs('nasa orbit launch moon rocket satellite astronaut shuttle mars telescope planet mission'.split(' '), 1);
const SPORT = docs('hockey goal team player season coach league score match stadium fans referee'.split(' '), 2);
const LABELS = { space: ['nasa', 'orbit', 'rocket'], sport: ['hockey', 'team', 'league'] };

test('Classifier: the default embedder is chosen at fit and reported', () => {
  const ctx = kit.createContext();
  const cls = ctx.createInstance('embedkit.text_classify',
    { min_num_docs: 3, glove_path: '/nonexistent/glove.ekwv' }).classifier();
  cls.setLabels(LABELS);
  cls.fit([...SPACE, ...SPORT]);
  const info = cls.info();
  assert.equal(info.embedder, 'doc2vec');
  assert.equal(info.auto.documents, 48);
  assert.equal(info.auto.chose, 'doc2vec');
  assert.equal(info.auto.glove_available, false);
  assert.equal(info.config.sample, 0.001, 'a small corpus gets gensim\'s down-sampling');
  assert.deepEqual(cls.predict(['the rocket and the moon orbit', 'the hockey team and the league'])
    .map((r) => r.label), ['space', 'sport']);
  ctx.free();
});

test('Classifier: the default has no dim before fit', () => {
  const ctx = kit.createContext();
  const cls = ctx.createInstance('embedkit.text_classify', { min_num_docs: 3 }).classifier();
  assert.throws(() => cls.shape(), (e) => e instanceof EmbedkitError && e.status === Status.UNSUPPORTED &&
    /auto/.test(e.message));
  ctx.free();
});
