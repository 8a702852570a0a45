#include "error.h"

#include <utility>

namespace ek_plugin {

void Fail(ek_status status, std::string message) { throw Error{status, std::move(message)}; }

}  // namespace ek_plugin
