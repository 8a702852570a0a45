#include "core/backend.h"

#include "base/error.h"
#include "kernels/kernels.h"
#ifdef EK_HAVE_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace ek {

namespace {
void CpuScan(const kernels::ScanRequest& request, uint64_t /*content_key*/, ThreadPool* pool,
             uint32_t* out_rows, float* out_scores, size_t* out_counts) {
  kernels::ScanTopK(request, pool, out_rows, out_scores, out_counts);
}

void CpuQuantizedScan(const kernels::QuantizedScanRequest& request, uint64_t /*content_key*/,
                      ThreadPool* pool, uint32_t* out_rows, float* out_scores,
                      size_t* out_counts) {
  kernels::QuantizedScanTopK(request, pool, out_rows, out_scores, out_counts);
}
}  // namespace

std::string CudaUnavailableReason() {
#ifdef EK_HAVE_CUDA
  const cuda::DeviceInfo& info = cuda::Probe();
  return info.available ? std::string() : info.reason;
#else
  return "this build of embedkit has no CUDA backend (built without EK_WITH_CUDA)";
#endif
}

Backend SelectBackend(const std::string& requested, const Logger& log) {
  Backend cpu{"cpu", kernels::CpuKernelTable(), &CpuScan, &CpuQuantizedScan, ""};
  if (requested == "cpu") return cpu;
  if (requested != "cuda" && requested != "auto") {
    Fail(EK_ERR_INVALID_ARGUMENT,
         "backend '" + requested + "' is not one of \"auto\", \"cpu\", \"cuda\"");
  }
  const std::string why_not = CudaUnavailableReason();
  if (!why_not.empty()) {
    if (requested == "cuda") Fail(EK_ERR_UNSUPPORTED, "backend 'cuda' requested but " + why_not);
    log.Log(EK_LOG_INFO, "backend auto: using cpu (" + std::string(cpu.kernels->simd_target) +
                             "); cuda not used: " + why_not);
    return cpu;
  }
#ifdef EK_HAVE_CUDA
  Backend gpu{"cuda", cuda::KernelTable(), &cuda::Search, &cuda::QuantizedSearch,
              cuda::Describe(cuda::Probe())};
  log.Log(EK_LOG_INFO, "backend " + requested + ": using cuda on " + gpu.device +
                           "; small kernels on the cpu (" + gpu.kernels->simd_target + ")");
  return gpu;
#else
  return cpu;  // unreachable: why_not is never empty without CUDA
#endif
}

}  // namespace ek
