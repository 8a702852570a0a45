#include "sql/vtab_filter.h"

#include <optional>
#include <vector>

#include "base/error.h"
#include "json/json.h"
#include "json_quote.h"
#include "sql/vtab_values.h"

namespace ek::sql {
namespace {

// A comparison operand after the column's affinity.
struct Operand {
  enum Kind { kJson, kNull, kAfterAll } kind = kNull;
  std::string json;  // kJson: the JSON value
};

Operand Normalize(const ColumnSpec& column, sqlite3_value* v) {
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) return {Operand::kNull, ""};
  if (type == SQLITE_BLOB) return {Operand::kAfterAll, ""};  // blobs sort after all else
  if (column.type == ValueType::kText) {  // text affinity: numbers compare as their text
    const char* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return {Operand::kJson, ek_plugin::JsonQuote(std::string_view(text, size_t(sqlite3_value_bytes(v))))};
  }
  const int numeric = type == SQLITE_TEXT ? sqlite3_value_numeric_type(v) : type;
  if (numeric != SQLITE_INTEGER && numeric != SQLITE_FLOAT)
    return {Operand::kAfterAll, ""};  // text that is no number sorts after every number
  if (column.type == ValueType::kBoolean) {
    const double x = sqlite3_value_double(v);
    if (x == 1) return {Operand::kJson, "true"};
    if (x == 0) return {Operand::kJson, "false"};
    return {Operand::kAfterAll, ""};  // equal to no stored 0/1 (booleans get no ranges)
  }
  if (numeric == SQLITE_INTEGER) return {Operand::kJson, std::to_string(sqlite3_value_int64(v))};
  return {Operand::kJson, JsonNumber(sqlite3_value_double(v))};
}

std::string InList(const ColumnSpec& column, sqlite3_value* list) {
  std::string items;
  sqlite3_value* v = nullptr;
  for (int rc = sqlite3_vtab_in_first(list, &v); rc == SQLITE_OK && v;
       rc = sqlite3_vtab_in_next(list, &v)) {
    const Operand o = Normalize(column, v);
    if (o.kind != Operand::kJson) continue;  // NULL and unequal values match nothing
    items += (items.empty() ? "" : ",") + o.json;
  }
  return items;
}

// A GLOB or LIKE pattern as SQLite reads it: its text up to the first NUL.
std::string_view PatternText(sqlite3_value* pattern) {
  const char* text = reinterpret_cast<const char*>(sqlite3_value_text(pattern));
  return text ? std::string_view(text) : std::string_view();
}

// The text before GLOB's first wildcard ('*', '?', '[').
std::string GlobPrefix(sqlite3_value* pattern) {
  const std::string_view p = PatternText(pattern);
  return std::string(p.substr(0, p.find_first_of("*?[")));
}

// The prefix of a LIKE pattern that is a literal prefix and one trailing '%' ("abc%":
// "abc"), or nothing for any other pattern, which SQLite alone then checks. A prefix
// that is not valid UTF-8 is not pushed (SQLite reads such bytes as characters a valid
// value can equal). A pattern with ESCAPE never gets here: SQLite offers xBestIndex
// only two-argument like().
std::optional<std::string> LikePrefix(sqlite3_value* pattern) {
  const std::string_view p = PatternText(pattern);
  if (p.empty() || p.back() != '%') return std::nullopt;
  const std::string_view prefix = p.substr(0, p.size() - 1);
  if (prefix.find_first_of("%_") != std::string_view::npos) return std::nullopt;
  if (!json::IsValidUtf8(prefix)) return std::nullopt;
  return std::string(prefix);
}

// The operator object for one term ({"$lt": 5}), "" for no condition; sets *nothing
// when no row can pass.
std::string Condition(const ColumnSpec& column, TermOp op, sqlite3_value* v, bool* nothing) {
  if (op == TermOp::kIsNull) return "{\"$null\":true}";
  if (op == TermOp::kIsNotNull) return "{\"$null\":false}";
  if (op == TermOp::kGlob) {
    if (sqlite3_value_type(v) == SQLITE_NULL) *nothing = true;
    const std::string prefix = GlobPrefix(v);
    return prefix.empty() ? "" : "{\"$prefix\":" + ek_plugin::JsonQuote(prefix) + "}";
  }
  if (op == TermOp::kLike) {
    // $iprefix folds A-Z/a-z as SQLite's default LIKE does. SQLite checks the pattern
    // again (the term is not omitted), so under PRAGMA case_sensitive_like = ON, where
    // this filter lets through a superset, the answer is still exact; a like() the
    // application replaced with one that folds more (ICU) could lose rows here.
    if (sqlite3_value_type(v) == SQLITE_NULL) *nothing = true;  // LIKE NULL is never true
    const std::optional<std::string> prefix = LikePrefix(v);
    return prefix ? "{\"$iprefix\":" + ek_plugin::JsonQuote(*prefix) + "}" : "";
  }
  if (op == TermOp::kIn) {
    const std::string items = InList(column, v);
    if (items.empty()) *nothing = true;
    return "{\"$in\":[" + items + "]}";
  }
  const Operand o = Normalize(column, v);
  if (o.kind == Operand::kNull) {
    *nothing = true;  // a comparison with NULL is never true
    return "";
  }
  const bool after_all = o.kind == Operand::kAfterAll;
  switch (op) {
    case TermOp::kEq:
      if (after_all) *nothing = true;
      return "{\"$eq\":" + o.json + "}";
    case TermOp::kNe:
      return after_all ? "{\"$null\":false}" : "{\"$ne\":" + o.json + ",\"$null\":false}";
    case TermOp::kLt:
    case TermOp::kLe:
      if (after_all) return "{\"$null\":false}";
      return std::string(op == TermOp::kLt ? "{\"$lt\":" : "{\"$lte\":") + o.json + "}";
    case TermOp::kGt:
    case TermOp::kGe:
      if (after_all) *nothing = true;
      return std::string(op == TermOp::kGt ? "{\"$gt\":" : "{\"$gte\":") + o.json + "}";
    default:
      ek::Fail(EK_ERR_INTERNAL, "embedkit vtab: operator '" + std::string(1, char(op)) +
                                    "' in a metadata term");
  }
}

}  // namespace

PushedFilter BuildFilter(const TableSpec& spec, const Plan& plan, sqlite3_value** argv) {
  PushedFilter out;
  std::string terms;
  for (size_t i = 0; i < plan.terms.size(); ++i) {
    const PlanTerm& t = plan.terms[i];
    if (t.role != TermRole::kColumn) continue;
    const ColumnSpec& column = spec.columns[size_t(t.column)];
    const std::string condition = Condition(column, t.op, argv[i], &out.nothing);
    if (out.nothing) return out;
    if (condition.empty()) continue;
    terms += (terms.empty() ? "" : ",") + std::string("{") + ek_plugin::JsonQuote(column.name) +
             ":" + condition + "}";
  }
  if (!terms.empty()) out.json = "{\"$and\":[" + terms + "]}";
  return out;
}

}  // namespace ek::sql
