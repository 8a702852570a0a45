// Issue 17, item 11 through the JS package: a missing model says "no model named ..."
// (it said EK_ERR_READ_ONLY "opening 'X.meta' failed" on a read-only store), and a
// failed store call inside a plugin carries the store's own reason, named once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedkit, EmbedkitError } from '../../../wasm/js/index.js';

const kit = await Embedkit.load();

test('a missing model is named, for both model-saving plugins', async () => {
  const ctx = kit.createContext();
  const path = '/missing-model.db';
  const rw = ctx.openStore(path);
  rw.createCollection('unrelated', 2, 'cosine').free();
  await rw.close();
  const store = ctx.openStore(path, { readOnly: true });
  const cases = [
    ['embedkit.rec_unlearn', { dim: 8, text_dim: 0 }, (i) => i.recommender()],
    ['embedkit.text_classify', { embedder: 'hashing' }, (i) => i.classifier()],
  ];
  for (const [plugin, config, wrap] of cases) {
    const ext = wrap(ctx.createInstance(plugin, config));
    assert.throws(() => ext.load(store, 'nomodel'), (e) => {
      assert.ok(e instanceof EmbedkitError);
      assert.equal(e.statusName, 'EK_ERR_NOT_FOUND', `${plugin}: ${e.message}`);
      assert.match(e.message, /no model named 'nomodel'/);
      return true;
    });
  }
  await store.close();
  ctx.free();
});

test('a failed store call inside a plugin carries the store\'s reason', () => {
  const ctx = kit.createContext();
  const store = ctx.openStore(':memory:');
  const rec = ctx.createInstance('embedkit.rec_unlearn', { dim: 8, text_dim: 0, epochs: 1 }).recommender();
  rec.addInteractions([{ user: 'u', item: 'i' }, { user: 'u', item: 'j' }, { user: 'v', item: 'i' }]);
  rec.train();
  // A collection the model needs, taken with another dim: saving must say why it fails.
  store.createCollection('m.users', 3, 'dot').free();
  assert.throws(() => rec.save(store, 'm'), (e) => {
    assert.doesNotMatch(e.message, /see the host's message/);
    assert.match(e.message, /dim 3/);
    assert.doesNotMatch(e.message, /\b(\w+): \1:/);
    return true;
  });
  ctx.free();
});
