#include "core/backend.h"

#include "core/error.h"
#include "kernels/kernels.h"

namespace ek {

namespace {
// Why the GPU backend cannot be used, or "" when it can. This build has no CUDA
// backend yet (issue: CUDA backend); the reason says so plainly.
std::string CudaUnavailableReason() {
  return "this build of embedkit has no CUDA backend (built without EK_WITH_CUDA)";
}
}  // namespace

Backend SelectBackend(const std::string& requested, const Logger& log) {
  Backend cpu{"cpu", kernels::CpuKernelTable()};
  if (requested == "cpu") return cpu;
  if (requested == "cuda") {
    Fail(EK_ERR_UNSUPPORTED, "backend 'cuda' requested but " + CudaUnavailableReason());
  }
  if (requested == "auto") {
    log.Log(EK_LOG_INFO, "backend auto: using cpu (" + std::string(cpu.kernels->simd_target) +
                             "); cuda not used: " + CudaUnavailableReason());
    return cpu;
  }
  Fail(EK_ERR_INVALID_ARGUMENT,
       "backend '" + requested + "' is not one of \"auto\", \"cpu\", \"cuda\"");
}

}  // namespace ek
