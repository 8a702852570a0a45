// The one JSON syntax-error explainer: names the first offending byte of a text and
// says what is wrong there in words ("expected ':' after key", offset 12).
//
// It runs after simdjson rejected a text (json.h's helpers, ek_host::json_check via
// check.h), walking the same bytes with the grammar of RFC 8259, as strict as
// simdjson: UTF-8 in strings, \u escapes and surrogate pairs, numbers that do not fit
// (integers beyond 64 bits, doubles beyond their range), and nesting beyond a limit.
// simdjson stays the validator; this pass explains its verdict, so it may be simple.
//
// Thread-safety: pure function of its arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ek::json {

struct Diagnosis {
  size_t offset = 0;     // 0-based byte offset of the first offending byte (<= size)
  std::string reason;    // "expected ':' after key" (printable ASCII only)
  bool too_deep = false; // the problem is nesting beyond max_depth
};

// The first problem of `text` as one JSON value nested at most `max_depth` levels
// (each array or object is one level), or nothing if the grammar pass finds none.
// Recursion is bounded by max_depth: callers pass a limit the stack can take (check.h
// caps it at kMaxCheckDepth).
std::optional<Diagnosis> Diagnose(std::string_view text, size_t max_depth);

}  // namespace ek::json
