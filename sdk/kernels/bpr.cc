// The kernel table's BPR step (ek_kernels::bpr_step): one block of (u, i, j) triples,
// each a fused score + loss + SGD or Adam update of its three rows. Highway code with
// dynamic dispatch like the other kernels (the rows are short, 64 floats typically, so
// each loop is a few vectors plus a lane-at-a-time tail), specialised for dim 64, with
// the double-precision scalar twin reference::BprStep that the tests compare every
// target with. Moved here from the rec_unlearn plugin so that another backend (CUDA)
// can take training over behind the same table entry.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/bpr.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ek::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;

struct Hyper {
  float lr, reg, step, beta1, beta2, eps;
};

// The rows of one triple: p_u, q_i, q_j and (with content) c_i, c_j.
struct Rows {
  float* pu;
  float* qi;
  float* qj;
  const float* ci;
  const float* cj;
};

// Calls f(d, k) for whole vectors of d, then for the tail one lane at a time, so each
// formula below is written once for both.
template <class F>
HWY_INLINE void ForEachVector(size_t dim, const F& f) {
  const DF d;
  const size_t N = hn::Lanes(d);
  const size_t whole = dim / N * N;
  for (size_t k = 0; k < whole; k += N) f(d, k);
  const hn::CappedTag<float, 1> d1;
  for (size_t k = whole; k < dim; ++k) f(d1, k);
}

// e = q_i - q_j, or (q_i + c_i) - (q_j + c_j) with content.
template <bool kContent, class D>
HWY_INLINE hn::Vec<D> ItemDiff(D d, const Rows& r, size_t k) {
  if constexpr (kContent) {
    return hn::Sub(hn::Add(hn::LoadU(d, r.qi + k), hn::LoadU(d, r.ci + k)),
                   hn::Add(hn::LoadU(d, r.qj + k), hn::LoadU(d, r.cj + k)));
  } else {
    return hn::Sub(hn::LoadU(d, r.qi + k), hn::LoadU(d, r.qj + k));
  }
}

// y_ui - y_uj = p_u . e
template <bool kContent>
HWY_INLINE float Diff(const Rows& r, size_t dim) {
  const DF d;
  auto acc = hn::Zero(d);
  float tail = 0;
  ForEachVector(dim, [&](auto dv, size_t k) HWY_ATTR {
    const auto prod = hn::Mul(hn::LoadU(dv, r.pu + k), ItemDiff<kContent>(dv, r, k));
    if constexpr (std::is_same_v<decltype(dv), DF>) {
      acc = hn::Add(acc, prod);
    } else {
      tail += hn::GetLane(prod);
    }
  });
  return hn::GetLane(hn::SumOfLanes(d, acc)) + tail;
}

// y += a x (the content gradient rows)
HWY_INLINE void AddScaled(float* y, const float* x, float a, size_t dim) {
  ForEachVector(dim, [&](auto d, size_t k) HWY_ATTR {
    hn::StoreU(hn::MulAdd(hn::Set(d, a), hn::LoadU(d, x + k), hn::LoadU(d, y + k)), d, y + k);
  });
}

// SGD on the three rows; every lane reads the old values before it writes. The tail
// (dim not a multiple of the lanes) is plain scalar code: through one-lane vectors,
// Debian's Highway on WASM (SIMD128) gave wrong rows for it (BprStepTest dim 1 and
// dim 37 failed on WASM only), while the same formulas on whole vectors are right.
template <bool kContent>
HWY_INLINE void SgdRows(const Rows& r, float g, const Hyper& h, size_t dim) {
  const DF full;
  const size_t whole = dim / hn::Lanes(full) * hn::Lanes(full);
  for (size_t k = whole; k < dim; ++k) {
    const float p = r.pu[k], qi = r.qi[k], qj = r.qj[k];
    const float e = kContent ? (qi + r.ci[k]) - (qj + r.cj[k]) : qi - qj;
    const float gp = g * p;
    r.pu[k] = h.lr * (g * e - h.reg * p) + p;
    r.qi[k] = h.lr * (gp - h.reg * qi) + qi;
    r.qj[k] = h.lr * (-gp - h.reg * qj) + qj;
  }
  ForEachVector(whole, [&](auto d, size_t k) HWY_ATTR {
    const auto p = hn::LoadU(d, r.pu + k), qi = hn::LoadU(d, r.qi + k), qj = hn::LoadU(d, r.qj + k);
    const auto e = ItemDiff<kContent>(d, r, k);
    const auto vg = hn::Set(d, g), lr = hn::Set(d, h.lr), reg = hn::Set(d, h.reg);
    const auto gp = hn::Mul(vg, p);
    hn::StoreU(hn::MulAdd(lr, hn::NegMulAdd(reg, p, hn::Mul(vg, e)), p), d, r.pu + k);
    hn::StoreU(hn::MulAdd(lr, hn::NegMulAdd(reg, qi, gp), qi), d, r.qi + k);
    hn::StoreU(hn::MulAdd(lr, hn::NegMulAdd(reg, qj, hn::Neg(gp)), qj), d, r.qj + k);
  });
}

// Adam on one row's lanes: m <- b1 m + (1-b1) grad, v <- b2 v + (1-b2) grad^2,
// w <- w - step m / (sqrt(v) + eps).
template <class D>
HWY_INLINE void AdamLanes(D d, float* w, float* m, float* v, hn::Vec<D> grad, const Hyper& h) {
  const auto mo = hn::MulAdd(hn::Set(d, h.beta1), hn::LoadU(d, m), hn::Mul(hn::Set(d, 1 - h.beta1), grad));
  const auto ve = hn::MulAdd(hn::Set(d, h.beta2), hn::LoadU(d, v),
                             hn::Mul(hn::Mul(hn::Set(d, 1 - h.beta2), grad), grad));
  hn::StoreU(mo, d, m);
  hn::StoreU(ve, d, v);
  const auto den = hn::Add(hn::Sqrt(ve), hn::Set(d, h.eps));
  hn::StoreU(hn::Sub(hn::LoadU(d, w), hn::Div(hn::Mul(hn::Set(d, h.step), mo), den)), d, w);
}

// The gradients of the three rows from their old values, then Adam on each.
template <bool kContent>
HWY_INLINE void AdamRows(const Rows& r, float* mp, float* vp, float* mqi, float* vqi, float* mqj,
                         float* vqj, float g, const Hyper& h, size_t dim) {
  ForEachVector(dim, [&](auto d, size_t k) HWY_ATTR {
    const auto p = hn::LoadU(d, r.pu + k), qi = hn::LoadU(d, r.qi + k), qj = hn::LoadU(d, r.qj + k);
    const auto e = ItemDiff<kContent>(d, r, k);
    const auto vg = hn::Set(d, g), reg = hn::Set(d, h.reg);
    const auto gp = hn::Mul(vg, p);
    const auto grad_p = hn::MulAdd(reg, p, hn::Neg(hn::Mul(vg, e)));  // -g e + reg p
    const auto grad_i = hn::MulAdd(reg, qi, hn::Neg(gp));              // -g p + reg q_i
    const auto grad_j = hn::MulAdd(reg, qj, gp);                       //  g p + reg q_j
    AdamLanes(d, r.pu + k, mp + k, vp + k, grad_p, h);
    AdamLanes(d, r.qi + k, mqi + k, vqi + k, grad_i, h);
    AdamLanes(d, r.qj + k, mqj + k, vqj + k, grad_j, h);
  });
}

// The rows of a triple a few steps ahead are requested from memory while this one is
// computed: with more rows than the caches hold (a million users), each step
// otherwise waits for three to nine cache misses in a row. Only then: with rows that
// stay in cache the prefetch instructions cost Adam about 10%.
// (ek_bench_cuda --cpu-only --mbat-docs 0, 1M users x 200k items, dim 64, medians of 3
// runs interleaved with the same binary built at 9dd3ce2, without it: 1 thread SGD
// 2.7M -> 4.2M samples/s, Adam 1.1M -> 1.8M; 943 x 1,682 rows take the path without
// prefetch: SGD 16.5M vs 16.3M, Adam 8.8M vs 8.6M.)
constexpr size_t kPrefetchAhead = 8;

HWY_INLINE void PrefetchRow(const float* row, size_t dim) {
#if defined(__GNUC__)
  for (size_t k = 0; k < dim; k += 16) __builtin_prefetch(row + k, 1, 3);
#else
  (void)row;
  (void)dim;
#endif
}

template <bool kAdam, bool kContent>
HWY_INLINE void Prefetch(const ek_bpr_params& a, const ek_bpr_triple& t, size_t dim) {
  const size_t u = size_t(t.u) * dim, i = size_t(t.i) * dim, j = size_t(t.j) * dim;
  PrefetchRow(a.p + u, dim);
  PrefetchRow(a.q + i, dim);
  PrefetchRow(a.q + j, dim);
  if constexpr (kContent) {
    PrefetchRow(a.c + i, dim);
    PrefetchRow(a.c + j, dim);
  }
  if constexpr (kAdam) {
    PrefetchRow(a.m_p + u, dim);
    PrefetchRow(a.v_p + u, dim);
    PrefetchRow(a.m_q + i, dim);
    PrefetchRow(a.v_q + i, dim);
    PrefetchRow(a.m_q + j, dim);
    PrefetchRow(a.v_q + j, dim);
  }
}

// D is the embedding size when known at compile time (0: a.dim).
template <size_t D, bool kAdam, bool kContent>
double StepBody(const ek_bpr_params& a, const ek_bpr_triple* t, size_t n, uint64_t* reverse,
                bool prefetch) {
  const size_t dim = D ? D : a.dim;
  const Hyper h{a.lr, a.reg, a.step, a.beta1, a.beta2, a.eps};
  double loss = 0;
  for (size_t s = 0; s < n; ++s) {
    if (prefetch && s + kPrefetchAhead < n) Prefetch<kAdam, kContent>(a, t[s + kPrefetchAhead], dim);
    const size_t u = size_t(t[s].u) * dim, i = size_t(t[s].i) * dim, j = size_t(t[s].j) * dim;
    const Rows r{a.p + u, a.q + i, a.q + j, kContent ? a.c + i : nullptr, kContent ? a.c + j : nullptr};
    const float diff = Diff<kContent>(r, dim);
    if (t[s].sign < 0) {
      ++reverse[0];
      reverse[1] += diff > 0;
    }
    const float x = t[s].sign * diff;
    // one exp for both: sigma(-x) = e / (1 + e), softplus(-x) = log1p(e), e = exp(-x)
    const float ex = std::exp(std::min(-x, 80.0f));
    loss += t[s].weight * std::log1p(ex);
    const float g = t[s].weight * t[s].sign * (ex / (1.0f + ex));  // dLoss/d(y_ui - y_uj) = -g
    if constexpr (kContent) {  // item content gradient, from the old p_u
      AddScaled(a.g + i, r.pu, -g, dim);
      AddScaled(a.g + j, r.pu, g, dim);
    }
    if constexpr (kAdam) {
      AdamRows<kContent>(r, a.m_p + u, a.v_p + u, a.m_q + i, a.v_q + i, a.m_q + j, a.v_q + j, g, h, dim);
    } else {
      SgdRows<kContent>(r, g, h, dim);
    }
  }
  return loss;
}

double StepT(const ek_bpr_params& a, const ek_bpr_triple* t, size_t n, uint64_t* reverse, bool prefetch) {
  const bool adam = a.m_p != nullptr, content = a.c != nullptr;
  if (a.dim == 64) {
    if (adam) return content ? StepBody<64, true, true>(a, t, n, reverse, prefetch)
                             : StepBody<64, true, false>(a, t, n, reverse, prefetch);
    return content ? StepBody<64, false, true>(a, t, n, reverse, prefetch)
                   : StepBody<64, false, false>(a, t, n, reverse, prefetch);
  }
  if (adam) return content ? StepBody<0, true, true>(a, t, n, reverse, prefetch)
                           : StepBody<0, true, false>(a, t, n, reverse, prefetch);
  return content ? StepBody<0, false, true>(a, t, n, reverse, prefetch)
                 : StepBody<0, false, false>(a, t, n, reverse, prefetch);
}

}  // namespace ek::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ek::kernels {

HWY_EXPORT(StepT);

namespace {
// Rows beyond this many bytes miss the caches: the step prefetches (see above).
constexpr size_t kPrefetchAboveBytes = size_t{8} << 20;
}  // namespace

bool BprArgsValid(const ek_bpr_params* a, const ek_bpr_triple* t, size_t n) {
  if (!a || a->struct_size < sizeof(ek_bpr_params) || a->dim == 0 || !a->p || !a->q) return false;
  if (a->c && !a->g) return false;
  const int moments = !!a->m_p + !!a->v_p + !!a->m_q + !!a->v_q;
  if (moments != 0 && moments != 4) return false;
  if (n == 0) return true;
  if (!t) return false;
  for (size_t s = 0; s < n; ++s)  // nothing is written unless every triple is valid
    if (t[s].u >= a->users || t[s].i >= a->items || t[s].j >= a->items || t[s].i == t[s].j) return false;
  return true;
}

double BprStep(const ek_bpr_params* a, const ek_bpr_triple* t, size_t n, uint64_t* out_reverse) {
  if (!BprArgsValid(a, t, n)) return std::numeric_limits<double>::quiet_NaN();
  if (n == 0) return 0.0;
  uint64_t reverse[2] = {0, 0};
  const bool adam = BprUsesAdam(*a), content = a->c != nullptr;
  const size_t row_bytes = (size_t{a->users} + a->items) * a->dim * sizeof(float);
  const bool prefetch = row_bytes * (adam ? 3 : 1) + (content ? 2 * size_t{a->items} * a->dim * sizeof(float) : 0) >
                        kPrefetchAboveBytes;
  const double loss = HWY_DYNAMIC_DISPATCH(StepT)(*a, t, n, reverse, prefetch);
  if (out_reverse) {
    out_reverse[0] += reverse[0];
    out_reverse[1] += reverse[1];
  }
  return loss;
}

}  // namespace ek::kernels
#endif  // HWY_ONCE
