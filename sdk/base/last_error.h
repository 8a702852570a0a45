// The calling thread's last failure, as reported by ek_last_error()/ek_last_status().
#pragma once

#include <string>

#include "embedkit/types.h"

namespace ek {

void SetLastError(ek_status status, std::string message);
const char* LastErrorMessage();
ek_status LastErrorStatus();
const char* StatusName(ek_status status);

// Message a plugin set through ek_host::set_error during the current call.
void SetPluginError(const char* message);
std::string TakePluginError();

}  // namespace ek
