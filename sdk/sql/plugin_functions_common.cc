// Shared pieces of the plugin functions (plugin_functions_internal.h).
#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <set>

#include "base/error.h"
#include "sql/plugin_functions_internal.h"

namespace ek::sql::plugins {

void CheckPluginStatus(ek_status status, std::string_view call, const char* message,
                       std::string_view where) {
  if (status == EK_OK) return;
  const std::string prefix = std::string(call) + ": ";
  std::string text = message && *message ? message : std::string(call) + " failed";
  // Plugins often name the call already ("load: no model named ..."): say it once.
  if (text.compare(0, prefix.size(), prefix) != 0) text = prefix + text;
  Fail(status, std::string(where) + text);
}

void CheckApi(ek_status status, std::string_view call) {
  if (status == EK_OK) return;
  const char* message = ek_last_error();
  Fail(status, message && *message ? std::string(message) : std::string(call) + " failed");
}

StoreUse::StoreUse(Session& session) : session_(session) {
  session_.HoldStore();
  try {
    handle_ = session_.store_handle();
  } catch (...) {
    session_.ReleaseStore();
    throw;
  }
}

StoreUse::~StoreUse() { session_.ReleaseStore(); }

std::string ArgWhat(std::string_view function, int index) {
  return std::string(function) + "() argument " + std::to_string(index + 1);
}

void Refuse(std::string_view what, std::string_view why) {
  Fail(EK_ERR_INVALID_ARGUMENT, std::string(what) + ": " + std::string(why));
}

std::optional<std::string> OptionalTextArg(sqlite3_value* value, std::string_view what) {
  switch (sqlite3_value_type(value)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_BLOB:
      Refuse(what, "expected text, got a blob");
    default:
      break;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  if (text == nullptr) Fail(EK_ERR_OUT_OF_MEMORY, std::string(what) + ": out of memory reading the text");
  std::string s(text, size_t(sqlite3_value_bytes(value)));
  if (s.find('\0') != std::string::npos) Refuse(what, "the text contains a NUL byte");
  return s;
}

std::string TextArg(sqlite3_value* value, std::string_view what) {
  std::optional<std::string> text = OptionalTextArg(value, what);
  if (!text) Refuse(what, "expected text, got NULL");
  return *text;
}

int64_t IntegerArg(sqlite3_value* value, std::string_view what, int64_t lo, int64_t hi) {
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  int64_t n = 0;
  switch (sqlite3_value_type(value)) {
    case SQLITE_INTEGER:
      n = sqlite3_value_int64(value);
      break;
    case SQLITE_FLOAT: {
      const double d = sqlite3_value_double(value);
      if (!(std::floor(d) == d && d >= double(lo) && d <= double(hi)))
        Refuse(what, "expected an integer in " + range);
      n = int64_t(d);
      break;
    }
    default:
      Refuse(what, "expected an integer in " + range);
  }
  if (n < lo || n > hi) Refuse(what, "expected an integer in " + range + ", got " + std::to_string(n));
  return n;
}

// ---- Options ----------------------------------------------------------------------------

struct Options::Parsed {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
};

Options::Options(std::string_view json, std::string_view what, std::string_view known)
    : parsed_(std::make_unique<Parsed>()), what_(what) {
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parsed_->parser.parse(padded).get(root) || root.get(parsed_->object)) {
    Refuse(what_, "expected a JSON object such as '{\"k\": 3}', got '" + std::string(json.substr(0, 80)) + "'");
  }
  std::set<std::string_view> names;
  for (size_t begin = 0; begin < known.size();) {
    size_t end = known.find(',', begin);
    if (end == std::string_view::npos) end = known.size();
    names.insert(known.substr(begin, end - begin));
    begin = end + 1;
  }
  for (auto field : parsed_->object) {
    if (!names.count(field.key)) {
      Refuse(what_, "unknown option \"" + std::string(field.key) + "\" (known: " + std::string(known) + ")");
    }
  }
}

Options::~Options() = default;

namespace {

std::optional<simdjson::dom::element> Find(const simdjson::dom::object& object, std::string_view key) {
  simdjson::dom::element e;
  if (object.at_key(key).get(e) || e.is_null()) return std::nullopt;
  return e;
}

}  // namespace

int64_t Options::Integer(std::string_view key, int64_t fallback, int64_t lo, int64_t hi) const {
  auto e = Find(parsed_->object, key);
  if (!e) return fallback;
  int64_t n = 0;
  if (e->get(n) || n < lo || n > hi) {
    Refuse(what_, "\"" + std::string(key) + "\" must be an integer in " + std::to_string(lo) + ".." +
                      std::to_string(hi) + ", got " + simdjson::minify(*e));
  }
  return n;
}

double Options::Number(std::string_view key, double fallback, double lo, double hi) const {
  auto e = Find(parsed_->object, key);
  if (!e) return fallback;
  double d = 0;
  if (e->get(d) || !(d >= lo && d <= hi)) {
    char range[64];
    std::snprintf(range, sizeof range, "[%g, %g]", lo, hi);
    Refuse(what_, "\"" + std::string(key) + "\" must be a number in " + range + ", got " + simdjson::minify(*e));
  }
  return d;
}

bool Options::Boolean(std::string_view key, bool fallback) const {
  auto e = Find(parsed_->object, key);
  if (!e) return fallback;
  bool b = false;
  if (e->get(b)) Refuse(what_, "\"" + std::string(key) + "\" must be true or false, got " + simdjson::minify(*e));
  return b;
}

std::string Options::Text(std::string_view key, std::string_view fallback) const {
  auto e = Find(parsed_->object, key);
  if (!e) return std::string(fallback);
  std::string_view s;
  if (e->get(s)) Refuse(what_, "\"" + std::string(key) + "\" must be a string, got " + simdjson::minify(*e));
  return std::string(s);
}

std::string Options::Object(std::string_view key, std::string_view fallback) const {
  auto e = Find(parsed_->object, key);
  if (!e) return std::string(fallback);
  if (!e->is_object()) Refuse(what_, "\"" + std::string(key) + "\" must be a JSON object, got " + simdjson::minify(*e));
  return simdjson::minify(*e);
}

}  // namespace ek::sql::plugins
