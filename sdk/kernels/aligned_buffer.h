// 64-byte aligned float scratch (packed panels, thresholds). Not hwy::AllocateAligned:
// that lives in libhwy, which the header-only WASM build of Highway does not have.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace ek::kernels::detail {

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;

inline AlignedFloats AllocateFloats(size_t n) {
  const size_t bytes = ((n == 0 ? 1 : n) * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  return AlignedFloats(static_cast<float*>(p));
}

}  // namespace ek::kernels::detail
