// The one exception-to-status guard of the bundled plugins: every ABI entry point runs
// its body inside it, so nothing escapes as an exception and every failure reaches the
// host as a status and a reason (ek_host::set_error).
//
//   ek_status Create(const ek_host* host, const char* json, size_t n, void** out) {
//     return ek_plugin::GuardCreate(host, [&] { *out = new Instance(host, json, n); });
//   }
//   ek_status Fit(void* p, ...) {
//     Instance* self = static_cast<Instance*>(p);
//     return ek_plugin::Guard(self->host, "fit", &self->last_error, [&] { ... });
//   }
//
// ek_plugin::Error gives its status; std::bad_alloc EK_ERR_OUT_OF_MEMORY; anything
// else EK_ERR_INTERNAL. [thread-safe] as far as the body is.
#pragma once

#include <embedkit/plugin.h>

#include <string>

namespace ek_plugin {

// Maps the exception being handled (call only inside a catch block) to its status
// and its reason ("out of memory", "internal error: ...").
ek_status CurrentExceptionStatus(std::string* reason) noexcept;

// Inside a catch block: the status of the exception being handled; its reason,
// prefixed "<function>: " when `function` is not NULL, goes to host->set_error and,
// when `last_error` is not NULL, into *last_error (an extension's last_error()). An
// ek_plugin::Error with an empty message leaves the reason the host already holds.
ek_status ReportException(const ek_host* host, const char* function,
                          std::string* last_error) noexcept;

// Runs `body` for an entry point named `function`; EK_OK (and *last_error cleared)
// if it returns, else the status of what it threw, reported as ReportException says.
template <class Body>
ek_status Guard(const ek_host* host, const char* function, std::string* last_error,
                Body&& body) noexcept {
  try {
    body();
    if (last_error) last_error->clear();
    return EK_OK;
  } catch (...) {
    return ReportException(host, function, last_error);
  }
}

// The same for a plugin's create function: the reason goes to the host unprefixed
// (the host names the plugin and the call).
template <class Body>
ek_status GuardCreate(const ek_host* host, Body&& body) noexcept {
  return Guard(host, nullptr, nullptr, static_cast<Body&&>(body));
}

}  // namespace ek_plugin
