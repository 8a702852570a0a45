#!/usr/bin/env node
// The npm peers of the ANN benchmark (run.py runs this beside ek_ann_bench): usearch and
// hnswlib-node (both pinned in tools/npm) on the files run.py writes (ann_files.h
// layouts), scored against the same ground truth, printing the same JSON lines as
// ek_ann_bench (a build line, then recall@k and one-thread queries/s per ef; filtered
// lines carry "filter": P). Every HNSW uses M and ef_construction from the flags.
//
//   usearch       Index(connectivity = M, expansion_add = ef_construction,
//                 expansion_search = ef), f32, one thread for add() and search(). The
//                 JS API fixes expansion_search at construction, so the built index is
//                 saved once and loaded into a fresh Index per ef (load time untimed).
//   hnswlib-node  HierarchicalNSW.initIndex(n, M, ef_construction, 100), one addPoint
//                 per row (the API takes plain arrays: the conversion is in the build
//                 time), searchKnn per query after setEf(ef); filtered search is
//                 searchKnn's filter callback (label -> bool), the only filter either
//                 npm peer offers.
// Angular data is normalised here and compared by inner product (1 - dot), as ours is.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createRequire } = require('module');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const npmRequire = createRequire(path.join(ROOT, 'tools', 'npm', 'package.json'));

function parseArgs(argv) {
  const o = { metric: 'angular', m: 16, efConstruction: 200, k: 10, efs: [10, 20, 40, 80, 160, 320],
              systems: ['usearch', 'hnswlib-node'], filters: [] };
  for (let i = 2; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value after ${flag}`);
    if (flag === '--base') o.base = value;
    else if (flag === '--queries') o.queries = value;
    else if (flag === '--truth') o.truth = value;
    else if (flag === '--metric') o.metric = value;
    else if (flag === '--m') o.m = Number(value);
    else if (flag === '--ef-construction') o.efConstruction = Number(value);
    else if (flag === '--k') o.k = Number(value);
    else if (flag === '--ef') o.efs = value.split(',').map(Number);
    else if (flag === '--systems') o.systems = value.split(',');
    else if (flag === '--labels') o.labels = value;
    else if (flag === '--filter') {
      const [percent, truth] = [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)];
      o.filters.push({ percent: Number(percent), truth });
    } else throw new Error(`unknown flag ${flag}`);
  }
  if (!o.base || !o.queries || !o.truth) throw new Error('usage: peers.js --base F --queries F --truth F ...');
  if (o.filters.length && !o.labels) throw new Error('--filter needs --labels');
  return o;
}

// Reads an ann_files.h file in chunks (a 1M x 384 base is 1.5 GB: no second copy).
function readMatrix(file, magic, ArrayType) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    if (fs.readSync(fd, head, 0, 16, 0) !== 16 || head.toString('latin1', 0, 8) !== magic) {
      throw new Error(`${file}: bad header`);
    }
    const rows = head.readUInt32LE(8), cols = head.readUInt32LE(12);
    const values = new ArrayType(rows * cols);
    const bytes = Buffer.from(values.buffer);
    for (let done = 0; done < bytes.length;) {
      const got = fs.readSync(fd, bytes, done, Math.min(1 << 26, bytes.length - done), 16 + done);
      if (got === 0) throw new Error(`${file}: truncated`);
      done += got;
    }
    return { rows, cols, values, row: (r) => values.subarray(r * cols, (r + 1) * cols) };
  } finally {
    fs.closeSync(fd);
  }
}
const readVectors = (file) => readMatrix(file, 'EKANNV1\0', Float32Array);
const readIds = (file) => readMatrix(file, 'EKANNI1\0', Uint32Array);

function normalizeRows(m) {
  for (let r = 0; r < m.rows; ++r) {
    const row = m.row(r);
    let sum = 0;
    for (let j = 0; j < row.length; ++j) sum += row[j] * row[j];
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < row.length; ++j) row[j] *= scale;
  }
}

function hits(truth, q, k, found) {
  const wanted = new Set(truth.row(q).subarray(0, k));
  let count = 0;
  for (const id of found) count += wanted.has(Number(id)) ? 1 : 0;
  return count;
}

function emit(fields) {
  process.stdout.write(JSON.stringify(fields) + '\n');
}

function seconds(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return [result, Number(process.hrtime.bigint() - start) / 1e9];
}

function runUsearch(o, base, queries, truth) {
  const { Index } = npmRequire('usearch');
  const config = (ef) => ({ dimensions: base.cols, metric: o.metric === 'angular' ? 'ip' : 'l2sq',
                            quantization: 'f32', connectivity: o.m, expansion_add: o.efConstruction,
                            expansion_search: ef });
  const before = process.memoryUsage().rss;
  const index = new Index(config(o.efs[0]));
  const keys = new BigUint64Array(base.rows).map((_, i) => BigInt(i));
  const [, build] = seconds(() => index.add(keys, base.values, 1));
  emit({ system: 'usearch', event: 'build', threads: 1, seconds: build,
         index_bytes: process.memoryUsage().rss - before });
  const saved = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ek-ann-usearch-')), 'index.usearch');
  index.save(saved);
  for (const ef of o.efs) {
    const loaded = new Index(config(ef));
    loaded.load(saved);
    const [matches, s] = seconds(() => loaded.search(queries.values, o.k, 1));
    let found = 0;
    for (let q = 0; q < queries.rows; ++q) {
      found += hits(truth, q, o.k, matches.keys.subarray(q * o.k, q * o.k + Number(matches.counts[q])));
    }
    emit({ system: 'usearch', param: `ef=${ef}`, recall: found / (queries.rows * o.k), qps: queries.rows / s });
  }
  fs.rmSync(path.dirname(saved), { recursive: true, force: true });
}

function sweepHnswlibNode(o, index, queries, truth, filter, percent) {
  const asArrays = Array.from({ length: queries.rows }, (_, q) => Array.from(queries.row(q)));
  for (const ef of o.efs) {
    index.setEf(ef);
    let found = 0;
    const [, s] = seconds(() => {
      for (let q = 0; q < queries.rows; ++q) {
        found += hits(truth, q, o.k, index.searchKnn(asArrays[q], o.k, filter).neighbors);
      }
    });
    emit({ system: 'hnswlib-node', ...(percent ? { filter: percent } : {}), param: `ef=${ef}`,
           recall: found / (queries.rows * o.k), qps: queries.rows / s });
  }
}

function runHnswlibNode(o, base, queries, truth) {
  const { HierarchicalNSW } = npmRequire('hnswlib-node');
  const before = process.memoryUsage().rss;
  const index = new HierarchicalNSW(o.metric === 'angular' ? 'ip' : 'l2', base.cols);
  index.initIndex(base.rows, o.m, o.efConstruction, 100);
  const [, build] = seconds(() => {
    for (let r = 0; r < base.rows; ++r) index.addPoint(Array.from(base.row(r)), r);
  });
  emit({ system: 'hnswlib-node', event: 'build', threads: 1, seconds: build,
         index_bytes: process.memoryUsage().rss - before });
  sweepHnswlibNode(o, index, queries, truth, undefined, 0);
  if (!o.filters.length) return;
  const labels = readIds(o.labels);
  for (const { percent, truth: file } of o.filters) {
    const allowed = (label) => labels.values[label] < percent;
    sweepHnswlibNode(o, index, queries, readIds(file), allowed, percent);
  }
}

function main() {
  const o = parseArgs(process.argv);
  const base = readVectors(o.base), queries = readVectors(o.queries), truth = readIds(o.truth);
  if (o.metric === 'angular') {
    normalizeRows(base);
    normalizeRows(queries);
  }
  if (o.systems.includes('usearch')) runUsearch(o, base, queries, truth);
  if (o.systems.includes('hnswlib-node')) runHnswlibNode(o, base, queries, truth);
}

try {
  main();
} catch (error) {
  process.stderr.write(`peers.js: ${error.message}\n`);
  process.exit(1);
}
