// Fwht against the O(n^2) Hadamard matrix and TopK against a full sort, per target.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "base/error.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "target_loop.h"

namespace ek::kernels {
namespace {

using testing::ForEachTarget;
using testing::RandomVector;

// H[i][j] = (-1)^popcount(i & j): the unnormalised Sylvester-Hadamard matrix.
std::vector<double> HadamardTimes(const std::vector<float>& x) {
  const size_t n = x.size();
  std::vector<double> y(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < n; ++j) s += (std::popcount(i & j) & 1) ? -double(x[j]) : double(x[j]);
    y[i] = s;
  }
  return y;
}

TEST(FwhtTest, MatchesHadamardMatrixAndScalarButterfly) {
  ForEachTarget([] {
    for (size_t n = 1; n <= 8192; n *= 2) {
      SCOPED_TRACE("n=" + std::to_string(n));
      std::vector<float> x = RandomVector(n, uint32_t(n));
      std::vector<float> buf(n + 1);
      std::copy(x.begin(), x.end(), buf.begin() + 1);  // unaligned
      float* v = buf.data() + 1;
      Fwht(v, n);
      // Bit-identical to the scalar butterfly (same stage order, exact +-).
      std::vector<float> ref = x;
      reference::Fwht(ref.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(v[i], ref[i]) << "i=" << i;
      if (n <= 2048) {
        const std::vector<double> h = HadamardTimes(x);
        double mag = 0;
        for (float e : x) mag += std::fabs(e);
        for (size_t i = 0; i < n; ++i) ASSERT_NEAR(v[i], h[i], 1e-6 * mag * std::log2(2.0 * n));
      }
    }
  });
}

TEST(FwhtTest, TwiceIsNTimesIdentity) {
  ForEachTarget([] {
    for (size_t n : {1, 2, 4, 16, 64, 256, 4096, 16384}) {
      // Small integers: every intermediate is exact, so the identity holds exactly.
      std::mt19937 rng{uint32_t(n)};
      std::vector<float> x(n);
      for (float& e : x) e = float(int(rng() % 17) - 8);
      std::vector<float> v = x;
      Fwht(v.data(), n);
      Fwht(v.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(v[i], float(n) * x[i]) << "n=" << n << " i=" << i;
      // Random floats: equal up to rounding.
      std::vector<float> r = RandomVector(n, 5), w = r;
      Fwht(w.data(), n);
      Fwht(w.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_NEAR(w[i], float(n) * r[i], 1e-5 * n);
    }
  });
}

TEST(FwhtTest, RejectsNonPowerOfTwo) {
  std::vector<float> v(12, 1.0f);
  for (size_t n : {3, 5, 6, 12}) {
    try {
      Fwht(v.data(), n);
      FAIL() << "n=" << n << " accepted";
    } catch (const ek::Error& e) {
      EXPECT_EQ(e.status(), EK_ERR_INVALID_ARGUMENT);
      EXPECT_NE(std::string(e.what()).find("power of two"), std::string::npos);
    }
  }
  EXPECT_EQ(v[0], 1.0f);
  Fwht(v.data(), 0);  // empty transform is a no-op
}

void ExpectTopKMatches(const std::vector<float>& scores, size_t k, size_t offset) {
  std::vector<float> buf(scores.size() + 1);
  std::copy(scores.begin(), scores.end(), buf.begin() + offset);
  const float* s = buf.data() + offset;
  const size_t n = scores.size();
  std::vector<uint32_t> idx(k + 1, 777), ridx(k + 1);
  std::vector<float> sc(k + 1, -1.0f), rsc(k + 1);
  const size_t got = TopK(s, n, k, idx.data(), sc.data());
  const size_t want = reference::TopK(s, n, k, ridx.data(), rsc.data());
  ASSERT_EQ(got, want);
  ASSERT_EQ(got, std::min(n, k));
  for (size_t i = 0; i < got; ++i) {
    ASSERT_EQ(idx[i], ridx[i]) << "i=" << i;
    ASSERT_EQ(sc[i], rsc[i]) << "i=" << i;
  }
  EXPECT_EQ(idx[got], 777u) << "wrote past min(k, n)";
}

TEST(TopKTest, MatchesSortWithDuplicatesAndOrders) {
  ForEachTarget([] {
    for (size_t n : {0, 1, 3, 17, 1023, 4099}) {
      for (size_t k : {0, 1, 2, 10, 100, 1024}) {
        SCOPED_TRACE("n=" + std::to_string(n) + " k=" + std::to_string(k));
        ExpectTopKMatches(RandomVector(n, uint32_t(n + k)), k, 1);
        // Many duplicates: ties must go to the lower index.
        std::mt19937 rng(uint32_t(n * 3 + k));
        std::vector<float> dup(n);
        for (float& e : dup) e = float(rng() % 5);
        ExpectTopKMatches(dup, k, 0);
        // Ascending input: every element enters the heap (worst case).
        std::vector<float> asc(n);
        for (size_t i = 0; i < n; ++i) asc[i] = float(i) * 0.5f - 3.0f;
        ExpectTopKMatches(asc, k, 1);
        std::vector<float> desc(asc.rbegin(), asc.rend());
        ExpectTopKMatches(desc, k, 0);
        // All equal.
        ExpectTopKMatches(std::vector<float>(n, 2.5f), k, 1);
      }
    }
    // Infinities are ordinary values.
    const float inf = std::numeric_limits<float>::infinity();
    ExpectTopKMatches({1.0f, -inf, inf, 0.0f, inf, -inf, 3.0f}, 4, 0);
    ExpectTopKMatches({-inf, -inf, -inf}, 2, 1);
  });
}

TEST(TopKTest, AnyK) {
  ForEachTarget([] {
    ExpectTopKMatches(RandomVector(2000, 3), 1500, 1);  // above the old 1024 cap
    std::vector<float> s(2000, 1.0f);
    std::vector<uint32_t> idx(2000);
    std::vector<float> sc(2000);
    // k far above n: n written, nothing sized by k.
    EXPECT_EQ(TopK(s.data(), s.size(), SIZE_MAX, idx.data(), sc.data()), 2000u);
    EXPECT_EQ(idx[1999], 1999u);  // all tie: by index
  });
}

}  // namespace
}  // namespace ek::kernels
