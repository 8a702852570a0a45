// A recursive-descent walk over the JSON grammar that stops at the first offending
// byte. Merged from the SDK's explainer and vsa_json's (issue 18): vsa_json's walker
// brought the caller's depth limit, any value at the root, and offsets that point at
// the byte that is wrong (the bad hex digit of a \u escape, the end of the input inside
// an unterminated string) rather than at the start of the construct.
#include "json/diagnose.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace ek::json {
namespace {

// A byte for a message: 'x' when printable ASCII, else "byte 0xNN". Never the byte
// itself: a NUL would cut the C string short, a non-ASCII byte make it invalid UTF-8.
std::string Printable(unsigned char c) {
  char buf[16];
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  }
  return buf;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Walker {
 public:
  Walker(std::string_view text, size_t max_depth) : s_(text), max_depth_(max_depth) {}

  std::optional<Diagnosis> Run() {
    SkipWs();
    if (AtEnd()) return Diagnosis{i_, "empty input, expected a JSON value", false};
    if (!Value()) return error_;
    SkipWs();
    if (!AtEnd()) {
      Fail(i_, "unexpected " + Printable(Byte(i_)) + " after the end of the JSON value");
      return error_;
    }
    return std::nullopt;
  }

 private:
  unsigned char Byte(size_t at) const { return static_cast<unsigned char>(s_[at]); }
  bool AtEnd() const { return i_ >= s_.size(); }
  void SkipWs() {
    while (!AtEnd() && IsSpace(s_[i_])) ++i_;
  }

  bool Fail(size_t at, std::string reason, bool too_deep = false) {
    error_ = Diagnosis{at, std::move(reason), too_deep};
    return false;
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
        if (s_[i_] == '-' || IsDigit(s_[i_])) return Number();
        return Fail(i_, "unexpected " + Printable(Byte(i_)) + ", expected a value");
    }
  }

  bool Enter() {
    if (++depth_ > max_depth_)
      return Fail(i_, "nesting deeper than " + std::to_string(max_depth_) + " levels", true);
    return true;
  }

  // After the opening '{' or '[' at `open`: a message for input that ends inside it.
  bool EndInside(const char* what, size_t open) {
    return Fail(i_, std::string("unexpected end of input inside the ") + what +
                        " opened at byte " + std::to_string(open));
  }

  bool Object() {
    const size_t open = i_;
    if (!Enter()) return false;
    ++i_;
    SkipWs();
    if (!AtEnd() && s_[i_] == '}') return Leave();
    for (bool first = true;; first = false) {
      SkipWs();
      if (AtEnd()) return EndInside("object", open);
      if (s_[i_] != '"')
        return Fail(i_, std::string(first ? "expected a string key or '}'"
                                          : "expected a string key after ','") +
                            ", got " + Printable(Byte(i_)));
      if (!String()) return false;
      SkipWs();
      if (AtEnd()) return Fail(i_, "unexpected end of input, expected ':' after key");
      if (s_[i_] != ':') return Fail(i_, "expected ':' after key");
      ++i_;
      SkipWs();
      if (!Value()) return false;
      SkipWs();
      if (AtEnd()) return EndInside("object", open);
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') return Leave();
      return Fail(i_, "expected ',' or '}' after a value in an object, got " +
                          Printable(Byte(i_)));
    }
  }

  bool Array() {
    const size_t open = i_;
    if (!Enter()) return false;
    ++i_;
    SkipWs();
    if (!AtEnd() && s_[i_] == ']') return Leave();
    for (;;) {
      SkipWs();
      if (!Value()) return false;
      SkipWs();
      if (AtEnd()) return EndInside("array", open);
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') return Leave();
      return Fail(i_, "expected ',' or ']' after a value in an array, got " +
                          Printable(Byte(i_)));
    }
  }

  // Consumes the closing '}' or ']'.
  bool Leave() {
    ++i_;
    --depth_;
    return true;
  }

  // Reads \uXXXX at i_ (pointing at '\\'); returns the code unit, or -1 with the
  // error at the first byte that is not a hex digit (or the end of the input).
  long Escape4() {
    long unit = 0;
    for (size_t k = 2; k < 6; ++k) {
      if (i_ + k >= s_.size() || HexValue(s_[i_ + k]) < 0)
        return Fail(i_ + k < s_.size() ? i_ + k : s_.size(),
                    "\\u must be followed by 4 hex digits"),
               -1;
      unit = unit * 16 + HexValue(s_[i_ + k]);
    }
    i_ += 6;
    return unit;
  }

  bool UnicodeEscape() {
    const size_t at = i_;
    const long unit = Escape4();
    if (unit < 0) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return Fail(at, "lone low surrogate \\u escape");
    if (unit < 0xD800 || unit > 0xDBFF) return true;
    if (i_ + 1 >= s_.size() || s_[i_] != '\\' || s_[i_ + 1] != 'u')
      return Fail(at, "high surrogate \\u escape not followed by a low surrogate");
    const long low = Escape4();
    if (low < 0) return false;
    if (low < 0xDC00 || low > 0xDFFF)
      return Fail(at, "high surrogate \\u escape not followed by a low surrogate");
    return true;
  }

  bool Escape(size_t open) {
    if (i_ + 1 >= s_.size()) return Fail(s_.size(), Unterminated(open));
    const char e = s_[i_ + 1];
    if (e == 'u') return UnicodeEscape();
    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
        e == 't') {
      i_ += 2;
      return true;
    }
    const unsigned char ue = static_cast<unsigned char>(e);
    if (ue < 0x20 || ue >= 0x7f)
      return Fail(i_, "invalid escape: '\\' followed by " + Printable(ue) + " in a string");
    return Fail(i_, "invalid escape '\\" + std::string(1, e) + "' in a string");
  }

  static std::string Unterminated(size_t open) {
    return "unterminated string: the input ends inside the string opened at byte " +
           std::to_string(open);
  }

  bool String() {
    const size_t open = i_;
    ++i_;
    for (;;) {
      if (AtEnd()) return Fail(i_, Unterminated(open));
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
        if (!Escape(open)) return false;
        continue;
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      if (!Utf8Sequence()) return false;
    }
  }

  // Consumes one well-formed UTF-8 sequence at i_ (a byte >= 0x80).
  bool Utf8Sequence() {
    const unsigned char c = Byte(i_);
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4, cp = c & 0x07;
    } else {
      return Fail(i_, "invalid UTF-8 in a string: " + Printable(c) + " cannot start a character");
    }
    for (size_t k = 1; k < n; ++k) {
      if (i_ + k >= s_.size() || (Byte(i_ + k) & 0xC0) != 0x80)
        return Fail(i_, "invalid UTF-8 in a string: " + Printable(c) + " starts a " +
                            std::to_string(n) + "-byte character that is cut short");
      cp = (cp << 6) | (Byte(i_ + k) & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return Fail(i_, "invalid UTF-8 in a string: overlong or out-of-range sequence");
    if (cp >= 0xD800 && cp <= 0xDFFF)
      return Fail(i_, "invalid UTF-8 in a string: an encoded surrogate (U+D800..U+DFFF)");
    i_ += n;
    return true;
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
    if (IsSpace(c) || c == ',' || c == '}' || c == ']' || c == ':') return true;
    return Fail(i_, "unexpected " + Printable(Byte(i_)) + " after a value");
  }

  void SkipDigits() {
    while (!AtEnd() && IsDigit(s_[i_])) ++i_;
  }

  bool Number() {
    const size_t start = i_;
    const bool negative = s_[i_] == '-';
    if (negative) {
      ++i_;
      if (AtEnd() || !IsDigit(s_[i_])) return Fail(start, "invalid number: expected a digit after '-'");
    }
    if (s_[i_] == '0') {
      ++i_;
      if (!AtEnd() && IsDigit(s_[i_])) return Fail(start, "invalid number: leading zeros are not allowed");
    } else {
      SkipDigits();
    }
    bool integral = true;
    if (!AtEnd() && s_[i_] == '.') {
      integral = false;
      ++i_;
      if (AtEnd() || !IsDigit(s_[i_])) return Fail(start, "invalid number: expected a digit after '.'");
      SkipDigits();
    }
    if (!AtEnd() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      integral = false;
      ++i_;
      if (!AtEnd() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (AtEnd() || !IsDigit(s_[i_]))
        return Fail(start, "invalid number: expected a digit in the exponent");
      SkipDigits();
    }
    if (!FitsSimdjson(std::string(s_.substr(start, i_ - start)), negative, integral))
      return false;
    return Delimited();
  }

  // simdjson accepts integers in [-2^63, 2^64) and finite doubles only.
  bool FitsSimdjson(const std::string& token, bool negative, bool integral) {
    const size_t start = i_ - token.size();
    if (integral) {
      errno = 0;
      if (negative) {
        (void)std::strtoll(token.c_str(), nullptr, 10);
      } else {
        (void)std::strtoull(token.c_str(), nullptr, 10);
      }
      if (errno == ERANGE) return Fail(start, "integer " + token + " does not fit in 64 bits");
      return true;
    }
    if (std::isinf(std::strtod(token.c_str(), nullptr)))
      return Fail(start, "number " + token + " is out of the range of a double");
    return true;
  }

  std::string_view s_;
  size_t max_depth_;
  size_t i_ = 0;
  size_t depth_ = 0;
  Diagnosis error_;
};

}  // namespace

std::optional<Diagnosis> Diagnose(std::string_view text, size_t max_depth) {
  return Walker(text, max_depth).Run();
}

}  // namespace ek::json
