// Why a JSON text is malformed, in the host's words, for a plugin whose own parser
// (simdjson) refused it: the plugin parses as fast as it likes and asks the host to
// explain only the failures, so every JSON error names its byte the same way.
//
//   if (auto err = parser.parse(padded).get(root))
//     ek_plugin::Fail(EK_ERR_PARSE, "labels: " + ek_plugin::JsonSyntaxError(
//                                       host, text, simdjson::error_message(err)));
//   // "labels: byte 12: expected ':' after key"
#pragma once

#include <embedkit/plugin.h>

#include <string>
#include <string_view>

namespace ek_plugin {

// "byte N: <reason>" from ek_host::json_check; from a host before ABI 1.1 (no
// json_check), or if the host finds `text` well-formed, "malformed JSON: <parser_reason>".
std::string JsonSyntaxError(const ek_host* host, std::string_view text, const char* parser_reason);

}  // namespace ek_plugin
