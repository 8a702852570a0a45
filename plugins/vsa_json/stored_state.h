// What vsa_json keeps in a store besides the document vectors, and the one place that
// knows where it lives (docs/vsa_json.md, "What a collection stores"):
//   - the encoder configuration a collection was indexed with: key/value state,
//     namespace "embedkit.vsa_json", key "<collection>/config" (JSON);
//   - the values seen at each path: the vector collection "<collection>.vsa_values".
// Stores written before ABI 1.1 kept the configuration as the row "vsa_json.config"
// of "<collection>.vsa_values" (metadata {"vsa_json_config": {...}}); it is still read,
// and moved to the key/value state when the store is writable.
#pragma once

#include <embedkit/plugin.h>

#include <optional>
#include <string>

#include "vsa_core.h"

namespace vsaj {

// A collection handle the host gave, freed when it leaves scope.
struct CollectionHandle {
  const ek_host* host;
  ek_collection* c = nullptr;
  ~CollectionHandle() {
    if (c) host->collection_free(c);
  }
};

// The companion collection of the values seen at each path (probe_collection's).
std::string ValuesCollectionName(const std::string& collection);

// One plugin request as one transaction: a savepoint inside the caller's transaction
// when one is open. Rolled back unless Commit() was reached.
class Transaction {
 public:
  Transaction(const ek_host* host, ek_store* store);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  const ek_host* host_;
  ek_store* store_;
  bool open_ = false;
};

// The configuration `collection` was indexed with, as canonical JSON
// (EncodingConfigJson), or nullopt when index() never wrote it. A configuration found
// in the pre-1.1 layout is moved to the key/value state when `migrate` is set and the
// store takes writes (inside the caller's transaction, if any); a read-only store is
// only read.
std::optional<std::string> StoredEncodingConfig(const ek_host* host, ek_store* store,
                                                const std::string& collection, bool migrate);

// Records `config_json` as the configuration of `collection` (joins the open
// transaction).
void StoreEncodingConfig(const ek_host* host, ek_store* store, const std::string& collection,
                         const std::string& config_json);

}  // namespace vsaj
