#include "json/json.h"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <optional>

#include "base/error.h"
#include "json/diagnose.h"
#include "json/dom.h"

namespace ek::json {

namespace {

size_t FirstNonSpace(std::string_view text) {
  size_t i = 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
    ++i;
  return i;
}

}  // namespace

const char* TypeName(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::ARRAY: return "an array";
    case T::OBJECT: return "an object";
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE: return "a number";
    case T::STRING: return "a string";
    case T::BOOL: return "a boolean";
    case T::NULL_VALUE: return "null";
  }
  return "an unknown value";
}

namespace {

// "<reason> at byte <offset>" for a text simdjson rejected with `code`.
std::string DescribeFailure(std::string_view text, simdjson::error_code code) {
  if (auto d = Diagnose(text, simdjson::DEFAULT_MAX_DEPTH))
    return d->reason + " at byte " + std::to_string(d->offset);
  // The grammar pass found nothing simdjson objects to (should not happen): report
  // simdjson's own words, at the first byte of the value.
  return std::string(simdjson::error_message(code)) + " at byte " +
         std::to_string(FirstNonSpace(text));
}

std::string NotAnObject(std::string_view text, simdjson::dom::element root) {
  return std::string("expected a JSON object, got ") + TypeName(root.type()) + " at byte " +
         std::to_string(FirstNonSpace(text));
}

std::string TooLarge(std::string_view text) {
  return std::to_string(text.size()) + " bytes of JSON; the limit is " +
         std::to_string(kMaxDocumentBytes) + " bytes";
}

}  // namespace

simdjson::dom::parser& ParserFor(std::string_view text, std::optional<simdjson::dom::parser>& local) {
  if (text.size() > kThreadParserBytes) return local.emplace();
  thread_local simdjson::dom::parser parser;
  return parser;
}

// simdjson copies the text with memcpy, which must never be given a null pointer,
// not even for zero bytes; a string_view built from (NULL, 0) has data() == nullptr.
simdjson::simdjson_result<simdjson::dom::element> Parse(simdjson::dom::parser& parser,
                                                      std::string_view text) {
  return parser.parse(text.empty() ? "" : text.data(), text.size(), true);
}

simdjson::dom::object ParseObject(simdjson::dom::parser& parser, std::string_view text,
                                  std::string_view what) {
  if (text.size() > kMaxDocumentBytes) Fail(EK_ERR_LIMIT, std::string(what) + ": " + TooLarge(text));
  simdjson::dom::element root;
  const auto code = Parse(parser, text).get(root);
  if (code != simdjson::SUCCESS)
    Fail(EK_ERR_PARSE, std::string(what) + ": " + DescribeFailure(text, code));
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS)
    Fail(EK_ERR_PARSE, std::string(what) + ": " + NotAnObject(text, root));
  return object;
}

bool AsDouble(simdjson::dom::element e, double* out) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::INT64: *out = static_cast<double>(int64_t(e)); return true;
    case T::UINT64: *out = static_cast<double>(uint64_t(e)); return true;
    case T::DOUBLE: *out = double(e); return true;
    default: return false;
  }
}

void ValidateObject(std::string_view text, std::string_view what) {
  std::optional<simdjson::dom::parser> local;
  (void)ParseObject(ParserFor(text, local), text, what);
}

std::string ObjectProblem(std::string_view text) {
  if (text.size() > kMaxDocumentBytes) return TooLarge(text);
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element root;
  const auto code = Parse(ParserFor(text, local), text).get(root);
  if (code != simdjson::SUCCESS) return DescribeFailure(text, code);
  if (!root.is_object()) return NotAnObject(text, root);
  return {};
}

static_assert(kMaxCheckDepth == simdjson::DEFAULT_MAX_DEPTH, "the thread parser's limit");

std::optional<Diagnosis> CheckValue(std::string_view text, size_t max_depth) {
  const size_t depth = max_depth == 0 || max_depth > kMaxCheckDepth ? kMaxCheckDepth : max_depth;
  if (text.size() > kMaxDocumentBytes) return Diagnose(text, depth);
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element root;
  const auto code = Parse(ParserFor(text, local), text).get(root);
  // simdjson's parser allows kMaxCheckDepth levels: a tighter limit takes the walk.
  if (code == simdjson::SUCCESS) return depth < kMaxCheckDepth ? Diagnose(text, depth) : std::nullopt;
  if (auto d = Diagnose(text, depth)) return d;
  // The grammar pass found nothing simdjson objects to (should not happen): report
  // simdjson's own words, at the first byte of the value.
  return Diagnosis{FirstNonSpace(text), simdjson::error_message(code),
                   code == simdjson::DEPTH_ERROR};
}

std::vector<double> ParseNumberArray(std::string_view text, std::string_view what,
                                     size_t max_elements) {
  const std::string where(what);
  if (text.size() > kMaxDocumentBytes) Fail(EK_ERR_LIMIT, where + ": " + TooLarge(text));
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element root;
  const auto code = Parse(ParserFor(text, local), text).get(root);
  if (code != simdjson::SUCCESS) Fail(EK_ERR_PARSE, where + ": " + DescribeFailure(text, code));
  simdjson::dom::array array;
  if (root.get(array) != simdjson::SUCCESS)
    Fail(EK_ERR_PARSE, where + ": expected a JSON array, got " + TypeName(root.type()) +
                           " at byte " + std::to_string(FirstNonSpace(text)));
  const size_t count = array.size();
  if (count > max_elements)
    Fail(EK_ERR_INVALID_ARGUMENT, where + ": " + std::to_string(count) +
                                      " elements, more than the " + std::to_string(max_elements) +
                                      " allowed");
  std::vector<double> numbers;
  numbers.reserve(count);
  for (simdjson::dom::element e : array) {
    double d = 0;
    if (!AsDouble(e, &d))
      Fail(EK_ERR_INVALID_ARGUMENT, where + ": element " + std::to_string(numbers.size()) + " is " +
                                        TypeName(e.type()) + ", not a number");
    numbers.push_back(d);
  }
  return numbers;
}

bool IsValidUtf8(std::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

// ---- Config -----------------------------------------------------------------------------

namespace {

// Looks up `key` in `text` (validated at construction); false if absent or null.
bool Lookup(simdjson::dom::parser& parser, const std::string& text, const std::string& what,
            std::string_view key, simdjson::dom::element* out) {
  simdjson::dom::object object = ParseObject(parser, text, what);
  if (object.at_key(key).get(*out) != simdjson::SUCCESS) return false;
  return out->type() != simdjson::dom::element_type::NULL_VALUE;
}

[[noreturn]] void WrongType(const std::string& what, std::string_view key, const char* expected,
                            simdjson::dom::element got) {
  Fail(EK_ERR_INVALID_ARGUMENT, what + ": '" + std::string(key) + "' must be " + expected +
                                    ", got " + TypeName(got.type()));
}

}  // namespace

Config::Config(std::string_view text, std::string_view what) : text_(text), what_(what) {
  ValidateObject(text_, what_);
}

bool Config::Has(std::string_view key) const {
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element v;
  return ParseObject(ParserFor(text_, local), text_, what_).at_key(key).get(v) ==
         simdjson::SUCCESS;
}

std::string Config::GetString(std::string_view key, std::string_view fallback) const {
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element v;
  if (!Lookup(ParserFor(text_, local), text_, what_, key, &v)) return std::string(fallback);
  std::string_view s;
  if (v.get(s) != simdjson::SUCCESS) WrongType(what_, key, "a string", v);
  return std::string(s);
}

int64_t Config::GetInt(std::string_view key, int64_t fallback) const {
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element v;
  if (!Lookup(ParserFor(text_, local), text_, what_, key, &v)) return fallback;
  using T = simdjson::dom::element_type;
  switch (v.type()) {
    case T::INT64: return int64_t(v);
    case T::UINT64:
      Fail(EK_ERR_INVALID_ARGUMENT, what_ + ": '" + std::string(key) + "' is " +
                                        std::to_string(uint64_t(v)) +
                                        ", beyond the range of a signed 64-bit integer");
    case T::DOUBLE: {
      const double d = double(v);
      // [-2^63, 2^63): every double in this range with no fraction converts exactly.
      if (d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        return static_cast<int64_t>(d);
      Fail(EK_ERR_INVALID_ARGUMENT, what_ + ": '" + std::string(key) + "' must be an integer, got " +
                                        std::to_string(d));
    }
    default: WrongType(what_, key, "an integer", v);
  }
}

double Config::GetDouble(std::string_view key, double fallback) const {
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element v;
  if (!Lookup(ParserFor(text_, local), text_, what_, key, &v)) return fallback;
  double d;
  if (!AsDouble(v, &d)) WrongType(what_, key, "a number", v);
  return d;
}

bool Config::GetBool(std::string_view key, bool fallback) const {
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element v;
  if (!Lookup(ParserFor(text_, local), text_, what_, key, &v)) return fallback;
  bool b;
  if (v.get(b) != simdjson::SUCCESS) WrongType(what_, key, "a boolean", v);
  return b;
}

std::vector<std::string> Config::Keys() const {
  std::vector<std::string> keys;
  std::optional<simdjson::dom::parser> local;
  for (auto field : ParseObject(ParserFor(text_, local), text_, what_)) keys.emplace_back(field.key);
  return keys;
}

}  // namespace ek::json
