// The same SQL, the same answers: one script (an exact table and an hnsw table of
// seeded vectors, then KNN queries with metadata filters) runs in Debian's sqlite3
// shell with the native libembedkit_sqlite.so and on a WASM SqlConnection; the ids
// must be identical query by query and the distances equal within 1e-5 relative.
// Skipped when the shell or the native extension is missing (EK_SQL_EXTENSION names
// it; default: the native build's build/sdk/sql/libembedkit_sqlite.so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Embedkit } from '../../../wasm/js/index.js';
import { randomRows } from './random_rows.mjs';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const EXTENSION = process.env.EK_SQL_EXTENSION ?? join(ROOT, 'build/sdk/sql/libembedkit_sqlite.so');
const SHELL = '/usr/bin/sqlite3';
const DIM = 8;

const vectorText = (flat, i) => `'[${Array.from(flat.subarray(i * DIM, (i + 1) * DIM)).join(',')}]'`;

// The script: tables, rows in multi-row INSERTs, then one SELECT per query whose rows
// are (query label, id, distance).
function script() {
  const lines = ['BEGIN;'];
  const tables = [
    // name, rows, seed, options: exact below 4096 rows; the graph answers from 4096 on.
    ['small', 300, 21, 'distance_metric=l2'],
    ['big', 4500, 22, 'distance_metric=cosine, index=hnsw, m=8, ef_construction=64'],
  ];
  for (const [name, n, seed, options] of tables) {
    lines.push(`CREATE VIRTUAL TABLE ${name} USING embedkit(id integer primary key, ` +
               `embedding float[${DIM}] ${options}, part integer, tag text);`);
    const flat = randomRows(n, DIM, seed);
    for (let start = 0; start < n; start += 500) {
      const values = [];
      for (let i = start; i < Math.min(n, start + 500); ++i) {
        values.push(`(${i + 1}, ${vectorText(flat, i)}, ${i % 5}, 't${i % 3}')`);
      }
      lines.push(`INSERT INTO ${name}(id, embedding, part, tag) VALUES ${values.join(',\n')};`);
    }
  }
  lines.push('COMMIT;');
  const queries = randomRows(6, DIM, 99);
  const filters = ['', 'AND part = 2', "AND tag IN ('t0', 't2')", 'AND part >= 3'];
  const selects = [];
  for (const table of ['small', 'big']) {
    for (let q = 0; q < 6; ++q) {
      const filter = filters[q % filters.length];
      const label = `${table}-q${q}`;
      selects.push(`SELECT '${label}', id, distance FROM ${table} WHERE embedding MATCH ` +
                   `${vectorText(queries, q)} AND k = 10 ${filter} ORDER BY distance;`);
    }
  }
  return { setup: lines.join('\n'), selects };
}

function nativeAnswers(setup, selects, dir) {
  const run = spawnSync(SHELL, ['-batch', '-separator', '|', join(dir, 'native.db')], {
    input: `.load ${EXTENSION}\n${setup}\n${selects.join('\n')}\n`, encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  return run.stdout.trim().split('\n').map((line) => {
    const [label, id, distance] = line.split('|');
    return [label, Number(id), Number(distance)];
  });
}

async function wasmAnswers(setup, selects) {
  const kit = await Embedkit.load();
  const ctx = kit.createContext();
  try {
    const db = ctx.openStore('/native-compare.db').sql();
    db.exec(setup);
    return selects.flatMap((sql) => db.exec(sql)[0]?.values ?? []);
  } finally {
    ctx.free();
  }
}

const missing = !existsSync(SHELL) ? `no ${SHELL}` : !existsSync(EXTENSION) ? `no ${EXTENSION}` : false;

test('native and WASM answer the same SQL KNN queries alike', { skip: missing }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'embedkit-sql-native-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { setup, selects } = script();
  const native = nativeAnswers(setup, selects, dir);
  const wasm = await wasmAnswers(setup, selects);
  assert.equal(native.length, 12 * 10, 'every query answers k = 10 rows natively');
  assert.deepEqual(wasm.map(([label, id]) => [label, id]), native.map(([label, id]) => [label, id]));
  wasm.forEach(([label, id, d], i) => {
    const expected = native[i][2];
    assert.ok(Math.abs(d - expected) <= 1e-5 * Math.max(Math.abs(expected), 1),
      `${label} id ${id}: distance ${d} in WASM, ${expected} natively`);
  });
});
