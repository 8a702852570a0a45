// Typed wrappers of the plugin extensions (abi/include/embedkit/ext/*.h) over the
// flat helpers of wasm/src/ek_wasm_ext_glue.c:
//   Classifier   "ek.classifier/1"   embedkit.text_classify (Lbl2Vec family)
//   Matcher      "ek.matcher/1"      embedkit.table_match
//   Recommender  "ek.recommender/1" + "ek.unlearner/1"   embedkit.rec_unlearn
// Obtain them from an instance: ctx.createInstance('embedkit.text_classify', cfg)
// .classifier(). They borrow the instance: free the instance, not the wrapper.
// Failures throw EmbedkitError with the extension's own message.

import { EmbedkitError, Scratch, Status, jsError, jsonText, u32 } from './heap.js';

class Extension {
  constructor(instance, id, what) {
    if (!instance.hasExtension(id)) {
      throw jsError(Status.UNSUPPORTED,
        `${what}: the instance does not provide the extension "${id}"`);
    }
    this._instance = instance;
    this._kit = instance._kit;
    this._M = instance._kit._M;
    this._what = what;
  }

  /** The instance this wrapper borrows. */
  get instance() {
    return this._instance;
  }

  _p(method) {
    return this._instance._p(`${this._what}.${method}`);
  }

  _check(status) {
    if (status === 0) return;
    const M = this._M;
    throw new EmbedkitError(status, M.UTF8ToString(M._ek_status_name(status)),
      M.UTF8ToString(M._ekw_ext_error()));
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

  // Reads a malloc'd char* written at `out` and frees it.
  _takeString(out) {
    const M = this._M;
    const p = M.HEAPU32[out >> 2];
    try {
      return M.UTF8ToString(p);
    } finally {
      M._free(p);
    }
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
    super(instance, 'ek.classifier/1', 'Classifier');
  }

  /** Labels as { name: [keywords...] }, { labels: {...} }, or values
   * { keywords: [...], description: '...' }; an object or JSON text. */
  setLabels(labels) {
    const p = this._p('setLabels');
    this._with((s) => {
      const text = jsonText(labels);
      this._check(this._M._ekw_cls_set_labels_json(p, s.str(text, 'Classifier.setLabels: labels'),
        this._M.lengthBytesUTF8(text)));
    });
  }

  /** Fits the embedder on unlabelled documents and derives the label vectors. */
  fit(documents) {
    const p = this._p('fit');
    stringList(documents, 'Classifier.fit');
    this._with((s) => this._check(this._M._ekw_cls_fit(p, s.views(documents, 'Classifier.fit: documents'),
      documents.length)));
  }

  /** { labels: number of labels, dim: vector length } */
  shape() {
    const p = this._p('shape');
    return this._with((s) => {
      const out = s.u32(2);
      this._check(this._M._ekw_cls_shape(p, out));
      return { labels: this._M.HEAPU32[out >> 2], dim: this._M.HEAPU32[(out >> 2) + 1] };
    });
  }

  /** [{ name, knownKeywords, totalKeywords, documents, active }] in label order. */
  labels() {
    const p = this._p('labels');
    const M = this._M;
    const { labels } = this.shape();
    return this._with((s) => {
      const name = s.u32(1);
      const out = s.u32(4);
      const list = [];
      for (let i = 0; i < labels; ++i) {
        this._check(M._ekw_cls_label_info(p, i, name, out));
        const u = M.HEAPU32.subarray(out >> 2, (out >> 2) + 4);
        list.push({ name: M.UTF8ToString(M.HEAPU32[name >> 2]), knownKeywords: u[0],
          totalKeywords: u[1], documents: u[2], active: u[3] !== 0 });
      }
      return list;
    });
  }

  /** Classifies new documents: [{ label (name, or null for an empty document), index
   * (-1 for none), confidence, scores? (Float32Array of cosines per label) }].
   * options.scores: include the per-label cosines (default false). */
  predict(documents, options = {}) {
    const p = this._p('predict');
    const M = this._M;
    stringList(documents, 'Classifier.predict');
    const names = this.labels().map((l) => l.name);
    const n = documents.length;
    const L = names.length;
    return this._with((s) => {
      const labels = s.u32(n);
      const conf = s.u32(n);
      const scores = options.scores ? s.u32(n * L) : 0;
      this._check(M._ekw_cls_predict(p, s.views(documents, 'Classifier.predict: documents'), n, labels,
        conf, scores));
      const out = [];
      for (let i = 0; i < n; ++i) {
        const index = M.HEAP32[(labels >> 2) + i];
        const row = { label: index >= 0 ? names[index] : null, index,
          confidence: M.HEAPF32[(conf >> 2) + i] };
        if (scores) row.scores = M.HEAPF32.slice((scores >> 2) + i * L, (scores >> 2) + (i + 1) * L);
        out.push(row);
      }
      return out;
    });
  }

  /** Vectors of new documents: Float32Array of documents.length x dim. */
  embed(documents) {
    const p = this._p('embed');
    stringList(documents, 'Classifier.embed');
    const { dim } = this.shape();
    return this._with((s) => {
      const out = s.alloc(documents.length * dim * 4);
      this._check(this._M._ekw_cls_embed(p, s.views(documents, 'Classifier.embed: documents'),
        documents.length, out));
      return this._M.HEAPF32.slice(out >> 2, (out >> 2) + documents.length * dim);
    });
  }

  /** { labels, seeds }: Float32Arrays of labelCount x dim (label vectors, keyword seeds). */
  labelVectors() {
    const p = this._p('labelVectors');
    const { labels, dim } = this.shape();
    return this._with((s) => {
      const a = s.alloc(labels * dim * 4);
      const b = s.alloc(labels * dim * 4);
      this._check(this._M._ekw_cls_label_vectors(p, a, b));
      return { labels: this._M.HEAPF32.slice(a >> 2, (a >> 2) + labels * dim),
        seeds: this._M.HEAPF32.slice(b >> 2, (b >> 2) + labels * dim) };
    });
  }

  /** The effective configuration and fit statistics (an object). */
  info() {
    const p = this._p('info');
    return this._with((s) => {
      const out = s.u32(1);
      this._check(this._M._ekw_cls_info_json(p, out));
      return JSON.parse(this._takeString(out));
    });
  }

  /** Saves the fitted model into `store` under collections "<model>.*". */
  save(store, model) {
    const p = this._p('save');
    this._with((s) => this._check(this._M._ekw_cls_save(p, storePtr(store, 'Classifier.save'),
      s.str(model, 'Classifier.save: model'))));
    store._wrote();
  }

  /** Loads a model saved by save() (natively or here). */
  load(store, model) {
    const p = this._p('load');
    this._with((s) => this._check(this._M._ekw_cls_load(p, storePtr(store, 'Classifier.load'),
      s.str(model, 'Classifier.load: model'))));
  }
}

// ---- ek.matcher/1 -----------------------------------------------------------------------

const SIDES = { source: 0, target: 1 };
const FORMATS = { auto: 0, schema_json: 1, sql_ddl: 2, glossary_json: 3, glossary_csv: 4 };
const MODES = { 'one_to_many': 0, '1:n': 0, 'one_to_one': 1, '1:1': 1 };

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
    super(instance, 'ek.matcher/1', 'Matcher');
  }

  /** Adds columns (side 'source') or glossary entries / target columns (side
   * 'target') parsed from `text`; format 'auto' | 'schema_json' | 'sql_ddl' |
   * 'glossary_json' | 'glossary_csv'. Objects are sent as JSON. */
  load(side, text, format = 'auto') {
    const p = this._p('load');
    const body = jsonText(text);
    this._with((s) => this._check(this._M._ekw_match_load(p, code(SIDES, side, 'Matcher.load side'),
      s.str(body, 'Matcher.load: text'), this._M.lengthBytesUTF8(body),
      code(FORMATS, format, 'Matcher.load format'))));
  }

  loadSource(text, format = 'auto') {
    this.load('source', text, format);
  }

  loadTarget(text, format = 'auto') {
    this.load('target', text, format);
  }

  /** Empties a side. */
  clear(side) {
    this._check(this._M._ekw_match_clear(this._p('clear'), code(SIDES, side, 'Matcher.clear side')));
  }

  /** Number of columns/entries loaded on a side. */
  count(side) {
    const p = this._p('count');
    return this._with((s) => {
      const out = s.u32(1);
      this._check(this._M._ekw_match_count(p, code(SIDES, side, 'Matcher.count side'), out));
      return this._M.HEAPU32[out >> 2];
    });
  }

  /** User abbreviations { abbr: 'expansion words' } (take precedence over built-ins). */
  addAbbreviations(map) {
    const p = this._p('addAbbreviations');
    const text = jsonText(map);
    this._with((s) => this._check(this._M._ekw_match_add_abbreviations(p,
      s.str(text, 'Matcher.addAbbreviations: abbreviations'),
      this._M.lengthBytesUTF8(text))));
  }

  /** Matches every source column against every target. options: { topK (default 5),
   * mode ('1:n' | '1:1'), threshold (default: the model's calibrated one), maxMatches }.
   * Returns { model, threshold, mode, signals, columns: [{ id, table, name,
   * candidates: [{ id, table, name, score, model_score, match, signals,
   * contributions }] }] }. */
  match(options = {}) {
    const p = this._p('match');
    return this._with((s) => {
      const out = s.u32(1);
      this._check(this._M._ekw_match_run_json(p, u32(options.topK ?? 0, 'Matcher.match: topK'),
        code(MODES, options.mode ?? '1:n', 'Matcher.match mode'), options.threshold ?? -1,
        u32(options.maxMatches ?? 0, 'Matcher.match: maxMatches'), out));
      return JSON.parse(this._takeString(out));
    });
  }
}

// ---- ek.recommender/1 + ek.unlearner/1 -------------------------------------------------

const FORGET_KINDS = { interactions: 0, users: 1, items: 2 };
const UNLEARN_METHODS = { mmrecun: 0, gold: 1, finetune: 2, noop: 3 };

/** BPR recommender with unlearning (docs/rec_unlearn.md). */
export class Recommender extends Extension {
  constructor(instance) {
    super(instance, 'ek.recommender/1', 'Recommender');
  }

  /** Adds interactions: [{ user, item, weight? }] (duplicates merge; last weight wins). */
  addInteractions(rows) {
    const p = this._p('addInteractions');
    stringList(rows, 'Recommender.addInteractions');
    const weighted = rows.some((r) => r.weight !== undefined);
    this._with((s) => {
      const w = weighted ? s.f32(rows.map((r) => (r.weight === undefined ? 1 : r.weight))) : 0;
      this._check(this._M._ekw_rec_add_interactions(p, rows.length,
        s.strArray(rows.map((r) => String(r.user)), 'Recommender.addInteractions: users'),
        s.strArray(rows.map((r) => String(r.item)), 'Recommender.addInteractions: items'), w));
    });
  }

  /** Item side features: [{ id, categorical?: number[], text?: string }]; every row
   * gives the same modalities. */
  setItems(items) {
    const p = this._p('setItems');
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
      this._check(this._M._ekw_rec_set_items(p, items.length,
        s.strArray(items.map((it) => String(it.id)), 'Recommender.setItems: ids'), cat, dim, texts));
    });
  }

  /** Trains from scratch; options override the config for this call ({ epochs, lr,
   * seed, ... }). Returns { epochs, samples, seconds, lastLoss }. */
  train(options = null) {
    const p = this._p('train');
    return this._with((s) => {
      const out = s.f64(4);
      this._check(this._M._ekw_rec_train(p, s.str(jsonText(options), 'Recommender.train: options'), out));
      const d = this._M.HEAPF64.subarray(out >> 3, (out >> 3) + 4);
      return { epochs: d[0], samples: d[1], seconds: d[2], lastLoss: d[3] };
    });
  }

  /** The k best items for `user`: [{ item, score }], best first. */
  recommend(user, options = {}) {
    const p = this._p('recommend');
    const M = this._M;
    const k = u32(options.k ?? 10, 'Recommender.recommend: k');
    return this._with((s) => {
      const items = s.u32(k);
      const scores = s.u32(k);
      const written = s.u32(1);
      this._check(M._ekw_rec_recommend(p, s.str(String(user), 'Recommender.recommend: user'), k,
        options.excludeSeen === false ? 0 : 1, items, scores, written));
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
    const p = this._p('score');
    stringList(items, 'Recommender.score');
    return this._with((s) => {
      const out = s.u32(items.length);
      this._check(this._M._ekw_rec_score(p, s.str(String(user), 'Recommender.score: user'),
        s.strArray(items.map(String), 'Recommender.score: items'),
        items.length, out));
      return this._M.HEAPF32.slice(out >> 2, (out >> 2) + items.length);
    });
  }

  /** Ranking quality on held-out [{ user, item }]: { recall, ndcg, hitRate, meanRank,
   * users, pairs, pairsSkipped }. options: { k (default 20), excludeSeen (default true) }. */
  evaluate(pairs, options = {}) {
    const p = this._p('evaluate');
    stringList(pairs, 'Recommender.evaluate');
    return this._with((s) => {
      const out = s.f64(7);
      this._check(this._M._ekw_rec_evaluate(p, pairs.length,
        s.strArray(pairs.map((r) => String(r.user)), 'Recommender.evaluate: users'),
        s.strArray(pairs.map((r) => String(r.item)), 'Recommender.evaluate: items'),
        u32(options.k ?? 20, 'Recommender.evaluate: k'), options.excludeSeen === false ? 0 : 1, out));
      const d = this._M.HEAPF64.subarray(out >> 3, (out >> 3) + 7);
      return { recall: d[0], ndcg: d[1], hitRate: d[2], meanRank: d[3], users: d[4], pairs: d[5],
        pairsSkipped: d[6] };
    });
  }

  /** { users, items, interactions, dim, layers, trained, pendingRequests } */
  stats() {
    const p = this._p('stats');
    return this._with((s) => {
      const out = s.f64(7);
      this._check(this._M._ekw_rec_stats(p, out));
      const d = this._M.HEAPF64.subarray(out >> 3, (out >> 3) + 7);
      return { users: d[0], items: d[1], interactions: d[2], dim: d[3], layers: d[4],
        trained: d[5] !== 0, pendingRequests: d[6] };
    });
  }

  /** Writes the model and data to `store` ("<name>.*") and binds the instance to it. */
  save(store, name) {
    const p = this._p('save');
    this._with((s) => this._check(this._M._ekw_rec_save(p, storePtr(store, 'Recommender.save'),
      s.str(name, 'Recommender.save: name'))));
    this._boundStore = store;
    store._wrote();
  }

  /** Reads a model written by save() and binds the instance to the store. */
  load(store, name) {
    const p = this._p('load');
    this._with((s) => this._check(this._M._ekw_rec_load(p, storePtr(store, 'Recommender.load'),
      s.str(name, 'Recommender.load: name'))));
    this._boundStore = store;
  }

  /** Forgets what the request names (ek.unlearner/1). request: { kind: 'interactions'
   * (pairs: [{ user, item }]) | 'users' (users: [...]) | 'items' (items: [...]),
   * method: 'mmrecun' (default) | 'gold' | 'finetune' | 'noop', keepRows, options,
   * requestId }. Returns { interactionsRemoved, usersRemoved, itemsRemoved, epochs,
   * seconds, requestId, digest }. */
  forget(request) {
    const p = this._p('forget');
    const M = this._M;
    const kind = code(FORGET_KINDS, request.kind ?? 'interactions', 'Recommender.forget kind');
    const method = code(UNLEARN_METHODS, request.method ?? 'mmrecun', 'Recommender.forget method');
    let users = null;
    let items = null;
    if (kind === 0) {
      const pairs = stringList(request.pairs ?? [], 'Recommender.forget pairs');
      users = pairs.map((r) => String(r.user));
      items = pairs.map((r) => String(r.item));
    } else if (kind === 1) {
      users = stringList(request.users ?? [], 'Recommender.forget users').map(String);
    } else {
      items = stringList(request.items ?? [], 'Recommender.forget items').map(String);
    }
    const count = (users ?? items).length;
    const result = this._with((s) => {
      const nums = s.f64(5);
      const id = s.alloc(64);
      const digest = s.alloc(65);
      this._check(M._ekw_rec_forget(p, kind, method, request.keepRows ? 1 : 0, count,
        users ? s.strArray(users, 'Recommender.forget: users') : 0,
        items ? s.strArray(items, 'Recommender.forget: items') : 0,
        s.str(jsonText(request.options ?? null), 'Recommender.forget: options'),
        s.str(request.requestId ?? null, 'Recommender.forget: requestId'), nums, id, digest));
      const d = M.HEAPF64.subarray(nums >> 3, (nums >> 3) + 5);
      return { interactionsRemoved: d[0], usersRemoved: d[1], itemsRemoved: d[2], epochs: d[3],
        seconds: d[4], requestId: M.UTF8ToString(id), digest: M.UTF8ToString(digest) };
    });
    this._boundStore?._wrote();
    return result;
  }

  /** Removes users/items kept by keepRows; returns how many. */
  purge() {
    const p = this._p('purge');
    return this._with((s) => {
      const out = s.f64(1);
      this._check(this._M._ekw_rec_purge(p, out));
      return this._M.HEAPF64[out >> 3];
    });
  }
}
