// How the store names a user's string in a message: 'text', at most 64 bytes (cut on
// a UTF-8 boundary, marked "..."), control bytes escaped (\x00), so a message stays
// one short printable line whatever the name or id holds.
#pragma once

#include <string>
#include <string_view>

namespace ek::store {

inline std::string Quote(std::string_view s) {
  size_t n = s.size();
  bool cut = false;
  if (n > 64) {
    n = 64;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    cut = true;
  }
  std::string out = "'";
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += cut ? "...'" : "'";
  return out;
}

}  // namespace ek::store
