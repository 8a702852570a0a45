// The message for a host call that failed, with the host's own reason in it:
//
//   ek_status s = host->collection_upsert(c, &batch);
//   if (s != EK_OK) ek_plugin::Fail(s, ek_plugin::HostFailure(host, "saving the model", s));
//   // "saving the model failed: ek_collection_upsert: ... <the host's words>"
//
// so the user reads the reason (ek_host::last_error), not "see the host's message".
#pragma once

#include <embedkit/plugin.h>

#include <string>

namespace ek_plugin {

// "WHAT failed: <host->last_error>"; hosts older than last_error (ABI 1.0 before it),
// or an empty message, give "WHAT failed (status N)".
std::string HostFailure(const ek_host* host, const std::string& what, ek_status status);

// Throws ek_plugin::Error(status, HostFailure(...)) unless status is EK_OK.
void CheckHost(const ek_host* host, ek_status status, const std::string& what);

}  // namespace ek_plugin
