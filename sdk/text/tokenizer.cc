#include "text/tokenizer.h"

#include <algorithm>
#include <cstring>

namespace ek::text {

TokenizeOptions ReadOptions(const ek_tokenize_options* options) {
  TokenizeOptions o;
  if (!options) return o;
  const size_t size = options->struct_size;
  auto has = [&](size_t offset, size_t field) { return size >= offset + field; };
  if (has(offsetof(ek_tokenize_options, flags), sizeof(uint32_t))) o.flags = options->flags;
  if (has(offsetof(ek_tokenize_options, min_token_chars), sizeof(uint32_t)) &&
      options->min_token_chars > 0) {
    o.min_token_chars = options->min_token_chars;
  }
  if (has(offsetof(ek_tokenize_options, max_token_bytes), sizeof(uint32_t)) &&
      options->max_token_bytes > 0) {
    o.max_token_bytes = options->max_token_bytes;
  }
  return o;
}

uint32_t DecodeUtf8(const unsigned char* p, const unsigned char* end, size_t* len) {
  constexpr uint32_t kBad = 0xFFFFFFFFu;
  const unsigned char c = p[0];
  *len = 1;
  if (c < 0x80) return c;
  size_t n;
  uint32_t cp, min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return kBad;  // continuation byte or 0xF8..0xFF
  }
  if (static_cast<size_t>(end - p) < n) return kBad;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return kBad;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kBad;
  *len = n;
  return cp;
}

uint32_t ToLower(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp >= 0x100 && cp <= 0x17F) {
    if (cp == 0x130) return 'i';          // capital I with dot
    if (cp == 0x178) return 0xFF;         // Y with diaeresis
    if (cp == 0x138 || cp == 0x149 || cp == 0x17F) return cp;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) {
      return (cp & 1) ? cp + 1 : cp;      // odd = capital in these ranges
    }
    return (cp & 1) ? cp : cp + 1;        // even = capital
  }
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;  // Greek
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;  // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  if (cp >= 0x460 && cp <= 0x4FF && cp != 0x482 && !(cp >= 0x483 && cp <= 0x489)) {
    // Cyrillic supplement pairs (even = capital), except U+04C0..U+04CE (odd = capital).
    if (cp == 0x4C0) return 0x4CF;
    if (cp >= 0x4C1 && cp <= 0x4CE) return (cp & 1) ? cp + 1 : cp;
    return (cp & 1) ? cp : cp + 1;
  }
  return cp;
}

bool IsWordChar(uint32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
           cp == '_';
  }
  if (cp == 0xFFFFFFFFu) return false;
  if (cp >= 0x80 && cp <= 0xBF) return false;  // C1 controls, Latin-1 punctuation/symbols
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp >= 0x2000 && cp <= 0x206F) return false;  // general punctuation
  if (cp >= 0x20A0 && cp <= 0x20CF) return false;  // currency
  if (cp >= 0x2190 && cp <= 0x2BFF) return false;  // arrows, math, boxes, shapes, dingbats
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;
  if (cp == 0xFEFF || cp == 0xFFFD) return false;   // BOM, replacement character
  return true;
}

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return s;
}
std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  return s;
}

// "Name: value" with an RFC 5322 field name (printable ASCII except ':', no spaces).
bool IsHeaderLine(std::string_view line, std::string_view* name, std::string_view* value) {
  size_t i = 0;
  while (i < line.size() && line[i] > 32 && line[i] < 127 && line[i] != ':') ++i;
  if (i == 0 || i >= line.size() || line[i] != ':' || i > 76) return false;
  *name = line.substr(0, i);
  *value = TrimLeft(line.substr(i + 1));
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (static_cast<char>(ToLower(static_cast<unsigned char>(a[i]))) !=
        static_cast<char>(ToLower(static_cast<unsigned char>(b[i])))) {
      return false;
    }
  }
  return true;
}

bool IsQuoteLine(std::string_view line) {
  std::string_view t = TrimLeft(line);
  if (!t.empty() && (t.front() == '>' || t.front() == '|')) return true;
  std::string_view r = TrimRight(t);
  auto ends = [&](std::string_view suffix) {
    return r.size() >= suffix.size() && r.substr(r.size() - suffix.size()) == suffix;
  };
  if (ends("writes:") || ends("wrote:")) return true;
  return t.substr(0, 11) == "In article ";
}

void AppendUtf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsLetter(uint32_t cp) {
  return IsWordChar(cp) && !(cp >= '0' && cp <= '9') && cp != '_';
}

}  // namespace

bool Tokenizer::Flush() {
  if (token_.empty()) return true;
  bool keep = chars_ >= o_.min_token_chars && token_.size() <= o_.max_token_bytes;
  if (keep && all_digits_ && (o_.flags & EK_TEXT_DROP_NUMBERS)) keep = false;
  if (keep && (o_.flags & EK_TEXT_NUMBERS_AS_HASH)) {
    for (char& c : token_) {
      if (c >= '0' && c <= '9') c = '#';
    }
  }
  bool go = true;
  if (keep) go = call_(sink_, std::string_view(token_));
  token_.clear();
  chars_ = 0;
  all_digits_ = true;
  return go;
}

bool Tokenizer::Line(std::string_view line) {
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  const auto* end = p + line.size();
  const bool lower = (o_.flags & EK_TEXT_LOWERCASE) != 0;
  while (p < end) {
    size_t len;
    uint32_t cp = *p < 0x80 ? (len = 1, *p) : DecodeUtf8(p, end, &len);
    if (IsWordChar(cp)) {
      if (lower) cp = ToLower(cp);
      if (cp < 0x80) {
        token_.push_back(static_cast<char>(cp));
      } else {
        AppendUtf8(token_, cp);
      }
      ++chars_;
      if (!(cp >= '0' && cp <= '9')) all_digits_ = false;
    } else if ((cp == '\'' || cp == 0x2019) && !token_.empty() && !all_digits_) {
      // Apostrophe between letters stays ("don't"); otherwise it splits.
      size_t next_len;
      const auto* q = p + len;
      uint32_t next = q < end ? DecodeUtf8(q, end, &next_len) : 0;
      if (q < end && IsLetter(next)) {
        token_.push_back('\'');
        ++chars_;
      } else if (!Flush()) {
        return false;
      }
    } else if (!Flush()) {
      return false;
    }
    p += len;
  }
  return Flush();
}

bool Tokenizer::RunImpl(std::string_view text) {
  token_.clear();
  chars_ = 0;
  all_digits_ = true;
  size_t pos = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= text.size()) return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    *line = text.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string_view line;
  if (o_.flags & EK_TEXT_STRIP_HEADERS) {
    size_t start = 0;
    bool in_header = false;
    bool subject_next = false;
    std::string subject;
    while (true) {
      if (!next_line(&line)) break;
      std::string_view trimmed = TrimRight(line);
      std::string_view name, value;
      if (trimmed.empty()) {
        if (in_header) start = pos;  // body begins after the blank line
        break;
      }
      if (in_header && IsBlank(line.front())) {  // folded continuation
        if (subject_next) subject.append(" ").append(TrimLeft(trimmed));
        continue;
      }
      if (IsHeaderLine(trimmed, &name, &value)) {
        in_header = true;
        subject_next = EqualsNoCase(name, "subject");
        if (subject_next) subject.assign(value);
        start = pos;
        continue;
      }
      // Not a header line and no blank line before it: not a header block after all
      // ("Note: ..." as the first line of plain text).
      in_header = false;
      break;
    }
    if (!in_header) start = 0;
    pos = start;
    if (in_header && (o_.flags & EK_TEXT_KEEP_SUBJECT) && !subject.empty()) {
      std::string_view s = subject;
      while (true) {  // drop "Re:" prefixes
        std::string_view t = TrimLeft(s);
        if (t.size() >= 3 && EqualsNoCase(t.substr(0, 3), "re:")) {
          s = t.substr(3);
        } else {
          break;
        }
      }
      if (!Line(s)) return false;
    }
  }
  const bool quotes = (o_.flags & EK_TEXT_STRIP_QUOTES) != 0;
  while (next_line(&line)) {
    if (quotes && IsQuoteLine(line)) continue;
    if (!Line(line)) return false;
  }
  return true;
}

}  // namespace ek::text
