#include "guard.h"

#include <cstddef>
#include <exception>
#include <new>

#include "error.h"

namespace ek_plugin {

ek_status CurrentExceptionStatus(std::string* reason) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    *reason = e.message;
    return e.status;
  } catch (const std::bad_alloc&) {
    *reason = "out of memory";
    return EK_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    *reason = std::string("internal error: ") + e.what();
    return EK_ERR_INTERNAL;
  } catch (...) {
    *reason = "internal error";
    return EK_ERR_INTERNAL;
  }
}

ek_status ReportException(const ek_host* host, const char* function,
                          std::string* last_error) noexcept {
  std::string reason;
  const ek_status status = CurrentExceptionStatus(&reason);
  try {
    if (reason.empty()) {
      // The host set the reason itself (a failed host call): keep it, and let the
      // extension's last_error() read the same words.
      if (last_error && host && host->struct_size >= offsetof(ek_host, last_error) +
                                                         sizeof host->last_error &&
          host->last_error)
        *last_error = host->last_error(host);
      return status;
    }
    if (function) reason = std::string(function) + ": " + reason;
    if (host) host->set_error(host, reason.c_str());
    if (last_error) *last_error = std::move(reason);
  } catch (...) {
    // Out of memory while building the message: the status still goes back.
  }
  return status;
}

}  // namespace ek_plugin
