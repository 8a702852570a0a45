// ek_version, ek_abi_version, errors and library-owned strings.
#include <cstdlib>
#include <cstring>

#include "capi/guard.h"
#include "embedkit/embedkit.h"

#ifndef EK_VERSION_STRING
#error "EK_VERSION_STRING must be defined by the build"
#endif

namespace ek::capi {
char* CopyToCString(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (!out) throw std::bad_alloc();
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}
}  // namespace ek::capi

extern "C" {

EK_API const char* ek_version(void) { return EK_VERSION_STRING; }
EK_API uint32_t ek_abi_version(void) { return EK_ABI_VERSION; }
EK_API const char* ek_last_error(void) { return ek::LastErrorMessage(); }
EK_API ek_status ek_last_status(void) { return ek::LastErrorStatus(); }
EK_API const char* ek_status_name(ek_status status) { return ek::StatusName(status); }
EK_API void ek_string_free(char* s) { std::free(s); }

}  // extern "C"
