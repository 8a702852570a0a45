// Deterministic test vectors (mulberry32), uniform in [-1, 1): the same rows every run,
// shared by the index test and tests/wasm/bench/hnsw_ratio.mjs.
export function randomRows(n, dim, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: n * dim }, () => next() * 2 - 1);
}
