// Runs a test body once per SIMD target that is both compiled into ek_kernels and
// supported by this CPU, pinning dispatch with hwy::SetSupportedTargetsForTest.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "hwy/targets.h"
#include "kernels/kernels.h"

namespace ek::kernels::testing {

#if defined(HWY_COMPILE_ONLY_STATIC)
// Static dispatch (the WASM build, header-only Highway): one target, no pinning.
inline std::vector<int64_t> TargetsToTest() { return {CompiledSimdTargets()}; }
struct TargetPin {
  explicit TargetPin(int64_t) {}
};
#else
inline std::vector<int64_t> TargetsToTest() {
  std::vector<int64_t> out;
  int64_t mask = CompiledSimdTargets() & hwy::SupportedTargets();
  for (; mask != 0; mask &= mask - 1) out.push_back(mask & -mask);
  return out;
}

// Restores normal dispatch even when an ASSERT leaves the body early.
struct TargetPin {
  explicit TargetPin(int64_t t) { hwy::SetSupportedTargetsForTest(t); }
  ~TargetPin() { hwy::SetSupportedTargetsForTest(0); }
};
#endif

template <class Body>
void ForEachTarget(const Body& body) {
  const auto targets = TargetsToTest();
  ASSERT_FALSE(targets.empty());
  for (int64_t t : targets) {
    TargetPin pin(t);
    SCOPED_TRACE(std::string("target ") + hwy::TargetName(t));
    // Dispatch really goes to the pinned target.
    ASSERT_STREQ(SimdTargetName(), hwy::TargetName(t));
    body();
    if (::testing::Test::HasFatalFailure()) return;
  }
}

inline std::vector<float> RandomVector(size_t n, uint32_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Error bound for a float sum of n terms whose absolute values sum to `mag`
// (different accumulation orders; the reference sums in double).
inline double SumTol(size_t n, double mag) {
  return 4e-7 * (std::sqrt(double(n)) + 2.0) * mag + 1e-30;
}

// Expects fn() to throw ek::Error with EK_ERR_INVALID_ARGUMENT (the kernels' refusal).
template <class Fn>
void ExpectInvalid(Fn fn) {
  try {
    fn();
    ADD_FAILURE() << "no ek::Error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EK_ERR_INVALID_ARGUMENT) << e.what();
  }
}

}  // namespace ek::kernels::testing
