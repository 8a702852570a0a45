// Internal to sdk/cuda: error mapping, the process-wide device state (stream, scratch
// buffers, lock) and the host-side launchers shared between the .cu files. Every CUDA
// call goes through Check(); every launch is followed by CheckLaunch().
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <limits>
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

// ---- Per-query top-k over chunks of scores (select.cu) -------------------------------------
// Per query the candidate buffers hold CandidateStride(chunk_rows, k) entries: slot 0 is
// the running top-k (zero its keys before the first chunk: key 0 means "no hit"), then
// one slot of k per 64Ki-row segment of a chunk.
inline constexpr size_t kMaxQueryGroup = 4096;  // queries per launch (grid y limit 65535)
size_t CandidateStride(size_t chunk_rows, size_t k);
// Folds the scores of rows [row0, row0 + rows) into the running top-k of n_queries
// queries: query j's score of row row0 + r is scores[j*ld + r], ranked by 2 s -
// sq_norms[r] when sq_norms is given (f32 L2); rows whose `allowed` byte is 0 and NaN
// scores are never hits. Higher ranks first, ties by lower row; k <= kMaxGpuTopK.
void LaunchSelectChunk(const float* scores, size_t ld, const float* sq_norms,
                       const uint8_t* allowed, size_t rows, uint32_t row0, size_t n_queries,
                       size_t k, uint32_t* cand_keys, uint32_t* cand_idx, size_t cand_stride,
                       cudaStream_t stream);
// Copies slot 0 of n_queries queries into keys / rows (n_queries x k each) and waits.
void DownloadTopK(const uint32_t* cand_keys, const uint32_t* cand_idx, size_t cand_stride,
                  size_t n_queries, size_t k, uint32_t* keys, uint32_t* rows,
                  cudaStream_t stream);
// The rank a key was made from (a -0 rank comes back as +0); only for keys != 0.
float ScoreOfKey(uint32_t key);
// Writes what DownloadTopK fetched for queries q0 .. q0 + n_queries - 1 in the layout of
// kernels::ScanTopK: hit i of query q at [q*k + i] with score_of(rank, q) as its score,
// UINT32_MAX and NaN past the hits, out_counts[q] = the hits.
template <class ScoreOf>
void WriteHits(const uint32_t* keys, const uint32_t* rows_found, size_t q0, size_t n_queries,
               size_t k, size_t rows, ScoreOf score_of, uint32_t* out_rows, float* out_scores,
               size_t* out_counts) {
  for (size_t j = 0; j < n_queries; ++j) {
    const size_t q = q0 + j;
    size_t count = 0;
    for (size_t i = 0; i < k; ++i) {
      const uint32_t key = keys[j * k + i];
      const uint32_t row = rows_found[j * k + i];
      if (key != 0u && row < rows) {
        out_rows[q * k + i] = row;
        out_scores[q * k + i] = score_of(ScoreOfKey(key), q);
        ++count;
      } else {
        out_rows[q * k + i] = UINT32_MAX;
        out_scores[q * k + i] = std::numeric_limits<float>::quiet_NaN();
      }
    }
    out_counts[q] = count;
  }
}

// ---- Ranks of quantized rows (quantized_kernels.cu) ----------------------------------------
// What the kernel needs of each query besides its components (prepared on the host as
// the CPU prepares them).
struct QuantizedQueryTerms {
  double f16_sq_norm = 0.0;  // f16 cosine: ||q||^2, summed in double
  float i8_scale = 0.0f;     // int8: the query's own scale (EncodeInt8Query)
  int32_t i8_sq_norm = 0;    // int8: ||codes||^2
};
// out[j*ld + r] = the rank of row r (rows_data: `rows` f16 or int8 rows of `dim`) for
// query j (queries: n_queries x dim floats for f16, int8 codes for int8): the score of
// kernels::QuantizedScanTopK, negated for L2 so that higher is better.
void LaunchQuantizedRanks(kernels::ElementType type, kernels::Metric metric, const void* queries,
                          const QuantizedQueryTerms* terms, size_t n_queries,
                          const void* rows_data, size_t rows, size_t dim, float rows_scale,
                          float* out, size_t ld, cudaStream_t stream);

// ---- Shared by the searches ----------------------------------------------------------------
ScanTuning CurrentTuning();  // what SetScanTuning set (search.cu)
// Frees the quantized scan's resident copies (quantized.cu); the caller holds the
// DeviceLock.
void ReleaseQuantizedResident();

}  // namespace ek::cuda::detail
