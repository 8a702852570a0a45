// ek_store_* and ek_collection_*: argument checks here, the work in sdk/store.
#include <cstring>
#include <optional>

#include "capi/guard.h"
#include "capi/handles.h"
#include "embedkit/embedkit.h"

using ek::capi::Guard;
using ek::capi::RequireNotNull;

namespace {

ek_store_options DefaultStoreOptions() {
  ek_store_options o{};
  o.struct_size = sizeof(o);
  o.busy_timeout_ms = 5000;
  return o;
}

ek_search_options DefaultSearchOptions() {
  ek_search_options o{};
  o.struct_size = sizeof(o);
  o.k = 10;
  return o;
}

ek::kernels::Metric ToMetric(ek_metric metric) {
  switch (metric) {
    case EK_METRIC_COSINE: return ek::kernels::Metric::kCosine;
    case EK_METRIC_DOT: return ek::kernels::Metric::kDot;
    case EK_METRIC_L2: return ek::kernels::Metric::kL2;
    default:
      ek::Fail(EK_ERR_INVALID_ARGUMENT, "metric " + std::to_string(metric) +
                                            " is not EK_METRIC_COSINE, EK_METRIC_DOT or EK_METRIC_L2");
  }
}

ek_collection* NewCollection(ek_store* store, const std::string& name) {
  auto c = std::make_unique<ek_collection>();
  c->context = store->context;
  c->store = store->impl;
  c->name = name;
  return c.release();
}

ek_collection_info Describe(const ek::store::CollectionInfo& info, const char* name) {
  ek_collection_info out{};
  out.struct_size = sizeof(out);
  out.name = name;
  out.dim = info.dim;
  out.metric = static_cast<ek_metric>(info.metric);
  out.count = info.count;
  return out;
}

ek_index_info DescribeIndex(const ek::store::CollectionInfo& info) {
  ek_index_info out{};
  out.struct_size = sizeof(out);
  const ek::store::IndexOptions& x = info.index;
  const bool hnsw = x.kind == ek::store::IndexKind::kHnsw;
  out.index = static_cast<ek_index_kind>(x.kind);
  out.element = static_cast<ek_element_type>(x.element);
  out.m = hnsw ? x.m : 0;
  out.ef_construction = hnsw ? x.ef_construction : 0;
  out.ef_search = hnsw ? x.ef_search : 0;
  out.rescore = x.rescore;
  out.index_state = info.building ? 1 : 0;
  out.bytes_per_vector = info.bytes_per_vector;
  return out;
}

ek_collection_options DefaultCollectionOptions() {
  ek_collection_options o{};
  o.struct_size = sizeof(o);
  return o;
}

// The C options with zeros replaced by the defaults, range-checked.
ek::store::IndexOptions ToIndexOptions(const ek_collection_options* options) {
  const ek_collection_options o =
      ek::capi::ReadOptions(options, DefaultCollectionOptions(), "options");
  ek::store::IndexOptions x;
  x.kind = static_cast<ek::store::IndexKind>(o.index);
  x.element = static_cast<ek::store::ElementType>(o.element);
  if (o.m) x.m = o.m;
  if (o.ef_construction) x.ef_construction = o.ef_construction;
  if (o.ef_search) x.ef_search = o.ef_search;
  if (o.rescore) x.rescore = o.rescore;
  x.defer_build = o.defer_build != 0;
  ek::store::ValidateIndexOptions(x);
  return x;
}

// The context's progress callback and cancel flag as an index build's progress.
ek::store::BuildProgressFn BuildProgress(ek_collection* collection) {
  std::shared_ptr<ek::Context> context = collection->context;
  return [context](uint64_t done, uint64_t total) {
    return context->ReportProgress("index build", done, total) ? 1 : 0;
  };
}

ek::store::Store& StoreOf(ek_collection* collection) {
  RequireNotNull(collection, "collection");
  return *collection->store;
}

void CheckRows(const void* data, size_t rows, const char* name) {
  if (rows > 0 && !data) {
    ek::Fail(EK_ERR_INVALID_ARGUMENT, std::string("argument '") + name + "' is NULL with " +
                                          std::to_string(rows) + " rows");
  }
}

// ek_collection_search and _search_with: `function` names the entry point in errors.
ek_status Search(const char* function, ek_collection* collection, const float* queries,
                 size_t n_queries, size_t dim, const ek_search_options* options,
                 const ek_index_search_options* index_options, ek_results** out_results) {
  return Guard(function, [&] {
    ek::store::Store& store = StoreOf(collection);
    RequireNotNull(out_results, "out_results");
    *out_results = nullptr;
    CheckRows(queries, n_queries, "queries");
    ek_search_options o = ek::capi::ReadOptions(options, DefaultSearchOptions(), "options");
    ek_index_search_options io{};
    io.struct_size = sizeof(io);
    io = ek::capi::ReadOptions(index_options, io, "index_options");
    if (io.rescore > 1024)
      ek::Fail(EK_ERR_INVALID_ARGUMENT, "index_options->rescore is " + std::to_string(io.rescore) +
                                            "; it must be 0..1024 (0 = the collection's, 1 = none)");
    const size_t k = o.k ? o.k : 10;  // any k: the store sizes results by the rows allowed
    auto results = std::make_unique<ek_results>();
    if (n_queries > 0) {
      ek::store::SearchOptions so;
      so.ef = io.ef;
      so.exact = io.exact != 0;
      so.rescore = io.rescore;
      results->queries = store.Search(collection->name, queries, n_queries, dim, k,
                                      o.filter_json ? o.filter_json : "", o.include_metadata != 0,
                                      so);
    }
    *out_results = results.release();
  });
}

}  // namespace

extern "C" {

EK_API void ek_store_options_init(ek_store_options* options) {
  if (options) *options = DefaultStoreOptions();
}

EK_API void ek_search_options_init(ek_search_options* options) {
  if (options) *options = DefaultSearchOptions();
}

EK_API ek_status ek_store_open(ek_context* context, const char* path,
                               const ek_store_options* options, ek_store** out_store) {
  return Guard("ek_store_open", [&] {
    RequireNotNull(context, "context");
    RequireNotNull(path, "path");
    RequireNotNull(out_store, "out_store");
    *out_store = nullptr;
    if (!*path) ek::Fail(EK_ERR_INVALID_ARGUMENT, "path is empty (use \":memory:\" for a private store)");
    ek_store_options o = ek::capi::ReadOptions(options, DefaultStoreOptions(), "options");
    ek::store::OpenOptions so;
    so.read_only = o.read_only != 0;
    so.must_exist = o.must_exist != 0;
    so.busy_timeout_ms = o.busy_timeout_ms ? o.busy_timeout_ms : 5000;
    auto store = std::make_unique<ek_store>();
    store->context = context->impl;
    store->path = path;
    store->impl = ek::store::Store::Open(path, so, &context->impl->pool(),
                                         context->impl->backend().scan,
                                         context->impl->backend().quantized_scan);
    *out_store = store.release();
  });
}

EK_API void ek_store_free(ek_store* store) { delete store; }

EK_API ek_status ek_store_begin(ek_store* store) {
  return Guard("ek_store_begin", [&] {
    RequireNotNull(store, "store");
    store->impl->Begin();
  });
}

EK_API ek_status ek_store_commit(ek_store* store) {
  return Guard("ek_store_commit", [&] {
    RequireNotNull(store, "store");
    store->impl->Commit();
  });
}

EK_API ek_status ek_store_rollback(ek_store* store) {
  return Guard("ek_store_rollback", [&] {
    RequireNotNull(store, "store");
    store->impl->Rollback();
  });
}

EK_API ek_status ek_collection_create(ek_store* store, const char* name, uint32_t dim,
                                      ek_metric metric, ek_collection** out_collection) {
  return Guard("ek_collection_create", [&] {
    RequireNotNull(store, "store");
    RequireNotNull(name, "name");
    RequireNotNull(out_collection, "out_collection");
    *out_collection = nullptr;
    auto m = ToMetric(metric);
    ek::store::CollectionInfo info = store->impl->CreateCollection(name, dim, m);
    *out_collection = NewCollection(store, info.name);
  });
}

EK_API ek_status ek_collection_create_with(ek_store* store, const char* name, uint32_t dim,
                                           ek_metric metric, const ek_collection_options* options,
                                           ek_collection** out_collection) {
  return Guard("ek_collection_create_with", [&] {
    RequireNotNull(store, "store");
    RequireNotNull(name, "name");
    RequireNotNull(out_collection, "out_collection");
    *out_collection = nullptr;
    auto m = ToMetric(metric);
    ek::store::CollectionInfo info =
        options ? store->impl->CreateCollection(name, dim, m, ToIndexOptions(options))
                : store->impl->CreateCollection(name, dim, m);
    *out_collection = NewCollection(store, info.name);
  });
}

EK_API ek_status ek_collection_index_build(ek_collection* collection,
                                           const ek_collection_options* options) {
  return Guard("ek_collection_index_build", [&] {
    ek::store::Store& store = StoreOf(collection);
    std::optional<ek::store::IndexOptions> index;
    if (options) index = ToIndexOptions(options);
    store.BuildIndex(collection->name, index ? &*index : nullptr, BuildProgress(collection));
  });
}

EK_API ek_status ek_collection_index_compact(ek_collection* collection,
                                             uint64_t* out_bytes_freed) {
  return Guard("ek_collection_index_compact", [&] {
    ek::store::Store& store = StoreOf(collection);
    if (out_bytes_freed) *out_bytes_freed = 0;
    const uint64_t freed = store.CompactIndex(collection->name, BuildProgress(collection));
    if (out_bytes_freed) *out_bytes_freed = freed;
  });
}

EK_API ek_status ek_collection_open(ek_store* store, const char* name,
                                    ek_collection** out_collection) {
  return Guard("ek_collection_open", [&] {
    RequireNotNull(store, "store");
    RequireNotNull(name, "name");
    RequireNotNull(out_collection, "out_collection");
    *out_collection = nullptr;
    if (!store->impl->FindCollection(name)) {
      ek::Fail(EK_ERR_NOT_FOUND, std::string("no collection named '") + name + "' in " + store->path);
    }
    *out_collection = NewCollection(store, name);
  });
}

EK_API ek_status ek_collection_drop(ek_store* store, const char* name) {
  return Guard("ek_collection_drop", [&] {
    RequireNotNull(store, "store");
    RequireNotNull(name, "name");
    store->impl->DropCollection(name);
  });
}

EK_API ek_status ek_store_list_collections(ek_store* store, ek_collection_info** out_infos,
                                           size_t* out_count) {
  return Guard("ek_store_list_collections", [&] {
    RequireNotNull(store, "store");
    RequireNotNull(out_infos, "out_infos");
    RequireNotNull(out_count, "out_count");
    *out_infos = nullptr;
    *out_count = 0;
    std::vector<ek::store::CollectionInfo> list = store->impl->ListCollections();
    if (list.empty()) return;
    auto* infos = new ek_collection_info[list.size()];
    for (size_t i = 0; i < list.size(); ++i) {
      char* name = nullptr;
      try {
        name = ek::capi::CopyToCString(list[i].name);
      } catch (...) {
        ek_collection_infos_free(infos, i);
        throw;
      }
      infos[i] = Describe(list[i], name);
    }
    *out_infos = infos;
    *out_count = list.size();
  });
}

EK_API void ek_collection_infos_free(ek_collection_info* infos, size_t count) {
  if (!infos) return;
  for (size_t i = 0; i < count; ++i) std::free(const_cast<char*>(infos[i].name));
  delete[] infos;
}

EK_API void ek_collection_free(ek_collection* collection) { delete collection; }

EK_API ek_status ek_collection_info_get(ek_collection* collection, ek_collection_info* out_info) {
  return Guard("ek_collection_info_get", [&] {
    auto info = StoreOf(collection).FindCollection(collection->name);
    if (!info) {
      ek::Fail(EK_ERR_NOT_FOUND, "collection '" + collection->name + "' no longer exists");
    }
    ek::capi::WriteInfo(out_info, Describe(*info, collection->name.c_str()), "out_info");
  });
}

EK_API ek_status ek_collection_index_info_get(ek_collection* collection,
                                              ek_index_info* out_info) {
  return Guard("ek_collection_index_info_get", [&] {
    auto info = StoreOf(collection).FindCollection(collection->name);
    if (!info) {
      ek::Fail(EK_ERR_NOT_FOUND, "collection '" + collection->name + "' no longer exists");
    }
    ek::capi::WriteInfo(out_info, DescribeIndex(*info), "out_info");
  });
}

EK_API ek_status ek_collection_upsert(ek_collection* collection, const ek_upsert_batch* batch) {
  return Guard("ek_collection_upsert", [&] {
    ek::store::Store& store = StoreOf(collection);
    RequireNotNull(batch, "batch");
    ek_upsert_batch b{};
    b = ek::capi::ReadOptions(batch, b, "batch");
    if (b.count == 0) return;
    CheckRows(b.ids, b.count, "batch->ids");
    CheckRows(b.vectors, b.count, "batch->vectors");
    for (size_t i = 0; i < b.count; ++i) {
      if (!b.ids[i]) ek::Fail(EK_ERR_INVALID_ARGUMENT, "batch->ids[" + std::to_string(i) + "] is NULL");
    }
    ek::store::UpsertBatch ub;
    ub.count = b.count;
    ub.ids = b.ids;
    ub.vectors = b.vectors;
    ub.dim = b.dim;
    ub.metadata = b.metadata_json;
    store.Upsert(collection->name, ub);
  });
}

EK_API ek_status ek_collection_get(ek_collection* collection, const char* id, float* out_vector,
                                   size_t capacity, size_t* out_dim, char** out_metadata_json) {
  return Guard("ek_collection_get", [&] {
    ek::store::Store& store = StoreOf(collection);
    RequireNotNull(id, "id");
    if (out_metadata_json) *out_metadata_json = nullptr;
    std::vector<float> vector;
    std::optional<std::string> metadata;
    if (!store.Get(collection->name, id, &vector, &metadata)) {
      ek::Fail(EK_ERR_NOT_FOUND, std::string("no id '") + id + "' in collection '" +
                                     collection->name + "'");
    }
    if (out_dim) *out_dim = vector.size();
    if (out_vector) {
      if (capacity < vector.size()) {
        ek::Fail(EK_ERR_BUFFER_TOO_SMALL, "out_vector holds " + std::to_string(capacity) +
                                              " floats, the vector has " +
                                              std::to_string(vector.size()));
      }
      std::memcpy(out_vector, vector.data(), vector.size() * sizeof(float));
    }
    if (out_metadata_json && metadata) *out_metadata_json = ek::capi::CopyToCString(*metadata);
  });
}

EK_API ek_status ek_collection_delete(ek_collection* collection, const char* const* ids,
                                      size_t count, size_t* out_deleted) {
  return Guard("ek_collection_delete", [&] {
    ek::store::Store& store = StoreOf(collection);
    CheckRows(ids, count, "ids");
    std::vector<std::string> list;
    list.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (!ids[i]) ek::Fail(EK_ERR_INVALID_ARGUMENT, "ids[" + std::to_string(i) + "] is NULL");
      list.emplace_back(ids[i]);
    }
    size_t deleted = count ? store.Delete(collection->name, list) : 0;
    if (out_deleted) *out_deleted = deleted;
  });
}

EK_API ek_status ek_collection_count(ek_collection* collection, uint64_t* out_count) {
  return Guard("ek_collection_count", [&] {
    ek::store::Store& store = StoreOf(collection);
    RequireNotNull(out_count, "out_count");
    *out_count = store.Count(collection->name);
  });
}

EK_API ek_status ek_collection_search(ek_collection* collection, const float* queries,
                                      size_t n_queries, size_t dim,
                                      const ek_search_options* options, ek_results** out_results) {
  return Search("ek_collection_search", collection, queries, n_queries, dim, options, nullptr,
                out_results);
}

EK_API ek_status ek_collection_search_with(ek_collection* collection, const float* queries,
                                           size_t n_queries, size_t dim,
                                           const ek_search_options* options,
                                           const ek_index_search_options* index_options,
                                           ek_results** out_results) {
  return Search("ek_collection_search_with", collection, queries, n_queries, dim, options,
                index_options, out_results);
}

EK_API ek_status ek_collection_list(ek_collection* collection, size_t offset, size_t limit,
                                    uint32_t include_metadata, ek_results** out_results) {
  return Guard("ek_collection_list", [&] {
    ek::store::Store& store = StoreOf(collection);
    RequireNotNull(out_results, "out_results");
    *out_results = nullptr;
    auto results = std::make_unique<ek_results>();
    results->queries.push_back(store.List(collection->name, offset, limit, include_metadata != 0));
    *out_results = results.release();
  });
}

}  // extern "C"
