// simdjson helpers shared by the SDK (configuration, metadata, filters).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ek::json {

// Throws ek::Error(EK_ERR_PARSE, "<what>: <reason> at byte <offset>") unless `text`
// is one well-formed JSON object (and nothing after it but whitespace).
void ValidateObject(std::string_view text, std::string_view what);

// A scalar JSON value for equality filters. Numbers compare as double.
struct Null {};
using Scalar = std::variant<Null, bool, double, std::string>;

struct FieldEquals {
  std::string key;
  Scalar value;
};

// Parses a flat filter object {"key": scalar, ...}; objects/arrays as values are
// rejected with EK_ERR_INVALID_ARGUMENT.
std::vector<FieldEquals> ParseEqualityFilter(std::string_view text);

// True if `metadata_json` (an object) has every field of `filter` with an equal value.
bool MatchesFilter(std::string_view metadata_json, const std::vector<FieldEquals>& filter);

// Reads a configuration object into simple typed lookups (for context and plugins).
class Config {
 public:
  explicit Config(std::string_view text, std::string_view what = "config");
  bool Has(std::string_view key) const;
  std::string GetString(std::string_view key, std::string_view fallback) const;
  int64_t GetInt(std::string_view key, int64_t fallback) const;   // throws if not an integer
  double GetDouble(std::string_view key, double fallback) const;  // throws if not a number
  bool GetBool(std::string_view key, bool fallback) const;        // throws if not a boolean
  std::vector<std::string> Keys() const;

 private:
  std::string text_;   // padded copy owned here
  std::string what_;
};

}  // namespace ek::json
