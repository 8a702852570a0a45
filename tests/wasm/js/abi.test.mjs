// The generated wasm32 view of the ABI (wasm/js/abi_gen.js, tools/abigen/gen_wasm.py)
// against the module: the export list is the description's functions, the struct
// sizes agree with the library's sizeof (its _init functions write struct_size), and
// the enums and constants name what the library names.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';

import { CONSTANTS, FUNCTIONS, STRUCTS, ek_status } from '../../../wasm/js/abi_gen.js';
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
