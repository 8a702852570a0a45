// The embedkit web sample: JSON documents -> vectors (vsa_json plugin) -> a SQLite
// store on IndexedDB -> exact search, with score bars and a 2-D projection; the other
// plugins have their panels in plugins.js, indexes theirs in index_bench.js, SQL on the
// same store in sql_console.js.
import { Embedkit, EmbedkitError } from '../../wasm/js/index.js';
import { setupIndexBench } from './index_bench.js';
import { setupPlugins } from './plugins.js';
import { setupSqlConsole } from './sql_console.js';

const $ = (id) => document.getElementById(id);
const ENCODER = 'embedkit.vsa_json';
const STORE_PATH = '/idb/embedkit-demo.db';

const SAMPLE = [
  { name: 'Ada Lovelace', born: 1815, field: 'mathematics', known_for: ['analytical engine', 'first program'] },
  { name: 'Alan Turing', born: 1912, field: 'computer science', known_for: ['Turing machine', 'morphogenesis'] },
  { name: 'Grace Hopper', born: 1906, field: 'computer science', known_for: ['COBOL', 'compilers'] },
  { name: 'Emmy Noether', born: 1882, field: 'mathematics', known_for: ['abstract algebra', 'symmetry'] },
  { name: 'Marie Curie', born: 1867, field: 'physics', known_for: ['radioactivity', 'polonium'] },
  { name: 'Edsger Dijkstra', born: 1930, field: 'computer science', known_for: ['shortest paths', 'semaphores'] },
  { name: 'Lise Meitner', born: 1878, field: 'physics', known_for: ['nuclear fission'] },
  { city: 'Paris', country: 'France', river: 'Seine' },
  { city: 'Lyon', country: 'France', river: 'Rhone' },
  { city: 'Berlin', country: 'Germany', river: 'Spree' },
  { city: 'Hamburg', country: 'Germany', river: 'Elbe' },
  { city: 'Vienna', country: 'Austria', river: 'Danube' },
];

const state = { kit: null, ctx: null, encoder: null, store: null, docs: null, sql: null, lastHits: [], lastQuery: null };
window.embedkitDemo = state; // for tests and the console

function showError(e) {
  $('error').textContent = e ? (e instanceof EmbedkitError ? `${e.statusName}: ${e.message}` : String(e)) : '';
}

function encode(texts) {
  const dim = state.docs.dim;
  const flat = state.encoder.encode(texts);
  return Array.from({ length: texts.length }, (_, i) => flat.subarray(i * dim, (i + 1) * dim));
}

function refreshCount() {
  const n = state.docs.count();
  $('count').textContent = `(${n} stored)`;
  document.body.dataset.count = String(n);
}

async function addDocuments(objects) {
  const texts = objects.map((o) => JSON.stringify(o));
  const vectors = encode(texts);
  const stamp = Date.now().toString(36);
  state.docs.upsert(objects.map((o, i) => ({ id: `doc-${stamp}-${i}`, vector: vectors[i], metadata: o })));
  await state.store.flush(); // durable in IndexedDB before we say so
  refreshCount();
  drawProjection();
}

function parseLines(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new Error(`line ${i + 1} is not JSON: ${e.message}`);
    }
  });
}

function search() {
  showError(null);
  const query = $('query').value.trim();
  JSON.parse(query); // a readable error for a malformed query
  const [q] = encode([query]);
  const results = state.docs.search(q, { k: Number($('k').value) || 5, includeMetadata: true });
  state.lastHits = results.hits(0);
  state.lastQuery = q;
  results.free();
  const body = $('results').tBodies[0];
  body.innerHTML = '';
  state.lastHits.forEach((h, r) => {
    const tr = body.insertRow();
    tr.className = 'hit';
    tr.insertCell().textContent = String(r + 1);
    tr.insertCell().textContent = h.id;
    tr.insertCell().textContent = h.score.toFixed(4);
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = `${Math.max(0, h.score) * 120}px`;
    tr.insertCell().appendChild(bar);
    tr.insertCell().textContent = JSON.stringify(h.metadata);
  });
  document.body.dataset.hits = String(state.lastHits.length);
  drawProjection();
}

// Two principal components of the stored vectors by power iteration (X^T X v).
function project(rows) {
  const n = rows.length;
  const d = rows[0].length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; ++j) mean[j] += r[j] / n;
  const X = rows.map((r) => Float64Array.from(r, (x, j) => x - mean[j]));
  const comps = [];
  for (let c = 0; c < 2; ++c) {
    let v = Float64Array.from({ length: d }, (_, j) => Math.sin(j * 12.9898 + c * 78.233));
    for (let it = 0; it < 60; ++it) {
      const xv = X.map((x) => x.reduce((s, xj, j) => s + xj * v[j], 0));
      const w = new Float64Array(d);
      X.forEach((x, i) => { for (let j = 0; j < d; ++j) w[j] += x[j] * xv[i]; });
      for (const p of comps) { // deflate
        const dot = w.reduce((s, wj, j) => s + wj * p[j], 0);
        for (let j = 0; j < d; ++j) w[j] -= dot * p[j];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    comps.push(v);
  }
  const coords = (r) => comps.map((p) => r.reduce((s, x, j) => s + (x - mean[j]) * p[j], 0));
  return { coords };
}

function drawProjection() {
  const canvas = $('plot');
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  const list = state.docs.list({ includeMetadata: true });
  const hits = list.hits(0);
  list.free();
  if (hits.length < 3) {
    g.fillStyle = '#6b7280';
    g.fillText('add a few documents to see the projection', 20, 30);
    return;
  }
  const rows = hits.map((h) => state.docs.get(h.id).vector);
  const { coords } = project(rows);
  const pts = rows.map(coords);
  const q = state.lastQuery ? coords(state.lastQuery) : null;
  const all = q ? [...pts, q] : pts;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => 40 + ((x - x0) / (x1 - x0 || 1)) * (canvas.width - 200);
  const sy = (y) => canvas.height - 30 - ((y - y0) / (y1 - y0 || 1)) * (canvas.height - 60);
  const near = new Set(state.lastHits.map((h) => h.id));
  g.font = '11px system-ui, sans-serif';
  if (q) {
    g.strokeStyle = 'rgba(75,123,236,.35)';
    hits.forEach((h, i) => {
      if (!near.has(h.id)) return;
      g.beginPath();
      g.moveTo(sx(q[0]), sy(q[1]));
      g.lineTo(sx(pts[i][0]), sy(pts[i][1]));
      g.stroke();
    });
  }
  hits.forEach((h, i) => {
    g.fillStyle = near.has(h.id) ? '#4b7bec' : '#9ca3af';
    g.beginPath();
    g.arc(sx(pts[i][0]), sy(pts[i][1]), near.has(h.id) ? 6 : 4, 0, 2 * Math.PI);
    g.fill();
    const m = h.metadata ?? {};
    g.fillStyle = '#374151';
    g.fillText(String(m.name ?? m.city ?? h.id), sx(pts[i][0]) + 8, sy(pts[i][1]) + 4);
  });
  if (q) {
    const [x, y] = [sx(q[0]), sy(q[1])];
    g.fillStyle = '#e11d48';
    g.beginPath();
    g.moveTo(x, y - 8); g.lineTo(x + 8, y); g.lineTo(x, y + 8); g.lineTo(x - 8, y);
    g.fill();
    g.fillText('query', x + 10, y + 4);
  }
}

function fillAbout() {
  const info = state.ctx.info();
  const rows = [
    ['version', state.kit.version],
    ['SIMD target', info.simdTarget],
    ['backend', `${info.backend}, ${info.numThreads} thread(s)`],
    ['store', `${STORE_PATH} (IndexedDB)`],
  ];
  const body = $('about').tBodies[0];
  for (const [k, v] of rows) {
    const tr = body.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  const pbody = $('plugins').tBodies[0];
  for (const p of state.ctx.plugins()) {
    const tr = pbody.insertRow();
    tr.insertCell().textContent = p.id;
    tr.insertCell().textContent = p.extensions.join(', ');
    tr.insertCell().textContent = p.description ?? '';
  }
}

async function main() {
  state.kit = await Embedkit.load();
  await state.kit.mountIndexedDB('/idb');
  state.ctx = state.kit.createContext();
  state.encoder = state.ctx.createInstance(ENCODER, {});
  state.store = state.ctx.openStore(STORE_PATH);
  state.docs = state.store.createCollection('docs', state.encoder.encoderDim(), 'cosine');
  fillAbout();
  refreshCount();
  drawProjection();
  $('docs').value = SAMPLE.slice(0, 3).map((o) => JSON.stringify(o)).join('\n');
  $('add').onclick = () => addDocuments(parseLines($('docs').value)).catch(showError);
  $('sample').onclick = () => addDocuments(SAMPLE).catch(showError);
  $('clear').onclick = async () => {
    const list = state.docs.list();
    const ids = list.hits(0).map((h) => h.id);
    list.free();
    state.docs.delete(ids);
    await state.store.flush();
    state.lastHits = [];
    state.lastQuery = null;
    $('results').tBodies[0].innerHTML = '';
    refreshCount();
    drawProjection();
  };
  $('search').onclick = () => {
    try {
      search();
    } catch (e) {
      showError(e);
    }
  };
  setupPlugins(state.ctx);
  setupIndexBench(state.ctx);
  setupSqlConsole(state);
  $('status').textContent = `ready: embedkit ${state.kit.version}, ${state.ctx.info().simdTarget} SIMD`;
  document.body.dataset.ready = '1';
}

main().catch((e) => {
  $('status').textContent = 'failed to start';
  showError(e);
  document.body.dataset.ready = 'error';
});
