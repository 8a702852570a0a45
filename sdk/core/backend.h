// The backend seam: the kernel table is an interface, chosen once per context.
// Only the CPU backend exists so far; "cuda" without a usable GPU fails clearly and
// "auto" falls back to the CPU and says so in the log.
#pragma once

#include <string>

#include "core/log.h"
#include "embedkit/plugin.h"

namespace ek {

struct Backend {
  std::string name;             // "cpu" | "cuda"
  const ek_kernels* kernels;    // owned by the backend implementation (static)
};

// requested: "auto" | "cpu" | "cuda". Throws ek::Error(EK_ERR_UNSUPPORTED) when
// "cuda" cannot be served, EK_ERR_INVALID_ARGUMENT for an unknown name.
Backend SelectBackend(const std::string& requested, const Logger& log);

}  // namespace ek
