// embedkit.vsa_json: the C ABI of the plugin. Every entry point runs inside the
// plugins' guard (plugins/common guard.h) and returns a status, with the reason through
// ek_host::set_error and, for the probe table, last_error().
#include <embedkit/ext/vsa_json.h>
#include <embedkit/plugin.h>

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_set>
#include <utility>

#include "guard.h"
#include "host_failure.h"
#include "json_quote.h"
#include "stored_state.h"
#include "vsa_core.h"

namespace {

using vsaj::Error;
using vsaj::Fail;

struct Instance {
  const ek_host* host = nullptr;
  std::unique_ptr<vsaj::Encoder> enc;
  std::string config_json;  // vsaj::EncodingConfigJson of enc's configuration
  std::string last_error;
};

Instance* Self(void* p) { return static_cast<Instance*>(p); }

template <class F>
ek_status Guard(Instance* self, const char* fn, F&& f) {
  if (!self) return EK_ERR_INVALID_ARGUMENT;
  return ek_plugin::Guard(self->host, fn, &self->last_error, std::forward<F>(f));
}

using ek_plugin::NotNull;


// Unbinds a copy of `vector` along `path`.
std::vector<float> Unbind(Instance* self, const float* vector, const char* path) {
  NotNull(vector, "vector");
  NotNull(path, "path");
  const size_t d = self->enc->dim();
  std::vector<float> u(vector, vector + d);
  self->enc->ApplyPath(vsaj::ParsePath(path), u.data(), true);
  return u;
}

// ---- Lifecycle -------------------------------------------------------------------------
ek_status Create(const ek_host* host, const char* config, size_t length, void** out_instance) {
  if (!host || !out_instance) return EK_ERR_INVALID_ARGUMENT;
  *out_instance = nullptr;
  if (host->struct_size < sizeof(ek_host) || (host->abi_version >> 16) != EK_ABI_VERSION_MAJOR) {
    host->set_error(host, "host ABI does not match the one embedkit.vsa_json was built for");
    return EK_ERR_ABI_MISMATCH;
  }
  return ek_plugin::GuardCreate(host, [&] {
    auto self = std::make_unique<Instance>();
    self->host = host;
    vsaj::Env env{host, host->kernels, vsaj::ReadConfig(host, config, length)};
    self->config_json = vsaj::EncodingConfigJson(env.cfg);
    self->enc = std::make_unique<vsaj::Encoder>(env);
    *out_instance = self.release();
  });
}

void Destroy(void* instance) {
  try {
    delete Self(instance);
  } catch (...) {
  }
}

// ---- ek.encoder/1 ----------------------------------------------------------------------
ek_status Dim(void* instance, size_t* out_dim) {
  return Guard(Self(instance), "dim", [&] {
    NotNull(out_dim, "out_dim");
    *out_dim = Self(instance)->enc->dim();
  });
}

ek_status Encode(void* instance, const ek_string_view* items, size_t count, float* out) {
  return Guard(Self(instance), "encode", [&] {
    if (count == 0) return;
    NotNull(items, "items");
    NotNull(out, "out");
    Self(instance)->enc->EncodeDocuments(items, count, out);
  });
}

const ek_encoder_ext kEncoder = {sizeof(ek_encoder_ext), Dim, Encode};

// ---- ek.vsa_probe/1 --------------------------------------------------------------------
const char* LastError(void* instance) {
  return instance ? Self(instance)->last_error.c_str() : "instance is NULL";
}

ek_status Bind(void* instance, const char* path, const float* x, float* out, uint32_t flags) {
  return Guard(Self(instance), "bind", [&] {
    NotNull(path, "path");
    NotNull(x, "x");
    NotNull(out, "out");
    if (flags > EK_VSA_BIND_TRANSPOSE) Fail(EK_ERR_INVALID_ARGUMENT, "unknown flags " + std::to_string(flags));
    const size_t d = Self(instance)->enc->dim();
    auto steps = vsaj::ParsePath(path);
    // Bound in place in `out` (x may be out itself): no temporary row to allocate and
    // copy back, which the isolated bind row of docs/vsa_json.md measures.
    if (out != x) std::memmove(out, x, d * sizeof(float));
    Self(instance)->enc->ApplyPath(steps, out, flags == EK_VSA_BIND_TRANSPOSE);
  });
}

ek_status EncodeValue(void* instance, const ek_string_view* value, float* out) {
  return Guard(Self(instance), "encode_value", [&] {
    NotNull(value, "value_json");
    NotNull(out, "out");
    Self(instance)->enc->EncodeValue(std::string_view(value->data ? value->data : "", value->length), out);
  });
}

ek_status Probe(void* instance, const float* vector, const char* path,
                const ek_string_view* candidates, size_t count, size_t k, uint32_t* out_index,
                float* out_score, size_t* out_written) {
  Instance* self = Self(instance);
  return Guard(self, "probe", [&] {
    NotNull(out_written, "out_written");
    *out_written = 0;
    if (k == 0 || k > 1024) Fail(EK_ERR_INVALID_ARGUMENT, "k is " + std::to_string(k) + "; use 1..1024");
    std::vector<float> u = Unbind(self, vector, path);
    if (count == 0) return;
    NotNull(candidates, "candidates");
    NotNull(out_index, "out_index");
    NotNull(out_score, "out_score");
    const size_t d = self->enc->dim();
    std::vector<float> cand(count * d);
    std::vector<float> scores(count);
    vsaj::ParallelFor(self->enc->env(), count, 16, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        try {
          self->enc->EncodeValue(std::string_view(candidates[i].data ? candidates[i].data : "",
                                                  candidates[i].length),
                                 cand.data() + i * d);
        } catch (const Error& err) {
          throw Error{err.status, "candidate " + std::to_string(i) + ": " + err.message};
        }
      }
    });
    self->enc->env().k->cosine_many(u.data(), cand.data(), count, d, scores.data());
    *out_written = self->enc->env().k->top_k(scores.data(), count, k, out_index, out_score);
  });
}

ek_status DecodeNumber(void* instance, const float* vector, const char* path, double* out_value,
                       float* out_confidence) {
  Instance* self = Self(instance);
  return Guard(self, "decode_number", [&] {
    NotNull(out_value, "out_value");
    std::vector<float> u = Unbind(self, vector, path);
    const double value = self->enc->DecodeNumber(u.data(), nullptr);
    *out_value = value;
    if (out_confidence) {
      std::vector<float> nv(self->enc->dim());
      self->enc->EncNumber(value, nv.data());
      *out_confidence = self->enc->env().k->cosine(u.data(), nv.data(), nv.size());
    }
  });
}

// The ids of an index() call: the caller's, or the 0-based positions as text.
struct Ids {
  std::vector<std::string> storage;
  std::vector<const char*> ptrs;
  Ids(const char* const* ids, size_t count) : ptrs(count) {
    if (ids) {
      for (size_t i = 0; i < count; ++i) ptrs[i] = ids[i];
      return;
    }
    storage.reserve(count);
    for (size_t i = 0; i < count; ++i) storage.push_back(std::to_string(i));
    for (size_t i = 0; i < count; ++i) ptrs[i] = storage[i].c_str();
  }
};

// A collection keeps the configuration it was first indexed with: vectors encoded
// another way could not be compared with the ones it holds, so an instance configured
// otherwise may not extend, search or probe it.
void RequireSameConfig(Instance* self, const std::string& collection, const std::string& stored) {
  if (stored == self->config_json) return;
  const vsaj::Config theirs = vsaj::ReadConfig(self->host, stored.data(), stored.size());
  Fail(EK_ERR_INVALID_ARGUMENT, "collection '" + collection + "' was indexed with another configuration (" +
                                    vsaj::EncodingDifference(theirs, self->enc->env().cfg) +
                                    "); create the instance with collection_config()'s " + stored);
}

// index(): records this instance's configuration with a new collection.
void RecordConfig(Instance* self, ek_store* store, const std::string& collection) {
  const ek_host* host = self->host;
  const std::optional<std::string> stored = vsaj::StoredEncodingConfig(host, store, collection, /*migrate=*/true);
  if (stored) {
    RequireSameConfig(self, collection, *stored);
  } else {
    vsaj::StoreEncodingConfig(host, store, collection, self->config_json);
  }
}

// similar() and probe_collection(): a collection vsa_json did not index has no
// configuration to check.
void CheckConfig(Instance* self, ek_store* store, const std::string& collection) {
  const std::optional<std::string> stored =
      vsaj::StoredEncodingConfig(self->host, store, collection, /*migrate=*/false);
  if (stored) RequireSameConfig(self, collection, *stored);
}

// Upserts `n` rows into collection `name` (created with dim d and cosine if missing);
// `which` tells the two collections apart in a failure's message.
void UpsertRows(const ek_host* host, ek_store* store, const char* name, size_t n, const char* const* ids,
                const float* vectors, size_t d, const char* const* metadata, const std::string& which) {
  vsaj::CollectionHandle c{host};
  ek_plugin::CheckHost(host, host->collection_create(store, name, static_cast<uint32_t>(d), EK_METRIC_COSINE, &c.c),
                       "collection_create" + which);
  ek_upsert_batch batch{};
  batch.struct_size = sizeof batch;
  batch.count = n;
  batch.ids = ids;
  batch.vectors = vectors;
  batch.dim = d;
  batch.metadata_json = metadata;
  ek_plugin::CheckHost(host, host->collection_upsert(c.c, &batch), "collection_upsert" + which);
}

void UpsertDocuments(Instance* self, ek_store* store, const char* collection, const ek_string_view* documents,
                     const Ids& ids, const std::vector<float>& vectors,
                     const std::vector<vsaj::DocumentExtras>& extras, uint32_t store_documents) {
  const ek_host* host = self->host;
  const size_t count = extras.size(), d = self->enc->dim();
  std::vector<const char*> meta(count, nullptr);
  std::vector<std::string> meta_storage(count);
  for (size_t i = 0; store_documents && i < count; ++i) {
    if (extras[i].is_object && documents[i].length <= (64u << 10)) {
      meta_storage[i].assign(documents[i].data, documents[i].length);
      meta[i] = meta_storage[i].c_str();
    }
  }
  UpsertRows(host, store, collection, count, ids.ptrs.data(), vectors.data(), d,
             store_documents ? meta.data() : nullptr, "");
}

// The distinct (path, value) pairs of the documents, in first-seen order; a warning for
// each document that had more than max_values_per_document.
std::vector<std::pair<std::string, std::string>> DistinctValues(Instance* self, const Ids& ids,
                                                                std::vector<vsaj::DocumentExtras>& extras) {
  const ek_host* host = self->host;
  const size_t max_values = self->enc->env().cfg.max_values_per_document;
  std::unordered_set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> unique;
  for (size_t i = 0; i < extras.size(); ++i) {
    if (extras[i].values_seen > max_values) {
      host->log(host, EK_LOG_WARN,
                ("document '" + std::string(ids.ptrs[i]) + "' has " + std::to_string(extras[i].values_seen) +
                 " scalar values; only the first " + std::to_string(max_values) +
                 " are recorded for probing (config \"max_values_per_document\"); it is encoded whole")
                    .c_str());
    }
    for (auto& pv : extras[i].values) {
      if (seen.insert(pv.first + '\0' + pv.second).second) unique.push_back(std::move(pv));
    }
  }
  return unique;
}

// The values seen, for probe_collection: one row per distinct (path, value).
void UpsertValues(Instance* self, ek_store* store, const std::string& collection,
                  const std::vector<std::pair<std::string, std::string>>& unique) {
  if (unique.empty()) return;
  const ek_host* host = self->host;
  vsaj::Encoder& enc = *self->enc;
  const size_t n = unique.size(), d = enc.dim();
  std::vector<float> vv(n * d);
  std::vector<std::string> vid(n), vmeta(n);
  vsaj::ParallelFor(enc.env(), n, 64, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      enc.EncodeValue(unique[i].second, vv.data() + i * d);
      const std::string key = unique[i].first + '\0' + unique[i].second;
      char buf[40];
      std::snprintf(buf, sizeof buf, "v%016llx",
                    static_cast<unsigned long long>(vsaj::HashBytes(key.data(), key.size(), 99)));
      vid[i] = buf;
      vmeta[i] = "{\"path\":" + ek_plugin::JsonQuote(unique[i].first) + ",\"value\":" + unique[i].second + "}";
    }
  });
  std::vector<const char*> vid_p(n), vmeta_p(n);
  for (size_t i = 0; i < n; ++i) {
    vid_p[i] = vid[i].c_str();
    vmeta_p[i] = vmeta[i].c_str();
  }
  UpsertRows(host, store, vsaj::ValuesCollectionName(collection).c_str(), n, vid_p.data(), vv.data(), d,
             vmeta_p.data(), " (values)");
}

// Each document is parsed once (encoding, values, metadata come from that parse); then
// everything index() keeps is written in one transaction.
ek_status Index(void* instance, ek_store* store, const char* collection,
                const ek_string_view* documents, const char* const* ids, size_t count,
                uint32_t store_documents) {
  Instance* self = Self(instance);
  return Guard(self, "index", [&] {
    NotNull(store, "store");
    NotNull(collection, "collection");
    if (count == 0) return;
    NotNull(documents, "documents");
    std::vector<float> vectors(count * self->enc->dim());
    std::vector<vsaj::DocumentExtras> extras(count);
    self->enc->EncodeDocuments(documents, count, vectors.data(), extras.data());
    const Ids id_list(ids, count);
    vsaj::Transaction txn(self->host, store);
    RecordConfig(self, store, collection);
    UpsertDocuments(self, store, collection, documents, id_list, vectors, extras, store_documents);
    UpsertValues(self, store, collection, DistinctValues(self, id_list, extras));
    txn.Commit();
  });
}

ek_status CollectionConfig(void* instance, ek_store* store, const char* collection, char* out,
                           size_t capacity, size_t* out_length) {
  Instance* self = Self(instance);
  return Guard(self, "collection_config", [&] {
    NotNull(store, "store");
    NotNull(collection, "collection");
    NotNull(out_length, "out_length");
    *out_length = 0;
    const std::optional<std::string> stored =
        vsaj::StoredEncodingConfig(self->host, store, collection, /*migrate=*/true);
    if (!stored) {
      Fail(EK_ERR_NOT_FOUND, std::string("collection '") + collection +
                                 "' has no vsa_json configuration (index() records it)");
    }
    *out_length = stored->size();
    if (!out && capacity == 0) return;
    NotNull(out, "out");
    if (capacity <= stored->size()) {
      Fail(EK_ERR_BUFFER_TOO_SMALL, "the configuration needs " + std::to_string(stored->size() + 1) +
                                        " bytes with its NUL, capacity is " + std::to_string(capacity));
    }
    std::memcpy(out, stored->c_str(), stored->size() + 1);
  });
}

void Search(Instance* self, ek_store* store, const std::string& collection, const float* q, size_t k,
            const char* filter, ek_results** out) {
  const ek_host* host = self->host;
  const size_t d = self->enc->dim();
  if (k == 0 || k > 1024) Fail(EK_ERR_INVALID_ARGUMENT, "k is " + std::to_string(k) + "; use 1..1024");
  vsaj::CollectionHandle c{host};
  ek_plugin::CheckHost(
      host, host->collection_create(store, collection.c_str(), static_cast<uint32_t>(d), EK_METRIC_COSINE, &c.c),
      "collection_create");
  ek_search_options opt{};
  opt.struct_size = sizeof opt;
  opt.k = static_cast<uint32_t>(k);
  opt.filter_json = filter;
  opt.include_metadata = 1;
  ek_plugin::CheckHost(host, host->collection_search(c.c, q, 1, d, &opt, out), "collection_search");
}

ek_status ProbeCollection(void* instance, ek_store* store, const char* collection, const float* vector,
                          const char* path, size_t k, ek_results** out_results) {
  Instance* self = Self(instance);
  return Guard(self, "probe_collection", [&] {
    NotNull(store, "store");
    NotNull(collection, "collection");
    NotNull(out_results, "out_results");
    *out_results = nullptr;
    CheckConfig(self, store, collection);
    std::vector<float> u = Unbind(self, vector, path);
    const std::string filter = "{\"path\":" + ek_plugin::JsonQuote(path) + "}";
    Search(self, store, vsaj::ValuesCollectionName(collection), u.data(), k, filter.c_str(), out_results);
    // Hosts with results accessors (ek_host appended them in ABI 1.x): nothing
    // recorded at the path is an error rather than an empty list.
    const ek_host* host = self->host;
    if (host->struct_size >= offsetof(ek_host, results_hit_count) + sizeof(host->results_hit_count) &&
        host->results_hit_count && host->results_hit_count(*out_results, 0) == 0) {
      host->results_free(*out_results);
      *out_results = nullptr;
      Fail(EK_ERR_NOT_FOUND, std::string("no values were recorded at path '") + path + "' in '" + collection +
                                 "' (index() records them)");
    }
  });
}

ek_status Similar(void* instance, ek_store* store, const char* collection, const ek_string_view* document,
                  size_t k, const char* filter_json, ek_results** out_results) {
  Instance* self = Self(instance);
  return Guard(self, "similar", [&] {
    NotNull(store, "store");
    NotNull(collection, "collection");
    NotNull(document, "document");
    NotNull(out_results, "out_results");
    *out_results = nullptr;
    CheckConfig(self, store, collection);
    std::vector<float> q(self->enc->dim());
    self->enc->EncodeDocuments(document, 1, q.data());
    Search(self, store, collection, q.data(), k, filter_json, out_results);
  });
}

ek_status EncodeBatch(void* instance, const char* text, size_t length, float* out, size_t capacity,
                      size_t* out_count) {
  Instance* self = Self(instance);
  return Guard(self, "encode_batch", [&] {
    NotNull(out_count, "out_count");
    *out_count = 0;
    if (length > 0) NotNull(text, "text");
    std::vector<std::string> storage;
    std::vector<ek_string_view> docs;
    self->enc->SplitBatch(std::string_view(text ? text : "", length), &storage, &docs);
    *out_count = docs.size();
    const size_t needed = docs.size() * self->enc->dim();
    if (!out || capacity < needed) {
      Fail(EK_ERR_BUFFER_TOO_SMALL, std::to_string(docs.size()) + " documents need " + std::to_string(needed) +
                                        " floats, capacity is " + std::to_string(out ? capacity : 0));
    }
    self->enc->EncodeDocuments(docs.data(), docs.size(), out);
  });
}

const ek_vsa_probe_ext kProbe = {
    sizeof(ek_vsa_probe_ext), LastError, Bind,    EncodeValue, Probe,     DecodeNumber,
    Index,                    ProbeCollection, Similar, EncodeBatch, CollectionConfig,
};

const void* GetExtension(void* instance, const char* id) {
  (void)instance;
  if (!id) return nullptr;
  if (std::strcmp(id, EK_EXT_ENCODER) == 0) return &kEncoder;
  if (std::strcmp(id, EK_EXT_VSA_PROBE) == 0) return &kProbe;
  return nullptr;
}

const char* const kExtensions[] = {EK_EXT_ENCODER, EK_EXT_VSA_PROBE, nullptr};

const ek_plugin_descriptor kDescriptor = {
    sizeof(ek_plugin_descriptor),
    EK_ABI_VERSION,
    "embedkit.vsa_json",
    "VSA JSON encoder (MBAT, orthogonal binding)",
    "0.1.0",
    "embedkit",
    "Any JSON document to one vector: role matrices (structured Hadamard, dense Haar or Gaussian) "
    "bind values to keys; probe/decode by the transposes (Gallant 2022)",
    kExtensions,
    Create,
    Destroy,
    GetExtension,
};

}  // namespace

extern "C" EK_PLUGIN_EXPORT const ek_plugin_descriptor* EK_PLUGIN_ENTRY_NAME(void) { return &kDescriptor; }
