#include "json_syntax.h"

#include <cstddef>

namespace ek_plugin {

std::string JsonSyntaxError(const ek_host* host, std::string_view text, const char* parser_reason) {
  const bool lent = host &&
                    host->struct_size >= offsetof(ek_host, json_check) + sizeof host->json_check &&
                    host->json_check;
  if (lent && host->json_check(host, text.data(), text.size(), 0, nullptr) != EK_OK)
    return host->last_error(host);
  return std::string("malformed JSON: ") + parser_reason;
}

}  // namespace ek_plugin
