#include "json/json.h"

#include <simdjson.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "base/error.h"

namespace ek::json {

namespace {

// ---- Diagnostics --------------------------------------------------------------------
// Runs only after simdjson rejected a text: walks the same bytes with the JSON
// grammar (RFC 8259, as strict as simdjson) and reports the first offending byte in
// words. simdjson stays the validator; this pass only explains its verdict.

struct Diagnosis {
  size_t offset = 0;
  std::string reason;
};

std::string Printable(unsigned char c) {
  char buf[16];
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  }
  return buf;
}

class Diagnoser {
 public:
  explicit Diagnoser(std::string_view text) : s_(text) {}

  // Returns the first error, or nothing if the grammar pass finds none.
  std::optional<Diagnosis> Run() {
    SkipWs();
    if (i_ == s_.size()) return Diagnosis{i_, "empty input, expected a JSON object"};
    if (!Value()) return error_;
    SkipWs();
    if (i_ != s_.size()) {
      Fail(i_, "unexpected " + Printable(Byte(i_)) + " after the end of the JSON value");
      return error_;
    }
    return std::nullopt;
  }

 private:
  unsigned char Byte(size_t at) const { return static_cast<unsigned char>(s_[at]); }
  bool AtEnd() const { return i_ >= s_.size(); }

  bool Fail(size_t at, std::string reason) {
    error_ = Diagnosis{at, std::move(reason)};
    return false;
  }

  void SkipWs() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }

  bool Value() {
    if (AtEnd()) return Fail(i_, "unexpected end of input, expected a value");
    switch (s_[i_]) {
      case '{': return Object();
      case '[': return Array();
      case '"': return String();
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default:
        if (s_[i_] == '-' || (s_[i_] >= '0' && s_[i_] <= '9')) return Number();
        return Fail(i_, "unexpected " + Printable(Byte(i_)) + ", expected a value");
    }
  }

  bool Enter() {
    if (++depth_ > simdjson::DEFAULT_MAX_DEPTH)
      return Fail(i_, "nesting deeper than " + std::to_string(simdjson::DEFAULT_MAX_DEPTH) +
                          " levels");
    return true;
  }

  bool Object() {
    const size_t open = i_;
    if (!Enter()) return false;
    ++i_;
    SkipWs();
    if (!AtEnd() && s_[i_] == '}') {
      ++i_;
      --depth_;
      return true;
    }
    for (bool first = true;; first = false) {
      SkipWs();
      if (AtEnd())
        return Fail(i_, "unexpected end of input inside the object opened at byte " +
                            std::to_string(open));
      if (s_[i_] != '"')
        return Fail(i_, std::string(first ? "expected a string key or '}'"
                                          : "expected a string key after ','") +
                            ", got " + Printable(Byte(i_)));
      if (!String()) return false;
      SkipWs();
      if (AtEnd() || s_[i_] != ':')
        return Fail(i_, AtEnd() ? "unexpected end of input, expected ':' after key"
                                : "expected ':' after key");
      ++i_;
      SkipWs();
      if (!Value()) return false;
      SkipWs();
      if (AtEnd())
        return Fail(i_, "unexpected end of input inside the object opened at byte " +
                            std::to_string(open));
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') {
        ++i_;
        --depth_;
        return true;
      }
      return Fail(i_, "expected ',' or '}' after a value in an object, got " +
                          Printable(Byte(i_)));
    }
  }

  bool Array() {
    const size_t open = i_;
    if (!Enter()) return false;
    ++i_;
    SkipWs();
    if (!AtEnd() && s_[i_] == ']') {
      ++i_;
      --depth_;
      return true;
    }
    for (;;) {
      SkipWs();
      if (!Value()) return false;
      SkipWs();
      if (AtEnd())
        return Fail(i_, "unexpected end of input inside the array opened at byte " +
                            std::to_string(open));
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') {
        ++i_;
        --depth_;
        return true;
      }
      return Fail(i_, "expected ',' or ']' after a value in an array, got " +
                          Printable(Byte(i_)));
    }
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads \uXXXX at i_ (pointing at '\\'); returns the code unit or -1 (error set).
  long Escape4() {
    const size_t at = i_;
    if (i_ + 6 > s_.size()) return Fail(at, "\\u must be followed by 4 hex digits"), -1;
    long v = 0;
    for (size_t k = 2; k < 6; ++k) {
      const int h = Hex(s_[i_ + k]);
      if (h < 0) return Fail(at, "\\u must be followed by 4 hex digits"), -1;
      v = v * 16 + h;
    }
    i_ += 6;
    return v;
  }

  bool String() {
    const size_t open = i_;
    ++i_;
    for (;;) {
      if (AtEnd()) return Fail(open, "unterminated string");
      const unsigned char c = Byte(i_);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "control character U+%04X in a string must be escaped", c);
        return Fail(i_, buf);
      }
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return Fail(open, "unterminated string");
        const char e = s_[i_ + 1];
        if (e == 'u') {
          const size_t at = i_;
          const long unit = Escape4();
          if (unit < 0) return false;
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
              return Fail(at, "high surrogate \\u escape not followed by a low surrogate");
            const long low = Escape4();
            if (low < 0) return false;
            if (low < 0xDC00 || low > 0xDFFF)
              return Fail(at, "high surrogate \\u escape not followed by a low surrogate");
          } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
            return Fail(at, "lone low surrogate \\u escape");
          }
          continue;
        }
        if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
            e == 't') {
          i_ += 2;
          continue;
        }
        // Never copy the byte itself into the message: a NUL would cut the C string
        // (and the offset) short, a non-ASCII byte would make it invalid UTF-8.
        const unsigned char ue = static_cast<unsigned char>(e);
        if (ue < 0x20 || ue >= 0x7f)
          return Fail(i_, "invalid escape: '\\' followed by " + Printable(ue) + " in a string");
        return Fail(i_, "invalid escape '\\" + std::string(1, e) + "' in a string");
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      const size_t n = Utf8Length(i_);
      if (n == 0) return Fail(i_, "invalid UTF-8 (" + Printable(c) + ") in a string");
      i_ += n;
    }
  }

  // Length of the well-formed UTF-8 sequence at `at`, or 0.
  size_t Utf8Length(size_t at) const {
    const unsigned char c = Byte(at);
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (at + n > s_.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
      const unsigned char d = Byte(at + k);
      if ((d & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    return n;
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word)
      return Fail(i_, "invalid literal, expected '" + std::string(word) + "'");
    i_ += word.size();
    return Delimited();
  }

  // A scalar must be followed by whitespace, a structural character or the end.
  bool Delimited() {
    if (AtEnd()) return true;
    const char c = s_[i_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '}' || c == ']' ||
        c == ':')
      return true;
    return Fail(i_, "unexpected " + Printable(Byte(i_)) + " after a value");
  }

  static bool Digit(char c) { return c >= '0' && c <= '9'; }

  bool Number() {
    const size_t start = i_;
    bool negative = false;
    if (s_[i_] == '-') {
      negative = true;
      ++i_;
      if (AtEnd() || !Digit(s_[i_])) return Fail(start, "invalid number: expected a digit after '-'");
    }
    if (s_[i_] == '0') {
      ++i_;
      if (!AtEnd() && Digit(s_[i_])) return Fail(start, "invalid number: leading zeros are not allowed");
    } else {
      while (!AtEnd() && Digit(s_[i_])) ++i_;
    }
    bool integral = true;
    if (!AtEnd() && s_[i_] == '.') {
      integral = false;
      ++i_;
      if (AtEnd() || !Digit(s_[i_])) return Fail(start, "invalid number: expected a digit after '.'");
      while (!AtEnd() && Digit(s_[i_])) ++i_;
    }
    if (!AtEnd() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integral = false;
      ++i_;
      if (!AtEnd() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (AtEnd() || !Digit(s_[i_]))
        return Fail(start, "invalid number: expected a digit in the exponent");
      while (!AtEnd() && Digit(s_[i_])) ++i_;
    }
    const std::string token(s_.substr(start, i_ - start));
    if (integral) {
      // simdjson accepts integers in [-2^63, 2^64) and rejects larger ones.
      errno = 0;
      if (negative) {
        (void)std::strtoll(token.c_str(), nullptr, 10);
      } else {
        (void)std::strtoull(token.c_str(), nullptr, 10);
      }
      if (errno == ERANGE) return Fail(start, "integer " + token + " does not fit in 64 bits");
    } else {
      const double v = std::strtod(token.c_str(), nullptr);
      if (std::isinf(v)) return Fail(start, "number " + token + " is out of the range of a double");
    }
    return Delimited();
  }

  std::string_view s_;
  size_t i_ = 0;
  size_t depth_ = 0;
  Diagnosis error_;
};

size_t FirstNonSpace(std::string_view text) {
  size_t i = 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
    ++i;
  return i;
}

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

// "<reason> at byte <offset>" for a text simdjson rejected with `code`.
std::string DescribeFailure(std::string_view text, simdjson::error_code code) {
  Diagnoser diagnoser(text);
  if (auto d = diagnoser.Run()) return d->reason + " at byte " + std::to_string(d->offset);
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

// The parser for `text`: this thread's for small texts, else `local` (freed by the
// caller's scope), so no thread keeps the buffers of a big document.
simdjson::dom::parser& ParserFor(std::string_view text, std::optional<simdjson::dom::parser>& local) {
  if (text.size() > kThreadParserBytes) return local.emplace();
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Parses `text` with `parser`; the object is valid until its next parse. Throws
// EK_ERR_LIMIT beyond kMaxDocumentBytes, EK_ERR_PARSE (with the offset) unless it is
// one object.
simdjson::dom::object ParseObject(simdjson::dom::parser& parser, std::string_view text,
                                  std::string_view what) {
  if (text.size() > kMaxDocumentBytes) Fail(EK_ERR_LIMIT, std::string(what) + ": " + TooLarge(text));
  simdjson::dom::element root;
  const auto code = parser.parse(text.data(), text.size(), true).get(root);
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

bool ScalarEquals(simdjson::dom::element e, const Scalar& want) {
  using T = simdjson::dom::element_type;
  const T type = e.type();
  if (std::holds_alternative<Null>(want)) return type == T::NULL_VALUE;
  if (const bool* b = std::get_if<bool>(&want)) return type == T::BOOL && bool(e) == *b;
  if (const double* d = std::get_if<double>(&want)) {
    double v;
    return AsDouble(e, &v) && v == *d;
  }
  const std::string& s = std::get<std::string>(want);
  return type == T::STRING && std::string_view(e) == s;
}

}  // namespace

void ValidateObject(std::string_view text, std::string_view what) {
  std::optional<simdjson::dom::parser> local;
  (void)ParseObject(ParserFor(text, local), text, what);
}

std::string ObjectProblem(std::string_view text) {
  if (text.size() > kMaxDocumentBytes) return TooLarge(text);
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element root;
  const auto code = ParserFor(text, local).parse(text.data(), text.size(), true).get(root);
  if (code != simdjson::SUCCESS) return DescribeFailure(text, code);
  if (!root.is_object()) return NotAnObject(text, root);
  return {};
}

bool IsValidUtf8(std::string_view text) { return simdjson::validate_utf8(text.data(), text.size()); }

std::vector<FieldEquals> ParseEqualityFilter(std::string_view text) {
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::object object = ParseObject(ParserFor(text, local), text, "filter");
  std::vector<FieldEquals> out;
  for (auto field : object) {
    using T = simdjson::dom::element_type;
    FieldEquals f;
    f.key = std::string(field.key);
    const simdjson::dom::element v = field.value;
    switch (v.type()) {
      case T::NULL_VALUE: f.value = Null{}; break;
      case T::BOOL: f.value = bool(v); break;
      case T::INT64:
      case T::UINT64:
      case T::DOUBLE: {
        double d = 0;
        AsDouble(v, &d);
        f.value = d;
        break;
      }
      case T::STRING: f.value = std::string(std::string_view(v)); break;
      case T::ARRAY:
      case T::OBJECT:
        Fail(EK_ERR_INVALID_ARGUMENT,
             "filter: value of '" + f.key + "' is " + TypeName(v.type()) +
                 "; only strings, numbers, booleans and null can be matched");
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool MatchesFilter(std::string_view metadata_json, const std::vector<FieldEquals>& filter) {
  if (metadata_json.size() > kMaxDocumentBytes) return false;
  std::optional<simdjson::dom::parser> local;
  simdjson::dom::element root;
  if (ParserFor(metadata_json, local)
          .parse(metadata_json.data(), metadata_json.size(), true)
          .get(root) != simdjson::SUCCESS)
    return false;
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return false;
  for (const FieldEquals& f : filter) {
    simdjson::dom::element v;
    if (object.at_key(f.key).get(v) != simdjson::SUCCESS) return false;
    if (!ScalarEquals(v, f.value)) return false;
  }
  return true;
}

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
