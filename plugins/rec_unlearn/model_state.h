// embedkit.rec_unlearn: a model's meta record and its forget ledger, kept in the
// store's key/value state under the plugin's id (namespace "embedkit.rec_unlearn"):
//
//   NAME/meta          {"format":1,"plugin":"embedkit.rec_unlearn","dim","layers",
//                       "cat_dim","text_dim","requests","seed"}
//   NAME/ledger/ID     forget request ID: {"kind","method","status","interactions",
//                       "users","items","started","finished","seconds","sha256"}
//   NAME/pending/ID    {"status"} while request ID is "cancelled" or "pending"
//
// NAME with '%' and '/' written %25 and %2F, so no model's keys start with another
// model's prefix. Everything is found by its key or key prefix, never by reading
// all entries. Stores written before ABI 1.1 kept the meta and the ledger as vector
// collections NAME.meta and NAME.ledger; they are upgraded on first use
// (docs/rec_unlearn.md, "Stores of earlier versions").
#pragma once

#include <embedkit/plugin.h>

#include <cstdint>
#include <optional>
#include <string>

namespace rec {

struct ModelState {
  std::string meta_json;
  uint32_t pending = 0;  // ledger entries still "cancelled" or "pending"
};

// Model `name`'s meta and pending count; nullopt when the store has no such model.
// The old layout is upgraded in place (one transaction) when the store is writable,
// and read as it is when it is not.
std::optional<ModelState> ReadModelState(const ek_host* h, ek_store* store, const std::string& name);

// Moves model `name`'s old-layout meta and ledger, if the store has them, into the
// key/value state (one transaction). For a full save over a model of an older version.
void UpgradeOldLayout(const ek_host* h, ek_store* store, const std::string& name);

void WriteMeta(const ek_host* h, ek_store* store, const std::string& name, const std::string& json);

// Whether model `name`'s ledger has an entry for request `id` (read by its key).
bool LedgerHas(const ek_host* h, ek_store* store, const std::string& name, const std::string& id);

// Records forget request `id` (its JSON entry), marked pending while its status is
// "pending" or "cancelled".
void WriteLedgerEntry(const ek_host* h, ek_store* store, const std::string& name, const std::string& id,
                      const std::string& json);

}  // namespace rec
