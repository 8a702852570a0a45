// The one JSON string quoter of the bundled plugins, for the JSON they write
// (metadata rows, stats, explanations):
//
//   std::string meta = "{\"title\":" + ek_plugin::JsonQuote(title) + "}";
//
// Checking JSON that comes in is the host's job: ek_host::json_check.
#pragma once

#include <string>
#include <string_view>

namespace ek_plugin {

// `s` as a quoted JSON string: quotes, backslashes and control characters escaped
// (\n, \r, \t, \b, \f by name, the rest as \u00XX); well-formed UTF-8 verbatim; a
// byte that is not part of well-formed UTF-8 becomes U+FFFD, so the result is always
// valid JSON (the host refuses JSON metadata that is not UTF-8).
std::string JsonQuote(std::string_view s);

}  // namespace ek_plugin
