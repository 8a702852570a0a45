// The ek_text_api table (abi/include/embedkit/text.h) that sdk/capi hands to plugins
// through ek_host::text. Every function catches everything and returns a status.
#pragma once

#include "embedkit/text.h"

namespace ek::text {
const ek_text_api* Api();
}  // namespace ek::text
