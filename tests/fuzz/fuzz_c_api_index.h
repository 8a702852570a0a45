// fuzz_c_api's ops for the ABI 1.2 index calls (issue 19): ek_collection_create_with,
// ek_collection_search_with, ek_collection_index_build / _compact / _info_get, with
// fuzzed option structs, plus a bulk fill that can push a collection over the
// planner's 4,096-row threshold so searches take the graph path, and a store kept in
// a file so the end of each input can reopen it.
// Included by fuzz_c_api.cc after its helpers (Input, Check, Failed, Hostile,
// WithSize, Pick), which it uses.
// Invariants on top of fuzz_c_api's: index build, compact and create_with never
// change the rows (count and sampled get() are bit-identical after the call, whether
// it succeeded or was refused); a search_with answers every query with as many hits
// as an exact search_with (exact = 1) of the same query and filter, min(k, rows) when
// unfiltered, ordered best first; index info stays in its documented ranges; after the
// input, reopening the file store finds every collection with its committed count
// and answers a search from it.
#pragma once

#include <unistd.h>

#include <initializer_list>
#include <utility>

namespace {

constexpr size_t kPlannerGraphRows = 4096;  // docs/storage.md "Indexes", the planner

// Graph work on 4,096 rows costs about a second under ASan and coverage, so an input
// gets two such steps (a large fill, or a build or compact of a large collection) and
// only with small beams and degrees: the extremes of m and ef_construction are fuzzed
// on small collections, and no input comes near libFuzzer's 10 s hang limit.
struct HeavyBudget {
  int left = 2;
};
constexpr uint32_t kHeavyMaxM = 16;
constexpr uint32_t kHeavyMaxEfConstruction = 32;

bool CheapGraph(uint32_t index, uint32_t m, uint32_t ef_construction) {
  if (index != EK_INDEX_HNSW) return true;
  return m != 0 && m <= kHeavyMaxM && ef_construction != 0 && ef_construction <= kHeavyMaxEfConstruction;
}

// Whether the index work that `options` (NULL: the collection's current ones) asks of
// `col` fits the budget, which it then spends when the collection is large.
bool AffordIndexWork(ek_collection* col, const ek_collection_options* options, HeavyBudget* budget) {
  uint64_t rows = 0;
  if (!col || ek_collection_count(col, &rows) != EK_OK || rows < kPlannerGraphRows / 4) return true;
  bool cheap;
  if (options && options->struct_size >= sizeof(ek_collection_options)) {
    cheap = CheapGraph(static_cast<uint32_t>(options->index), options->m, options->ef_construction);
  } else {
    ek_index_info info{};
    info.struct_size = sizeof info;
    cheap = ek_collection_index_info_get(col, &info) != EK_OK ||
            CheapGraph(static_cast<uint32_t>(info.index), info.m, info.ef_construction);
  }
  if (!cheap || budget->left <= 0) return false;
  --budget->left;
  return true;
}

std::string IndexStorePath() {
  static const std::string path = "/tmp/ek_fuzz_index_" + std::to_string(getpid()) + ".ekdb";
  return path;
}

// Each input starts from no file: a store left by the previous input would make
// inputs depend on each other (irreproducible findings).
void RemoveIndexStore() {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    unlink((IndexStorePath() + suffix).c_str());
  }
}

// Any value, mostly ones that mean something to the library.
uint32_t OneOf(Input& in, std::initializer_list<uint32_t> values) {
  const uint8_t b = in.Byte();
  if (b % 8 == 7) return in.U32();
  return values.begin()[b % values.size()];
}

ek_collection_options* FuzzCollectionOptions(Hostile<ek_collection_options>& h, Input& in) {
  if (in.Byte() % 8 == 0) return nullptr;
  ek_collection_options_init(h.get());
  ek_collection_options* o = WithSize(h, in);
  o->index = static_cast<ek_index_kind>(OneOf(in, {EK_INDEX_HNSW, EK_INDEX_HNSW, EK_INDEX_EXACT, 2,
                                                   0xffffffffu}));
  o->m = OneOf(in, {0, 2, 4, 8, 1, 255, 256});
  // Small beams keep a 4,096-row build cheap enough for many executions per second.
  o->ef_construction = OneOf(in, {8, 16, 1, 0, 65536, 65537});
  o->ef_search = OneOf(in, {0, 1, 8, 64, 65536, 65537});
  o->element = static_cast<ek_element_type>(OneOf(in, {EK_ELEMENT_F32, EK_ELEMENT_F16,
                                                       EK_ELEMENT_INT8, EK_ELEMENT_BIT, 4}));
  o->rescore = OneOf(in, {0, 1, 2, 4, 1024, 1025});
  o->defer_build = in.Byte() % 4 == 0 ? OneOf(in, {1, 0xffffffffu}) : 0;
  return o;
}

ek_index_search_options* FuzzIndexSearchOptions(Hostile<ek_index_search_options>& h, Input& in) {
  if (in.Byte() % 6 == 0) return nullptr;
  ek_index_search_options_init(h.get());
  ek_index_search_options* o = WithSize(h, in);
  o->ef = OneOf(in, {0, 1, 8, 64, 65536, 65537});
  o->exact = in.Byte() % 4 == 0 ? OneOf(in, {1, 2}) : 0;
  o->rescore = OneOf(in, {0, 1, 2, 8, 1024, 1025});
  return o;
}

// The collection's dim and metric, or false where it cannot say (dropped, NULL).
bool Shape(ek_collection* col, uint32_t* dim, ek_metric* metric) {
  ek_collection_info info{};
  info.struct_size = sizeof info;
  if (!col || ek_collection_info_get(col, &info) != EK_OK) return false;
  *dim = info.dim;
  *metric = info.metric;
  return true;
}

// Count plus up to 8 rows (from an input-chosen offset) read back with get().
struct RowSnapshot {
  ek_status count_status = EK_OK;
  uint64_t count = 0;
  std::vector<std::string> ids;
  std::vector<std::vector<float>> vectors;
};

RowSnapshot Snapshot(ek_collection* col, Input& in) {
  RowSnapshot s;
  const uint8_t where = in.Byte();  // read always: the seeds' bytes stay aligned
  s.count_status = ek_collection_count(col, &s.count);
  if (s.count_status != EK_OK || s.count == 0) return s;
  ek_results* r = nullptr;
  if (ek_collection_list(col, (s.count - 1) * where / 255, 8, 0, &r) != EK_OK) return s;
  for (size_t k = 0; k < ek_results_hit_count(r, 0); ++k) {
    ek_hit hit{};
    hit.struct_size = sizeof hit;
    if (ek_results_hit(r, 0, k, &hit) != EK_OK) continue;
    std::vector<float> v(1 << 16);
    size_t dim = 0;
    if (ek_collection_get(col, hit.id, v.data(), v.size(), &dim, nullptr) != EK_OK) continue;
    v.resize(dim);
    s.ids.push_back(hit.id);
    s.vectors.push_back(std::move(v));
  }
  ek_results_free(r);
  return s;
}

void CheckUnchanged(ek_collection* col, const RowSnapshot& before) {
  uint64_t count = 0;
  const ek_status cs = ek_collection_count(col, &count);
  Check(cs == before.count_status, "count's status changed across an index call");
  Check(cs != EK_OK || count == before.count, "row count changed across an index call");
  for (size_t k = 0; k < before.ids.size(); ++k) {
    std::vector<float> v(before.vectors[k].size() + 1);
    size_t dim = 0;
    Check(ek_collection_get(col, before.ids[k].c_str(), v.data(), v.size(), &dim, nullptr) == EK_OK,
          "a row vanished across an index call");
    Check(dim == before.vectors[k].size() &&
              std::memcmp(v.data(), before.vectors[k].data(), dim * sizeof(float)) == 0,
          "a row's vector changed across an index call");
  }
}

// Creates or opens a collection with fuzzed index options.
void CreateWith(std::vector<ek_store*>& stores, std::vector<ek_collection*>& cols, Input& in) {
  ek_store* st = Pick(stores, in);
  const std::string name = in.Str();
  static const uint32_t dims[] = {8, 8, 16, 1, 3, 0, 65536, 65537};
  const uint32_t dim = dims[in.Byte() % 8];
  const ek_metric metric = static_cast<ek_metric>(in.Byte() % 4);  // 3: not a metric
  Hostile<ek_collection_options> h;
  const ek_collection_options* o = FuzzCollectionOptions(h, in);
  // An existing collection of that name must come out of create_with with its rows.
  ek_collection* existing = nullptr;
  RowSnapshot before;
  if (st && ek_collection_open(st, name.c_str(), &existing) == EK_OK) before = Snapshot(existing, in);
  ek_collection* c = nullptr;
  const char* name_arg = in.Byte() % 16 ? name.c_str() : nullptr;
  ek_collection** out = in.Byte() % 16 ? &c : nullptr;
  const ek_status s = ek_collection_create_with(st, name_arg, dim, metric, o, out);
  Failed(s, "ek_collection_create_with");
  if (existing) {
    CheckUnchanged(existing, before);
    ek_collection_free(existing);
  }
  if (s == EK_OK) cols.push_back(c);
}

// A large fill links 4,096 rows into the graph unless the build is deferred.
bool AffordLargeFill(ek_collection* col, HeavyBudget* budget) {
  ek_index_info info{};
  info.struct_size = sizeof info;
  if (ek_collection_index_info_get(col, &info) != EK_OK || budget->left <= 0) return false;
  if (info.index_state == 0 && !CheapGraph(static_cast<uint32_t>(info.index), info.m, info.ef_construction)) {
    return false;
  }
  --budget->left;
  return true;
}

// Upserts n generated rows: few, some, or just over the graph threshold (at most one
// large fill per input: each costs an index update of 4,096 rows).
void Fill(std::vector<ek_collection*>& cols, Input& in, HeavyBudget* budget) {
  ek_collection* col = Pick(cols, in, false);
  uint32_t dim = 0;
  ek_metric metric = 0;
  if (!Shape(col, &dim, &metric) || dim == 0 || dim > 64) return;
  const uint8_t size_choice = in.Byte() % 8;
  size_t n = size_choice < 3 ? 1 + in.Byte() % 8 : size_choice < 6 ? 100 : kPlannerGraphRows + in.Byte() % 64;
  if (n >= kPlannerGraphRows && !AffordLargeFill(col, budget)) n = 100;
  const uint8_t seed = in.Byte();
  const bool coarse = seed % 4 == 0;  // few distinct values: ties, duplicate rows, zero vectors
  const bool with_meta = in.Byte() % 2;
  std::vector<std::string> ids(n), metas(n);
  std::vector<const char*> id_ptrs(n), meta_ptrs(n);
  std::vector<float> vecs(n * dim);
  uint32_t state = seed * 2654435761u + 1;
  for (size_t r = 0; r < n; ++r) {
    ids[r] = "r" + std::to_string(seed % 3) + "_" + std::to_string(r);  // refills replace rows
    metas[r] = "{\"g\":" + std::to_string(r % 4) + "}";
    id_ptrs[r] = ids[r].c_str();
    meta_ptrs[r] = metas[r].c_str();
    for (uint32_t d = 0; d < dim; ++d) {
      state = state * 1664525u + 1013904223u;
      const float x = static_cast<float>(state >> 8) / float(1 << 24) - 0.5f;
      vecs[r * dim + d] = coarse ? std::round(x * 2.f) : x;
    }
  }
  ek_upsert_batch b{};
  b.struct_size = sizeof b;
  b.count = n;
  b.ids = id_ptrs.data();
  b.vectors = vecs.data();
  b.dim = dim;
  b.metadata_json = with_meta ? meta_ptrs.data() : nullptr;
  Failed(ek_collection_upsert(col, &b), "ek_collection_upsert");
}

// Scores best first: similarity descending, L2 distance ascending.
void CheckOrdered(const ek_results* r, size_t q, ek_metric metric) {
  float prev = 0;
  for (size_t k = 0; k < ek_results_hit_count(r, q); ++k) {
    ek_hit hit{};
    hit.struct_size = sizeof hit;
    Check(ek_results_hit(r, q, k, &hit) == EK_OK, "a counted hit cannot be read");
    if (k > 0 && !std::isnan(prev) && !std::isnan(hit.score)) {
      Check(metric == EK_METRIC_L2 ? hit.score >= prev : hit.score <= prev, "hits not best first");
    }
    prev = hit.score;
  }
}

// search_with with fuzzed knobs, checked against an exact search_with of the same queries.
void SearchWith(std::vector<ek_collection*>& cols, std::vector<ek_results*>& results, Input& in) {
  ek_collection* col = Pick(cols, in);
  uint32_t dim = 8;
  ek_metric metric = 0;
  const bool known = Shape(col, &dim, &metric);
  static const char* filters[] = {nullptr, "", "{}", "{\"g\":1}", "{\"g\":{\"$lt\":2}}",
                                  "{\"g\":{\"$in\":[0,3]}}", "{\"g\":7}", "{\"g\":"};
  Hostile<ek_search_options> h;
  ek_search_options* o = nullptr;
  if (in.Byte() % 4) {
    ek_search_options_init(h.get());
    o = WithSize(h, in);
    o->k = OneOf(in, {1, 5, 10, 0, 100, 5000});
    o->filter_json = filters[in.Byte() % 8];
    o->include_metadata = in.Byte() % 2;
  }
  Hostile<ek_index_search_options> ih;
  const ek_index_search_options* io = FuzzIndexSearchOptions(ih, in);
  const size_t nq = in.Byte() % 8 == 0 ? 0 : 1 + in.Byte() % 3;
  const size_t qdim = in.Byte() % 8 ? dim : in.Byte() % 20;
  std::vector<float> q(nq * qdim + 1);
  for (float& x : q) {
    const uint8_t b = in.Byte();
    x = b == 255 ? NAN : (float(b) - 128.f) / 64.f;
  }
  ek_results* r = nullptr;
  const ek_status s = ek_collection_search_with(col, q.data(), nq, qdim, o, io,
                                                in.Byte() % 16 ? &r : nullptr);
  Failed(s, "ek_collection_search_with");
  if (s != EK_OK) return;
  ek_index_search_options exact;
  ek_index_search_options_init(&exact);
  exact.exact = 1;
  ek_results* ref = nullptr;
  const ek_status rs = ek_collection_search_with(col, q.data(), nq, qdim, o, &exact, &ref);
  Check(rs == EK_OK, "exact search_with refused what the fuzzed knobs accepted");
  Check(ek_results_query_count(r) == nq && ek_results_query_count(ref) == nq, "query count");
  uint64_t rows = 0;
  const bool unfiltered =
      !o || (o->struct_size >= sizeof(ek_search_options) && (!o->filter_json || !*o->filter_json));
  const size_t k = !o || o->struct_size < sizeof(ek_search_options) || o->k == 0 ? 10 : o->k;
  const bool counted = known && unfiltered && ek_collection_count(col, &rows) == EK_OK;
  for (size_t i = 0; i < nq; ++i) {
    Check(ek_results_hit_count(r, i) == ek_results_hit_count(ref, i),
          "search_with found a different number of hits than an exact search");
    Check(!counted || ek_results_hit_count(ref, i) == std::min<uint64_t>(k, rows),
          "an unfiltered search did not return min(k, rows) hits");
    CheckOrdered(r, i, metric);
    CheckOrdered(ref, i, metric);
  }
  ek_results_free(ref);
  if (results.size() < 8) {
    results.push_back(r);
  } else {
    ek_results_free(r);
  }
}

// index_build (fuzzed options or NULL) or compact; neither may change a row.
void BuildOrCompact(std::vector<ek_collection*>& cols, Input& in, HeavyBudget* budget) {
  ek_collection* col = Pick(cols, in);
  const bool compact = in.Byte() % 4 == 0;
  Hostile<ek_collection_options> h;
  const ek_collection_options* o = compact ? nullptr : FuzzCollectionOptions(h, in);
  if (!AffordIndexWork(col, o, budget)) return;
  const RowSnapshot before = col ? Snapshot(col, in) : RowSnapshot{};
  ek_status s;
  if (compact) {
    uint64_t freed = 0;
    s = ek_collection_index_compact(col, in.Byte() % 2 ? &freed : nullptr);
    Failed(s, "ek_collection_index_compact");
  } else {
    s = ek_collection_index_build(col, o);
    Failed(s, "ek_collection_index_build");
  }
  if (col) CheckUnchanged(col, before);
  if (s != EK_OK || compact || !o || o->struct_size < sizeof(ek_collection_options)) return;
  // A build with a complete struct leaves the collection with exactly what it asked for.
  ek_index_info info{};
  info.struct_size = sizeof info;
  Check(ek_collection_index_info_get(col, &info) == EK_OK, "index info after a build");
  Check(info.index == o->index && info.element == o->element, "build did not apply its options");
}

void IndexInfo(std::vector<ek_collection*>& cols, Input& in) {
  Hostile<ek_index_info> h;
  ek_index_info* out = in.Byte() % 8 ? WithSize(h, in) : nullptr;
  const ek_status s = ek_collection_index_info_get(Pick(cols, in), out);
  Failed(s, "ek_collection_index_info_get");
  if (s != EK_OK || out->struct_size < sizeof(ek_index_info)) return;
  Check(out->index == EK_INDEX_EXACT || out->index == EK_INDEX_HNSW, "index kind out of range");
  Check(out->element >= EK_ELEMENT_F32 && out->element <= EK_ELEMENT_BIT, "element out of range");
  Check(out->index_state <= 1, "index state out of range");
  Check(out->index == EK_INDEX_HNSW || (out->m == 0 && out->ef_construction == 0 && out->ef_search == 0),
        "an exact index reports hnsw parameters");
  Check(out->index != EK_INDEX_HNSW || (out->m >= 2 && out->m <= 255), "hnsw m out of range");
}

void OpenIndexStore(std::vector<ek_context*>& contexts, std::vector<ek_store*>& stores, Input& in,
                    bool* used) {
  if (stores.size() >= 3) return;
  ek_store_options o;
  ek_store_options_init(&o);
  o.read_only = in.Byte() % 8 == 0;
  o.busy_timeout_ms = 1;  // two handles on one file: a lock conflict fails fast (EK_ERR_BUSY)
  ek_store* s = nullptr;
  const ek_status st = ek_store_open(Pick(contexts, in), IndexStorePath().c_str(), &o, &s);
  Failed(st, "ek_store_open");
  if (st != EK_OK) return;
  stores.push_back(s);
  *used = true;
}

// The file store's committed collections and counts, each collection also answering an
// unfiltered search with min(10, count) hits; false where the store cannot be read now
// (another handle holds a lock).
bool CommittedCounts(std::vector<std::pair<std::string, uint64_t>>* out) {
  static ek_context* ctx = [] {
    ek_context_options o;
    ek_context_options_init(&o);
    o.num_threads = 1;
    o.no_bundled_plugins = 1;
    ek_context* c = nullptr;
    Check(ek_context_create(&o, &c) == EK_OK, "checker context");
    return c;
  }();
  ek_store_options so;
  ek_store_options_init(&so);
  so.must_exist = 1;
  so.busy_timeout_ms = 1;
  ek_store* store = nullptr;
  if (ek_store_open(ctx, IndexStorePath().c_str(), &so, &store) != EK_OK) return false;
  ek_collection_info* infos = nullptr;
  size_t n = 0;
  bool ok = ek_store_list_collections(store, &infos, &n) == EK_OK;
  for (size_t k = 0; ok && k < n; ++k) {
    out->emplace_back(infos[k].name, infos[k].count);
    ek_collection* col = nullptr;
    ok = ek_collection_open(store, infos[k].name, &col) == EK_OK;
    std::vector<float> q(infos[k].dim, 0.25f);
    ek_results* r = nullptr;
    if (ok) ok = ek_collection_search_with(col, q.data(), 1, q.size(), nullptr, nullptr, &r) == EK_OK;
    if (ok) Check(ek_results_hit_count(r, 0) == std::min<uint64_t>(10, infos[k].count),
                  "a reopened collection's search misses rows");
    ek_results_free(r);
    ek_collection_free(col);
  }
  if (infos) ek_collection_infos_free(infos, n);
  ek_store_free(store);
  return ok;
}

}  // namespace
