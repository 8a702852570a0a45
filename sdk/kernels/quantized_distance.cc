// Distances over quantized rows and the exact top-k scan over them (contracts in
// kernels/quantized_distance.h).
//
// Per target, three row kernels fill a block of at most kBlockRows results: f16 (promote
// to f32, accumulate in f32), int8 (widen to int16, ReorderWidenMulAccumulate into int32:
// pmaddwd on x86, i32x4.dot_i16x8 on WASM) and bit (XOR and popcount of 64-bit words).
// The queries are prepared once (zero-padded to whole vectors of any target, so only the
// row's tail needs a copy). The driver turns a block into scores and offers them to a
// TopKHeap behind one compare with its acceptance threshold, as ScanTopK's row path does;
// rows are split across the pool into parts with their own heaps, merged at the end.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/quantized_distance.h"
#include "kernels/scan_internal.h"
#include "kernels/topk_heap.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/quantized_distance.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ek::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Scratch for a row's tail: one vector of any x86/WASM target (64 bytes).
constexpr size_t kTailBytes = 64;
static_assert(HWY_MAX_BYTES <= kTailBytes, "tail buffers assume vectors of at most 64 bytes");

// ---- f16 rows ------------------------------------------------------------------------------
using DF32 = hn::ScalableTag<float>;
using VF32 = hn::Vec<DF32>;
using DF16 = hn::Rebind<hwy::float16_t, DF32>;

template <Metric kMetric>
HWY_INLINE void F16Step(VF32 q, VF32 x, VF32& acc, VF32& xx) {
  if constexpr (kMetric == Metric::kL2) {
    const VF32 diff = hn::Sub(q, x);
    acc = hn::MulAdd(diff, diff, acc);
  } else {
    acc = hn::MulAdd(q, x, acc);
    if constexpr (kMetric == Metric::kCosine) xx = hn::MulAdd(x, x, xx);
  }
}

// kDot: q.x; kL2: ||q - x||^2; kCosine: q.x and ||x||^2. q is zero-padded past dim.
template <Metric kMetric>
HWY_INLINE void F16RowSums(const float* HWY_RESTRICT q, const uint16_t* HWY_RESTRICT x, size_t dim,
                           float* sum, float* x_sq_norm) {
  const DF32 df;
  const DF16 dh;
  const size_t N = hn::Lanes(df);
  const auto* xh = reinterpret_cast<const hwy::float16_t*>(x);
  // Four accumulators (two for cosine's norms) hide the multiply-add latency.
  VF32 a0 = hn::Zero(df), a1 = a0, a2 = a0, a3 = a0, n0 = a0, n1 = a0;
  size_t i = 0;
  for (; i + 4 * N <= dim; i += 4 * N) {
    F16Step<kMetric>(hn::LoadU(df, q + i), hn::PromoteTo(df, hn::LoadU(dh, xh + i)), a0, n0);
    F16Step<kMetric>(hn::LoadU(df, q + i + N), hn::PromoteTo(df, hn::LoadU(dh, xh + i + N)), a1,
                     n1);
    F16Step<kMetric>(hn::LoadU(df, q + i + 2 * N),
                     hn::PromoteTo(df, hn::LoadU(dh, xh + i + 2 * N)), a2, n0);
    F16Step<kMetric>(hn::LoadU(df, q + i + 3 * N),
                     hn::PromoteTo(df, hn::LoadU(dh, xh + i + 3 * N)), a3, n1);
  }
  for (; i + N <= dim; i += N) {
    F16Step<kMetric>(hn::LoadU(df, q + i), hn::PromoteTo(df, hn::LoadU(dh, xh + i)), a0, n0);
  }
  if (i < dim) {  // never read past the row: copy its tail into a zeroed vector
    alignas(64) uint16_t tail[kTailBytes / 2] = {};
    std::memcpy(tail, x + i, (dim - i) * sizeof(uint16_t));
    const auto* th = reinterpret_cast<const hwy::float16_t*>(tail);
    F16Step<kMetric>(hn::LoadU(df, q + i), hn::PromoteTo(df, hn::LoadU(dh, th)), a1, n1);
  }
  *sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
  if constexpr (kMetric == Metric::kCosine) {
    *x_sq_norm = hn::GetLane(hn::SumOfLanes(df, hn::Add(n0, n1)));
  }
}

template <Metric kMetric>
HWY_INLINE void F16Rows(const float* q, double q_sq_norm, const uint16_t* base, size_t dim,
                        size_t r0, size_t r1, const uint8_t* allowed, float* out) {
  for (size_t r = r0; r < r1; ++r) {
    if (allowed && !allowed[r]) continue;
    float s = 0.0f, xx = 0.0f;
    F16RowSums<kMetric>(q, base + r * dim, dim, &s, &xx);
    if constexpr (kMetric == Metric::kCosine) {
      const double denom = std::sqrt(q_sq_norm * double(xx));
      s = denom > 0.0 ? float(std::clamp(double(s) / denom, -1.0, 1.0)) : 0.0f;
    }
    out[r - r0] = s;
  }
}

void F16ScoresT(Metric metric, const float* q, double q_sq_norm, const uint16_t* base, size_t dim,
                size_t r0, size_t r1, const uint8_t* allowed, float* out) {
  switch (metric) {
    case Metric::kDot: F16Rows<Metric::kDot>(q, q_sq_norm, base, dim, r0, r1, allowed, out); break;
    case Metric::kL2: F16Rows<Metric::kL2>(q, q_sq_norm, base, dim, r0, r1, allowed, out); break;
    default: F16Rows<Metric::kCosine>(q, q_sq_norm, base, dim, r0, r1, allowed, out); break;
  }
}

// ---- int8 rows -----------------------------------------------------------------------------
using DI16 = hn::ScalableTag<int16_t>;
using DI32 = hn::Repartition<int32_t, DI16>;
using DI8 = hn::Rebind<int8_t, DI16>;
using VI16 = hn::Vec<DI16>;
using VI32 = hn::Vec<DI32>;

// Pairwise products of int16 lanes summed into int32 (the pair is an API detail of
// ReorderWidenMulAccumulate: x86 and WASM use only the first accumulator).
struct I32Acc {
  VI32 sum0, sum1;
};

HWY_INLINE void MulAcc(VI16 a, VI16 b, I32Acc& acc) {
  const DI32 d32;
  acc.sum0 = hn::ReorderWidenMulAccumulate(d32, a, b, acc.sum0, acc.sum1);
}

HWY_INLINE int32_t Total(const I32Acc& a, const I32Acc& b) {
  const DI32 d32;
  const VI32 s = hn::Add(hn::RearrangeToOddPlusEven(a.sum0, a.sum1),
                         hn::RearrangeToOddPlusEven(b.sum0, b.sum1));
  return hn::GetLane(hn::SumOfLanes(d32, s));
}

// q.x and (kNorms) ||x||^2 in int32; q holds the query codes widened to int16,
// zero-padded past dim. Two accumulator sets hide the multiply-add latency.
template <bool kNorms>
HWY_INLINE void Int8RowSums(const int16_t* HWY_RESTRICT q, const int8_t* HWY_RESTRICT x,
                            size_t dim, int32_t* dot, int32_t* x_sq_norm) {
  const DI16 d16;
  const DI8 d8;
  const DI32 d32;
  const size_t N = hn::Lanes(d16);
  I32Acc a0{hn::Zero(d32), hn::Zero(d32)}, a1 = a0, n0 = a0, n1 = a0;
  size_t i = 0;
  for (; i + 2 * N <= dim; i += 2 * N) {
    const VI16 x0 = hn::PromoteTo(d16, hn::LoadU(d8, x + i));
    const VI16 x1 = hn::PromoteTo(d16, hn::LoadU(d8, x + i + N));
    MulAcc(hn::LoadU(d16, q + i), x0, a0);
    MulAcc(hn::LoadU(d16, q + i + N), x1, a1);
    if constexpr (kNorms) {
      MulAcc(x0, x0, n0);
      MulAcc(x1, x1, n1);
    }
  }
  for (; i < dim; i += N) {
    VI16 xv;
    if (i + N <= dim) {
      xv = hn::PromoteTo(d16, hn::LoadU(d8, x + i));
    } else {  // never read past the row: copy its tail into a zeroed vector
      alignas(64) int8_t tail[kTailBytes] = {};
      std::memcpy(tail, x + i, dim - i);
      xv = hn::PromoteTo(d16, hn::LoadU(d8, tail));
    }
    MulAcc(hn::LoadU(d16, q + i), xv, a0);
    if constexpr (kNorms) MulAcc(xv, xv, n0);
  }
  *dot = Total(a0, a1);
  if constexpr (kNorms) *x_sq_norm = Total(n0, n1);
}

// dots[r - r0] = q.x_r; x_sq_norms (NULL when not wanted) gets ||x_r||^2.
void Int8SumsT(const int16_t* q, const int8_t* base, size_t dim, size_t r0, size_t r1,
               const uint8_t* allowed, int32_t* dots, int32_t* x_sq_norms) {
  for (size_t r = r0; r < r1; ++r) {
    if (allowed && !allowed[r]) continue;
    if (x_sq_norms) {
      Int8RowSums<true>(q, base + r * dim, dim, dots + (r - r0), x_sq_norms + (r - r0));
    } else {
      Int8RowSums<false>(q, base + r * dim, dim, dots + (r - r0), nullptr);
    }
  }
}

// ---- bit rows ------------------------------------------------------------------------------
// Only AVX3_DL has a vector popcount instruction (VPOPCNTDQ). Everywhere else Highway
// emulates it with byte lookups and three widening steps, about ten instructions per
// vector, while the POPCNT instruction (x86 SSE4 and newer targets) and WASM's i64.popcnt
// count a word in one: those targets count word by word.
#if HWY_TARGET == HWY_AVX3_DL
using DU64 = hn::ScalableTag<uint64_t>;

// q is zero-padded past `words` to whole vectors.
HWY_INLINE uint32_t HammingRow(const uint64_t* HWY_RESTRICT q, const uint64_t* HWY_RESTRICT x,
                               size_t words) {
  const DU64 d;
  const size_t N = hn::Lanes(d);
  auto acc = hn::Zero(d);
  size_t i = 0;
  for (; i + N <= words; i += N) {
    acc = hn::Add(acc, hn::PopulationCount(hn::Xor(hn::LoadU(d, q + i), hn::LoadU(d, x + i))));
  }
  if (i < words) {  // never read past the row: copy its tail into a zeroed vector
    alignas(64) uint64_t tail[kTailBytes / 8] = {};
    std::memcpy(tail, x + i, (words - i) * sizeof(uint64_t));
    acc = hn::Add(acc, hn::PopulationCount(hn::Xor(hn::LoadU(d, q + i), hn::LoadU(d, tail))));
  }
  return static_cast<uint32_t>(hn::GetLane(hn::SumOfLanes(d, acc)));
}
#else
HWY_INLINE uint32_t HammingRow(const uint64_t* HWY_RESTRICT q, const uint64_t* HWY_RESTRICT x,
                               size_t words) {
  size_t total = 0;
  for (size_t i = 0; i < words; ++i) total += hwy::PopCount(q[i] ^ x[i]);
  return static_cast<uint32_t>(total);
}
#endif

void HammingT(const uint64_t* q, const uint64_t* base, size_t words, size_t r0, size_t r1,
              const uint8_t* allowed, uint32_t* out) {
  for (size_t r = r0; r < r1; ++r) {
    if (allowed && !allowed[r]) continue;
    out[r - r0] = HammingRow(q, base + r * words, words);
  }
}

}  // namespace ek::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ek::kernels {

HWY_EXPORT(F16ScoresT);
HWY_EXPORT(Int8SumsT);
HWY_EXPORT(HammingT);

namespace detail {

float Int8Score(Metric metric, int32_t dot, int32_t qq, int32_t xx, float q_scale, float x_scale) {
  const double sq = q_scale, sx = x_scale;
  switch (metric) {
    case Metric::kDot: return static_cast<float>(sq * sx * double(dot));
    case Metric::kL2:
      return static_cast<float>(
          std::max(0.0, sq * sq * double(qq) - 2.0 * sq * sx * double(dot) + sx * sx * double(xx)));
    default: {
      const double denom = std::sqrt(double(qq) * double(xx));
      return denom > 0.0 ? static_cast<float>(std::clamp(double(dot) / denom, -1.0, 1.0)) : 0.0f;
    }
  }
}

}  // namespace detail

namespace {

// Results per dispatch call: small enough for stack buffers, large enough to amortise it.
constexpr size_t kBlockRows = 256;
// Prepared queries are zero-padded to a multiple of these: whole vectors on any target
// (64 int16 lanes = 128 bytes, 8 words = 64 bytes).
constexpr size_t kPadElements = 64;
constexpr size_t kPadWords = 8;

size_t RoundUp(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Where the rows are and how to score them.
struct RowsView {
  ElementType type;
  Metric metric;
  const void* base;
  size_t dim;
  float int8_scale;
};

// One query, encoded for the rows' type.
struct PreparedQuery {
  std::vector<float> f32;      // kF16: the query (cosine: divided by its norm)
  double f32_sq_norm = 0.0;    // kF16 cosine: ||f32||^2
  std::vector<int16_t> i16;    // kInt8: its codes, widened
  float i8_scale = 0.0f;
  int32_t i8_sq_norm = 0;
  std::vector<uint64_t> bits;  // kBit: its sign bits
};

PreparedQuery Prepare(const RowsView& v, const float* q) {
  PreparedQuery p;
  const size_t dim = v.dim;
  if (v.type == ElementType::kF16) {
    RequireFinite("f16 query", q, dim);
    p.f32.assign(RoundUp(dim, kPadElements), 0.0f);
    std::copy(q, q + dim, p.f32.begin());
    if (v.metric == Metric::kCosine) {
      // Cosine ignores the query's length, but the f32 sums do not: |q| ~ 1e34 overflowed
      // q.x to Inf (a score of 1 or NaN) and a tiny q lost q.x to underflow. A unit
      // query (scaled in double) keeps every product within |x|.
      double norm = 0.0;
      for (size_t i = 0; i < dim; ++i) norm += double(q[i]) * double(q[i]);
      norm = std::sqrt(norm);
      for (size_t i = 0; norm > 0.0 && i < dim; ++i) p.f32[i] = float(double(q[i]) / norm);
    }
    for (size_t i = 0; i < dim; ++i) p.f32_sq_norm += double(p.f32[i]) * double(p.f32[i]);
  } else if (v.type == ElementType::kInt8) {
    std::vector<int8_t> codes(dim);
    p.i8_scale = EncodeInt8Query(q, dim, codes.data());
    p.i16.assign(RoundUp(dim, kPadElements), 0);
    for (size_t i = 0; i < dim; ++i) {
      p.i16[i] = codes[i];
      p.i8_sq_norm += int32_t(codes[i]) * int32_t(codes[i]);
    }
  } else {
    p.bits.assign(RoundUp(BitWords(dim), kPadWords), 0);
    EncodeBits(q, dim, p.bits.data());
  }
  return p;
}

// out[r - r0] = the metric value of rows [r0, r1) (r1 - r0 <= kBlockRows); rows the
// filter skips are left unwritten.
void ScoreBlock(const RowsView& v, const PreparedQuery& q, size_t r0, size_t r1,
                const uint8_t* allowed, float* out) {
  if (v.type == ElementType::kF16) {
    HWY_DYNAMIC_DISPATCH(F16ScoresT)(v.metric, q.f32.data(), q.f32_sq_norm,
                                     static_cast<const uint16_t*>(v.base), v.dim, r0, r1, allowed,
                                     out);
  } else if (v.type == ElementType::kInt8) {
    int32_t dots[kBlockRows], norms[kBlockRows];
    const bool need_norms = v.metric != Metric::kDot;
    HWY_DYNAMIC_DISPATCH(Int8SumsT)(q.i16.data(), static_cast<const int8_t*>(v.base), v.dim, r0,
                                    r1, allowed, dots, need_norms ? norms : nullptr);
    for (size_t r = r0; r < r1; ++r) {
      if (allowed && !allowed[r]) continue;
      out[r - r0] = detail::Int8Score(v.metric, dots[r - r0], q.i8_sq_norm,
                                      need_norms ? norms[r - r0] : 0, q.i8_scale, v.int8_scale);
    }
  } else {
    uint32_t dist[kBlockRows];
    HWY_DYNAMIC_DISPATCH(HammingT)(q.bits.data(), static_cast<const uint64_t*>(v.base),
                                   BitWords(v.dim), r0, r1, allowed, dist);
    for (size_t r = r0; r < r1; ++r) {
      if (!allowed || allowed[r]) out[r - r0] = static_cast<float>(dist[r - r0]);
    }
  }
}

void CheckMetric(const char* fn, Metric metric) {
  if (metric != Metric::kCosine && metric != Metric::kDot && metric != Metric::kL2) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": unknown metric " +
                                      std::to_string(static_cast<int32_t>(metric)));
  }
}

void CheckInt8Rows(const char* fn, float scale, size_t dim) {
  if (!std::isfinite(scale) || !(scale > 0.0f)) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": int8 scale " + std::to_string(scale) +
                                      " is not a finite positive number");
  }
  if (dim > kMaxInt8Dim) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": int8 dim " + std::to_string(dim) +
                                      " exceeds " + std::to_string(kMaxInt8Dim) +
                                      " (int32 sums could overflow)");
  }
}

void CheckBuffers(const char* fn, const float* query, const void* base, size_t rows, size_t dim,
                  const void* out) {
  const std::string f(fn);
  if (query == nullptr && dim > 0) Fail(EK_ERR_INVALID_ARGUMENT, f + ": query is NULL");
  if (base == nullptr && rows > 0 && dim > 0) Fail(EK_ERR_INVALID_ARGUMENT, f + ": rows is NULL");
  if (out == nullptr && rows > 0) Fail(EK_ERR_INVALID_ARGUMENT, f + ": out is NULL");
}

void ScoreAll(const RowsView& v, const float* query, size_t rows, float* out) {
  const PreparedQuery q = Prepare(v, query);
  for (size_t r0 = 0; r0 < rows; r0 += kBlockRows) {
    ScoreBlock(v, q, r0, std::min(rows, r0 + kBlockRows), nullptr, out + r0);
  }
}

}  // namespace

void F16ScoreMany(Metric metric, const float* query, const uint16_t* rows_f16, size_t rows,
                  size_t dim, float* out) {
  CheckMetric("F16ScoreMany", metric);
  CheckBuffers("F16ScoreMany", query, rows_f16, rows, dim, out);
  ScoreAll({ElementType::kF16, metric, rows_f16, dim, 0.0f}, query, rows, out);
}

void Int8ScoreMany(Metric metric, const float* query, const int8_t* rows_int8, float rows_scale,
                   size_t rows, size_t dim, float* out) {
  CheckMetric("Int8ScoreMany", metric);
  CheckInt8Rows("Int8ScoreMany", rows_scale, dim);
  CheckBuffers("Int8ScoreMany", query, rows_int8, rows, dim, out);
  ScoreAll({ElementType::kInt8, metric, rows_int8, dim, rows_scale}, query, rows, out);
}

void HammingMany(const float* query, const uint64_t* rows_bits, size_t rows, size_t dim,
                 uint32_t* out) {
  CheckBuffers("HammingMany", query, rows_bits, rows, dim, out);
  const RowsView v{ElementType::kBit, Metric::kL2, rows_bits, dim, 0.0f};
  const PreparedQuery q = Prepare(v, query);
  for (size_t r0 = 0; r0 < rows; r0 += kBlockRows) {
    HWY_DYNAMIC_DISPATCH(HammingT)(q.bits.data(), rows_bits, BitWords(dim), r0,
                                   std::min(rows, r0 + kBlockRows), nullptr, out + r0);
  }
}

namespace {

void ValidateQuantizedScan(const QuantizedScanRequest& req, const uint32_t* out_rows,
                           const float* out_scores, const size_t* out_counts) {
  const char* fn = "QuantizedScanTopK";
  if (req.k == 0) Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": k = 0; k must be at least 1");
  if (req.type != ElementType::kF16 && req.type != ElementType::kInt8 &&
      req.type != ElementType::kBit) {
    Fail(EK_ERR_INVALID_ARGUMENT,
         std::string(fn) + ": element type " + std::to_string(static_cast<int32_t>(req.type)) +
             " is not a quantized type (f16, int8, bit)");
  }
  if (req.type != ElementType::kBit) CheckMetric(fn, req.metric);
  if (req.type == ElementType::kInt8) CheckInt8Rows(fn, req.int8_scale, req.dim);
  if (req.rows > UINT32_MAX) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": rows exceeds 2^32 - 1");
  }
  if (req.n_queries == 0) return;
  CheckBuffers(fn, req.queries, req.base, req.rows, req.dim, out_rows);
  if (!out_rows || !out_scores || !out_counts) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": an output buffer is NULL");
  }
}

// Offers rows [r0, r1) to the heap; rank = score, or -distance where lower is better.
void ScanPart(const RowsView& v, const PreparedQuery& q, size_t r0, size_t r1,
              const uint8_t* allowed, bool lower_is_better, detail::TopKHeap* heap) {
  float scores[kBlockRows];
  float thr = heap->AcceptThreshold();
  for (size_t b = r0; b < r1; b += kBlockRows) {
    const size_t e = std::min(r1, b + kBlockRows);
    ScoreBlock(v, q, b, e, allowed, scores);
    for (size_t r = b; r < e; ++r) {
      if (allowed && !allowed[r]) continue;
      const float rank = lower_is_better ? -scores[r - b] : scores[r - b];
      if (rank >= thr) {
        heap->Push(rank, static_cast<uint32_t>(r));
        thr = heap->AcceptThreshold();
      }
    }
  }
}

}  // namespace

void QuantizedScanTopK(const QuantizedScanRequest& req, ThreadPool* pool, uint32_t* out_rows,
                       float* out_scores, size_t* out_counts) {
  ValidateQuantizedScan(req, out_rows, out_scores, out_counts);
  const size_t nq = req.n_queries, k = req.k, rows = req.rows;
  if (nq == 0) return;
  const RowsView view{req.type, req.type == ElementType::kBit ? Metric::kL2 : req.metric,
                      req.base, req.dim, req.int8_scale};
  const bool lower_is_better = view.metric == Metric::kL2;  // L2 and Hamming distances
  std::vector<PreparedQuery> prepared;
  prepared.reserve(nq);
  for (size_t q = 0; q < nq; ++q) prepared.push_back(Prepare(view, req.queries + q * req.dim));

  // Row parts of >= 1 MiB of rows (a hand-off costs microseconds), at most 16 per thread.
  const size_t threads = pool ? pool->size() : 1;
  size_t row_parts = 1;
  if (threads > 1 && rows > 0) {
    const size_t row_bytes = std::max<size_t>(BytesPerVector(req.type, req.dim), 1);
    row_parts = std::clamp<size_t>(rows * row_bytes >> 20, 1, 16 * threads);
  }
  std::vector<detail::TopKHeap> heaps(row_parts * nq);
  for (auto& h : heaps) h.Reset(k);
  const size_t n_tasks = nq * row_parts;
  std::atomic<size_t> next_task{0};
  ParallelFor(pool, std::min(threads, n_tasks), 1, [&](size_t, size_t) {
    for (;;) {
      const size_t t = next_task.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks) break;
      const size_t q = t / row_parts, part = t % row_parts;
      const size_t r0 = rows * part / row_parts, r1 = rows * (part + 1) / row_parts;
      ScanPart(view, prepared[q], r0, r1, req.row_allowed, lower_is_better,
               &heaps[part * nq + q]);
    }
  });

  std::vector<detail::Hit> hits;
  for (size_t q = 0; q < nq; ++q) {
    detail::TopKHeap merged(k);
    for (size_t p = 0; p < row_parts; ++p) {
      for (const detail::Hit& h : heaps[p * nq + q].hits()) merged.Push(h.score, h.row);
    }
    merged.TakeSorted(&hits);
    for (size_t i = 0; i < k; ++i) {
      const bool hit = i < hits.size();
      out_rows[q * k + i] = hit ? hits[i].row : UINT32_MAX;
      out_scores[q * k + i] = !hit              ? std::numeric_limits<float>::quiet_NaN()
                              : lower_is_better ? -hits[i].score
                                                : hits[i].score;
    }
    out_counts[q] = hits.size();
  }
}

}  // namespace ek::kernels
#endif  // HWY_ONCE
