// Explains why simdjson rejected a text: a recursive-descent pass over the JSON
// grammar (RFC 8259) that stops at the first offending byte. It runs only after a
// failure, so it may be simple; it also enforces max_depth so it cannot recurse deeper
// than the configured limit.
#include <cctype>
#include <cstdio>

#include "vsa_core.h"

namespace vsaj {
namespace {

std::string Printable(unsigned char c) {
  char buf[24];
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  }
  return buf;
}

class Walker {
 public:
  Walker(std::string_view s, int max_depth) : s_(s), max_depth_(max_depth) {}

  SyntaxProblem Run() {
    Ws();
    if (i_ == s_.size()) return {0, "empty document, expected a JSON value", false};
    if (!Value()) return problem_;
    Ws();
    if (i_ != s_.size()) {
      Bad(i_, "unexpected " + Printable(At(i_)) + " after the end of the JSON value");
      return problem_;
    }
    return {s_.size(), "rejected by simdjson (no grammar error found; number out of range?)", false};
  }

 private:
  unsigned char At(size_t i) const { return static_cast<unsigned char>(s_[i]); }
  bool End() const { return i_ >= s_.size(); }
  bool Bad(size_t at, std::string why, bool depth = false) {
    problem_ = {at, std::move(why), depth};
    return false;
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool Enter() {
    if (++depth_ > max_depth_) {
      return Bad(i_, "nesting deeper than max_depth " + std::to_string(max_depth_), true);
    }
    return true;
  }

  bool Value() {
    if (End()) return Bad(i_, "unexpected end of input, expected a value");
    const char c = s_[i_];
    if (c == '{') return Object();
    if (c == '[') return Array();
    if (c == '"') return String();
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    return Bad(i_, "unexpected " + Printable(At(i_)) + ", expected a value");
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) {
      return Bad(i_, "invalid literal, expected '" + std::string(word) + "'");
    }
    i_ += word.size();
    return true;
  }

  bool Digits() {
    const size_t start = i_;
    while (!End() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }

  bool Number() {
    const size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (End()) return Bad(i_, "unexpected end of input inside a number");
    if (s_[i_] == '0') {
      ++i_;
    } else if (!Digits()) {
      return Bad(i_, "expected a digit in the number starting at byte " + std::to_string(start));
    }
    if (!End() && s_[i_] == '.') {
      ++i_;
      if (!Digits()) return Bad(i_, "expected a digit after '.' in a number");
    }
    if (!End() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (!End() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!Digits()) return Bad(i_, "expected a digit in the exponent of a number");
    }
    return true;
  }

  bool String() {
    const size_t open = i_++;
    while (!End()) {
      const unsigned char c = At(i_);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return Bad(i_, "unescaped control character " + Printable(c) + " in a string");
      if (c == '\\') {
        if (++i_ >= s_.size()) break;
        const char e = s_[i_];
        if (e == 'u') {
          for (int k = 1; k <= 4; ++k) {
            if (i_ + k >= s_.size() || !std::isxdigit(At(i_ + k))) {
              return Bad(i_ + k, "expected 4 hex digits after \\u");
            }
          }
          i_ += 5;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                   e == 'r' || e == 't') {
          ++i_;
        } else {
          return Bad(i_ - 1, "invalid escape '\\" + std::string(1, e) + "' in a string");
        }
        continue;
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      // UTF-8: lead byte, continuation count, overlong / surrogate / range checks.
      size_t n = 0;
      uint32_t cp = 0;
      if (c >= 0xC2 && c <= 0xDF) {
        n = 1, cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2, cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3, cp = c & 0x07;
      } else {
        return Bad(i_, "invalid UTF-8 lead " + Printable(c) + " in a string");
      }
      for (size_t k = 1; k <= n; ++k) {
        if (i_ + k >= s_.size() || (At(i_ + k) & 0xC0) != 0x80) {
          return Bad(i_, "truncated UTF-8 sequence in a string");
        }
        cp = (cp << 6) | (At(i_ + k) & 0x3F);
      }
      if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
          (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return Bad(i_, "invalid UTF-8 sequence in a string");
      }
      i_ += n + 1;
    }
    return Bad(i_, "unexpected end of input inside the string opened at byte " + std::to_string(open));
  }

  bool Object() {
    const size_t open = i_;
    if (!Enter()) return false;
    ++i_;
    Ws();
    if (!End() && s_[i_] == '}') {
      ++i_;
      --depth_;
      return true;
    }
    for (bool first = true;; first = false) {
      Ws();
      if (End()) return Bad(i_, "unexpected end of input inside the object opened at byte " + std::to_string(open));
      if (s_[i_] != '"') {
        return Bad(i_, std::string(first ? "expected a string key or '}'" : "expected a string key after ','") +
                           ", got " + Printable(At(i_)));
      }
      if (!String()) return false;
      Ws();
      if (End() || s_[i_] != ':') return Bad(i_, "expected ':' after an object key");
      ++i_;
      Ws();
      if (!Value()) return false;
      Ws();
      if (End()) return Bad(i_, "unexpected end of input inside the object opened at byte " + std::to_string(open));
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') {
        ++i_;
        --depth_;
        return true;
      }
      return Bad(i_, "expected ',' or '}' after a value in an object, got " + Printable(At(i_)));
    }
  }

  bool Array() {
    const size_t open = i_;
    if (!Enter()) return false;
    ++i_;
    Ws();
    if (!End() && s_[i_] == ']') {
      ++i_;
      --depth_;
      return true;
    }
    for (;;) {
      Ws();
      if (!Value()) return false;
      Ws();
      if (End()) return Bad(i_, "unexpected end of input inside the array opened at byte " + std::to_string(open));
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') {
        ++i_;
        --depth_;
        return true;
      }
      return Bad(i_, "expected ',' or ']' after a value in an array, got " + Printable(At(i_)));
    }
  }

  std::string_view s_;
  int max_depth_;
  size_t i_ = 0;
  int depth_ = 0;
  SyntaxProblem problem_{0, "", false};
};

}  // namespace

SyntaxProblem DiagnoseJson(std::string_view text, int max_depth) {
  return Walker(text, max_depth).Run();
}

}  // namespace vsaj
