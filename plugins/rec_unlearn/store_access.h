// embedkit.rec_unlearn: the host's store functions as C++ — a failed call becomes an
// ek_plugin::Error carrying the host's reason (CheckHost), a transaction is a scope, a
// collection a handle that frees itself.
#pragma once

#include <embedkit/plugin.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "host_failure.h"

namespace rec {

using ek_plugin::CheckHost;

// One store transaction for a request that writes several collections (save, the
// model write after training, a forget request, purge): begun on construction,
// durable at Commit(), rolled back if the request fails first, so a crash or an error
// never leaves half a request in the store. Without a store it does nothing.
class StoreTxn {
 public:
  StoreTxn(const ek_host* h, ek_store* store);
  void Commit();
  ~StoreTxn();
  StoreTxn(const StoreTxn&) = delete;
  StoreTxn& operator=(const StoreTxn&) = delete;

 private:
  const ek_host* h_;
  ek_store* store_;
  bool open_ = false;
};

// A collection of the store, freed with the handle.
struct Coll {
  const ek_host* host;
  ek_collection* c = nullptr;
  // Collection `name`, created with `dim` (dot metric) if it is missing.
  Coll(const ek_host* h, ek_store* store, const std::string& name, uint32_t dim);
  // Collection `name`, which must exist (EK_ERR_NOT_FOUND).
  Coll(const ek_host* h, ek_store* store, const std::string& name);
  // Collection `name`, or nullptr when the store has none.
  static std::unique_ptr<Coll> OpenIfExists(const ek_host* h, ek_store* store, const std::string& name);
  ~Coll();
  Coll(const Coll&) = delete;
  Coll& operator=(const Coll&) = delete;

  struct Row {
    std::string id, meta;
  };
  std::vector<Row> List(bool meta) const;
  // Upserts in batches of 20000 rows; `meta` (optional) holds one JSON text per row,
  // "" for none.
  void Upsert(const std::vector<std::string>& ids, const std::vector<float>& vecs, size_t dim,
              const std::vector<std::string>* meta) const;
  size_t Delete(const std::vector<std::string>& ids) const;
  // Deletes every row whose id is not in `keep`.
  void DeleteOthers(const std::unordered_set<std::string>& keep) const;

 private:
  Coll(const ek_host* h, ek_collection* opened) : host(h), c(opened) {}
};

// The plugin's key/value state in a store (ek_host::kv_*), under its own id as the
// namespace; values are JSON. Writes join the transaction open on the handle.
std::optional<std::string> KvGet(const ek_host* h, ek_store* store, const std::string& key);
void KvPut(const ek_host* h, ek_store* store, const std::string& key, const std::string& json);
void KvDelete(const ek_host* h, ek_store* store, const std::string& key);
// How many keys start with `prefix` (values are not read).
size_t KvCount(const ek_host* h, ek_store* store, const std::string& prefix);

}  // namespace rec
