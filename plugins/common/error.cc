#include "error.h"

#include <utility>

namespace ek_plugin {

void Fail(ek_status status, std::string message) { throw Error{status, std::move(message)}; }

void NotNull(const void* p, const char* name) {
  if (!p) Fail(EK_ERR_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

}  // namespace ek_plugin
