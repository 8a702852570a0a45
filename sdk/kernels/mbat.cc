// MBAT binding of a batch of vectors on the CPU: the structured role (sign diagonals,
// Walsh-Hadamard transforms, a permutation) and the dense role (a matrix product).
// This is the one binder: plugins/vsa_json binds every role through the kernel table's
// bind_structured / bind_dense (the table adapters at the end), and the CUDA backend's
// versions (sdk/cuda/mbat.cu) are checked against these and take large batches.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/aligned_buffer.h"
#include "kernels/kernels.h"

namespace ek::kernels {
namespace {

// One vector: forward P (H S_R) ... (H S_1) v, or its transpose; scratch holds n floats.
// Mul, Fwht and the permutation are exact float steps in a fixed order, so the result
// is the same on every target.
// The rounds run in the scratch (the first sign diagonal reads v, the permutation or
// the last diagonal writes v back), so no copy of v is made: a 4 KB memcpy (glibc's
// rep movsb) cost as much as a round on the AVX2 host.
void BindOne(const StructuredRole& r, float* v, size_t n, bool transpose, float* scratch) {
  if (r.rounds == 0) {
    if (transpose) {
      Scatter(v, r.perm, scratch, n);
    } else {
      Gather(v, r.perm, scratch, n);
    }
    std::memcpy(v, scratch, n * sizeof(float));
    return;
  }
  if (!transpose) {
    MulTo(r.signs, v, scratch, n);
    Fwht(scratch, n);
    for (size_t k = 1; k < r.rounds; ++k) {
      Mul(r.signs + k * n, scratch, n);
      Fwht(scratch, n);
    }
    Gather(scratch, r.perm, v, n);
    return;
  }
  Scatter(v, r.perm, scratch, n);
  for (size_t k = r.rounds; k-- > 1;) {
    Fwht(scratch, n);
    Mul(r.signs + k * n, scratch, n);
  }
  Fwht(scratch, n);
  MulTo(r.signs, scratch, v, n);
}

// acc += (forward role) x + w x without writing x: the first sign diagonal reads x into
// the scratch, the permutation reads the scratch into the accumulation. Each element
// sees the multiplies and adds of the step-by-step binding, so the bits are the same.
void BindAddOne(const StructuredRole& r, const float* x, float w, float* acc, size_t n, float* scratch) {
  const float* bound = x;
  for (size_t k = 0; k < r.rounds; ++k) {
    if (k == 0) {
      MulTo(r.signs, x, scratch, n);
    } else {
      Mul(r.signs + k * n, scratch, n);
    }
    Fwht(scratch, n);
    bound = scratch;
  }
  GatherAdd(bound, r.perm, x, w, acc, n);
}

// n floats of scratch for the calling thread, kept between calls: plugins bind one
// vector at a time in their hot loop (count 1), where an allocation per call costs
// more than the binding. 64-byte aligned: the Walsh-Hadamard rounds run in it, and
// with malloc's 16-byte alignment half their vector loads split a cache line. Grows
// (and may throw std::bad_alloc) when n grows.
float* ThreadScratch(size_t n) {
  static thread_local detail::AlignedFloats scratch;
  static thread_local size_t size = 0;
  if (size < n) {
    scratch = detail::AllocateFloats(n);
    size = n;
  }
  return scratch.get();
}

// One vector of a dense role, as a plugin binding one vector at a time always did:
// forward a matrix-vector product, transpose a sum of the matrix rows scaled by v.
void DenseOne(const float* m, size_t n, const float* v, float* out, bool transpose) {
  if (!transpose) {
    MatVec(m, n, n, v, out);
    return;
  }
  std::fill(out, out + n, 0.0f);
  for (size_t row = 0; row < n; ++row) Axpy(v[row], m + row * n, out, n);
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
    float* scratch = ThreadScratch(n);
    for (size_t j = b; j < e; ++j) BindOne(role, v + j * n, n, transpose, scratch);
  });
}

void BindDense(const float* m, size_t n, const float* v, size_t count, float* out, bool transpose,
               ThreadPool* pool) {
  if (count == 0 || n == 0) return;
  if (!m || !v || !out) Fail(EK_ERR_INVALID_ARGUMENT, "BindDense: NULL matrix, vectors or output");
  if (count < kDenseBatchMinCount) {
    for (size_t j = 0; j < count; ++j) DenseOne(m, n, v + j * n, out + j * n, transpose);
  } else if (transpose) {
    MatMul(v, m, count, n, n, out, pool);  // out[j][c] = sum_r v[j][r] M[r][c]
  } else {
    DotManyMany(v, count, m, n, n, out, pool);  // out[j][r] = dot(v[j], M[r])
  }
}

// ---- The kernel table's entries: refusals as a status, no exception escapes ------------
namespace {
bool SizeFits(size_t count, size_t n) { return n == 0 || count <= SIZE_MAX / n; }
}  // namespace

ek_status TableBindStructured(const float* signs, size_t rounds, const uint32_t* perm, float* v,
                              size_t count, size_t n, uint32_t transpose) {
  if ((n & (n - 1)) != 0 || !SizeFits(count, n)) return EK_ERR_INVALID_ARGUMENT;
  if (count == 0 || n == 0) return EK_OK;
  if (!v || !perm || (rounds > 0 && !signs)) return EK_ERR_INVALID_ARGUMENT;
  float* scratch = nullptr;
  try {
    scratch = ThreadScratch(n);
  } catch (...) {
    return EK_ERR_OUT_OF_MEMORY;
  }
  const StructuredRole role{signs, rounds, perm};
  for (size_t j = 0; j < count; ++j) BindOne(role, v + j * n, n, transpose != 0, scratch);
  return EK_OK;
}

ek_status TableBindStructuredAdd(const float* signs, size_t rounds, const uint32_t* perm, const float* x,
                                 float w, float* acc, size_t n) {
  if ((n & (n - 1)) != 0) return EK_ERR_INVALID_ARGUMENT;
  if (n == 0) return EK_OK;
  if (!x || !acc || !perm || (rounds > 0 && !signs)) return EK_ERR_INVALID_ARGUMENT;
  float* scratch = nullptr;
  try {
    scratch = ThreadScratch(n);
  } catch (...) {
    return EK_ERR_OUT_OF_MEMORY;
  }
  BindAddOne(StructuredRole{signs, rounds, perm}, x, w, acc, n, scratch);
  return EK_OK;
}

ek_status TableBindDense(const float* m, size_t n, const float* v, size_t count, float* out,
                         uint32_t transpose) {
  if (!SizeFits(count, n)) return EK_ERR_INVALID_ARGUMENT;
  if (count == 0 || n == 0) return EK_OK;
  if (!m || !v || !out) return EK_ERR_INVALID_ARGUMENT;
  try {
    BindDense(m, n, v, count, out, transpose != 0, nullptr);
  } catch (...) {  // the tile kernels allocate their packed panels
    return EK_ERR_OUT_OF_MEMORY;
  }
  return EK_OK;
}

}  // namespace ek::kernels
