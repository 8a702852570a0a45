// ScanTopK: exact search with the top-k selection fused into the distance pass.
//
// Two per-target paths (see scan_internal.h): a bandwidth-bound row path for one to
// seven queries (each base row is read once and dotted with up to four queries) and a
// compute-bound tile path for batches (register-tiled micro-kernel from simd-inl.h:
// base rows broadcast x packed, transposed queries; base processed in L2-sized blocks).
// Both compare every score vector against per-query acceptance thresholds, so almost
// every score is rejected with one compare and never touches a heap. The driver splits
// rows (and query groups) into tasks on the ThreadPool, each with its own heaps, and
// merges the per-task top-k at the end.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/scan_internal.h"
#include "kernels/topk_heap.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/scan.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/aligned_buffer.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ek::kernels::HWY_NAMESPACE {

template <int kMode>
HWY_INLINE float RowScore(const float* HWY_RESTRICT q, const float* HWY_RESTRICT x, size_t dim,
                          const float* norms, size_t r) {
  if constexpr (kMode == detail::kModeDot) {
    return DotImpl(q, x, dim);
  } else if constexpr (kMode == detail::kModeL2Norms) {
    return 2.0f * DotImpl(q, x, dim) - norms[r];
  } else {
    return -L2SqImpl(q, x, dim);
  }
}

template <int kMode>
HWY_INLINE void ScanRowsMode(const detail::RowScanJob& job) {
  const size_t dim = job.dim;
  const uint8_t* allowed = job.allowed;
  if (job.nq == 1) {
    const float* q = job.queries[0];
    detail::TopKHeap* heap = job.heaps[0];
    float thr = heap->AcceptThreshold();
    const float* x = job.base + job.r0 * dim;
    for (size_t r = job.r0; r < job.r1; ++r, x += dim) {
      if (allowed && !allowed[r]) continue;
      const float s = RowScore<kMode>(q, x, dim, job.norms, r);
      if (s >= thr) {
        heap->Push(s, uint32_t(r));
        thr = heap->AcceptThreshold();
      }
    }
    return;
  }
  float thr[detail::kRowPathGroup];
  for (size_t i = 0; i < job.nq; ++i) thr[i] = job.heaps[i]->AcceptThreshold();
  const float* x = job.base + job.r0 * dim;
  for (size_t r = job.r0; r < job.r1; ++r, x += dim) {
    if (allowed && !allowed[r]) continue;
    for (size_t i = 0; i < job.nq; ++i) {
      const float s = RowScore<kMode>(job.queries[i], x, dim, job.norms, r);
      if (s >= thr[i]) {
        job.heaps[i]->Push(s, uint32_t(r));
        thr[i] = job.heaps[i]->AcceptThreshold();
      }
    }
  }
}

void ScanRowsT(const detail::RowScanJob& job) {
  switch (job.mode) {
    case detail::kModeDot: ScanRowsMode<detail::kModeDot>(job); break;
    case detail::kModeL2Norms: ScanRowsMode<detail::kModeL2Norms>(job); break;
    default: ScanRowsMode<detail::kModeL2Direct>(job); break;
  }
}

void ScanTileT(const detail::TileScanJob& job) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const size_t QB = kTileV * N;  // queries per packed panel
  const size_t dim = job.dim, nq = job.nq;
  // Queries beyond the last full vector: up to kRowPathGroup of them are dotted row
  // by row while the block is in cache (padding them to a vector would waste up to
  // 15/16 of its lanes: 100 queries = 6 vectors + 4, not 7 vectors); more are padded.
  const size_t rem = nq % N;
  const size_t n_tail = (rem > 0 && rem <= detail::kRowPathGroup) ? rem : 0;
  const size_t n_tile = nq - n_tail;
  const size_t n_blocks = (n_tile + QB - 1) / QB;
  const size_t panel_floats = std::max<size_t>(dim, 1) * QB;
  auto panels = detail::AllocateFloats(std::max<size_t>(n_blocks, 1) * panel_floats);
  auto thr = detail::AllocateFloats(std::max<size_t>(n_blocks, 1) * QB);
  const float scale = job.l2 ? 2.0f : 1.0f;  // l2: s = (2q).x - ||x||^2
  for (size_t b = 0; b < n_blocks; ++b) {
    const size_t q0 = b * QB, width = std::min(QB, n_tile - q0);
    const size_t nv = (width + N - 1) / N;
    PackPanel(job.queries + q0 * dim, dim, 1, dim, width, nv * N, scale,
              panels.get() + b * panel_floats);
    for (size_t j = 0; j < QB; ++j) {
      thr[b * QB + j] = j < width ? job.heaps[q0 + j].AcceptThreshold()
                                  : std::numeric_limits<float>::quiet_NaN();
    }
  }
  // Base block: about 256 KiB (fits L2 next to the query panels), kTileR-aligned.
  constexpr size_t kBlockBytes = 256 * 1024;
  const size_t row_bytes = std::max<size_t>(dim, 1) * sizeof(float);
  const size_t RB = std::max(kTileR, (kBlockBytes / row_bytes) / kTileR * kTileR);
  std::vector<float> block_norms;
  if (job.l2 && job.norms == nullptr) block_norms.resize(RB);
  alignas(64) float buf[kMaxLanesF];

  for (size_t rb = job.r0; rb < job.r1; rb += RB) {
    const size_t nrows = std::min(RB, job.r1 - rb);
    const float* xb = job.base + rb * dim;
    const float* norms = job.norms ? job.norms + rb : block_norms.data();
    if (job.l2 && job.norms == nullptr) {
      for (size_t r = 0; r < nrows; ++r) block_norms[r] = SqNormImpl(xb + r * dim, dim);
    }
    for (size_t b = 0; b < n_blocks; ++b) {
      const size_t q0 = b * QB, width = std::min(QB, n_tile - q0);
      const size_t nv = (width + N - 1) / N;
      float* tb = thr.get() + b * QB;
      detail::TopKHeap* heaps = job.heaps + q0;
      auto epi = [&](size_t r, size_t v, VF acc) {
        const size_t row = rb + r;
        if (job.allowed && !job.allowed[row]) return;
        const VF s = job.l2 ? hn::Sub(acc, hn::Set(d, norms[r])) : acc;
        float* t = tb + v * N;
        if (hn::AllFalse(d, hn::Ge(s, hn::Load(d, t)))) return;
        hn::Store(s, d, buf);
        for (size_t j = 0; j < N; ++j) {
          if (buf[j] >= t[j]) {
            detail::TopKHeap& h = heaps[v * N + j];
            h.Push(buf[j], uint32_t(row));
            t[j] = h.AcceptThreshold();
          }
        }
      };
      TileRows(xb, dim, nrows, panels.get() + b * panel_floats, nv, dim, epi);
    }
    for (size_t i = 0; i < n_tail; ++i) {
      const float* q = job.queries + (n_tile + i) * dim;
      detail::TopKHeap& h = job.heaps[n_tile + i];
      float t = h.AcceptThreshold();
      for (size_t r = 0; r < nrows; ++r) {
        if (job.allowed && !job.allowed[rb + r]) continue;
        const float dot = DotImpl(q, xb + r * dim, dim);
        const float s = job.l2 ? 2.0f * dot - norms[r] : dot;
        if (s >= t) {
          h.Push(s, uint32_t(rb + r));
          t = h.AcceptThreshold();
        }
      }
    }
  }
}

}  // namespace ek::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ek::kernels {

HWY_EXPORT(ScanRowsT);
HWY_EXPORT(ScanTileT);

namespace detail {

ScanTuning& MutableScanTuning() {
  static ScanTuning tuning;
  return tuning;
}

void ValidateScanRequest(const char* fn, const ScanRequest& req, const uint32_t* out_rows,
                         const float* out_scores, const size_t* out_counts) {
  const std::string f(fn);
  if (req.k == 0) Fail(EK_ERR_INVALID_ARGUMENT, f + ": k = 0; k must be at least 1");
  if (req.metric != Metric::kCosine && req.metric != Metric::kDot && req.metric != Metric::kL2) {
    Fail(EK_ERR_INVALID_ARGUMENT,
         f + ": unknown metric " + std::to_string(static_cast<int32_t>(req.metric)));
  }
  if (req.rows > UINT32_MAX) Fail(EK_ERR_INVALID_ARGUMENT, f + ": rows exceeds 2^32 - 1");
  if (req.n_queries == 0) return;
  if (req.queries == nullptr && req.dim > 0) Fail(EK_ERR_INVALID_ARGUMENT, f + ": queries is NULL");
  if (req.base == nullptr && req.rows > 0 && req.dim > 0) {
    Fail(EK_ERR_INVALID_ARGUMENT, f + ": base is NULL");
  }
  if (!out_rows || !out_scores || !out_counts) {
    Fail(EK_ERR_INVALID_ARGUMENT, f + ": an output buffer is NULL");
  }
}

}  // namespace detail

namespace {

size_t CeilDiv(size_t a, size_t b) { return (a + b - 1) / b; }

}  // namespace

void ScanTopK(const ScanRequest& req, ThreadPool* pool, uint32_t* out_rows, float* out_scores,
              size_t* out_counts) {
  detail::ValidateScanRequest("ScanTopK", req, out_rows, out_scores, out_counts);
  const size_t nq = req.n_queries, k = req.k, dim = req.dim, rows = req.rows;
  if (nq == 0) return;

  // Cosine: the base is unit-normalised by contract; normalise (copies of) the queries.
  std::vector<float> qcopy;
  const float* queries = req.queries;
  if (req.metric == Metric::kCosine && dim > 0) {
    qcopy.assign(req.queries, req.queries + nq * dim);
    for (size_t q = 0; q < nq; ++q) Normalize(qcopy.data() + q * dim, dim);
    queries = qcopy.data();
  }

  const bool row_path = nq < detail::kTilePathMinQueries;
  int mode = detail::kModeDot;
  if (req.metric == Metric::kL2) {
    mode = (row_path && req.base_sq_norms == nullptr) ? detail::kModeL2Direct
                                                      : detail::kModeL2Norms;
  }

  // Tasks: query groups x row parts. Each row part of each query has its own heap.
  const size_t threads = pool ? pool->size() : 1;
  const size_t q_group = row_path ? detail::kRowPathGroup : 256;
  const size_t q_parts = CeilDiv(nq, q_group);
  size_t row_parts = 1;
  if (threads > 1 && rows > 0 && q_parts < 2 * threads) {
    // Enough work per task to amortise the hand-off: >= 1 MiB of base (row path) or
    // >= 4 MFLOP (tile path); up to 16 tasks per thread, handed out one at a time, so
    // a thread that loses its core (the machine is shared) holds up one small task
    // instead of a quarter of the scan.
    const size_t per_row = row_path ? std::max<size_t>(dim, 1) * sizeof(float)
                                    : 2 * std::max<size_t>(dim, 1) * std::min(nq, q_group);
    const detail::ScanTuning& tuning = detail::MutableScanTuning();
    const size_t min_work =
        row_path ? tuning.row_path_min_task_bytes : tuning.tile_path_min_task_flops;
    const size_t min_rows = std::max<size_t>(1, min_work / per_row);
    row_parts = std::clamp<size_t>(rows / min_rows, 1, 16 * threads);
  }
  std::vector<detail::TopKHeap> heaps(row_parts * nq);
  for (auto& h : heaps) h.Reset(k);

  const size_t n_tasks = q_parts * row_parts;
  // One pool chunk per thread; each pulls tasks from a shared counter (dynamic,
  // task-sized load balancing whatever chunking the pool uses).
  std::atomic<size_t> next_task{0};
  ParallelFor(pool, std::min(threads, n_tasks), 1, [&](size_t, size_t) {
    for (;;) {
      const size_t t = next_task.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks) break;
      const size_t qp = t / row_parts, rp = t % row_parts;
      const size_t q0 = qp * q_group, qn = std::min(q_group, nq - q0);
      const size_t r0 = rows * rp / row_parts, r1 = rows * (rp + 1) / row_parts;
      if (r0 == r1) continue;
      detail::TopKHeap* task_heaps = heaps.data() + rp * nq + q0;
      if (row_path) {
        const float* qptr[detail::kRowPathGroup];
        detail::TopKHeap* hptr[detail::kRowPathGroup];
        for (size_t i = 0; i < qn; ++i) {
          qptr[i] = queries + (q0 + i) * dim;
          hptr[i] = task_heaps + i;
        }
        detail::RowScanJob job{qptr, qn, req.base, dim, r0, r1, mode, req.base_sq_norms,
                               req.row_allowed, hptr};
        HWY_DYNAMIC_DISPATCH(ScanRowsT)(job);
      } else {
        detail::TileScanJob job{queries + q0 * dim, qn, req.base, dim, r0, r1,
                                req.metric == Metric::kL2, req.base_sq_norms, req.row_allowed,
                                task_heaps};
        HWY_DYNAMIC_DISPATCH(ScanTileT)(job);
      }
    }
  });

  // Merge the row parts and write the results best first.
  std::vector<detail::Hit> hits;
  for (size_t q = 0; q < nq; ++q) {
    if (row_parts == 1) {
      heaps[q].TakeSorted(&hits);
    } else {
      detail::TopKHeap merged(k);
      for (size_t p = 0; p < row_parts; ++p) {
        for (const detail::Hit& h : heaps[p * nq + q].hits()) merged.Push(h.score, h.row);
      }
      merged.TakeSorted(&hits);
    }
    const float qq = mode == detail::kModeL2Norms ? SquaredNorm(queries + q * dim, dim) : 0.0f;
    for (size_t i = 0; i < k; ++i) {
      if (i < hits.size()) {
        float s = hits[i].score;
        if (mode == detail::kModeL2Direct) s = -s;
        if (mode == detail::kModeL2Norms) s = std::max(0.0f, qq - s);
        // Unit rows and queries: only rounding can leave [-1, 1].
        if (req.metric == Metric::kCosine) s = std::clamp(s, -1.0f, 1.0f);
        out_rows[q * k + i] = hits[i].row;
        out_scores[q * k + i] = s;
      } else {
        out_rows[q * k + i] = UINT32_MAX;
        out_scores[q * k + i] = std::numeric_limits<float>::quiet_NaN();
      }
    }
    out_counts[q] = hits.size();
  }
}

}  // namespace ek::kernels
#endif  // HWY_ONCE
