// Transitional: the header the bundled plugins included before plugins/common became a
// library. It forwards to json_quote.h and host_failure.h and keeps the create-time
// ladder for a plugin's own error type until vsa_json and rec_unlearn move to guard.h
// and error.h (issue 18); delete it once no plugin includes it.
#pragma once

#include <embedkit/plugin.h>

#include "guard.h"
#include "host_failure.h"
#include "json_quote.h"

namespace ek_plugin {

// Inside a catch block of a create function: a PluginError (with `status` and
// `message`) gives its status and reason; anything else is ReportException's.
template <class PluginError>
ek_status ReportCurrentException(const ek_host* host) noexcept {
  try {
    throw;
  } catch (const PluginError& e) {
    if (!e.message.empty()) host->set_error(host, e.message.c_str());
    return e.status;
  } catch (...) {
    return ReportException(host, nullptr, nullptr);
  }
}

}  // namespace ek_plugin
