// Vector kernels: per-target Highway code (compiled once per target through
// foreach_target) and the dispatching public functions of kernels/kernels.h.
#include "kernels/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/reference.h"
#include "kernels/scan_internal.h"
#include "kernels/topk_heap.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/kernels.cc"  // this file, found through -I sdk/
#include "hwy/foreach_target.h"                   // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/aligned_buffer.h"
#include "kernels/simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ek::kernels::HWY_NAMESPACE {

const char* TargetNameT() { return hwy::TargetName(HWY_TARGET); }

float DotT(const float* a, const float* b, size_t n) { return DotImpl(a, b, n); }
float L2SqT(const float* a, const float* b, size_t n) { return L2SqImpl(a, b, n); }
float SquaredNormT(const float* a, size_t n) { return SqNormImpl(a, n); }

// Float sums of squares are only trusted inside [2^-60, FLT_MAX]: a larger or
// non-finite one overflowed (components above ~1.8e19), a smaller one may have lost
// its terms to underflow (components below ~1e-19, denormals). Outside it the wide
// (double) path below takes over, which is exact enough for every finite float
// (squares of 3.4e38 and of 1.4e-45 are both normal doubles); NaN fails the test too.
inline bool TrustedSquaredNorm(float ss) {
  return ss >= 0x1p-60f && ss <= std::numeric_limits<float>::max();
}

inline float ClampUnit(double c) { return float(std::clamp(c, -1.0, 1.0)); }

// Cosine from the float partial sums when they are trustworthy, else in double.
float CosineFromParts(const float* a, const float* b, size_t n, float ab, float aa, float bb) {
  if (TrustedSquaredNorm(aa) && TrustedSquaredNorm(bb) && std::isfinite(ab))
    return ClampUnit(double(ab) / std::sqrt(double(aa) * double(bb)));
  return reference::Cosine(a, b, n);  // in double, clamped to [-1, 1]
}

float CosineT(const float* a, const float* b, size_t n) {
  float ab, bb;
  DotAndNormImpl(a, b, n, &ab, &bb);
  return CosineFromParts(a, b, n, ab, SqNormImpl(a, n), bb);
}

void DotManyT(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  for (size_t r = 0; r < rows; ++r) out[r] = DotImpl(q, base + r * dim, dim);
}

void L2SqManyT(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  for (size_t r = 0; r < rows; ++r) out[r] = L2SqImpl(q, base + r * dim, dim);
}

void CosineManyT(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  const float qq = SqNormImpl(q, dim);
  for (size_t r = 0; r < rows; ++r) {
    float ab, bb;
    DotAndNormImpl(q, base + r * dim, dim, &ab, &bb);
    out[r] = CosineFromParts(q, base + r * dim, dim, ab, qq, bb);
  }
}

float NormalizeT(float* v, size_t n) {
  const float ss = SqNormImpl(v, n);
  // Outside the trusted range the scalar reference normalises in double: every finite
  // nonzero vector becomes a unit vector; all-zero v is left as is (returns 0); a
  // non-finite component leaves v unchanged.
  if (!TrustedSquaredNorm(ss)) return reference::Normalize(v, n);
  const float norm = std::sqrt(ss);
  const DF d;
  const size_t N = hn::Lanes(d);
  const VF inv = hn::Set(d, 1.0f / norm);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, v + i), inv), d, v + i);
  for (; i < n; ++i) v[i] *= 1.0f / norm;
  return norm;
}

// out[i * rows + r] = dot(queries[i], base[r]) for r in [r0, r1): the base rows are
// the broadcast side of the micro-kernel, the queries the packed (transposed) side.
void DotManyManyT(const float* queries, size_t n_queries, const float* base, size_t rows,
                  size_t dim, float* out, size_t r0, size_t r1) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const size_t QB = kTileV * N;
  auto panel = detail::AllocateFloats(std::max<size_t>(dim, 1) * QB);
  alignas(64) float buf[kMaxLanesF];
  for (size_t q0 = 0; q0 < n_queries; q0 += QB) {
    const size_t width = std::min(QB, n_queries - q0);
    const size_t nv = (width + N - 1) / N;
    PackPanel(queries + q0 * dim, dim, 1, dim, width, nv * N, 1.0f, panel.get());
    auto epi = [&](size_t r, size_t v, VF acc) {
      hn::Store(acc, d, buf);
      const size_t j0 = v * N;
      const size_t jn = std::min(N, width - std::min(width, j0));
      for (size_t j = 0; j < jn; ++j) out[(q0 + j0 + j) * rows + r0 + r] = buf[j];
    };
    TileRows(base + r0 * dim, dim, r1 - r0, panel.get(), nv, dim, epi);
  }
}

// c[i][j] = sum_p a[i][p] * b[p][j] for i in [i0, i1): a rows are broadcast, b is
// packed into column panels of kTileV vectors.
void MatMulT(const float* a, const float* b, size_t m, size_t k, size_t n, float* c, size_t i0,
             size_t i1) {
  (void)m;
  const DF d;
  const size_t N = hn::Lanes(d);
  const size_t CB = kTileV * N;
  if (k == 0) {
    for (size_t i = i0; i < i1; ++i) std::fill(c + i * n, c + i * n + n, 0.0f);
    return;
  }
  auto panel = detail::AllocateFloats(k * CB);
  alignas(64) float buf[kMaxLanesF];
  for (size_t j0 = 0; j0 < n; j0 += CB) {
    const size_t width = std::min(CB, n - j0);
    const size_t nv = (width + N - 1) / N;
    PackPanel(b + j0, 1, n, k, width, nv * N, 1.0f, panel.get());
    auto epi = [&](size_t r, size_t v, VF acc) {
      float* dst = c + (i0 + r) * n + j0 + v * N;
      if ((v + 1) * N <= width) {
        hn::StoreU(acc, d, dst);
      } else {
        hn::Store(acc, d, buf);
        const size_t jn = std::min(N, width - v * N);
        for (size_t j = 0; j < jn; ++j) dst[j] = buf[j];
      }
    };
    TileRows(a + i0 * k, k, i1 - i0, panel.get(), nv, k, epi);
  }
}

// In-place unnormalised Walsh-Hadamard transform (n a power of two, checked by the
// caller). Stages run in the same order as the scalar butterfly (h = 1, 2, 4, ...),
// so the result is bit-identical to it: stages with h < Lanes permute within a
// vector (v * (+-1) + swap(v) is exactly a + b or a - b), larger ones pair vectors.
// Stages up to kBlock are done block by block while the block is in L1.
void FwhtT(float* v, size_t n) {
  const DF d;
  const size_t N = hn::Lanes(d);
  if (N == 1 || n < N) {
    for (size_t h = 1; h < n; h *= 2) {
      for (size_t i = 0; i < n; i += 2 * h) {
        for (size_t j = i; j < i + h; ++j) {
          const float x = v[j], y = v[j + h];
          v[j] = x + y;
          v[j + h] = x - y;
        }
      }
    }
    return;
  }
  using DI = hn::RebindToSigned<DF>;
  const DI di;
  // In-vector stages h = 1 .. N/2: partner lane i ^ h, sign -1 on the upper lane.
  constexpr size_t kMaxStages = 8;
  alignas(64) int32_t idx[kMaxStages][kMaxLanesF];
  alignas(64) float sign[kMaxStages][kMaxLanesF];
  size_t stages = 0;
  for (size_t h = 1; h < N && stages < kMaxStages; h *= 2, ++stages) {
    for (size_t i = 0; i < N; ++i) {
      idx[stages][i] = int32_t(i ^ h);
      sign[stages][i] = (i & h) ? -1.0f : 1.0f;
    }
  }
  (void)di;
  const size_t kBlock = std::min<size_t>(n, 2048);
  for (size_t blk = 0; blk < n; blk += kBlock) {
    float* p = v + blk;
    for (size_t i = 0; i < kBlock; i += N) {
      VF x = hn::LoadU(d, p + i);
      for (size_t s = 0; s < stages; ++s) {
        const auto perm = hn::TableLookupLanes(x, hn::SetTableIndices(d, idx[s]));
        x = hn::MulAdd(x, hn::Load(d, sign[s]), perm);
      }
      hn::StoreU(x, d, p + i);
    }
    for (size_t h = N; h < kBlock; h *= 2) {
      for (size_t i = 0; i < kBlock; i += 2 * h) {
        for (size_t j = i; j < i + h; j += N) {
          const VF x = hn::LoadU(d, p + j), y = hn::LoadU(d, p + j + h);
          hn::StoreU(hn::Add(x, y), d, p + j);
          hn::StoreU(hn::Sub(x, y), d, p + j + h);
        }
      }
    }
  }
  for (size_t h = kBlock; h < n; h *= 2) {
    for (size_t i = 0; i < n; i += 2 * h) {
      for (size_t j = i; j < i + h; j += N) {
        const VF x = hn::LoadU(d, v + j), y = hn::LoadU(d, v + j + h);
        hn::StoreU(hn::Add(x, y), d, v + j);
        hn::StoreU(hn::Sub(x, y), d, v + j + h);
      }
    }
  }
}

// Top-k of a score array: a vector compare against the heap's acceptance threshold
// rejects whole vectors; only candidates touch the heap.
size_t TopKT(const float* scores, size_t n, size_t k, uint32_t* out_index, float* out_score) {
  detail::TopKHeap heap(k);
  const DF d;
  const size_t N = hn::Lanes(d);
  float thr = heap.AcceptThreshold();
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const VF s = hn::LoadU(d, scores + i);
    if (hn::AllFalse(d, hn::Ge(s, hn::Set(d, thr)))) continue;
    for (size_t j = 0; j < N; ++j) {
      if (scores[i + j] >= thr) {
        heap.Push(scores[i + j], uint32_t(i + j));
        thr = heap.AcceptThreshold();
      }
    }
  }
  for (; i < n; ++i) {
    if (scores[i] >= thr) {
      heap.Push(scores[i], uint32_t(i));
      thr = heap.AcceptThreshold();
    }
  }
  std::vector<detail::Hit> hits;
  heap.TakeSorted(&hits);
  for (size_t j = 0; j < hits.size(); ++j) {
    out_index[j] = hits[j].row;
    out_score[j] = hits[j].score;
  }
  return hits.size();
}

}  // namespace ek::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ek::kernels {

HWY_EXPORT(TargetNameT);
HWY_EXPORT(DotT);
HWY_EXPORT(L2SqT);
HWY_EXPORT(SquaredNormT);
HWY_EXPORT(CosineT);
HWY_EXPORT(DotManyT);
HWY_EXPORT(L2SqManyT);
HWY_EXPORT(CosineManyT);
HWY_EXPORT(NormalizeT);
HWY_EXPORT(DotManyManyT);
HWY_EXPORT(MatMulT);
HWY_EXPORT(FwhtT);
HWY_EXPORT(TopKT);

const char* SimdTargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameT)(); }
int64_t CompiledSimdTargets() { return HWY_TARGETS; }

float Dot(const float* a, const float* b, size_t n) { return HWY_DYNAMIC_DISPATCH(DotT)(a, b, n); }
float L2Sq(const float* a, const float* b, size_t n) {
  return HWY_DYNAMIC_DISPATCH(L2SqT)(a, b, n);
}
float Cosine(const float* a, const float* b, size_t n) {
  return HWY_DYNAMIC_DISPATCH(CosineT)(a, b, n);
}
float SquaredNorm(const float* a, size_t n) { return HWY_DYNAMIC_DISPATCH(SquaredNormT)(a, n); }

void DotMany(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  HWY_DYNAMIC_DISPATCH(DotManyT)(q, base, rows, dim, out);
}
void L2SqMany(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  HWY_DYNAMIC_DISPATCH(L2SqManyT)(q, base, rows, dim, out);
}
void CosineMany(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  HWY_DYNAMIC_DISPATCH(CosineManyT)(q, base, rows, dim, out);
}

namespace {
// Rows per task so that one task does at least ~1 MFLOP (thread hand-off costs µs).
size_t GrainRows(size_t flops_per_row) {
  constexpr size_t kMinTaskFlops = size_t(1) << 20;
  return std::max<size_t>(1, kMinTaskFlops / std::max<size_t>(flops_per_row, 1));
}
}  // namespace

void DotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                 size_t dim, float* out, ThreadPool* pool) {
  if (n_queries == 0 || rows == 0) return;
  if (dim == 0) {
    std::fill(out, out + n_queries * rows, 0.0f);
    return;
  }
  const size_t grain = std::max<size_t>(GrainRows(2 * n_queries * dim), 16);
  ParallelFor(pool, rows, grain, [&](size_t r0, size_t r1) {
    HWY_DYNAMIC_DISPATCH(DotManyManyT)(queries, n_queries, base, rows, dim, out, r0, r1);
  });
}

float Normalize(float* v, size_t n) { return HWY_DYNAMIC_DISPATCH(NormalizeT)(v, n); }

void MatVec(const float* m, size_t rows, size_t cols, const float* x, float* y) {
  HWY_DYNAMIC_DISPATCH(DotManyT)(x, m, rows, cols, y);
}

void MatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c,
            ThreadPool* pool) {
  if (m == 0 || n == 0) return;
  const size_t grain = std::max<size_t>(GrainRows(2 * k * n), 8);
  ParallelFor(pool, m, grain, [&](size_t i0, size_t i1) {
    HWY_DYNAMIC_DISPATCH(MatMulT)(a, b, m, k, n, c, i0, i1);
  });
}

void Fwht(float* v, size_t n) {
  if ((n & (n - 1)) != 0) {
    Fail(EK_ERR_INVALID_ARGUMENT, "Fwht: n = " + std::to_string(n) + " is not a power of two");
  }
  HWY_DYNAMIC_DISPATCH(FwhtT)(v, n);
}

size_t TopK(const float* scores, size_t n, size_t k, uint32_t* out_index, float* out_score) {
  detail::ValidateTopK("TopK", scores, n, k, out_index, out_score);
  if (k == 0 || n == 0) return 0;
  return HWY_DYNAMIC_DISPATCH(TopKT)(scores, n, k, out_index, out_score);
}

namespace detail {
void ValidateTopK(const char* fn, const float* scores, size_t n, size_t k,
                  const uint32_t* out_index, const float* out_score) {
  if (n > 0 && scores == nullptr) Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": scores is NULL");
  if (n > UINT32_MAX) Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": n exceeds 2^32 - 1");
  if (k > 0 && n > 0 && (out_index == nullptr || out_score == nullptr)) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": output buffer is NULL");
  }
}
}  // namespace detail

// ---- The C kernel table: no exception may cross it ------------------------------------
namespace {
void TableDotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                      size_t dim, float* out) {
  DotManyMany(queries, n_queries, base, rows, dim, out, nullptr);
}
void TableMatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c) {
  MatMul(a, b, m, k, n, c, nullptr);
}
// Not a power of two: v is left unchanged (the C table has no error channel).
void TableFwht(float* v, size_t n) {
  if (n == 0 || (n & (n - 1)) != 0) return;
  HWY_DYNAMIC_DISPATCH(FwhtT)(v, n);
}
// Any k (min(k, n) written); NULL buffers write nothing.
size_t TableTopK(const float* scores, size_t n, size_t k, uint32_t* out_index, float* out_score) {
  if (k == 0 || n == 0 || n > UINT32_MAX || !scores || !out_index || !out_score) return 0;
  return HWY_DYNAMIC_DISPATCH(TopKT)(scores, n, k, out_index, out_score);
}

ek_kernels MakeTable() {
  ek_kernels t{};
  t.struct_size = sizeof(ek_kernels);
  t.backend = "cpu";
  t.simd_target = SimdTargetName();
  t.dot = &HWY_DYNAMIC_DISPATCH(DotT);  // the chosen target's own: see LendElementwise
  t.l2sq = &L2Sq;
  t.cosine = &Cosine;
  t.dot_many = &DotMany;
  t.l2sq_many = &L2SqMany;
  t.cosine_many = &CosineMany;
  t.dot_many_many = &TableDotManyMany;
  t.normalize = &Normalize;
  t.matvec = &MatVec;
  t.matmul = &TableMatMul;
  t.fwht = &TableFwht;
  t.top_k = &TableTopK;
  t.bpr_step = &BprStep;
  LendElementwise(&t);
  t.bind_structured = &TableBindStructured;
  t.bind_dense = &TableBindDense;
  t.bind_structured_add = &TableBindStructuredAdd;
  return t;
}
}  // namespace

const ek_kernels* CpuKernelTable() {
  static const ek_kernels table = MakeTable();
  return &table;
}

}  // namespace ek::kernels
#endif  // HWY_ONCE
