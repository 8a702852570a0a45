// The error a bundled plugin throws inside itself: a status and the reason in words.
// Every ABI entry point turns it into its status with guard.h, so it never crosses
// the C boundary.
//
//   ek_plugin::Fail(EK_ERR_INVALID_ARGUMENT, "side must be 0 or 1");
//
// A plugin names it in its own namespace with `using Error = ek_plugin::Error;`
// and `using ek_plugin::Fail;` (and NotNull).
#pragma once

#include <embedkit/types.h>

#include <string>

namespace ek_plugin {

struct Error {
  ek_status status;
  std::string message;  // "" when the host has already set the reason (set_error)
};

[[noreturn]] void Fail(ek_status status, std::string message);

// Fails with EK_ERR_INVALID_ARGUMENT "<name> is NULL" when p is NULL.
void NotNull(const void* p, const char* name);

}  // namespace ek_plugin
