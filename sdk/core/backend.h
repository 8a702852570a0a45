// The backend seam: chosen once per context, it gives the kernel table (what plugins
// get through ek_host) and the store's search functions (f32 and quantized rows).
//   "cpu"   Highway SIMD kernels, kernels::ScanTopK and kernels::QuantizedScanTopK
//   "cuda"  the CUDA backend (sdk/cuda) when this build has it and a GPU answers;
//           otherwise EK_ERR_UNSUPPORTED with the reason (no driver, no device, ...)
//   "auto"  cuda when a GPU answers, else cpu; the choice and the reason are logged
#pragma once

#include <string>

#include "base/log.h"
#include "embedkit/plugin.h"
#include "kernels/kernels.h"
#include "kernels/quantized_distance.h"

namespace ek {

// A backend's scan over quantized rows (declared beside kernels::QuantizedScanTopK,
// whose contract it keeps plus a content_key; a GPU backend may keep rows resident).
using QuantizedScanFn = kernels::QuantizedScanFn;

struct Backend {
  std::string name;             // "cpu" | "cuda"
  const ek_kernels* kernels;    // owned by the backend implementation (static)
  kernels::ScanFn scan;         // never null
  QuantizedScanFn quantized_scan;  // never null
  std::string device;           // "NVIDIA H200 (sm_90, ...)" for cuda; "" for cpu
};

// requested: "auto" | "cpu" | "cuda". Throws ek::Error(EK_ERR_UNSUPPORTED) when
// "cuda" cannot be served, EK_ERR_INVALID_ARGUMENT for an unknown name.
Backend SelectBackend(const std::string& requested, const Logger& log);

// Why "cuda" cannot be served here, or "" when it can (probes the GPU once).
std::string CudaUnavailableReason();

}  // namespace ek
