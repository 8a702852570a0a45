// CUDA backend tests.
//
// Without a GPU (CI, these build machines) the "NoDevice" tests run: the probe gives a
// reason, every GPU entry point fails with EK_ERR_UNSUPPORTED, the seam keeps the CPU
// and the search/kernels fall back to identical CPU results. With a GPU the parity
// tests run: same top-k rows as the CPU, scores within 1e-4 relative, kernels within
// float rounding (FWHT bit-identical); without one they GTEST_SKIP with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "core/backend.h"
#include "cuda/cuda_backend.h"
#include "cuda_test_util.h"
#include "embedkit/embedkit.h"
#include "kernels/kernels.h"

namespace {

using ek::cuda_test::ExpectClose;
using ek::cuda_test::Random;
using ek::kernels::Metric;
using ek::kernels::ScanRequest;

struct ScanResult {
  std::vector<uint32_t> rows;
  std::vector<float> scores;
  std::vector<size_t> counts;
};

ScanResult RunCpu(const ScanRequest& req, ek::ThreadPool* pool) {
  ScanResult r{std::vector<uint32_t>(req.n_queries * req.k), std::vector<float>(req.n_queries * req.k),
               std::vector<size_t>(req.n_queries)};
  ek::kernels::ScanTopK(req, pool, r.rows.data(), r.scores.data(), r.counts.data());
  return r;
}

ScanResult RunGpu(const ScanRequest& req, uint64_t key, ek::ThreadPool* pool) {
  ScanResult r{std::vector<uint32_t>(req.n_queries * req.k), std::vector<float>(req.n_queries * req.k),
               std::vector<size_t>(req.n_queries)};
  ek::cuda::ScanTopK(req, key, pool, r.rows.data(), r.scores.data(), r.counts.data());
  return r;
}

void ExpectSameHits(const ScanResult& gpu, const ScanResult& cpu, const ScanRequest& req,
                    const std::string& label) {
  for (size_t q = 0; q < req.n_queries; ++q) {
    ASSERT_EQ(gpu.counts[q], cpu.counts[q]) << label << " query " << q;
    for (size_t i = 0; i < req.k; ++i) {
      const size_t j = q * req.k + i;
      const std::string where = label + " query " + std::to_string(q) + " rank " + std::to_string(i);
      ASSERT_EQ(gpu.rows[j], cpu.rows[j]) << where;
      if (i < cpu.counts[q]) {
        ExpectClose(gpu.scores[j], cpu.scores[j], 1e-4, where);
      } else {
        EXPECT_TRUE(std::isnan(gpu.scores[j])) << where;
      }
    }
  }
}

// A collection as the store keeps it: cosine rows unit-normalised, L2 with norms.
struct Collection {
  std::vector<float> base, norms;
  size_t rows, dim;
  Metric metric;
  Collection(size_t rows_, size_t dim_, Metric m, uint32_t seed)
      : base(Random(rows_ * dim_, seed)), rows(rows_), dim(dim_), metric(m) {
    if (m == Metric::kCosine) {
      for (size_t r = 0; r < rows; ++r) ek::kernels::Normalize(base.data() + r * dim, dim);
    }
    if (m == Metric::kL2) {
      norms.resize(rows);
      for (size_t r = 0; r < rows; ++r) norms[r] = ek::kernels::SquaredNorm(base.data() + r * dim, dim);
    }
  }
  ScanRequest Request(const std::vector<float>& q, size_t nq, size_t k) const {
    ScanRequest req;
    req.queries = q.data();
    req.n_queries = nq;
    req.base = base.data();
    req.rows = rows;
    req.dim = dim;
    req.metric = metric;
    req.base_sq_norms = norms.empty() ? nullptr : norms.data();
    req.k = k;
    return req;
  }
};

const char* MetricName(Metric m) {
  return m == Metric::kCosine ? "cosine" : m == Metric::kDot ? "dot" : "l2";
}

// ---- Without a device (what CI checks) -----------------------------------------------------

TEST(CudaNoDevice, ProbeSaysWhy) {
  const ek::cuda::DeviceInfo& info = ek::cuda::Probe();
  if (info.available) {
    EXPECT_FALSE(info.name.empty());
    EXPECT_GT(info.peak_bandwidth_gbs, 0.0);
    GTEST_SKIP() << "a GPU answers here: " << ek::cuda::Describe(info);
  }
  EXPECT_FALSE(info.reason.empty());
  EXPECT_NE(std::string::npos, ek::cuda::Describe(info).find(info.reason));
}

TEST(CudaNoDevice, EntryPointsFailWithTheReason) {
  if (ek::cuda::Probe().available) GTEST_SKIP() << "a GPU answers here";
  const std::vector<float> q = Random(8, 1), base = Random(8 * 4, 2);
  std::vector<float> out(4);
  try {
    ek::cuda::DotMany(q.data(), base.data(), 4, 8, out.data());
    FAIL() << "DotMany ran without a GPU";
  } catch (const ek::Error& e) {
    EXPECT_EQ(EK_ERR_UNSUPPORTED, e.status());
    EXPECT_NE(std::string::npos, std::string(e.what()).find(ek::cuda::Probe().reason)) << e.what();
  }
  Collection c(100, 8, Metric::kDot, 3);
  ScanRequest req = c.Request(q, 1, 5);
  std::vector<uint32_t> rows(5);
  std::vector<float> scores(5);
  std::vector<size_t> counts(1);
  try {
    ek::cuda::ScanTopK(req, 7, nullptr, rows.data(), scores.data(), counts.data());
    FAIL() << "ScanTopK ran without a GPU";
  } catch (const ek::Error& e) {
    EXPECT_EQ(EK_ERR_UNSUPPORTED, e.status());
  }
  ek::cuda::ReleaseResident();  // a no-op, not a failure
}

TEST(CudaNoDevice, SearchAndTableFallBackToTheCpu) {
  if (ek::cuda::Probe().available) GTEST_SKIP() << "a GPU answers here";
  Collection c(20000, 64, Metric::kCosine, 4);
  const std::vector<float> q = Random(40 * 64, 5);
  const ScanRequest req = c.Request(q, 40, 10);
  const ScanResult cpu = RunCpu(req, nullptr);
  ScanResult via(cpu);
  std::fill(via.rows.begin(), via.rows.end(), 0u);
  ek::cuda::Search(req, 99, nullptr, via.rows.data(), via.scores.data(), via.counts.data());
  EXPECT_EQ(cpu.rows, via.rows);
  EXPECT_EQ(cpu.counts, via.counts);
  for (size_t i = 0; i < cpu.scores.size(); ++i) EXPECT_EQ(cpu.scores[i], via.scores[i]);

  const ek_kernels* t = ek::cuda::KernelTable();
  EXPECT_STREQ("cuda", t->backend);
  const size_t m = 64, k = 512, n = 256;  // 8M multiply-adds x 64: over the GPU threshold
  const std::vector<float> a = Random(m * k, 6), b = Random(k * n, 7);
  std::vector<float> c1(m * n), c2(m * n);
  t->matmul(a.data(), b.data(), m, k, n, c1.data());
  ek::kernels::CpuKernelTable()->matmul(a.data(), b.data(), m, k, n, c2.data());
  EXPECT_EQ(c1, c2);
}

// k above what the GPU's top-k keeps (kMaxGpuTopK): the CPU scan answers, bit for bit,
// through ScanTopK and Search alike, with a device or without one.
TEST(CudaNoDevice, KAboveTheGpuLimitIsAnsweredByTheCpu) {
  Collection c(20000, 64, Metric::kL2, 8);
  const std::vector<float> q = Random(40 * 64, 9);
  const ScanRequest req = c.Request(q, 40, ek::cuda::kMaxGpuTopK + 476);
  const ScanResult cpu = RunCpu(req, nullptr);
  const ScanResult direct = RunGpu(req, 0, nullptr);
  EXPECT_EQ(cpu.rows, direct.rows);
  EXPECT_EQ(cpu.counts, direct.counts);
  ScanResult via(cpu);
  std::fill(via.rows.begin(), via.rows.end(), 0u);
  ek::cuda::Search(req, 98, nullptr, via.rows.data(), via.scores.data(), via.counts.data());
  EXPECT_EQ(cpu.rows, via.rows);
  for (size_t i = 0; i < cpu.scores.size(); ++i) {
    ASSERT_EQ(cpu.scores[i], direct.scores[i]) << i;
    ASSERT_EQ(cpu.scores[i], via.scores[i]) << i;
  }
}

TEST(CudaNoDevice, BackendSeam) {
  ek::Logger log(EK_LOG_INFO, nullptr, nullptr);
  if (ek::cuda::Probe().available) {
    EXPECT_EQ("cuda", ek::SelectBackend("auto", log).name);
    EXPECT_EQ("cuda", ek::SelectBackend("cuda", log).name);
    EXPECT_EQ("cpu", ek::SelectBackend("cpu", log).name);
    return;
  }
  EXPECT_EQ("cpu", ek::SelectBackend("auto", log).name);
  try {
    ek::SelectBackend("cuda", log);
    FAIL() << "backend cuda selected without a GPU";
  } catch (const ek::Error& e) {
    EXPECT_EQ(EK_ERR_UNSUPPORTED, e.status());
    EXPECT_NE(std::string::npos, std::string(e.what()).find(ek::cuda::Probe().reason)) << e.what();
  }
}

// ---- Parity with a device ----------------------------------------------------------------------

class CudaParity : public ek::cuda_test::GpuParityTest {};

TEST_F(CudaParity, TopKAllMetricsShapesAndK) {
  struct Shape {
    size_t rows, dim, nq, k;
  };
  // Row counts straddle the 64Ki-row segment; nq covers the warp-per-row kernel (<= 4)
  // and the three SGEMM tile shapes; dim 97 takes the unaligned scalar path.
  const Shape shapes[] = {{1000, 384, 1, 10},   {70000, 384, 1, 10},  {70000, 384, 3, 100},
                          {150000, 128, 7, 10}, {50000, 97, 40, 17},  {30000, 384, 200, 10},
                          {5000, 64, 2, 1024},  {140000, 32, 20, 1024}, {300, 16, 5, 1000},
                          {3, 8, 2, 10}};
  uint32_t seed = 100;
  for (Metric m : {Metric::kDot, Metric::kCosine, Metric::kL2}) {
    for (const Shape& s : shapes) {
      Collection c(s.rows, s.dim, m, ++seed);
      const std::vector<float> q = Random(s.nq * s.dim, ++seed);
      const ScanRequest req = c.Request(q, s.nq, s.k);
      const std::string label = std::string(MetricName(m)) + " rows " + std::to_string(s.rows) +
                                " dim " + std::to_string(s.dim) + " nq " + std::to_string(s.nq) +
                                " k " + std::to_string(s.k);
      const ScanResult cpu = RunCpu(req, &pool_);
      ExpectSameHits(RunGpu(req, 0, &pool_), cpu, req, label + " (streamed)");
      ExpectSameHits(RunGpu(req, 1000 + seed, &pool_), cpu, req, label + " (uploaded)");
      EXPECT_TRUE(ek::cuda::LastScanStats().resident) << label;
      ExpectSameHits(RunGpu(req, 1000 + seed, &pool_), cpu, req, label + " (resident)");
      EXPECT_FALSE(ek::cuda::LastScanStats().uploaded) << label;
    }
  }
}

TEST_F(CudaParity, FilterMaskAndTiesByLowerRow) {
  const size_t rows = 90000, dim = 48, nq = 6, k = 50;
  Collection c(rows, dim, Metric::kDot, 11);
  // Every row repeated in blocks of three: scores tie exactly; lower row must win.
  for (size_t r = 0; r + 2 < rows; r += 3) {
    std::memcpy(&c.base[(r + 1) * dim], &c.base[r * dim], dim * sizeof(float));
    std::memcpy(&c.base[(r + 2) * dim], &c.base[r * dim], dim * sizeof(float));
  }
  std::vector<uint8_t> allowed(rows);
  for (size_t r = 0; r < rows; ++r) allowed[r] = (r % 7) != 3;
  const std::vector<float> q = Random(nq * dim, 12);
  ScanRequest req = c.Request(q, nq, k);
  req.row_allowed = allowed.data();
  const ScanResult cpu = RunCpu(req, &pool_);
  ExpectSameHits(RunGpu(req, 0, &pool_), cpu, req, "filtered ties (streamed)");
  ExpectSameHits(RunGpu(req, 77, &pool_), cpu, req, "filtered ties (resident)");
  // A filter that leaves fewer rows than k.
  std::fill(allowed.begin(), allowed.end(), 0);
  for (size_t r = 100; r < 120; ++r) allowed[r] = 1;
  const ScanResult few_cpu = RunCpu(req, &pool_);
  const ScanResult few_gpu = RunGpu(req, 77, &pool_);
  ExpectSameHits(few_gpu, few_cpu, req, "20 rows allowed");
  EXPECT_EQ(20u, few_gpu.counts[0]);
}

TEST_F(CudaParity, StreamingChunksAndQueryGroups) {
  // Small staging and score budgets force many chunks per query group, the
  // double-buffered pipeline, and the merge of running top-k across chunks.
  ek::cuda::ScanTuning t;
  t.staging_bytes = 1u << 20;          // 1 MiB: 2048 rows of 128 floats per chunk
  t.score_budget_bytes = 1u << 20;
  t.residency_budget_bytes = 1u << 20; // nothing becomes resident
  ek::cuda::SetScanTuning(t);
  for (Metric m : {Metric::kDot, Metric::kL2}) {
    Collection c(100000, 128, m, 21);
    const std::vector<float> q = Random(64 * 128, 22);
    const ScanRequest req = c.Request(q, 64, 32);
    const ScanResult cpu = RunCpu(req, &pool_);
    ExpectSameHits(RunGpu(req, 5, &pool_), cpu, req, std::string("streamed ") + MetricName(m));
    const ek::cuda::ScanStats st = ek::cuda::LastScanStats();
    EXPECT_FALSE(st.resident);
    EXPECT_GT(st.chunks, 40u);
    EXPECT_EQ(uint64_t{100000} * 128 * 4 * st.query_groups, st.bytes_streamed);
  }
}

TEST_F(CudaParity, SearchPolicyUsesTheGpuOnSecondSight) {
  Collection c(200000, 64, Metric::kCosine, 31);
  const std::vector<float> q = Random(64, 32);
  const ScanRequest req = c.Request(q, 1, 10);
  const ScanResult cpu = RunCpu(req, &pool_);
  for (int i = 0; i < 3; ++i) {
    ScanResult r(cpu);
    ek::cuda::Search(req, 4242, &pool_, r.rows.data(), r.scores.data(), r.counts.data());
    ExpectSameHits(r, cpu, req, "Search call " + std::to_string(i));
  }
  EXPECT_TRUE(ek::cuda::LastScanStats().resident);
}

TEST_F(CudaParity, Kernels) {
  const size_t rows = 3001, dim = 200, nq = 37;
  const std::vector<float> base = Random(rows * dim, 41), q = Random(nq * dim, 42);
  {  // one-vs-many (also matvec)
    std::vector<float> g(rows), c(rows);
    ek::cuda::DotMany(q.data(), base.data(), rows, dim, g.data());
    ek::kernels::DotMany(q.data(), base.data(), rows, dim, c.data());
    for (size_t r = 0; r < rows; ++r) ExpectClose(g[r], c[r], 1e-4, "dot_many " + std::to_string(r));
    ek::cuda::MatVec(base.data(), rows, dim, q.data(), g.data());
    ek::kernels::MatVec(base.data(), rows, dim, q.data(), c.data());
    for (size_t r = 0; r < rows; ++r) ExpectClose(g[r], c[r], 1e-4, "matvec " + std::to_string(r));
  }
  for (size_t n_q : {size_t{3}, size_t{16}, nq, size_t{130}}) {  // many-vs-many, each tile shape
    const std::vector<float> qq = Random(n_q * dim, 43);
    std::vector<float> g(n_q * rows), c(n_q * rows);
    ek::cuda::DotManyMany(qq.data(), n_q, base.data(), rows, dim, g.data());
    ek::kernels::DotManyMany(qq.data(), n_q, base.data(), rows, dim, c.data());
    for (size_t i = 0; i < g.size(); ++i) {
      // Dot products of random vectors can be near zero: compare against their scale.
      ASSERT_NEAR(g[i], c[i], 1e-4 * std::sqrt(double(dim))) << "dot_many_many " << n_q << " " << i;
    }
  }
  {  // matmul, odd sizes
    const size_t m = 67, k = 129, n = 93;
    const std::vector<float> a = Random(m * k, 44), b = Random(k * n, 45);
    std::vector<float> g(m * n), c(m * n);
    ek::cuda::MatMul(a.data(), b.data(), m, k, n, g.data());
    ek::kernels::MatMul(a.data(), b.data(), m, k, n, c.data());
    for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], c[i], 1e-4 * std::sqrt(double(k))) << i;
  }
  {  // normalize, with an all-zero row
    std::vector<float> g = Random(rows * dim, 46);
    std::fill(g.begin() + 5 * dim, g.begin() + 6 * dim, 0.0f);
    std::vector<float> c = g, norms(rows);
    ek::cuda::NormalizeRows(g.data(), rows, dim, norms.data());
    for (size_t r = 0; r < rows; ++r) {
      const float old = ek::kernels::Normalize(c.data() + r * dim, dim);
      ExpectClose(norms[r], old, 1e-5, "norm " + std::to_string(r));
    }
    for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], c[i], 1e-6) << i;
    EXPECT_EQ(0.0f, norms[5]);
  }
  // fwht: shared-memory stages only, and shared + global stages; same butterflies as
  // the CPU, so the results are bit-identical.
  for (size_t n : {size_t{1}, size_t{2}, size_t{64}, size_t{1024}, size_t{4096}, size_t{65536}}) {
    const size_t count = n >= 65536 ? 3 : 50;
    std::vector<float> g = Random(count * n, 47), c = g;
    ek::cuda::Fwht(g.data(), count, n);
    for (size_t v = 0; v < count; ++v) ek::kernels::Fwht(c.data() + v * n, n);
    for (size_t i = 0; i < g.size(); ++i) ASSERT_EQ(g[i], c[i]) << "fwht n " << n << " at " << i;
  }
  std::vector<float> bad(12);
  EXPECT_THROW(ek::cuda::Fwht(bad.data(), 1, 12), ek::Error);
}

TEST_F(CudaParity, ThroughTheCApi) {
  // backend "cuda" and "cpu" contexts give the same hits for the same store contents.
  auto run = [](const char* backend, std::vector<std::string>* ids, std::vector<float>* scores) {
    ek_context_options o;
    ek_context_options_init(&o);
    o.backend = backend;
    ek_context* ctx = nullptr;
    ASSERT_EQ(EK_OK, ek_context_create(&o, &ctx)) << ek_last_error();
    ek_context_info info;
    std::memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ASSERT_EQ(EK_OK, ek_context_info_get(ctx, &info));
    EXPECT_STREQ(backend, info.backend);
    ek_store* store = nullptr;
    ASSERT_EQ(EK_OK, ek_store_open(ctx, ":memory:", nullptr, &store)) << ek_last_error();
    ek_collection* col = nullptr;
    const uint32_t dim = 96;
    ASSERT_EQ(EK_OK, ek_collection_create(store, "docs", dim, EK_METRIC_COSINE, &col));
    const size_t n = 60000;
    const std::vector<float> v = Random(n * dim, 51);
    std::vector<std::string> names(n);
    std::vector<const char*> id_ptrs(n);
    for (size_t i = 0; i < n; ++i) {
      names[i] = "d" + std::to_string(i);
      id_ptrs[i] = names[i].c_str();
    }
    ek_upsert_batch batch;
    std::memset(&batch, 0, sizeof batch);
    batch.struct_size = sizeof batch;
    batch.count = n;
    batch.ids = id_ptrs.data();
    batch.vectors = v.data();
    batch.dim = dim;
    ASSERT_EQ(EK_OK, ek_collection_upsert(col, &batch)) << ek_last_error();
    const std::vector<float> q = Random(4 * dim, 52);
    for (int rep = 0; rep < 3; ++rep) {  // the GPU uploads on the second sight
      ek_results* res = nullptr;
      ASSERT_EQ(EK_OK, ek_collection_search(col, q.data(), 4, dim, nullptr, &res)) << ek_last_error();
      ids->clear();
      scores->clear();
      for (size_t qi = 0; qi < 4; ++qi) {
        for (size_t r = 0; r < ek_results_hit_count(res, qi); ++r) {
          ek_hit hit;
          std::memset(&hit, 0, sizeof hit);
          hit.struct_size = sizeof hit;
          ASSERT_EQ(EK_OK, ek_results_hit(res, qi, r, &hit));
          ids->push_back(hit.id);
          scores->push_back(hit.score);
        }
      }
      ek_results_free(res);
    }
    ek_collection_free(col);
    ek_store_free(store);
    ek_context_free(ctx);
  };
  std::vector<std::string> gpu_ids, cpu_ids;
  std::vector<float> gpu_scores, cpu_scores;
  run("cuda", &gpu_ids, &gpu_scores);
  run("cpu", &cpu_ids, &cpu_scores);
  ASSERT_FALSE(cpu_ids.empty());
  EXPECT_EQ(cpu_ids, gpu_ids);
  ASSERT_EQ(cpu_scores.size(), gpu_scores.size());
  for (size_t i = 0; i < cpu_scores.size(); ++i) ExpectClose(gpu_scores[i], cpu_scores[i], 1e-4, "hit " + std::to_string(i));
}

}  // namespace
