// Exact search on the GPU: scores for a chunk of rows (warp-per-row kernel or tiled
// SGEMM), then the per-query top-k selection on the device (select.cu), so only k hits
// per query ever come back to the host.
//
// The base is either resident (uploaded once per content key, kept while it fits
// the residency budget) or streamed chunk by chunk through two pinned staging buffers
// and two device buffers: the host copy of chunk c+1 and its transfer overlap the
// kernels of chunk c (copy stream and compute stream joined by events).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "cuda/internal.cuh"
#include "cuda/resident.cuh"
#include "kernels/scan_internal.h"

namespace ek::cuda {
namespace detail {
namespace {

// ---- Host side -----------------------------------------------------------------------------

// A resident base: its rows and their squared norms.
struct Resident {
  DeviceBuffer base;
  DeviceBuffer sq_norms;
};

// Everything here is touched only while holding the DeviceLock.
struct SearchState {
  ResidentList<Resident> resident;
  size_t default_residency_budget = 0;  // set at first use
  DeviceBuffer queries, scores, cand_keys, cand_idx, mask;
  DeviceBuffer chunk[2], chunk_norms[2];
  PinnedBuffer staging[2];
  cudaEvent_t h2d_done[2] = {nullptr, nullptr};
  cudaEvent_t compute_done[2] = {nullptr, nullptr};
};

SearchState& State() {
  static auto* state = new SearchState;  // leaked on purpose, like Device
  return *state;
}

std::mutex tuning_mu;
ScanTuning tuning;
thread_local ScanStats last_stats;

}  // namespace

ScanTuning CurrentTuning() {
  std::lock_guard<std::mutex> lock(tuning_mu);
  return tuning;
}

namespace {

// Copies host rows into a pinned staging buffer. Deliberately on the calling thread
// only: this runs while the device lock is held, and handing work to the shared
// ThreadPool here could deadlock against a pool task that is itself waiting for the
// device lock (a plugin's parallel_for body calling a GPU kernel). `pool` is kept in
// the signature for when the lock order allows it.
void ParallelCopy(void* dst, const void* src, size_t bytes, ThreadPool* /*pool*/) {
  std::memcpy(dst, src, bytes);
}

void EnsureEvents(SearchState& st) {
  for (int b = 0; b < 2; ++b) {
    if (!st.h2d_done[b])
      Check(cudaEventCreateWithFlags(&st.h2d_done[b], cudaEventDisableTiming), "cudaEventCreate");
    if (!st.compute_done[b])
      Check(cudaEventCreateWithFlags(&st.compute_done[b], cudaEventDisableTiming),
            "cudaEventCreate");
  }
}

size_t StagingBytes(const ScanTuning& t, size_t row_bytes) {
  const size_t want = t.staging_bytes ? t.staging_bytes : (256u << 20);
  return std::max(want, row_bytes);
}

// Host rows [0, rows) -> device `dst` through the two pinned buffers on the copy
// stream; returns when the copy stream has finished.
void UploadRows(Device& dev, SearchState& st, const ScanTuning& t, const float* host, size_t rows,
                size_t dim, float* dst, ThreadPool* pool) {
  const size_t row_bytes = dim * sizeof(float);
  const size_t staging = StagingBytes(t, row_bytes);
  const size_t chunk_rows = staging / row_bytes;
  for (size_t c = 0, r0 = 0; r0 < rows; ++c, r0 += chunk_rows) {
    const int b = static_cast<int>(c % 2);
    const size_t n = std::min(chunk_rows, rows - r0);
    Check(cudaEventSynchronize(st.h2d_done[b]), "cudaEventSynchronize(staging)");
    float* pinned = static_cast<float*>(st.staging[b].Reserve(staging, "staging"));
    ParallelCopy(pinned, host + r0 * dim, n * row_bytes, pool);
    Check(cudaMemcpyAsync(dst + r0 * dim, pinned, n * row_bytes, cudaMemcpyHostToDevice, dev.copy),
          "cudaMemcpyAsync(upload base)");
    Check(cudaEventRecord(st.h2d_done[b], dev.copy), "cudaEventRecord");
  }
  Check(cudaStreamSynchronize(dev.copy), "cudaStreamSynchronize(upload base)");
}

// The resident copy for this key, uploading it if it fits the budget; nullptr when it
// does not (the caller streams).
Resident* FindOrUpload(Device& dev, SearchState& st, const ScanTuning& t,
                       const kernels::ScanRequest& req, uint64_t key, ThreadPool* pool,
                       ScanStats* stats) {
  const size_t row_bytes = req.dim * sizeof(float);
  if (Resident* r = st.resident.Find(key, req.base, req.rows, row_bytes)) return r;
  const size_t bytes = req.rows * req.dim * sizeof(float) + req.rows * sizeof(float);
  if (!st.resident.MakeRoom(req.base, bytes,
                            ResidencyBudget(t, &st.default_residency_budget))) {
    return nullptr;
  }
  auto entry = ResidentList<Resident>::Make(key, req.base, req.rows, row_bytes, bytes);
  Resident* r = &entry->copy;
  try {
    r->base.Reserve(req.rows * req.dim * sizeof(float), "resident base");
    r->sq_norms.Reserve(req.rows * sizeof(float), "resident norms");
  } catch (const Error& e) {
    if (e.status() != EK_ERR_OUT_OF_MEMORY) throw;
    cudaGetLastError();
    return nullptr;  // stream instead
  }
  try {
    UploadRows(dev, st, t, req.base, req.rows, req.dim, r->base.as<float>(), pool);
    LaunchSquaredNorms(r->base.as<float>(), req.rows, req.dim, r->sq_norms.as<float>(),
                       dev.compute);
    Check(cudaStreamSynchronize(dev.compute), "cudaStreamSynchronize(resident norms)");
  } catch (...) {
    cudaStreamSynchronize(dev.copy);  // nothing may still write into r's buffers
    cudaStreamSynchronize(dev.compute);
    throw;
  }
  stats->uploaded = true;
  return st.resident.Add(std::move(entry));
}

void RunScan(Device& dev, SearchState& st, const ScanTuning& t, const kernels::ScanRequest& req,
             uint64_t content_key, ThreadPool* pool, uint32_t* out_rows, float* out_scores,
             size_t* out_counts, ScanStats* stats) {
  const size_t nq = req.n_queries, k = req.k, rows = req.rows, dim = req.dim;
  const bool l2 = req.metric == kernels::Metric::kL2;
  const size_t row_bytes = dim * sizeof(float);

  // Queries as the CPU forms them: cosine normalises copies; L2 needs ||q||^2.
  std::vector<float> queries(req.queries, req.queries + nq * dim);
  if (req.metric == kernels::Metric::kCosine) {
    for (size_t q = 0; q < nq; ++q) kernels::Normalize(queries.data() + q * dim, dim);
  }
  std::vector<float> qq(nq, 0.0f);
  if (l2) {
    for (size_t q = 0; q < nq; ++q) qq[q] = kernels::SquaredNorm(queries.data() + q * dim, dim);
  }

  EnsureEvents(st);

  Resident* res = content_key ? FindOrUpload(dev, st, t, req, content_key, pool, stats) : nullptr;
  stats->resident = res != nullptr;

  const uint8_t* d_mask = nullptr;
  if (req.row_allowed) {
    d_mask = static_cast<uint8_t*>(st.mask.Reserve(rows, "filter mask"));
    Check(cudaMemcpyAsync(const_cast<uint8_t*>(d_mask), req.row_allowed, rows,
                          cudaMemcpyHostToDevice, dev.compute),
          "cudaMemcpyAsync(filter mask)");
  }

  const size_t score_budget =
      t.score_budget_bytes ? t.score_budget_bytes
                           : std::min<size_t>(size_t{1} << 30, Probe().total_memory / 8);
  const size_t staging = StagingBytes(t, row_bytes);
  const size_t group = std::min(nq, kMaxQueryGroup);
  std::vector<uint32_t> keys(group * k), idx(group * k);

  for (size_t q0 = 0; q0 < nq; q0 += group) {
    const size_t qn = std::min(group, nq - q0);
    ++stats->query_groups;
    size_t chunk_rows = std::max<size_t>(1, score_budget / (qn * sizeof(float)));
    if (!res) chunk_rows = std::min(chunk_rows, staging / row_bytes);
    chunk_rows = std::min(chunk_rows, rows);
    const size_t cand_stride = CandidateStride(chunk_rows, k);

    float* d_q = static_cast<float*>(st.queries.Reserve(qn * row_bytes, "queries"));
    float* d_scores = static_cast<float*>(st.scores.Reserve(qn * chunk_rows * sizeof(float), "scores"));
    uint32_t* d_ck = static_cast<uint32_t*>(
        st.cand_keys.Reserve(qn * cand_stride * sizeof(uint32_t), "candidate keys"));
    uint32_t* d_ci = static_cast<uint32_t*>(
        st.cand_idx.Reserve(qn * cand_stride * sizeof(uint32_t), "candidate rows"));
    // Streaming buffers, reserved while nothing is in flight (every group ends synced).
    float* pinned[2] = {nullptr, nullptr};
    float* d_chunk[2] = {nullptr, nullptr};
    float* d_cn[2] = {nullptr, nullptr};
    if (!res) {
      for (int b = 0; b < 2; ++b) {
        pinned[b] = static_cast<float*>(st.staging[b].Reserve(staging, "staging"));
        d_chunk[b] = static_cast<float*>(st.chunk[b].Reserve(chunk_rows * row_bytes, "chunk"));
        if (l2) {
          d_cn[b] = static_cast<float*>(
              st.chunk_norms[b].Reserve(chunk_rows * sizeof(float), "chunk norms"));
        }
      }
    }
    Check(cudaMemcpyAsync(d_q, queries.data() + q0 * dim, qn * row_bytes, cudaMemcpyHostToDevice,
                          dev.compute),
          "cudaMemcpyAsync(queries)");
    Check(cudaMemsetAsync(d_ck, 0, qn * cand_stride * sizeof(uint32_t), dev.compute),
          "cudaMemsetAsync(candidates)");

    for (size_t c = 0, r0 = 0; r0 < rows; ++c, r0 += chunk_rows) {
      const size_t n = std::min(chunk_rows, rows - r0);
      const float* d_base;
      const float* d_norms = nullptr;
      if (res) {
        d_base = res->base.as<float>() + r0 * dim;
        d_norms = res->sq_norms.as<float>() + r0;
      } else {
        const int b = static_cast<int>(c % 2);
        // pinned[b] is free once its previous transfer is done; d_chunk[b] once the
        // kernels that read it (two chunks ago) are done.
        Check(cudaEventSynchronize(st.h2d_done[b]), "cudaEventSynchronize(staging)");
        ParallelCopy(pinned[b], req.base + r0 * dim, n * row_bytes, pool);
        Check(cudaStreamWaitEvent(dev.copy, st.compute_done[b], 0), "cudaStreamWaitEvent(copy)");
        Check(cudaMemcpyAsync(d_chunk[b], pinned[b], n * row_bytes, cudaMemcpyHostToDevice,
                              dev.copy),
              "cudaMemcpyAsync(chunk)");
        Check(cudaEventRecord(st.h2d_done[b], dev.copy), "cudaEventRecord(h2d)");
        Check(cudaStreamWaitEvent(dev.compute, st.h2d_done[b], 0), "cudaStreamWaitEvent(compute)");
        stats->bytes_streamed += n * row_bytes;
        d_base = d_chunk[b];
        if (l2) {
          LaunchSquaredNorms(d_chunk[b], n, dim, d_cn[b], dev.compute);
          d_norms = d_cn[b];
        }
      }
      LaunchDotScores(d_q, qn, d_base, n, dim, d_scores, chunk_rows, dev.compute);
      LaunchSelectChunk(d_scores, chunk_rows, l2 ? d_norms : nullptr, d_mask ? d_mask + r0 : nullptr,
                        n, static_cast<uint32_t>(r0), qn, k, d_ck, d_ci, cand_stride, dev.compute);
      if (!res) {
        Check(cudaEventRecord(st.compute_done[static_cast<int>(c % 2)], dev.compute),
              "cudaEventRecord(compute)");
      }
      ++stats->chunks;
    }
    // Slot 0 of every query: k keys and rows.
    DownloadTopK(d_ck, d_ci, cand_stride, qn, k, keys.data(), idx.data(), dev.compute);

    // As the CPU scan: L2 never below 0, cosine (unit rows and queries) in [-1, 1].
    const kernels::Metric metric = req.metric;
    WriteHits(keys.data(), idx.data(), q0, qn, k, rows,
              [&qq, metric](float s, size_t q) {
                if (metric == kernels::Metric::kL2) s = std::max(0.0f, qq[q] - s);
                if (metric == kernels::Metric::kCosine) s = std::clamp(s, -1.0f, 1.0f);
                return s;
              },
              out_rows, out_scores, out_counts);
  }
}

}  // namespace
}  // namespace detail

void ScanTopK(const kernels::ScanRequest& req, uint64_t content_key, ThreadPool* pool,
              uint32_t* out_rows, float* out_scores, size_t* out_counts) {
  kernels::detail::ValidateScanRequest("cuda::ScanTopK", req, out_rows, out_scores, out_counts);
  ScanStats stats;
  detail::last_stats = stats;
  if (req.n_queries == 0) return;
  // Nothing for a GPU to do, or more hits than its top-k keeps: the CPU scan answers.
  if (req.rows == 0 || req.dim == 0 || req.k > kMaxGpuTopK) {
    kernels::ScanTopK(req, pool, out_rows, out_scores, out_counts);
    return;
  }
  if (req.rows * req.dim / req.dim != req.rows)
    Fail(EK_ERR_INVALID_ARGUMENT, "cuda::ScanTopK: rows x dim overflows size_t");
  const ScanTuning t = detail::CurrentTuning();
  detail::DeviceLock lock;
  detail::Device& dev = lock.device();
  detail::SearchState& st = detail::State();
  try {
    detail::RunScan(dev, st, t, req, content_key, pool, out_rows, out_scores, out_counts, &stats);
  } catch (...) {
    // Leave no transfer or kernel running on buffers the next call will reuse.
    cudaStreamSynchronize(dev.copy);
    cudaStreamSynchronize(dev.compute);
    cudaGetLastError();
    detail::last_stats = stats;
    throw;
  }
  detail::last_stats = stats;
}

ScanStats LastScanStats() { return detail::last_stats; }

void SetScanTuning(const ScanTuning& t) {
  std::lock_guard<std::mutex> lock(detail::tuning_mu);
  detail::tuning = t;
}

void ReleaseResident() {
  if (!Probe().available) return;
  detail::DeviceLock lock;
  detail::State().resident.Clear();
  detail::ReleaseQuantizedResident();
}

namespace {

// Search policy thresholds (multiply-adds: queries x rows x dim).
constexpr size_t kMinGpuWork = size_t{1} << 22;        // below: launch latency dominates
constexpr size_t kMinStreamWork = size_t{1} << 31;     // streamed batch: compute-bound enough
constexpr size_t kMinStreamQueries = 16;

// Content keys searched recently (on any backend): a key seen twice is worth uploading.
std::mutex seen_mu;
uint64_t seen_keys[16] = {};
size_t seen_next = 0;

bool SeenBefore(uint64_t key) {
  std::lock_guard<std::mutex> lock(seen_mu);
  for (uint64_t k : seen_keys) {
    if (k == key) return true;
  }
  seen_keys[seen_next] = key;
  seen_next = (seen_next + 1) % 16;
  return false;
}

// Whether the base is resident, or would fit the residency budget.
void Residency(const kernels::ScanRequest& req, uint64_t key, bool* resident, bool* fits) {
  *resident = false;
  *fits = false;
  const ScanTuning t = detail::CurrentTuning();
  detail::DeviceLock lock;
  detail::SearchState& st = detail::State();
  if (st.resident.Find(key, req.base, req.rows, req.dim * sizeof(float))) {
    *resident = true;
    return;
  }
  const size_t budget = detail::ResidencyBudget(t, &st.default_residency_budget);
  *fits = req.rows * (req.dim + 1) * sizeof(float) <= budget;
}

}  // namespace

void Search(const kernels::ScanRequest& req, uint64_t content_key, ThreadPool* pool,
            uint32_t* out_rows, float* out_scores, size_t* out_counts) {
  const size_t work = req.n_queries * req.rows * req.dim;
  bool gpu = false;
  if (Probe().available && work >= kMinGpuWork && req.k >= 1 && req.k <= kMaxGpuTopK) {
    bool resident = false, fits = false;
    if (content_key) Residency(req, content_key, &resident, &fits);
    gpu = resident || (fits && SeenBefore(content_key)) ||
          (req.n_queries >= kMinStreamQueries && work >= kMinStreamWork);
  }
  if (gpu) {
    try {
      ScanTopK(req, content_key, pool, out_rows, out_scores, out_counts);
      return;
    } catch (const Error& e) {
      if (e.status() != EK_ERR_OUT_OF_MEMORY) throw;
      ReleaseResident();  // the GPU is full: free our copies, answer on the CPU
    }
  }
  kernels::ScanTopK(req, pool, out_rows, out_scores, out_counts);
}

}  // namespace ek::cuda
