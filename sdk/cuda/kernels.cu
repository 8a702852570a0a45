// Dense kernels: dot scores (warp per row, tiled SGEMM), squared norms, normalise,
// batched FWHT, and the host-buffer entry points of cuda_backend.h.
//
// Written to be plainly correct: every index is size_t where it can exceed 2^31,
// every global load is bounds-checked, vector (float4) loads are used only when the
// launcher proved 16-byte alignment, and every launch is checked.
#include <algorithm>
#include <cfloat>
#include <cstring>
#include <string>

#include "base/error.h"
#include "cuda/internal.cuh"

namespace ek::cuda {
namespace detail {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float WarpSum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}


bool Aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// ---- Warp per row: up to kRowMaxQ queries, bandwidth-bound ---------------------------------
constexpr int kRowMaxQ = 4;
constexpr int kRowThreads = 256;

// out[j*ld + r] = dot(q + j*dim, base + r*dim). Each warp reads a row once; lanes
// issue up to four independent loads before using them (memory-level parallelism).
template <bool kVec4>
__global__ void __launch_bounds__(kRowThreads)
    RowDotKernel(const float* __restrict__ q, int nq, const float* __restrict__ base, size_t rows,
                 size_t dim, float* __restrict__ out, size_t ld) {
  const unsigned lane = threadIdx.x & 31u;
  const size_t warp = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const size_t n_warps = (static_cast<size_t>(gridDim.x) * blockDim.x) / 32;
  for (size_t r = warp; r < rows; r += n_warps) {
    float acc[kRowMaxQ] = {0.f, 0.f, 0.f, 0.f};
    if constexpr (kVec4) {
      const size_t d4 = dim / 4;
      const float4* x4 = reinterpret_cast<const float4*>(base + r * dim);
      for (size_t i0 = 0; i0 < d4; i0 += 4 * 32) {
        float4 xv[4];
#pragma unroll
        for (int u = 0; u < 4; ++u) {
          const size_t i = i0 + u * 32 + lane;
          xv[u] = i < d4 ? x4[i] : make_float4(0.f, 0.f, 0.f, 0.f);
        }
#pragma unroll
        for (int u = 0; u < 4; ++u) {
          const size_t i = i0 + u * 32 + lane;
          if (i >= d4) break;
#pragma unroll
          for (int j = 0; j < kRowMaxQ; ++j) {
            if (j < nq) {
              const float4 qv = reinterpret_cast<const float4*>(q + j * dim)[i];
              acc[j] = fmaf(xv[u].x, qv.x, acc[j]);
              acc[j] = fmaf(xv[u].y, qv.y, acc[j]);
              acc[j] = fmaf(xv[u].z, qv.z, acc[j]);
              acc[j] = fmaf(xv[u].w, qv.w, acc[j]);
            }
          }
        }
      }
    } else {
      const float* x = base + r * dim;
      for (size_t i0 = 0; i0 < dim; i0 += 4 * 32) {
        float xv[4];
#pragma unroll
        for (int u = 0; u < 4; ++u) {
          const size_t i = i0 + u * 32 + lane;
          xv[u] = i < dim ? x[i] : 0.f;
        }
#pragma unroll
        for (int u = 0; u < 4; ++u) {
          const size_t i = i0 + u * 32 + lane;
          if (i >= dim) break;
#pragma unroll
          for (int j = 0; j < kRowMaxQ; ++j) {
            if (j < nq) acc[j] = fmaf(xv[u], q[j * dim + i], acc[j]);
          }
        }
      }
    }
#pragma unroll
    for (int j = 0; j < kRowMaxQ; ++j) {
      if (j < nq) {
        const float s = WarpSum(acc[j]);
        if (lane == 0) out[j * ld + r] = s;
      }
    }
  }
}

// ---- Tiled SGEMM ---------------------------------------------------------------------------
// C[m*ldc + n] = sum_k A[m*lda + k] * B(k, n), B(k, n) = kBKN ? B[k*ldb + n] : B[n*ldb + k].
// A block computes a BM x BN tile; thread (ty, tx) owns rows ty + i*TY and columns
// tx + j*TX (strided, so shared-memory reads are broadcast or conflict-free). Tiles
// are flattened into one grid dimension (no 65535 limit on either side).
template <int BM, int BN, int BK, int TM, int TN, bool kBKN>
__global__ void __launch_bounds__((BM / TM) * (BN / TN), 2)
    GemmKernel(const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C,
               size_t M, size_t N, size_t K, size_t lda, size_t ldb, size_t ldc,
               size_t n_tiles) {
  constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
  __shared__ float As[BK][BM + 4];
  __shared__ float Bs[BK][BN + 4];
  const int tid = threadIdx.x;
  const int tx = tid % TX, ty = tid / TX;
  const size_t tile = blockIdx.x;
  const size_t m0 = (tile / n_tiles) * BM, n0 = (tile % n_tiles) * BN;
  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;

  for (size_t k0 = 0; k0 < K; k0 += BK) {
    for (int e = tid; e < BM * BK; e += NT) {
      const int mm = e / BK, kk = e % BK;
      const size_t gm = m0 + mm, gk = k0 + kk;
      As[kk][mm] = (gm < M && gk < K) ? A[gm * lda + gk] : 0.f;
    }
    for (int e = tid; e < BN * BK; e += NT) {
      int nn, kk;
      if constexpr (kBKN) {
        kk = e / BN;
        nn = e % BN;
      } else {
        nn = e / BK;
        kk = e % BK;
      }
      const size_t gn = n0 + nn, gk = k0 + kk;
      float v = 0.f;
      if (gn < N && gk < K) v = kBKN ? B[gk * ldb + gn] : B[gn * ldb + gk];
      Bs[kk][nn] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = As[kk][ty + i * TY];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk][tx + j * TX];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const size_t gm = m0 + ty + i * TY;
    if (gm >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const size_t gn = n0 + tx + j * TX;
      if (gn < N) C[gm * ldc + gn] = acc[i][j];
    }
  }
}

template <int BM, int BN, int BK, int TM, int TN, bool kBKN>
void LaunchGemm(const float* A, const float* B, float* C, size_t M, size_t N, size_t K, size_t lda,
                size_t ldb, size_t ldc, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  const size_t m_tiles = CeilDiv(M, BM), n_tiles = CeilDiv(N, BN);
  const size_t blocks = m_tiles * n_tiles;
  if (blocks > 0x7fffffffu) Fail(EK_ERR_LIMIT, "CUDA GEMM: " + std::to_string(blocks) + " tiles");
  GemmKernel<BM, BN, BK, TM, TN, kBKN><<<static_cast<unsigned>(blocks), (BM / TM) * (BN / TN), 0,
                                         stream>>>(A, B, C, M, N, K, lda, ldb, ldc, n_tiles);
  CheckLaunch("GemmKernel");
}

// Picks a tile shape for M (the small side in searches: queries).
template <bool kBKN>
void Gemm(const float* A, const float* B, float* C, size_t M, size_t N, size_t K, size_t lda,
          size_t ldb, size_t ldc, cudaStream_t stream) {
  if (M <= 16) {
    LaunchGemm<16, 256, 8, 2, 8, kBKN>(A, B, C, M, N, K, lda, ldb, ldc, stream);
  } else if (M <= 64) {
    LaunchGemm<64, 128, 8, 4, 8, kBKN>(A, B, C, M, N, K, lda, ldb, ldc, stream);
  } else {
    LaunchGemm<128, 128, 8, 8, 8, kBKN>(A, B, C, M, N, K, lda, ldb, ldc, stream);
  }
}

// ---- Norms ---------------------------------------------------------------------------------
__global__ void SquaredNormKernel(const float* __restrict__ base, size_t rows, size_t dim,
                                  float* __restrict__ sq) {
  const unsigned lane = threadIdx.x & 31u;
  const size_t warp = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const size_t n_warps = (static_cast<size_t>(gridDim.x) * blockDim.x) / 32;
  for (size_t r = warp; r < rows; r += n_warps) {
    const float* x = base + r * dim;
    float acc = 0.f;
    for (size_t i = lane; i < dim; i += 32) acc = fmaf(x[i], x[i], acc);
    acc = WarpSum(acc);
    if (lane == 0) sq[r] = acc;
  }
}

__device__ __forceinline__ double WarpSumD(double v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// Same rule as the CPU Normalize (kernels.cc): the float sum of squares is trusted
// only inside [2^-60, FLT_MAX] (outside it, it overflowed or lost terms to underflow)
// and is otherwise redone in double, so every finite nonzero row becomes a unit
// vector. Reports the old norm (+inf beyond float range; 0 for an all-zero or NaN
// row, which is left as is, as is a row with an Inf component). The test on the
// warp-wide sum is uniform across the warp, so the shuffles stay converged.
__global__ void NormalizeKernel(float* __restrict__ v, size_t rows, size_t n,
                                float* __restrict__ norms) {
  const unsigned lane = threadIdx.x & 31u;
  const size_t warp = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const size_t n_warps = (static_cast<size_t>(gridDim.x) * blockDim.x) / 32;
  for (size_t r = warp; r < rows; r += n_warps) {
    float* x = v + r * n;
    float acc = 0.f;
    for (size_t i = lane; i < n; i += 32) acc = fmaf(x[i], x[i], acc);
    const float ss = WarpSum(acc);
    if (ss >= 0x1p-60f && ss <= FLT_MAX) {
      const float norm = sqrtf(ss);
      if (norms && lane == 0) norms[r] = norm;
      const float inv = 1.0f / norm;
      for (size_t i = lane; i < n; i += 32) x[i] *= inv;
      continue;
    }
    double accd = 0.0;
    for (size_t i = lane; i < n; i += 32) accd = fma(double(x[i]), double(x[i]), accd);
    const double ssd = WarpSumD(accd);
    const double norm = sqrt(ssd);
    if (norms && lane == 0) norms[r] = ssd > 0.0 ? float(norm) : 0.f;
    if (ssd > 0.0 && isfinite(norm)) {
      for (size_t i = lane; i < n; i += 32) x[i] = float(double(x[i]) / norm);
    }
  }
}

// ---- FWHT ----------------------------------------------------------------------------------
constexpr unsigned kFwhtShared = 4096;  // floats per block segment (16 KiB)
constexpr unsigned kFwhtThreads = 512;

// Stages h = 1 .. seg/2 of each contiguous segment of `seg` floats, in shared memory.
// Butterflies (x, y) -> (x + y, x - y) in the CPU's stage order: bit-identical.
__global__ void __launch_bounds__(kFwhtThreads)
    FwhtSharedKernel(float* __restrict__ v, size_t segments, unsigned seg) {
  extern __shared__ float s[];
  for (size_t g = blockIdx.x; g < segments; g += gridDim.x) {
    float* p = v + g * seg;
    for (unsigned i = threadIdx.x; i < seg; i += blockDim.x) s[i] = p[i];
    __syncthreads();
    for (unsigned h = 1; h < seg; h <<= 1) {
      for (unsigned t = threadIdx.x; t < seg / 2; t += blockDim.x) {
        const unsigned j = (t / h) * 2 * h + (t % h);
        const float x = s[j], y = s[j + h];
        s[j] = x + y;
        s[j + h] = x - y;
      }
      __syncthreads();
    }
    for (unsigned i = threadIdx.x; i < seg; i += blockDim.x) p[i] = s[i];
    __syncthreads();
  }
}

// One stage h (>= the shared segment) over every vector, in global memory.
__global__ void FwhtStageKernel(float* __restrict__ v, size_t count, size_t n, size_t h) {
  const size_t half = n / 2;
  const size_t total = count * half;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t t = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total;
       t += stride) {
    const size_t vec = t / half, u = t % half;
    const size_t j = (u / h) * 2 * h + (u % h);
    float* p = v + vec * n;
    const float x = p[j], y = p[j + h];
    p[j] = x + y;
    p[j + h] = x - y;
  }
}

}  // namespace

size_t CeilDiv(size_t a, size_t b) { return (a + b - 1) / b; }

unsigned GridFor(size_t work_items, unsigned per_block) {
  const size_t sms = static_cast<size_t>(std::max(1, Probe().sm_count));
  const size_t want = std::max<size_t>(1, CeilDiv(work_items, per_block));
  return static_cast<unsigned>(std::min(want, sms * 16));
}

size_t CheckedMul(size_t a, size_t b, const char* what) {
  if (a != 0 && b > SIZE_MAX / a)
    Fail(EK_ERR_INVALID_ARGUMENT, std::string("CUDA: ") + what + " overflows size_t");
  return a * b;
}

void Upload(void* dst, const void* src, size_t bytes, cudaStream_t s, const char* what) {
  if (bytes) Check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s), what);
}
void Download(void* dst, const void* src, size_t bytes, cudaStream_t s, const char* what) {
  if (bytes) Check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s), what);
}
void Finish(cudaStream_t s, const char* what) { Check(cudaStreamSynchronize(s), what); }
void Require(bool ok, const char* fn, const char* what) {
  if (!ok) Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": " + what + " is NULL");
}

void LaunchDotScores(const float* q, size_t nq, const float* base, size_t rows, size_t dim,
                     float* out, size_t ld, cudaStream_t stream) {
  if (nq == 0 || rows == 0) return;
  if (nq <= static_cast<size_t>(kRowMaxQ)) {
    const unsigned grid = GridFor(rows, kRowThreads / 32);
    if (dim % 4 == 0 && Aligned16(q) && Aligned16(base)) {
      RowDotKernel<true><<<grid, kRowThreads, 0, stream>>>(q, static_cast<int>(nq), base, rows, dim,
                                                           out, ld);
    } else {
      RowDotKernel<false><<<grid, kRowThreads, 0, stream>>>(q, static_cast<int>(nq), base, rows,
                                                            dim, out, ld);
    }
    CheckLaunch("RowDotKernel");
    return;
  }
  // Scores = Q (nq x dim) * B^T (dim x rows).
  Gemm<false>(q, base, out, nq, rows, dim, dim, dim, ld, stream);
}

void LaunchMatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c,
                  cudaStream_t stream) {
  Gemm<true>(a, b, c, m, n, k, k, n, n, stream);
}

void LaunchSquaredNorms(const float* base, size_t rows, size_t dim, float* sq,
                        cudaStream_t stream) {
  if (rows == 0) return;
  SquaredNormKernel<<<GridFor(rows, 8), 256, 0, stream>>>(base, rows, dim, sq);
  CheckLaunch("SquaredNormKernel");
}

void LaunchNormalizeRows(float* v, size_t rows, size_t n, float* norms, cudaStream_t stream) {
  if (rows == 0) return;
  NormalizeKernel<<<GridFor(rows, 8), 256, 0, stream>>>(v, rows, n, norms);
  CheckLaunch("NormalizeKernel");
}

void LaunchFwht(float* v, size_t count, size_t n, cudaStream_t stream) {
  if (count == 0 || n < 2) return;
  const unsigned seg = static_cast<unsigned>(std::min<size_t>(n, kFwhtShared));
  const size_t segments = count * (n / seg);
  const unsigned grid = static_cast<unsigned>(
      std::min<size_t>(segments, static_cast<size_t>(std::max(1, Probe().sm_count)) * 8));
  FwhtSharedKernel<<<grid, kFwhtThreads, seg * sizeof(float), stream>>>(v, segments, seg);
  CheckLaunch("FwhtSharedKernel");
  for (size_t h = seg; h < n; h <<= 1) {
    FwhtStageKernel<<<GridFor(count * (n / 2), 256), 256, 0, stream>>>(v, count, n, h);
    CheckLaunch("FwhtStageKernel");
  }
}

}  // namespace detail

// ---- Host-buffer entry points ----------------------------------------------------------------
using detail::Check;
using detail::CheckedMul;
using detail::Download;
using detail::Finish;
using detail::Require;
using detail::Upload;

void DotMany(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  if (rows == 0) return;
  Require(out, "cuda::DotMany", "out");
  Require(dim == 0 || (q && base), "cuda::DotMany", "q or base");
  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  const size_t base_bytes = CheckedMul(CheckedMul(rows, dim, "rows x dim"), 4, "base bytes");
  float* dq = static_cast<float*>(d.a.Reserve(dim * 4, "query"));
  float* db = static_cast<float*>(d.b.Reserve(base_bytes, "base"));
  float* dout = static_cast<float*>(d.c.Reserve(rows * 4, "scores"));
  Upload(dq, q, dim * 4, d.compute, "cudaMemcpyAsync(query)");
  Upload(db, base, base_bytes, d.compute, "cudaMemcpyAsync(base)");
  detail::LaunchDotScores(dq, 1, db, rows, dim, dout, rows, d.compute);
  Download(out, dout, rows * 4, d.compute, "cudaMemcpyAsync(scores)");
  Finish(d.compute, "cuda::DotMany");
}

void DotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                 size_t dim, float* out) {
  if (n_queries == 0 || rows == 0) return;
  Require(out, "cuda::DotManyMany", "out");
  Require(dim == 0 || (queries && base), "cuda::DotManyMany", "queries or base");
  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  const size_t q_bytes = CheckedMul(CheckedMul(n_queries, dim, "queries x dim"), 4, "bytes");
  const size_t b_bytes = CheckedMul(CheckedMul(rows, dim, "rows x dim"), 4, "bytes");
  const size_t o_bytes = CheckedMul(CheckedMul(n_queries, rows, "queries x rows"), 4, "bytes");
  float* dq = static_cast<float*>(d.a.Reserve(q_bytes, "queries"));
  float* db = static_cast<float*>(d.b.Reserve(b_bytes, "base"));
  float* dout = static_cast<float*>(d.c.Reserve(o_bytes, "scores"));
  Upload(dq, queries, q_bytes, d.compute, "cudaMemcpyAsync(queries)");
  Upload(db, base, b_bytes, d.compute, "cudaMemcpyAsync(base)");
  detail::LaunchDotScores(dq, n_queries, db, rows, dim, dout, rows, d.compute);
  Download(out, dout, o_bytes, d.compute, "cudaMemcpyAsync(scores)");
  Finish(d.compute, "cuda::DotManyMany");
}

void NormalizeRows(float* v, size_t rows, size_t n, float* old_norms) {
  if (rows == 0) return;
  Require(n == 0 || v, "cuda::NormalizeRows", "v");
  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  const size_t bytes = CheckedMul(CheckedMul(rows, n, "rows x n"), 4, "bytes");
  float* dv = static_cast<float*>(d.a.Reserve(bytes, "vectors"));
  float* dn = static_cast<float*>(d.b.Reserve(rows * 4, "norms"));
  Upload(dv, v, bytes, d.compute, "cudaMemcpyAsync(vectors)");
  detail::LaunchNormalizeRows(dv, rows, n, dn, d.compute);
  Download(v, dv, bytes, d.compute, "cudaMemcpyAsync(vectors)");
  if (old_norms) Download(old_norms, dn, rows * 4, d.compute, "cudaMemcpyAsync(norms)");
  Finish(d.compute, "cuda::NormalizeRows");
}

void Fwht(float* v, size_t count, size_t n) {
  if ((n & (n - 1)) != 0)
    Fail(EK_ERR_INVALID_ARGUMENT, "cuda::Fwht: n = " + std::to_string(n) + " is not a power of two");
  if (count == 0 || n < 2) return;
  Require(v, "cuda::Fwht", "v");
  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  const size_t bytes = CheckedMul(CheckedMul(count, n, "count x n"), 4, "bytes");
  float* dv = static_cast<float*>(d.a.Reserve(bytes, "vectors"));
  Upload(dv, v, bytes, d.compute, "cudaMemcpyAsync(vectors)");
  detail::LaunchFwht(dv, count, n, d.compute);
  Download(v, dv, bytes, d.compute, "cudaMemcpyAsync(vectors)");
  Finish(d.compute, "cuda::Fwht");
}

void MatVec(const float* m, size_t rows, size_t cols, const float* x, float* y) {
  DotMany(x, m, rows, cols, y);
}

void MatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c) {
  if (m == 0 || n == 0) return;
  Require(c, "cuda::MatMul", "c");
  Require(k == 0 || (a && b), "cuda::MatMul", "a or b");
  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  const size_t a_bytes = CheckedMul(CheckedMul(m, k, "m x k"), 4, "bytes");
  const size_t b_bytes = CheckedMul(CheckedMul(k, n, "k x n"), 4, "bytes");
  const size_t c_bytes = CheckedMul(CheckedMul(m, n, "m x n"), 4, "bytes");
  float* da = static_cast<float*>(d.a.Reserve(a_bytes, "a"));
  float* db = static_cast<float*>(d.b.Reserve(b_bytes, "b"));
  float* dc = static_cast<float*>(d.c.Reserve(c_bytes, "c"));
  Upload(da, a, a_bytes, d.compute, "cudaMemcpyAsync(a)");
  Upload(db, b, b_bytes, d.compute, "cudaMemcpyAsync(b)");
  detail::LaunchMatMul(da, db, m, k, n, dc, d.compute);
  Download(c, dc, c_bytes, d.compute, "cudaMemcpyAsync(c)");
  Finish(d.compute, "cuda::MatMul");
}

}  // namespace ek::cuda
