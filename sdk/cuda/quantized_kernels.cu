// Ranks of f16 and int8 rows against a group of queries: the scoring half of the GPU's
// quantized scan (quantized_scan.cu selects the top-k from them).
//
// One 256-thread block scores a tile of 64 queries x 64 rows, stepping through the
// components 32 at a time in shared memory; each thread keeps 4 x 4 sums in registers.
// The arithmetic is the CPU kernels' (kernels/quantized_distance.cc):
//   f16   halves promoted to f32, each product added into an f32 sum (one fused
//         multiply-add per component, in component order: within f32 rounding of the
//         CPU's SIMD accumulators, not bit-identical); L2 sums (q - x)^2 directly;
//         cosine divides q.x by sqrt(||q||^2 ||x||^2) in double, ||q||^2 summed in double
//         on the host as the CPU does.
//   int8  q.x and ||x||^2 are exact int32 sums (any order gives the same), then
//         kernels::detail::Int8Score's double formula with every operation rounded on
//         its own (the _rn intrinsics: nvcc would otherwise fuse a multiply and an add,
//         which the CPU's baseline x86-64 build does not), so the scores are bit for bit
//         the CPU's.
// A rank is the score, or minus the distance for L2, so the selection keeps the
// highest ranks for every metric.
#include <cuda_fp16.h>

#include <string>
#include <type_traits>

#include "base/error.h"
#include "cuda/internal.cuh"

namespace ek::cuda::detail {
namespace {

using kernels::ElementType;
using kernels::Metric;

constexpr int kTile = 64;      // queries and rows per block
constexpr int kTileDim = 32;   // components per shared-memory step
constexpr int kSide = 16;      // 16 x 16 threads
constexpr int kPerThread = kTile / kSide;  // 4 x 4 results per thread
constexpr int kThreads = kSide * kSide;

// f16 rows work in float, int8 rows in int32.
template <ElementType kType>
using Elem = std::conditional_t<kType == ElementType::kF16, float, int32_t>;

template <ElementType kType>
__device__ __forceinline__ Elem<kType> LoadRow(const void* rows, size_t i) {
  if constexpr (kType == ElementType::kF16) {
    return __half2float(__ushort_as_half(static_cast<const unsigned short*>(rows)[i]));
  } else {
    return static_cast<int32_t>(static_cast<const int8_t*>(rows)[i]);
  }
}

template <ElementType kType>
__device__ __forceinline__ Elem<kType> LoadQuery(const void* queries, size_t i) {
  if constexpr (kType == ElementType::kF16) {
    return static_cast<const float*>(queries)[i];
  } else {
    return static_cast<int32_t>(static_cast<const int8_t*>(queries)[i]);
  }
}

// std::clamp(v, -1.0, 1.0) and std::max(0.0, v), spelled as the standard defines them.
__device__ __forceinline__ double ClampUnit(double v) {
  return v < -1.0 ? -1.0 : (1.0 < v ? 1.0 : v);
}
__device__ __forceinline__ double AtLeastZero(double v) { return 0.0 < v ? v : 0.0; }

// sum/x_sq: the tile's sums for one (query, row); the result is the rank.
template <Metric kMetric>
__device__ __forceinline__ float F16Rank(float sum, float x_sq, const QuantizedQueryTerms& t) {
  if constexpr (kMetric == Metric::kDot) return sum;
  if constexpr (kMetric == Metric::kL2) return -sum;
  const double denom = __dsqrt_rn(__dmul_rn(t.f16_sq_norm, static_cast<double>(x_sq)));
  return denom > 0.0 ? __double2float_rn(ClampUnit(__ddiv_rn(static_cast<double>(sum), denom)))
                     : 0.0f;
}

// kernels::detail::Int8Score, operation by operation.
template <Metric kMetric>
__device__ __forceinline__ float Int8Rank(int32_t dot, int32_t x_sq, const QuantizedQueryTerms& t,
                                          float rows_scale) {
  const double sq = t.i8_scale, sx = rows_scale, d = static_cast<double>(dot);
  if constexpr (kMetric == Metric::kDot) return __double2float_rn(__dmul_rn(__dmul_rn(sq, sx), d));
  if constexpr (kMetric == Metric::kL2) {
    const double a = __dmul_rn(__dmul_rn(sq, sq), static_cast<double>(t.i8_sq_norm));
    const double b = __dmul_rn(__dmul_rn(__dmul_rn(2.0, sq), sx), d);
    const double c = __dmul_rn(__dmul_rn(sx, sx), static_cast<double>(x_sq));
    return -__double2float_rn(AtLeastZero(__dadd_rn(__dsub_rn(a, b), c)));
  }
  const double denom =
      __dsqrt_rn(__dmul_rn(static_cast<double>(t.i8_sq_norm), static_cast<double>(x_sq)));
  return denom > 0.0 ? __double2float_rn(ClampUnit(__ddiv_rn(d, denom))) : 0.0f;
}

// out[j*ld + r] = rank of row r for query j, for the 64 x 64 tile (blockIdx.y, blockIdx.x).
template <ElementType kType, Metric kMetric>
__global__ void __launch_bounds__(kThreads)
    QuantizedRanksKernel(const void* __restrict__ queries,
                         const QuantizedQueryTerms* __restrict__ terms, size_t n_queries,
                         const void* __restrict__ rows_data, size_t rows, size_t dim,
                         float rows_scale, float* __restrict__ out, size_t ld) {
  using T = Elem<kType>;
  // The L2 of f16 sums (q - x)^2; the other sums need ||x||^2 beside q.x only for
  // f16 cosine and int8 L2/cosine.
  constexpr bool kDiff = kType == ElementType::kF16 && kMetric == Metric::kL2;
  constexpr bool kRowNorms = kMetric == Metric::kCosine ||
                             (kType == ElementType::kInt8 && kMetric == Metric::kL2);
  // [component][query or row]; the +1 keeps the transposed stores free of bank conflicts.
  __shared__ T qs[kTileDim][kTile + 1];
  __shared__ T xs[kTileDim][kTile + 1];

  const int tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
  const size_t q0 = static_cast<size_t>(blockIdx.y) * kTile;
  const size_t r0 = static_cast<size_t>(blockIdx.x) * kTile;
  T acc[kPerThread][kPerThread] = {};
  T x_sq[kPerThread] = {};

  for (size_t d0 = 0; d0 < dim; d0 += kTileDim) {
    // Each thread stores 8 query and 8 row components: 32 threads cover one vector's
    // 32 components (consecutive addresses); zeros past the data add nothing.
    for (int e = threadIdx.x; e < kTile * kTileDim; e += kThreads) {
      const int v = e / kTileDim, c = e % kTileDim;
      const size_t d = d0 + c;
      const size_t q = q0 + v, r = r0 + v;
      qs[c][v] = (q < n_queries && d < dim) ? LoadQuery<kType>(queries, q * dim + d) : T(0);
      xs[c][v] = (r < rows && d < dim) ? LoadRow<kType>(rows_data, r * dim + d) : T(0);
    }
    __syncthreads();
#pragma unroll 4
    for (int c = 0; c < kTileDim; ++c) {
      T qv[kPerThread], xv[kPerThread];
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) {
        qv[i] = qs[c][ty + kSide * i];
        xv[i] = xs[c][tx + kSide * i];
      }
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) {
          if constexpr (kType == ElementType::kInt8) {
            acc[i][j] += qv[i] * xv[j];
          } else if constexpr (kDiff) {
            const float diff = qv[i] - xv[j];
            acc[i][j] = __fmaf_rn(diff, diff, acc[i][j]);
          } else {
            acc[i][j] = __fmaf_rn(qv[i], xv[j], acc[i][j]);
          }
        }
      }
      if constexpr (kRowNorms) {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) {
          if constexpr (kType == ElementType::kInt8) {
            x_sq[j] += xv[j] * xv[j];
          } else {
            x_sq[j] = __fmaf_rn(xv[j], xv[j], x_sq[j]);
          }
        }
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < kPerThread; ++i) {
    const size_t q = q0 + ty + kSide * i;
    if (q >= n_queries) continue;
    const QuantizedQueryTerms t = terms[q];
#pragma unroll
    for (int j = 0; j < kPerThread; ++j) {
      const size_t r = r0 + tx + kSide * j;
      if (r >= rows) continue;
      float rank;
      if constexpr (kType == ElementType::kF16) {
        rank = F16Rank<kMetric>(acc[i][j], x_sq[j], t);
      } else {
        rank = Int8Rank<kMetric>(acc[i][j], x_sq[j], t, rows_scale);
      }
      out[q * ld + r] = rank;
    }
  }
}

template <ElementType kType, Metric kMetric>
void Launch(const void* queries, const QuantizedQueryTerms* terms, size_t n_queries,
            const void* rows_data, size_t rows, size_t dim, float rows_scale, float* out,
            size_t ld, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(CeilDiv(rows, kTile)),
                  static_cast<unsigned>(CeilDiv(n_queries, kTile)));
  QuantizedRanksKernel<kType, kMetric><<<grid, kThreads, 0, stream>>>(
      queries, terms, n_queries, rows_data, rows, dim, rows_scale, out, ld);
  CheckLaunch("QuantizedRanksKernel");
}

template <ElementType kType>
void LaunchFor(Metric metric, const void* queries, const QuantizedQueryTerms* terms,
               size_t n_queries, const void* rows_data, size_t rows, size_t dim,
               float rows_scale, float* out, size_t ld, cudaStream_t stream) {
  switch (metric) {
    case Metric::kDot:
      return Launch<kType, Metric::kDot>(queries, terms, n_queries, rows_data, rows, dim,
                                         rows_scale, out, ld, stream);
    case Metric::kL2:
      return Launch<kType, Metric::kL2>(queries, terms, n_queries, rows_data, rows, dim,
                                        rows_scale, out, ld, stream);
    case Metric::kCosine:
      return Launch<kType, Metric::kCosine>(queries, terms, n_queries, rows_data, rows, dim,
                                            rows_scale, out, ld, stream);
  }
  Fail(EK_ERR_INVALID_ARGUMENT, "CUDA quantized scan: unknown metric " +
                                    std::to_string(static_cast<int32_t>(metric)));
}

}  // namespace

void LaunchQuantizedRanks(kernels::ElementType type, kernels::Metric metric, const void* queries,
                          const QuantizedQueryTerms* terms, size_t n_queries,
                          const void* rows_data, size_t rows, size_t dim, float rows_scale,
                          float* out, size_t ld, cudaStream_t stream) {
  if (n_queries == 0 || rows == 0) return;
  if (CeilDiv(rows, kTile) > 0x7fffffffu || CeilDiv(n_queries, kTile) > 65535) {
    Fail(EK_ERR_LIMIT, "CUDA quantized scan: " + std::to_string(rows) + " rows x " +
                           std::to_string(n_queries) + " queries exceed one launch");
  }
  if (type == ElementType::kF16) {
    LaunchFor<ElementType::kF16>(metric, queries, terms, n_queries, rows_data, rows, dim,
                                 rows_scale, out, ld, stream);
  } else if (type == ElementType::kInt8) {
    LaunchFor<ElementType::kInt8>(metric, queries, terms, n_queries, rows_data, rows, dim,
                                  rows_scale, out, ld, stream);
  } else {
    Fail(EK_ERR_INVALID_ARGUMENT, "CUDA quantized scan: element type " +
                                      std::to_string(static_cast<int32_t>(type)) +
                                      " has no GPU kernel (f16 and int8 do)");
  }
}

}  // namespace ek::cuda::detail
