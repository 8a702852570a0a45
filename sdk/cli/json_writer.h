// A small streaming JSON writer for --json output: compact, one document per line,
// strings escaped per RFC 8259 (invalid UTF-8 becomes U+FFFD), floats in shortest
// round-trip form, non-finite numbers written as null. It cannot produce invalid
// JSON: Raw() checks its text and throws instead of writing a hole like `"k":,`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json_quote.h"

namespace ek::cli {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& UInt(uint64_t value);
  JsonWriter& Float(float value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts one JSON value given as text (e.g. metadata returned by the library),
  // minified. Throws std::invalid_argument if `json` is not exactly one valid JSON
  // value (empty text included): callers decide what an absent value means.
  JsonWriter& Raw(std::string_view json);

  // The document so far; complete once every Begin* has its End*.
  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// `text` as a quoted, escaped JSON string; bytes that are not valid UTF-8 are
// written as U+FFFD, so the result is always a valid JSON string. The one quoter of
// the tree lives in plugins/common (ek_plugin_common needs only abi/ headers).
using ek_plugin::JsonQuote;

}  // namespace ek::cli
