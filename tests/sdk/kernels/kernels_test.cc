// Every compiled SIMD target against the scalar reference: dot, l2, cosine, norms,
// one-vs-many, many-vs-many, normalize, matvec, matmul; sizes 0..4099, unaligned.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "target_loop.h"

namespace ek::kernels {
namespace {

using testing::ForEachTarget;
using testing::RandomVector;
using testing::SumTol;

const size_t kSizes[] = {0, 1, 3, 17, 1023, 4099};

double AbsDot(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += std::fabs(double(a[i]) * double(b[i]));
  return s;
}

// Offsets the data by `offset` floats inside a larger buffer (unaligned when 1).
struct Buf {
  Buf(const std::vector<float>& v, size_t offset) : storage(v.size() + 16), off(offset) {
    std::copy(v.begin(), v.end(), storage.begin() + off);
  }
  float* data() { return storage.data() + off; }
  std::vector<float> storage;
  size_t off;
};

TEST(KernelsTest, ReportsTargetAndTable) {
  EXPECT_GT(std::strlen(SimdTargetName()), 0u);
  const ek_kernels* t = CpuKernelTable();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->struct_size, sizeof(ek_kernels));
  EXPECT_STREQ(t->backend, "cpu");
  EXPECT_STREQ(t->simd_target, SimdTargetName());
  float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
  EXPECT_FLOAT_EQ(t->dot(a, b, 3), 32.0f);
  EXPECT_FLOAT_EQ(t->l2sq(a, b, 3), 27.0f);
  // The C table never throws: bad fwht size leaves v unchanged, top_k takes any k.
  float v[3] = {1, 2, 3};
  t->fwht(v, 3);
  EXPECT_EQ(v[0], 1.0f);
  uint32_t idx[3];
  float sc[3];
  EXPECT_EQ(t->top_k(a, 3, 5000, idx, sc), 3u);
  EXPECT_EQ(idx[0], 2u);
}

TEST(KernelsTest, PairwiseMatchReference) {
  ForEachTarget([] {
    for (size_t n : kSizes) {
      for (size_t off : {0, 1}) {
        SCOPED_TRACE("n=" + std::to_string(n) + " offset=" + std::to_string(off));
        Buf a(RandomVector(n, 1 + n), off), b(RandomVector(n, 7 + n), off);
        const double mag = AbsDot(a.data(), b.data(), n);
        EXPECT_NEAR(Dot(a.data(), b.data(), n), reference::Dot(a.data(), b.data(), n),
                    SumTol(n, mag));
        std::vector<float> diff(n);
        for (size_t i = 0; i < n; ++i) diff[i] = a.data()[i] - b.data()[i];
        const float l2 = reference::L2Sq(a.data(), b.data(), n);
        EXPECT_NEAR(L2Sq(a.data(), b.data(), n), l2, SumTol(n, l2));
        const float aa = reference::SquaredNorm(a.data(), n);
        EXPECT_NEAR(SquaredNorm(a.data(), n), aa, SumTol(n, aa));
        const double cmag = n ? mag / std::sqrt(double(aa) * reference::SquaredNorm(b.data(), n))
                              : 0.0;
        EXPECT_NEAR(Cosine(a.data(), b.data(), n), reference::Cosine(a.data(), b.data(), n),
                    SumTol(n, cmag) + 1e-7);
      }
    }
  });
}

TEST(KernelsTest, CosineOfZeroVectorIsZero) {
  ForEachTarget([] {
    std::vector<float> z(33, 0.0f), a = RandomVector(33, 3);
    EXPECT_EQ(Cosine(z.data(), a.data(), 33), 0.0f);
    EXPECT_EQ(Cosine(a.data(), z.data(), 33), 0.0f);
    std::vector<float> out(1, 5.0f);
    CosineMany(a.data(), z.data(), 1, 33, out.data());
    EXPECT_EQ(out[0], 0.0f);
    // Identical direction: cosine 1.
    std::vector<float> b = a;
    for (float& x : b) x *= 3.0f;
    EXPECT_NEAR(Cosine(a.data(), b.data(), 33), 1.0f, 1e-6);
  });
}

TEST(KernelsTest, OneVsManyMatchReference) {
  ForEachTarget([] {
    for (size_t dim : {1, 3, 17, 128, 1023}) {
      for (size_t rows : {0, 1, 7, 33}) {
        for (size_t off : {0, 1}) {
          SCOPED_TRACE("dim=" + std::to_string(dim) + " rows=" + std::to_string(rows) +
                       " offset=" + std::to_string(off));
          Buf q(RandomVector(dim, 11), off), base(RandomVector(rows * dim, 12), off);
          std::vector<float> got(rows + 1, -7.0f), want(rows);
          DotMany(q.data(), base.data(), rows, dim, got.data());
          reference::DotMany(q.data(), base.data(), rows, dim, want.data());
          for (size_t r = 0; r < rows; ++r) {
            EXPECT_NEAR(got[r], want[r], SumTol(dim, AbsDot(q.data(), base.data() + r * dim, dim)));
          }
          EXPECT_EQ(got[rows], -7.0f) << "wrote past the end";
          L2SqMany(q.data(), base.data(), rows, dim, got.data());
          reference::L2SqMany(q.data(), base.data(), rows, dim, want.data());
          for (size_t r = 0; r < rows; ++r) EXPECT_NEAR(got[r], want[r], SumTol(dim, want[r]));
          CosineMany(q.data(), base.data(), rows, dim, got.data());
          reference::CosineMany(q.data(), base.data(), rows, dim, want.data());
          for (size_t r = 0; r < rows; ++r) EXPECT_NEAR(got[r], want[r], SumTol(dim, 1.0) + 1e-6);
          MatVec(base.data(), rows, dim, q.data(), got.data());
          reference::MatVec(base.data(), rows, dim, q.data(), want.data());
          for (size_t r = 0; r < rows; ++r) {
            EXPECT_NEAR(got[r], want[r], SumTol(dim, AbsDot(q.data(), base.data() + r * dim, dim)));
          }
        }
      }
    }
  });
}

TEST(KernelsTest, ManyVsManyMatchReference) {
  ThreadPool pool(3);
  ForEachTarget([&] {
    for (size_t nq : {0, 1, 5, 17, 70}) {
      for (size_t rows : {0, 1, 13, 50}) {
        for (size_t dim : {1, 3, 17, 100}) {
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            SCOPED_TRACE("nq=" + std::to_string(nq) + " rows=" + std::to_string(rows) +
                         " dim=" + std::to_string(dim) + (p ? " pool" : ""));
            Buf q(RandomVector(nq * dim, 21), 1), base(RandomVector(rows * dim, 22), 1);
            std::vector<float> got(nq * rows + 1, -7.0f), want(nq * rows);
            DotManyMany(q.data(), nq, base.data(), rows, dim, got.data(), p);
            reference::DotManyMany(q.data(), nq, base.data(), rows, dim, want.data());
            for (size_t i = 0; i < nq; ++i) {
              for (size_t r = 0; r < rows; ++r) {
                const double mag = AbsDot(q.data() + i * dim, base.data() + r * dim, dim);
                ASSERT_NEAR(got[i * rows + r], want[i * rows + r], SumTol(dim, mag))
                    << "i=" << i << " r=" << r;
              }
            }
            EXPECT_EQ(got[nq * rows], -7.0f);
          }
        }
      }
    }
  });
}

TEST(KernelsTest, NormalizeMatchesReference) {
  ForEachTarget([] {
    for (size_t n : kSizes) {
      Buf a(RandomVector(n, 31), 1);
      std::vector<float> want(a.data(), a.data() + n);
      const float want_norm = reference::Normalize(want.data(), n);
      const float got_norm = Normalize(a.data(), n);
      EXPECT_NEAR(got_norm, want_norm, 1e-6 * (want_norm + 1));
      for (size_t i = 0; i < n; ++i) EXPECT_NEAR(a.data()[i], want[i], 1e-6);
      if (n > 0) {
        EXPECT_NEAR(SquaredNorm(a.data(), n), 1.0f, 1e-5);
      }
    }
    std::vector<float> z(17, 0.0f);
    EXPECT_EQ(Normalize(z.data(), 17), 0.0f);
    for (float x : z) EXPECT_EQ(x, 0.0f);
  });
}

TEST(KernelsTest, MatMulMatchesReference) {
  ThreadPool pool(2);
  ForEachTarget([&] {
    const size_t shapes[][3] = {{0, 3, 4}, {3, 0, 4}, {1, 1, 1},  {2, 3, 5},    {7, 17, 33},
                                {13, 64, 70}, {50, 9, 129}, {64, 100, 48}, {5, 1023, 3}};
    for (auto& s : shapes) {
      const size_t m = s[0], k = s[1], n = s[2];
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        SCOPED_TRACE("m=" + std::to_string(m) + " k=" + std::to_string(k) +
                     " n=" + std::to_string(n));
        Buf a(RandomVector(m * k, 41), 1), b(RandomVector(k * n, 42), 1);
        std::vector<float> got(m * n + 1, -7.0f), want(m * n);
        MatMul(a.data(), b.data(), m, k, n, got.data(), p);
        reference::MatMul(a.data(), b.data(), m, k, n, want.data());
        for (size_t i = 0; i < m; ++i) {
          for (size_t j = 0; j < n; ++j) {
            double mag = 0;
            for (size_t t = 0; t < k; ++t) mag += std::fabs(double(a.data()[i * k + t]) * b.data()[t * n + j]);
            ASSERT_NEAR(got[i * n + j], want[i * n + j], SumTol(k, mag)) << i << "," << j;
          }
        }
        EXPECT_EQ(got[m * n], -7.0f);
      }
    }
  });
}

// ---- Cosine and Normalize at the edges of float range (issue 17, item 2) ----------------
// Squares of components above ~1.8e19 overflow float and those below ~1e-19 underflow,
// so a float-only norm made [2e19, 0, 0, 0] score 2e19 and [1e-25, 0, 0, 0] score 0.
namespace extreme {

const float kMagnitudes[] = {1e-45f, 1e-40f, 1e-30f, 1e-25f, 1e-19f, 1.0f,
                             2e19f,  1e30f,  1e36f,  3e38f};

// A random direction scaled so its largest component is `m` (every component finite).
std::vector<float> Scaled(size_t n, uint32_t seed, float m) {
  std::vector<float> v = RandomVector(n, seed);
  float big = 0;
  for (float x : v) big = std::max(big, std::fabs(x));
  for (float& x : v) x = float(double(x) / big * m);
  return v;
}

double UnitError(const float* v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(v[i]) * double(v[i]);
  return std::fabs(std::sqrt(s) - 1.0);
}

}  // namespace extreme

TEST(KernelsTest, CosineStaysInUnitRangeForEveryFiniteMagnitude) {
  ForEachTarget([] {
    for (size_t n : {1, 4, 17, 33, 1023}) {
      for (float ma : extreme::kMagnitudes) {
        for (float mb : extreme::kMagnitudes) {
          SCOPED_TRACE("n=" + std::to_string(n) + " |a|=" + std::to_string(ma) +
                       " |b|=" + std::to_string(mb));
          std::vector<float> a = extreme::Scaled(n, 5 + uint32_t(n), ma);
          std::vector<float> b = extreme::Scaled(n, 9 + uint32_t(n), mb);
          // Same direction as a: cosine 1 whatever the two magnitudes.
          std::vector<float> a2 = extreme::Scaled(n, 5 + uint32_t(n), mb);
          const float want = reference::Cosine(a.data(), b.data(), n);
          const float got = Cosine(a.data(), b.data(), n);
          ASSERT_TRUE(want >= -1.0f && want <= 1.0f) << want;
          ASSERT_TRUE(got >= -1.0f && got <= 1.0f) << got;
          EXPECT_NEAR(got, want, 1e-5);
          EXPECT_NEAR(Cosine(a.data(), a.data(), n), 1.0, 1e-6);
          EXPECT_LE(Cosine(a.data(), a.data(), n), 1.0f);
          // a2 has a's direction up to the rounding of a denormal vector's components.
          const float self = Cosine(a.data(), a2.data(), n);
          EXPECT_NEAR(self, reference::Cosine(a.data(), a2.data(), n), 1e-5);
          if (ma >= 1e-37f && mb >= 1e-37f) {
            EXPECT_NEAR(self, 1.0, 1e-5);
          }
          EXPECT_LE(self, 1.0f);
          float many[2] = {-7.0f, -7.0f};
          std::vector<float> base = b;
          base.insert(base.end(), a2.begin(), a2.end());
          CosineMany(a.data(), base.data(), 2, n, many);
          EXPECT_NEAR(many[0], want, 1e-5);
          EXPECT_NEAR(many[1], self, 1e-5);
          EXPECT_TRUE(many[0] >= -1.0f && many[0] <= 1.0f) << many[0];
          EXPECT_TRUE(many[1] >= -1.0f && many[1] <= 1.0f) << many[1];
          reference::CosineMany(a.data(), base.data(), 2, n, many);
          EXPECT_NEAR(many[0], want, 1e-5);
          EXPECT_NEAR(many[1], self, 1e-5);
        }
      }
    }
    // The vectors exactly.
    const float one[4] = {1, 0, 0, 0}, huge[4] = {2e19f, 0, 0, 0}, tiny[4] = {1e-25f, 0, 0, 0};
    EXPECT_EQ(Cosine(one, huge, 4), 1.0f);
    EXPECT_EQ(Cosine(tiny, tiny, 4), 1.0f);
    EXPECT_EQ(reference::Cosine(tiny, tiny, 4), 1.0f);
  });
}

TEST(KernelsTest, NormalizeGivesUnitVectorsForEveryFiniteMagnitude) {
  ForEachTarget([] {
    for (size_t n : {1, 4, 17, 33, 1023}) {
      for (float m : extreme::kMagnitudes) {
        SCOPED_TRACE("n=" + std::to_string(n) + " max=" + std::to_string(m));
        std::vector<float> v = extreme::Scaled(n, 3 + uint32_t(n), m);
        std::vector<float> want = v;
        double norm = 0;
        for (float x : v) norm += double(x) * double(x);
        norm = std::sqrt(norm);
        const float want_norm = reference::Normalize(want.data(), n);
        const float got_norm = Normalize(v.data(), n);
        const double tol = 1e-5;
        EXPECT_LT(extreme::UnitError(want.data(), n), tol);
        EXPECT_LT(extreme::UnitError(v.data(), n), tol);
        for (size_t i = 0; i < n; ++i) ASSERT_NEAR(v[i], want[i], tol) << i;
        // The old norm, or +inf where it is beyond float range.
        if (norm > 3.4028234663852886e38) {
          EXPECT_EQ(got_norm, INFINITY);
          EXPECT_EQ(want_norm, INFINITY);
        } else {
          // As a float: a denormal norm keeps only a few significant bits.
          const double fnorm = double(float(norm));
          const double ntol = 1e-5 * fnorm + 2 * double(std::numeric_limits<float>::denorm_min());
          EXPECT_NEAR(got_norm, fnorm, ntol);
          EXPECT_NEAR(want_norm, fnorm, ntol);
        }
      }
    }
  });
}

TEST(KernelsTest, CosineScanOfExtremeRowsRanksByDirection) {
  ForEachTarget([] {
    // Rows stored as the store stores them: unit-normalised with Normalize.
    const size_t dim = 4;
    std::vector<float> base = {1, 0, 0, 0,  2e19f, 0, 0, 0,  1e-25f, 0, 0, 0,
                               0, 1, 0, 0,  3e38f, 3e38f, 0, 0,  -1e-30f, 0, 0, 0};
    const size_t rows = base.size() / dim;
    for (size_t r = 0; r < rows; ++r) Normalize(base.data() + r * dim, dim);
    const std::vector<float> queries = {1, 0, 0, 0,  2e19f, 0, 0, 0,  1e-25f, 0, 0, 0,
                                        3e38f, 3e38f, 3e38f, 3e38f};
    ScanRequest req;
    req.queries = queries.data();
    req.n_queries = queries.size() / dim;
    req.base = base.data();
    req.rows = rows;
    req.dim = dim;
    req.metric = Metric::kCosine;
    req.k = rows;
    std::vector<uint32_t> got_rows(req.n_queries * rows), want_rows(req.n_queries * rows);
    std::vector<float> got(req.n_queries * rows), want(req.n_queries * rows);
    std::vector<size_t> got_n(req.n_queries), want_n(req.n_queries);
    ScanTopK(req, nullptr, got_rows.data(), got.data(), got_n.data());
    reference::ScanTopK(req, want_rows.data(), want.data(), want_n.data());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(got[i] >= -1.0f && got[i] <= 1.0f) << i << ": " << got[i];
      ASSERT_TRUE(want[i] >= -1.0f && want[i] <= 1.0f) << i << ": " << want[i];
      EXPECT_NEAR(got[i], want[i], 1e-6) << i;
    }
    // Queries along x: rows 0, 1, 2 all score 1; row 5 points the other way (-1).
    for (size_t q = 0; q < 3; ++q) {
      for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(got_rows[q * rows + i], i) << "query " << q;
        EXPECT_NEAR(got[q * rows + i], 1.0f, 1e-6) << "query " << q;
      }
      EXPECT_EQ(got_rows[q * rows + rows - 1], 5u);
      EXPECT_NEAR(got[q * rows + rows - 1], -1.0f, 1e-6);
    }
    EXPECT_NEAR(got[3 * rows], 1.0f / std::sqrt(2.0f), 1e-6);  // row 4 (x + y) is best
    EXPECT_EQ(got_rows[3 * rows], 4u);
  });
}

}  // namespace
}  // namespace ek::kernels
