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

// y may be x itself: each vector is loaded before the same positions are stored.
void AxpyT(float a, const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto va = hn::Set(d, a);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::Add(hn::LoadU(d, y + i), hn::Mul(va, hn::LoadU(d, x + i))), d, y + i);
  }
  for (; i < n; ++i) y[i] += a * x[i];
}

void AxpbyT(float a, const float* x, float b, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  const auto va = hn::Set(d, a), vb = hn::Set(d, b);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto ax = hn::Mul(va, hn::LoadU(d, x + i));
    hn::StoreU(hn::Add(ax, hn::Mul(vb, hn::LoadU(d, y + i))), d, y + i);
  }
  for (; i < n; ++i) y[i] = a * x[i] + b * y[i];
}

void MulT(const float* x, float* y, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, y + i), hn::LoadU(d, x + i)), d, y + i);
  for (; i < n; ++i) y[i] *= x[i];
}

// Indices are below 2^31 by contract, so they load as Highway's signed offsets.
void GatherT(const float* src, const uint32_t* index, float* dst, size_t n) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const size_t N = hn::Lanes(d);
  const auto* idx = reinterpret_cast<const int32_t*>(index);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::GatherIndex(d, src, hn::LoadU(di, idx + i)), d, dst + i);
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
