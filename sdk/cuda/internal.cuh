// Internal to sdk/cuda: error mapping, the process-wide device state (stream, scratch
// buffers, lock) and the host-side launchers shared between the .cu files. Every CUDA
// call goes through Check(); every launch is followed by CheckLaunch().
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "cuda/cuda_backend.h"

namespace ek::cuda::detail {

// Throws ek::Error: EK_ERR_OUT_OF_MEMORY for allocation failures, EK_ERR_INTERNAL
// otherwise; the message names `what` and carries cudaGetErrorName/String.
[[noreturn]] void ThrowCuda(cudaError_t error, const std::string& what);

inline void Check(cudaError_t error, const char* what) {
  if (error != cudaSuccess) ThrowCuda(error, what);
}
// After a kernel launch: configuration errors show up here, faults at the next sync.
inline void CheckLaunch(const char* kernel) { Check(cudaGetLastError(), kernel); }

std::string Bytes(size_t bytes);  // "1.2 GiB"

size_t CeilDiv(size_t a, size_t b);
// Grid size for grid-stride kernels: enough blocks to fill the device, no more.
unsigned GridFor(size_t work_items, unsigned per_block);
// a * b, or ek::Error(EK_ERR_INVALID_ARGUMENT) naming `what` when it overflows.
size_t CheckedMul(size_t a, size_t b, const char* what);
// Asynchronous copies on stream s (no-ops for 0 bytes), the wait for s, and the NULL
// check of host-buffer entry points ("fn: what is NULL").
void Upload(void* dst, const void* src, size_t bytes, cudaStream_t s, const char* what);
void Download(void* dst, const void* src, size_t bytes, cudaStream_t s, const char* what);
void Finish(cudaStream_t s, const char* what);
void Require(bool ok, const char* fn, const char* what);

// A grow-only device allocation (contents not preserved when it grows).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { Free(); }
  void* Reserve(size_t bytes, const char* what);
  void Free();
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A grow-only pinned (page-locked) host allocation.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer() { Free(); }
  void* Reserve(size_t bytes, const char* what);
  void Free();
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// The device every call uses, with its streams and scratch. Leaked on purpose (never
// destroyed): freeing CUDA memory from static destructors races the runtime's own
// teardown at exit.
struct Device {
  std::mutex mu;          // held for the whole of every GPU operation
  int ordinal = 0;
  cudaStream_t compute = nullptr;
  cudaStream_t copy = nullptr;
  // Generic scratch for the kernel-table functions.
  DeviceBuffer a, b, c, d;
};

// Locks the device and makes it current on this thread; throws EK_ERR_UNSUPPORTED
// with the probe's reason when there is no usable GPU.
class DeviceLock {
 public:
  DeviceLock();
  Device& device() { return *device_; }

 private:
  Device* device_;
  std::unique_lock<std::mutex> lock_;
};

// ---- Launchers (kernels.cu); all asynchronous on `stream` ----------------------------------
// out[j*ld + r] = dot(q + j*dim, base + r*dim) for j < nq, r < rows. Picks the
// warp-per-row kernel for nq <= 4 and a tiled SGEMM (Q x B^T) above.
void LaunchDotScores(const float* q, size_t nq, const float* base, size_t rows, size_t dim,
                     float* out, size_t ld, cudaStream_t stream);
// c[m x n] = a[m x k] * b[k x n], all row-major.
void LaunchMatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c,
                  cudaStream_t stream);
// sq[r] = ||base[r]||^2
void LaunchSquaredNorms(const float* base, size_t rows, size_t dim, float* sq,
                        cudaStream_t stream);
// Unit-normalises rows in place; norms (nullable) receives the old norms.
void LaunchNormalizeRows(float* v, size_t rows, size_t n, float* norms, cudaStream_t stream);
// Batched in-place FWHT, n a power of two.
void LaunchFwht(float* v, size_t count, size_t n, cudaStream_t stream);

}  // namespace ek::cuda::detail
