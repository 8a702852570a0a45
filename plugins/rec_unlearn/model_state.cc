#include "model_state.h"

#include <memory>
#include <vector>

#include "config_reader.h"
#include "model.h"
#include "store_access.h"

namespace rec {
namespace {

// NAME with '%' and '/' escaped, so that "NAME/" is a prefix of this model's keys only.
std::string KeyOf(const std::string& name) {
  std::string key;
  for (char ch : name) {
    if (ch == '%') key += "%25";
    else if (ch == '/') key += "%2F";
    else key += ch;
  }
  return key;
}

std::string MetaKey(const std::string& name) { return KeyOf(name) + "/meta"; }
std::string LedgerKey(const std::string& name, const std::string& id) { return KeyOf(name) + "/ledger/" + id; }
std::string PendingPrefix(const std::string& name) { return KeyOf(name) + "/pending/"; }

std::string Status(const ek_host* h, const std::string& entry) {
  return ek_plugin::ConfigReader(h, entry.data(), entry.size()).String("status", "");
}

// "pending" or "cancelled": the request removed data but its parameters were not written.
bool IsPending(const std::string& status) { return status == "pending" || status == "cancelled"; }

// ---- the layout before ABI 1.1 -----------------------------------------------------------

// Collections NAME.meta (row "model": the meta JSON as its metadata) and NAME.ledger
// (one row per request: the entry as its metadata).
struct OldLayout {
  std::string meta_json;
  std::vector<Coll::Row> ledger;
};

std::optional<OldLayout> ReadOldLayout(const ek_host* h, ek_store* store, const std::string& name) {
  const auto meta = Coll::OpenIfExists(h, store, name + ".meta");
  if (!meta) return std::nullopt;
  float row[4];
  size_t dim = 0;
  char* json = nullptr;
  const ek_status s = h->collection_get(meta->c, "model", row, 4, &dim, &json);
  if (s == EK_ERR_NOT_FOUND) return std::nullopt;
  CheckHost(h, s, "reading the model row of '" + name + ".meta'");
  OldLayout old;
  old.meta_json = json ? json : "";
  h->string_free(json);
  // The ledger's ids are the request ids, which nothing else records: the old layout
  // can only be read whole.
  if (const auto ledger = Coll::OpenIfExists(h, store, name + ".ledger")) old.ledger = ledger->List(true);
  return old;
}

// The old collections after the upgrade: dropped (their rows go with secure_delete),
// in the caller's transaction.
void DropOldCollection(const ek_host* h, ek_store* store, const std::string& collection) {
  if (!Coll::OpenIfExists(h, store, collection)) return;
  CheckHost(h, h->collection_drop(store, collection.c_str()), "dropping '" + collection + "'");
}

void MoveToKeyValue(const ek_host* h, ek_store* store, const std::string& name, const OldLayout& old) {
  StoreTxn txn(h, store);
  WriteMeta(h, store, name, old.meta_json);
  for (auto& entry : old.ledger) WriteLedgerEntry(h, store, name, entry.id, entry.meta);
  DropOldCollection(h, store, name + ".meta");
  DropOldCollection(h, store, name + ".ledger");
  txn.Commit();
}

}  // namespace

std::optional<ModelState> ReadModelState(const ek_host* h, ek_store* store, const std::string& name) {
  if (auto meta = KvGet(h, store, MetaKey(name))) return ModelState{*meta, uint32_t(KvCount(h, store, PendingPrefix(name)))};
  const auto old = ReadOldLayout(h, store, name);
  if (!old) return std::nullopt;
  try {
    MoveToKeyValue(h, store, name, *old);
    return ModelState{old->meta_json, uint32_t(KvCount(h, store, PendingPrefix(name)))};
  } catch (const Error& e) {
    if (e.status != EK_ERR_READ_ONLY) throw;
  }
  // Read-only: the old layout as it is.
  ModelState state{old->meta_json, 0};
  for (auto& entry : old->ledger) state.pending += IsPending(Status(h, entry.meta)) ? 1 : 0;
  return state;
}

void UpgradeOldLayout(const ek_host* h, ek_store* store, const std::string& name) {
  if (const auto old = ReadOldLayout(h, store, name)) MoveToKeyValue(h, store, name, *old);
}

void WriteMeta(const ek_host* h, ek_store* store, const std::string& name, const std::string& json) {
  KvPut(h, store, MetaKey(name), json);
}

bool LedgerHas(const ek_host* h, ek_store* store, const std::string& name, const std::string& id) {
  return KvGet(h, store, LedgerKey(name, id)).has_value();
}

void WriteLedgerEntry(const ek_host* h, ek_store* store, const std::string& name, const std::string& id,
                      const std::string& json) {
  KvPut(h, store, LedgerKey(name, id), json);
  const std::string status = Status(h, json);
  const std::string marker = PendingPrefix(name) + id;
  if (IsPending(status))
    KvPut(h, store, marker, "{\"status\":\"" + status + "\"}");
  else
    KvDelete(h, store, marker);
}

}  // namespace rec
