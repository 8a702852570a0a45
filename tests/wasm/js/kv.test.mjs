// The key/value state of a store through the JS package (Store.kvPut/kvGet/kvDelete/
// kvDeletePrefix/kvKeys/kvItems over ek_store_kv_*): JSON values as JS values, bytes as
// Uint8Array, the library's refusals as EmbedkitError with ek_last_error's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';

const kit = await Embedkit.load();

function withStore(fn) {
  const ctx = kit.createContext();
  const store = ctx.openStore(':memory:');
  try {
    fn(store);
  } finally {
    ctx.free();
  }
}

function fails(status, pattern) {
  return (e) => {
    assert.ok(e instanceof EmbedkitError, String(e));
    assert.equal(e.status, status, e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

test('values round-trip with their kind: JSON as JS values, bytes as Uint8Array', () => {
  withStore((store) => {
    const config = { dim: 8, tags: ['a', 'ü'], nested: { ok: true, none: null } };
    store.kvPut('app', 'config', config);
    store.kvPut('app', 'name', 'alice\0bob'); // NUL inside a JSON string is data
    store.kvPut('app', 'count', 42);
    store.kvPut('app', 'nothing', null);
    store.kvPut('app', 'bytes', new Uint8Array([0, 255, 0, 7]));
    store.kvPut('app', 'empty', new Uint8Array(0));
    store.kvPut('app', 'floats', new Float32Array([1.5]));
    assert.deepEqual(store.kvGet('app', 'config'), config);
    assert.equal(store.kvGet('app', 'name'), 'alice\0bob');
    assert.equal(store.kvGet('app', 'count'), 42);
    assert.equal(store.kvGet('app', 'nothing'), null);
    assert.deepEqual(store.kvGet('app', 'bytes'), new Uint8Array([0, 255, 0, 7]));
    assert.deepEqual(store.kvGet('app', 'empty'), new Uint8Array(0));
    assert.deepEqual(store.kvGet('app', 'floats'), new Uint8Array(new Float32Array([1.5]).buffer));
    store.kvPut('app', 'count', { replaced: true });
    assert.deepEqual(store.kvGet('app', 'count'), { replaced: true });
    // kvItems tells a JSON null from a blob, and keeps the keys' byte order.
    const items = store.kvItems('app');
    assert.deepEqual([...items.keys()], ['bytes', 'config', 'count', 'empty', 'floats', 'name', 'nothing']);
    assert.equal(items.get('nothing'), null);
    assert.deepEqual(items.get('bytes'), new Uint8Array([0, 255, 0, 7]));
    assert.deepEqual(items.get('config'), config);
    // Namespaces are separate.
    assert.deepEqual(store.kvKeys('other'), []);
  });
});

test('a missing key is NOT_FOUND for kvGet and false for kvDelete', () => {
  withStore((store) => {
    assert.throws(() => store.kvGet('app', 'absent'), fails(Status.NOT_FOUND, /absent/));
    assert.equal(store.kvDelete('app', 'absent'), false);
    store.kvPut('app', 'here', 1);
    assert.equal(store.kvDelete('app', 'here'), true);
    assert.throws(() => store.kvGet('app', 'here'), fails(Status.NOT_FOUND, /here/));
  });
});

test('kvDeletePrefix counts what it deleted; kvKeys pages in byte order', () => {
  withStore((store) => {
    for (let i = 9; i >= 0; --i) store.kvPut('app', `run/${i}`, i);
    store.kvPut('app', 'runner', 'kept');
    const pages = [];
    let after = null;
    for (;;) {
      const page = store.kvKeys('app', 'run/', { after, limit: 4 });
      if (page.length === 0) break;
      pages.push(page);
      after = page[page.length - 1];
    }
    assert.deepEqual(pages.map((p) => p.length), [4, 4, 2]);
    assert.deepEqual(pages.flat(), Array.from({ length: 10 }, (_, i) => `run/${i}`));
    assert.deepEqual(store.kvKeys('app', 'run'), [...pages.flat(), 'runner']);
    assert.equal(store.kvDeletePrefix('app', 'run/'), 10);
    assert.equal(store.kvDeletePrefix('app', 'run/'), 0);
    assert.deepEqual(store.kvKeys('app'), ['runner']);
    assert.equal(store.kvDeletePrefix('app'), 1);
  });
});

test('writes join a transaction and go with its rollback', () => {
  withStore((store) => {
    store.kvPut('app', 'kept', 1);
    store.begin();
    store.kvPut('app', 'undone', 2);
    store.kvDelete('app', 'kept');
    store.rollback();
    assert.deepEqual(store.kvKeys('app'), ['kept']);
    assert.throws(() => store.transaction((s) => {
      s.kvPut('app', 'undone', 2);
      throw new Error('abort');
    }), /abort/);
    assert.deepEqual(store.kvKeys('app'), ['kept']);
    store.transaction((s) => s.kvPut('app', 'committed', 3));
    assert.equal(store.kvGet('app', 'committed'), 3);
  });
});

test('bad values, names and keys are refused with the reason', () => {
  withStore((store) => {
    // JSON.stringify writes a lone surrogate as "\ud800": not a JSON text the
    // library accepts (EK_ERR_PARSE, its own message with the byte offset).
    assert.throws(() => store.kvPut('app', 'bad', '\ud800'), (e) => {
      assert.ok(e instanceof EmbedkitError);
      assert.equal(e.status, Status.PARSE, e.message);
      assert.equal(e.message, kit._M.UTF8ToString(kit._M._ek_last_error()));
      assert.match(e.message, /^ek_store_kv_put: value of key 'bad' is not one JSON text: .* at byte \d+$/);
      return true;
    });
    assert.throws(() => store.kvPut('app', 'u', undefined),
      fails(Status.INVALID_ARGUMENT, /Store\.kvPut: value cannot be written as JSON: undefined/));
    assert.throws(() => store.kvPut('app', 'b', 10n),
      fails(Status.INVALID_ARGUMENT, /Store\.kvPut: value cannot be written as JSON/));
    assert.throws(() => store.kvPut('app', 'a\0b', 1),
      fails(Status.INVALID_ARGUMENT, /Store\.kvPut: key "a\\u0000b" contains a NUL/));
    assert.throws(() => store.kvKeys('app\0x'),
      fails(Status.INVALID_ARGUMENT, /Store\.kvKeys: namespace .* contains a NUL/));
    assert.throws(() => store.kvPut('ek.mine', 'k', 1), fails(Status.INVALID_ARGUMENT, /ek\./));
    assert.throws(() => store.kvKeys('app', '', { limit: -1 }),
      fails(Status.INVALID_ARGUMENT, /Store\.kvKeys: limit is -1/));
    assert.deepEqual(store.kvKeys('app'), [], 'nothing was written');
  });
});

test('the calls leave no wasm heap behind', () => {
  withStore((store) => {
    const round = () => {
      store.kvPut('app', 'j', { n: [1, 2, 3] });
      store.kvPut('app', 'b', new Uint8Array(1000));
      store.kvGet('app', 'j');
      store.kvItems('app');
      assert.throws(() => store.kvGet('app', 'absent'));
      store.kvDeletePrefix('app');
    };
    round();
    const before = kit.memory().mallocBytes;
    for (let i = 0; i < 20; ++i) round();
    assert.equal(kit.memory().mallocBytes, before);
  });
});
