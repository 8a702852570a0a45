// The index panel of the web sample: a synthetic collection of ROWS x DIM vectors in
// an in-memory store, indexed as the pickers say (exact or hnsw, element type), then
// QUERIES searches at the chosen ef against { exact: true }: recall@10 and the
// latency per query of both. The graph answers from 4096 rows on (below that the
// planner scans exactly), hence 5000 rows. Records what it showed in
// document.body.dataset for the tests.
import { EmbedkitError } from '../../wasm/js/index.js';

const $ = (id) => document.getElementById(id);
const ROWS = 5000;
const DIM = 16;
const QUERIES = 50;
const K = 10;

// Deterministic vectors (mulberry32), uniform in [-1, 1), so every run compares alike.
function randomVectors(n, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: n * DIM }, () => next() * 2 - 1);
}

// Ids of every query's hits and the milliseconds per query.
function timedSearch(collection, queries, options) {
  const t0 = performance.now();
  const results = collection.search(queries, { k: K, ...options });
  const ms = (performance.now() - t0) / QUERIES;
  const ids = results.toArray().map((hits) => hits.map((h) => h.id));
  results.free();
  return { ids, ms };
}

function recallAt(found, truth) {
  let hit = 0;
  found.forEach((ids, q) => {
    const want = new Set(truth[q]);
    hit += ids.filter((id) => want.has(id)).length;
  });
  return hit / (truth.length * K);
}

function run(ctx) {
  const index = $('ix-kind').value;
  const element = $('ix-element').value;
  const ef = Number($('ix-ef').value) || 0;
  const store = ctx.openStore(':memory:');
  try {
    const t0 = performance.now();
    const c = store.createCollection('bench', DIM, 'cosine', { index, element });
    c.upsert({ ids: Array.from({ length: ROWS }, (_, i) => `v${i}`), vectors: randomVectors(ROWS, 7) });
    const buildMs = performance.now() - t0;
    const queries = randomVectors(QUERIES, 8);
    const exact = timedSearch(c, queries, { exact: true });
    const indexed = timedSearch(c, queries, { ef });
    const info = c.indexInfo();
    const recall = recallAt(indexed.ids, exact.ids);
    $('ix-report').textContent =
      `${ROWS} x ${DIM}, ${info.index} ${info.element}` +
      (info.index === 'hnsw' ? ` (m ${info.m}, ef ${ef || info.efSearch})` : '') +
      `: recall@${K} ${recall.toFixed(3)}, ${indexed.ms.toFixed(3)} ms/query ` +
      `vs exact: true ${exact.ms.toFixed(3)} ms/query; ${info.bytesPerVector} B/vector; ` +
      `insert + index ${buildMs.toFixed(0)} ms`;
    document.body.dataset.indexRecall = recall.toFixed(3);
    document.body.dataset.indexKind = `${info.index}/${info.element}`;
    c.free();
  } finally {
    store.free();
  }
}

export function setupIndexBench(ctx) {
  $('ix-run').onclick = () => {
    $('ix-error').textContent = '';
    try {
      run(ctx);
    } catch (e) {
      $('ix-error').textContent = e instanceof EmbedkitError ? `${e.statusName}: ${e.message}` : String(e);
    }
  };
}
