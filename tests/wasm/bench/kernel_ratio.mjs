// WASM/native throughput of the dot and top-k kernels, measured in one run: the same
// Google Benchmark program (tests/bench/bench_kernels.cc) built natively and with
// emcc, run back to back single-threaded on the same data sizes (--smoke: 4096 rows,
// which fits the WASM heap of a test program), then the ratio of their times.
// Figures, not a test.
//   node tests/wasm/bench/kernel_ratio.mjs NATIVE_BUILD_DIR WASM_BUILD_DIR
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const [nativeDir = 'build', wasmDir = 'build-wasm'] = process.argv.slice(2);
const filter = 'OneVsMany/dot/.*|ScanSingle/.*threads:1.*|ScanBatch/.*threads:1.*';
const common = ['--smoke', `--benchmark_filter=${filter}`, '--benchmark_min_time=0.3',
  '--benchmark_format=json'];
const run = (cmd, args) => JSON.parse(execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }));
const native = run(join(nativeDir, 'tests/bench/ek_bench_kernels'), common);
const wasm = run(process.execPath, [join(wasmDir, 'tests/bench/ek_bench_kernels.js'), ...common]);
const byName = new Map(wasm.benchmarks.map((b) => [b.name, b]));
console.log(`native: ${native.context.host_name}, ${native.context.num_cpus} CPUs; wasm: node ${process.version}`);
console.log('| benchmark | native | WASM (SIMD128) | WASM/native throughput |');
console.log('|---|---:|---:|---:|');
for (const b of native.benchmarks) {
  const w = byName.get(b.name);
  if (!w) continue;
  const us = { ns: 1e-3, us: 1, ms: 1e3, s: 1e6 };
  const fmt = (x) => `${(x.real_time * us[x.time_unit]).toFixed(1)} µs`;
  console.log(`| ${b.name.replace('/real_time', '')} | ${fmt(b)} | ${fmt(w)} | ${((b.real_time * us[b.time_unit]) / (w.real_time * us[w.time_unit])).toFixed(2)} |`);
}
const wasmFile = join(wasmDir, '../wasm/js/dist/embedkit_core.wasm');
try {
  console.log(`\nembedkit_core.wasm: ${statSync(wasmFile).size} bytes`);
} catch {}
