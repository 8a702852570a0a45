// Helpers shared by the bundled plugins. Plugins see only abi/ headers and their
// ek_host, never sdk/ internals, so code they all need lives here, header-only.
#pragma once

#include <embedkit/plugin.h>

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace ek_plugin {

// "WHAT failed: <the host's own message>" for a host call that returned an error, so
// the user reads the reason (ek_host::last_error), not "see the host's message".
// Hosts older than last_error give "WHAT failed (status N)".
inline std::string HostFailure(const ek_host* host, const std::string& what, ek_status status) {
  const bool has = host && host->struct_size >= offsetof(ek_host, last_error) + sizeof host->last_error &&
                   host->last_error;
  const char* message = has ? host->last_error(host) : nullptr;
  if (message && *message) return what + " failed: " + message;
  return what + " failed (status " + std::to_string(static_cast<int>(status)) + ")";
}

// `s` as a quoted JSON string: quotes, backslashes and control characters escaped
// (\n, \r, \t by name, the rest as \u00XX); other bytes, UTF-8 included, verbatim.
inline std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace ek_plugin

#include <exception>
#include <new>

#include <embedkit/plugin.h>

namespace ek_plugin {

// Maps the exception being handled (call only inside a catch block) to a status and
// a message, so a plugin's ABI entry points share one catch ladder:
//   } catch (...) { std::string m; ek_status s = StatusOfCurrentException<Error>(&m); ... }
// PluginError is the plugin's own error type with `status` and `message` members.
template <class PluginError>
ek_status StatusOfCurrentException(std::string* message) noexcept {
  try {
    throw;
  } catch (const PluginError& e) {
    *message = e.message;
    return e.status;
  } catch (const std::bad_alloc&) {
    *message = "out of memory";
    return EK_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    *message = std::string("internal error: ") + e.what();
    return EK_ERR_INTERNAL;
  } catch (...) {
    *message = "internal error";
    return EK_ERR_INTERNAL;
  }
}

// The same, reported through host->set_error: for plugin create functions.
template <class PluginError>
ek_status ReportCurrentException(const ek_host* host) noexcept {
  std::string message;
  ek_status status = StatusOfCurrentException<PluginError>(&message);
  if (!message.empty()) host->set_error(host, message.c_str());
  return status;
}

}  // namespace ek_plugin
