// The backends' scan over quantized rows (issue 19; docs/design/index_in_store.md §6).
//
// Everywhere: the cpu backend's quantized_scan is kernels::QuantizedScanTopK, and the
// cuda backend's QuantizedSearch gives the CPU's answer, bit for bit, wherever the GPU
// does not take the call (batches under 64 queries, bit rows, no device); argument
// errors come through. With a GPU: cuda::QuantizedScanTopK against the CPU on random
// f16 and int8 rows, every metric, filter masks, streamed / uploaded / resident rows:
// int8 rows and scores identical (exact integer sums, the same double formula), f16
// scores within f32 rounding and rows identical except inside groups whose scores tie
// within it (sums in another order may swap them). Without a device they GTEST_SKIP.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "core/backend.h"
#include "cuda/cuda_backend.h"
#include "cuda_test_util.h"
#include "kernels/quantize.h"
#include "kernels/quantized_distance.h"

namespace {

using ek::cuda_test::Random;
using ek::kernels::ElementType;
using ek::kernels::Metric;
using ek::kernels::QuantizedScanRequest;

constexpr Metric kMetrics[] = {Metric::kDot, Metric::kCosine, Metric::kL2};

const char* Name(Metric m) { return m == Metric::kCosine ? "cosine" : m == Metric::kDot ? "dot" : "l2"; }
const char* Name(ElementType t) {
  return t == ElementType::kF16 ? "f16" : t == ElementType::kInt8 ? "int8" : "bit";
}

// Random rows in [-1, 1), encoded as the store encodes them.
struct QuantizedRows {
  ElementType type;
  size_t rows, dim;
  float scale = 0.0f;
  std::vector<uint16_t> f16;
  std::vector<int8_t> i8;
  std::vector<uint64_t> bits;

  QuantizedRows(ElementType t, size_t rows_, size_t dim_, uint32_t seed)
      : type(t), rows(rows_), dim(dim_) {
    const std::vector<float> v = Random(rows * dim, seed);
    if (t == ElementType::kF16) {
      f16.resize(v.size());
      ek::kernels::EncodeF16(v.data(), v.size(), f16.data());
    } else if (t == ElementType::kInt8) {
      scale = ek::kernels::CalibrateInt8Scale(v.data(), v.size());
      i8.resize(v.size());
      ek::kernels::EncodeInt8(v.data(), v.size(), scale, i8.data());
    } else {
      bits.resize(rows * ek::kernels::BitWords(dim));
      for (size_t r = 0; r < rows; ++r) {
        ek::kernels::EncodeBits(v.data() + r * dim, dim, bits.data() + r * ek::kernels::BitWords(dim));
      }
    }
  }
  // Row `from` copied over row `to` (exact ties).
  void CopyRow(size_t from, size_t to) {
    if (type == ElementType::kF16) std::copy_n(&f16[from * dim], dim, &f16[to * dim]);
    if (type == ElementType::kInt8) std::copy_n(&i8[from * dim], dim, &i8[to * dim]);
  }
  const void* data() const {
    return type == ElementType::kF16    ? static_cast<const void*>(f16.data())
           : type == ElementType::kInt8 ? static_cast<const void*>(i8.data())
                                        : static_cast<const void*>(bits.data());
  }
  QuantizedScanRequest Request(const std::vector<float>& q, size_t nq, Metric m, size_t k) const {
    QuantizedScanRequest req;
    req.type = type;
    req.queries = q.data();
    req.n_queries = nq;
    req.base = data();
    req.rows = rows;
    req.dim = dim;
    req.metric = m;
    req.int8_scale = scale;
    req.k = k;
    return req;
  }
};

struct Result {
  std::vector<uint32_t> rows;
  std::vector<float> scores;
  std::vector<size_t> counts;
};

using ScanCall = std::function<void(const QuantizedScanRequest&, uint32_t*, float*, size_t*)>;

Result RunWith(const QuantizedScanRequest& req, const ScanCall& call) {
  Result r{std::vector<uint32_t>(req.n_queries * req.k, 7u),
           std::vector<float>(req.n_queries * req.k, -7.0f), std::vector<size_t>(req.n_queries, 7u)};
  call(req, r.rows.data(), r.scores.data(), r.counts.data());
  return r;
}

Result RunCpu(const QuantizedScanRequest& req, ek::ThreadPool* pool) {
  return RunWith(req, [pool](const QuantizedScanRequest& q, uint32_t* rows, float* scores, size_t* counts) {
    ek::kernels::QuantizedScanTopK(q, pool, rows, scores, counts);
  });
}

Result RunGpu(const QuantizedScanRequest& req, uint64_t key, ek::ThreadPool* pool) {
  return RunWith(req, [key, pool](const QuantizedScanRequest& q, uint32_t* rows, float* scores,
                              size_t* counts) {
    ek::cuda::QuantizedScanTopK(q, key, pool, rows, scores, counts);
  });
}

// Bit for bit, NaN slots included.
void ExpectIdentical(const Result& got, const Result& want, const std::string& label) {
  EXPECT_EQ(want.rows, got.rows) << label;
  EXPECT_EQ(want.counts, got.counts) << label;
  ASSERT_EQ(want.scores.size(), got.scores.size()) << label;
  EXPECT_EQ(0, std::memcmp(want.scores.data(), got.scores.data(), want.scores.size() * sizeof(float)))
      << label;
}

// f16 scores: f32 sums in another order, so within 1e-4 of max(1, |score|).
double F16Tolerance(float score) { return 1e-4 * std::max(1.0, std::fabs(double(score))); }

// GPU against CPU. int8: identical. f16: scores close rank by rank; a rank may hold
// another row only where the CPU's score there ties a neighbour's within the
// tolerance, or at the last hit (the row after it may tie it); no row twice.
void ExpectParity(const Result& gpu, const Result& cpu, const QuantizedScanRequest& req,
                  const std::string& label) {
  if (req.type == ElementType::kInt8) return ExpectIdentical(gpu, cpu, label);
  const size_t k = req.k;
  for (size_t q = 0; q < req.n_queries; ++q) {
    ASSERT_EQ(cpu.counts[q], gpu.counts[q]) << label << " query " << q;
    const size_t n = cpu.counts[q];
    const float* cs = &cpu.scores[q * k];
    std::set<uint32_t> seen;
    for (size_t i = 0; i < k; ++i) {
      const size_t j = q * k + i;
      const std::string where = label + " query " + std::to_string(q) + " rank " + std::to_string(i);
      if (i >= n) {
        EXPECT_EQ(UINT32_MAX, gpu.rows[j]) << where;
        EXPECT_TRUE(std::isnan(gpu.scores[j])) << where;
        continue;
      }
      ASSERT_NEAR(gpu.scores[j], cs[i], F16Tolerance(cs[i])) << where;
      ASSERT_TRUE(seen.insert(gpu.rows[j]).second) << where << ": row " << gpu.rows[j] << " twice";
      if (gpu.rows[j] == cpu.rows[j]) continue;
      const bool tie_before = i > 0 && std::fabs(cs[i] - cs[i - 1]) <= F16Tolerance(cs[i]);
      const bool tie_after = i + 1 < n && std::fabs(cs[i] - cs[i + 1]) <= F16Tolerance(cs[i]);
      EXPECT_TRUE(tie_before || tie_after || i + 1 == n)
          << where << ": row " << gpu.rows[j] << " where the CPU has " << cpu.rows[j];
    }
  }
}

std::vector<uint8_t> EveryRowBut(size_t rows, size_t modulus) {
  std::vector<uint8_t> allowed(rows);
  for (size_t r = 0; r < rows; ++r) allowed[r] = (r % modulus) != 3;
  return allowed;
}

// ---- Everywhere ----------------------------------------------------------------------------

TEST(QuantizedBackend, CpuBackendIsQuantizedScanTopK) {
  ek::Logger log(EK_LOG_ERROR, nullptr, nullptr);
  const ek::Backend cpu = ek::SelectBackend("cpu", log);
  ASSERT_NE(nullptr, cpu.quantized_scan);
  ek::ThreadPool pool(2);
  const std::vector<float> q = Random(5 * 40, 2);
  const std::vector<uint8_t> allowed = EveryRowBut(3000, 5);
  for (ElementType t : {ElementType::kF16, ElementType::kInt8, ElementType::kBit}) {
    const QuantizedRows rows(t, 3000, 40, 1);
    for (Metric m : kMetrics) {
      QuantizedScanRequest req = rows.Request(q, 5, m, 10);
      req.row_allowed = allowed.data();
      const std::string label = std::string(Name(t)) + " " + Name(m);
      const Result via = RunWith(req, [&](const QuantizedScanRequest& r, uint32_t* o, float* s, size_t* c) {
        cpu.quantized_scan(r, 42, &pool, o, s, c);
      });
      ExpectIdentical(via, RunCpu(req, &pool), label);
      EXPECT_EQ(10u, via.counts[0]) << label;
    }
  }
}

// Below 64 queries, bit rows, or without a device, QuantizedSearch is the CPU function.
TEST(QuantizedBackend, CudaSearchAnswersLikeTheCpuWhereTheGpuDoesNot) {
  ek::ThreadPool pool(2);
  const size_t dim = 24;
  const std::vector<float> q = Random(64 * dim, 4);
  auto search = [&pool](uint64_t key) {
    return [key, &pool](const QuantizedScanRequest& r, uint32_t* o, float* s, size_t* c) {
      ek::cuda::QuantizedSearch(r, key, &pool, o, s, c);
    };
  };
  for (ElementType t : {ElementType::kF16, ElementType::kInt8}) {
    const QuantizedRows rows(t, 2000, dim, 3);
    for (Metric m : kMetrics) {
      const QuantizedScanRequest req = rows.Request(q, ek::cuda::kMinGpuQuantizedQueries - 1, m, 8);
      ExpectIdentical(RunWith(req, search(11)), RunCpu(req, &pool),
                      std::string(Name(t)) + " " + Name(m) + ", 63 queries");
    }
  }
  const QuantizedRows bits(ElementType::kBit, 2000, dim, 5);
  const QuantizedScanRequest bit_req = bits.Request(q, 64, Metric::kDot, 8);
  ExpectIdentical(RunWith(bit_req, search(12)), RunCpu(bit_req, &pool), "bit, 64 queries");
  if (!ek::cuda::Probe().available) {
    const QuantizedRows rows(ElementType::kF16, 2000, dim, 6);
    const QuantizedScanRequest req = rows.Request(q, 64, Metric::kCosine, 8);
    ExpectIdentical(RunWith(req, search(13)), RunCpu(req, &pool), "f16, 64 queries, no device");
  }
}

// A refusal of the CPU function reaches the caller of QuantizedSearch, device or not.
TEST(QuantizedBackend, CudaSearchPassesArgumentErrorsOn) {
  const size_t dim = 16;
  const std::vector<float> q = Random(64 * dim, 8);
  const QuantizedRows rows(ElementType::kInt8, 500, dim, 7);
  std::vector<uint32_t> out_rows(64 * 8);
  std::vector<float> out_scores(64 * 8);
  std::vector<size_t> counts(64);
  QuantizedScanRequest bad_scale = rows.Request(q, 64, Metric::kDot, 8);
  bad_scale.int8_scale = 0.0f;
  std::vector<float> nan_q = q;
  nan_q[5 * dim + 3] = std::nanf("");
  const QuantizedScanRequest nan_query = rows.Request(nan_q, 64, Metric::kL2, 8);
  for (const QuantizedScanRequest& req : {bad_scale, nan_query}) {
    try {
      ek::cuda::QuantizedSearch(req, 21, nullptr, out_rows.data(), out_scores.data(), counts.data());
      ADD_FAILURE() << "QuantizedSearch accepted a request the CPU refuses";
    } catch (const ek::Error& e) {
      EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, e.status()) << e.what();
    }
  }
}

TEST(CudaNoDevice, QuantizedScanFailsWithTheReason) {
  if (ek::cuda::Probe().available) GTEST_SKIP() << "a GPU answers here";
  const std::vector<float> q = Random(64 * 16, 10);
  const QuantizedRows rows(ElementType::kF16, 500, 16, 9);
  const QuantizedScanRequest req = rows.Request(q, 64, Metric::kDot, 8);
  try {
    RunGpu(req, 31, nullptr);
    FAIL() << "QuantizedScanTopK ran without a GPU";
  } catch (const ek::Error& e) {
    EXPECT_EQ(EK_ERR_UNSUPPORTED, e.status());
    EXPECT_NE(std::string::npos, std::string(e.what()).find(ek::cuda::Probe().reason)) << e.what();
  }
  // What the GPU never takes is the CPU's, device or not.
  const QuantizedRows bits(ElementType::kBit, 500, 16, 11);
  const QuantizedScanRequest bit_req = bits.Request(q, 64, Metric::kDot, 8);
  ExpectIdentical(RunGpu(bit_req, 32, nullptr), RunCpu(bit_req, nullptr), "bit rows");
}

// ---- Parity with a device ------------------------------------------------------------------

class CudaQuantizedParity : public ek::cuda_test::GpuParityTest {};

TEST_F(CudaQuantizedParity, EveryTypeMetricAndShape) {
  struct Shape {
    size_t rows, dim, nq, k;
  };
  // Rows across the 64Ki-row segment and the 64-row tile; dims below, at and across the
  // 32-component step (37: a partial one); query counts off the 64-query tile and over
  // the 4,096-query group; k from 1 to 1024 and above the rows.
  const Shape shapes[] = {{1000, 96, 64, 10},   {70000, 37, 64, 100}, {5000, 128, 130, 1024},
                          {3000, 16, 4100, 5},  {50, 8, 65, 100},     {20000, 384, 64, 1}};
  uint32_t seed = 100;
  for (ElementType t : {ElementType::kF16, ElementType::kInt8}) {
    for (Metric m : kMetrics) {
      for (const Shape& s : shapes) {
        const QuantizedRows rows(t, s.rows, s.dim, ++seed);
        const std::vector<float> q = Random(s.nq * s.dim, ++seed);
        const QuantizedScanRequest req = rows.Request(q, s.nq, m, s.k);
        const std::string label = std::string(Name(t)) + " " + Name(m) + " rows " +
                                  std::to_string(s.rows) + " dim " + std::to_string(s.dim) +
                                  " nq " + std::to_string(s.nq) + " k " + std::to_string(s.k);
        const Result cpu = RunCpu(req, &pool_);
        ExpectParity(RunGpu(req, 0, &pool_), cpu, req, label + " (streamed)");
        ExpectParity(RunGpu(req, 5000 + seed, &pool_), cpu, req, label + " (uploaded)");
        EXPECT_TRUE(ek::cuda::LastQuantizedScanStats().uploaded) << label;
        ExpectParity(RunGpu(req, 5000 + seed, &pool_), cpu, req, label + " (resident)");
        const ek::cuda::ScanStats st = ek::cuda::LastQuantizedScanStats();
        EXPECT_TRUE(st.resident) << label;
        EXPECT_FALSE(st.uploaded) << label;
      }
    }
  }
}

TEST_F(CudaQuantizedParity, FilterMaskTiesAndChunks) {
  // Small budgets: many chunks per query group and nothing resident.
  ek::cuda::ScanTuning tuning;
  tuning.staging_bytes = 64u << 10;
  tuning.score_budget_bytes = 256u << 10;
  tuning.residency_budget_bytes = 1u << 10;
  ek::cuda::SetScanTuning(tuning);
  const size_t n = 30000, dim = 48, nq = 64, k = 50;
  const std::vector<float> q = Random(nq * dim, 201);
  std::vector<uint8_t> allowed = EveryRowBut(n, 7);
  for (ElementType t : {ElementType::kF16, ElementType::kInt8}) {
    QuantizedRows rows(t, n, dim, 202);
    // Rows repeated in threes: their scores tie exactly and the lower row must win.
    for (size_t r = 0; r + 2 < n; r += 3) {
      rows.CopyRow(r, r + 1);
      rows.CopyRow(r, r + 2);
    }
    for (Metric m : kMetrics) {
      const std::string label = std::string(Name(t)) + " " + Name(m);
      QuantizedScanRequest req = rows.Request(q, nq, m, k);
      req.row_allowed = allowed.data();
      const Result cpu = RunCpu(req, &pool_);
      const Result gpu = RunGpu(req, 77, &pool_);
      ExpectParity(gpu, cpu, req, label + " filtered ties");
      const ek::cuda::ScanStats st = ek::cuda::LastQuantizedScanStats();
      EXPECT_FALSE(st.resident) << label;
      EXPECT_GT(st.chunks, 10u) << label;
      EXPECT_EQ(uint64_t{n} * ek::kernels::BytesPerVector(t, dim), st.bytes_streamed) << label;
      for (size_t i = 0; i < gpu.rows.size(); ++i) {
        ASSERT_TRUE(allowed[gpu.rows[i]]) << label << " slot " << i << " row " << gpu.rows[i];
      }
    }
  }
  // Fewer allowed rows than k.
  std::fill(allowed.begin(), allowed.end(), 0);
  std::fill(allowed.begin() + 100, allowed.begin() + 120, 1);
  const QuantizedRows rows(ElementType::kInt8, n, dim, 203);
  QuantizedScanRequest req = rows.Request(q, nq, Metric::kCosine, k);
  req.row_allowed = allowed.data();
  const Result gpu = RunGpu(req, 78, &pool_);
  ExpectIdentical(gpu, RunCpu(req, &pool_), "20 rows allowed");
  EXPECT_EQ(20u, gpu.counts[0]);
}

// The backend's function: 64 queries go to the GPU (first call uploads, second finds
// the rows resident) and answer as the CPU does.
TEST_F(CudaQuantizedParity, SearchUsesTheGpuFrom64Queries) {
  const size_t dim = 64;
  const std::vector<float> q = Random(64 * dim, 301);
  for (ElementType t : {ElementType::kF16, ElementType::kInt8}) {
    const QuantizedRows rows(t, 40000, dim, 302);
    const QuantizedScanRequest req = rows.Request(q, 64, Metric::kL2, 10);
    const Result cpu = RunCpu(req, &pool_);
    const uint64_t key = 4243 + static_cast<uint64_t>(t);  // one key per contents
    for (int call = 0; call < 2; ++call) {
      const Result via = RunWith(req, [this, key](const QuantizedScanRequest& r, uint32_t* o, float* s, size_t* c) {
        ek::cuda::QuantizedSearch(r, key, &pool_, o, s, c);
      });
      ExpectParity(via, cpu, req, std::string(Name(t)) + " call " + std::to_string(call));
      const ek::cuda::ScanStats st = ek::cuda::LastQuantizedScanStats();
      EXPECT_TRUE(st.resident);
      EXPECT_EQ(call == 0, st.uploaded);
    }
  }
}

}  // namespace
