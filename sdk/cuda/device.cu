// Device probe, error mapping, buffers and the process-wide device lock.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "cuda/internal.cuh"

namespace ek::cuda {
namespace detail {

[[noreturn]] void ThrowCuda(cudaError_t error, const std::string& what) {
  const ek_status status =
      error == cudaErrorMemoryAllocation ? EK_ERR_OUT_OF_MEMORY : EK_ERR_INTERNAL;
  Fail(status, "CUDA: " + what + ": " + cudaGetErrorName(error) + " (" +
                   cudaGetErrorString(error) + ")");
}

std::string Bytes(size_t bytes) {
  char buf[64];
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024 * 1024));
  } else if (b >= 1024.0 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", b / (1024.0 * 1024));
  } else {
    std::snprintf(buf, sizeof buf, "%zu bytes", bytes);
  }
  return buf;
}

void* DeviceBuffer::Reserve(size_t bytes, const char* what) {
  if (bytes <= bytes_ && ptr_) return ptr_;
  Free();
  void* p = nullptr;
  Check(cudaMalloc(&p, bytes == 0 ? 1 : bytes), (std::string("cudaMalloc(") + what + ", " +
                                                  Bytes(bytes) + ")").c_str());
  ptr_ = p;
  bytes_ = bytes;
  return ptr_;
}

void DeviceBuffer::Free() {
  if (ptr_) cudaFree(ptr_);  // failure here leaves nothing to recover
  ptr_ = nullptr;
  bytes_ = 0;
}

void* PinnedBuffer::Reserve(size_t bytes, const char* what) {
  if (bytes <= bytes_ && ptr_) return ptr_;
  Free();
  void* p = nullptr;
  Check(cudaMallocHost(&p, bytes == 0 ? 1 : bytes),
        (std::string("cudaMallocHost(") + what + ", " + Bytes(bytes) + ")").c_str());
  ptr_ = p;
  bytes_ = bytes;
  return ptr_;
}

void PinnedBuffer::Free() {
  if (ptr_) cudaFreeHost(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

namespace {

__global__ void ProbeKernel(int* out) {
  if (threadIdx.x == 0 && blockIdx.x == 0) *out = 0x600D;
}

std::string ErrorText(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ")";
}

DeviceInfo DoProbe() {
  DeviceInfo info;
  cudaRuntimeGetVersion(&info.runtime_version);
  cudaDriverGetVersion(&info.driver_version);  // 0 when no driver is installed
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // not sticky; clear it
    if (e == cudaErrorInsufficientDriver && info.driver_version == 0) {
      info.reason = "no CUDA driver (libcuda) on this machine: cudaGetDeviceCount returned " +
                    ErrorText(e);
    } else {
      info.reason = "cudaGetDeviceCount returned " + ErrorText(e);
    }
    return info;
  }
  if (count <= 0) {
    info.reason = "no CUDA device (cudaGetDeviceCount found 0)";
    return info;
  }
  int ordinal = 0;
  if (const char* env = std::getenv("EMBEDKIT_CUDA_DEVICE"); env && *env) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (*end != '\0' || v < 0 || v >= count) {
      info.reason = "EMBEDKIT_CUDA_DEVICE='" + std::string(env) + "' is not a device ordinal below " +
                    std::to_string(count);
      return info;
    }
    ordinal = static_cast<int>(v);
  }
  info.device = ordinal;
  cudaDeviceProp p{};
  if ((e = cudaGetDeviceProperties(&p, ordinal)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = "cudaGetDeviceProperties(" + std::to_string(ordinal) + ") returned " + ErrorText(e);
    return info;
  }
  info.name = p.name;
  info.cc_major = p.major;
  info.cc_minor = p.minor;
  info.sm_count = p.multiProcessorCount;
  info.total_memory = p.totalGlobalMem;
  int mem_clock_khz = 0, bus_bits = 0;
  cudaDeviceGetAttribute(&mem_clock_khz, cudaDevAttrMemoryClockRate, ordinal);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, ordinal);
  cudaGetLastError();
  // Double data rate: two transfers per clock over bus_bits / 8 bytes.
  info.peak_bandwidth_gbs = 2.0 * mem_clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;
  if (p.major * 10 + p.minor < 75) {
    info.reason = info.name + " has compute capability " + std::to_string(p.major) + "." +
                  std::to_string(p.minor) + "; this build targets 7.5 and newer";
    return info;
  }
  // One launch proves the driver can run this build's code (SASS or JIT of the PTX).
  if ((e = cudaSetDevice(ordinal)) != cudaSuccess) {
    cudaGetLastError();
    info.reason = "cudaSetDevice(" + std::to_string(ordinal) + ") returned " + ErrorText(e);
    return info;
  }
  int* d = nullptr;
  int h = 0;
  if ((e = cudaMalloc(&d, sizeof(int))) == cudaSuccess) {
    ProbeKernel<<<1, 32>>>(d);
    e = cudaGetLastError();
    if (e == cudaSuccess) e = cudaMemcpy(&h, d, sizeof(int), cudaMemcpyDeviceToHost);
    cudaFree(d);
  }
  if (e != cudaSuccess || h != 0x600D) {
    cudaGetLastError();
    info.reason = "a test kernel on " + info.name + " failed: " +
                  (e != cudaSuccess ? ErrorText(e) : std::string("wrong result"));
    return info;
  }
  info.available = true;
  return info;
}

Device& GlobalDevice() {
  static Device* device = [] {
    auto* d = new Device;
    d->ordinal = Probe().device;
    Check(cudaSetDevice(d->ordinal), "cudaSetDevice");
    Check(cudaStreamCreateWithFlags(&d->compute, cudaStreamNonBlocking), "cudaStreamCreate(compute)");
    Check(cudaStreamCreateWithFlags(&d->copy, cudaStreamNonBlocking), "cudaStreamCreate(copy)");
    return d;
  }();
  return *device;
}

}  // namespace

DeviceLock::DeviceLock() {
  const DeviceInfo& info = Probe();
  if (!info.available) Fail(EK_ERR_UNSUPPORTED, "CUDA backend: " + info.reason);
  device_ = &GlobalDevice();
  lock_ = std::unique_lock<std::mutex>(device_->mu);
  Check(cudaSetDevice(device_->ordinal), "cudaSetDevice");
}

}  // namespace detail

const DeviceInfo& Probe() {
  static const DeviceInfo info = detail::DoProbe();
  return info;
}

std::string Describe(const DeviceInfo& info) {
  if (!info.available) return "no usable GPU: " + info.reason;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %d SMs, %.1f GiB, %.0f GB/s peak, driver %d.%d)",
                info.name.c_str(), info.cc_major, info.cc_minor, info.sm_count,
                info.total_memory / (1024.0 * 1024.0 * 1024.0), info.peak_bandwidth_gbs,
                info.driver_version / 1000, (info.driver_version % 1000) / 10);
  return buf;
}

}  // namespace ek::cuda
