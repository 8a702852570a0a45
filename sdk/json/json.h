// simdjson helpers shared by the SDK (configuration, metadata); filters are in filter.h.
//
// Every parse is done by simdjson (DOM API, one parser per thread). When simdjson
// rejects a text, the grammar pass of diagnose.h names the first offending construct
// and its 0-based byte offset, so messages read like
// "metadata of row 3 ('doc-7'): expected ':' after key at byte 12".
//
// Thread-safety: every function may be called from several threads at once; a
// Config is immutable after construction and may be shared between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/diagnose.h"

namespace ek::json {

// Largest JSON text any helper here parses (configuration, metadata, filters):
// larger texts fail with EK_ERR_LIMIT before any parsing, so a hostile 100 MB
// document costs no parser memory. simdjson needs about 15 bytes per input byte, so
// this bounds one parse to roughly 250 MB. Nesting is limited to
// simdjson::DEFAULT_MAX_DEPTH (1024) levels (EK_ERR_PARSE "nesting deeper than ...").
inline constexpr size_t kMaxDocumentBytes = size_t{16} << 20;

// Texts up to this size are parsed with a parser kept per thread; larger ones with a
// parser freed after the call, so no thread keeps a big document's buffers.
inline constexpr size_t kThreadParserBytes = size_t{1} << 20;

// Throws ek::Error(EK_ERR_PARSE, "<what>: <reason> at byte <offset>") unless `text`
// is one well-formed JSON object (and nothing after it but whitespace);
// EK_ERR_LIMIT if it is longer than kMaxDocumentBytes.
void ValidateObject(std::string_view text, std::string_view what);

// Non-throwing form for hot loops: "" if `text` is one JSON object, else the reason
// with its offset ("expected ':' after key at byte 12"), or the size limit.
std::string ObjectProblem(std::string_view text);

// Deepest nesting CheckValue accepts (simdjson's own limit); a larger request is
// capped here, so the grammar pass never recurses deeper than the stack can take.
inline constexpr size_t kMaxCheckDepth = 1024;

// ek_host::json_check: nothing if `text` is one JSON value nested at most
// `max_depth` levels (0 or above kMaxCheckDepth: kMaxCheckDepth), else the first
// offending byte and why (diagnose.h). simdjson validates texts up to
// kMaxDocumentBytes; larger ones are walked by the grammar pass alone, which needs no
// memory beyond its stack, so a check never fails for want of parser memory.
std::optional<Diagnosis> CheckValue(std::string_view text, size_t max_depth);

// True if `text` is valid UTF-8 (simdjson's validator).
bool IsValidUtf8(std::string_view text);

// A JSON array of numbers ("[1, 2.5, -3e2]") as doubles, in order (the SQL layer's
// vector text). Throws ek::Error: EK_ERR_PARSE "<what>: <reason> at byte <offset>"
// unless `text` is one well-formed array (nothing after it but whitespace);
// EK_ERR_INVALID_ARGUMENT "<what>: element 2 is a string, not a number", or when the
// array has more than `max_elements` elements (checked before anything is copied);
// EK_ERR_LIMIT beyond kMaxDocumentBytes.
std::vector<double> ParseNumberArray(std::string_view text, std::string_view what,
                                     size_t max_elements);

// Reads a configuration object into simple typed lookups (for context and plugins).
// The constructor throws EK_ERR_PARSE unless `text` is a JSON object. Getters look up
// top-level keys (first occurrence wins); an absent key or a JSON null value gives
// the fallback; a value of the wrong type throws EK_ERR_INVALID_ARGUMENT naming
// `what`, the key, the expected and the actual type.
class Config {
 public:
  explicit Config(std::string_view text, std::string_view what = "config");
  bool Has(std::string_view key) const;  // true also when the value is null
  std::string GetString(std::string_view key, std::string_view fallback) const;
  // Integers, and numbers with an integral value in int64 range (1e3); else throws.
  int64_t GetInt(std::string_view key, int64_t fallback) const;
  double GetDouble(std::string_view key, double fallback) const;  // throws if not a number
  bool GetBool(std::string_view key, bool fallback) const;        // throws if not a boolean
  std::vector<std::string> Keys() const;                          // in document order

 private:
  std::string text_;   // copy owned here (re-parsed by each getter)
  std::string what_;
};

}  // namespace ek::json
