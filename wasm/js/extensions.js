// Typed wrappers of the plugin extensions (abi/include/embedkit/ext/*.h) over their
// generated low-level layer (ext_gen.js: one class per table, each member calling its
// generated C trampoline):
//   Classifier   "ek.classifier/1"   embedkit.text_classify (Lbl2Vec family)
//   Matcher      "ek.matcher/1"      embedkit.table_match
//   Recommender  "ek.recommender/1" + "ek.unlearner/1"   embedkit.rec_unlearn
// Obtain them from an instance: ctx.createInstance('embedkit.text_classify', cfg)
// .classifier(). They borrow the instance: free the instance, not the wrapper.
// Failures throw EmbedkitError with the extension's own message (its last_error).

import { EmbedkitError, Scratch, Status, jsError, jsonText, readStruct, readU64, u32 } from './heap.js';
import { CONSTANTS, STRUCTS } from './abi_gen.js';
import { ek_classifier_ext, ek_matcher_ext, ek_recommender_ext, ek_unlearner_ext } from './ext_gen.js';

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
      throw new EmbedkitError(status, M.UTF8ToString(M._ek_status_name(status)), message);
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
    return this._M._ek_instance_plugin_data(this._instance._p(`${this._what}.${method}`));
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
        const c = readStruct(M, 'ek_matcher_column', p);
        const text = (ptr) => (ptr ? M.UTF8ToString(ptr) : '');
        list.push({ id: text(c.id), table: text(c.table), name: text(c.name), type: text(c.type),
          description: text(c.description), tableDescription: text(c.table_description),
          synonyms: text(c.synonyms) });
      }
      return list;
    });
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
   * mode ('1:n' | '1:1'), threshold (default: the model's calibrated one), maxMatches }.
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
   * requestId }. Returns { interactionsRemoved, usersRemoved, itemsRemoved, epochs,
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
      const req = s.struct('ek_forget_request', { kind, method, flags: request.keepRows ? CONSTANTS.EK_FORGET_KEEP_ROWS : 0,
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
