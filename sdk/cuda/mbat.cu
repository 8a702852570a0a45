// MBAT binding of a batch on the GPU (cuda_backend.h): the structured role as
// rounds x (sign diagonal, batched FWHT) and a permutation, and the dense role as an
// SGEMM. Each structured step is the CPU's arithmetic in the CPU's order (one float
// multiply per element, the same FWHT butterflies, an exact gather), so the results
// are bit-identical to kernels::BindStructured; the dense product is the tiled SGEMM
// of kernels.cu.
//
// The steps are separate grid-stride kernels over global memory: a batch of 65,536
// vectors of 1,024 floats is 256 MiB, each pass bandwidth-bound, and the batched FWHT
// already does its first 12 stages in shared memory.
#include <string>

#include "base/error.h"
#include "cuda/internal.cuh"

namespace ek::cuda {
namespace detail {
namespace {

// v[j*n + i] *= s[i] for every vector j.
__global__ void MulSignsKernel(float* __restrict__ v, size_t count, size_t n,
                               const float* __restrict__ s) {
  const size_t total = count * n;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t t = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total;
       t += stride) {
    v[t] *= s[t % n];
  }
}

// Forward: dst[j*n + i] = src[j*n + perm[i]]; transpose: dst[j*n + perm[i]] = src[j*n + i].
template <bool kTranspose>
__global__ void PermuteKernel(const float* __restrict__ src, float* __restrict__ dst, size_t count,
                              size_t n, const uint32_t* __restrict__ perm) {
  const size_t total = count * n;
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t t = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; t < total;
       t += stride) {
    const size_t j = t / n, i = t % n;
    if constexpr (kTranspose) {
      dst[j * n + perm[i]] = src[t];
    } else {
      dst[t] = src[j * n + perm[i]];
    }
  }
}

void LaunchMulSigns(float* v, size_t count, size_t n, const float* s, cudaStream_t stream) {
  MulSignsKernel<<<GridFor(count * n, 256), 256, 0, stream>>>(v, count, n, s);
  CheckLaunch("MulSignsKernel");
}

void LaunchPermute(const float* src, float* dst, size_t count, size_t n, const uint32_t* perm,
                   bool transpose, cudaStream_t stream) {
  const unsigned grid = GridFor(count * n, 256);
  if (transpose) {
    PermuteKernel<true><<<grid, 256, 0, stream>>>(src, dst, count, n, perm);
  } else {
    PermuteKernel<false><<<grid, 256, 0, stream>>>(src, dst, count, n, perm);
  }
  CheckLaunch("PermuteKernel");
}

}  // namespace
}  // namespace detail

using detail::CheckedMul;

void BindStructured(const kernels::StructuredRole& role, float* v, size_t count, size_t n,
                    bool transpose) {
  if (n & (n - 1))
    Fail(EK_ERR_INVALID_ARGUMENT,
         "cuda::BindStructured: n = " + std::to_string(n) + " is not a power of two");
  if (count == 0 || n == 0) return;
  detail::Require(v && role.perm && (role.rounds == 0 || role.signs), "cuda::BindStructured",
                  "vectors, signs or permutation");
  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  cudaStream_t s = d.compute;
  const size_t bytes = CheckedMul(CheckedMul(count, n, "count x n"), 4, "vector bytes");
  const size_t sign_bytes = CheckedMul(CheckedMul(role.rounds, n, "rounds x n"), 4, "sign bytes");
  float* dv = static_cast<float*>(d.a.Reserve(bytes, "vectors"));
  float* dt = static_cast<float*>(d.b.Reserve(bytes, "permuted vectors"));
  float* ds = static_cast<float*>(d.c.Reserve(sign_bytes ? sign_bytes : 4, "signs"));
  uint32_t* dp = static_cast<uint32_t*>(d.d.Reserve(n * 4, "permutation"));
  detail::Upload(dv, v, bytes, s, "cudaMemcpyAsync(vectors)");
  detail::Upload(ds, role.signs, sign_bytes, s, "cudaMemcpyAsync(signs)");
  detail::Upload(dp, role.perm, n * 4, s, "cudaMemcpyAsync(permutation)");
  float* result = dt;
  if (!transpose) {
    for (size_t k = 0; k < role.rounds; ++k) {
      detail::LaunchMulSigns(dv, count, n, ds + k * n, s);
      detail::LaunchFwht(dv, count, n, s);
    }
    detail::LaunchPermute(dv, dt, count, n, dp, false, s);
  } else {
    detail::LaunchPermute(dv, dt, count, n, dp, true, s);
    for (size_t k = role.rounds; k-- > 0;) {
      detail::LaunchFwht(dt, count, n, s);
      detail::LaunchMulSigns(dt, count, n, ds + k * n, s);
    }
  }
  detail::Download(v, result, bytes, s, "cudaMemcpyAsync(bound vectors)");
  detail::Finish(s, "cuda::BindStructured");
}

void BindDense(const float* m, size_t n, const float* v, size_t count, float* out, bool transpose) {
  if (count == 0 || n == 0) return;
  detail::Require(m && v && out, "cuda::BindDense", "matrix, vectors or output");
  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  cudaStream_t s = d.compute;
  const size_t m_bytes = CheckedMul(CheckedMul(n, n, "n x n"), 4, "matrix bytes");
  const size_t v_bytes = CheckedMul(CheckedMul(count, n, "count x n"), 4, "vector bytes");
  float* dm = static_cast<float*>(d.a.Reserve(m_bytes, "role matrix"));
  float* dv = static_cast<float*>(d.b.Reserve(v_bytes, "vectors"));
  float* dout = static_cast<float*>(d.c.Reserve(v_bytes, "bound vectors"));
  detail::Upload(dm, m, m_bytes, s, "cudaMemcpyAsync(role matrix)");
  detail::Upload(dv, v, v_bytes, s, "cudaMemcpyAsync(vectors)");
  if (transpose) {
    detail::LaunchMatMul(dv, dm, count, n, n, dout, s);  // V M
  } else {
    detail::LaunchDotScores(dv, count, dm, n, n, dout, n, s);  // V M^T
  }
  detail::Download(out, dout, v_bytes, s, "cudaMemcpyAsync(bound vectors)");
  detail::Finish(s, "cuda::BindDense");
}

}  // namespace ek::cuda
