// embedkit for JavaScript: an ES module over the WebAssembly build of the C API
// (abi/include/embedkit/embedkit.h). Works in Node >= 18 and in browsers.
//
//   import { Embedkit } from 'embedkit';
//   const kit = await Embedkit.load();
//   const ctx = kit.createContext();
//   const store = ctx.openStore(':memory:');
//   const docs = store.createCollection('docs', 3, 'cosine');
//   docs.upsert([{ id: 'a', vector: new Float32Array([1, 0, 0]), metadata: { lang: 'en' } }]);
//   const results = docs.search(new Float32Array([1, 0, 0]), { k: 5 });
//   console.log(results.hits(0));
//   results.free(); docs.free(); await store.close(); ctx.free();
//
// SQL (sql.js): store.sql() on a store with a file path is a SQLite connection with
// the embedkit extension: db.exec('CREATE VIRTUAL TABLE ...'), db.query(sql, params).
//
// Every failing call throws EmbedkitError { status, statusName, message }, the message
// being ek_last_error() of the C library. Handles are freed explicitly (free() or
// close()); freeing a Context frees whatever is still open under it.
//
// Persistence: files live in Emscripten's virtual file system. kit.mountNode(dir)
// maps a host folder (NODEFS, Node only); await kit.mountIndexedDB(path) maps an
// IndexedDB-backed folder (IDBFS, browsers) and loads its contents. Writes to a
// store under an IndexedDB mount are synced back automatically after each write
// call (batched); `await store.flush()` or `await store.close()` resolves once they
// are durable.

import { FUNCTIONS, STRUCTS, ek_element_type, ek_index_kind, ek_log_level, ek_metric } from './abi_gen.js';
import {
  EmbedkitError, Scratch, Status, jsError, jsonText, parseJson, readStruct, readU64, u32,
} from './heap.js';
import { Classifier, Matcher, Recommender, VsaProbe, releaseCallbacks } from './extensions.js';
import { SqlConnection, SqlError, openSql } from './sql.js';

export { Classifier, EmbedkitError, Matcher, Recommender, SqlConnection, SqlError, Status, VsaProbe };

const IS_NODE =
  typeof process === 'object' && process !== null && typeof process.versions === 'object' &&
  process.versions !== null && typeof process.versions.node === 'string' &&
  typeof window === 'undefined';


/** Distance metrics. Scores: cosine similarity, inner product (higher is closer),
 * squared L2 distance (lower is closer). */
export const Metric = ek_metric;
/** Index kinds (ek_index_kind) and element types (ek_element_type), ABI 1.2;
 * docs/storage.md "Indexes". Options take the names or the codes. */
export const IndexKind = ek_index_kind;
export const ElementType = ek_element_type;
export const LogLevel = ek_log_level;

// Lower-case names indexed by code ('cosine', 'dot', 'l2'): what options accept.
function namesOf(codes) {
  const names = [];
  for (const [name, code] of Object.entries(codes)) names[code] = name.toLowerCase();
  return names;
}
const METRIC_NAMES = namesOf(Metric);
const INDEX_NAMES = namesOf(IndexKind);
const ELEMENT_NAMES = namesOf(ElementType);
const LOG_LEVEL_NAMES = namesOf(LogLevel);

// Every EK_API function of the description must be in the module: a dist/ built from
// other headers than abi_gen.js fails here, naming the function, not at its first call.
function checkExports(M) {
  const missing = Object.keys(FUNCTIONS).filter((name) => typeof M[`_${name}`] !== 'function');
  if (missing.length) {
    throw jsError(Status.ABI_MISMATCH, `the WebAssembly module lacks ${missing.join(', ')} ` +
      `(dist/ was built from other headers than abi_gen.js: rebuild the module)`);
  }
}

async function loadFactory() {
  if (IS_NODE) {
    // The CommonJS build (require() works only through createRequire in an ES module).
    const { createRequire } = await import('node:module');
    return createRequire(import.meta.url)('./dist/embedkit_core.cjs');
  }
  return (await import('./dist/embedkit_core.mjs')).default;
}

function metricCode(metric) {
  if (typeof metric === 'number') return metric;
  const i = METRIC_NAMES.indexOf(String(metric).toLowerCase());
  // Unknown names go through as an invalid code so the library names the problem.
  return i >= 0 ? i : 0x7fffffff;
}

// A name of `names` or a code; unknown names go through as an invalid code so the
// library names the problem (as metricCode).
function namedCode(value, names) {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  const i = names.indexOf(String(value).toLowerCase());
  return i >= 0 ? i : 0x7fffffff;
}

// An ek_collection_options in scratch `s` for ek_collection_create_with /
// _index_build. Missing = 0, the library's default.
function collectionOptions(s, options, what) {
  return s.struct('ek_collection_options', {
    index: namedCode(options.index, INDEX_NAMES),
    m: u32(options.m ?? 0, `${what}: m`),
    ef_construction: u32(options.efConstruction ?? 0, `${what}: efConstruction`),
    ef_search: u32(options.efSearch ?? 0, `${what}: efSearch`),
    element: namedCode(options.element, ELEMENT_NAMES),
    rescore: u32(options.rescore ?? 0, `${what}: rescore`),
    defer_build: options.deferBuild ? 1 : 0,
  });
}

function logLevelCode(level) {
  if (level === undefined || level === null) return -1;
  if (typeof level === 'number') return level;
  const i = LOG_LEVEL_NAMES.indexOf(String(level).toLowerCase());
  if (i < 0) throw jsError(Status.INVALID_ARGUMENT, `createContext: unknown logLevel '${level}'`);
  return i;
}

function addDispose(proto, method) {
  if (typeof Symbol.dispose === 'symbol') {
    proto[Symbol.dispose] = function () {
      return this[method]();
    };
  }
}

/** The loaded module. Each Embedkit.load() instantiates a fresh, independent one. */
export class Embedkit {
  /**
   * Loads and instantiates the WebAssembly module.
   * options.wasmBinary: the .wasm bytes (skips loading); options.wasmUrl: where the
   * browser fetches it from (default: dist/embedkit_core.wasm next to this file).
   */
  static async load(options = {}) {
    const factory = await loadFactory();
    const args = {};
    if (options.wasmBinary) {
      args.wasmBinary = options.wasmBinary;
    } else if (IS_NODE) {
      // Emscripten 3.1.6 would fetch() a file path under Node 20, which fails.
      const { readFile } = await import('node:fs/promises');
      args.wasmBinary = await readFile(new URL('./dist/embedkit_core.wasm', import.meta.url));
    } else {
      const url = options.wasmUrl ?? new URL('./dist/embedkit_core.wasm', import.meta.url).href;
      args.locateFile = (file) => (file.endsWith('.wasm') ? String(url) : file);
    }
    if (options.print) args.print = options.print;
    if (options.printErr) args.printErr = options.printErr;
    const M = await factory(args);
    return new Embedkit(M);
  }

  constructor(M) {
    checkExports(M);
    this._M = M;
    this._callbacks = new Map(); // handle -> function (log and progress trampolines)
    this._nextHandle = 1;
    this._idbMounts = new Set();
    this._syncChain = Promise.resolve();
    this._syncPending = null;
    M.ekwLog = (h, level, message) => {
      const fn = this._callbacks.get(h);
      if (fn) fn(LOG_LEVEL_NAMES[level] ?? level, message);
    };
    M.ekwProgress = (h, task, done, total) => {
      const fn = this._callbacks.get(h);
      return fn && fn(task, done, total) === true ? 1 : 0;
    };
  }

  /** The library's semantic version, e.g. "0.1.0". */
  get version() {
    return this._M.UTF8ToString(this._M._ek_version());
  }

  /** EK_ABI_VERSION as (major << 16) | minor. */
  get abiVersion() {
    return this._M._ek_abi_version() >>> 0;
  }

  /** Emscripten's FS object, for reading and writing files the stores use. */
  get FS() {
    return this._M.FS;
  }

  /** { heapBytes: size of the wasm memory, mallocBytes: bytes malloc has handed out }. */
  memory() {
    return { heapBytes: this._M.HEAPU8.length, mallocBytes: this._M._ekw_heap_in_use() };
  }

  /** Short constant name of a status ("EK_ERR_NOT_FOUND"). */
  statusName(status) {
    return this._M.UTF8ToString(this._M._ek_status_name(status));
  }

  /** Creates a context (plugins, backend). */
  createContext(options = {}) {
    const M = this._M;
    const s = new Scratch(M);
    let logHandle = 0;
    try {
      if (options.onLog) logHandle = this._register(options.onLog);
      const out = s.u32(1);
      const status = M._ekw_context_create(
        s.str(options.backend ?? null, 'createContext: backend'),
        u32(options.numThreads ?? 0, 'createContext: numThreads'),
        logLevelCode(options.logLevel), logHandle,
        s.str(options.pluginPath ?? null, 'createContext: pluginPath'),
        options.bundledPlugins === false ? 1 : 0, out);
      if (status !== 0) {
        if (logHandle) this._callbacks.delete(logHandle);
        this._throw(status);
      }
      return new Context(this, M.HEAPU32[out >> 2], logHandle);
    } finally {
      s.free();
    }
  }

  /** Node only: maps host folder `hostDir` at `mountPoint` (NODEFS); returns mountPoint.
   * Stores opened under it are ordinary files of the host. */
  mountNode(hostDir, mountPoint = '/nodefs') {
    if (!IS_NODE) throw jsError(Status.UNSUPPORTED, 'mountNode: NODEFS exists only under Node');
    const FS = this._M.FS;
    FS.mkdirTree(mountPoint);
    FS.mount(FS.filesystems.NODEFS, { root: hostDir }, mountPoint);
    return mountPoint;
  }

  /** Browsers: mounts an IndexedDB-backed folder at `mountPoint` (IDBFS) and loads what
   * it holds. Later writes of stores under it are synced back automatically. */
  async mountIndexedDB(mountPoint = '/idb') {
    const FS = this._M.FS;
    if (typeof indexedDB === 'undefined') {
      throw jsError(Status.UNSUPPORTED, 'mountIndexedDB: no IndexedDB in this environment');
    }
    FS.mkdirTree(mountPoint);
    FS.mount(FS.filesystems.IDBFS, {}, mountPoint);
    this._idbMounts.add(mountPoint.replace(/\/+$/, ''));
    await this._syncfs(true);
    return mountPoint;
  }

  /** Writes IndexedDB-backed folders back to IndexedDB (no-op without any). */
  sync() {
    if (this._idbMounts.size === 0) return Promise.resolve();
    return this._syncfs(false);
  }

  // ---- internals ----

  _register(fn) {
    const h = this._nextHandle++;
    this._callbacks.set(h, fn);
    return h;
  }

  _underIdb(path) {
    for (const m of this._idbMounts) if (path === m || path.startsWith(m + '/')) return true;
    return false;
  }

  // One syncfs at a time (Emscripten warns about overlapping ones).
  _syncfs(populate) {
    const run = () =>
      new Promise((resolve, reject) => {
        this._M.FS.syncfs(populate, (err) =>
          err ? reject(jsError(Status.IO, `IndexedDB sync failed: ${err.message ?? err}`)) : resolve());
      });
    const p = this._syncChain.then(run, run);
    this._syncChain = p.catch(() => {});
    return p;
  }

  // After a write to a store under an IndexedDB mount: one sync for all writes of
  // this turn of the event loop.
  _scheduleSync() {
    if (!this._syncPending) {
      this._syncPending = Promise.resolve().then(() => {
        this._syncPending = null;
        return this._syncfs(false);
      });
      this._syncPending.catch(() => {});
    }
    return this._syncPending;
  }

  _throw(status) {
    const M = this._M;
    const message = M.UTF8ToString(M._ek_last_error());
    const name = M.UTF8ToString(M._ek_status_name(status));
    throw new EmbedkitError(status, name, message);
  }

  _check(status) {
    if (status !== 0) this._throw(status);
  }

  _str(ptr) {
    return ptr ? this._M.UTF8ToString(ptr) : null;
  }
}

// Base of every handle: explicit free, use-after-free reported as an error.
class Handle {
  constructor(kit, ptr, what) {
    this._kit = kit;
    this._ptr = ptr;
    this._what = what;
  }
  /** True once freed. */
  get freed() {
    return this._ptr === 0;
  }
  _p(method) {
    if (this._ptr === 0) {
      throw jsError(Status.INVALID_ARGUMENT, `${this._what}.${method}: the ${this._what} was freed`);
    }
    return this._ptr;
  }
}

/** A context: plugins, backend, thread pool. Free it last (it frees what is still
 * open under it). */
export class Context extends Handle {
  constructor(kit, ptr, logHandle) {
    super(kit, ptr, 'Context');
    this._logHandle = logHandle;
    this._progressHandle = 0;
    this._children = new Set();
  }

  /** { backend, simdTarget, numThreads, abiVersion, pluginCount } */
  info() {
    const kit = this._kit;
    const M = kit._M;
    const s = new Scratch(M);
    try {
      const out = s.struct('ek_context_info');
      kit._check(M._ek_context_info_get(this._p('info'), out));
      const info = readStruct(M, 'ek_context_info', out);
      return {
        backend: kit._str(info.backend),
        simdTarget: kit._str(info.simd_target),
        numThreads: info.num_threads,
        abiVersion: info.abi_version,
        pluginCount: info.plugin_count,
      };
    } finally {
      s.free();
    }
  }

  /** Every registered plugin: [{ id, name, version, vendor, description, extensions,
   * path, abiVersion }]. */
  plugins() {
    const kit = this._kit;
    const M = kit._M;
    const s = new Scratch(M);
    try {
      const countOut = s.u32(1);
      kit._check(M._ek_plugin_count(this._p('plugins'), countOut));
      const n = M.HEAPU32[countOut >> 2];
      const list = [];
      for (let i = 0; i < n; ++i) {
        const out = s.struct('ek_plugin_info');
        kit._check(M._ek_plugin_info_at(this._ptr, i, out));
        list.push(this._pluginInfo(out));
      }
      return list;
    } finally {
      s.free();
    }
  }

  /** The plugin with id `id` (EmbedkitError NOT_FOUND if none). */
  plugin(id) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.struct('ek_plugin_info');
      kit._check(kit._M._ek_plugin_info_find(this._p('plugin'), s.str(id, 'Context.plugin: id'), out));
      return this._pluginInfo(out);
    } finally {
      s.free();
    }
  }

  /** Loads a plugin module file; returns its id. The WebAssembly package registers its
   * plugins statically and cannot load modules: this reports EK_ERR_NOT_A_PLUGIN. */
  loadPlugin(path) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_plugin_load(this._p('loadPlugin'), s.str(path, 'Context.loadPlugin: path'),
        out));
      return kit._str(kit._M.HEAPU32[out >> 2]);
    } finally {
      s.free();
    }
  }

  /** An instance of plugin `pluginId`; `config` is an object or JSON text. */
  createInstance(pluginId, config = null) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_instance_create(this._p('createInstance'),
        s.str(pluginId, 'Context.createInstance: pluginId'),
        s.str(jsonText(config), 'Context.createInstance: config'), out));
      return this._adopt(new Instance(kit, kit._M.HEAPU32[out >> 2], this));
    } finally {
      s.free();
    }
  }

  /** Opens (creating if needed) the store at `path` in the virtual file system, or an
   * in-memory store for ':memory:'. options: { readOnly, mustExist, busyTimeoutMs }. */
  openStore(path = ':memory:', options = {}) {
    const kit = this._kit;
    const M = kit._M;
    const p = this._p('openStore');
    const s = new Scratch(M);
    try {
      const out = s.u32(1);
      const storeOptions = s.struct('ek_store_options', {
        read_only: options.readOnly ? 1 : 0,
        must_exist: options.mustExist ? 1 : 0,
        busy_timeout_ms: u32(options.busyTimeoutMs ?? 0, 'Context.openStore: busyTimeoutMs'),
      }, M._ek_store_options_init);
      kit._check(M._ek_store_open(p, s.str(path, 'Context.openStore: path'), storeOptions, out));
      return this._adopt(new Store(kit, M.HEAPU32[out >> 2], this, path, !!options.readOnly));
    } finally {
      s.free();
    }
  }

  /** Progress of long operations: fn(task, done, total); return true to cancel.
   * null clears it. */
  onProgress(fn) {
    const kit = this._kit;
    const old = this._progressHandle;
    this._progressHandle = fn ? kit._register(fn) : 0;
    kit._check(kit._M._ekw_context_set_progress(this._p('onProgress'), this._progressHandle));
    if (old) kit._callbacks.delete(old);
  }

  /** Asks running long operations to stop (they fail with CANCELLED). */
  cancel() {
    this._kit._check(this._kit._M._ek_context_cancel(this._p('cancel')));
  }

  resetCancel() {
    this._kit._check(this._kit._M._ek_context_reset_cancel(this._p('resetCancel')));
  }

  /** Frees everything still open under the context, then the context. */
  free() {
    if (this._ptr === 0) return;
    for (const kind of [Results, Collection, Instance, SqlConnection, Store]) {
      for (const child of [...this._children]) if (child instanceof kind) child._release();
    }
    this._kit._M._ek_context_free(this._ptr);
    this._ptr = 0;
    for (const h of [this._logHandle, this._progressHandle]) if (h) this._kit._callbacks.delete(h);
  }

  _adopt(child) {
    this._children.add(child);
    return child;
  }

  // The ek_plugin_info at `out` as the object plugins() and plugin() return.
  _pluginInfo(out) {
    const kit = this._kit;
    const M = kit._M;
    const info = readStruct(M, 'ek_plugin_info', out);
    const extensions = [];
    // A NULL-terminated array of char*.
    for (let at = info.extensions; at && M.HEAPU32[at >> 2] !== 0; at += 4) {
      extensions.push(M.UTF8ToString(M.HEAPU32[at >> 2]));
    }
    return {
      id: kit._str(info.id),
      name: kit._str(info.name),
      version: kit._str(info.version),
      vendor: kit._str(info.vendor),
      description: kit._str(info.description),
      extensions,
      path: kit._str(info.path),
      abiVersion: info.abi_version,
    };
  }
}
addDispose(Context.prototype, 'free');

// A handle owned by a context.
class Child extends Handle {
  constructor(kit, ptr, what, context) {
    super(kit, ptr, what);
    this._context = context;
  }
  _release() {
    if (this._ptr === 0) return;
    this._destroy(this._ptr);
    this._ptr = 0;
    this._context._children.delete(this);
  }
  /** Releases the handle (no-op when already freed). */
  free() {
    this._release();
  }
}

/** A configured plugin instance. */
export class Instance extends Child {
  constructor(kit, ptr, context) {
    super(kit, ptr, 'Instance', context);
  }
  _destroy(p) {
    this._kit._M._ek_instance_free(p);
    releaseCallbacks(this); // setEmbedder/setLlmHooks functions: no one calls them now
  }

  /** True if the instance provides extension `id` (e.g. "ek.encoder/1"). */
  hasExtension(id) {
    const s = new Scratch(this._kit._M);
    try {
      return this._kit._M._ek_instance_has_extension(this._p('hasExtension'),
        s.str(id, 'Instance.hasExtension: id')) !== 0;
    } finally {
      s.free();
    }
  }

  /** The "ek.classifier/1" extension (embedkit.text_classify) as a Classifier. */
  classifier() {
    return new Classifier(this);
  }

  /** The "ek.matcher/1" extension (embedkit.table_match) as a Matcher. */
  matcher() {
    return new Matcher(this);
  }

  /** The "ek.recommender/1" + "ek.unlearner/1" extensions (embedkit.rec_unlearn). */
  recommender() {
    return new Recommender(this);
  }

  /** The "ek.vsa_probe/1" extension (embedkit.vsa_json) as a VsaProbe. */
  vsaProbe() {
    return new VsaProbe(this);
  }

  /** Length of the vectors the encoder extension produces. */
  encoderDim() {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_encoder_dim(this._p('encoderDim'), out));
      return kit._M.HEAPU32[out >> 2];
    } finally {
      s.free();
    }
  }

  /** Encodes strings into vectors: a Float32Array of items.length x encoderDim()
   * floats, row-major. */
  encode(items) {
    const kit = this._kit;
    const M = kit._M;
    const p = this._p('encode');
    const dim = this.encoderDim();
    const s = new Scratch(M);
    try {
      const views = s.views(items, 'Instance.encode: items');
      const capacity = items.length * dim;
      const out = s.alloc(capacity * 4);
      kit._check(M._ek_encode(p, views, items.length, out, capacity, 0));
      return M.HEAPF32.slice(out >> 2, (out >> 2) + capacity);
    } finally {
      s.free();
    }
  }
}
addDispose(Instance.prototype, 'free');

/** One SQLite store file (or ':memory:'). */
export class Store extends Child {
  constructor(kit, ptr, context, path, readOnly = false) {
    super(kit, ptr, 'Store', context);
    this.path = path;
    this._readOnly = readOnly;
    this._persistent = kit._underIdb(path);
  }
  _destroy(p) {
    this._kit._M._ek_store_free(p);
  }

  /** Creates collection `name` (or opens it when it exists with the same shape and
   * options). options (ek_collection_options; missing = the default): { index: 'exact'
   * | 'hnsw', m, efConstruction, efSearch, element: 'f32' | 'f16' | 'int8' | 'bit',
   * rescore, deferBuild }. */
  createCollection(name, dim, metric = 'cosine', options = null) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      const p = this._p('createCollection');
      const nameArg = s.str(name, 'Store.createCollection: name');
      const dimArg = u32(dim, 'Store.createCollection: dim');
      kit._check(options === null || options === undefined
        ? kit._M._ek_collection_create(p, nameArg, dimArg, metricCode(metric), out)
        : kit._M._ek_collection_create_with(p, nameArg, dimArg, metricCode(metric),
          collectionOptions(s, options, 'Store.createCollection'), out));
      this._wrote();
      return this._context._adopt(new Collection(kit, kit._M.HEAPU32[out >> 2], this._context, this));
    } finally {
      s.free();
    }
  }

  /** Opens an existing collection (EmbedkitError NOT_FOUND if there is none). */
  openCollection(name) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_collection_open(this._p('openCollection'),
        s.str(name, 'Store.openCollection: name'), out));
      return this._context._adopt(new Collection(kit, kit._M.HEAPU32[out >> 2], this._context, this));
    } finally {
      s.free();
    }
  }

  /** Deletes a collection and its vectors. */
  dropCollection(name) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      kit._check(kit._M._ek_collection_drop(this._p('dropCollection'),
        s.str(name, 'Store.dropCollection: name')));
      this._wrote();
    } finally {
      s.free();
    }
  }

  /** [{ name, dim, metric, count }] for every collection. */
  collections() {
    const kit = this._kit;
    const M = kit._M;
    const s = new Scratch(M);
    try {
      const outInfos = s.u32(1);
      const outCount = s.u32(1);
      kit._check(M._ek_store_list_collections(this._p('collections'), outInfos, outCount));
      const infos = M.HEAPU32[outInfos >> 2];
      const n = M.HEAPU32[outCount >> 2];
      const list = [];
      for (let i = 0; i < n; ++i) list.push(collectionInfo(kit, infos + i * STRUCTS.ek_collection_info.size));
      M._ek_collection_infos_free(infos, n);
      return list;
    } finally {
      s.free();
    }
  }

  /** Opens one transaction over the following writes through this store and its
   * collections: all kept at commit(), none after rollback(). */
  begin() {
    this._kit._check(this._kit._M._ek_store_begin(this._p('begin')));
  }

  /** Keeps every write since begin() at once. */
  commit() {
    this._kit._check(this._kit._M._ek_store_commit(this._p('commit')));
    this._wrote();
  }

  /** Undoes every write since begin(). */
  rollback() {
    this._kit._check(this._kit._M._ek_store_rollback(this._p('rollback')));
  }

  /** Runs fn(store) in one transaction: committed when it returns, rolled back (and
   * the error rethrown) when it throws. Synchronous: fn must not await. */
  transaction(fn) {
    this.begin();
    let result;
    try {
      result = fn(this);
    } catch (e) {
      this.rollback();
      throw e;
    }
    this.commit();
    return result;
  }

  // ---- key/value state (embedkit.h "Key/value state") ----
  // Values that are not vectors, under (namespace, key), changed in the same
  // transactions as the collections. `namespace` is the owner's id ("myapp").

  /** Stores `value` under (namespace, key): a Uint8Array (any ArrayBuffer view, or an
   * ArrayBuffer) as a blob of its bytes, anything else as JSON (JSON.stringify).
   * Joins an open transaction. */
  kvPut(namespace, key, value) {
    const kit = this._kit;
    const M = kit._M;
    const p = this._p('kvPut');
    const s = new Scratch(M);
    try {
      const bytes = blobBytes(value);
      let data;
      let length;
      if (bytes) {
        length = bytes.length;
        data = s.alloc(length);
        M.HEAPU8.set(bytes, data);
      } else {
        const text = jsonOf(value, 'Store.kvPut: value');
        length = M.lengthBytesUTF8(text);
        data = s.alloc(length + 1);
        M.stringToUTF8(text, data, length + 1);
      }
      kit._check(M._ek_store_kv_put(p, s.str(namespace, 'Store.kvPut: namespace'),
        s.str(key, 'Store.kvPut: key'), data, length, bytes ? KV_BLOB : KV_JSON));
      this._wrote();
    } finally {
      s.free();
    }
  }

  /** The value of (namespace, key): a Uint8Array for a blob, the parsed value for JSON.
   * EmbedkitError NOT_FOUND if there is none. */
  kvGet(namespace, key) {
    const kit = this._kit;
    const M = kit._M;
    const p = this._p('kvGet');
    const s = new Scratch(M);
    try {
      const ns = s.str(namespace, 'Store.kvGet: namespace');
      const k = s.str(key, 'Store.kvGet: key');
      const outLength = s.u32(1);
      const outKind = s.u32(1);
      for (;;) { // another connection may grow the value between the two calls
        kit._check(M._ek_store_kv_get(p, ns, k, 0, 0, outLength, outKind));
        const capacity = M.HEAPU32[outLength >> 2] + 1;
        const buf = M._malloc(capacity);
        if (!buf) throw jsError(Status.OUT_OF_MEMORY, `Store.kvGet: cannot allocate ${capacity} bytes`);
        try {
          const status = M._ek_store_kv_get(p, ns, k, buf, capacity, outLength, outKind);
          if (status === Status.BUFFER_TOO_SMALL) continue;
          kit._check(status);
          const length = M.HEAPU32[outLength >> 2];
          if (M.HEAPU32[outKind >> 2] === KV_JSON) return JSON.parse(M.UTF8ToString(buf, length));
          return M.HEAPU8.slice(buf, buf + length);
        } finally {
          M._free(buf);
        }
      }
    } finally {
      s.free();
    }
  }

  /** Deletes (namespace, key); true if it existed. */
  kvDelete(namespace, key) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_store_kv_delete(this._p('kvDelete'),
        s.str(namespace, 'Store.kvDelete: namespace'), s.str(key, 'Store.kvDelete: key'), out));
      this._wrote();
      return kit._M.HEAPU32[out >> 2] === 1;
    } finally {
      s.free();
    }
  }

  /** Deletes every key of `namespace` starting with `prefix` ('' = all of them) in one
   * transaction; returns how many. */
  kvDeletePrefix(namespace, prefix = '') {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_store_kv_delete_prefix(this._p('kvDeletePrefix'),
        s.str(namespace, 'Store.kvDeletePrefix: namespace'),
        s.str(prefix, 'Store.kvDeletePrefix: prefix'), out));
      this._wrote();
      return kit._M.HEAPU32[out >> 2];
    } finally {
      s.free();
    }
  }

  /** Keys of `namespace` starting with `prefix` ('' = all), in byte order.
   * options: { after: the last key of the previous page, limit = 0 (all) }. */
  kvKeys(namespace, prefix = '', options = {}) {
    return this._kvList('kvKeys', namespace, prefix, options, false).map((row) => row.key);
  }

  /** Map of key -> value for the keys of `namespace` starting with `prefix`, in byte
   * order: JSON values parsed, blobs read with kvGet (Uint8Array). */
  kvItems(namespace, prefix = '') {
    const items = new Map();
    for (const { key, json } of this._kvList('kvItems', namespace, prefix, {}, true)) {
      items.set(key, json === null ? this.kvGet(namespace, key) : JSON.parse(json));
    }
    return items;
  }

  // [{ key, json }] of ek_store_kv_list; json is the value's text when `values` is set
  // and the value is JSON, else null (a blob, or values not asked for).
  _kvList(method, namespace, prefix, options, values) {
    const kit = this._kit;
    const M = kit._M;
    const p = this._p(method);
    const s = new Scratch(M);
    try {
      const out = s.u32(1);
      kit._check(M._ek_store_kv_list(p, s.str(namespace, `Store.${method}: namespace`),
        s.str(prefix ?? '', `Store.${method}: prefix`),
        s.str(options.after ?? null, `Store.${method}: after`),
        u32(options.limit ?? 0, `Store.${method}: limit`), values ? 1 : 0, out));
      const results = M.HEAPU32[out >> 2];
      try {
        const rows = [];
        const hit = s.struct('ek_hit');
        const n = M._ek_results_hit_count(results, 0) >>> 0;
        for (let rank = 0; rank < n; ++rank) {
          const { id, json } = resultsHit(kit, results, 0, rank, hit);
          rows.push({ key: id, json });
        }
        return rows;
      } finally {
        M._ek_results_free(results);
      }
    } finally {
      s.free();
    }
  }

  /** A SQL connection on this store's file (SqlConnection, sql.js): a SQLite
   * connection of its own with the embedkit extension registered, so the store's
   * collections are reachable as `embedkit` virtual tables (CREATE VIRTUAL TABLE docs
   * USING embedkit(embedding float[3], collection=docs)) and the vec_* functions work.
   * Read-only when the store was opened readOnly. Commits of either connection are seen
   * by the other; a transaction left open on one blocks the other's writes (sql.js).
   * Free it with close() (Context.free() closes it too). An in-memory store has no file
   * to share: UNSUPPORTED (a path such as '/data.db' is in memory as well, in MEMFS). */
  sql() {
    this._p('sql');
    if (this.path === ':memory:' || this.path === '' || String(this.path).startsWith('file::memory:')) {
      throw jsError(Status.UNSUPPORTED, "Store.sql: the store is in memory (':memory:'), which a " +
        "second connection cannot open; open it on a path instead (a MEMFS path such as " +
        "'/data.db' stays in memory too)");
    }
    return this._context._adopt(openSql(this._kit, this, this.path, this._readOnly));
  }

  /** Resolves when every write so far is durable (IndexedDB); immediate otherwise. */
  flush() {
    return this._persistent ? this._kit.sync() : Promise.resolve();
  }

  /** Closes the store; resolves once its writes are durable. Collections opened from
   * it keep working until freed. */
  close() {
    this._release();
    return this.flush();
  }

  free() {
    this._release();
  }

  _wrote() {
    if (this._persistent) this._kit._scheduleSync();
  }
}
addDispose(Store.prototype, 'free');

// ek_value_kind (embedkit.h).
const KV_BLOB = 0;
const KV_JSON = 1;

// The bytes of a blob value (Uint8Array, another ArrayBuffer view, an ArrayBuffer),
// or null for a value that is stored as JSON.
function blobBytes(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return null;
}

// JSON.stringify(value), refusing what has no JSON text (undefined, a function, a
// symbol) or cannot be written (a BigInt, a cycle) as INVALID_ARGUMENT naming `what`.
function jsonOf(value, what) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw jsError(Status.INVALID_ARGUMENT, `${what} cannot be written as JSON: ${e.message}`);
  }
  if (text === undefined) {
    throw jsError(Status.INVALID_ARGUMENT,
      `${what} cannot be written as JSON: ${typeof value} has no JSON text ` +
      '(store null, or a Uint8Array for bytes)');
  }
  return text;
}

// The ek_collection_info at `p` as Collection.info() and Store.collections() return it.
function collectionInfo(kit, p) {
  const info = readStruct(kit._M, 'ek_collection_info', p);
  return {
    name: kit._str(info.name),
    dim: info.dim,
    metric: METRIC_NAMES[info.metric] ?? info.metric,
    count: info.count,
  };
}

// Ids as text: strings as they are, numbers in decimal. Anything else (undefined from
// a row without `id`, an object) is refused, not stored as "undefined".
function idList(ids, what) {
  return ids.map((id, i) => {
    if (typeof id === 'string') return id;
    if (typeof id === 'number' || typeof id === 'bigint') return String(id);
    throw jsError(Status.INVALID_ARGUMENT,
      `${what}[${i}] must be a string or a number, not ${id === null ? 'null' : typeof id}`);
  });
}

// Hit `rank` of query `query` of the ek_results at `results`, read through the ek_hit at
// `out` (Scratch.struct): { id, score, json } with json the metadata text or null.
function resultsHit(kit, results, query, rank, out) {
  kit._check(kit._M._ek_results_hit(results, query, rank, out));
  const hit = readStruct(kit._M, 'ek_hit', out);
  return { id: kit._str(hit.id), score: hit.score, json: kit._str(hit.metadata_json) };
}

function toFloat32(v) {
  return v instanceof Float32Array ? v : Float32Array.from(v);
}

/** A named set of vectors in a store. */
export class Collection extends Child {
  constructor(kit, ptr, context, store) {
    super(kit, ptr, 'Collection', context);
    this._store = store;
    const info = this.info();
    this.name = info.name;
    this.dim = info.dim;
    this.metric = info.metric;
  }
  _destroy(p) {
    this._kit._M._ek_collection_free(p);
  }

  /** { name, dim, metric, count } */
  info() {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.struct('ek_collection_info');
      kit._check(kit._M._ek_collection_info_get(this._p('info'), out));
      return collectionInfo(kit, out);
    } finally {
      s.free();
    }
  }

  /** Rows stored. */
  count() {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.alloc(8);
      kit._check(kit._M._ek_collection_count(this._p('count'), out));
      return readU64(kit._M, out);
    } finally {
      s.free();
    }
  }

  /**
   * Inserts or replaces rows in one transaction (all or none). Either
   *   upsert([{ id, vector, metadata? }, ...])
   * or
   *   upsert({ ids, vectors, metadata? })  with vectors one Float32Array of
   *   ids.length x dim floats (or an array of rows).
   * metadata: an object (stored as JSON), JSON text, or null.
   */
  upsert(rows) {
    const kit = this._kit;
    const p = this._p('upsert');
    let ids;
    let flat;
    let dim;
    let metadata = null;
    if (Array.isArray(rows)) {
      ids = rows.map((r) => r.id);
      dim = rows.length ? (rows[0].vector?.length ?? 0) : this.dim;
      rows.forEach((r, i) => {
        const n = r.vector?.length ?? 0;
        if (n !== dim) {
          throw jsError(Status.DIMENSION_MISMATCH,
            `Collection.upsert: row ${i} ('${r.id}') has ${n} floats, row 0 has ${dim}` +
            ` (collection '${this.name}' has dim ${this.dim})`);
        }
      });
      flat = new Float32Array(rows.length * dim);
      rows.forEach((r, i) => flat.set(r.vector, i * dim));
      if (rows.some((r) => r.metadata !== undefined && r.metadata !== null)) {
        metadata = rows.map((r) => jsonText(r.metadata));
      }
    } else if (rows && typeof rows === 'object') {
      ids = rows.ids ?? [];
      if (Array.isArray(rows.vectors) && rows.vectors.length && typeof rows.vectors[0] !== 'number') {
        dim = rows.vectors[0].length;
        flat = new Float32Array(ids.length * dim);
        rows.vectors.forEach((v, i) => {
          if (v.length !== dim) {
            throw jsError(Status.DIMENSION_MISMATCH,
              `Collection.upsert: row ${i} has ${v.length} floats, row 0 has ${dim}`);
          }
          flat.set(v, i * dim);
        });
      } else {
        flat = toFloat32(rows.vectors ?? []);
        dim = ids.length ? flat.length / ids.length : this.dim;
        if (!Number.isInteger(dim)) {
          throw jsError(Status.DIMENSION_MISMATCH,
            `Collection.upsert: ${flat.length} floats for ${ids.length} ids is not a whole dim`);
        }
      }
      if (rows.metadata) metadata = rows.metadata.map(jsonText);
    } else {
      throw jsError(Status.INVALID_ARGUMENT, 'Collection.upsert: rows must be an array or {ids, vectors}');
    }
    const s = new Scratch(kit._M);
    try {
      kit._check(kit._M._ek_collection_upsert(p, s.struct('ek_upsert_batch', {
        count: ids.length,
        ids: s.strArray(idList(ids, 'Collection.upsert: ids'), 'Collection.upsert: ids'),
        vectors: s.f32(flat),
        dim,
        metadata_json: metadata ? s.strArray(metadata, 'Collection.upsert: metadata') : 0,
      })));
      this._store._wrote();
    } finally {
      s.free();
    }
  }

  /** The row stored under `id`: { vector: Float32Array, metadata: object | null }.
   * EmbedkitError NOT_FOUND if there is none. */
  get(id) {
    const kit = this._kit;
    const M = kit._M;
    const p = this._p('get');
    const s = new Scratch(M);
    try {
      const buf = s.alloc(this.dim * 4);
      const outDim = s.u32(1);
      const outMeta = s.u32(1);
      kit._check(M._ek_collection_get(p, s.str(idList([id], 'Collection.get: id')[0], 'Collection.get: id'),
        buf, this.dim, outDim, outMeta));
      const dim = M.HEAPU32[outDim >> 2];
      const metaPtr = M.HEAPU32[outMeta >> 2];
      const metadata = metaPtr ? M.UTF8ToString(metaPtr) : null;
      if (metaPtr) M._ek_string_free(metaPtr);
      return { vector: M.HEAPF32.slice(buf >> 2, (buf >> 2) + dim), metadata: parseJson(metadata) };
    } finally {
      s.free();
    }
  }

  /** Deletes rows by id (one id or an array); returns how many existed. */
  delete(ids) {
    const kit = this._kit;
    const list = idList(Array.isArray(ids) ? ids : [ids], 'Collection.delete: ids');
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_collection_delete(this._p('delete'), s.strArray(list, 'Collection.delete: ids'),
        list.length, out));
      this._store._wrote();
      return kit._M.HEAPU32[out >> 2];
    } finally {
      s.free();
    }
  }

  /**
   * Top-k search: exact for an exact f32 collection, otherwise as docs/storage.md
   * "Indexes" says. `queries`: one vector (Float32Array or number[]), several
   * queries as one Float32Array of n x dim floats, or an array of vectors.
   * options: { k = 10, filter (object or JSON text), includeMetadata = false, and the
   * index knobs of ek_collection_search_with: ef (hnsw beam, 0 = the collection's),
   * exact (scan the f32 originals: the recall baseline), rescore (0 = the
   * collection's, 1 = none) }. Returns Results (free them).
   */
  search(queries, options = {}) {
    const kit = this._kit;
    const p = this._p('search');
    let flat;
    let n;
    let dim;
    if (Array.isArray(queries) && queries.length && typeof queries[0] !== 'number') {
      dim = queries[0].length;
      n = queries.length;
      flat = new Float32Array(n * dim);
      queries.forEach((q, i) => {
        if (q.length !== dim) {
          throw jsError(Status.DIMENSION_MISMATCH,
            `Collection.search: query ${i} has ${q.length} floats, query 0 has ${dim}`);
        }
        flat.set(q, i * dim);
      });
    } else {
      flat = queries === null || queries === undefined ? null : toFloat32(queries);
      if (flat && flat.length > 0 && flat.length % this.dim === 0) {
        dim = this.dim;
        n = flat.length / dim;
      } else {
        dim = flat ? flat.length : this.dim;
        n = 1;
      }
    }
    const M = kit._M;
    const s = new Scratch(M);
    try {
      const out = s.u32(1);
      const queriesArg = flat ? s.f32(flat) : 0;
      const searchOptions = s.struct('ek_search_options', {
        k: u32(options.k ?? 0, 'Collection.search: k'),
        filter_json: s.str(jsonText(options.filter), 'Collection.search: filter'),
        include_metadata: options.includeMetadata ? 1 : 0,
      }, M._ek_search_options_init);
      const indexed = options.ef !== undefined || options.exact !== undefined ||
        options.rescore !== undefined;
      kit._check(indexed
        ? M._ek_collection_search_with(p, queriesArg, n, dim, searchOptions,
          s.struct('ek_index_search_options', {
            ef: u32(options.ef ?? 0, 'Collection.search: ef'),
            exact: options.exact ? 1 : 0,
            rescore: u32(options.rescore ?? 0, 'Collection.search: rescore'),
          }), out)
        : M._ek_collection_search(p, queriesArg, n, dim, searchOptions, out));
      return this._context._adopt(new Results(kit, M.HEAPU32[out >> 2], this._context));
    } finally {
      s.free();
    }
  }

  /** (Re)builds the index in one transaction (ek_collection_index_build): without
   * options with the current ones; with options (as createCollection's; missing =
   * the default) the kind, element and parameters all change. Progress goes to the
   * context's onProgress (task "index build"); a cancel fails it with CANCELLED and
   * the previous index stays. */
  buildIndex(options = null) {
    const kit = this._kit;
    const p = this._p('buildIndex');
    const s = new Scratch(kit._M);
    try {
      // No options: NULL, the collection's current ones.
      kit._check(kit._M._ek_collection_index_build(p, options === null || options === undefined
        ? 0 : collectionOptions(s, options, 'Collection.buildIndex')));
      this._store._wrote();
    } finally {
      s.free();
    }
  }

  /** Rebuilds the index densely and VACUUMs the store file; returns the bytes freed. */
  compactIndex() {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.alloc(8);
      kit._check(kit._M._ek_collection_index_compact(this._p('compactIndex'), out));
      this._store._wrote();
      return readU64(kit._M, out);
    } finally {
      s.free();
    }
  }

  /** { index, element, m, efConstruction, efSearch, rescore, building, bytesPerVector }
   * (ek_collection_index_info_get); index and element as names. */
  indexInfo() {
    const kit = this._kit;
    const M = kit._M;
    const s = new Scratch(M);
    try {
      const out = s.struct('ek_index_info');
      kit._check(M._ek_collection_index_info_get(this._p('indexInfo'), out));
      const info = readStruct(M, 'ek_index_info', out);
      return {
        index: INDEX_NAMES[info.index] ?? info.index,
        element: ELEMENT_NAMES[info.element] ?? info.element,
        m: info.m,
        efConstruction: info.ef_construction,
        efSearch: info.ef_search,
        rescore: info.rescore,
        building: info.index_state === 1,
        bytesPerVector: info.bytes_per_vector,
      };
    } finally {
      s.free();
    }
  }

  /** Rows in insertion order as one result set (scores 0).
   * options: { offset = 0, limit = 0 (all), includeMetadata = false }. */
  list(options = {}) {
    const kit = this._kit;
    const s = new Scratch(kit._M);
    try {
      const out = s.u32(1);
      kit._check(kit._M._ek_collection_list(this._p('list'), u32(options.offset ?? 0, 'Collection.list: offset'),
        u32(options.limit ?? 0, 'Collection.list: limit'), options.includeMetadata ? 1 : 0, out));
      return this._context._adopt(new Results(kit, kit._M.HEAPU32[out >> 2], this._context));
    } finally {
      s.free();
    }
  }
}
addDispose(Collection.prototype, 'free');

/** Hits of a search or a listing. */
export class Results extends Child {
  constructor(kit, ptr, context) {
    super(kit, ptr, 'Results', context);
  }
  _destroy(p) {
    this._kit._M._ek_results_free(p);
  }

  /** Number of queries. */
  get queryCount() {
    return this._kit._M._ek_results_query_count(this._p('queryCount')) >>> 0;
  }

  /** Hits of query `query` (<= k). */
  hitCount(query = 0) {
    return this._kit._M._ek_results_hit_count(this._p('hitCount'), u32(query, 'Results.hitCount: query')) >>> 0;
  }

  /** Hit `rank` (0 = best) of query `query`: { id, score, metadata }. */
  hit(query, rank) {
    const kit = this._kit;
    const M = kit._M;
    const s = new Scratch(M);
    try {
      const hit = resultsHit(kit, this._p('hit'), u32(query, 'Results.hit: query'),
        u32(rank, 'Results.hit: rank'), s.struct('ek_hit'));
      return { id: hit.id, score: hit.score, metadata: parseJson(hit.json) };
    } finally {
      s.free();
    }
  }

  /** Every hit of query `query`, best first. */
  hits(query = 0) {
    const n = this.hitCount(query);
    const list = [];
    for (let r = 0; r < n; ++r) list.push(this.hit(query, r));
    return list;
  }

  /** Hits of every query: an array per query. */
  toArray() {
    const out = [];
    for (let q = 0; q < this.queryCount; ++q) out.push(this.hits(q));
    return out;
  }
}
addDispose(Results.prototype, 'free');
