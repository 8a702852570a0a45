#include "store/kv.h"

#include "base/error.h"
#include "json/json.h"
#include "store/quote.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace ek::store::kv {

// WITHOUT ROWID: rows are stored in (ns, key) order, so a prefix or a page of keys
// is one range of the primary key. IF NOT EXISTS: a store whose user_version was set
// back to 1 by hand still upgrades.
const char* const kTableSql = R"sql(
CREATE TABLE IF NOT EXISTS ek_kv (
  ns     TEXT    NOT NULL,
  key    TEXT    NOT NULL,
  kind   INTEGER NOT NULL CHECK (kind IN (0, 1)),
  value  BLOB    NOT NULL,
  PRIMARY KEY (ns, key)
) WITHOUT ROWID;
)sql";

namespace {

// Empty if `s` is 1..`max` bytes of UTF-8 without NUL ("" allowed when `may_be_empty`),
// else why not.
std::string TextProblem(std::string_view s, size_t max, bool may_be_empty) {
  if (s.empty()) return may_be_empty ? "" : "is empty";
  if (s.size() > max)
    return "has " + std::to_string(s.size()) + " bytes; the limit is " + std::to_string(max);
  if (s.find('\0') != std::string_view::npos) return "contains a NUL byte";
  if (!json::IsValidUtf8(s)) return "is not valid UTF-8";
  return {};
}

// The least string above every string that starts with `prefix` (the end of the
// prefix's range in byte order). Keys are valid UTF-8, which never holds the bytes
// 0xF5..0xFF: so "\xFF" is above every key, and raising the last byte of a prefix
// (at most 0xF4) cannot overflow.
std::string PrefixEnd(std::string_view prefix) {
  if (prefix.empty()) return "\xFF";
  std::string end(prefix);
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

}  // namespace

void CheckNamespace(std::string_view ns) {
  if (std::string why = TextProblem(ns, kMaxNamespaceBytes, false); !why.empty())
    Fail(EK_ERR_INVALID_ARGUMENT, "namespace " + Quote(ns) + " " + why);
  if (ns.starts_with("ek."))
    Fail(EK_ERR_INVALID_ARGUMENT, "namespace " + Quote(ns) +
                                      " is reserved: names starting \"ek.\" belong to embedkit "
                                      "(use your own id, such as \"myapp\")");
}

void CheckKey(std::string_view key, std::string_view what) {
  if (std::string why = TextProblem(key, kMaxKeyBytes, false); !why.empty())
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(what) + " " + Quote(key) + " " + why);
}

void CheckKeyPrefix(std::string_view prefix, std::string_view what) {
  if (std::string why = TextProblem(prefix, kMaxKeyBytes, true); !why.empty())
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(what) + " " + Quote(prefix) + " " + why);
}

void CheckValue(std::string_view key, std::string_view value, Kind kind) {
  const std::string label = "value of key " + Quote(key);
  if (kind != Kind::kBlob && kind != Kind::kJson)
    Fail(EK_ERR_INVALID_ARGUMENT, label + ": kind " + std::to_string(static_cast<int32_t>(kind)) +
                                      " is not EK_VALUE_BLOB (0) or EK_VALUE_JSON (1)");
  if (value.size() > kMaxValueBytes)
    Fail(EK_ERR_LIMIT, label + " has " + std::to_string(value.size()) +
                           " bytes; the limit is " + std::to_string(kMaxValueBytes) +
                           " (EK_KV_MAX_VALUE)");
  if (kind != Kind::kJson) return;
  if (auto d = json::CheckValue(value, 0))
    Fail(EK_ERR_PARSE, label + " is not one JSON text: " + d->reason + " at byte " +
                           std::to_string(d->offset));
}

void Table::Put(std::string_view ns, std::string_view key, std::string_view value, Kind kind) {
  sql::Stmt::Use q(db_.Prepare(
      "INSERT INTO ek_kv (ns, key, kind, value) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (ns, key) DO UPDATE SET kind = excluded.kind, value = excluded.value"));
  q.Bind(1, ns).Bind(2, key).Bind(3, static_cast<int64_t>(kind));
  q.BindBlob(4, value.data(), value.size()).Run();
}

bool Table::Get(std::string_view ns, std::string_view key, const ValueSink& sink) {
  sql::Stmt::Use q(db_.Prepare("SELECT kind, value FROM ek_kv WHERE ns = ?1 AND key = ?2"));
  q.Bind(1, ns).Bind(2, key);
  if (!q.Step()) return false;
  sink(q.Int(0) == 1 ? Kind::kJson : Kind::kBlob, q.Blob(1));
  return true;
}

size_t Table::Delete(std::string_view ns, std::string_view key) {
  sql::Stmt::Use(db_.Prepare("DELETE FROM ek_kv WHERE ns = ?1 AND key = ?2"))
      .Bind(1, ns)
      .Bind(2, key)
      .Run();
  return static_cast<size_t>(sqlite3_changes64(db_.handle()));
}

size_t Table::DeletePrefix(std::string_view ns, std::string_view prefix) {
  sql::Stmt::Use(db_.Prepare("DELETE FROM ek_kv WHERE ns = ?1 AND key >= ?2 AND key < ?3"))
      .Bind(1, ns)
      .Bind(2, prefix)
      .Bind(3, PrefixEnd(prefix))
      .Run();
  return static_cast<size_t>(sqlite3_changes64(db_.handle()));
}

std::vector<Hit> Table::List(std::string_view ns, std::string_view prefix, std::string_view after,
                             size_t limit, bool include_values) {
  sql::Stmt::Use q(db_.Prepare(
      "SELECT key, CASE WHEN ?5 AND kind = 1 THEN value END FROM ek_kv "
      "WHERE ns = ?1 AND key >= ?2 AND key < ?3 AND key > ?4 ORDER BY key LIMIT ?6"));
  q.Bind(1, ns).Bind(2, prefix).Bind(3, PrefixEnd(prefix)).Bind(4, after);
  q.Bind(5, int64_t{include_values}).Bind(6, limit == 0 ? int64_t{-1} : static_cast<int64_t>(limit));
  std::vector<Hit> out;
  while (q.Step()) {
    Hit h;
    h.id = q.Text(0);
    if (!q.IsNull(1)) h.metadata.emplace(q.Blob(1));
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace ek::store::kv
