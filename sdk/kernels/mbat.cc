// MBAT binding of a batch of vectors on the CPU: the structured role (sign diagonals,
// Walsh-Hadamard transforms, a permutation) and the dense role (a matrix product).
// These are what plugins/vsa_json's binders do one vector at a time, as batch
// operations with the same arithmetic in the same order, so the CUDA backend's
// versions (sdk/cuda/mbat.cu) can be checked against them and benchmarked beside them.
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/kernels.h"

namespace ek::kernels {
namespace {

void MulInPlace(float* __restrict v, const float* __restrict s, size_t n) {
  for (size_t i = 0; i < n; ++i) v[i] *= s[i];
}

// One vector: forward P (H S_R) ... (H S_1) v, or its transpose; scratch holds n floats.
void BindOne(const StructuredRole& r, float* v, size_t n, bool transpose, float* scratch) {
  if (!transpose) {
    for (size_t k = 0; k < r.rounds; ++k) {
      MulInPlace(v, r.signs + k * n, n);
      Fwht(v, n);
    }
    for (size_t i = 0; i < n; ++i) scratch[i] = v[r.perm[i]];
  } else {
    for (size_t i = 0; i < n; ++i) scratch[r.perm[i]] = v[i];
    std::memcpy(v, scratch, n * sizeof(float));
    for (size_t k = r.rounds; k-- > 0;) {
      Fwht(v, n);
      MulInPlace(v, r.signs + k * n, n);
    }
    return;
  }
  std::memcpy(v, scratch, n * sizeof(float));
}

}  // namespace

void BindStructured(const StructuredRole& role, float* v, size_t count, size_t n, bool transpose,
                    ThreadPool* pool) {
  if (n & (n - 1))
    Fail(EK_ERR_INVALID_ARGUMENT, "BindStructured: n = " + std::to_string(n) + " is not a power of two");
  if (count == 0 || n == 0) return;
  if (!v || !role.perm || (role.rounds && !role.signs))
    Fail(EK_ERR_INVALID_ARGUMENT, "BindStructured: NULL vectors, signs or permutation");
  ParallelFor(pool, count, 16, [&](size_t b, size_t e) {
    std::vector<float> scratch(n);
    for (size_t j = b; j < e; ++j) BindOne(role, v + j * n, n, transpose, scratch.data());
  });
}

void BindDense(const float* m, size_t n, const float* v, size_t count, float* out, bool transpose,
               ThreadPool* pool) {
  if (count == 0 || n == 0) return;
  if (!m || !v || !out) Fail(EK_ERR_INVALID_ARGUMENT, "BindDense: NULL matrix, vectors or output");
  if (transpose) {
    MatMul(v, m, count, n, n, out, pool);  // out[j][c] = sum_r v[j][r] M[r][c]
  } else {
    DotManyMany(v, count, m, n, n, out, pool);  // out[j][r] = dot(v[j], M[r])
  }
}

}  // namespace ek::kernels
