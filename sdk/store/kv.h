// Key/value state in the store file (embedkit.h, "Key/value state"): values that are
// not vectors, under a namespace and a key, in the table ek_kv (docs/storage.md).
// They live in the same file as the collections so that one transaction can change
// both. This room checks arguments and runs the SQL; the store owns the connection,
// its lock and the transactions (store.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ek::store {
struct Hit;
namespace sql {
class Db;
}
}  // namespace ek::store

namespace ek::store::kv {

inline constexpr size_t kMaxNamespaceBytes = 128;
inline constexpr size_t kMaxKeyBytes = 512;
inline constexpr size_t kMaxValueBytes = size_t{256} << 20;  // EK_KV_MAX_VALUE

enum class Kind : int32_t { kBlob = 0, kJson = 1 };  // EK_VALUE_BLOB, EK_VALUE_JSON

// The table, part of schema version 2 (created with a new store, or by the upgrade
// of a version 1 store).
extern const char* const kTableSql;

// Argument checks; each throws ek::Error with a message naming the argument.
// Namespace: 1..128 bytes of UTF-8 without NUL, not starting "ek." (reserved).
void CheckNamespace(std::string_view ns);
// Key: 1..512 bytes of UTF-8 without NUL. A prefix may also be empty.
void CheckKey(std::string_view key, std::string_view what);
void CheckKeyPrefix(std::string_view prefix, std::string_view what);
// Value: at most kMaxValueBytes (EK_ERR_LIMIT); a JSON value must be one JSON text
// (EK_ERR_PARSE with the byte offset).
void CheckValue(std::string_view key, std::string_view value, Kind kind);

// Receives a value found by Table::Get; the bytes are valid only during the call.
using ValueSink = std::function<void(Kind kind, std::string_view bytes)>;

// The statements over ek_kv on one connection. The caller holds the connection's
// lock, has checked the arguments, and runs writes inside a sql::Txn.
class Table {
 public:
  explicit Table(sql::Db& db) : db_(db) {}

  void Put(std::string_view ns, std::string_view key, std::string_view value, Kind kind);
  // false if there is no such key; else calls `sink` once.
  bool Get(std::string_view ns, std::string_view key, const ValueSink& sink);
  size_t Delete(std::string_view ns, std::string_view key);
  size_t DeletePrefix(std::string_view ns, std::string_view prefix);
  // Keys of `ns` starting with `prefix` and sorting after `after` ("" = from the first),
  // in byte order, at most `limit` (0 = all); JSON values as metadata when asked.
  std::vector<Hit> List(std::string_view ns, std::string_view prefix, std::string_view after,
                        size_t limit, bool include_values);

 private:
  sql::Db& db_;
};

}  // namespace ek::store::kv
