// The ek_kernels table of backend "cuda". A plugin's buffers live in host memory, so
// a kernel only goes to the GPU when its arithmetic outweighs the bus: many-vs-many
// dot products and matrix products above a size where the copies are a small part of
// the time. Everything else is the CPU table's function (Highway SIMD). The C table
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

ek_kernels MakeTable() {
  ek_kernels t = *kernels::CpuKernelTable();
  t.backend = "cuda";
  t.dot_many_many = &TableDotManyMany;
  t.matmul = &TableMatMul;
  return t;
}

}  // namespace

const ek_kernels* KernelTable() {
  static const ek_kernels table = MakeTable();
  return &table;
}

}  // namespace ek::cuda
