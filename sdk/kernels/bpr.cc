// The kernel table's BPR step (ek_kernels::bpr_step): one block of (u, i, j) triples,
// each a fused score + loss + SGD or Adam update of its three rows. Plain C++ loops
// that GCC vectorises (restrict-qualified rows, 16 partial sums for the dot), built
// for the baseline ISA and for x86-64-v3 / v4 with target_clones (the rows are too
// short and the access too random for Highway's wide-batch kernels to pay off here),
// and specialised for dim 64. Moved here from the rec_unlearn plugin so that another
// backend (CUDA) can take training over behind the same table entry.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "kernels/kernels.h"

namespace ek::kernels {
namespace {

struct Hyper {
  float lr, reg, step, beta1, beta2, eps;
};

[[gnu::always_inline]] inline void AddScaled(float* __restrict y, const float* __restrict x, float a, size_t n) {
  for (size_t k = 0; k < n; ++k) y[k] += a * x[k];
}

[[gnu::always_inline]] inline void AdamRow(float* __restrict w, float* __restrict m, float* __restrict v,
                                           const float* __restrict g, const Hyper& h, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    m[k] = h.beta1 * m[k] + (1 - h.beta1) * g[k];
    v[k] = h.beta2 * v[k] + (1 - h.beta2) * g[k] * g[k];
    w[k] -= h.step * m[k] / (std::sqrt(v[k]) + h.eps);
  }
}

// y_ui - y_uj = p_u . (e_i - e_j), e = q (+ c): 16 independent partial sums let the dot
// vectorise without -ffast-math.
template <bool kContent>
[[gnu::always_inline]] inline float Diff(const float* __restrict pu, const float* __restrict qi,
                                         const float* __restrict qj, const float* __restrict ci,
                                         const float* __restrict cj, size_t dim) {
  constexpr size_t L = 16;
  float acc[L] = {};
  size_t k = 0;
  for (; k + L <= dim; k += L)
    for (size_t l = 0; l < L; ++l) {
      const float e = kContent ? (qi[k + l] + ci[k + l]) - (qj[k + l] + cj[k + l]) : qi[k + l] - qj[k + l];
      acc[l] += pu[k + l] * e;
    }
  for (; k < dim; ++k) acc[0] += pu[k] * (kContent ? (qi[k] + ci[k]) - (qj[k] + cj[k]) : qi[k] - qj[k]);
  float diff = 0;
  for (size_t l = 0; l < L; ++l) diff += acc[l];
  return diff;
}

// SGD on the three rows (reads of the old values come first in each lane).
template <bool kContent>
[[gnu::always_inline]] inline void SgdRows(float* __restrict pu, float* __restrict qi, float* __restrict qj,
                                           const float* __restrict ci, const float* __restrict cj, float g,
                                           float lr, float reg, size_t dim) {
  for (size_t k = 0; k < dim; ++k) {
    const float p = pu[k];
    const float e = kContent ? (qi[k] + ci[k]) - (qj[k] + cj[k]) : qi[k] - qj[k];
    pu[k] = p + lr * (g * e - reg * p);
    qi[k] += lr * (g * p - reg * qi[k]);
    qj[k] += lr * (-g * p - reg * qj[k]);
  }
}

// The gradients of the three rows (for Adam), in chunks of up to 64.
template <bool kContent>
[[gnu::always_inline]] inline void Grads(const float* __restrict pu, const float* __restrict qi,
                                         const float* __restrict qj, const float* __restrict ci,
                                         const float* __restrict cj, float g, float reg, size_t n,
                                         float* __restrict gp, float* __restrict gi, float* __restrict gj) {
  for (size_t k = 0; k < n; ++k) {
    const float p = pu[k];
    const float e = kContent ? (qi[k] + ci[k]) - (qj[k] + cj[k]) : qi[k] - qj[k];
    gp[k] = -g * e + reg * p;
    gi[k] = -g * p + reg * qi[k];
    gj[k] = g * p + reg * qj[k];
  }
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
constexpr size_t kPrefetchAboveBytes = size_t{8} << 20;

[[gnu::always_inline]] inline void PrefetchRow(const float* row, size_t dim) {
#if defined(__GNUC__)
  for (size_t k = 0; k < dim; k += 16) __builtin_prefetch(row + k, 1, 3);
#else
  (void)row;
  (void)dim;
#endif
}

template <bool kAdam, bool kContent>
[[gnu::always_inline]] inline void Prefetch(const ek_bpr_params& a, const ek_bpr_triple& t, size_t dim) {
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
[[gnu::always_inline]] inline double StepBody(const ek_bpr_params& a, const ek_bpr_triple* t, size_t n,
                                              uint64_t* reverse, bool prefetch) {
  const size_t dim = D ? D : a.dim;
  const Hyper h{a.lr, a.reg, a.step, a.beta1, a.beta2, a.eps};
  double loss = 0;
  for (size_t s = 0; s < n; ++s) {
    if (prefetch && s + kPrefetchAhead < n) Prefetch<kAdam, kContent>(a, t[s + kPrefetchAhead], dim);
    const uint32_t u = t[s].u, i = t[s].i, j = t[s].j;
    float* pu = a.p + size_t(u) * dim;
    float* qi = a.q + size_t(i) * dim;
    float* qj = a.q + size_t(j) * dim;
    const float* ci = kContent ? a.c + size_t(i) * dim : nullptr;
    const float* cj = kContent ? a.c + size_t(j) * dim : nullptr;
    const float diff = Diff<kContent>(pu, qi, qj, ci, cj, dim);
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
      AddScaled(a.g + size_t(i) * dim, pu, -g, dim);
      AddScaled(a.g + size_t(j) * dim, pu, g, dim);
    }
    if constexpr (!kAdam) {
      SgdRows<kContent>(pu, qi, qj, ci, cj, g, h.lr, h.reg, dim);
    } else {
      constexpr size_t kChunk = 64;
      float gp[kChunk], gi[kChunk], gj[kChunk];
      for (size_t k0 = 0; k0 < dim; k0 += kChunk) {
        const size_t m = std::min(kChunk, dim - k0);
        Grads<kContent>(pu + k0, qi + k0, qj + k0, kContent ? ci + k0 : nullptr, kContent ? cj + k0 : nullptr, g,
                        h.reg, m, gp, gi, gj);
        AdamRow(pu + k0, a.m_p + size_t(u) * dim + k0, a.v_p + size_t(u) * dim + k0, gp, h, m);
        AdamRow(qi + k0, a.m_q + size_t(i) * dim + k0, a.v_q + size_t(i) * dim + k0, gi, h, m);
        AdamRow(qj + k0, a.m_q + size_t(j) * dim + k0, a.v_q + size_t(j) * dim + k0, gj, h, m);
      }
    }
  }
  return loss;
}

// Per-ISA clones on x86-64 Linux with GCC (ifunc); not under TSan
// (EK_NO_TARGET_CLONES: the resolvers would run before the TSan runtime).
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__EMSCRIPTEN__) && !defined(EK_NO_TARGET_CLONES)
#define EK_BPR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EK_BPR_CLONES
#endif

using StepFn = double (*)(const ek_bpr_params&, const ek_bpr_triple*, size_t, uint64_t*, bool);
#define EK_BPR_STEP(NAME, D, ADAM, CONTENT)                                                          \
  EK_BPR_CLONES double NAME(const ek_bpr_params& a, const ek_bpr_triple* t, size_t n, uint64_t* r, \
                            bool prefetch) {                                                         \
    return StepBody<D, ADAM, CONTENT>(a, t, n, r, prefetch);                                         \
  }
EK_BPR_STEP(Step64Sgd, 64, false, false)
EK_BPR_STEP(Step64SgdC, 64, false, true)
EK_BPR_STEP(Step64Adam, 64, true, false)
EK_BPR_STEP(Step64AdamC, 64, true, true)
EK_BPR_STEP(StepSgd, 0, false, false)
EK_BPR_STEP(StepSgdC, 0, false, true)
EK_BPR_STEP(StepAdam, 0, true, false)
EK_BPR_STEP(StepAdamC, 0, true, true)
#undef EK_BPR_STEP

StepFn PickStep(size_t dim, bool adam, bool content) {
  if (dim == 64) return adam ? (content ? Step64AdamC : Step64Adam) : (content ? Step64SgdC : Step64Sgd);
  return adam ? (content ? StepAdamC : StepAdam) : (content ? StepSgdC : StepSgd);
}

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
  const double loss = PickStep(a->dim, adam, content)(*a, t, n, reverse, prefetch);
  if (out_reverse) {
    out_reverse[0] += reverse[0];
    out_reverse[1] += reverse[1];
  }
  return loss;
}

}  // namespace ek::kernels
