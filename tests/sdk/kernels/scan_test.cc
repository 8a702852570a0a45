// ScanTopK (top-k fused into the distance pass) against the brute-force reference:
// all metrics, filters, k > rows, ties, 1..3 threads, batches that take the row path
// (1, 3) and the register-tiled path (8, 17, 100), on every compiled target.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "kernels/scan_internal.h"
#include "target_loop.h"

namespace ek::kernels {
namespace {

using testing::ForEachTarget;
using testing::RandomVector;

const char* MetricName(Metric m) {
  return m == Metric::kCosine ? "cosine" : m == Metric::kDot ? "dot" : "l2";
}

struct Dataset {
  size_t rows, dim;
  std::vector<float> base, norms;
  std::vector<uint8_t> allowed;
};

Dataset MakeDataset(size_t rows, size_t dim, uint32_t seed, bool unit, size_t distinct = 0) {
  Dataset d{rows, dim, RandomVector(rows * dim, seed), {}, {}};
  if (distinct > 0) {  // only `distinct` different rows, repeated: exact ties
    for (size_t r = distinct; r < rows; ++r) {
      std::copy_n(d.base.begin() + (r % distinct) * dim, dim, d.base.begin() + r * dim);
    }
  }
  if (unit) {
    for (size_t r = 0; r < rows; ++r) reference::Normalize(d.base.data() + r * dim, dim);
  }
  d.norms.resize(rows);
  for (size_t r = 0; r < rows; ++r) d.norms[r] = reference::SquaredNorm(d.base.data() + r * dim, dim);
  std::mt19937 rng(seed + 1);
  d.allowed.resize(rows);
  for (auto& a : d.allowed) a = (rng() % 3) != 0;
  return d;
}

struct Result {
  std::vector<uint32_t> rows;
  std::vector<float> scores;
  std::vector<size_t> counts;
};

Result RunScan(const ScanRequest& req, ThreadPool* pool, bool use_reference) {
  Result r{std::vector<uint32_t>(req.n_queries * req.k, 12345),
           std::vector<float>(req.n_queries * req.k, 12345.0f),
           std::vector<size_t>(req.n_queries, 99999)};
  if (use_reference) {
    reference::ScanTopK(req, r.rows.data(), r.scores.data(), r.counts.data());
  } else {
    ScanTopK(req, pool, r.rows.data(), r.scores.data(), r.counts.data());
  }
  return r;
}

// Exact score of (query, row) as the reference defines it (double).
double ExactScore(const ScanRequest& req, size_t q, size_t row) {
  const float* x = req.base + row * req.dim;
  const float* qv = req.queries + q * req.dim;
  double s = 0, qq = 0;
  for (size_t i = 0; i < req.dim; ++i) {
    if (req.metric == Metric::kL2) {
      const double d = double(qv[i]) - x[i];
      s += d * d;
    } else {
      s += double(qv[i]) * x[i];
    }
    qq += double(qv[i]) * qv[i];
  }
  if (req.metric == Metric::kCosine) s = qq > 0 ? s / std::sqrt(qq) : 0;
  return s;
}

double Tolerance(const ScanRequest& req, size_t q, size_t row) {
  double qq = 0, xx = 0;
  for (size_t i = 0; i < req.dim; ++i) {
    qq += double(req.queries[q * req.dim + i]) * req.queries[q * req.dim + i];
    xx += double(req.base[row * req.dim + i]) * req.base[row * req.dim + i];
  }
  if (req.metric == Metric::kCosine) qq = 1;  // query normalised inside
  return 2e-6 * (std::sqrt(double(req.dim)) + 2) * (qq + xx + 1e-3);
}

// Our result must be a valid top-k: same counts, distinct allowed rows, each reported
// score close to the exact score of its row, and the i-th exact score close to the
// reference's i-th (rows may differ only between near-equal scores).
void ExpectSameTopK(const ScanRequest& req, const Result& got, const Result& want,
                    bool exact_rows) {
  for (size_t q = 0; q < req.n_queries; ++q) {
    SCOPED_TRACE("query " + std::to_string(q));
    ASSERT_EQ(got.counts[q], want.counts[q]);
    std::set<uint32_t> seen;
    for (size_t i = 0; i < req.k; ++i) {
      const size_t at = q * req.k + i;
      if (i >= got.counts[q]) {
        EXPECT_EQ(got.rows[at], UINT32_MAX);
        EXPECT_TRUE(std::isnan(got.scores[at]));
        continue;
      }
      const uint32_t row = got.rows[at];
      ASSERT_LT(row, req.rows);
      ASSERT_TRUE(seen.insert(row).second) << "row " << row << " reported twice";
      if (req.row_allowed) {
        ASSERT_TRUE(req.row_allowed[row]) << "filtered row " << row;
      }
      const double tol = Tolerance(req, q, row);
      EXPECT_NEAR(got.scores[at], ExactScore(req, q, row), tol) << "i=" << i;
      EXPECT_NEAR(ExactScore(req, q, row), want.scores[at], 2 * tol) << "i=" << i;
      if (exact_rows) {
        EXPECT_EQ(row, want.rows[at]) << "i=" << i;
      }
    }
  }
}

struct Knobs {  // small task sizes so that even small inputs are split and merged
  Knobs() {
    saved = detail::MutableScanTuning();
    detail::MutableScanTuning().row_path_min_task_bytes = 4096;
    detail::MutableScanTuning().tile_path_min_task_flops = 20000;
  }
  ~Knobs() { detail::MutableScanTuning() = saved; }
  detail::ScanTuning saved;
};

TEST(ScanTopKTest, MatchesBruteForce) {
  Knobs knobs;
  ThreadPool pool2(2), pool3(3);
  ForEachTarget([&] {
    for (size_t dim : {1, 17, 64}) {
      for (Metric metric : {Metric::kCosine, Metric::kDot, Metric::kL2}) {
        const Dataset data = MakeDataset(1500, dim, uint32_t(dim) * 7 + 1, metric == Metric::kCosine);
        for (size_t nq : {1, 3, 8, 17, 100}) {
          const std::vector<float> queries = RandomVector(nq * dim, uint32_t(nq) + 99);
          for (int variant = 0; variant < 4; ++variant) {
            ScanRequest req;
            req.queries = queries.data();
            req.n_queries = nq;
            req.base = data.base.data();
            req.rows = data.rows;
            req.dim = dim;
            req.metric = metric;
            req.k = variant == 3 ? 1 : 10;
            if (variant & 1) req.row_allowed = data.allowed.data();
            if (variant >= 2 && metric == Metric::kL2) req.base_sq_norms = data.norms.data();
            const Result want = RunScan(req, nullptr, true);
            for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool2, &pool3}) {
              SCOPED_TRACE(std::string(MetricName(metric)) + " dim=" + std::to_string(dim) +
                           " nq=" + std::to_string(nq) + " variant=" + std::to_string(variant) +
                           " threads=" + std::to_string(p ? p->size() : 1));
              ExpectSameTopK(req, RunScan(req, p, false), want, false);
              if (::testing::Test::HasFatalFailure()) return;
            }
          }
        }
      }
    }
  });
}

TEST(ScanTopKTest, KLargerThanRowsAndFilters) {
  ThreadPool pool(2);
  ForEachTarget([&] {
    for (Metric metric : {Metric::kCosine, Metric::kDot, Metric::kL2}) {
      const Dataset data = MakeDataset(37, 9, 5, metric == Metric::kCosine);
      for (size_t nq : {1, 3, 100}) {
        const std::vector<float> queries = RandomVector(nq * 9, 6);
        ScanRequest req;
        req.queries = queries.data();
        req.n_queries = nq;
        req.base = data.base.data();
        req.rows = 37;
        req.dim = 9;
        req.metric = metric;
        req.k = 50;  // > rows
        for (int f = 0; f < 3; ++f) {
          std::vector<uint8_t> none(37, 0);
          req.row_allowed = f == 0 ? nullptr : f == 1 ? data.allowed.data() : none.data();
          SCOPED_TRACE(std::string(MetricName(metric)) + " nq=" + std::to_string(nq) +
                       " filter=" + std::to_string(f));
          const Result want = RunScan(req, nullptr, true);
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            const Result got = RunScan(req, p, false);
            ExpectSameTopK(req, got, want, false);
            size_t allowed = 37;
            if (f == 1) allowed = size_t(std::count(data.allowed.begin(), data.allowed.end(), 1));
            if (f == 2) allowed = 0;
            for (size_t q = 0; q < nq; ++q) EXPECT_EQ(got.counts[q], allowed);
          }
        }
      }
    }
  });
}

TEST(ScanTopKTest, TiesGoToLowerRow) {
  Knobs knobs;
  ThreadPool pool(3);
  ForEachTarget([&] {
    for (Metric metric : {Metric::kCosine, Metric::kDot, Metric::kL2}) {
      // 6 distinct rows repeated 400 times each: every score is an exact tie group.
      const Dataset data = MakeDataset(2400, 24, 77, metric == Metric::kCosine, 6);
      for (size_t nq : {1, 3, 100}) {
        const std::vector<float> queries = RandomVector(nq * 24, 78);
        for (bool norms : {false, true}) {
          ScanRequest req;
          req.queries = queries.data();
          req.n_queries = nq;
          req.base = data.base.data();
          req.rows = data.rows;
          req.dim = 24;
          req.metric = metric;
          req.k = 25;
          if (norms) req.base_sq_norms = data.norms.data();
          SCOPED_TRACE(std::string(MetricName(metric)) + " nq=" + std::to_string(nq));
          const Result want = RunScan(req, nullptr, true);
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            ExpectSameTopK(req, RunScan(req, p, false), want, true);
            if (::testing::Test::HasFatalFailure()) return;
          }
        }
      }
    }
  });
}

TEST(ScanTopKTest, LargeKAndLargeBatchAcrossThreads) {
  ThreadPool pool(2);
  const Dataset data = MakeDataset(20000, 32, 9, false);
  const std::vector<float> queries = RandomVector(300 * 32, 10);
  for (size_t k : {1, 1024}) {
    ScanRequest req;
    req.queries = queries.data();
    req.n_queries = 300;
    req.base = data.base.data();
    req.rows = data.rows;
    req.dim = 32;
    req.metric = Metric::kDot;
    req.k = k;
    SCOPED_TRACE("k=" + std::to_string(k));
    const Result want = RunScan(req, nullptr, true);
    ExpectSameTopK(req, RunScan(req, &pool, false), want, false);
  }
}

// No cap on k: above the old 1024, equal to the rows and above them, split across
// row parts (Knobs) so the merge of large heaps runs too, on the row and tile paths.
TEST(ScanTopKTest, KAboveOldCapEqualToRowsAndBeyond) {
  Knobs knobs;
  ThreadPool pool(3);
  const size_t rows = 2000, dim = 8;
  ForEachTarget([&] {
    const Dataset data = MakeDataset(rows, dim, 21, false);
    // L2 on the row path (one query), dot on the tile path (nine).
    for (const auto& [metric, nq] : {std::pair{Metric::kL2, size_t{1}}, std::pair{Metric::kDot, size_t{9}}}) {
      const std::vector<float> queries = RandomVector(nq * dim, 22);
      for (size_t k : {size_t{1500}, rows, size_t{2500}}) {
        ScanRequest req;
        req.queries = queries.data();
        req.n_queries = nq;
        req.base = data.base.data();
        req.rows = rows;
        req.dim = dim;
        req.metric = metric;
        req.k = k;
        req.row_allowed = k == 1500 ? data.allowed.data() : nullptr;
        SCOPED_TRACE(std::string(MetricName(metric)) + " nq=" + std::to_string(nq) +
                     " k=" + std::to_string(k));
        const Result want = RunScan(req, nullptr, true);
        for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
          ExpectSameTopK(req, RunScan(req, p, false), want, false);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  });
}

TEST(ScanTopKTest, RejectsBadArguments) {
  std::vector<float> base(16, 1.0f), q(4, 1.0f);
  std::vector<uint32_t> rows(2000);
  std::vector<float> scores(2000);
  std::vector<size_t> counts(1);
  ScanRequest req;
  req.queries = q.data();
  req.n_queries = 1;
  req.base = base.data();
  req.rows = 4;
  req.dim = 4;
  auto expect_invalid = [&](const ScanRequest& r, uint32_t* out_rows) {
    try {
      ScanTopK(r, nullptr, out_rows, scores.data(), counts.data());
      ADD_FAILURE() << "accepted";
    } catch (const ek::Error& e) {
      EXPECT_EQ(e.status(), EK_ERR_INVALID_ARGUMENT) << e.what();
    }
  };
  ScanRequest bad = req;
  bad.k = 0;
  expect_invalid(bad, rows.data());
  bad = req;
  bad.base = nullptr;
  expect_invalid(bad, rows.data());
  bad = req;
  bad.metric = static_cast<Metric>(7);
  expect_invalid(bad, rows.data());
  expect_invalid(req, nullptr);
  req.k = 2000;  // any k; the caller's buffers hold k slots a query
  ScanTopK(req, nullptr, rows.data(), scores.data(), counts.data());
  EXPECT_EQ(counts[0], 4u);
  EXPECT_EQ(rows[0], 0u);  // all scores tie: lowest rows first
  EXPECT_EQ(rows[3], 3u);
}

}  // namespace
}  // namespace ek::kernels
