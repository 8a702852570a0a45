// Internals shared by the package's modules (index.js, extensions.js): status codes,
// the error type, and the per-call scratch allocator of the wasm heap. index.js
// re-exports Status and EmbedkitError; the rest is not part of the public API.

import { STRUCTS, ek_status } from './abi_gen.js';

/** Status codes (ek_status of abi/include/embedkit/types.h, from the generated
 * abi_gen.js): OK, INVALID_ARGUMENT, NOT_FOUND, ... */
export const Status = Object.freeze(Object.fromEntries(
  Object.entries(ek_status).map(([k, v]) => [k.replace(/^ERR_/, ''), v])));

/** Error thrown by every failing call: `status` is the ek_status, `statusName` its
 * constant name ("EK_ERR_NOT_FOUND"), `message` the library's explanation. */
export class EmbedkitError extends Error {
  constructor(status, statusName, message) {
    super(message);
    this.name = 'EmbedkitError';
    this.status = status;
    this.statusName = statusName;
  }
}

const STATUS_NAMES = Object.fromEntries(Object.entries(ek_status).map(([k, v]) => [v, `EK_${k}`]));

export function jsError(status, message) {
  return new EmbedkitError(status, STATUS_NAMES[status] ?? 'EK_ERR_UNKNOWN', message);
}

export function jsonText(value) {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function parseJson(text) {
  return text === null ? null : JSON.parse(text);
}

// A UTF-16 surrogate without its partner: UTF-8 has no form for it, and
// stringToUTF8 would write U+FFFD instead, so "\ud800" and "\udfff" would both
// become the same id.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function shown(text) {
  const q = JSON.stringify(text); // escapes NUL and lone surrogates
  return q.length <= 80 ? q : `${q.slice(0, 77)}..."`;
}

/** Throws INVALID_ARGUMENT, naming `what`, unless `text` is well-formed Unicode and,
 * when it goes to C as a NUL-terminated string (`nul`), holds no NUL: C would stop
 * there, so "alice\0mallory" would name "alice". */
export function checkText(text, what, nul = true) {
  const at = nul ? text.indexOf('\0') : -1;
  if (at >= 0) {
    throw jsError(Status.INVALID_ARGUMENT, `${what} ${shown(text)} contains a NUL character ` +
      `(U+0000) at index ${at}; ids, names, paths and JSON text cannot hold NUL`);
  }
  const lone = LONE_SURROGATE.exec(text);
  if (lone) {
    const unit = text.charCodeAt(lone.index).toString(16).toUpperCase();
    throw jsError(Status.INVALID_ARGUMENT, `${what} ${shown(text)} is not well-formed Unicode: ` +
      `a lone surrogate U+${unit} at index ${lone.index} has no UTF-8 form`);
  }
  return text;
}

/** `value` as a C uint32_t / wasm32 size_t: the wasm boundary would wrap 2**32 + 5 to 5
 * and -1 to 4294967295 without a word, so anything else throws INVALID_ARGUMENT. */
export function u32(value, what) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw jsError(Status.INVALID_ARGUMENT,
      `${what} is ${String(value)}, not an integer from 0 to 4294967295`);
  }
  return value;
}

// Allocations of one call into the wasm heap, released together.
export class Scratch {
  constructor(M) {
    this.M = M;
    this.ptrs = [];
  }
  alloc(bytes) {
    const p = this.M._malloc(Math.max(bytes, 1));
    if (!p) throw jsError(Status.OUT_OF_MEMORY, `cannot allocate ${bytes} bytes in the wasm heap`);
    this.ptrs.push(p);
    return p;
  }
  // A NUL-terminated UTF-8 copy of string `s` (0 for null/undefined); `what` names it
  // in the error for a NUL or a lone surrogate ("Collection.get: id").
  str(s, what = 'a string argument') {
    if (s === null || s === undefined) return 0;
    const text = checkText(String(s), what);
    const n = this.M.lengthBytesUTF8(text) + 1;
    const p = this.alloc(n);
    this.M.stringToUTF8(text, p, n);
    return p;
  }
  f32(values) {
    const p = this.alloc(values.length * 4);
    this.M.HEAPF32.set(values, p >> 2);
    return p;
  }
  u32(count) {
    const p = this.alloc(count * 4);
    this.M.HEAPU32.fill(0, p >> 2, (p >> 2) + count);
    return p;
  }
  // An array of ek_string_view {const char* data, size_t length} (layout from abi_gen.js).
  // The length travels with each text, so NUL is data; lone surrogates are refused.
  views(list, what = 'texts') {
    const M = this.M;
    const { size, fields } = STRUCTS.ek_string_view;
    const p = this.u32((list.length * size) >> 2);
    for (let i = 0; i < list.length; ++i) {
      const text = checkText(String(list[i]), `${what}[${i}]`, false);
      const bytes = M.lengthBytesUTF8(text);
      const ptr = this.alloc(bytes + 1);
      M.stringToUTF8(text, ptr, bytes + 1);
      M.HEAPU32[(p + i * size + fields.data.offset) >> 2] = ptr;
      M.HEAPU32[(p + i * size + fields.length.offset) >> 2] = bytes;
    }
    return p;
  }
  // A `name` struct (layout from abi_gen.js) for one call, as C code fills it: by
  // `init` when given (an exported ek_*_init: the library's defaults), else zeroed with
  // struct_size set (the header's inline _init, or the memset before an ek_*_get
  // call); then `values` ({ field: value }) written by the fields' types.
  struct(name, values = {}, init = null) {
    const { size, fields } = STRUCTS[name];
    const p = this.alloc(size);
    if (init) {
      init(p);
    } else {
      this.M.HEAPU8.fill(0, p, p + size);
      if (fields.struct_size) this.M.HEAPU32[(p + fields.struct_size.offset) >> 2] = size;
    }
    writeStruct(this.M, name, p, values);
    return p;
  }
  f64(count) {
    const p = this.alloc(count * 8);
    this.M.HEAPF64.fill(0, p >> 3, (p >> 3) + count);
    return p;
  }
  // An array of char* (0 for null entries); entry i is named `${what}[i]` in errors.
  strArray(list, what = 'strings') {
    const p = this.u32(list.length);
    for (let i = 0; i < list.length; ++i) {
      this.M.HEAPU32[(p >> 2) + i] = this.str(list[i], `${what}[${i}]`);
    }
    return p;
  }
  free() {
    for (const p of this.ptrs) this.M._free(p);
    this.ptrs.length = 0;
  }
}

// Readers of the scalar wasm32 types of abi_gen.js; u64 as a Number (exact to 2^53).
const READ = {
  i32: (M, p) => M.HEAP32[p >> 2],
  u32: (M, p) => M.HEAPU32[p >> 2],
  ptr: (M, p) => M.HEAPU32[p >> 2],
  f32: (M, p) => M.HEAPF32[p >> 2],
  f64: (M, p) => M.HEAPF64[p >> 3],
  u64: (M, p) => M.HEAPU32[p >> 2] + M.HEAPU32[(p >> 2) + 1] * 2 ** 32,
};

// Writers of the same types; a u64 takes a Number up to 2^53.
const WRITE = {
  i32: (M, p, v) => { M.HEAP32[p >> 2] = v; },
  u32: (M, p, v) => { M.HEAPU32[p >> 2] = v; },
  ptr: (M, p, v) => { M.HEAPU32[p >> 2] = v; },
  f32: (M, p, v) => { M.HEAPF32[p >> 2] = v; },
  f64: (M, p, v) => { M.HEAPF64[p >> 3] = v; },
  u64: (M, p, v) => {
    M.HEAPU32[p >> 2] = v % 2 ** 32;
    M.HEAPU32[(p >> 2) + 1] = Math.floor(v / 2 ** 32);
  },
};

/** Writes `values` ({ field: value }, pointers as addresses) into the `name` struct at
 * `p` by the generated layout. A field the struct lacks, or one of a type without a
 * writer (char arrays), is a bug of the package: INTERNAL, naming it. */
export function writeStruct(M, name, p, values) {
  const { fields } = STRUCTS[name];
  for (const [field, value] of Object.entries(values)) {
    const layout = Object.hasOwn(fields, field) ? fields[field] : null;
    if (!layout || !WRITE[layout.type]) {
      throw jsError(Status.INTERNAL, `writeStruct: ${name} has no ` +
        (layout ? `writer for field ${field} of type ${layout.type}` : `field ${field}`));
    }
    WRITE[layout.type](M, p + layout.offset, value);
  }
}

/** The uint64_t at `p` (an out parameter) as a Number, exact to 2^53. */
export function readU64(M, p) {
  return READ.u64(M, p);
}

/** The fields of the `name` struct at `p` as { field: value } by the generated layout
 * (pointers as addresses); fields of other types are left out. */
export function readStruct(M, name, p) {
  const out = {};
  for (const [field, { offset, type }] of Object.entries(STRUCTS[name].fields)) {
    if (READ[type]) out[field] = READ[type](M, p + offset);
  }
  return out;
}
