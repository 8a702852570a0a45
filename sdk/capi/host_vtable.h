// The ek_host vtable handed to plugin instances: logging, progress, errors, kernels,
// the context's thread pool, Philox RNG, store access and configuration lookups.
#pragma once

#include "embedkit/plugin.h"

struct ek_instance;

namespace ek::capi {
// Fills `instance->host` for `instance` (host_data points back at the instance).
void InitHostVtable(ek_instance* instance);
}  // namespace ek::capi
