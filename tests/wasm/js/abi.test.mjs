// The generated wasm32 view of the ABI (wasm/js/abi_gen.js, tools/abigen/gen_wasm.py)
// against the module: the export list is the description's functions, the struct
// sizes agree with the library's sizeof (its _init functions write struct_size), and
// the enums and constants name what the library names.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import { CONSTANTS, FUNCTIONS, STRUCTS, ek_status } from '../../../wasm/js/abi_gen.js';
import { Scratch, readStruct } from '../../../wasm/js/heap.js';
import { Embedkit, Status } from '../../../wasm/js/index.js';

let kit;
let M;
before(async () => {
  kit = await Embedkit.load();
  M = kit._M;
});

test('the module exports exactly the described EK_API functions', () => {
  const exported = Object.keys(M).filter((k) => /^_ek_/.test(k) && typeof M[k] === 'function');
  assert.deepEqual(exported.map((k) => k.slice(1)).sort(), Object.keys(FUNCTIONS).sort());
});

test('a module missing a described function is refused, naming it', () => {
  const { _ek_store_kv_put, ...partial } = M;
  assert.equal(typeof _ek_store_kv_put, 'function');
  assert.throws(() => new Embedkit(partial),
    (e) => e.status === Status.ABI_MISMATCH && e.message.includes('lacks ek_store_kv_put ('));
});

// Each exported _init writes the library's sizeof into struct_size.
for (const [fn, struct] of [['ek_context_options_init', 'ek_context_options'],
  ['ek_store_options_init', 'ek_store_options'], ['ek_search_options_init', 'ek_search_options']]) {
  test(`${struct}: the described wasm32 size is the library's sizeof`, () => {
    const layout = STRUCTS[struct];
    const p = M._malloc(layout.size + 64);
    try {
      M.HEAPU8.fill(0xAB, p, p + layout.size + 64);
      M[`_${fn}`](p);
      assert.equal(M.HEAPU32[(p + layout.fields.struct_size.offset) >> 2], layout.size);
      // Nothing past the described size is written.
      assert.ok(M.HEAPU8.subarray(p + layout.size, p + layout.size + 64).every((b) => b === 0xAB));
    } finally {
      M._free(p);
    }
  });
}

test('every status value has the name the library gives it', () => {
  for (const [name, value] of Object.entries(ek_status)) {
    assert.equal(kit.statusName(value), `EK_${name}`);
  }
  assert.equal(Status.INVALID_ARGUMENT, ek_status.ERR_INVALID_ARGUMENT);
});

test('the ABI version constant is the library\'s', () => {
  assert.equal(kit.abiVersion, CONSTANTS.EK_ABI_VERSION);
});

// Scratch.struct: the structs the package hands the library (options, batches) are
// written by name through the generated layout instead of C glue.
test('Scratch.struct writes fields by name at the described offsets, the rest zero', () => {
  const { size, fields } = STRUCTS.ek_collection_info;
  const dirty = M._malloc(size); // likely the chunk the struct gets next: not zero
  M.HEAPU8.fill(0xAB, dirty, dirty + size);
  M._free(dirty);
  const s = new Scratch(M);
  try {
    const values = { name: 0x1234, dim: 7, metric: -3, count: 2 ** 40 + 5 };
    const p = s.struct('ek_collection_info', values);
    assert.deepEqual(readStruct(M, 'ek_collection_info', p), { struct_size: size, ...values });
    const word = (field, i = 0) => M.HEAPU32[((p + fields[field].offset) >> 2) + i];
    assert.deepEqual([word('count'), word('count', 1)], [5, 256]); // u64: low, high word
    assert.equal(M.HEAP32[(p + fields.metric.offset) >> 2], -3);
    // Padding and fields not named are zero.
    const m = s.struct('ek_rec_metrics', { recall: 0.25, pairs: 3 });
    const bytes = [...M.HEAPU8.subarray(m, m + STRUCTS.ek_rec_metrics.size)];
    assert.deepEqual(readStruct(M, 'ek_rec_metrics', m), { struct_size: STRUCTS.ek_rec_metrics.size,
      recall: 0.25, ndcg: 0, hit_rate: 0, mean_rank: 0, users: 0, pairs: 3, pairs_skipped: 0 });
    assert.equal(bytes.filter((b) => b !== 0).length, 1 + 2 + 1); // size 64, 0.25 (0x3fd0...), 3
  } finally {
    s.free();
  }
});

test('Scratch.struct with an exported _init starts from the library\'s defaults', () => {
  const s = new Scratch(M);
  try {
    const p = s.struct('ek_search_options', { include_metadata: 1 }, M._ek_search_options_init);
    assert.deepEqual(readStruct(M, 'ek_search_options', p),
      { struct_size: STRUCTS.ek_search_options.size, k: 10, filter_json: 0, include_metadata: 1 });
  } finally {
    s.free();
  }
});

test('Scratch.struct refuses a field the struct lacks or cannot be written, naming it', () => {
  const s = new Scratch(M);
  try {
    assert.throws(() => s.struct('ek_store_options', { readOnly: 1 }),
      (e) => e.status === Status.INTERNAL && e.message === 'writeStruct: ek_store_options has no field readOnly');
    assert.throws(() => s.struct('ek_forget_report', { digest: 1 }),
      (e) => e.status === Status.INTERNAL && /no writer for field digest of type i8\[65\]/.test(e.message));
    assert.throws(() => s.struct('ek_hit', { toString: 1 }), /has no field toString/);
  } finally {
    s.free();
  }
});
