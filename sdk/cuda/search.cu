// Exact search on the GPU: scores for a chunk of rows (warp-per-row kernel or tiled
// SGEMM), then a two-round per-query top-k selection on the device, so only k hits
// per query ever come back to the host:
//
//   round 1  one block per (segment of 64Ki rows, query): radix-select the k best
//            scores of the segment (four 8-bit histogram passes over order-preserving
//            uint32 keys), collect them in row order, bitonic-sort them;
//   round 2  one block per query: the same selection over [running top-k | the
//            segments' top-k], written back as the running top-k.
//
// Ties are broken by lower row exactly like the CPU: candidates with equal keys are
// always taken in row order (rows ascend through a segment, segments ascend, and the
// running top-k holds earlier chunks), and the sort orders equal keys by row.
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
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "cuda/internal.cuh"
#include "kernels/scan_internal.h"

namespace ek::cuda {
namespace detail {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kSelectThreads = 1024;
constexpr unsigned kSortCapacity = 1024;  // >= kMaxGpuTopK
constexpr size_t kSegmentRows = 65536;
constexpr size_t kMaxQueryGroup = 4096;   // grid y limit is 65535
constexpr uint32_t kNoRow = 0xffffffffu;

static_assert(kMaxGpuTopK <= kSortCapacity, "sort buffer smaller than k");

// Order-preserving key: a larger score gives a larger key; NaN gives 0 ("no hit");
// -0 ranks as +0 (the CPU compares them equal).
__device__ __forceinline__ uint32_t KeyOf(float s) {
  if (!(s == s)) return 0u;
  if (s == 0.0f) s = 0.0f;
  const uint32_t u = __float_as_uint(s);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

float FloatOf(uint32_t key) {
  const uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Exclusive prefix sum over the block (blockDim.x a multiple of 32, <= 1024);
// *total gets the block's sum. Contains __syncthreads: call from uniform control flow.
__device__ unsigned BlockExclusiveSum(unsigned v, unsigned* total, unsigned* warp_sums) {
  const unsigned lane = threadIdx.x & 31u, wid = threadIdx.x >> 5;
  const unsigned n_warps = blockDim.x >> 5;
  unsigned x = v;
#pragma unroll
  for (unsigned o = 1; o < 32; o <<= 1) {
    const unsigned y = __shfl_up_sync(kFullMask, x, o);
    if (lane >= o) x += y;
  }
  if (lane == 31) warp_sums[wid] = x;
  __syncthreads();
  if (wid == 0) {
    unsigned w = lane < n_warps ? warp_sums[lane] : 0u;
#pragma unroll
    for (unsigned o = 1; o < 32; o <<= 1) {
      const unsigned y = __shfl_up_sync(kFullMask, w, o);
      if (lane >= o) w += y;
    }
    if (lane < n_warps) warp_sums[lane] = w;  // inclusive
  }
  __syncthreads();
  const unsigned before = wid > 0 ? warp_sums[wid - 1] : 0u;
  *total = warp_sums[n_warps - 1];
  __syncthreads();  // warp_sums is reused by the next call
  return before + x - v;
}

// Writes the min(k, valid) best (key, index) of src[0, n) to out (best first, equal
// keys by lower index); slots up to k past them get key 0 and index kNoRow. Elements
// must be offered in a order where equal keys come with ascending index. One block of
// kSelectThreads threads; out may overlap the input (everything is read first).
template <class Src>
__device__ void BlockSelect(const Src& src, size_t n, unsigned k, uint32_t* out_keys,
                            uint32_t* out_idx) {
  __shared__ unsigned hist[256];
  __shared__ unsigned warp_sums[32];
  __shared__ uint32_t s_keys[kSortCapacity];
  __shared__ uint32_t s_idx[kSortCapacity];
  __shared__ uint32_t s_prefix;
  __shared__ unsigned s_remaining, s_all, s_taken, s_eq_taken;
  const unsigned tid = threadIdx.x, lane = tid & 31u;

  if (tid == 0) {
    s_prefix = 0;
    s_remaining = k;
    s_all = 0;
    s_taken = 0;
    s_eq_taken = 0;
  }
  // Radix select of the k-th largest key, 8 bits at a time from the top.
  uint32_t mask = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (unsigned b = tid; b < 256; b += blockDim.x) hist[b] = 0;
    __syncthreads();
    const uint32_t prefix = s_prefix;
    for (size_t base = 0; base < n; base += blockDim.x) {  // uniform trip count
      const size_t i = base + tid;
      const uint32_t key = i < n ? src.key(i) : 0u;
      const bool match = key != 0u && (key & mask) == prefix;
      const unsigned bin = match ? ((key >> shift) & 255u) : 256u;
      const unsigned peers = __match_any_sync(kFullMask, bin);
      if (match && lane == static_cast<unsigned>(__ffs(peers) - 1)) {
        atomicAdd(&hist[bin], static_cast<unsigned>(__popc(peers)));
      }
    }
    __syncthreads();
    if (tid == 0) {
      const unsigned remaining = s_remaining;
      if (shift == 24) {
        unsigned total = 0;
        for (int b = 0; b < 256; ++b) total += hist[b];
        if (total <= remaining) s_all = 1;  // k or fewer valid keys: take them all
      }
      if (!s_all) {
        unsigned above = 0;
        int digit = 0;
        for (int b = 255; b >= 0; --b) {
          if (above + hist[b] >= remaining) {
            digit = b;
            break;
          }
          above += hist[b];
        }
        s_remaining = remaining - above;
        s_prefix = prefix | (static_cast<uint32_t>(digit) << shift);
      }
    }
    __syncthreads();
    if (s_all) break;
    mask |= 255u << shift;
  }
  __syncthreads();
  const bool all = s_all != 0;
  const uint32_t threshold = all ? 0u : s_prefix;  // the k-th key
  const unsigned need_eq = all ? 0u : s_remaining;  // how many keys == threshold to take

  // Collect in offer order: every key above the threshold, and the first need_eq keys
  // equal to it (lowest indices).
  for (size_t base = 0; base < n; base += blockDim.x) {
    const size_t i = base + tid;
    const uint32_t key = i < n ? src.key(i) : 0u;
    const bool gt = key != 0u && key > threshold;
    const bool eq = !all && key != 0u && key == threshold;
    unsigned eq_total = 0, take_total = 0;
    const unsigned eq_rank = s_eq_taken + BlockExclusiveSum(eq ? 1u : 0u, &eq_total, warp_sums);
    const bool take = gt || (eq && eq_rank < need_eq);
    const unsigned pos = s_taken + BlockExclusiveSum(take ? 1u : 0u, &take_total, warp_sums);
    if (take && pos < kSortCapacity) {
      s_keys[pos] = key;
      s_idx[pos] = src.index(i);
    }
    __syncthreads();
    if (tid == 0) {
      s_taken += take_total;
      s_eq_taken += eq_total;
    }
    __syncthreads();
  }
  const unsigned count = min(s_taken, kSortCapacity);
  unsigned sort_n = 1;
  while (sort_n < count) sort_n <<= 1;
  for (unsigned i = count + tid; i < sort_n; i += blockDim.x) {
    s_keys[i] = 0u;
    s_idx[i] = kNoRow;
  }
  __syncthreads();
  // Bitonic sort, best first: a before b when a.key > b.key, or equal and a.idx < b.idx.
  for (unsigned size = 2; size <= sort_n; size <<= 1) {
    for (unsigned stride = size >> 1; stride > 0; stride >>= 1) {
      for (unsigned t = tid; t < sort_n; t += blockDim.x) {
        const unsigned p = t ^ stride;
        if (p > t) {
          const uint32_t ka = s_keys[t], kb = s_keys[p];
          const uint32_t ia = s_idx[t], ib = s_idx[p];
          const bool b_better = kb > ka || (kb == ka && ib < ia);
          const bool a_better = ka > kb || (ka == kb && ia < ib);
          if ((t & size) == 0 ? b_better : a_better) {
            s_keys[t] = kb;
            s_keys[p] = ka;
            s_idx[t] = ib;
            s_idx[p] = ia;
          }
        }
      }
      __syncthreads();
    }
  }
  for (unsigned j = tid; j < k; j += blockDim.x) {
    const bool hit = j < count;
    out_keys[j] = hit ? s_keys[j] : 0u;
    out_idx[j] = hit ? s_idx[j] : kNoRow;
  }
  __syncthreads();
}

// Scores of one query over one segment, as keys: dot/cosine s = q.x; L2 (ranked by
// 2 q.x - ||x||^2, like the CPU). Filtered-out rows give key 0.
struct ScoreSource {
  const float* scores;
  const float* sq_norms;   // L2 only
  const uint8_t* allowed;  // nullable
  uint32_t row0;
  __device__ uint32_t key(size_t i) const {
    if (allowed && !allowed[i]) return 0u;
    float s = scores[i];
    if (sq_norms) s = 2.0f * s - sq_norms[i];
    return KeyOf(s);
  }
  __device__ uint32_t index(size_t i) const { return row0 + static_cast<uint32_t>(i); }
};

struct PairSource {
  const uint32_t* keys;
  const uint32_t* idx;
  __device__ uint32_t key(size_t i) const { return keys[i]; }
  __device__ uint32_t index(size_t i) const { return idx[i]; }
};

// Candidate layout per query (stride `cand_stride` entries): slot 0 = running top-k,
// slot 1 + s = segment s of the current chunk; each slot k entries.
__global__ void __launch_bounds__(kSelectThreads)
    SelectSegmentsKernel(const float* __restrict__ scores, size_t ld,
                         const float* __restrict__ sq_norms, const uint8_t* __restrict__ allowed,
                         size_t rows, uint32_t row0, unsigned k, uint32_t* cand_keys,
                         uint32_t* cand_idx, size_t cand_stride) {
  const size_t seg = blockIdx.x, q = blockIdx.y;
  const size_t s0 = seg * kSegmentRows;
  if (s0 >= rows) return;  // uniform per block
  const size_t n = rows - s0 < kSegmentRows ? rows - s0 : kSegmentRows;
  ScoreSource src{scores + q * ld + s0, sq_norms ? sq_norms + s0 : nullptr,
                  allowed ? allowed + s0 : nullptr, row0 + static_cast<uint32_t>(s0)};
  const size_t out = q * cand_stride + (1 + seg) * k;
  BlockSelect(src, n, k, cand_keys + out, cand_idx + out);
}

__global__ void __launch_bounds__(kSelectThreads)
    MergeKernel(uint32_t* cand_keys, uint32_t* cand_idx, size_t cand_stride, size_t n,
                unsigned k) {
  const size_t q = blockIdx.x;
  PairSource src{cand_keys + q * cand_stride, cand_idx + q * cand_stride};
  BlockSelect(src, n, k, cand_keys + q * cand_stride, cand_idx + q * cand_stride);
}

// ---- Host side -----------------------------------------------------------------------------

struct Resident {
  uint64_t key = 0;
  const float* host_base = nullptr;
  size_t rows = 0, dim = 0;
  DeviceBuffer base;
  DeviceBuffer sq_norms;
  size_t bytes = 0;
  uint64_t last_use = 0;
};

// Everything here is touched only while holding the DeviceLock.
struct SearchState {
  std::list<std::unique_ptr<Resident>> resident;
  size_t resident_bytes = 0;
  uint64_t tick = 0;
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

ScanTuning CurrentTuning() {
  std::lock_guard<std::mutex> lock(tuning_mu);
  return tuning;
}

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

void Evict(SearchState& st, std::list<std::unique_ptr<Resident>>::iterator it) {
  st.resident_bytes -= (*it)->bytes;
  st.resident.erase(it);  // frees the device buffers
}

// The resident copy for this key, uploading it if it fits the budget; nullptr when it
// does not (the caller streams).
Resident* FindOrUpload(Device& dev, SearchState& st, const ScanTuning& t,
                       const kernels::ScanRequest& req, uint64_t key, ThreadPool* pool,
                       ScanStats* stats) {
  for (auto& r : st.resident) {
    if (r->key == key && r->host_base == req.base && r->rows == req.rows && r->dim == req.dim) {
      r->last_use = ++st.tick;
      return r.get();
    }
  }
  const size_t bytes = req.rows * req.dim * sizeof(float) + req.rows * sizeof(float);
  const size_t budget =
      t.residency_budget_bytes ? t.residency_budget_bytes : st.default_residency_budget;
  if (bytes > budget) return nullptr;
  // An older version of the same matrix is dead weight now.
  for (auto it = st.resident.begin(); it != st.resident.end();) {
    auto next = std::next(it);
    if ((*it)->host_base == req.base) Evict(st, it);
    it = next;
  }
  while (!st.resident.empty() && st.resident_bytes + bytes > budget) {
    auto lru = std::min_element(st.resident.begin(), st.resident.end(),
                                [](const auto& a, const auto& b) { return a->last_use < b->last_use; });
    Evict(st, lru);
  }
  auto r = std::make_unique<Resident>();
  r->key = key;
  r->host_base = req.base;
  r->rows = req.rows;
  r->dim = req.dim;
  r->bytes = bytes;
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
  r->last_use = ++st.tick;
  st.resident_bytes += bytes;
  st.resident.push_back(std::move(r));
  stats->uploaded = true;
  return st.resident.back().get();
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
  if (st.default_residency_budget == 0) {
    size_t free_b = 0, total_b = 0;
    Check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    st.default_residency_budget = free_b / 10 * 6;
  }

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
    const size_t max_segments = CeilDiv(chunk_rows, kSegmentRows);
    const size_t cand_stride = (1 + max_segments) * k;

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
      const size_t segments = CeilDiv(n, kSegmentRows);
      SelectSegmentsKernel<<<dim3(static_cast<unsigned>(segments), static_cast<unsigned>(qn)),
                             kSelectThreads, 0, dev.compute>>>(
          d_scores, chunk_rows, l2 ? d_norms : nullptr, d_mask ? d_mask + r0 : nullptr, n,
          static_cast<uint32_t>(r0), static_cast<unsigned>(k), d_ck, d_ci, cand_stride);
      CheckLaunch("SelectSegmentsKernel");
      MergeKernel<<<static_cast<unsigned>(qn), kSelectThreads, 0, dev.compute>>>(
          d_ck, d_ci, cand_stride, (1 + segments) * k, static_cast<unsigned>(k));
      CheckLaunch("MergeKernel");
      if (!res) {
        Check(cudaEventRecord(st.compute_done[static_cast<int>(c % 2)], dev.compute),
              "cudaEventRecord(compute)");
      }
      ++stats->chunks;
    }
    // Slot 0 of every query: k keys and rows.
    Check(cudaMemcpy2DAsync(keys.data(), k * sizeof(uint32_t), d_ck, cand_stride * sizeof(uint32_t),
                            k * sizeof(uint32_t), qn, cudaMemcpyDeviceToHost, dev.compute),
          "cudaMemcpy2DAsync(top-k keys)");
    Check(cudaMemcpy2DAsync(idx.data(), k * sizeof(uint32_t), d_ci, cand_stride * sizeof(uint32_t),
                            k * sizeof(uint32_t), qn, cudaMemcpyDeviceToHost, dev.compute),
          "cudaMemcpy2DAsync(top-k rows)");
    Check(cudaStreamSynchronize(dev.compute), "cudaStreamSynchronize(search)");

    for (size_t j = 0; j < qn; ++j) {
      const size_t q = q0 + j;
      size_t count = 0;
      for (size_t i = 0; i < k; ++i) {
        const uint32_t key = keys[j * k + i];
        const uint32_t row = idx[j * k + i];
        if (key != 0u && row < rows) {
          float s = FloatOf(key);
          // As the CPU scan: L2 never below 0, cosine (unit rows and queries) in [-1, 1].
          if (l2) s = std::max(0.0f, qq[q] - s);
          if (req.metric == kernels::Metric::kCosine) s = std::clamp(s, -1.0f, 1.0f);
          out_rows[q * k + i] = row;
          out_scores[q * k + i] = s;
          ++count;
        } else {
          out_rows[q * k + i] = UINT32_MAX;
          out_scores[q * k + i] = std::numeric_limits<float>::quiet_NaN();
        }
      }
      out_counts[q] = count;
    }
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
  detail::SearchState& st = detail::State();
  st.resident.clear();
  st.resident_bytes = 0;
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
  for (const auto& r : st.resident) {
    if (r->key == key && r->host_base == req.base && r->rows == req.rows && r->dim == req.dim) {
      *resident = true;
      return;
    }
  }
  if (st.default_residency_budget == 0) {
    size_t free_b = 0, total_b = 0;
    detail::Check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    st.default_residency_budget = free_b / 10 * 6;
  }
  const size_t budget = t.residency_budget_bytes ? t.residency_budget_bytes
                                                 : st.default_residency_budget;
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
