// Batched MBAT binding on the CPU (kernels::BindStructured / BindDense), against a
// scalar step-by-step reference, against each other (a structured role written out
// as its explicit matrix is a dense role), and on bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "bind_bpr_fixtures.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "target_loop.h"

namespace {

using ek::test_fixtures::MakeRole;
using ek::test_fixtures::Role;

std::vector<float> Gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// The definition, one operation at a time, in double.
std::vector<double> ReferenceBind(const Role& r, const float* v, size_t n, bool transpose) {
  std::vector<double> x(v, v + n), y(n);
  auto fwht = [&] {
    for (size_t h = 1; h < n; h <<= 1)
      for (size_t i = 0; i < n; i += 2 * h)
        for (size_t j = i; j < i + h; ++j) {
          const double a = x[j], b = x[j + h];
          x[j] = a + b;
          x[j + h] = a - b;
        }
  };
  if (!transpose) {
    for (size_t k = 0; k < r.rounds; ++k) {
      for (size_t i = 0; i < n; ++i) x[i] *= r.signs[k * n + i];
      fwht();
    }
    for (size_t i = 0; i < n; ++i) y[i] = x[r.perm[i]];
    return y;
  }
  for (size_t i = 0; i < n; ++i) y[r.perm[i]] = x[i];
  x = y;
  for (size_t k = r.rounds; k-- > 0;) {
    fwht();
    for (size_t i = 0; i < n; ++i) x[i] *= r.signs[k * n + i];
  }
  return x;
}

TEST(BindStructured, MatchesTheStepByStepDefinition) {
  for (size_t n : {size_t{1}, size_t{2}, size_t{64}, size_t{1024}}) {
    for (size_t rounds : {size_t{1}, size_t{3}}) {
      for (bool transpose : {false, true}) {
        const Role r = MakeRole(n, rounds, uint32_t(n + rounds));
        const size_t count = 9;
        std::vector<float> v = Gaussian(count * n, 7);
        const std::vector<float> in = v;
        ek::kernels::BindStructured(r.view(), v.data(), count, n, transpose);
        for (size_t j = 0; j < count; ++j) {
          const auto want = ReferenceBind(r, in.data() + j * n, n, transpose);
          for (size_t i = 0; i < n; ++i)
            ASSERT_NEAR(want[i], v[j * n + i], 1e-5 * std::sqrt(double(n)))
                << "n " << n << " rounds " << rounds << " transpose " << transpose << " vector " << j << " at " << i;
        }
      }
    }
  }
}

TEST(BindStructured, IsOrthogonalAndTheTransposeUndoesIt) {
  const size_t n = 512, count = 20;
  const Role r = MakeRole(n, 3, 11);
  std::vector<float> v = Gaussian(count * n, 12);
  const std::vector<float> in = v;
  ek::kernels::BindStructured(r.view(), v.data(), count, n, false);
  for (size_t j = 0; j < count; ++j) {
    const double a = ek::kernels::reference::Dot(in.data() + j * n, in.data() + j * n, n);
    const double b = ek::kernels::reference::Dot(v.data() + j * n, v.data() + j * n, n);
    EXPECT_NEAR(a, b, 1e-4 * a) << "norm of vector " << j;
  }
  EXPECT_GT(std::abs(v[0] - in[0]), 0.0f);  // it did something
  ek::kernels::BindStructured(r.view(), v.data(), count, n, true);
  for (size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(in[i], v[i], 1e-5) << i;
}

TEST(BindStructured, ThreadsGiveTheSameBits) {
  const size_t n = 256, count = 333;
  const Role r = MakeRole(n, 2, 21);
  std::vector<float> a = Gaussian(count * n, 22), b = a;
  ek::ThreadPool pool(3);
  ek::kernels::BindStructured(r.view(), a.data(), count, n, false);
  ek::kernels::BindStructured(r.view(), b.data(), count, n, false, &pool);
  EXPECT_EQ(a, b);
}

TEST(BindDense, TheStructuredRoleAsAMatrixGivesTheSameBinding) {
  const size_t n = 128, count = 17;
  const Role r = MakeRole(n, 3, 31);
  // Column c of M is the binding of the unit vector e_c.
  std::vector<float> cols(n * n, 0.0f);
  for (size_t c = 0; c < n; ++c) cols[c * n + c] = 1.0f;
  ek::kernels::BindStructured(r.view(), cols.data(), n, n, false);
  std::vector<float> m(n * n);
  for (size_t c = 0; c < n; ++c)
    for (size_t row = 0; row < n; ++row) m[row * n + c] = cols[c * n + row];

  const std::vector<float> v = Gaussian(count * n, 32);
  for (bool transpose : {false, true}) {
    std::vector<float> want = v, got(count * n);
    ek::kernels::BindStructured(r.view(), want.data(), count, n, transpose);
    ek::ThreadPool pool(2);
    ek::kernels::BindDense(m.data(), n, v.data(), count, got.data(), transpose, &pool);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(want[i], got[i], 1e-4) << "transpose " << transpose << " at " << i;
  }
}

TEST(BindDense, MatchesAScalarMatrixProduct) {
  const size_t n = 37, count = 5;  // odd sizes: the SIMD tails
  const std::vector<float> m = Gaussian(n * n, 41), v = Gaussian(count * n, 42);
  std::vector<float> fwd(count * n), back(count * n);
  ek::kernels::BindDense(m.data(), n, v.data(), count, fwd.data(), false);
  ek::kernels::BindDense(m.data(), n, v.data(), count, back.data(), true);
  for (size_t j = 0; j < count; ++j)
    for (size_t i = 0; i < n; ++i) {
      double f = 0, b = 0;
      for (size_t k = 0; k < n; ++k) {
        f += double(m[i * n + k]) * v[j * n + k];
        b += double(m[k * n + i]) * v[j * n + k];
      }
      ASSERT_NEAR(f, fwd[j * n + i], 1e-4) << j << " " << i;
      ASSERT_NEAR(b, back[j * n + i], 1e-4) << j << " " << i;
    }
}

TEST(BindBatch, BadArgumentsAreRefused) {
  const Role r = MakeRole(8, 1, 51);
  std::vector<float> v(24), out(24);
  try {
    ek::kernels::BindStructured(r.view(), v.data(), 2, 12, false);
    FAIL() << "n = 12 accepted";
  } catch (const ek::Error& e) {
    EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, e.status());
    EXPECT_NE(std::string::npos, std::string(e.what()).find("power of two")) << e.what();
  }
  EXPECT_THROW(ek::kernels::BindStructured(r.view(), nullptr, 2, 8, false), ek::Error);
  EXPECT_THROW(ek::kernels::BindStructured({nullptr, 1, r.perm.data()}, v.data(), 2, 8, false), ek::Error);
  EXPECT_THROW(ek::kernels::BindDense(nullptr, 8, v.data(), 2, out.data(), false), ek::Error);
  ek::kernels::BindStructured(r.view(), nullptr, 0, 8, false);  // nothing to do is fine
}

// ---- The kernel table's entries (the one binder plugins reach) ---------------------------

TEST(BindTable, StructuredIsTheBatchBinderBitForBitOnEveryTarget) {
  const ek_kernels* t = ek::kernels::CpuKernelTable();
  for (size_t n : {size_t{1}, size_t{16}, size_t{256}}) {
    const Role r = MakeRole(n, 3, uint32_t(60 + n));
    const size_t count = 5;
    const std::vector<float> in = Gaussian(count * n, 61);
    for (bool transpose : {false, true}) {
      std::vector<float> want = in;
      // The step-by-step definition in float (reference twins), one vector at a time.
      std::vector<float> tmp(n);
      for (size_t j = 0; j < count; ++j) {
        float* v = want.data() + j * n;
        if (!transpose) {
          for (size_t k = 0; k < r.rounds; ++k) {
            ek::kernels::reference::Mul(r.signs.data() + k * n, v, n);
            ek::kernels::reference::Fwht(v, n);
          }
          ek::kernels::reference::Gather(v, r.perm.data(), tmp.data(), n);
        } else {
          ek::kernels::reference::Scatter(v, r.perm.data(), tmp.data(), n);
        }
        std::copy(tmp.begin(), tmp.end(), v);
        if (transpose) {
          for (size_t k = r.rounds; k-- > 0;) {
            ek::kernels::reference::Fwht(v, n);
            ek::kernels::reference::Mul(r.signs.data() + k * n, v, n);
          }
        }
      }
      ek::kernels::testing::ForEachTarget([&] {
        std::vector<float> got = in;
        ASSERT_EQ(EK_OK, t->bind_structured(r.signs.data(), r.rounds, r.perm.data(), got.data(), count, n,
                                            transpose));
        ASSERT_EQ(want, got) << "n " << n << " transpose " << transpose;
      });
    }
  }
}

TEST(BindTable, DenseOneVectorAtATimeIsTheMatrixVectorProduct) {
  const ek_kernels* t = ek::kernels::CpuKernelTable();
  const size_t n = 45;
  const std::vector<float> m = Gaussian(n * n, 71), v = Gaussian(n, 72);
  std::vector<float> got(n), want(n, 0.0f);
  ASSERT_EQ(EK_OK, t->bind_dense(m.data(), n, v.data(), 1, got.data(), 0));
  t->matvec(m.data(), n, n, v.data(), want.data());
  EXPECT_EQ(want, got);
  // transpose: the rows of m scaled by v, summed in row order
  std::fill(want.begin(), want.end(), 0.0f);
  for (size_t row = 0; row < n; ++row) ek::kernels::reference::Axpy(v[row], m.data() + row * n, want.data(), n);
  ASSERT_EQ(EK_OK, t->bind_dense(m.data(), n, v.data(), 1, got.data(), 1));
  EXPECT_EQ(want, got);
}

TEST(BindTable, BatchesAgreeWithOneVectorAtATime) {
  const ek_kernels* t = ek::kernels::CpuKernelTable();
  const size_t n = 64, count = ek::kernels::kDenseBatchMinCount + 3;  // the batched path
  const std::vector<float> m = Gaussian(n * n, 81), v = Gaussian(count * n, 82);
  for (uint32_t transpose : {0u, 1u}) {
    std::vector<float> batch(count * n), one(n);
    ASSERT_EQ(EK_OK, t->bind_dense(m.data(), n, v.data(), count, batch.data(), transpose));
    for (size_t j = 0; j < count; ++j) {
      ASSERT_EQ(EK_OK, t->bind_dense(m.data(), n, v.data() + j * n, 1, one.data(), transpose));
      for (size_t i = 0; i < n; ++i) ASSERT_NEAR(one[i], batch[j * n + i], 1e-5) << j << " " << i;
    }
  }
}

TEST(BindTable, RefusalsAreStatusesAndWriteNothing) {
  const ek_kernels* t = ek::kernels::CpuKernelTable();
  const Role r = MakeRole(8, 1, 91);
  std::vector<float> v(24, 1.0f), out(24, 7.0f);
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, t->bind_structured(r.signs.data(), 1, r.perm.data(), v.data(), 2, 12, 0));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, t->bind_structured(r.signs.data(), 1, r.perm.data(), nullptr, 2, 8, 0));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, t->bind_structured(nullptr, 1, r.perm.data(), v.data(), 2, 8, 0));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, t->bind_structured(r.signs.data(), 1, nullptr, v.data(), 2, 8, 0));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT,
            t->bind_structured(r.signs.data(), 1, r.perm.data(), v.data(), SIZE_MAX / 4, 8, 0));
  EXPECT_EQ(std::vector<float>(24, 1.0f), v);
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, t->bind_dense(nullptr, 4, v.data(), 2, out.data(), 0));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, t->bind_dense(v.data(), 4, v.data(), 2, nullptr, 0));
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, t->bind_dense(v.data(), 4, v.data(), SIZE_MAX / 2, out.data(), 0));
  EXPECT_EQ(std::vector<float>(24, 7.0f), out);
  // Nothing to do is fine, whatever the pointers.
  EXPECT_EQ(EK_OK, t->bind_structured(nullptr, 1, nullptr, nullptr, 0, 8, 0));
  EXPECT_EQ(EK_OK, t->bind_dense(nullptr, 0, nullptr, 5, nullptr, 1));
}

}  // namespace
