// The CUDA backend: the kernel table and exact top-k search on an NVIDIA GPU.
//
// Compiled only when CMake found nvcc (EK_WITH_CUDA=AUTO|ON; see cuda.cmake), linked
// with the static CUDA runtime, so a library built with it still loads and runs on a
// machine with no GPU or no driver: Probe() then reports why, and the backend seam
// (core/backend.cc) keeps the CPU.
//
// This header is plain C++ (no CUDA types), so host code includes it freely.
//
// Threading: every function may be called from any thread. GPU work is serialised by
// one process-wide lock around the device's stream and scratch buffers: simple and
// safe; concurrent callers queue. Errors: every CUDA failure is thrown as ek::Error
// with the call that failed and CUDA's own error string ("cudaMalloc(scores, 1.2 GB):
// out of memory"); cudaErrorMemoryAllocation maps to EK_ERR_OUT_OF_MEMORY, the rest to
// EK_ERR_INTERNAL. Without a usable device every function below except Probe() throws
// EK_ERR_UNSUPPORTED with the probe's reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "embedkit/plugin.h"
#include "kernels/kernels.h"
#include "kernels/quantized_distance.h"

namespace ek {
class ThreadPool;
}

namespace ek::cuda {

struct DeviceInfo {
  bool available = false;
  std::string reason;          // why the GPU cannot be used (when !available)
  int device = -1;             // CUDA ordinal (0, or EMBEDKIT_CUDA_DEVICE)
  std::string name;            // "NVIDIA H200"
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  size_t total_memory = 0;     // bytes
  double peak_bandwidth_gbs = 0;  // 2 x memory clock x bus width (GB/s, 1e9 bytes)
  int driver_version = 0;      // e.g. 13000
  int runtime_version = 0;
};

// Probes once per process (thread-safe): cudaGetDeviceCount, the device's properties
// and one tiny kernel launch, so a driver that cannot run this build's code (too old
// for its PTX, compute capability below 7.5) counts as "no GPU". cudaErrorNoDevice and
// cudaErrorInsufficientDriver (no libcuda) are the usual reasons on CPU machines.
const DeviceInfo& Probe();

// "NVIDIA H200 (sm_90, 132 SMs, 140.4 GiB, 4800 GB/s peak)"
std::string Describe(const DeviceInfo& info);

// ---- Kernels on host buffers (they copy in, run on the GPU, copy out) ---------------------
// Same contracts as the CPU kernels in kernels/kernels.h; always run on the GPU.
void DotMany(const float* q, const float* base, size_t rows, size_t dim, float* out);
// out[i*rows + r] = dot(queries[i], base[r])
void DotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                 size_t dim, float* out);
// Each of `rows` vectors of length n scaled to unit L2 norm in place (all-zero or
// non-finite norms: left unchanged); old_norms (nullable) receives the old norms.
void NormalizeRows(float* v, size_t rows, size_t n, float* old_norms);
// In-place unnormalised Walsh-Hadamard transform of `count` vectors of length n
// (a power of two; throws EK_ERR_INVALID_ARGUMENT otherwise). Same butterfly order as
// the CPU (h = 1, 2, 4, ...), so the results are bit-identical.
void Fwht(float* v, size_t count, size_t n);
void MatVec(const float* m, size_t rows, size_t cols, const float* x, float* y);
void MatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c);

// ---- MBAT binding of a batch (mbat.cu); same contracts as kernels::BindStructured /
// BindDense. Structured: rounds x (sign diagonal, FWHT) then the permutation, every
// step in the CPU's order, so the results are bit-identical to the CPU's. Dense: the
// SGEMM (V M^T, or V M for the transpose); within float rounding of the CPU.
void BindStructured(const kernels::StructuredRole& role, float* v, size_t count, size_t n,
                    bool transpose);
void BindDense(const float* m, size_t n, const float* v, size_t count, float* out, bool transpose);

// ---- BPR (bpr.cu) ----------------------------------------------------------------------------
// ek_kernels::bpr_step on the GPU: the same arguments, refusals (NaN, nothing written)
// and sums, but the triples of the block run concurrently, a warp each; every row
// update is added atomically (concurrent triples' updates to a shared row are all
// kept, each computed from the row as that warp read it). So the result equals the
// CPU's sequential one within float rounding when no two triples of a block share a
// row; otherwise the two runs agree in their loss curves, not bit for bit (the parity
// tests check both). Rows are copied to the GPU and back each call (only the rows the
// block touched are written back to host memory), so a call pays for itself from
// about a few times (users + items) triples.
double BprStep(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n,
               uint64_t* out_reverse);

struct BprStats {
  double kernel_seconds = 0;      // the BPR kernel alone (CUDA events)
  uint64_t bytes_to_device = 0;   // rows (+ content, gradient, moments) and triples
  uint64_t bytes_to_host = 0;     // rows (+ gradient, moments) back
};
// Statistics of the calling thread's last BprStep that reached the GPU (benchmarks).
BprStats LastBprStats();

// ---- Exact search with per-query top-k ------------------------------------------------------
// The most hits per query the GPU's top-k keeps (its sort buffer); a larger k is
// answered by the CPU scan (kernels::ScanTopK), which takes any k.
inline constexpr size_t kMaxGpuTopK = 1024;

// Same request, results, ordering and errors as kernels::ScanTopK. `content_key`
// names the contents of req.base: equal non-zero keys promise identical rows, so the
// base (and its squared norms) may stay resident on the GPU between calls; 0 makes no
// promise (the base is streamed through pinned, double-buffered staging every call).
// Collections larger than the residency budget are always streamed. `pool` is
// accepted for the CPU paths; the host copies into the pinned staging buffers run on
// the calling thread (see search.cu: lock order).
void ScanTopK(const kernels::ScanRequest& request, uint64_t content_key, ThreadPool* pool,
              uint32_t* out_rows, float* out_scores, size_t* out_counts);

struct ScanStats {
  bool resident = false;        // base was (or now is) resident on the GPU
  bool uploaded = false;        // this call uploaded it (first use of the key)
  size_t chunks = 0;            // row chunks processed (per query group)
  size_t query_groups = 0;
  uint64_t bytes_streamed = 0;  // host -> device bytes of base rows in this call
};
// Statistics of the calling thread's last ScanTopK (for benchmarks and tests).
ScanStats LastScanStats();

// Tuning knobs for tests and benchmarks (process-wide; 0 = default).
struct ScanTuning {
  size_t residency_budget_bytes = 0;  // default: 60% of the device memory free at first use
  size_t staging_bytes = 0;           // per pinned staging buffer; default 256 MiB
  size_t score_budget_bytes = 0;      // scores buffer; default min(1 GiB, 1/8 of device memory)
};
void SetScanTuning(const ScanTuning& tuning);

// Frees every resident copy, f32 and quantized (they are also evicted least-recently-used
// first when a new one needs the room).
void ReleaseResident();

// ---- Exact search over quantized rows (quantized_scan.cu, quantized_kernels.cu) -------------
// kernels::QuantizedScanTopK on the GPU for f16 and int8 rows: the same request,
// results, ordering (ties by lower row) and errors. int8 scores are the CPU's bit for
// bit (exact integer sums, then the same double formula); f16 scores are within f32
// rounding of the CPU's (the products are summed in another order), so rows whose
// scores differ by about that much may swap. `content_key` as for ScanTopK: the encoded
// rows stay resident per key (a list of their own, same budget rule, freed by
// ReleaseResident too); key 0 or rows over the budget are copied in chunks every call.
// Bit rows, empty work, k above kMaxGpuTopK and anything the CPU function refuses are
// handed to kernels::QuantizedScanTopK, which answers or refuses them, with or without
// a device. LastQuantizedScanStats() reports the calling thread's last call.
void QuantizedScanTopK(const kernels::QuantizedScanRequest& request, uint64_t content_key,
                       ThreadPool* pool, uint32_t* out_rows, float* out_scores,
                       size_t* out_counts);
ScanStats LastQuantizedScanStats();

// The store's quantized scan for backend "cuda": the GPU for f16 and int8 batches of at
// least kMinGpuQuantizedQueries queries (where one pass over the rows serves enough
// queries to beat the CPU's threads), the CPU's kernels::QuantizedScanTopK for smaller
// batches, bit rows, and any GPU failure but an argument error (out of memory also
// releases the resident copies first).
inline constexpr size_t kMinGpuQuantizedQueries = 64;
void QuantizedSearch(const kernels::QuantizedScanRequest& request, uint64_t content_key,
                     ThreadPool* pool, uint32_t* out_rows, float* out_scores,
                     size_t* out_counts);

// ---- What the backend seam uses --------------------------------------------------------------
// The store's search function for backend "cuda": the GPU when the work is large
// enough to pay for a launch (or resident already), the CPU ScanTopK otherwise, and
// the CPU (with a warning on stderr once) if the GPU fails with anything but an
// argument error.
void Search(const kernels::ScanRequest& request, uint64_t content_key, ThreadPool* pool,
            uint32_t* out_rows, float* out_scores, size_t* out_counts);

// The ek_kernels table of backend "cuda" (backend = "cuda", simd_target = the CPU's):
// dot_many_many and matmul run on the GPU when they are large and compute-bound
// enough to beat the copies over PCIe; everything else, and any GPU failure, runs the
// CPU kernels (a plugin's buffers live in host memory, and one-pass kernels over host
// memory are faster on the CPU than through the bus).
const ek_kernels* KernelTable();

}  // namespace ek::cuda
