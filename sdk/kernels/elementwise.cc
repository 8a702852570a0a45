// Element-wise kernels for the plugins' own inner loops (ek_kernels::axpy, axpby, mul,
// gather, scatter, pair_update; the passes of bind_structured_add): one Highway loop each, dynamic dispatch like the rest of the table.
// Each element gets a separate IEEE multiply and add, never a fused multiply-add
// (Mul then Add, and -ffp-contract=off for the scalar tails: ISO C++ mode), so every
// target writes the same bits as the plain loops of kernels/reference.h. That is what
// lets vsa_json promise identical vectors on every machine and WASM, and doc2vec
// reproduce a model bit for bit: replacing their GCC target_clones loops with these
// changes no result.
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/elementwise.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ek::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The loops below take four vectors per step, then single vectors, then a scalar
// tail: unrolling leaves each element's operations (and so its bits) unchanged and
// lets the loads of one vector overlap the arithmetic of the last; the plugins' rows
// (a few hundred to a few thousand floats) are too short for the loop overhead of
// one vector per step to hide.

// Stores one(k) at y + k for the whole vectors of [0, n), four per step (all four
// computed before any is stored), then one per step; returns where the scalar tail
// starts. one(k) may read y + k: each vector is loaded before its positions are stored.
template <class D, class One>
HWY_INLINE size_t StoreVectors(D d, float* y, size_t n, const One& one) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const auto y0 = one(i), y1 = one(i + N), y2 = one(i + 2 * N), y3 = one(i + 3 * N);
    hn::StoreU(y0, d, y + i);
    hn::StoreU(y1, d, y + i + N);
    hn::StoreU(y2, d, y + i + 2 * N);
    hn::StoreU(y3, d, y + i + 3 * N);
  }
  for (; i + N <= n; i += N) hn::StoreU(one(i), d, y + i);
  return i;
}

// y may be x itself.
void AxpyT(float a, const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const auto va = hn::Set(d, a);
  size_t i = StoreVectors(d, y, n, [&](size_t k) HWY_ATTR {
    return hn::Add(hn::LoadU(d, y + k), hn::Mul(va, hn::LoadU(d, x + k)));
  });
  for (; i < n; ++i) y[i] += a * x[i];
}

void AxpbyT(float a, const float* x, float b, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const auto va = hn::Set(d, a), vb = hn::Set(d, b);
  size_t i = StoreVectors(d, y, n, [&](size_t k) HWY_ATTR {
    return hn::Add(hn::Mul(va, hn::LoadU(d, x + k)), hn::Mul(vb, hn::LoadU(d, y + k)));
  });
  for (; i < n; ++i) y[i] = a * x[i] + b * y[i];
}

void MulT(const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  size_t i = StoreVectors(d, y, n, [&](size_t k) HWY_ATTR {
    return hn::Mul(hn::LoadU(d, y + k), hn::LoadU(d, x + k));
  });
  for (; i < n; ++i) y[i] *= x[i];
}

// Plain scalar loads, four per step, not hn::GatherIndex: a hardware gather
// (vgatherdps) is microcoded and slower than separate loads on AMD Zen and on Intel
// since the Downfall microcode (the old vsa_json loop, which GCC left scalar, beat it
// by a third on a Zen 3 host). Copying floats changes no bit, whichever way.
void GatherT(const float* src, const uint32_t* index, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float v0 = src[index[i]], v1 = src[index[i + 1]];
    const float v2 = src[index[i + 2]], v3 = src[index[i + 3]];
    dst[i] = v0;
    dst[i + 1] = v1;
    dst[i + 2] = v2;
    dst[i + 3] = v3;
  }
  for (; i < n; ++i) dst[i] = src[index[i]];
}

// out[i] = a[i] * b[i]: the first sign diagonal of a fused binding, written to the
// scratch instead of copying x there first.
void MulToT(const float* a, const float* b, float* out, size_t n) {
  const hn::ScalableTag<float> d;
  size_t i = StoreVectors(d, out, n, [&](size_t k) HWY_ATTR {
    return hn::Mul(hn::LoadU(d, a + k), hn::LoadU(d, b + k));
  });
  for (; i < n; ++i) out[i] = a[i] * b[i];
}

// acc[i] += src[index[i]] + w * x[i], in that order (the permutation, the soft term and
// the accumulation of a bound field in one pass). The lanes are gathered by scalar
// loads (see GatherT) into a small block, then added as vectors.
void GatherAddT(const float* src, const uint32_t* index, const float* x, float w, float* acc, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  constexpr size_t kBlock = 64;
  HWY_ALIGN float g[kBlock];
  const auto vw = hn::Set(d, w);
  size_t i = 0;
  if (kBlock % N == 0) {
    for (; i + kBlock <= n; i += kBlock) {
      GatherT(src, index + i, g, kBlock);
      for (size_t k = 0; k < kBlock; k += N) {
        const auto bound = hn::Add(hn::Load(d, g + k), hn::Mul(vw, hn::LoadU(d, x + i + k)));
        hn::StoreU(hn::Add(hn::LoadU(d, acc + i + k), bound), d, acc + i + k);
      }
    }
  }
  for (; i < n; ++i) acc[i] += src[index[i]] + w * x[i];
}

// e[i] += g * y[i], then y[i] += g * x[i] from the old y[i]: word2vec's pair update in
// one pass instead of two.
void PairUpdateT(float g, const float* x, float* y, float* e, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto vg = hn::Set(d, g);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto y0 = hn::LoadU(d, y + i), y1 = hn::LoadU(d, y + i + N);
    hn::StoreU(hn::Add(hn::LoadU(d, e + i), hn::Mul(vg, y0)), d, e + i);
    hn::StoreU(hn::Add(hn::LoadU(d, e + i + N), hn::Mul(vg, y1)), d, e + i + N);
    hn::StoreU(hn::Add(y0, hn::Mul(vg, hn::LoadU(d, x + i))), d, y + i);
    hn::StoreU(hn::Add(y1, hn::Mul(vg, hn::LoadU(d, x + i + N))), d, y + i + N);
  }
  for (; i + N <= n; i += N) {
    const auto y0 = hn::LoadU(d, y + i);
    hn::StoreU(hn::Add(hn::LoadU(d, e + i), hn::Mul(vg, y0)), d, e + i);
    hn::StoreU(hn::Add(y0, hn::Mul(vg, hn::LoadU(d, x + i))), d, y + i);
  }
  for (; i < n; ++i) {
    e[i] += g * y[i];
    y[i] += g * x[i];
  }
}

// Lanes are stored in order (a hardware scatter writes overlapping lanes lowest
// first), so with repeated indices the last one wins, as in the plain loop.
void ScatterT(const float* src, const uint32_t* index, float* dst, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const size_t N = hn::Lanes(d);
  const auto* idx = reinterpret_cast<const int32_t*>(index);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::ScatterIndex(hn::LoadU(d, src + i), d, dst, hn::LoadU(di, idx + i));
  for (; i < n; ++i) dst[index[i]] = src[i];
}

}  // namespace ek::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ek::kernels {

HWY_EXPORT(AxpyT);
HWY_EXPORT(AxpbyT);
HWY_EXPORT(MulT);
HWY_EXPORT(GatherT);
HWY_EXPORT(ScatterT);
HWY_EXPORT(MulToT);
HWY_EXPORT(GatherAddT);
HWY_EXPORT(PairUpdateT);

void Axpy(float a, const float* x, float* y, size_t n) { HWY_DYNAMIC_DISPATCH(AxpyT)(a, x, y, n); }
void Axpby(float a, const float* x, float b, float* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(AxpbyT)(a, x, b, y, n);
}
void Mul(const float* x, float* y, size_t n) { HWY_DYNAMIC_DISPATCH(MulT)(x, y, n); }
void Gather(const float* src, const uint32_t* index, float* dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(GatherT)(src, index, dst, n);
}
void Scatter(const float* src, const uint32_t* index, float* dst, size_t n) {
  HWY_DYNAMIC_DISPATCH(ScatterT)(src, index, dst, n);
}
void MulTo(const float* a, const float* b, float* out, size_t n) { HWY_DYNAMIC_DISPATCH(MulToT)(a, b, out, n); }
void GatherAdd(const float* src, const uint32_t* index, const float* x, float w, float* acc, size_t n) {
  HWY_DYNAMIC_DISPATCH(GatherAddT)(src, index, x, w, acc, n);
}
void PairUpdate(float g, const float* x, float* y, float* e, size_t n) {
  HWY_DYNAMIC_DISPATCH(PairUpdateT)(g, x, y, e, n);
}

// The table's entries are the chosen target's functions themselves (&*dispatch-table
// entry): plugins call them on rows of about a hundred floats (doc2vec), where a
// dispatch per call (an atomic load and a call into libhwy) costs as much as the work.
// Called after dispatch has chosen the target (MakeTable asks for its name first).
void LendElementwise(ek_kernels* t) {
  t->axpy = &HWY_DYNAMIC_DISPATCH(AxpyT);
  t->axpby = &HWY_DYNAMIC_DISPATCH(AxpbyT);
  t->mul = &HWY_DYNAMIC_DISPATCH(MulT);
  t->gather = &HWY_DYNAMIC_DISPATCH(GatherT);
  t->scatter = &HWY_DYNAMIC_DISPATCH(ScatterT);
  t->pair_update = &HWY_DYNAMIC_DISPATCH(PairUpdateT);
}

}  // namespace ek::kernels
#endif  // HWY_ONCE
