// The element-wise kernels (ek_kernels::axpy .. scatter): every compiled SIMD target
// against the scalar twin, bit for bit (the contract in plugin.h), at lengths that
// exercise the vector body and the tails; n = 0, x == y, NaN and repeated scatter
// indices as plugin.h states them; and the table hands out these functions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "target_loop.h"

namespace {

namespace ref = ek::kernels::reference;
using ek::kernels::testing::ForEachTarget;
using ek::kernels::testing::RandomVector;

constexpr size_t kLengths[] = {0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 64, 100, 1000, 1031};

// Bitwise equality that also holds for NaN.
void ExpectSameBits(const std::vector<float>& want, const std::vector<float>& got, const char* what,
                    size_t n) {
  ASSERT_EQ(want.size(), got.size());
  ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * sizeof(float)))
      << what << " differs from the scalar twin at n = " << n;
}

std::vector<uint32_t> Permutation(size_t n, uint32_t seed) {
  std::vector<uint32_t> p(n);
  std::iota(p.begin(), p.end(), 0u);
  std::shuffle(p.begin(), p.end(), std::mt19937(seed));
  return p;
}

TEST(Elementwise, EveryTargetWritesTheBitsOfTheScalarTwin) {
  ForEachTarget([] {
    for (size_t n : kLengths) {
      const auto x = RandomVector(n, uint32_t(n + 1)), y0 = RandomVector(n, uint32_t(n + 2));
      // a = 1/3 and b = 0.7 round in every product, so a fused multiply-add would show.
      auto want = y0, got = y0;
      ref::Axpy(1.0f / 3, x.data(), want.data(), n);
      ek::kernels::Axpy(1.0f / 3, x.data(), got.data(), n);
      ExpectSameBits(want, got, "axpy", n);

      want = got = y0;
      ref::Axpby(1.0f / 3, x.data(), 0.7f, want.data(), n);
      ek::kernels::Axpby(1.0f / 3, x.data(), 0.7f, got.data(), n);
      ExpectSameBits(want, got, "axpby", n);

      want = got = y0;
      ref::Mul(x.data(), want.data(), n);
      ek::kernels::Mul(x.data(), got.data(), n);
      ExpectSameBits(want, got, "mul", n);

      const auto perm = Permutation(n, uint32_t(n + 3));
      std::vector<float> gw(n, -9.0f), gg(n, -9.0f);
      ref::Gather(x.data(), perm.data(), gw.data(), n);
      ek::kernels::Gather(x.data(), perm.data(), gg.data(), n);
      ExpectSameBits(gw, gg, "gather", n);

      std::vector<float> sw(n, -9.0f), sg(n, -9.0f);
      ref::Scatter(x.data(), perm.data(), sw.data(), n);
      ek::kernels::Scatter(x.data(), perm.data(), sg.data(), n);
      ExpectSameBits(sw, sg, "scatter", n);
      if (::testing::Test::HasFatalFailure()) return;
    }
  });
}

// The fused entries against their twins and against the separate entries they replace
// (what vsa_json and doc2vec called before), bit for bit on every target.
TEST(Elementwise, FusedEntriesWriteTheBitsOfTheStepsTheyReplace) {
  ForEachTarget([] {
    for (size_t n : kLengths) {
      const auto x = RandomVector(n, uint32_t(n + 4)), y0 = RandomVector(n, uint32_t(n + 5));
      const auto e0 = RandomVector(n, uint32_t(n + 6));
      auto yw = y0, ew = e0, yg = y0, eg = e0, ys = y0, es = e0;
      ref::PairUpdate(1.0f / 3, x.data(), yw.data(), ew.data(), n);
      ek::kernels::PairUpdate(1.0f / 3, x.data(), yg.data(), eg.data(), n);
      ek::kernels::Axpy(1.0f / 3, ys.data(), es.data(), n);
      ek::kernels::Axpy(1.0f / 3, x.data(), ys.data(), n);
      ExpectSameBits(yw, yg, "pair_update y", n);
      ExpectSameBits(ew, eg, "pair_update e", n);
      ExpectSameBits(ys, yg, "pair_update y vs two axpy", n);
      ExpectSameBits(es, eg, "pair_update e vs two axpy", n);
    }
    for (size_t n : {size_t{1}, size_t{2}, size_t{8}, size_t{64}, size_t{128}, size_t{1024}}) {
      for (size_t rounds : {size_t{0}, size_t{1}, size_t{3}}) {
        const float s = 1.0f / std::sqrt(float(n));
        auto signs = RandomVector(rounds * n, uint32_t(n + rounds));
        for (float& v : signs) v = v < 0 ? -s : s;
        const auto perm = Permutation(n, uint32_t(n + 7));
        const auto x = RandomVector(n, uint32_t(n + 8)), acc0 = RandomVector(n, uint32_t(n + 9));
        auto want = acc0, got = acc0, steps = acc0, xg = x, b = x;
        ref::BindStructuredAdd(signs.data(), rounds, perm.data(), x.data(), 0.25f, want.data(), n);
        ASSERT_EQ(EK_OK, ek::kernels::TableBindStructuredAdd(signs.data(), rounds, perm.data(), xg.data(), 0.25f,
                                                             got.data(), n));
        ASSERT_EQ(EK_OK, ek::kernels::TableBindStructured(signs.data(), rounds, perm.data(), b.data(), 1, n, 0));
        ek::kernels::Axpy(0.25f, x.data(), b.data(), n);
        ek::kernels::Axpy(1.0f, b.data(), steps.data(), n);
        ExpectSameBits(want, got, "bind_structured_add", n);
        ExpectSameBits(steps, got, "bind_structured_add vs bind_structured + two axpy", n);
        ExpectSameBits(x, xg, "bind_structured_add's x", n);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
  });
}

TEST(Elementwise, FusedBindingRefusesWhatBindStructuredRefuses) {
  const std::vector<float> signs(8, 0.5f), x(8, 1.0f);
  const auto perm = Permutation(8, 1);
  std::vector<float> acc(12, 2.0f);
  const auto untouched = acc;
  using ek::kernels::TableBindStructuredAdd;
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, TableBindStructuredAdd(signs.data(), 1, perm.data(), x.data(), 1, acc.data(), 12));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, TableBindStructuredAdd(nullptr, 1, perm.data(), x.data(), 1, acc.data(), 8));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, TableBindStructuredAdd(signs.data(), 1, nullptr, x.data(), 1, acc.data(), 8));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, TableBindStructuredAdd(signs.data(), 1, perm.data(), nullptr, 1, acc.data(), 8));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, TableBindStructuredAdd(signs.data(), 1, perm.data(), x.data(), 1, nullptr, 8));
  EXPECT_EQ(untouched, acc);
  EXPECT_EQ(EK_OK, TableBindStructuredAdd(nullptr, 1, nullptr, nullptr, 1, nullptr, 0));
}

TEST(Elementwise, ZeroLengthTouchesNothing) {
  ForEachTarget([] {
    // NULL pointers with n = 0: nothing may be read or written.
    ek::kernels::Axpy(2.0f, nullptr, nullptr, 0);
    ek::kernels::Axpby(2.0f, nullptr, 3.0f, nullptr, 0);
    ek::kernels::Mul(nullptr, nullptr, 0);
    ek::kernels::Gather(nullptr, nullptr, nullptr, 0);
    ek::kernels::Scatter(nullptr, nullptr, nullptr, 0);
  });
}

TEST(Elementwise, XMayBeYItself) {
  ForEachTarget([] {
    for (size_t n : {size_t{5}, size_t{64}, size_t{67}}) {
      const auto v0 = RandomVector(n, 7);
      auto v = v0;
      ek::kernels::Axpy(0.5f, v.data(), v.data(), n);  // v += 0.5 v
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(v0[i] + 0.5f * v0[i], v[i]) << i;
      v = v0;
      ek::kernels::Mul(v.data(), v.data(), n);  // v = v^2
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(v0[i] * v0[i], v[i]) << i;
      v = v0;
      ek::kernels::Axpby(2.0f, v.data(), -1.0f, v.data(), n);  // 2v - v
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(2.0f * v0[i] + -1.0f * v0[i], v[i]) << i;
    }
  });
}

TEST(Elementwise, NanAndInfinityPropagateAsInThePlainLoop) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  ForEachTarget([&] {
    const size_t n = 37;
    auto x = RandomVector(n, 9);
    x[3] = nan;
    x[20] = inf;
    std::vector<float> y(n, 1.0f);
    ek::kernels::Axpy(2.0f, x.data(), y.data(), n);
    EXPECT_TRUE(std::isnan(y[3]));
    EXPECT_EQ(inf, y[20]);
    EXPECT_FALSE(std::isnan(y[4]));
    std::vector<float> z(n, 0.0f);
    ek::kernels::Axpy(0.0f, x.data(), z.data(), n);  // 0 * inf is NaN, never skipped
    EXPECT_TRUE(std::isnan(z[20]));
    EXPECT_EQ(0.0f, z[21]);
  });
}

TEST(Elementwise, RepeatedScatterIndicesKeepTheLastValue) {
  ForEachTarget([] {
    const size_t n = 40;
    std::vector<uint32_t> idx(n);
    for (size_t i = 0; i < n; ++i) idx[i] = uint32_t(i % 3);  // 0,1,2,0,1,2,...
    std::vector<float> src(n), dst(3, -1.0f);
    std::iota(src.begin(), src.end(), 0.0f);
    ek::kernels::Scatter(src.data(), idx.data(), dst.data(), n);
    EXPECT_EQ(39.0f, dst[0]);  // i = 39 is the last with i % 3 == 0
    EXPECT_EQ(37.0f, dst[1]);
    EXPECT_EQ(38.0f, dst[2]);
  });
}

TEST(Elementwise, TheKernelTableLendsThem) {
  const ek_kernels* t = ek::kernels::CpuKernelTable();
  ASSERT_GE(t->struct_size, offsetof(ek_kernels, bind_dense) + sizeof(t->bind_dense));
  std::vector<float> y{1, 2, 3}, x{4, 5, 6};
  t->axpy(2.0f, x.data(), y.data(), 3);
  EXPECT_EQ((std::vector<float>{9, 12, 15}), y);
  t->axpby(1.0f, x.data(), -1.0f, y.data(), 3);
  EXPECT_EQ((std::vector<float>{-5, -7, -9}), y);
  t->mul(x.data(), y.data(), 3);
  EXPECT_EQ((std::vector<float>{-20, -35, -54}), y);
  const std::vector<uint32_t> idx{2, 0, 1};
  std::vector<float> g(3), s(3);
  t->gather(x.data(), idx.data(), g.data(), 3);
  EXPECT_EQ((std::vector<float>{6, 4, 5}), g);
  t->scatter(x.data(), idx.data(), s.data(), 3);
  EXPECT_EQ((std::vector<float>{5, 6, 4}), s);
  ASSERT_GE(t->struct_size, offsetof(ek_kernels, pair_update) + sizeof(t->pair_update));
  std::vector<float> e{1, 1, 1};
  t->pair_update(2.0f, x.data(), y.data(), e.data(), 3);  // e += 2 y, then y += 2 x
  EXPECT_EQ((std::vector<float>{-39, -69, -107}), e);
  EXPECT_EQ((std::vector<float>{-12, -25, -42}), y);
  // One round of +-1/2 signs at n = 4 and the identity permutation: H (s x) + 0 x.
  const std::vector<float> ones{0.5f, 0.5f, 0.5f, 0.5f}, v{1, 2, 3, 4};
  const std::vector<uint32_t> id{0, 1, 2, 3};
  std::vector<float> acc(4, 0.0f);
  ASSERT_EQ(EK_OK, t->bind_structured_add(ones.data(), 1, id.data(), v.data(), 0.0f, acc.data(), 4));
  EXPECT_EQ((std::vector<float>{5, -1, -2, 0}), acc);
}

}  // namespace
