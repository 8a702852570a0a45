// Where vsa_json's state lives in a store, the transaction around a request, and the
// upgrade of the pre-1.1 layout (stored_state.h).
#include "stored_state.h"

#include <simdjson.h>

#include "host_failure.h"

namespace vsaj {
namespace {

constexpr const char* kNamespace = "embedkit.vsa_json";
// Pre-1.1 layout: the row the CLI wrote into the values collection.
constexpr const char* kLegacyConfigRow = "vsa_json.config";

std::string ConfigKey(const std::string& collection) { return collection + "/config"; }

// ---- Host calls ----------------------------------------------------------------------
struct HostString {
  const ek_host* host;
  char* s = nullptr;
  ~HostString() {
    if (s) host->string_free(s);
  }
};

std::optional<std::string> ReadKeyValueConfig(const ek_host* host, ek_store* store,
                                               const std::string& collection) {
  const std::string key = ConfigKey(collection);
  size_t length = 0;
  ek_status s = host->kv_get(store, kNamespace, key.c_str(), nullptr, 0, &length, nullptr);
  if (s == EK_ERR_NOT_FOUND) return std::nullopt;
  ek_plugin::CheckHost(host, s, "kv_get");
  std::string value(length + 1, '\0');
  s = host->kv_get(store, kNamespace, key.c_str(), value.data(), value.size(), &length, nullptr);
  ek_plugin::CheckHost(host, s, "kv_get");
  value.resize(length);
  return value;
}

// The configuration of the pre-1.1 row, as it was written ({"dim":..,"binding":..,..}).
std::optional<std::string> ReadLegacyConfig(const ek_host* host, ek_store* store,
                                            const std::string& collection) {
  const std::string values = ValuesCollectionName(collection);
  CollectionHandle c{host};
  ek_status s = host->collection_open(store, values.c_str(), &c.c);
  if (s == EK_ERR_NOT_FOUND) return std::nullopt;
  ek_plugin::CheckHost(host, s, "collection_open");
  HostString meta{host};
  s = host->collection_get(c.c, kLegacyConfigRow, nullptr, 0, nullptr, &meta.s);
  if (s == EK_ERR_NOT_FOUND) return std::nullopt;
  ek_plugin::CheckHost(host, s, "collection_get");
  simdjson::dom::parser parser;
  simdjson::dom::element root, config;
  if (!meta.s || parser.parse(std::string(meta.s)).get(root) || root["vsa_json_config"].get(config) ||
      !config.is_object()) {
    Fail(EK_ERR_PARSE, "the row '" + std::string(kLegacyConfigRow) + "' of '" + values +
                           "' (the configuration before embedkit 1.1) has no {\"vsa_json_config\": {...}}");
  }
  return simdjson::minify(config);
}

void DeleteLegacyConfigRow(const ek_host* host, ek_store* store, const std::string& collection) {
  const std::string values = ValuesCollectionName(collection);
  CollectionHandle c{host};
  ek_plugin::CheckHost(host, host->collection_open(store, values.c_str(), &c.c), "collection_open");
  const char* id = kLegacyConfigRow;
  ek_plugin::CheckHost(host, host->collection_delete(c.c, &id, 1, nullptr), "collection_delete");
}

std::string Canonical(const ek_host* host, const std::string& config_json) {
  return EncodingConfigJson(ReadConfig(host, config_json.data(), config_json.size()));
}

}  // namespace

std::string ValuesCollectionName(const std::string& collection) { return collection + ".vsa_values"; }

Transaction::Transaction(const ek_host* host, ek_store* store) : host_(host), store_(store) {
  ek_plugin::CheckHost(host, host->store_begin(store), "store_begin");
  open_ = true;
}

Transaction::~Transaction() {
  if (open_) host_->store_rollback(store_);
}

void Transaction::Commit() {
  ek_plugin::CheckHost(host_, host_->store_commit(store_), "store_commit");
  open_ = false;
}

std::optional<std::string> StoredEncodingConfig(const ek_host* host, ek_store* store,
                                                const std::string& collection, bool migrate) {
  if (auto json = ReadKeyValueConfig(host, store, collection)) return json;
  std::optional<std::string> legacy = ReadLegacyConfig(host, store, collection);
  if (!legacy) return std::nullopt;
  std::string canonical = Canonical(host, *legacy);
  if (!migrate) return canonical;
  try {
    Transaction txn(host, store);
    StoreEncodingConfig(host, store, collection, canonical);
    DeleteLegacyConfigRow(host, store, collection);
    txn.Commit();
  } catch (const Error& e) {
    if (e.status != EK_ERR_READ_ONLY) throw;  // read-only: read the old layout as it is
  }
  return canonical;
}

void StoreEncodingConfig(const ek_host* host, ek_store* store, const std::string& collection,
                         const std::string& config_json) {
  const std::string key = ConfigKey(collection);
  const ek_status s =
      host->kv_put(store, kNamespace, key.c_str(), config_json.data(), config_json.size(), EK_VALUE_JSON);
  ek_plugin::CheckHost(host, s, "kv_put");
}

}  // namespace vsaj
