// Internal error type: every layer below sdk/capi throws ek::Error; the C entry
// points catch it and turn it into an ek_status plus the thread's ek_last_error().
#pragma once

#include <stdexcept>
#include <string>

#include "embedkit/types.h"

namespace ek {

class Error : public std::runtime_error {
 public:
  Error(ek_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  ek_status status() const noexcept { return status_; }

 private:
  ek_status status_;
};

// Throws ek::Error(status, message) — a shorthand that keeps call sites short.
[[noreturn]] inline void Fail(ek_status status, const std::string& message) {
  throw Error(status, message);
}

}  // namespace ek
