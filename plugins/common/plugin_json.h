// Helpers shared by the bundled plugins. Plugins see only abi/ headers and their
// ek_host, never sdk/ internals, so code they all need lives here, header-only.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace ek_plugin {

// `s` as a quoted JSON string: quotes, backslashes and control characters escaped
// (\n, \r, \t by name, the rest as \u00XX); other bytes, UTF-8 included, verbatim.
inline std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace ek_plugin
