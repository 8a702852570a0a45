// Helpers shared by the CUDA backend's test files.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/bind_bpr_fixtures.h"
#include "base/thread_pool.h"
#include "cuda/cuda_backend.h"

// GPU parity tests skip, with the probe's reason, where no CUDA device answers.
#define SKIP_WITHOUT_GPU()                                                                  \
  do {                                                                                      \
    if (!ek::cuda::Probe().available)                                                       \
      GTEST_SKIP() << "no CUDA device answers, GPU parity not checked here: "               \
                   << ek::cuda::Probe().reason;                                             \
  } while (0)

namespace ek::cuda_test {

// Uniform floats in [lo, hi) (the fixtures' generator, under the name these tests use).
inline std::vector<float> Random(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  return test_fixtures::Uniform(n, seed, lo, hi);
}

// The GPU parity fixtures' base: skips without a device; default scan tuning and no
// resident copies left behind.
class GpuParityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_GPU();
    cuda::SetScanTuning({});
  }
  void TearDown() override {
    if (cuda::Probe().available) {
      cuda::SetScanTuning({});
      cuda::ReleaseResident();
    }
  }
  ThreadPool pool_{4};
};

// |gpu - cpu| within rel x the larger magnitude (at least 1e-6).
inline void ExpectClose(float gpu, float cpu, double rel, const std::string& where) {
  const double tol = rel * std::max({std::fabs(double(cpu)), std::fabs(double(gpu)), 1e-6});
  EXPECT_NEAR(gpu, cpu, tol) << where;
}

}  // namespace ek::cuda_test
