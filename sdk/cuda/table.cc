// The ek_kernels table of backend "cuda". A plugin's buffers live in host memory, so
// a kernel only goes to the GPU when its arithmetic outweighs the bus: many-vs-many
// dot products, matrix products and MBAT bindings above a size where the copies are a
// small part of the time. Everything else is the CPU table's function (Highway SIMD). The C table
// has no error channel, so a GPU failure (out of memory, a lost device) quietly
// answers on the CPU: same results within float rounding.
#include <algorithm>
#include <cstddef>

#include "cuda/cuda_backend.h"
#include "kernels/kernels.h"

namespace ek::cuda {
namespace {

// Multiply-adds below which the CPU answers (about 0.25 ms of an H200's SGEMM,
// several ms on the CPU), and the smallest "many" side worth a GEMM: with fewer
// queries per base row the kernel is bound by the PCIe copy of the base.
constexpr size_t kMinGpuMacs = size_t{1} << 30;
constexpr size_t kMinReuse = 32;

bool WorthGpu(size_t a, size_t b, size_t c) {
  if (a == 0 || b == 0 || c == 0) return false;
  if (std::min(a, b) < kMinReuse) return false;
  if (a > SIZE_MAX / b || a * b > SIZE_MAX / c) return true;
  return a * b * c >= kMinGpuMacs;
}

void TableDotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                      size_t dim, float* out) {
  if (WorthGpu(n_queries, rows, dim) && Probe().available) {
    try {
      DotManyMany(queries, n_queries, base, rows, dim, out);
      return;
    } catch (...) {
    }
  }
  kernels::CpuKernelTable()->dot_many_many(queries, n_queries, base, rows, dim, out);
}

void TableMatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c) {
  if (WorthGpu(m, n, k) && Probe().available) {
    try {
      MatMul(a, b, m, k, n, c);
      return;
    } catch (...) {
    }
  }
  kernels::CpuKernelTable()->matmul(a, b, m, k, n, c);
}

// A BPR block goes to the GPU when its triples outnumber the rows copied there and
// back by a wide margin (every call moves all of p and q, and the Adam moments, both
// ways over the bus, while the CPU touches only 3 rows per triple): at least 65,536
// triples and 4 x (users + items), x 3 with Adam. Smaller blocks, and any failure, run
// on the CPU. A caller that wants the GPU passes large blocks one at a time (the GPU
// writes back the rows a block touched; concurrent blocks over the same rows would
// lose their updates to them).
constexpr size_t kMinGpuTriples = size_t{1} << 16;

bool BprWorthGpu(const ek_bpr_params* a, size_t n) {
  if (!a || a->struct_size < sizeof(ek_bpr_params) || n < kMinGpuTriples) return false;
  const size_t rows = size_t{a->users} + a->items;
  return n >= 4 * rows * (a->m_p ? 3 : 1);
}

double TableBprStep(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n,
                    uint64_t* out_reverse) {
  if (BprWorthGpu(params, n) && Probe().available) {
    try {  // refuses bad arguments itself (NaN, nothing written), as the CPU step does
      return BprStep(params, triples, n, out_reverse);
    } catch (...) {
    }
  }
  return kernels::CpuKernelTable()->bpr_step(params, triples, n, out_reverse);
}

// MBAT binding: a structured batch goes to the GPU from 2^20 floats (4 MiB, e.g. 1,024
// vectors of 1,024), where the copies both ways (about 0.3 ms at PCIe speed) are well
// under the CPU's time for the same work (a few ms on the build machine's 2 cores:
// docs/performance.md's MBAT row). A dense batch follows the SGEMM rule above. The
// GPU's structured result is bit-identical to the CPU's (mbat.cu); bad arguments are
// refused by the CPU entry before anything is copied.
constexpr size_t kMinGpuBindFloats = size_t{1} << 20;

ek_status TableBindStructured(const float* signs, size_t rounds, const uint32_t* perm, float* v,
                              size_t count, size_t n, uint32_t transpose) {
  const bool valid = n != 0 && (n & (n - 1)) == 0 && count <= SIZE_MAX / n && v && perm &&
                     (rounds == 0 || signs);
  if (valid && count * n >= kMinGpuBindFloats && Probe().available) {
    try {
      cuda::BindStructured(kernels::StructuredRole{signs, rounds, perm}, v, count, n, transpose != 0);
      return EK_OK;
    } catch (...) {  // v is only written by the final download: the CPU starts afresh
    }
  }
  return kernels::CpuKernelTable()->bind_structured(signs, rounds, perm, v, count, n, transpose);
}

ek_status TableBindDense(const float* m, size_t n, const float* v, size_t count, float* out,
                         uint32_t transpose) {
  if (m && v && out && WorthGpu(count, n, n) && Probe().available) {
    try {
      cuda::BindDense(m, n, v, count, out, transpose != 0);
      return EK_OK;
    } catch (...) {
    }
  }
  return kernels::CpuKernelTable()->bind_dense(m, n, v, count, out, transpose);
}

ek_kernels MakeTable() {
  ek_kernels t = *kernels::CpuKernelTable();
  t.backend = "cuda";
  t.dot_many_many = &TableDotManyMany;
  t.matmul = &TableMatMul;
  t.bpr_step = &TableBprStep;
  t.bind_structured = &TableBindStructured;
  t.bind_dense = &TableBindDense;
  return t;
}

}  // namespace

const ek_kernels* KernelTable() {
  static const ek_kernels table = MakeTable();
  return &table;
}

}  // namespace ek::cuda
