// Exact top-k over f16 and int8 rows on the GPU: the CUDA side of
// kernels::QuantizedScanTopK. Per query group and chunk of rows, the ranks kernel
// (quantized_kernels.cu) scores every (query, row) pair and the shared selection
// (select.cu) folds them into each query's running top-k, so only k hits per query
// come back to the host.
//
// The encoded rows are either resident (uploaded once per content key, kept while they
// fit the residency budget, least recently used evicted first: the f32 search's rule,
// with a list of its own) or copied chunk by chunk on the compute stream. The copies
// are not overlapped with the kernels as search.cu's pinned double buffering does: the
// store passes a content key, so repeated batches find the rows resident, and f16/int8
// rows are a half and a quarter of the f32 bytes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "cuda/internal.cuh"
#include "cuda/resident.cuh"
#include "kernels/quantize.h"

namespace ek::cuda {
namespace detail {
namespace {

using kernels::ElementType;
using kernels::Metric;
using kernels::QuantizedScanRequest;

// Everything here is touched only while holding the DeviceLock.
struct QuantizedState {
  struct Rows {
    DeviceBuffer rows;
  };
  ResidentList<Rows> resident;
  size_t default_residency_budget = 0;  // set at first use
  DeviceBuffer queries, terms, scores, cand_keys, cand_idx, mask, chunk;
};

QuantizedState& State() {
  static auto* state = new QuantizedState;  // leaked on purpose, like Device
  return *state;
}

thread_local ScanStats last_stats;

// The resident rows for this key, uploading them if they fit the budget; nullptr when
// they do not (the caller copies chunks).
const uint8_t* FindOrUpload(Device& dev, QuantizedState& st, const ScanTuning& t,
                            const QuantizedScanRequest& req, size_t row_bytes, uint64_t key,
                            ScanStats* stats) {
  if (auto* r = st.resident.Find(key, req.base, req.rows, row_bytes)) return r->rows.as<uint8_t>();
  const size_t bytes = req.rows * row_bytes;
  if (!st.resident.MakeRoom(req.base, bytes, ResidencyBudget(t, &st.default_residency_budget))) {
    return nullptr;
  }
  auto entry = ResidentList<QuantizedState::Rows>::Make(key, req.base, req.rows, row_bytes, bytes);
  try {
    entry->copy.rows.Reserve(bytes, "resident quantized rows");
  } catch (const Error& e) {
    if (e.status() != EK_ERR_OUT_OF_MEMORY) throw;
    cudaGetLastError();
    return nullptr;  // copy chunks instead
  }
  Upload(entry->copy.rows.as<void>(), req.base, bytes, dev.compute,
         "cudaMemcpyAsync(upload quantized rows)");
  Finish(dev.compute, "cudaStreamSynchronize(upload quantized rows)");
  stats->uploaded = true;
  return st.resident.Add(std::move(entry))->rows.as<uint8_t>();
}

// The queries as the CPU prepares them (kernels/quantized_distance.cc): f16 rows are
// scored against the f32 query, int8 rows against its codes; NaN/Inf components are
// refused with the CPU's errors.
struct PreparedQueries {
  std::vector<float> f32;     // kF16
  std::vector<int8_t> codes;  // kInt8
  std::vector<QuantizedQueryTerms> terms;
  const void* data() const {
    return f32.empty() ? static_cast<const void*>(codes.data()) : f32.data();
  }
  size_t element_bytes() const { return f32.empty() ? 1 : sizeof(float); }
};

PreparedQueries Prepare(const QuantizedScanRequest& req) {
  const size_t nq = req.n_queries, dim = req.dim;
  PreparedQueries p;
  p.terms.resize(nq);
  if (req.type == ElementType::kF16) {
    p.f32.assign(req.queries, req.queries + nq * dim);
    for (size_t q = 0; q < nq; ++q) {
      const float* v = req.queries + q * dim;
      kernels::RequireFinite("f16 query", v, dim);
      double sq = 0.0;
      for (size_t i = 0; i < dim; ++i) sq += double(v[i]) * double(v[i]);
      p.terms[q].f16_sq_norm = sq;
    }
  } else {
    p.codes.resize(nq * dim);
    for (size_t q = 0; q < nq; ++q) {
      int8_t* c = p.codes.data() + q * dim;
      p.terms[q].i8_scale = kernels::EncodeInt8Query(req.queries + q * dim, dim, c);
      int32_t sq = 0;
      for (size_t i = 0; i < dim; ++i) sq += int32_t(c[i]) * int32_t(c[i]);
      p.terms[q].i8_sq_norm = sq;
    }
  }
  return p;
}

// Rows per chunk when they are copied rather than resident (ScanTuning::staging_bytes,
// 256 MiB by default).
size_t CopyChunkRows(const ScanTuning& t, size_t row_bytes) {
  const size_t bytes = t.staging_bytes ? t.staging_bytes : (size_t{256} << 20);
  return std::max<size_t>(1, bytes / row_bytes);
}

void RunQuantizedScan(Device& dev, QuantizedState& st, const ScanTuning& t,
                      const QuantizedScanRequest& req, const PreparedQueries& prepared,
                      uint64_t content_key, uint32_t* out_rows, float* out_scores,
                      size_t* out_counts, ScanStats* stats) {
  const size_t nq = req.n_queries, k = req.k, rows = req.rows, dim = req.dim;
  const size_t row_bytes = kernels::BytesPerVector(req.type, dim);
  CheckedMul(rows, row_bytes, "rows x bytes per row");  // throws when it overflows
  const bool l2 = req.metric == Metric::kL2;

  const uint8_t* resident =
      content_key ? FindOrUpload(dev, st, t, req, row_bytes, content_key, stats) : nullptr;
  stats->resident = resident != nullptr;

  const uint8_t* d_mask = nullptr;
  if (req.row_allowed) {
    d_mask = static_cast<uint8_t*>(st.mask.Reserve(rows, "filter mask"));
    Upload(const_cast<uint8_t*>(d_mask), req.row_allowed, rows, dev.compute,
           "cudaMemcpyAsync(filter mask)");
  }

  const size_t score_budget =
      t.score_budget_bytes ? t.score_budget_bytes
                           : std::min<size_t>(size_t{1} << 30, Probe().total_memory / 8);
  const size_t group = std::min(nq, kMaxQueryGroup);
  std::vector<uint32_t> keys(group * k), idx(group * k);
  const auto* host_rows = static_cast<const uint8_t*>(req.base);

  for (size_t q0 = 0; q0 < nq; q0 += group) {
    const size_t qn = std::min(group, nq - q0);
    ++stats->query_groups;
    size_t chunk_rows = std::max<size_t>(1, score_budget / (qn * sizeof(float)));
    if (!resident) chunk_rows = std::min(chunk_rows, CopyChunkRows(t, row_bytes));
    chunk_rows = std::min(chunk_rows, rows);
    const size_t cand_stride = CandidateStride(chunk_rows, k);

    const size_t query_bytes = qn * dim * prepared.element_bytes();
    void* d_q = st.queries.Reserve(query_bytes, "queries");
    auto* d_terms = static_cast<QuantizedQueryTerms*>(
        st.terms.Reserve(qn * sizeof(QuantizedQueryTerms), "query terms"));
    float* d_scores = static_cast<float*>(st.scores.Reserve(qn * chunk_rows * sizeof(float), "scores"));
    uint32_t* d_ck = static_cast<uint32_t*>(
        st.cand_keys.Reserve(qn * cand_stride * sizeof(uint32_t), "candidate keys"));
    uint32_t* d_ci = static_cast<uint32_t*>(
        st.cand_idx.Reserve(qn * cand_stride * sizeof(uint32_t), "candidate rows"));
    uint8_t* d_chunk =
        resident ? nullptr : static_cast<uint8_t*>(st.chunk.Reserve(chunk_rows * row_bytes, "chunk"));
    Upload(d_q, static_cast<const uint8_t*>(prepared.data()) + q0 * dim * prepared.element_bytes(),
           query_bytes, dev.compute, "cudaMemcpyAsync(queries)");
    Upload(d_terms, prepared.terms.data() + q0, qn * sizeof(QuantizedQueryTerms), dev.compute,
           "cudaMemcpyAsync(query terms)");
    Check(cudaMemsetAsync(d_ck, 0, qn * cand_stride * sizeof(uint32_t), dev.compute),
          "cudaMemsetAsync(candidates)");

    for (size_t r0 = 0; r0 < rows; r0 += chunk_rows) {
      const size_t n = std::min(chunk_rows, rows - r0);
      const uint8_t* d_rows;
      if (resident) {
        d_rows = resident + r0 * row_bytes;
      } else {
        // Same stream as the kernels: the copy waits for the previous chunk's kernels.
        Upload(d_chunk, host_rows + r0 * row_bytes, n * row_bytes, dev.compute,
               "cudaMemcpyAsync(chunk)");
        stats->bytes_streamed += n * row_bytes;
        d_rows = d_chunk;
      }
      LaunchQuantizedRanks(req.type, req.metric, d_q, d_terms, qn, d_rows, n, dim,
                           req.int8_scale, d_scores, chunk_rows, dev.compute);
      LaunchSelectChunk(d_scores, chunk_rows, nullptr, d_mask ? d_mask + r0 : nullptr, n,
                        static_cast<uint32_t>(r0), qn, k, d_ck, d_ci, cand_stride, dev.compute);
      ++stats->chunks;
    }
    DownloadTopK(d_ck, d_ci, cand_stride, qn, k, keys.data(), idx.data(), dev.compute);

    // L2 ranks are negated distances; 0 - rank turns a zero distance into +0, as the
    // CPU reports it.
    WriteHits(keys.data(), idx.data(), q0, qn, k, rows,
              [l2](float rank, size_t) { return l2 ? 0.0f - rank : rank; }, out_rows,
              out_scores, out_counts);
  }
}

// Whether the GPU path answers this request: f16 or int8 rows, something to scan, a k
// its top-k keeps, and nothing kernels::QuantizedScanTopK would refuse (except NaN/Inf
// query components, refused while the queries are prepared). Everything else goes to
// the CPU function, which answers it or throws its own error.
bool GpuTakes(const QuantizedScanRequest& req, const uint32_t* out_rows, const float* out_scores,
              const size_t* out_counts) {
  if (req.type != ElementType::kF16 && req.type != ElementType::kInt8) return false;
  if (req.n_queries == 0 || req.rows == 0 || req.dim == 0) return false;
  if (req.k == 0 || req.k > kMaxGpuTopK || req.rows > UINT32_MAX) return false;
  if (req.metric != Metric::kDot && req.metric != Metric::kCosine && req.metric != Metric::kL2) {
    return false;
  }
  if (req.type == ElementType::kInt8 &&
      !(std::isfinite(req.int8_scale) && req.int8_scale > 0.0f && req.dim <= kernels::kMaxInt8Dim)) {
    return false;
  }
  return req.queries && req.base && out_rows && out_scores && out_counts;
}

}  // namespace

void ReleaseQuantizedResident() { State().resident.Clear(); }

}  // namespace detail

void QuantizedScanTopK(const kernels::QuantizedScanRequest& req, uint64_t content_key,
                       ThreadPool* pool, uint32_t* out_rows, float* out_scores,
                       size_t* out_counts) {
  ScanStats stats;
  detail::last_stats = stats;
  if (!detail::GpuTakes(req, out_rows, out_scores, out_counts)) {
    kernels::QuantizedScanTopK(req, pool, out_rows, out_scores, out_counts);
    return;
  }
  const detail::PreparedQueries prepared = detail::Prepare(req);
  const ScanTuning t = detail::CurrentTuning();
  detail::DeviceLock lock;
  detail::Device& dev = lock.device();
  detail::QuantizedState& st = detail::State();
  try {
    detail::RunQuantizedScan(dev, st, t, req, prepared, content_key, out_rows, out_scores,
                             out_counts, &stats);
  } catch (...) {
    // Leave nothing running on buffers the next call will reuse.
    cudaStreamSynchronize(dev.compute);
    cudaGetLastError();
    detail::last_stats = stats;
    throw;
  }
  detail::last_stats = stats;
}

ScanStats LastQuantizedScanStats() { return detail::last_stats; }

void QuantizedSearch(const kernels::QuantizedScanRequest& req, uint64_t content_key,
                     ThreadPool* pool, uint32_t* out_rows, float* out_scores,
                     size_t* out_counts) {
  const bool gpu_type =
      req.type == kernels::ElementType::kF16 || req.type == kernels::ElementType::kInt8;
  if (gpu_type && req.n_queries >= kMinGpuQuantizedQueries && Probe().available) {
    try {
      QuantizedScanTopK(req, content_key, pool, out_rows, out_scores, out_counts);
      return;
    } catch (const Error& e) {
      // An argument error is the CPU's own refusal (or a NaN query): it would repeat it.
      if (e.status() == EK_ERR_INVALID_ARGUMENT) throw;
      if (e.status() == EK_ERR_OUT_OF_MEMORY) ReleaseResident();  // make room for later calls
    }
  }
  kernels::QuantizedScanTopK(req, pool, out_rows, out_scores, out_counts);
}

}  // namespace ek::cuda
