#include "base/last_error.h"

namespace ek {
namespace {
struct ThreadError {
  ek_status status = EK_OK;
  std::string message;
  std::string plugin_message;
};
thread_local ThreadError tls_error;
}  // namespace

void SetLastError(ek_status status, std::string message) {
  tls_error.status = status;
  tls_error.message = std::move(message);
}

const char* LastErrorMessage() { return tls_error.message.c_str(); }
ek_status LastErrorStatus() { return tls_error.status; }

void SetPluginError(const char* message) { tls_error.plugin_message = message ? message : ""; }

std::string TakePluginError() {
  std::string out = std::move(tls_error.plugin_message);
  tls_error.plugin_message.clear();
  return out;
}

const char* StatusName(ek_status status) {
  switch (status) {
    case EK_OK: return "EK_OK";
    case EK_ERR_INVALID_ARGUMENT: return "EK_ERR_INVALID_ARGUMENT";
    case EK_ERR_NOT_FOUND: return "EK_ERR_NOT_FOUND";
    case EK_ERR_ALREADY_EXISTS: return "EK_ERR_ALREADY_EXISTS";
    case EK_ERR_DIMENSION_MISMATCH: return "EK_ERR_DIMENSION_MISMATCH";
    case EK_ERR_PARSE: return "EK_ERR_PARSE";
    case EK_ERR_IO: return "EK_ERR_IO";
    case EK_ERR_STORAGE: return "EK_ERR_STORAGE";
    case EK_ERR_CORRUPT: return "EK_ERR_CORRUPT";
    case EK_ERR_READ_ONLY: return "EK_ERR_READ_ONLY";
    case EK_ERR_ABI_MISMATCH: return "EK_ERR_ABI_MISMATCH";
    case EK_ERR_NOT_A_PLUGIN: return "EK_ERR_NOT_A_PLUGIN";
    case EK_ERR_UNSUPPORTED: return "EK_ERR_UNSUPPORTED";
    case EK_ERR_BUFFER_TOO_SMALL: return "EK_ERR_BUFFER_TOO_SMALL";
    case EK_ERR_OUT_OF_MEMORY: return "EK_ERR_OUT_OF_MEMORY";
    case EK_ERR_CANCELLED: return "EK_ERR_CANCELLED";
    case EK_ERR_LIMIT: return "EK_ERR_LIMIT";
    case EK_ERR_INTERNAL: return "EK_ERR_INTERNAL";
    case EK_ERR_PLUGIN: return "EK_ERR_PLUGIN";
    default: return "EK_ERR_UNKNOWN";
  }
}

}  // namespace ek
