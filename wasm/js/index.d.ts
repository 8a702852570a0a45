// Type declarations of the embedkit JavaScript package (hand-written; see index.js).
// The ABI's enums come from the generated abi_gen.d.ts.

import type { ek_element_type, ek_index_kind, ek_log_level, ek_metric, ek_status } from './abi_gen.js';

/** Status codes of the C API (abi/include/embedkit/types.h): the generated ek_status with
 * the ERR_ prefix dropped (ERR_NOT_FOUND -> NOT_FOUND), as heap.js builds it. */
export declare const Status: Readonly<{
  [K in keyof typeof ek_status as K extends `ERR_${infer Name}` ? Name : K]: (typeof ek_status)[K];
}>;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Distance metrics: cosine similarity and inner product (higher is closer), squared
 * L2 distance (lower is closer). */
export declare const Metric: typeof ek_metric;
export type MetricName = Lowercase<keyof typeof ek_metric>;

/** Index kinds and element types (ABI 1.2; docs/storage.md "Indexes"). */
export declare const IndexKind: typeof ek_index_kind;
export type IndexKindName = Lowercase<keyof typeof ek_index_kind>;
export declare const ElementType: typeof ek_element_type;
export type ElementTypeName = Lowercase<keyof typeof ek_element_type>;

export declare const LogLevel: typeof ek_log_level;
export type LogLevelName = Lowercase<keyof typeof ek_log_level>;

/** Thrown by every failing call. */
export declare class EmbedkitError extends Error {
  readonly name: 'EmbedkitError';
  /** The ek_status code. */
  readonly status: number;
  /** Its constant name, e.g. "EK_ERR_NOT_FOUND". */
  readonly statusName: string;
  /** ek_last_error(): names the function, the argument and the reason. */
  readonly message: string;
}

/** A vector: Float32Array preferred; number arrays are converted. */
export type Vector = Float32Array | ArrayLike<number>;
/** Metadata or a filter: a plain object (sent as JSON) or JSON text. */
export type Json = Record<string, unknown> | string;
/** A key/value entry as Store.kvGet gives it: bytes for a blob, the parsed value for JSON. */
export type KvValue = Uint8Array | string | number | boolean | null | KvValue[] | { [key: string]: KvValue };

export interface LoadOptions {
  /** The module's bytes; skips loading dist/embedkit_core.wasm. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Browsers: URL of embedkit_core.wasm (default: dist/ next to index.js). */
  wasmUrl?: string | URL;
  /** Receivers of the module's stdout/stderr (default: console). */
  print?: (line: string) => void;
  printErr?: (line: string) => void;
}

export interface ContextOptions {
  /** "auto" (default), "cpu" or "cuda" ("cuda" fails with UNSUPPORTED in WASM). */
  backend?: string;
  /** Worker threads; the WASM build runs on the calling thread only (reports 1). */
  numThreads?: number;
  /** Messages up to this level go to onLog (default "warn"). */
  logLevel?: LogLevelName | number;
  /** Receives log lines; without it they go to the module's stderr (console). */
  onLog?: (level: LogLevelName, message: string) => void;
  /** ':'-separated folders to scan for plugin modules (none by default). */
  pluginPath?: string;
  /** false: do not register the plugins built into the module. */
  bundledPlugins?: boolean;
}

export interface ContextInfo {
  backend: string;
  /** SIMD target in use: "WASM" (SIMD128) in this build. */
  simdTarget: string;
  numThreads: number;
  abiVersion: number;
  pluginCount: number;
}

export interface PluginInfo {
  id: string;
  name: string;
  version: string;
  vendor: string | null;
  description: string | null;
  /** Extension ids, e.g. "ek.encoder/1". */
  extensions: string[];
  /** File it was loaded from; null when built in. */
  path: string | null;
  abiVersion: number;
}

export interface StoreOptions {
  readOnly?: boolean;
  /** Fail with IO instead of creating the file. */
  mustExist?: boolean;
  /** Wait this long on a lock (0 = 5000 ms). */
  busyTimeoutMs?: number;
}

export interface CollectionInfo {
  name: string;
  dim: number;
  metric: MetricName;
  count: number;
}

/** ek_collection_options: how a collection is indexed and stored in memory. A missing
 *  field is the library's default. */
export interface CollectionOptions {
  /** 'exact' (default: scan every row) or 'hnsw' (graph; answers from the graph once
   *  the collection holds >= 4096 rows, below that it scans exactly). */
  index?: IndexKindName | number;
  /** hnsw links per node, 2..255 (default 16). */
  m?: number;
  /** hnsw build beam, 1..65536 (default 200). */
  efConstruction?: number;
  /** hnsw default search beam, 1..65536 (default 64). */
  efSearch?: number;
  /** What scans and the graph traverse (default 'f32'); the f32 originals always stay. */
  element?: ElementTypeName | number;
  /** Default oversampling factor re-ranked with the f32 originals, 1..1024 (1 = none). */
  rescore?: number;
  /** hnsw: store rows only (searches scan exactly) until buildIndex(): the fastest import. */
  deferBuild?: boolean;
}

/** ek_index_info. */
export interface IndexInfo {
  index: IndexKindName;
  element: ElementTypeName;
  /** 0 for exact. */
  m: number;
  efConstruction: number;
  efSearch: number;
  rescore: number;
  /** Rows not yet in the graph (deferBuild): searches scan exactly until buildIndex(). */
  building: boolean;
  /** Resident bytes per row once loaded: vector or code, graph links, fixed overheads. */
  bytesPerVector: number;
}

export interface Row {
  id: string;
  vector: Vector;
  metadata?: Json | null;
}

export interface Columns {
  ids: string[];
  /** ids.length x dim floats, row-major, or one vector per id. */
  vectors: Float32Array | ArrayLike<number> | Vector[];
  metadata?: Array<Json | null | undefined>;
}

export interface SearchOptions {
  /** Hits per query, 1 or more, no upper limit: a query gets at most as many hits as
   *  rows the filter allows (default 10). */
  k?: number;
  /** Only rows whose metadata matches: equality (`{lang: "en"}`) or operators
   *  (`{year: {$gte: 2000}}`, `$in`, `$prefix`, `$null`, `$or`, ...; docs/storage.md). */
  filter?: Json | null;
  includeMetadata?: boolean;
  /** hnsw beam (0 = the collection's efSearch; raised to k). */
  ef?: number;
  /** Exact scan of the f32 originals: the recall baseline of an indexed collection. */
  exact?: boolean;
  /** Oversampling factor re-ranked with the f32 originals, 0..1024 (0 = the
   *  collection's, 1 = none). */
  rescore?: number;
}

export interface ListOptions {
  offset?: number;
  /** 0 = all. */
  limit?: number;
  includeMetadata?: boolean;
}

export interface Hit {
  id: string;
  score: number;
  /** Parsed metadata; null unless requested and present. */
  metadata: Record<string, unknown> | null;
}

export interface MemoryReport {
  /** Size of the WebAssembly memory in bytes (grows, never shrinks). */
  heapBytes: number;
  /** Bytes currently allocated by malloc inside the module. */
  mallocBytes: number;
}

declare abstract class Handle {
  /** True once freed. */
  readonly freed: boolean;
}

/** The loaded WebAssembly module. Every load() gives a new, independent instance. */
export declare class Embedkit {
  static load(options?: LoadOptions): Promise<Embedkit>;
  /** Library version, e.g. "0.1.0". */
  readonly version: string;
  /** EK_ABI_VERSION: (major << 16) | minor. */
  readonly abiVersion: number;
  /** Emscripten's virtual file system (FS.readFile, FS.writeFile, ...). */
  readonly FS: any;
  memory(): MemoryReport;
  statusName(status: number): string;
  createContext(options?: ContextOptions): Context;
  /** Node only: maps host folder hostDir at mountPoint (default "/nodefs"). */
  mountNode(hostDir: string, mountPoint?: string): string;
  /** Browsers: mounts an IndexedDB-backed folder (default "/idb") and loads it. */
  mountIndexedDB(mountPoint?: string): Promise<string>;
  /** Writes IndexedDB-backed folders back (no-op without any). */
  sync(): Promise<void>;
}

export declare class Context extends Handle {
  info(): ContextInfo;
  plugins(): PluginInfo[];
  plugin(id: string): PluginInfo;
  /** Loading modules needs dlopen, which the WASM package lacks: NOT_A_PLUGIN. */
  loadPlugin(path: string): string;
  createInstance(pluginId: string, config?: Json | null): Instance;
  /** ':memory:' (default) or a path in the virtual file system. */
  openStore(path?: string, options?: StoreOptions): Store;
  /** fn returns true to cancel; null clears. */
  onProgress(fn: ((task: string, done: number, total: number) => boolean | void) | null): void;
  cancel(): void;
  resetCancel(): void;
  /** Frees everything still open under the context, then the context. */
  free(): void;
  [Symbol.dispose](): void;
}

export declare class Instance extends Handle {
  hasExtension(id: string): boolean;
  encoderDim(): number;
  /** items.length x encoderDim() floats, row-major. */
  encode(items: string[]): Float32Array;
  /** "ek.classifier/1" (embedkit.text_classify); throws EK_ERR_UNSUPPORTED otherwise. */
  classifier(): Classifier;
  /** "ek.matcher/1" (embedkit.table_match). */
  matcher(): Matcher;
  /** "ek.recommender/1" + "ek.unlearner/1" (embedkit.rec_unlearn). */
  recommender(): Recommender;
  /** "ek.vsa_probe/1" (embedkit.vsa_json). */
  vsaProbe(): VsaProbe;
  free(): void;
  [Symbol.dispose](): void;
}

// ---- plugin extensions (wasm/js/extensions.js); they borrow their Instance ----------

/** Labels: { name: keywords[] }, { labels: {...} }, or { name: { keywords, description } }. */
export type LabelSpec =
  | Record<string, string[] | { keywords?: string[]; description?: string }>
  | { labels: Record<string, string[]> }
  | string;

export interface LabelInfo {
  name: string;
  knownKeywords: number;
  totalKeywords: number;
  /** Documents averaged into the label vector. */
  documents: number;
  /** false: no known keyword, never predicted. */
  active: boolean;
}

export interface Prediction {
  /** Label name, or null for an empty document (no known word). */
  label: string | null;
  /** Label index, -1 for none. */
  index: number;
  /** max of softmax(cosine * scale). */
  confidence: number;
  /** Cosine per label (with { scores: true }). */
  scores?: Float32Array;
}

export declare class Classifier {
  readonly instance: Instance;
  setLabels(labels: LabelSpec): void;
  /** The "host" embedder (config { embedder: 'host' }): texts.length vectors of `dim`
   * numbers, as rows or one flat array. Called synchronously during fit/predict/embed;
   * what it throws fails that call (EmbedkitError PLUGIN, `cause`: the thrown value). */
  setEmbedder(embed: (texts: string[]) => ArrayLike<number>[] | ArrayLike<number>, dim: number): void;
  fit(documents: string[]): void;
  shape(): { labels: number; dim: number };
  labels(): LabelInfo[];
  predict(documents: string[], options?: { scores?: boolean }): Prediction[];
  /** The fitted documents [first, first + count) (count: through the last one). */
  predictFitted(first?: number, count?: number | null, options?: { scores?: boolean }): Prediction[];
  /** documents.length x dim, row-major. */
  embed(documents: string[]): Float32Array;
  /** count x dim, row-major: the fitted documents [first, first + count). */
  fittedVectors(first: number, count: number): Float32Array;
  labelVectors(): { labels: Float32Array; seeds: Float32Array };
  info(): Record<string, unknown>;
  save(store: Store, model: string): void;
  load(store: Store, model: string): void;
}

export type MatcherSide = 'source' | 'target';
export type MatcherFormat = 'auto' | 'schema_json' | 'sql_ddl' | 'glossary_json' | 'glossary_csv';

export interface MatchCandidate {
  id: string;
  table: string;
  name: string;
  /** Final score in [0, 1]. */
  score: number;
  model_score: number;
  judge?: number;
  /** Above the threshold (and assigned, in 1:1 mode). */
  match: boolean;
  signals: Record<string, number>;
  /** Each signal's share of the model's logit. */
  contributions: Record<string, number>;
}

export interface MatchResult {
  model: string;
  threshold: number;
  mode: '1:n' | '1:1';
  signals: string[];
  columns: { id: string; table: string; name: string; candidates: MatchCandidate[] }[];
  warnings?: string[];
}

export declare class Matcher {
  readonly instance: Instance;
  load(side: MatcherSide, text: string | object, format?: MatcherFormat): void;
  loadSource(text: string | object, format?: MatcherFormat): void;
  loadTarget(text: string | object, format?: MatcherFormat): void;
  clear(side: MatcherSide): void;
  count(side: MatcherSide): number;
  /** The loaded columns/entries of a side, in load order ("" where absent). */
  columns(side: MatcherSide): { id: string; table: string; name: string; type: string;
    description: string; tableDescription: string; synonyms: string }[];
  /** The signals the model combines, in the order of a candidate's signals. */
  signalNames(): string[];
  addAbbreviations(map: Record<string, string>): void;
  /** Plugs in a language model (null, or neither callback: clears the hooks). The
   * callbacks run synchronously during match(); what they throw fails it (EmbedkitError
   * PLUGIN, `cause`: the thrown value). */
  setLlmHooks(hooks?: LlmHooks | null): void;
  match(options?: { topK?: number; mode?: '1:n' | '1:1' | 'one_to_many' | 'one_to_one';
    threshold?: number; maxMatches?: number; useLlm?: boolean }): MatchResult;
}

/** A source column or target entry as the LLM hooks see it (Matcher.columns rows). */
export interface MatcherColumn {
  id: string; table: string; name: string; type: string;
  description: string; tableDescription: string; synonyms: string;
}

export interface LlmHooks {
  /** Extra text describing a source column, added to its description before matching. */
  generateContext?: ((column: MatcherColumn) => string) | null;
  /** Probability in [0, 1] that the column and the candidate mean the same. */
  judge?: ((column: MatcherColumn, candidate: MatcherColumn) => number) | null;
  /** Candidates judged per column (0 = 5). */
  judgeTopN?: number;
  /** Score = (1 - w) * model score + w * probability; in (0, 1], 0 = 0.5. */
  judgeWeight?: number;
  /** Bytes offered to generateContext (0 = 4096); longer text is cut. */
  contextCapacity?: number;
}

/** A value ranked by VsaProbe.probe / probeCollection, best first. */
export interface ValueMatch<T = unknown> {
  value: T;
  /** Cosine between the unbound vector and the value's encoding. */
  score: number;
}

/** ek.vsa_probe/1 of embedkit.vsa_json: unbinding along key paths ('name.first',
 * 'tags[0]'; '' is the document), number decoding, and a store's collection of
 * documents. Vectors hold exactly `dim` numbers (else DIMENSION_MISMATCH). */
export declare class VsaProbe {
  readonly instance: Instance;
  /** The instance's encoder dim. */
  readonly dim: number;
  /** The binding matrix of `path` (transpose: its transpose, unbinding) times x. */
  bind(path: string, x: ArrayLike<number>, options?: { transpose?: boolean }): Float32Array;
  /** The unit vector a value is encoded as (before binding). */
  encodeValue(value: unknown): Float32Array;
  /** Candidates (JS values) ranked by cosine after unbinding; k: default all (<= 1024). */
  probe<T>(vector: ArrayLike<number>, path: string, candidates: T[], options?: { k?: number }):
    (ValueMatch<T> & { index: number })[];
  decodeNumber(vector: ArrayLike<number>, path: string): { value: number; confidence: number };
  /** NDJSON or a JSON array (an array is sent as JSON): count x dim, row-major. */
  encodeBatch(text: string | unknown[]): Float32Array;
  index(store: Store, collection: string, documents: (string | object)[],
    options?: { ids?: string[]; storeDocuments?: boolean }): void;
  /** Every value index() recorded at `path`, ranked; k default 5. NOT_FOUND if none. */
  probeCollection(store: Store, collection: string, vector: ArrayLike<number>, path: string,
    options?: { k?: number }): ValueMatch[];
  similar(store: Store, collection: string, document: string | object,
    options?: { k?: number; filter?: string | object | null }):
    { id: string; score: number; metadata: Record<string, unknown> | null }[];
  /** The encoding configuration index() recorded (for createInstance). NOT_FOUND if none. */
  collectionConfig(store: Store, collection: string): Record<string, unknown>;
}

export interface ForgetReport {
  interactionsRemoved: number;
  usersRemoved: number;
  itemsRemoved: number;
  epochs: number;
  seconds: number;
  requestId: string;
  /** SHA-256 (hex) of the canonical forget set, as in the ledger. */
  digest: string;
}

export declare class Recommender {
  readonly instance: Instance;
  addInteractions(rows: { user: string; item: string; weight?: number }[]): void;
  setItems(items: { id: string; categorical?: number[]; text?: string }[]): void;
  train(options?: Record<string, unknown> | null):
    { epochs: number; samples: number; seconds: number; lastLoss: number };
  recommend(user: string, options?: { k?: number; excludeSeen?: boolean }):
    { item: string; score: number }[];
  score(user: string, items: string[]): Float32Array;
  evaluate(pairs: { user: string; item: string }[], options?: { k?: number; excludeSeen?: boolean }):
    { recall: number; ndcg: number; hitRate: number; meanRank: number; users: number;
      pairs: number; pairsSkipped: number };
  stats(): { users: number; items: number; interactions: number; dim: number; layers: number;
    trained: boolean; pendingRequests: number };
  save(store: Store, name: string): void;
  load(store: Store, name: string): void;
  forget(request: {
    kind?: 'interactions' | 'users' | 'items';
    pairs?: { user: string; item: string }[];
    users?: string[];
    items?: string[];
    method?: 'mmrecun' | 'gold' | 'finetune' | 'noop';
    keepRows?: boolean;
    options?: Record<string, unknown>;
    requestId?: string;
    /** Pass over ids the model does not hold instead of throwing NotFound. */
    skipUnknown?: boolean;
  }): ForgetReport;
  purge(): number;
}

export declare class Store extends Handle {
  readonly path: string;
  /** Opens the collection when it exists with the same shape and options; other options
   *  are ALREADY_EXISTS naming the first difference (change them with buildIndex). */
  createCollection(name: string, dim: number, metric?: MetricName | number,
                   options?: CollectionOptions | null): Collection;
  openCollection(name: string): Collection;
  dropCollection(name: string): void;
  collections(): CollectionInfo[];
  /** One transaction over the following writes through this store and its
   * collections: all kept at commit(), none after rollback(). */
  begin(): void;
  commit(): void;
  rollback(): void;
  /** Runs fn in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: (store: Store) => T): T;
  /** Stores `value` under (namespace, key): bytes (Uint8Array, any ArrayBuffer view or
   * an ArrayBuffer) as a blob, anything else as JSON (JSON.stringify; INVALID_ARGUMENT
   * for undefined, a BigInt or a cycle). Joins an open transaction. */
  kvPut(namespace: string, key: string, value: unknown): void;
  /** The value: Uint8Array for a blob, the parsed value for JSON; NOT_FOUND if none. */
  kvGet(namespace: string, key: string): KvValue;
  /** Deletes (namespace, key); true if it existed. */
  kvDelete(namespace: string, key: string): boolean;
  /** Deletes the keys starting with `prefix` ('' = the whole namespace); how many. */
  kvDeletePrefix(namespace: string, prefix?: string): number;
  /** Keys starting with `prefix` in byte order; page with `after` = the last key seen. */
  kvKeys(namespace: string, prefix?: string, options?: { after?: string | null; limit?: number }): string[];
  /** Key -> value (as kvGet gives it) for the keys starting with `prefix`, in byte order. */
  kvItems(namespace: string, prefix?: string): Map<string, KvValue>;
  /** A SQL connection on this store's file: SQLite with the embedkit extension (the
   * `embedkit` virtual table, vec_* functions), read-only when the store is. Commits of
   * either connection reach the other; a transaction left open on one blocks the
   * other's writes ("database is locked"). UNSUPPORTED for an in-memory store. */
  sql(): SqlConnection;
  /** Resolves when every write so far is durable (IndexedDB); at once otherwise. */
  flush(): Promise<void>;
  /** Frees the store; resolves once its writes are durable. */
  close(): Promise<void>;
  free(): void;
  [Symbol.dispose](): void;
}

/** A value SQL returns: INTEGER as number (bigint beyond 2^53), REAL number, TEXT
 * string, BLOB Uint8Array (Float32Array for columns named in options.float32), NULL. */
export type SqlValue = number | bigint | string | Uint8Array | Float32Array | null;
/** A value bound to a parameter: bytes (any ArrayBuffer view, e.g. a Float32Array
 * vector, or an ArrayBuffer) bind as a blob; booleans as 0/1. */
export type SqlParam = null | boolean | number | bigint | string | ArrayBufferView | ArrayBuffer;

/** Thrown by a failing statement: the message is SQLite's ("embedkit: ..." for the
 * extension's own errors); status is the nearest ek_status (STORAGE for SQL errors). */
export declare class SqlError extends EmbedkitError {
  /** SQLite's extended result code (SQLITE_ERROR = 1, SQLITE_BUSY = 5, ...). */
  readonly sqliteCode: number;
  /** Its text (sqlite3_errstr). */
  readonly sqliteCodeName: string;
  /** The statement that failed, when known. */
  readonly sql: string | null;
}

/** Store.sql(): a SQLite connection on the store's file with the embedkit extension. */
export declare class SqlConnection {
  readonly closed: boolean;
  /** True while a transaction (BEGIN ...) is open on this connection. */
  readonly inTransaction: boolean;
  /** Runs every statement in order; returns { columns, values } for each statement with
   * result columns (as sql.js's exec). Stops at the first failure (SqlError). */
  exec(sql: string): { columns: string[]; values: SqlValue[][] }[];
  /** Runs one statement with parameters by position (array) or by name (object: the
   * key of :name / @name / $name); returns its rows as objects keyed by column name. */
  query(sql: string, params?: SqlParam[] | Record<string, SqlParam>,
        options?: { float32?: string[] }): Record<string, SqlValue>[];
  /** Closes the connection (an open transaction is rolled back); no-op when closed. */
  close(): void;
  free(): void;
}

export declare class Collection extends Handle {
  readonly name: string;
  readonly dim: number;
  readonly metric: MetricName;
  info(): CollectionInfo;
  count(): number;
  /** One transaction: every row is stored or none. */
  upsert(rows: Row[] | Columns): void;
  /** NOT_FOUND if no row has this id. */
  get(id: string): { vector: Float32Array; metadata: Record<string, unknown> | null };
  /** Returns how many of the ids existed. */
  delete(ids: string | string[]): number;
  /** One query, n x dim floats of queries, or an array of queries. */
  search(queries: Vector | Vector[], options?: SearchOptions): Results;
  list(options?: ListOptions): Results;
  /** (Re)builds the index in one transaction: no options = the current ones; options
   *  replace them all (missing = default). Progress: Context.onProgress, task
   *  "index build"; a cancel throws CANCELLED and keeps the previous index. */
  buildIndex(options?: CollectionOptions | null): void;
  /** Rebuilds the index densely and VACUUMs the store file; returns the bytes freed. */
  compactIndex(): number;
  indexInfo(): IndexInfo;
  free(): void;
  [Symbol.dispose](): void;
}

export declare class Results extends Handle {
  readonly queryCount: number;
  hitCount(query?: number): number;
  hit(query: number, rank: number): Hit;
  hits(query?: number): Hit[];
  toArray(): Hit[][];
  free(): void;
  [Symbol.dispose](): void;
}
