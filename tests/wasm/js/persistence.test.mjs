// Stores on NODEFS outlive the module: written by one Embedkit.load(), read back by a
// fresh one (a new WebAssembly instance, as after a process restart), and visible as
// ordinary files of the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Embedkit, EmbedkitError, Status } from '../../../wasm/js/index.js';

test('NODEFS: a store survives module reloads and is a host file', async (t) => {
  const host = mkdtempSync(join(tmpdir(), 'embedkit-nodefs-'));
  t.after(() => rmSync(host, { recursive: true, force: true }));
  const dim = 16;
  const vectors = Float32Array.from({ length: 100 * dim }, (_, i) => Math.sin(i * 0.37));
  const ids = Array.from({ length: 100 }, (_, i) => `row-${i}`);
  let expected;
  {
    const kit = await Embedkit.load();
    const mount = kit.mountNode(host, '/data');
    const ctx = kit.createContext();
    const store = ctx.openStore(`${mount}/persist.db`);
    const c = store.createCollection('vecs', dim, 'l2');
    c.upsert({ ids, vectors, metadata: ids.map((id) => ({ id })) });
    assert.equal(c.delete(['row-5']), 1);
    const r = c.search(vectors.subarray(7 * dim, 8 * dim), { k: 4, includeMetadata: true });
    expected = r.hits(0);
    r.free();
    c.free();
    await store.close();
    ctx.free();
  }
  assert.ok(existsSync(join(host, 'persist.db')), 'the store is a file of the host');
  assert.ok(statSync(join(host, 'persist.db')).size > 100 * dim * 4);
  {
    const kit = await Embedkit.load(); // a new module instance: nothing shared in memory
    kit.mountNode(host, '/elsewhere');
    const ctx = kit.createContext();
    const store = ctx.openStore('/elsewhere/persist.db', { mustExist: true });
    assert.deepEqual(store.collections(), [{ name: 'vecs', dim, metric: 'l2', count: 99 }]);
    const c = store.openCollection('vecs');
    const r = c.search(vectors.subarray(7 * dim, 8 * dim), { k: 4, includeMetadata: true });
    assert.deepEqual(r.hits(0), expected);
    assert.equal(r.hit(0, 0).id, 'row-7');
    r.free();
    assert.deepEqual(c.get('row-42').vector, vectors.subarray(42 * dim, 43 * dim));
    assert.throws(() => c.get('row-5'), (e) => e instanceof EmbedkitError && e.status === Status.NOT_FOUND);
    ctx.free();
  }
  {
    // A missing file under the mount with mustExist: IO error naming the file.
    const kit = await Embedkit.load();
    kit.mountNode(host, '/data');
    const ctx = kit.createContext();
    assert.throws(() => ctx.openStore('/data/absent.db', { mustExist: true }),
      (e) => e.status === Status.IO && e.message.includes('absent.db'));
    ctx.free();
  }
});

test('MEMFS stores vanish with the module; mountIndexedDB is refused in Node', async () => {
  const a = await Embedkit.load();
  const ctx = a.createContext();
  const s = ctx.openStore('/mem.db');
  s.createCollection('c', 2).free();
  await s.close();
  ctx.free();
  const b = await Embedkit.load();
  const ctx2 = b.createContext();
  assert.throws(() => ctx2.openStore('/mem.db', { mustExist: true }), (e) => e.status === Status.IO);
  ctx2.free();
  await assert.rejects(b.mountIndexedDB('/idb'), (e) => e.status === Status.UNSUPPORTED);
});
