#include "store_access.h"

#include <algorithm>

#include "model.h"

namespace rec {

StoreTxn::StoreTxn(const ek_host* h, ek_store* store) : h_(h), store_(store) {
  if (store_) {
    CheckHost(h_, h_->store_begin(store_), "starting a store transaction");
    open_ = true;
  }
}

void StoreTxn::Commit() {
  if (!open_) return;
  CheckHost(h_, h_->store_commit(store_), "committing the store transaction");
  open_ = false;
}

StoreTxn::~StoreTxn() {
  if (open_) h_->store_rollback(store_);
}

Coll::Coll(const ek_host* h, ek_store* store, const std::string& name, uint32_t dim) : host(h) {
  CheckHost(h, h->collection_create(store, name.c_str(), dim, EK_METRIC_DOT, &c), "opening collection '" + name + "'");
}

Coll::Coll(const ek_host* h, ek_store* store, const std::string& name) : host(h) {
  CheckHost(h, h->collection_open(store, name.c_str(), &c), "opening collection '" + name + "'");
}

std::unique_ptr<Coll> Coll::OpenIfExists(const ek_host* h, ek_store* store, const std::string& name) {
  ek_collection* c = nullptr;
  const ek_status s = h->collection_open(store, name.c_str(), &c);
  if (s == EK_ERR_NOT_FOUND) return nullptr;
  CheckHost(h, s, "opening collection '" + name + "'");
  return std::unique_ptr<Coll>(new Coll(h, c));
}

Coll::~Coll() {
  if (c) host->collection_free(c);
}

std::vector<Coll::Row> Coll::List(bool meta) const {
  ek_results* res = nullptr;
  CheckHost(host, host->collection_list(c, 0, 0, meta ? 1 : 0, &res), "collection_list");
  std::vector<Row> rows;
  const size_t n = host->results_hit_count(res, 0);
  rows.reserve(n);
  for (size_t r = 0; r < n; ++r) {
    ek_hit hit{};
    hit.struct_size = sizeof hit;
    if (host->results_hit(res, 0, r, &hit) != EK_OK) {
      host->results_free(res);
      Fail(EK_ERR_STORAGE, "results_hit failed");
    }
    rows.push_back(Row{hit.id, hit.metadata_json ? hit.metadata_json : ""});
  }
  host->results_free(res);
  return rows;
}

void Coll::Upsert(const std::vector<std::string>& ids, const std::vector<float>& vecs, size_t dim,
                  const std::vector<std::string>* meta) const {
  const size_t kBatch = 20000;
  for (size_t b = 0; b < ids.size(); b += kBatch) {
    const size_t n = std::min(kBatch, ids.size() - b);
    std::vector<const char*> ip(n), mp(meta ? n : 0);
    for (size_t r = 0; r < n; ++r) {
      ip[r] = ids[b + r].c_str();
      if (meta) mp[r] = (*meta)[b + r].empty() ? nullptr : (*meta)[b + r].c_str();
    }
    ek_upsert_batch batch{};
    batch.struct_size = sizeof batch;
    batch.count = n;
    batch.ids = ip.data();
    batch.vectors = vecs.data() + b * dim;
    batch.dim = dim;
    batch.metadata_json = meta ? mp.data() : nullptr;
    CheckHost(host, host->collection_upsert(c, &batch), "collection_upsert");
  }
}

size_t Coll::Delete(const std::vector<std::string>& ids) const {
  if (ids.empty()) return 0;
  std::vector<const char*> ip(ids.size());
  for (size_t r = 0; r < ids.size(); ++r) ip[r] = ids[r].c_str();
  size_t deleted = 0;
  CheckHost(host, host->collection_delete(c, ip.data(), ip.size(), &deleted), "collection_delete");
  return deleted;
}

void Coll::DeleteOthers(const std::unordered_set<std::string>& keep) const {
  std::vector<std::string> stale;
  for (auto& r : List(false))
    if (!keep.count(r.id)) stale.push_back(r.id);
  Delete(stale);
}

// ---- key/value state ----------------------------------------------------------------------

namespace {
constexpr const char* kNamespace = "embedkit.rec_unlearn";
}

std::optional<std::string> KvGet(const ek_host* h, ek_store* store, const std::string& key) {
  size_t length = 0;
  ek_status s = h->kv_get(store, kNamespace, key.c_str(), nullptr, 0, &length, nullptr);
  if (s == EK_ERR_NOT_FOUND) return std::nullopt;
  CheckHost(h, s, "reading '" + key + "'");
  std::string value(length + 1, '\0');  // room for the NUL kv_get writes after the bytes
  s = h->kv_get(store, kNamespace, key.c_str(), value.data(), value.size(), &length, nullptr);
  CheckHost(h, s, "reading '" + key + "'");
  value.resize(length);
  return value;
}

void KvPut(const ek_host* h, ek_store* store, const std::string& key, const std::string& json) {
  CheckHost(h, h->kv_put(store, kNamespace, key.c_str(), json.data(), json.size(), EK_VALUE_JSON),
            "writing '" + key + "'");
}

void KvDelete(const ek_host* h, ek_store* store, const std::string& key) {
  CheckHost(h, h->kv_delete(store, kNamespace, key.c_str(), nullptr), "deleting '" + key + "'");
}

size_t KvCount(const ek_host* h, ek_store* store, const std::string& prefix) {
  ek_results* res = nullptr;
  CheckHost(h, h->kv_list(store, kNamespace, prefix.c_str(), nullptr, 0, 0, &res), "listing '" + prefix + "'");
  const size_t n = h->results_hit_count(res, 0);
  h->results_free(res);
  return n;
}

}  // namespace rec
