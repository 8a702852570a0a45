// Typed wrappers of the plugin extensions (abi/include/embedkit/ext/*.h) over their
// generated low-level layer (ext_gen.js: one class per table, each member calling its
// generated C trampoline):
//   Classifier   "ek.classifier/1"   embedkit.text_classify (Lbl2Vec family)
//   Matcher      "ek.matcher/1"      embedkit.table_match
//   Recommender  "ek.recommender/1" + "ek.unlearner/1"   embedkit.rec_unlearn
//   VsaProbe     "ek.vsa_probe/1"    embedkit.vsa_json
// Obtain them from an instance: ctx.createInstance('embedkit.text_classify', cfg)
// .classifier(). They borrow the instance: free the instance, not the wrapper.
// Failures throw EmbedkitError with the extension's own message (its last_error).
//
// Callbacks (Classifier.setEmbedder, Matcher.setLlmHooks) become C function pointers
// through Emscripten's addFunction (the module links with -sALLOW_TABLE_GROWTH). They
// run synchronously inside the call that needs them; a callback that throws makes it
// return EK_ERR_PLUGIN to the plugin (a JS exception must not unwind through C++
// frames), and the call's EmbedkitError carries the thrown value as its `cause`.

import { EmbedkitError, Scratch, Status, jsError, jsonText, readStruct, readU64, u32 } from './heap.js';
import { CONSTANTS, STRUCTS } from './abi_gen.js';
import {
  ek_classifier_ext, ek_matcher_ext, ek_recommender_ext, ek_unlearner_ext, ek_vsa_probe_ext,
} from './ext_gen.js';

// wasm32 signatures of the callback types for addFunction: every argument is a pointer,
// size_t or uint32_t (i32), and each returns an ek_status (i32).
const SIG_EMBED_BATCH = 'iiiiii'; // ek_embed_batch_fn(user, texts, count, dim, out)
const SIG_CONTEXT = 'iiiiii'; // ek_matcher_context_fn(user, column, out, capacity, out_length)
const SIG_JUDGE = 'iiiii'; // ek_matcher_judge_fn(user, column, candidate, out_probability)

/** Removes the instance's callbacks from the function table; index.js calls it once
 * the instance is freed (the plugin can no longer call them). */
export function releaseCallbacks(instance) {
  for (const key of [...(instance._callbackFns?.keys() ?? [])]) keepCallbacks(instance, key, []);
}

// Registers the table slots `fns` of `instance` under `key`, removing those it replaces.
function keepCallbacks(instance, key, fns) {
  instance._callbackFns ??= new Map();
  const M = instance._kit._M;
  for (const fp of instance._callbackFns.get(key) ?? []) M.removeFunction(fp);
  if (fns.length) instance._callbackFns.set(key, fns);
  else instance._callbackFns.delete(key);
}

class Extension {
  // `Table`: the generated class of the extension's table (its static id names it).
  constructor(instance, Table, what) {
    const { id } = Table;
    if (!instance.hasExtension(id)) {
      throw jsError(Status.UNSUPPORTED,
        `${what}: the instance does not provide the extension "${id}"`);
    }
    this._instance = instance;
    this._M = instance._kit._M;
    this._what = what;
    this._t = this._table(Table);
  }

  /** The instance this wrapper borrows. */
  get instance() {
    return this._instance;
  }

  // The table object of `Table`'s extension on the instance; failures throw EmbedkitError.
  _table(Table) {
    const M = this._M;
    const fail = (status, message) => {
      const error = new EmbedkitError(status, M.UTF8ToString(M._ek_status_name(status)), message);
      const thrown = this._instance._callbackError;
      if (thrown) {
        this._instance._callbackError = null;
        error.cause = thrown.error; // what our callback threw made the call fail
      }
      throw error;
    };
    return this._with((s) => {
      const out = s.u32(1);
      this._instance._kit._check(M._ek_instance_get_extension(this._instance._p('extension'),
        s.str(Table.id, 'extension id'), out));
      return new Table(M, M.HEAPU32[out >> 2], fail);
    });
  }

  // The plugin's instance pointer (the tables' `instance` argument); throws when the
  // instance was freed, naming `method`.
  _self(method) {
    const self = this._M._ek_instance_plugin_data(this._instance._p(`${this._what}.${method}`));
    this._instance._callbackError = null; // a new call: no callback has failed in it yet
    return self;
  }

  // A C function pointer (signature `sig`) calling `fn`; a throw is kept for the
  // failing call's error and the plugin gets EK_ERR_PLUGIN.
  _callback(fn, sig) {
    const instance = this._instance;
    return this._M.addFunction((...args) => {
      try {
        fn(...args);
        return 0;
      } catch (error) {
        instance._callbackError ??= { error };
        return Status.PLUGIN;
      }
    }, sig);
  }

  // Runs `install`, the table call that registers the callbacks `fps` (made by
  // _callback; falsy entries skipped): on success they replace those kept under `key`,
  // on failure they are removed (the plugin keeps the previous ones).
  _install(key, fps, install) {
    try {
      install();
    } catch (e) {
      for (const fp of fps) if (fp) this._M.removeFunction(fp);
      throw e;
    }
    keepCallbacks(this._instance, key, fps.filter((fp) => fp));
  }

  // Runs fn(scratch) and frees the scratch allocations whatever happens.
  _with(fn) {
    const s = new Scratch(this._M);
    try {
      return fn(s);
    } finally {
      s.free();
    }
  }

  // `count` numbers of heap view `heap` (HEAPF32, HEAP32, ...) from address `p`, copied.
  _array(heap, p, count) {
    const shift = Math.log2(heap.BYTES_PER_ELEMENT);
    return heap.slice(p >> shift, (p >> shift) + count);
  }
}

// The `count` texts of an ek_string_view array, decoded from UTF-8 by their lengths.
function readViews(M, views, count) {
  const { size, fields } = STRUCTS.ek_string_view;
  const decoder = new TextDecoder();
  const texts = [];
  for (let i = 0; i < count; ++i) {
    const data = M.HEAPU32[(views + i * size + fields.data.offset) >> 2];
    const length = M.HEAPU32[(views + i * size + fields.length.offset) >> 2];
    texts.push(decoder.decode(M.HEAPU8.slice(data, data + length)));
  }
  return texts;
}

// What an embedder returned (rows, or one flat array) as count x dim floats; a
// RangeError names the shape it should have had.
function flatVectors(value, count, dim) {
  const rows = Array.isArray(value) && value.length > 0 && typeof value[0] === 'object';
  const flat = rows ? value.flatMap((row) => Array.from(row)) : Array.from(value ?? []);
  if (flat.length !== count * dim || (rows && value.length !== count)) {
    throw new RangeError(`the embedder returned ${rows ? `${value.length} rows, ` : ''}` +
      `${flat.length} numbers for ${count} texts; expected ${count} x ${dim} = ${count * dim}`);
  }
  return Float32Array.from(flat);
}

function storePtr(store, method) {
  if (!store || typeof store._p !== 'function') {
    throw jsError(Status.INVALID_ARGUMENT, `${method}: expected a Store`);
  }
  return store._p(method);
}

function stringList(list, what) {
  if (!Array.isArray(list)) throw jsError(Status.INVALID_ARGUMENT, `${what}: expected an array`);
  return list;
}

// ---- ek.classifier/1 --------------------------------------------------------------------

/** Unsupervised text classification from label keywords (docs/text_classify.md). */
export class Classifier extends Extension {
  constructor(instance) {
    super(instance, ek_classifier_ext, 'Classifier');
  }

  /** Labels as { name: [keywords...] }, { labels: {...} }, or values
   * { keywords: [...], description: '...' }; an object or JSON text. */
  setLabels(labels) {
    const self = this._self('setLabels');
    const text = jsonText(labels);
    this._with((s) => this._t.set_labels_json(self, s.str(text, 'Classifier.setLabels: labels'),
      this._M.lengthBytesUTF8(text)));
  }

  /** Plugs in the "host" embedder (config { embedder: 'host' }): any sentence encoder.
   * embed(texts) returns texts.length vectors of `dim` (1..65536) numbers: an array of
   * rows or one flat array (Float32Array or numbers). It is called synchronously
   * during fit/predict/embed; what it throws fails that call (EmbedkitError PLUGIN,
   * `cause`: the thrown value). A later call replaces it; the plugin cannot go back to
   * having none. */
  setEmbedder(embed, dim) {
    const self = this._self('setEmbedder');
    const M = this._M;
    u32(dim, 'Classifier.setEmbedder: dim');
    if (typeof embed !== 'function') {
      throw jsError(Status.INVALID_ARGUMENT, 'Classifier.setEmbedder: embed must be a function');
    }
    const fp = this._callback((_user, texts, count, d, out) => {
      const vectors = flatVectors(embed(readViews(M, texts, count)), count, d);
      M.HEAPF32.set(vectors, out >> 2);
    }, SIG_EMBED_BATCH);
    this._install('embedder', [fp], () => this._t.set_embedder(self, fp, 0, dim));
  }

  /** Fits the embedder on unlabelled documents and derives the label vectors. */
  fit(documents) {
    const self = this._self('fit');
    stringList(documents, 'Classifier.fit');
    this._with((s) => this._t.fit(self, s.views(documents, 'Classifier.fit: documents'),
      documents.length));
  }

  /** { labels: number of labels, dim: vector length } */
  shape() {
    const self = this._self('shape');
    return this._with((s) => {
      const out = s.u32(2);
      this._t.label_count(self, out);
      this._t.dim(self, out + 4);
      return { labels: this._M.HEAPU32[out >> 2], dim: this._M.HEAPU32[(out >> 2) + 1] };
    });
  }

  /** [{ name, knownKeywords, totalKeywords, documents, active }] in label order. */
  labels() {
    const self = this._self('labels');
    const { labels } = this.shape();
    return this._with((s) => {
      const list = [];
      const p = s.struct('ek_classifier_label_info');
      for (let i = 0; i < labels; ++i) {
        this._t.label_info(self, i, p);
        const info = readStruct(this._M, 'ek_classifier_label_info', p);
        list.push({ name: this._M.UTF8ToString(info.name), knownKeywords: info.known_keywords,
          totalKeywords: info.total_keywords, documents: info.documents, active: info.active !== 0 });
      }
      return list;
    });
  }

  /** Classifies new documents: [{ label (name, or null for an empty document), index
   * (-1 for none), confidence, scores? (Float32Array of cosines per label) }].
   * options.scores: include the per-label cosines (default false). */
  predict(documents, options = {}) {
    const self = this._self('predict');
    stringList(documents, 'Classifier.predict');
    const names = this.labels().map((l) => l.name);
    const n = documents.length;
    return this._with((s) => {
      const labels = s.u32(n);
      const conf = s.u32(n);
      const scores = options.scores ? s.u32(n * names.length) : 0;
      this._t.predict(self, s.views(documents, 'Classifier.predict: documents'), n, labels, conf,
        scores);
      return this._rows(names, n, labels, conf, scores);
    });
  }

  /** predict() of the fitted documents [first, first + count) from their fitted vectors
   * (count: through the last one); UNSUPPORTED after load(). */
  predictFitted(first = 0, count = null, options = {}) {
    const self = this._self('predictFitted');
    u32(first, 'Classifier.predictFitted: first');
    const n = u32(count ?? this.info().fitted_documents - first, 'Classifier.predictFitted: count');
    const names = this.labels().map((l) => l.name);
    return this._with((s) => {
      const labels = s.u32(n);
      const conf = s.u32(n);
      const scores = options.scores ? s.u32(n * names.length) : 0;
      this._t.predict_fitted(self, first, n, labels, conf, scores);
      return this._rows(names, n, labels, conf, scores);
    });
  }

  // The prediction rows of `n` documents from the label/confidence/scores arrays at
  // those addresses (scores 0: left out).
  _rows(names, n, labels, conf, scores) {
    const M = this._M;
    const out = [];
    for (let i = 0; i < n; ++i) {
      const index = M.HEAP32[(labels >> 2) + i];
      const row = { label: index >= 0 ? names[index] : null, index,
        confidence: M.HEAPF32[(conf >> 2) + i] };
      if (scores) row.scores = this._array(M.HEAPF32, scores + i * names.length * 4, names.length);
      out.push(row);
    }
    return out;
  }

  /** Vectors of the fitted documents [first, first + count): Float32Array of count x dim. */
  fittedVectors(first, count) {
    const self = this._self('fittedVectors');
    u32(first, 'Classifier.fittedVectors: first');
    u32(count, 'Classifier.fittedVectors: count');
    const { dim } = this.shape();
    return this._with((s) => {
      const out = s.alloc(count * dim * 4);
      this._t.fitted_vectors(self, first, count, out);
      return this._array(this._M.HEAPF32, out, count * dim);
    });
  }

  /** Vectors of new documents: Float32Array of documents.length x dim. */
  embed(documents) {
    const self = this._self('embed');
    stringList(documents, 'Classifier.embed');
    const { dim } = this.shape();
    return this._with((s) => {
      const out = s.alloc(documents.length * dim * 4);
      this._t.embed(self, s.views(documents, 'Classifier.embed: documents'), documents.length, out);
      return this._array(this._M.HEAPF32, out, documents.length * dim);
    });
  }

  /** { labels, seeds }: Float32Arrays of labelCount x dim (label vectors, keyword seeds). */
  labelVectors() {
    const self = this._self('labelVectors');
    const { labels, dim } = this.shape();
    return this._with((s) => {
      const a = s.alloc(labels * dim * 4);
      const b = s.alloc(labels * dim * 4);
      this._t.label_vectors(self, a, b);
      return { labels: this._array(this._M.HEAPF32, a, labels * dim),
        seeds: this._array(this._M.HEAPF32, b, labels * dim) };
    });
  }

  /** The effective configuration and fit statistics (an object). */
  info() {
    const self = this._self('info');
    return this._with((s) => {
      const needed = s.u32(1);
      try {
        this._t.info_json(self, 0, 0, needed); // asks for the length
      } catch (e) {
        if (e.status !== Status.BUFFER_TOO_SMALL) throw e;
      }
      const capacity = this._M.HEAPU32[needed >> 2] + 1;
      const text = s.alloc(capacity);
      this._t.info_json(self, text, capacity, needed);
      return JSON.parse(this._M.UTF8ToString(text));
    });
  }

  /** Saves the fitted model into `store` under collections "<model>.*". */
  save(store, model) {
    const self = this._self('save');
    this._with((s) => this._t.save(self, storePtr(store, 'Classifier.save'),
      s.str(model, 'Classifier.save: model')));
    store._wrote();
  }

  /** Loads a model saved by save() (natively or here). */
  load(store, model) {
    const self = this._self('load');
    this._with((s) => this._t.load(self, storePtr(store, 'Classifier.load'),
      s.str(model, 'Classifier.load: model')));
  }
}

// ---- ek.matcher/1 -----------------------------------------------------------------------

const SIDES = named('EK_MATCHER_', ['SOURCE', 'TARGET']);
const FORMATS = named('EK_MATCHER_FORMAT_');
const MODES = { ...named('EK_MATCHER_MODE_'), '1:n': CONSTANTS.EK_MATCHER_MODE_ONE_TO_MANY,
  '1:1': CONSTANTS.EK_MATCHER_MODE_ONE_TO_ONE };

// { lowercased name: value } of the generated header constants `prefix` + NAME, in
// value order; `only` picks names (EK_MATCHER_SOURCE/TARGET among EK_MATCHER_*).
function named(prefix, only = null) {
  const pairs = Object.entries(CONSTANTS).filter(([k]) => k.startsWith(prefix) &&
    (only ? only.includes(k.slice(prefix.length)) : true));
  pairs.sort((a, b) => a[1] - b[1]);
  return Object.fromEntries(pairs.map(([k, v]) => [k.slice(prefix.length).toLowerCase(), v]));
}

function code(table, value, what) {
  if (typeof value === 'number') return value;
  const c = table[String(value).toLowerCase()];
  if (c === undefined) {
    throw jsError(Status.INVALID_ARGUMENT,
      `${what}: unknown value '${value}' (one of ${Object.keys(table).join(', ')})`);
  }
  return c;
}

// The ek_matcher_column at `p` as { id, table, name, type, description,
// tableDescription, synonyms } ("" where the input had none).
function readColumn(M, p) {
  const c = readStruct(M, 'ek_matcher_column', p);
  const text = (ptr) => (ptr ? M.UTF8ToString(ptr) : '');
  return { id: text(c.id), table: text(c.table), name: text(c.name), type: text(c.type),
    description: text(c.description), tableDescription: text(c.table_description),
    synonyms: text(c.synonyms) };
}

// `text` as UTF-8 into `capacity` bytes at `out` (cut at a character boundary);
// returns the bytes written.
function writeTruncated(M, text, out, capacity) {
  let bytes = new TextEncoder().encode(String(text ?? ''));
  if (bytes.length > capacity) {
    let n = capacity;
    while (n > 0 && (bytes[n] & 0xc0) === 0x80) --n; // bytes[n] continues a character
    bytes = bytes.subarray(0, n);
  }
  M.HEAPU8.set(bytes, out);
  return bytes.length;
}

/** Table metadata to glossary (or schema to schema) matching (docs/table_match.md). */
export class Matcher extends Extension {
  constructor(instance) {
    super(instance, ek_matcher_ext, 'Matcher');
  }

  /** Adds columns (side 'source') or glossary entries / target columns (side
   * 'target') parsed from `text`; format 'auto' | 'schema_json' | 'sql_ddl' |
   * 'glossary_json' | 'glossary_csv'. Objects are sent as JSON. */
  load(side, text, format = 'auto') {
    const self = this._self('load');
    const body = jsonText(text);
    this._with((s) => this._t.load(self, code(SIDES, side, 'Matcher.load side'),
      s.str(body, 'Matcher.load: text'), this._M.lengthBytesUTF8(body),
      code(FORMATS, format, 'Matcher.load format')));
  }

  loadSource(text, format = 'auto') {
    this.load('source', text, format);
  }

  loadTarget(text, format = 'auto') {
    this.load('target', text, format);
  }

  /** Empties a side. */
  clear(side) {
    this._t.clear(this._self('clear'), code(SIDES, side, 'Matcher.clear side'));
  }

  /** Number of columns/entries loaded on a side. */
  count(side) {
    const self = this._self('count');
    return this._with((s) => {
      const out = s.u32(1);
      this._t.count(self, code(SIDES, side, 'Matcher.count side'), out);
      return this._M.HEAPU32[out >> 2];
    });
  }

  /** The columns/entries loaded on a side, in load order: [{ id, table, name, type,
   * description, tableDescription, synonyms }] ("" where the input had none). */
  columns(side) {
    const self = this._self('columns');
    const M = this._M;
    const which = code(SIDES, side, 'Matcher.columns side');
    const n = this.count(which);
    return this._with((s) => {
      const p = s.struct('ek_matcher_column');
      const list = [];
      for (let i = 0; i < n; ++i) {
        this._t.column(self, which, i, p);
        list.push(readColumn(M, p));
      }
      return list;
    });
  }

  /** Plugs in a language model; null (or neither callback) clears the hooks.
   * hooks: { generateContext(column) -> string: extra text describing a source column
   * (columns() rows), added to its description before matching; judge(column,
   * candidate) -> probability in [0, 1] that both mean the same, for the judgeTopN
   * (0 = 5) best candidates of each column, whose score becomes (1 - judgeWeight) *
   * model score + judgeWeight * probability (judgeWeight in (0, 1], 0 = 0.5);
   * contextCapacity: bytes offered to generateContext (0 = 4096; longer text is cut) }.
   * The callbacks run synchronously during match(); what they throw fails it
   * (EmbedkitError PLUGIN, `cause`: the thrown value). */
  setLlmHooks(hooks = null) {
    const self = this._self('setLlmHooks');
    const M = this._M;
    const { generateContext = null, judge = null } = hooks ?? {};
    if (!generateContext && !judge) {
      this._install('llm', [], () => this._t.set_llm_hooks(self, 0));
      return;
    }
    const options = {
      judge_top_n: u32(hooks.judgeTopN ?? 0, 'Matcher.setLlmHooks: judgeTopN'),
      judge_weight: hooks.judgeWeight ?? 0,
      context_capacity: u32(hooks.contextCapacity ?? 0, 'Matcher.setLlmHooks: contextCapacity'),
    };
    const context = generateContext && this._callback((_user, column, out, capacity, length) => {
      M.HEAPU32[length >> 2] = writeTruncated(M, generateContext(readColumn(M, column)), out,
        capacity);
    }, SIG_CONTEXT);
    const judged = judge && this._callback((_user, column, candidate, probability) => {
      M.HEAPF32[probability >> 2] = judge(readColumn(M, column), readColumn(M, candidate));
    }, SIG_JUDGE);
    this._install('llm', [context, judged], () => this._with((s) => this._t.set_llm_hooks(self,
      s.struct('ek_matcher_llm_hooks', { ...options, generate_context: context || 0,
        judge: judged || 0 }))));
  }

  /** The signals the model combines, in the order of a candidate's signals. */
  signalNames() {
    const self = this._self('signalNames');
    const names = [];
    for (let i = 0; i < this._t.signal_count(self); ++i) {
      names.push(this._M.UTF8ToString(this._t.signal_name(self, i)));
    }
    return names;
  }

  /** User abbreviations { abbr: 'expansion words' } (take precedence over built-ins). */
  addAbbreviations(map) {
    const self = this._self('addAbbreviations');
    const text = jsonText(map);
    this._with((s) => this._t.add_abbreviations(self,
      s.str(text, 'Matcher.addAbbreviations: abbreviations'), this._M.lengthBytesUTF8(text)));
  }

  /** Matches every source column against every target. options: { topK (default 5),
   * mode ('1:n' | '1:1'), threshold (default: the model's calibrated one), maxMatches,
   * useLlm (default true: call the hooks of setLlmHooks, if any) }.
   * Returns { model, threshold, mode, signals, columns: [{ id, table, name,
   * candidates: [{ id, table, name, score, model_score, match, signals,
   * contributions }] }] }. */
  match(options = {}) {
    const self = this._self('match');
    const M = this._M;
    const t = this._t;
    return this._with((s) => {
      // 0 (topK, maxMatches) and a negative threshold keep the plugin's defaults.
      const o = s.struct('ek_matcher_options', {
        top_k: u32(options.topK ?? 0, 'Matcher.match: topK'),
        mode: code(MODES, options.mode ?? '1:n', 'Matcher.match mode'),
        threshold: options.threshold ?? -1,
        max_matches: u32(options.maxMatches ?? 0, 'Matcher.match: maxMatches'),
        use_llm: options.useLlm === false ? 0 : 1,
      }, (p) => t.options_init(p));
      const out = s.u32(1);
      t.match(self, o, out);
      const result = M.HEAPU32[out >> 2];
      try {
        const status = t.result_json(result, out);
        if (status !== 0) throw jsError(status, 'could not serialise the match result');
        const text = M.HEAPU32[out >> 2];
        try {
          return JSON.parse(M.UTF8ToString(text));
        } finally {
          t.free_text(text);
        }
      } finally {
        t.result_free(result);
      }
    });
  }
}

// ---- ek.recommender/1 + ek.unlearner/1 -------------------------------------------------

const FORGET_KINDS = named('EK_FORGET_', ['INTERACTIONS', 'USERS', 'ITEMS']);
const UNLEARN_METHODS = named('EK_UNLEARN_');

/** BPR recommender with unlearning (docs/rec_unlearn.md). */
export class Recommender extends Extension {
  constructor(instance) {
    super(instance, ek_recommender_ext, 'Recommender');
  }

  /** Adds interactions: [{ user, item, weight? }] (duplicates merge; last weight wins). */
  addInteractions(rows) {
    const self = this._self('addInteractions');
    stringList(rows, 'Recommender.addInteractions');
    const weighted = rows.some((r) => r.weight !== undefined);
    this._with((s) => this._t.add_interactions(self, s.struct('ek_rec_interactions', {
      count: rows.length,
      users: s.strArray(rows.map((r) => String(r.user)), 'Recommender.addInteractions: users'),
      items: s.strArray(rows.map((r) => String(r.item)), 'Recommender.addInteractions: items'),
      weights: weighted ? s.f32(rows.map((r) => (r.weight === undefined ? 1 : r.weight))) : 0,
    })));
  }

  /** Item side features: [{ id, categorical?: number[], text?: string }]; every row
   * gives the same modalities. */
  setItems(items) {
    const self = this._self('setItems');
    stringList(items, 'Recommender.setItems');
    const dim = items.length && items[0].categorical ? items[0].categorical.length : 0;
    const hasText = items.length > 0 && items[0].text !== undefined;
    this._with((s) => {
      let cat = 0;
      if (dim) {
        const flat = new Float32Array(items.length * dim);
        items.forEach((it, i) => {
          if (!it.categorical || it.categorical.length !== dim) {
            throw jsError(Status.DIMENSION_MISMATCH,
              `Recommender.setItems: item ${i} has ${it.categorical?.length ?? 0} categorical values, expected ${dim}`);
          }
          flat.set(it.categorical, i * dim);
        });
        cat = s.f32(flat);
      }
      const texts = hasText ? s.views(items.map((it) => it.text ?? ''), 'Recommender.setItems: texts') : 0;
      this._t.set_items(self, s.struct('ek_rec_items', { count: items.length,
        ids: s.strArray(items.map((it) => String(it.id)), 'Recommender.setItems: ids'),
        categorical: cat, categorical_dim: dim, texts }));
    });
  }

  /** Trains from scratch; options override the config for this call ({ epochs, lr,
   * seed, ... }). Returns { epochs, samples, seconds, lastLoss }. */
  train(options = null) {
    const self = this._self('train');
    return this._with((s) => {
      const r = s.struct('ek_rec_train_report');
      this._t.train(self, s.str(jsonText(options), 'Recommender.train: options'), r);
      const d = readStruct(this._M, 'ek_rec_train_report', r);
      return { epochs: d.epochs, samples: d.samples, seconds: d.seconds, lastLoss: d.last_loss };
    });
  }

  /** The k best items for `user`: [{ item, score }], best first. */
  recommend(user, options = {}) {
    const self = this._self('recommend');
    const M = this._M;
    const k = u32(options.k ?? 10, 'Recommender.recommend: k');
    return this._with((s) => {
      const items = s.u32(k);
      const scores = s.u32(k);
      const written = s.u32(1);
      this._t.recommend(self, s.str(String(user), 'Recommender.recommend: user'), k,
        options.excludeSeen === false ? 0 : 1, items, scores, written);
      const out = [];
      for (let i = 0; i < M.HEAPU32[written >> 2]; ++i) {
        out.push({ item: M.UTF8ToString(M.HEAPU32[(items >> 2) + i]),
          score: M.HEAPF32[(scores >> 2) + i] });
      }
      return out;
    });
  }

  /** Scores of `items` for `user` (Float32Array). */
  score(user, items) {
    const self = this._self('score');
    stringList(items, 'Recommender.score');
    return this._with((s) => {
      const out = s.u32(items.length);
      this._t.score(self, s.str(String(user), 'Recommender.score: user'),
        s.strArray(items.map(String), 'Recommender.score: items'), items.length, out);
      return this._array(this._M.HEAPF32, out, items.length);
    });
  }

  /** Ranking quality on held-out [{ user, item }]: { recall, ndcg, hitRate, meanRank,
   * users, pairs, pairsSkipped }. options: { k (default 20), excludeSeen (default true) }. */
  evaluate(pairs, options = {}) {
    const self = this._self('evaluate');
    stringList(pairs, 'Recommender.evaluate');
    return this._with((s) => {
      const held = s.struct('ek_rec_interactions', { count: pairs.length,
        users: s.strArray(pairs.map((r) => String(r.user)), 'Recommender.evaluate: users'),
        items: s.strArray(pairs.map((r) => String(r.item)), 'Recommender.evaluate: items') });
      const m = s.struct('ek_rec_metrics');
      this._t.evaluate(self, held, u32(options.k ?? 20, 'Recommender.evaluate: k'),
        options.excludeSeen === false ? 0 : 1, m);
      const d = readStruct(this._M, 'ek_rec_metrics', m);
      return { recall: d.recall, ndcg: d.ndcg, hitRate: d.hit_rate, meanRank: d.mean_rank,
        users: d.users, pairs: d.pairs, pairsSkipped: d.pairs_skipped };
    });
  }

  /** { users, items, interactions, dim, layers, trained, pendingRequests } */
  stats() {
    const self = this._self('stats');
    return this._with((s) => {
      const p = s.struct('ek_rec_stats');
      this._t.stats(self, p);
      const d = readStruct(this._M, 'ek_rec_stats', p);
      return { users: d.users, items: d.items, interactions: d.interactions, dim: d.dim,
        layers: d.layers, trained: d.trained !== 0, pendingRequests: d.pending_requests };
    });
  }

  /** Writes the model and data to `store` ("<name>.*") and binds the instance to it. */
  save(store, name) {
    const self = this._self('save');
    this._with((s) => this._t.save(self, storePtr(store, 'Recommender.save'),
      s.str(name, 'Recommender.save: name')));
    this._boundStore = store;
    store._wrote();
  }

  /** Reads a model written by save() and binds the instance to the store. */
  load(store, name) {
    const self = this._self('load');
    this._with((s) => this._t.load(self, storePtr(store, 'Recommender.load'),
      s.str(name, 'Recommender.load: name')));
    this._boundStore = store;
  }

  // The ek.unlearner/1 table, looked up on first use.
  _unlearner() {
    this._u ??= this._table(ek_unlearner_ext);
    return this._u;
  }

  /** Forgets what the request names (ek.unlearner/1). request: { kind: 'interactions'
   * (pairs: [{ user, item }]) | 'users' (users: [...]) | 'items' (items: [...]),
   * method: 'mmrecun' (default) | 'gold' | 'finetune' | 'noop', keepRows, options,
   * requestId, skipUnknown (pass over ids the model does not hold) }. Returns { interactionsRemoved, usersRemoved, itemsRemoved, epochs,
   * seconds, requestId, digest }. */
  forget(request) {
    const self = this._self('forget');
    const M = this._M;
    const kind = code(FORGET_KINDS, request.kind ?? 'interactions', 'Recommender.forget kind');
    const method = code(UNLEARN_METHODS, request.method ?? 'mmrecun', 'Recommender.forget method');
    let users = null;
    let items = null;
    if (kind === FORGET_KINDS.interactions) {
      const pairs = stringList(request.pairs ?? [], 'Recommender.forget pairs');
      users = pairs.map((r) => String(r.user));
      items = pairs.map((r) => String(r.item));
    } else if (kind === FORGET_KINDS.users) {
      users = stringList(request.users ?? [], 'Recommender.forget users').map(String);
    } else {
      items = stringList(request.items ?? [], 'Recommender.forget items').map(String);
    }
    const unlearner = this._unlearner();
    const result = this._with((s) => {
      const flags = (request.keepRows ? CONSTANTS.EK_FORGET_KEEP_ROWS : 0) |
        (request.skipUnknown ? CONSTANTS.EK_FORGET_SKIP_UNKNOWN : 0);
      const req = s.struct('ek_forget_request', { kind, method, flags,
        count: (users ?? items).length,
        users: users ? s.strArray(users, 'Recommender.forget: users') : 0,
        items: items ? s.strArray(items, 'Recommender.forget: items') : 0,
        options_json: s.str(jsonText(request.options ?? null), 'Recommender.forget: options'),
        request_id: s.str(request.requestId ?? null, 'Recommender.forget: requestId') });
      const rep = s.struct('ek_forget_report');
      unlearner.forget(self, req, rep);
      const d = readStruct(M, 'ek_forget_report', rep);
      const text = (field) => M.UTF8ToString(rep + STRUCTS.ek_forget_report.fields[field].offset);
      return { interactionsRemoved: d.interactions_removed, usersRemoved: d.users_removed,
        itemsRemoved: d.items_removed, epochs: d.epochs, seconds: d.seconds,
        requestId: text('request_id'), digest: text('digest') };
    });
    this._boundStore?._wrote();
    return result;
  }

  /** Removes users/items kept by keepRows; returns how many. */
  purge() {
    const self = this._self('purge');
    const unlearner = this._unlearner();
    return this._with((s) => {
      const out = s.f64(1);
      unlearner.purge(self, out);
      return readU64(this._M, out);
    });
  }
}

// ---- ek.vsa_probe/1 ---------------------------------------------------------------------

// `value` as the JSON text of one value (candidates, encodeValue).
function valueJson(value, what) {
  const text = JSON.stringify(value);
  if (text === undefined) throw jsError(Status.INVALID_ARGUMENT, `${what}: not a JSON value`);
  return text;
}

/** Reads the vectors of embedkit.vsa_json back (docs/vsa_json.md): unbinds along a key
 * path and ranks candidate values, decodes numbers, and indexes, searches and probes a
 * store's collection of documents. Paths: keys separated by '.', array positions as
 * '[i]' ('name.first', 'tags[0]'); '' is the document itself. Documents are JSON text
 * or objects; candidate values are JS values (JSON.stringify'd). Vectors hold exactly
 * `dim` numbers (else DIMENSION_MISMATCH). */
export class VsaProbe extends Extension {
  constructor(instance) {
    super(instance, ek_vsa_probe_ext, 'VsaProbe');
    /** Length of the instance's vectors (its encoder's dim). */
    this.dim = instance.encoderDim();
  }

  // A copy of `vector` in the scratch heap, after checking its length: the plugin
  // reads exactly dim floats.
  _vector(s, vector, what) {
    if (!vector || vector.length !== this.dim) {
      throw jsError(Status.DIMENSION_MISMATCH, `VsaProbe.${what}: the vector has ` +
        `${vector?.length ?? 0} numbers, the instance's dim is ${this.dim}`);
    }
    return s.f32(vector);
  }

  /** The binding matrix of `path` applied to `x` (options.transpose: its transpose,
   * i.e. unbinding), no normalisation: a Float32Array of dim. */
  bind(path, x, options = {}) {
    const self = this._self('bind');
    return this._with((s) => {
      const out = s.alloc(this.dim * 4);
      this._t.bind(self, s.str(path, 'VsaProbe.bind: path'), this._vector(s, x, 'bind'), out,
        options.transpose ? CONSTANTS.EK_VSA_BIND_TRANSPOSE : CONSTANTS.EK_VSA_BIND_FORWARD);
      return this._array(this._M.HEAPF32, out, this.dim);
    });
  }

  /** A JSON value encoded as a field value is (before binding): the unit vector a probe
   * compares against (Float32Array of dim). */
  encodeValue(value) {
    const self = this._self('encodeValue');
    return this._with((s) => {
      const out = s.alloc(this.dim * 4);
      this._t.encode_value(self, s.views([valueJson(value, 'VsaProbe.encodeValue')],
        'VsaProbe.encodeValue: value'), out);
      return this._array(this._M.HEAPF32, out, this.dim);
    });
  }

  /** Unbinds `vector` along `path` and ranks `candidates` (values) by cosine: the best
   * options.k (default all, at most 1024) as [{ index, value, score }], best first (ties
   * by lower index). */
  probe(vector, path, candidates, options = {}) {
    const self = this._self('probe');
    const M = this._M;
    stringList(candidates, 'VsaProbe.probe: candidates');
    const k = u32(options.k ?? Math.min(candidates.length, 1024), 'VsaProbe.probe: k');
    const texts = candidates.map((c, i) => valueJson(c, `VsaProbe.probe: candidates[${i}]`));
    return this._with((s) => {
      const room = Math.max(Math.min(k, candidates.length), 1);
      const index = s.u32(room);
      const score = s.u32(room);
      const written = s.u32(1);
      this._t.probe(self, this._vector(s, vector, 'probe'), s.str(path, 'VsaProbe.probe: path'),
        s.views(texts, 'VsaProbe.probe: candidates'), texts.length, k, index, score, written);
      const out = [];
      for (let i = 0; i < Math.min(M.HEAPU32[written >> 2], room); ++i) {
        const at = M.HEAPU32[(index >> 2) + i];
        out.push({ index: at, value: candidates[at], score: M.HEAPF32[(score >> 2) + i] });
      }
      return out;
    });
  }

  /** The number stored at `path` of `vector`: { value, confidence } (the confidence is
   * a cosine, near 0 when there is probably no number there). */
  decodeNumber(vector, path) {
    const self = this._self('decodeNumber');
    return this._with((s) => {
      const value = s.f64(1);
      const confidence = s.u32(1);
      this._t.decode_number(self, this._vector(s, vector, 'decodeNumber'),
        s.str(path, 'VsaProbe.decodeNumber: path'), value, confidence);
      return { value: this._M.HEAPF64[value >> 3], confidence: this._M.HEAPF32[confidence >> 2] };
    });
  }

  /** Encodes the documents of one text, NDJSON or a JSON array (an array is sent as
   * JSON): a Float32Array of count x dim (count = length / dim). */
  encodeBatch(text) {
    const self = this._self('encodeBatch');
    const M = this._M;
    const body = jsonText(text) ?? '';
    return this._with((s) => {
      const p = s.str(body, 'VsaProbe.encodeBatch: text');
      const bytes = M.lengthBytesUTF8(body);
      const count = s.u32(1);
      try {
        this._t.encode_batch(self, p, bytes, 0, 0, count); // counts; OK only for none
      } catch (e) {
        if (e.status !== Status.BUFFER_TOO_SMALL) throw e;
      }
      const floats = M.HEAPU32[count >> 2] * this.dim;
      if (floats === 0) return new Float32Array(0);
      const out = s.alloc(floats * 4);
      this._t.encode_batch(self, p, bytes, out, floats, count);
      return this._array(M.HEAPF32, out, floats);
    });
  }

  /** Encodes `documents` (JSON text or objects) and upserts them into `collection` of
   * `store` (created with the encoder's dim and cosine metric if missing), recording
   * every scalar value for probeCollection. options: { ids (default: the 0-based
   * positions as text), storeDocuments (default true: each JSON object becomes the
   * row's metadata) }. One transaction. */
  index(store, collection, documents, options = {}) {
    const self = this._self('index');
    stringList(documents, 'VsaProbe.index: documents');
    const ids = options.ids ?? null;
    if (ids && (!Array.isArray(ids) || ids.length !== documents.length)) {
      throw jsError(Status.INVALID_ARGUMENT, `VsaProbe.index: ${documents.length} documents ` +
        `but ${Array.isArray(ids) ? ids.length : 'no array of'} ids`);
    }
    this._with((s) => this._t.index(self, storePtr(store, 'VsaProbe.index'),
      s.str(collection, 'VsaProbe.index: collection'),
      s.views(documents.map((d) => jsonText(d)), 'VsaProbe.index: documents'),
      ids ? s.strArray(ids.map(String), 'VsaProbe.index: ids') : 0, documents.length,
      options.storeDocuments === false ? 0 : 1));
    store._wrote();
  }

  /** Like probe(), the candidates being every value index() recorded at `path` in
   * `collection`: the best options.k (default 5) as [{ value, score }]. NOT_FOUND if
   * none was recorded. */
  probeCollection(store, collection, vector, path, options = {}) {
    const self = this._self('probeCollection');
    return this._with((s) => {
      const out = s.u32(1);
      this._t.probe_collection(self, storePtr(store, 'VsaProbe.probeCollection'),
        s.str(collection, 'VsaProbe.probeCollection: collection'),
        this._vector(s, vector, 'probeCollection'), s.str(path, 'VsaProbe.probeCollection: path'),
        u32(options.k ?? 5, 'VsaProbe.probeCollection: k'), out);
      return this._hits(this._M.HEAPU32[out >> 2]).map((h) => ({ value: h.metadata.value,
        score: h.score }));
    });
  }

  /** The options.k (1..1024, default 10) rows of `collection` most similar to
   * `document` (cosine), optionally filtered on their metadata (options.filter, the
   * grammar of Collection.search): [{ id, score, metadata }], best first. */
  similar(store, collection, document, options = {}) {
    const self = this._self('similar');
    return this._with((s) => {
      const out = s.u32(1);
      this._t.similar(self, storePtr(store, 'VsaProbe.similar'),
        s.str(collection, 'VsaProbe.similar: collection'),
        s.views([jsonText(document)], 'VsaProbe.similar: document'),
        u32(options.k ?? 10, 'VsaProbe.similar: k'),
        s.str(jsonText(options.filter ?? null), 'VsaProbe.similar: filter'), out);
      return this._hits(this._M.HEAPU32[out >> 2]);
    });
  }

  /** The encoding configuration index() recorded with `collection` (an object): pass it
   * to createInstance('embedkit.vsa_json', config) for an instance that encodes the
   * way the collection was. NOT_FOUND if none was. */
  collectionConfig(store, collection) {
    const self = this._self('collectionConfig');
    const M = this._M;
    return this._with((s) => {
      const sp = storePtr(store, 'VsaProbe.collectionConfig');
      const name = s.str(collection, 'VsaProbe.collectionConfig: collection');
      const length = s.u32(1);
      this._t.collection_config(self, sp, name, 0, 0, length);
      const capacity = M.HEAPU32[length >> 2] + 1;
      const text = s.alloc(capacity);
      this._t.collection_config(self, sp, name, text, capacity, length);
      return JSON.parse(M.UTF8ToString(text));
    });
  }

  // The hits of the one query of the ek_results at `results`, which it frees:
  // [{ id, score, metadata }].
  _hits(results) {
    const M = this._M;
    const kit = this._instance._kit;
    try {
      return this._with((s) => {
        const hit = s.struct('ek_hit');
        const out = [];
        for (let rank = 0; rank < M._ek_results_hit_count(results, 0) >>> 0; ++rank) {
          kit._check(M._ek_results_hit(results, 0, rank, hit));
          const h = readStruct(M, 'ek_hit', hit);
          out.push({ id: M.UTF8ToString(h.id), score: h.score,
            metadata: h.metadata_json ? JSON.parse(M.UTF8ToString(h.metadata_json)) : null });
        }
        return out;
      });
    } finally {
      M._ek_results_free(results);
    }
  }
}
