// WASM/native throughput of an HNSW collection (issue 19: WASM HNSW search >= 0.3x
// native queries/s), one thread each, on the same data: ROWS x DIM uniform random
// vectors (fixed seed), l2, m 16, ef_construction 100, deferBuild then buildIndex;
// QUERIES queries in one batch call at ef 64, k 10, best of REPEATS. The native side
// is the Python binding over the native library (one batch call, so the binding's
// per-call cost is paid once). Figures, not a test.
//   node tests/wasm/bench/hnsw_ratio.mjs [NATIVE_LIBRARY]   (default build/sdk/capi/libembedkit.so)
// $PYTHON (default python3) must have numpy, which the binding imports.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Embedkit } from '../../../wasm/js/index.js';
import { randomRows as rows } from '../js/random_rows.mjs';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const library = resolve(process.argv[2] ?? join(ROOT, 'build/sdk/capi/libembedkit.so'));
const [ROWS, DIM, QUERIES, REPEATS] = [20000, 64, 1000, 3];

const randomRows = (n, seed) => rows(n, DIM, seed);

const base = randomRows(ROWS, 1);
const queries = randomRows(QUERIES, 2);

function wasmSide(kit) {
  const ctx = kit.createContext({ numThreads: 1 });
  try {
    const c = ctx.openStore(':memory:').createCollection('c', DIM, 'l2',
      { index: 'hnsw', m: 16, efConstruction: 100, deferBuild: true });
    c.upsert({ ids: Array.from({ length: ROWS }, (_, i) => `r${i}`), vectors: base });
    let t = performance.now();
    c.buildIndex();
    const build = (performance.now() - t) / 1000;
    let best = Infinity;
    for (let r = 0; r < REPEATS; ++r) {
      t = performance.now();
      c.search(queries, { k: 10, ef: 64 }).free();
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return { build, qps: QUERIES / best };
  } finally {
    ctx.free();
  }
}

const NATIVE = `
import array, json, sys, time
sys.path.insert(0, sys.argv[1])
import embedkit
dim, folder = ${DIM}, sys.argv[2]
def rows(name):
    a = array.array('f'); a.frombytes(open(folder + '/' + name, 'rb').read())
    return [a[i * dim:(i + 1) * dim].tolist() for i in range(len(a) // dim)]
base, queries = rows('base.f32'), rows('queries.f32')
with embedkit.Context(num_threads=1) as ctx:
    c = ctx.open_store(':memory:').create_collection('c', dim, 'l2', index='hnsw', m=16,
                                                     ef_construction=100, defer_build=True)
    c.upsert(['r%d' % i for i in range(len(base))], base)
    t = time.perf_counter(); c.build_index(); build = time.perf_counter() - t
    best = float('inf')
    for _ in range(${REPEATS}):
        t = time.perf_counter(); c.search(queries, k=10, ef=64); best = min(best, time.perf_counter() - t)
    print(json.dumps({'build': build, 'qps': len(queries) / best}))
`;

function nativeSide() {
  const dir = mkdtempSync(join(tmpdir(), 'ek-hnsw-ratio-'));
  try {
    writeFileSync(join(dir, 'base.f32'), base);
    writeFileSync(join(dir, 'queries.f32'), queries);
    const out = execFileSync(process.env.PYTHON ?? 'python3', ['-c', NATIVE, join(ROOT, 'bindings/python'), dir],
      { env: { ...process.env, EMBEDKIT_LIBRARY: library }, encoding: 'utf8' });
    return JSON.parse(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const wasm = wasmSide(await Embedkit.load());
const native = nativeSide();
console.log(`${ROWS} x ${DIM}, l2, hnsw m 16 ef_construction 100; ${QUERIES} queries, k 10, ef 64; one thread`);
console.log('| | native | WASM (SIMD128) | WASM/native |');
console.log('|---|---:|---:|---:|');
console.log(`| build (s) | ${native.build.toFixed(2)} | ${wasm.build.toFixed(2)} | ${(native.build / wasm.build).toFixed(2)} |`);
console.log(`| search (queries/s) | ${native.qps.toFixed(0)} | ${wasm.qps.toFixed(0)} | ${(wasm.qps / native.qps).toFixed(2)} |`);
