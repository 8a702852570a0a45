// Per-target SIMD building blocks shared by kernels.cc and scan.cc. Included once per
// Highway target (from inside each file's foreach_target section); everything here is
// portable Highway code: no intrinsics, no target #ifdefs beyond tile sizes.

// Per-target include guard (Highway's toggle idiom).
#if defined(EK_KERNELS_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef EK_KERNELS_SIMD_INL_H_
#undef EK_KERNELS_SIMD_INL_H_
#else
#define EK_KERNELS_SIMD_INL_H_
#endif

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ek::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// Scratch arrays hold one vector of any x86/WASM target (a constant, so GCC's
// bounds analysis sees the same size for every target).
constexpr size_t kMaxLanesF = 64 / sizeof(float);
static_assert(HWY_MAX_BYTES <= 64, "scratch arrays assume vectors of at most 64 bytes");

// Register tile of the GEMM-style micro-kernel: kTileR rows broadcast from one side,
// kTileV vectors of the packed other side: kTileR x kTileV accumulators. Targets with
// 32 vector registers (AVX-512) take 6 x 4 (24 accumulators + 4 loads + 1 broadcast);
// 16-register targets take 4 x 3.
#if HWY_ARCH_X86 && (HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL)
constexpr size_t kTileR = 6;
constexpr size_t kTileV = 4;
#else
constexpr size_t kTileR = 4;
constexpr size_t kTileV = 3;
#endif

// Loads `count` (< Lanes(d)) floats from p, zeros in the other lanes; never reads
// past p + count (a plain LoadU could cross into an unmapped page). AVX2 and AVX-512
// have a masked load that neither reads nor faults on the other lanes; elsewhere a
// zeroed copy (on x86 that copy cost a memcpy call and a stalled store-to-load
// forward per call, a third of doc2vec's time in its 100-float dot products).
template <class D>
HWY_INLINE hn::Vec<D> LoadPartial(D d, const float* HWY_RESTRICT p, size_t count) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
  return hn::MaskedLoad(hn::FirstN(d, count), d, p);
#else
  alignas(64) float buf[kMaxLanesF] = {};
  std::memcpy(buf, p, count * sizeof(float));
  return hn::Load(d, buf);
#endif
}

HWY_INLINE float DotImpl(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, size_t n) {
  const DF d;
  const size_t N = hn::Lanes(d);
  VF s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), s1);
    s2 = hn::MulAdd(hn::LoadU(d, a + i + 2 * N), hn::LoadU(d, b + i + 2 * N), s2);
    s3 = hn::MulAdd(hn::LoadU(d, a + i + 3 * N), hn::LoadU(d, b + i + 3 * N), s3);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  if (i < n) s1 = hn::MulAdd(LoadPartial(d, a + i, n - i), LoadPartial(d, b + i, n - i), s1);
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

HWY_INLINE float L2SqImpl(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, size_t n) {
  const DF d;
  const size_t N = hn::Lanes(d);
  VF s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const VF d0 = hn::Sub(hn::LoadU(d, a + i), hn::LoadU(d, b + i));
    const VF d1 = hn::Sub(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N));
    const VF d2 = hn::Sub(hn::LoadU(d, a + i + 2 * N), hn::LoadU(d, b + i + 2 * N));
    const VF d3 = hn::Sub(hn::LoadU(d, a + i + 3 * N), hn::LoadU(d, b + i + 3 * N));
    s0 = hn::MulAdd(d0, d0, s0);
    s1 = hn::MulAdd(d1, d1, s1);
    s2 = hn::MulAdd(d2, d2, s2);
    s3 = hn::MulAdd(d3, d3, s3);
  }
  for (; i + N <= n; i += N) {
    const VF d0 = hn::Sub(hn::LoadU(d, a + i), hn::LoadU(d, b + i));
    s0 = hn::MulAdd(d0, d0, s0);
  }
  if (i < n) {
    const VF d0 = hn::Sub(LoadPartial(d, a + i, n - i), LoadPartial(d, b + i, n - i));
    s1 = hn::MulAdd(d0, d0, s1);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

HWY_INLINE float SqNormImpl(const float* HWY_RESTRICT a, size_t n) {
  const DF d;
  const size_t N = hn::Lanes(d);
  VF s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    const VF a0 = hn::LoadU(d, a + i), a1 = hn::LoadU(d, a + i + N);
    const VF a2 = hn::LoadU(d, a + i + 2 * N), a3 = hn::LoadU(d, a + i + 3 * N);
    s0 = hn::MulAdd(a0, a0, s0);
    s1 = hn::MulAdd(a1, a1, s1);
    s2 = hn::MulAdd(a2, a2, s2);
    s3 = hn::MulAdd(a3, a3, s3);
  }
  for (; i + N <= n; i += N) {
    const VF a0 = hn::LoadU(d, a + i);
    s0 = hn::MulAdd(a0, a0, s0);
  }
  if (i < n) {
    const VF a0 = LoadPartial(d, a + i, n - i);
    s1 = hn::MulAdd(a0, a0, s1);
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

// dot(a, b) and ||b||^2 in one pass over b.
HWY_INLINE void DotAndNormImpl(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, size_t n,
                               float* dot, float* bb) {
  const DF d;
  const size_t N = hn::Lanes(d);
  VF s0 = hn::Zero(d), s1 = hn::Zero(d), n0 = hn::Zero(d), n1 = hn::Zero(d);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const VF b0 = hn::LoadU(d, b + i), b1 = hn::LoadU(d, b + i + N);
    s0 = hn::MulAdd(hn::LoadU(d, a + i), b0, s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + N), b1, s1);
    n0 = hn::MulAdd(b0, b0, n0);
    n1 = hn::MulAdd(b1, b1, n1);
  }
  for (; i + N <= n; i += N) {
    const VF b0 = hn::LoadU(d, b + i);
    s0 = hn::MulAdd(hn::LoadU(d, a + i), b0, s0);
    n0 = hn::MulAdd(b0, b0, n0);
  }
  if (i < n) {
    const VF b0 = LoadPartial(d, b + i, n - i);
    s1 = hn::MulAdd(LoadPartial(d, a + i, n - i), b0, s1);
    n1 = hn::MulAdd(b0, b0, n1);
  }
  *dot = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  *bb = hn::GetLane(hn::SumOfLanes(d, hn::Add(n0, n1)));
}

// Packs a K x width block into a zero-padded panel of K rows x W floats (W a multiple
// of Lanes, aligned): panel[p * W + j] = scale * src[j * stride_j + p * stride_p].
HWY_INLINE void PackPanel(const float* HWY_RESTRICT src, size_t stride_j, size_t stride_p, size_t K,
                          size_t width, size_t W, float scale, float* HWY_RESTRICT panel) {
  for (size_t p = 0; p < K; ++p) {
    float* row = panel + p * W;
    if (stride_j == 1 && scale == 1.0f) {
      std::memcpy(row, src + p * stride_p, width * sizeof(float));
    } else {
      for (size_t j = 0; j < width; ++j) row[j] = scale * src[j * stride_j + p * stride_p];
    }
    for (size_t j = width; j < W; ++j) row[j] = 0.0f;
  }
}

// The micro-kernel: for r < R, v < V
//   acc[r][v] = sum_p a[r * lda + p] * panel[p * (V * N) + v * N .. + N)
// stored to out[(r * V + v) * N ..] (aligned). `panel` is aligned and packed by PackPanel with W = V * N.
// The accumulators are named variables (not an array): GCC does not keep a 24-vector
// array in registers, and a spilled accumulator costs a load and a store per FMA.
#define EK_TILE_ROW_DECL(r)                                                   \
  VF c##r##0 = hn::Zero(d), c##r##1 = hn::Zero(d), c##r##2 = hn::Zero(d), \
     c##r##3 = hn::Zero(d);
#define EK_TILE_ROW_FMA(r)                                      \
  if constexpr (R > r) {                                        \
    const VF av = hn::Set(d, ap[r * lda]);                      \
    c##r##0 = hn::MulAdd(av, b0, c##r##0);                      \
    if constexpr (V > 1) c##r##1 = hn::MulAdd(av, b1, c##r##1); \
    if constexpr (V > 2) c##r##2 = hn::MulAdd(av, b2, c##r##2); \
    if constexpr (V > 3) c##r##3 = hn::MulAdd(av, b3, c##r##3); \
  }
#define EK_TILE_ROW_STORE(r)                                        \
  if constexpr (R > r) {                                            \
    hn::Store(c##r##0, d, out + (r * V + 0) * N);                   \
    if constexpr (V > 1) hn::Store(c##r##1, d, out + (r * V + 1) * N); \
    if constexpr (V > 2) hn::Store(c##r##2, d, out + (r * V + 2) * N); \
    if constexpr (V > 3) hn::Store(c##r##3, d, out + (r * V + 3) * N); \
  }

template <size_t R, size_t V>
HWY_INLINE void MicroTile(const float* HWY_RESTRICT a, size_t lda,
                          const float* HWY_RESTRICT panel, size_t K, float* HWY_RESTRICT out) {
  static_assert(R >= 1 && R <= 6 && V >= 1 && V <= 4, "tile shape out of range");
  const DF d;
  const size_t N = hn::Lanes(d);
  EK_TILE_ROW_DECL(0)
  EK_TILE_ROW_DECL(1)
  EK_TILE_ROW_DECL(2)
  EK_TILE_ROW_DECL(3)
  EK_TILE_ROW_DECL(4)
  EK_TILE_ROW_DECL(5)
  const float* HWY_RESTRICT ap = a;
  const float* HWY_RESTRICT bp = panel;
  for (size_t p = 0; p < K; ++p, ++ap, bp += V * N) {
    const VF b0 = hn::Load(d, bp);
    const VF b1 = V > 1 ? hn::Load(d, bp + 1 * N) : b0;
    const VF b2 = V > 2 ? hn::Load(d, bp + 2 * N) : b0;
    const VF b3 = V > 3 ? hn::Load(d, bp + 3 * N) : b0;
    EK_TILE_ROW_FMA(0)
    EK_TILE_ROW_FMA(1)
    EK_TILE_ROW_FMA(2)
    EK_TILE_ROW_FMA(3)
    EK_TILE_ROW_FMA(4)
    EK_TILE_ROW_FMA(5)
  }
  EK_TILE_ROW_STORE(0)
  EK_TILE_ROW_STORE(1)
  EK_TILE_ROW_STORE(2)
  EK_TILE_ROW_STORE(3)
  EK_TILE_ROW_STORE(4)
  EK_TILE_ROW_STORE(5)
}
#undef EK_TILE_ROW_DECL
#undef EK_TILE_ROW_FMA
#undef EK_TILE_ROW_STORE

// MicroTile with V chosen at run time (1..kTileV): the width of a tail block.
template <size_t R>
HWY_NOINLINE void MicroTileV(size_t nv, const float* HWY_RESTRICT a, size_t lda,
                             const float* HWY_RESTRICT panel, size_t K, float* HWY_RESTRICT out) {
  static_assert(kTileV >= 3 && kTileV <= 4, "extend the switch below");
  switch (nv) {
    case 1: MicroTile<R, 1>(a, lda, panel, K, out); break;
    case 2: MicroTile<R, 2>(a, lda, panel, K, out); break;
    case 3: MicroTile<R, 3>(a, lda, panel, K, out); break;
    default: MicroTile<R, kTileV>(a, lda, panel, K, out); break;
  }
}

// Runs the micro-kernel over rows [0, rows) of `a` (kTileR at a time, then one by
// one) against one packed panel of nv vectors; epi(row, v, acc) sees every result
// vector. The kernel itself stays free of calls, so its accumulators stay in registers.
template <class Epi>
HWY_INLINE void TileRows(const float* HWY_RESTRICT a, size_t lda, size_t rows,
                         const float* HWY_RESTRICT panel, size_t nv, size_t K, Epi& epi) {
  const DF d;
  const size_t N = hn::Lanes(d);
  alignas(64) float tile[kTileR * kTileV * kMaxLanesF];
  size_t r = 0;
  for (; r + kTileR <= rows; r += kTileR) {
    MicroTileV<kTileR>(nv, a + r * lda, lda, panel, K, tile);
    for (size_t rr = 0; rr < kTileR; ++rr) {
      for (size_t v = 0; v < nv; ++v) epi(r + rr, v, hn::Load(d, tile + (rr * nv + v) * N));
    }
  }
  for (; r < rows; ++r) {
    MicroTileV<1>(nv, a + r * lda, lda, panel, K, tile);
    for (size_t v = 0; v < nv; ++v) epi(r, v, hn::Load(d, tile + v * N));
  }
}

}  // namespace ek::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // EK_KERNELS_SIMD_INL_H_
