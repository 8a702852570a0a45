// One-row distances (contracts in kernels/prepared_distance.h).
//
// Per target, one template per type sums a pair of vectors whose first operand is either
// the prepared query (f32 floats, int8 codes, bit words) or another stored row, so a
// query prepared from a decoded row and that row give the same sums in the same order.
// SelectPreparedT and SelectPairT hand PrepareQuery and PreparePair the target's scorer
// for (type, metric): the only dispatch, once per query or per Build.
#include "kernels/prepared_distance.h"

#include <cmath>
#include <cstring>
#include <string>

#include "base/error.h"
#include "kernels/quantized_distance.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/prepared_distance.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ek::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Scratch for a vector shorter than one full vector: 64 bytes, the widest target.
constexpr size_t kShortBytes = 64;
static_assert(HWY_MAX_BYTES <= kShortBytes, "short-vector copies assume at most 64 bytes");

// ---- f32 and f16 ---------------------------------------------------------------------------
using DF32 = hn::ScalableTag<float>;
using VF32 = hn::Vec<DF32>;
using DF16 = hn::Rebind<hwy::float16_t, DF32>;

HWY_INLINE VF32 LoadF32(DF32 df, const float* p) { return hn::LoadU(df, p); }
HWY_INLINE VF32 LoadF32(DF32 df, const hwy::float16_t* p) {
  return hn::PromoteTo(df, hn::LoadU(DF16(), p));
}

template <bool kL2>
HWY_INLINE void Step(VF32 a, VF32 b, VF32& acc) {
  if constexpr (kL2) {
    const VF32 diff = hn::Sub(a, b);
    acc = hn::MulAdd(diff, diff, acc);
  } else {
    acc = hn::MulAdd(a, b, acc);
  }
}

// a.b (or ||a - b||^2 for kL2) over dim floats or halves. A dim below one vector is
// copied into zeroed vectors; otherwise the last partial vector is the row's final whole
// vector with the lanes already summed zeroed: nothing past either vector is read.
template <bool kL2, class A, class B>
HWY_INLINE float FloatSum(const A* HWY_RESTRICT a, const B* HWY_RESTRICT b, size_t dim) {
  const DF32 df;
  const size_t N = hn::Lanes(df);
  if (dim < N) {
    alignas(64) A ta[kShortBytes / sizeof(A)] = {};
    alignas(64) B tb[kShortBytes / sizeof(B)] = {};
    std::memcpy(ta, a, dim * sizeof(A));
    std::memcpy(tb, b, dim * sizeof(B));
    VF32 acc = hn::Zero(df);
    Step<kL2>(LoadF32(df, ta), LoadF32(df, tb), acc);
    return hn::GetLane(hn::SumOfLanes(df, acc));
  }
  VF32 s0 = hn::Zero(df), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 4 * N <= dim; i += 4 * N) {
    Step<kL2>(LoadF32(df, a + i), LoadF32(df, b + i), s0);
    Step<kL2>(LoadF32(df, a + i + N), LoadF32(df, b + i + N), s1);
    Step<kL2>(LoadF32(df, a + i + 2 * N), LoadF32(df, b + i + 2 * N), s2);
    Step<kL2>(LoadF32(df, a + i + 3 * N), LoadF32(df, b + i + 3 * N), s3);
  }
  for (; i + N <= dim; i += N) Step<kL2>(LoadF32(df, a + i), LoadF32(df, b + i), s0);
  if (i < dim) {
    const auto done = hn::FirstN(df, N - (dim - i));
    Step<kL2>(hn::IfThenZeroElse(done, LoadF32(df, a + dim - N)),
              hn::IfThenZeroElse(done, LoadF32(df, b + dim - N)), s1);
  }
  return hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

// From the a.b or ||a - b||^2 sum to "smaller is closer" (unit rows for cosine).
template <Metric kMetric, class A, class B>
HWY_INLINE float FloatDistance(const A* a, const B* b, size_t dim) {
  if constexpr (kMetric == Metric::kL2) {
    return FloatSum<true>(a, b, dim);
  } else if constexpr (kMetric == Metric::kDot) {
    return -FloatSum<false>(a, b, dim);
  } else {
    return 1.0f - FloatSum<false>(a, b, dim);
  }
}

template <Metric kMetric, class Row>
float PreparedFloat(const PreparedQuery& q, const uint8_t* row) {
  return FloatDistance<kMetric>(q.f32.data(), reinterpret_cast<const Row*>(row), q.dim);
}

template <Metric kMetric, class Row>
float PairFloat(const PreparedPair& p, const uint8_t* a, const uint8_t* b) {
  return FloatDistance<kMetric>(reinterpret_cast<const Row*>(a), reinterpret_cast<const Row*>(b),
                                p.dim);
}

// ---- int8 ----------------------------------------------------------------------------------
using DI16 = hn::ScalableTag<int16_t>;
using DI32 = hn::Repartition<int32_t, DI16>;
using DI8 = hn::Rebind<int8_t, DI16>;
using VI16 = hn::Vec<DI16>;
using VI32 = hn::Vec<DI32>;

// int16 pairwise products summed into int32 lanes (ReorderWidenMulAccumulate's second
// accumulator is an API detail: x86 and WASM leave it zero, RearrangeToOddPlusEven folds it).
struct I32Acc {
  VI32 sum0, sum1;
};

HWY_INLINE I32Acc ZeroAcc() { return {hn::Zero(DI32()), hn::Zero(DI32())}; }

HWY_INLINE void MulAcc(VI16 x, VI16 y, I32Acc& acc) {
  acc.sum0 = hn::ReorderWidenMulAccumulate(DI32(), x, y, acc.sum0, acc.sum1);
}

HWY_INLINE int32_t Total(const I32Acc& acc) {
  return hn::GetLane(hn::SumOfLanes(DI32(), hn::RearrangeToOddPlusEven(acc.sum0, acc.sum1)));
}

struct Int8Sums {
  int32_t ab = 0, aa = 0, bb = 0;
};

template <bool kNormA, bool kNormB>
HWY_INLINE void Int8Accumulate(VI16 a, VI16 b, I32Acc& ab, I32Acc& aa, I32Acc& bb) {
  MulAcc(a, b, ab);
  if constexpr (kNormA) MulAcc(a, a, aa);
  if constexpr (kNormB) MulAcc(b, b, bb);
}

// a.b, and ||a||^2, ||b||^2 where asked, as exact int32 sums; tails as in FloatSum.
template <bool kNormA, bool kNormB>
HWY_INLINE Int8Sums Int8Sum(const int8_t* HWY_RESTRICT a, const int8_t* HWY_RESTRICT b,
                            size_t dim) {
  const DI16 d16;
  const DI8 d8;
  const size_t N = hn::Lanes(d16);
  I32Acc ab = ZeroAcc(), aa = ab, bb = ab;
  if (dim < N) {
    alignas(64) int8_t ta[kShortBytes] = {}, tb[kShortBytes] = {};
    std::memcpy(ta, a, dim);
    std::memcpy(tb, b, dim);
    Int8Accumulate<kNormA, kNormB>(hn::PromoteTo(d16, hn::LoadU(d8, ta)),
                                   hn::PromoteTo(d16, hn::LoadU(d8, tb)), ab, aa, bb);
  } else {
    size_t i = 0;
    for (; i + N <= dim; i += N) {
      Int8Accumulate<kNormA, kNormB>(hn::PromoteTo(d16, hn::LoadU(d8, a + i)),
                                     hn::PromoteTo(d16, hn::LoadU(d8, b + i)), ab, aa, bb);
    }
    if (i < dim) {
      const auto done = hn::FirstN(d16, N - (dim - i));
      Int8Accumulate<kNormA, kNormB>(
          hn::IfThenZeroElse(done, hn::PromoteTo(d16, hn::LoadU(d8, a + dim - N))),
          hn::IfThenZeroElse(done, hn::PromoteTo(d16, hn::LoadU(d8, b + dim - N))), ab, aa, bb);
    }
  }
  Int8Sums s;
  s.ab = Total(ab);
  if constexpr (kNormA) s.aa = Total(aa);
  if constexpr (kNormB) s.bb = Total(bb);
  return s;
}

// Int8Score's similarity or L2 as "smaller is closer".
template <Metric kMetric>
HWY_INLINE float Int8Distance(const Int8Sums& s, float a_scale, float b_scale) {
  const float score = detail::Int8Score(kMetric, s.ab, s.aa, s.bb, a_scale, b_scale);
  if constexpr (kMetric == Metric::kL2) return score;
  if constexpr (kMetric == Metric::kDot) return -score;
  return 1.0f - score;
}

template <Metric kMetric>
float PreparedInt8(const PreparedQuery& q, const uint8_t* row) {
  Int8Sums s = Int8Sum<false, kMetric != Metric::kDot>(
      q.int8.data(), reinterpret_cast<const int8_t*>(row), q.dim);
  s.aa = q.int8_sq_norm;
  return Int8Distance<kMetric>(s, q.int8_query_scale, q.int8_rows_scale);
}

template <Metric kMetric>
float PairInt8(const PreparedPair& p, const uint8_t* a, const uint8_t* b) {
  constexpr bool kNorms = kMetric != Metric::kDot;
  const Int8Sums s = Int8Sum<kNorms, kNorms>(reinterpret_cast<const int8_t*>(a),
                                             reinterpret_cast<const int8_t*>(b), p.dim);
  return Int8Distance<kMetric>(s, p.int8_scale, p.int8_scale);
}

// ---- bit -----------------------------------------------------------------------------------
HWY_INLINE float Hamming(const uint8_t* a, const uint8_t* b, size_t words) {
  size_t total = 0;
  for (size_t w = 0; w < words; ++w) {
    uint64_t x, y;  // memcpy: rows need not be 8-byte aligned
    std::memcpy(&x, a + 8 * w, 8);
    std::memcpy(&y, b + 8 * w, 8);
    total += hwy::PopCount(x ^ y);
  }
  return static_cast<float>(total);
}

float PreparedBit(const PreparedQuery& q, const uint8_t* row) {
  return Hamming(reinterpret_cast<const uint8_t*>(q.bits.data()), row, q.bits.size());
}

float PairBit(const PreparedPair& p, const uint8_t* a, const uint8_t* b) {
  return Hamming(a, b, BitWords(p.dim));
}

// ---- per-target entry points ---------------------------------------------------------------
// One type's scorers for one metric.
template <Metric m>
struct F32Fns {
  static constexpr detail::PreparedDistanceFn kPrepared = &PreparedFloat<m, float>;
  static constexpr detail::PairDistanceFn kPair = &PairFloat<m, float>;
};
template <Metric m>
struct F16Fns {
  static constexpr detail::PreparedDistanceFn kPrepared = &PreparedFloat<m, hwy::float16_t>;
  static constexpr detail::PairDistanceFn kPair = &PairFloat<m, hwy::float16_t>;
};
template <Metric m>
struct Int8Fns {
  static constexpr detail::PreparedDistanceFn kPrepared = &PreparedInt8<m>;
  static constexpr detail::PairDistanceFn kPair = &PairInt8<m>;
};

template <template <Metric> class Fns>
HWY_INLINE detail::PreparedDistanceFn PreparedFor(Metric metric) {
  switch (metric) {
    case Metric::kDot: return Fns<Metric::kDot>::kPrepared;
    case Metric::kL2: return Fns<Metric::kL2>::kPrepared;
    default: return Fns<Metric::kCosine>::kPrepared;
  }
}

template <template <Metric> class Fns>
HWY_INLINE detail::PairDistanceFn PairFor(Metric metric) {
  switch (metric) {
    case Metric::kDot: return Fns<Metric::kDot>::kPair;
    case Metric::kL2: return Fns<Metric::kL2>::kPair;
    default: return Fns<Metric::kCosine>::kPair;
  }
}

// The scorers of (type, metric) on this target; both were checked by the caller.
detail::PreparedDistanceFn SelectPreparedT(ElementType type, Metric metric) {
  switch (type) {
    case ElementType::kF32: return PreparedFor<F32Fns>(metric);
    case ElementType::kF16: return PreparedFor<F16Fns>(metric);
    case ElementType::kInt8: return PreparedFor<Int8Fns>(metric);
    default: return &PreparedBit;
  }
}

detail::PairDistanceFn SelectPairT(ElementType type, Metric metric) {
  switch (type) {
    case ElementType::kF32: return PairFor<F32Fns>(metric);
    case ElementType::kF16: return PairFor<F16Fns>(metric);
    case ElementType::kInt8: return PairFor<Int8Fns>(metric);
    default: return &PairBit;
  }
}

}  // namespace ek::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ek::kernels {

HWY_EXPORT(SelectPreparedT);
HWY_EXPORT(SelectPairT);

namespace {

[[noreturn]] void Refuse(const char* fn, const std::string& why) {
  Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": " + why);
}

// The checks PrepareQuery and PreparePair share.
void CheckShape(const char* fn, ElementType type, Metric metric, size_t dim, float int8_scale) {
  if (type != ElementType::kF32 && type != ElementType::kF16 && type != ElementType::kInt8 &&
      type != ElementType::kBit) {
    Refuse(fn, "unknown element type " + std::to_string(static_cast<int32_t>(type)));
  }
  if (metric != Metric::kCosine && metric != Metric::kDot && metric != Metric::kL2) {
    Refuse(fn, "unknown metric " + std::to_string(static_cast<int32_t>(metric)));
  }
  if (dim == 0) Refuse(fn, "dim = 0");
  if (type != ElementType::kInt8) return;
  if (!std::isfinite(int8_scale) || !(int8_scale > 0.0f)) {
    Refuse(fn, "int8 scale " + std::to_string(int8_scale) + " is not a finite positive number");
  }
  if (dim > kMaxInt8Dim) {
    Refuse(fn, "int8 dim " + std::to_string(dim) + " exceeds " + std::to_string(kMaxInt8Dim) +
                   " (int32 sums could overflow)");
  }
}

}  // namespace

namespace detail {
float UnpreparedDistance(const PreparedQuery&, const uint8_t*) {
  Refuse("PreparedDistance", "the query was not built by PrepareQuery");
}
float UnpreparedPair(const PreparedPair&, const uint8_t*, const uint8_t*) {
  Refuse("PairDistance", "the pair scorer was not built by PreparePair");
}
}  // namespace detail

PreparedQuery PrepareQuery(ElementType type, Metric metric, const float* q, size_t dim,
                           float int8_scale) {
  CheckShape("PrepareQuery", type, metric, dim, int8_scale);
  RequireFinite("PrepareQuery", q, dim);
  PreparedQuery p;
  p.type = type;
  p.metric = metric;
  p.dim = dim;
  if (type == ElementType::kF32 || type == ElementType::kF16) {
    p.f32.assign(q, q + dim);
    if (metric == Metric::kCosine) {
      double sq = 0.0;  // in double: no overflow or underflow for any finite float
      for (size_t i = 0; i < dim; ++i) sq += double(q[i]) * double(q[i]);
      const double inv = sq > 0.0 ? 1.0 / std::sqrt(sq) : 0.0;  // a zero query stays zero
      for (size_t i = 0; i < dim; ++i) p.f32[i] = static_cast<float>(double(q[i]) * inv);
    }
  } else if (type == ElementType::kInt8) {
    p.int8.resize(dim);
    p.int8_query_scale = EncodeInt8Query(q, dim, p.int8.data());
    p.int8_rows_scale = int8_scale;
    for (int8_t c : p.int8) p.int8_sq_norm += int32_t(c) * int32_t(c);
  } else {
    p.bits.resize(BitWords(dim));
    EncodeBits(q, dim, p.bits.data());
  }
  p.distance = HWY_DYNAMIC_DISPATCH(SelectPreparedT)(type, metric);
  return p;
}

PreparedPair PreparePair(ElementType type, Metric metric, size_t dim, float int8_scale) {
  CheckShape("PreparePair", type, metric, dim, int8_scale);
  PreparedPair p;
  p.type = type;
  p.metric = metric;
  p.dim = dim;
  p.int8_scale = int8_scale;
  p.distance = HWY_DYNAMIC_DISPATCH(SelectPairT)(type, metric);
  return p;
}

float PairDistance(ElementType type, Metric metric, const uint8_t* a, const uint8_t* b,
                   size_t dim, float int8_scale) {
  if (a == nullptr || b == nullptr) Refuse("PairDistance", "a row is NULL");
  return PairDistance(PreparePair(type, metric, dim, int8_scale), a, b);
}

}  // namespace ek::kernels
#endif  // HWY_ONCE
