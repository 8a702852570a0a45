// Element-wise kernels for the plugins' own inner loops (ek_kernels::axpy, axpby, mul,
// gather, scatter): one Highway loop each, dynamic dispatch like the rest of the table.
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
}

}  // namespace ek::kernels
#endif  // HWY_ONCE
