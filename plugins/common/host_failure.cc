#include "host_failure.h"

#include <cstddef>

#include "error.h"

namespace ek_plugin {

std::string HostFailure(const ek_host* host, const std::string& what, ek_status status) {
  const bool has = host &&
                   host->struct_size >= offsetof(ek_host, last_error) + sizeof host->last_error &&
                   host->last_error;
  const char* message = has ? host->last_error(host) : nullptr;
  if (message && *message) return what + " failed: " + message;
  return what + " failed (status " + std::to_string(static_cast<int>(status)) + ")";
}

void CheckHost(const ek_host* host, ek_status status, const std::string& what) {
  if (status != EK_OK) Fail(status, HostFailure(host, what, status));
}

}  // namespace ek_plugin
