// ek_store_kv_*: key/value state in a store (embedkit.h, "Key/value state"). The
// pointer arguments are checked here; names, keys and values in sdk/store/kv.cc.
#include <cstring>
#include <string>
#include <string_view>

#include "capi/guard.h"
#include "capi/handles.h"
#include "embedkit/embedkit.h"
#include "store/quote.h"

using ek::capi::Guard;
using ek::capi::RequireNotNull;

namespace {

ek::store::Store& StoreOf(ek_store* store) {
  RequireNotNull(store, "store");
  return *store->impl;
}

// NULL is refused for names and keys; an optional prefix or bound treats NULL as "".
std::string_view Optional(const char* s) { return s ? std::string_view(s) : std::string_view(); }

// Copies a found value out under the contract of ek_store_kv_get.
void CopyValue(ek::store::kv::Kind kind, std::string_view bytes, void* out, size_t capacity,
               size_t* out_length, ek_value_kind* out_kind) {
  *out_length = bytes.size();
  if (out_kind) *out_kind = static_cast<ek_value_kind>(kind);
  if (capacity == 0) return;  // a size query
  if (capacity < bytes.size())
    ek::Fail(EK_ERR_BUFFER_TOO_SMALL, "out holds " + std::to_string(capacity) +
                                          " bytes, the value has " +
                                          std::to_string(bytes.size()) +
                                          " (*out_length says how many)");
  if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
  if (capacity > bytes.size()) static_cast<char*>(out)[bytes.size()] = '\0';
}

}  // namespace

extern "C" {

EK_API ek_status ek_store_kv_put(ek_store* store, const char* name_space, const char* key,
                                 const void* value, size_t length, ek_value_kind kind) {
  return Guard("ek_store_kv_put", [&] {
    ek::store::Store& s = StoreOf(store);
    RequireNotNull(name_space, "name_space");
    RequireNotNull(key, "key");
    if (length > 0) RequireNotNull(value, "value");
    const std::string_view bytes(static_cast<const char*>(value), value ? length : 0);
    s.KvPut(name_space, key, bytes, static_cast<ek::store::kv::Kind>(kind));
  });
}

EK_API ek_status ek_store_kv_get(ek_store* store, const char* name_space, const char* key,
                                 void* out, size_t capacity, size_t* out_length,
                                 ek_value_kind* out_kind) {
  return Guard("ek_store_kv_get", [&] {
    ek::store::Store& s = StoreOf(store);
    RequireNotNull(name_space, "name_space");
    RequireNotNull(key, "key");
    RequireNotNull(out_length, "out_length");
    if (capacity > 0) RequireNotNull(out, "out");
    *out_length = 0;
    const bool found = s.KvGet(name_space, key, [&](ek::store::kv::Kind k, std::string_view b) {
      CopyValue(k, b, out, capacity, out_length, out_kind);
    });
    if (!found)
      ek::Fail(EK_ERR_NOT_FOUND, "no key " + ek::store::Quote(key) + " in namespace " +
                                     ek::store::Quote(name_space) + " of store '" + store->path +
                                     "'");
  });
}

EK_API ek_status ek_store_kv_delete(ek_store* store, const char* name_space, const char* key,
                                    size_t* out_deleted) {
  return Guard("ek_store_kv_delete", [&] {
    ek::store::Store& s = StoreOf(store);
    RequireNotNull(name_space, "name_space");
    RequireNotNull(key, "key");
    if (out_deleted) *out_deleted = 0;
    const size_t n = s.KvDelete(name_space, key);
    if (out_deleted) *out_deleted = n;
  });
}

EK_API ek_status ek_store_kv_delete_prefix(ek_store* store, const char* name_space,
                                           const char* key_prefix, size_t* out_deleted) {
  return Guard("ek_store_kv_delete_prefix", [&] {
    ek::store::Store& s = StoreOf(store);
    RequireNotNull(name_space, "name_space");
    RequireNotNull(key_prefix, "key_prefix");  // "" (not NULL) deletes the whole namespace
    if (out_deleted) *out_deleted = 0;
    const size_t n = s.KvDeletePrefix(name_space, key_prefix);
    if (out_deleted) *out_deleted = n;
  });
}

EK_API ek_status ek_store_kv_list(ek_store* store, const char* name_space,
                                  const char* key_prefix, const char* after_key, size_t limit,
                                  uint32_t include_values, ek_results** out_results) {
  return Guard("ek_store_kv_list", [&] {
    ek::store::Store& s = StoreOf(store);
    RequireNotNull(name_space, "name_space");
    RequireNotNull(out_results, "out_results");
    *out_results = nullptr;
    auto results = std::make_unique<ek_results>();
    results->queries.push_back(s.KvList(name_space, Optional(key_prefix), Optional(after_key),
                                        limit, include_values != 0));
    *out_results = results.release();
  });
}

}  // extern "C"
