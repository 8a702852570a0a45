// Quantized element types (kernels/quantize.h) and their kernels
// (kernels/quantized_distance.h): encode/decode bounds, int8 calibration, the NaN/Inf
// refusal, every compiled target against the scalar twins (int8 and Hamming exactly,
// f16 within SumTol), the fused top-k with filters, ties, k > rows and a pool, and the
// recall of f16 and int8 top-10 against the f32 top-10 on clustered data.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/quantize.h"
#include "kernels/quantized_distance.h"
#include "kernels/quantized_reference.h"
#include "kernels/reference.h"
#include "target_loop.h"

namespace ek::kernels {
namespace {

using testing::ExpectInvalid;
using testing::ForEachTarget;
using testing::RandomVector;
using testing::SumTol;

constexpr Metric kMetrics[] = {Metric::kDot, Metric::kL2, Metric::kCosine};
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Rows encoded three ways from the same f32 rows.
struct Encoded {
  std::vector<uint16_t> f16;
  std::vector<int8_t> i8;
  float scale = 0.0f;
  std::vector<uint64_t> bits;
};

Encoded Encode(const std::vector<float>& rows, size_t n, size_t dim) {
  Encoded e;
  e.f16.resize(n * dim);
  EncodeF16(rows.data(), n * dim, e.f16.data());
  e.scale = rows.empty() ? 1.0f / 127 : CalibrateInt8Scale(rows.data(), rows.size());
  e.i8.resize(n * dim);
  EncodeInt8(rows.data(), n * dim, e.scale, e.i8.data());
  e.bits.resize(n * BitWords(dim));
  for (size_t r = 0; r < n; ++r) {
    EncodeBits(rows.data() + r * dim, dim, e.bits.data() + r * BitWords(dim));
  }
  return e;
}

TEST(QuantizeTest, BytesPerVector) {
  EXPECT_EQ(BytesPerVector(ElementType::kF32, 384), 1536u);
  EXPECT_EQ(BytesPerVector(ElementType::kF16, 384), 768u);
  EXPECT_EQ(BytesPerVector(ElementType::kInt8, 384), 384u);
  EXPECT_EQ(BytesPerVector(ElementType::kBit, 384), 48u);
  EXPECT_EQ(BytesPerVector(ElementType::kBit, 65), 16u);  // whole 64-bit words
  EXPECT_EQ(BytesPerVector(ElementType::kBit, 0), 0u);
  ExpectInvalid([] { BytesPerVector(static_cast<ElementType>(7), 4); });
}

TEST(QuantizeTest, F16EveryFiniteHalfRoundTripsAndRoundingIsToNearestEven) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    if (((h >> 10) & 0x1F) == 0x1F) continue;  // Inf/NaN halves are never produced
    ASSERT_EQ(F16FromFloat(FloatFromF16(uint16_t(h))), h) << std::hex << h;
  }
  EXPECT_EQ(FloatFromF16(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(F16FromFloat(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even (1.0)
  EXPECT_EQ(F16FromFloat(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even
  EXPECT_EQ(F16FromFloat(std::ldexp(1.0f, -25)), 0x0000);  // half the smallest: tie -> 0
  EXPECT_EQ(F16FromFloat(std::ldexp(1.5f, -25)), 0x0001);
  // Saturation instead of Inf: 65504 is the largest half; 65520 would round to Inf.
  EXPECT_EQ(F16FromFloat(65519.0f), 0x7BFF);
  EXPECT_EQ(F16FromFloat(65520.0f), 0x7BFF);
  EXPECT_EQ(F16FromFloat(-1e30f), 0xFBFF);
  // Relative error <= 2^-11 over the normal range.
  const auto x = RandomVector(1000, 1, -300.0f, 300.0f);
  std::vector<uint16_t> h(x.size());
  std::vector<float> back(x.size());
  EncodeF16(x.data(), x.size(), h.data());
  DecodeF16(h.data(), h.size(), back.data());
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::fabs(x[i]) >= std::ldexp(1.0f, -14)) {
      EXPECT_LE(std::fabs(back[i] - x[i]), std::ldexp(std::fabs(x[i]), -11)) << x[i];
    }
  }
}

TEST(QuantizeTest, Int8RoundTripIsWithinHalfAStepAndClipsBeyondTheRange) {
  const auto x = RandomVector(999, 2, -2.0f, 2.0f);
  const float scale = 1.5f / 127;  // |x| > 1.5 clips
  std::vector<int8_t> codes(x.size());
  std::vector<float> back(x.size());
  EncodeInt8(x.data(), x.size(), scale, codes.data());
  DecodeInt8(codes.data(), codes.size(), scale, back.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_GE(codes[i], -127);
    const float clipped = std::clamp(x[i], -1.5f, 1.5f);
    EXPECT_LE(std::fabs(back[i] - clipped), 0.5f * scale * 1.0001f) << x[i];
  }
  // The query's own scale: max |q| maps to 127, nothing clips; all-zero gives 0.
  int8_t q[3];
  EXPECT_FLOAT_EQ(EncodeInt8Query(std::vector<float>{0.5f, -2.54f, 1.0f}.data(), 3, q), 0.02f);
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[0], 25);
  EXPECT_EQ(EncodeInt8Query(std::vector<float>{0.0f, -0.0f, 0.0f}.data(), 3, q), 0.0f);
  EXPECT_EQ(q[0] | q[1] | q[2], 0);
}

// Found by fuzz_index: max |q| / 127 underflowed to 0 for a tiny subnormal query, which
// then had nonzero codes and scale 0 (every int8 dot score 0).
TEST(QuantizeTest, Int8QueryScaleOfATinyQueryIsTheSmallestFloat) {
  const float tiny = std::numeric_limits<float>::denorm_min();
  const std::vector<float> x = {-tiny, 63 * tiny};  // 63 / 127 of the smallest float: 0
  int8_t q[2];
  EXPECT_EQ(EncodeInt8Query(x.data(), 2, q), tiny);
  EXPECT_EQ(q[0], -1);
  EXPECT_EQ(q[1], 63);
}

TEST(QuantizeTest, Int8CalibrationIgnoresRareOutliers) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> sample(20000);
  for (auto& v : sample) v = normal(rng);
  for (size_t i = 0; i < 10; ++i) sample[i * 1999] = (i % 2 ? -1 : 1) * 1000.0f;  // 0.05%
  // The 0.999 quantile of |N(0, 1)| is 3.29; max-abs calibration would give 1000 / 127.
  const float scale = CalibrateInt8Scale(sample.data(), sample.size());
  EXPECT_GT(scale * 127, 3.0f);
  EXPECT_LT(scale * 127, 3.6f);
  // Degenerate samples: mostly zeros fall back to max |x|; all zeros to [-1, 1].
  std::vector<float> sparse(5000, 0.0f);
  sparse[7] = -4.0f;
  EXPECT_FLOAT_EQ(CalibrateInt8Scale(sparse.data(), sparse.size()), 4.0f / 127);
  std::vector<float> zeros(10, 0.0f);
  EXPECT_FLOAT_EQ(CalibrateInt8Scale(zeros.data(), zeros.size()), 1.0f / 127);
  ExpectInvalid([&] { CalibrateInt8Scale(sample.data(), 0); });
}

TEST(QuantizeTest, BitsKeepSignsAndZeroPadding) {
  const size_t dim = 70;
  auto x = RandomVector(dim, 4);
  x[3] = 0.0f;  // zero counts as not positive
  uint64_t bits[2] = {~uint64_t{0}, ~uint64_t{0}};
  EncodeBits(x.data(), dim, bits);
  EXPECT_EQ(bits[1] >> (dim - 64), 0u);  // padding bits are 0
  std::vector<float> back(dim);
  DecodeBits(bits, dim, back.data());
  for (size_t i = 0; i < dim; ++i) EXPECT_EQ(back[i], x[i] > 0.0f ? 1.0f : -1.0f) << i;
}

// Policy: NaN/Inf input is refused (ek::Error), never clamped, and nothing is written.
TEST(QuantizeTest, NonFiniteInputIsRefused) {
  for (float bad : {kNaN, kInf, -kInf}) {
    std::vector<float> x = {1.0f, 2.0f, bad, 3.0f};
    uint16_t h[4] = {7, 7, 7, 7};
    int8_t c[4] = {7, 7, 7, 7};
    uint64_t bits = 7;
    ExpectInvalid([&] { EncodeF16(x.data(), 4, h); });
    ExpectInvalid([&] { EncodeInt8(x.data(), 4, 0.1f, c); });
    ExpectInvalid([&] { EncodeInt8Query(x.data(), 4, c); });
    ExpectInvalid([&] { EncodeBits(x.data(), 4, &bits); });
    ExpectInvalid([&] { CalibrateInt8Scale(x.data(), 4); });
    EXPECT_EQ(h[0], 7);
    EXPECT_EQ(c[0], 7);
    EXPECT_EQ(bits, 7u);
    // A non-finite query is refused by the kernels too.
    const uint16_t row[4] = {};
    float out = 0.0f;
    ExpectInvalid([&] { F16ScoreMany(Metric::kDot, x.data(), row, 1, 4, &out); });
  }
  const float ok[2] = {1.0f, 2.0f};
  int8_t c[2];
  ExpectInvalid([&] { EncodeInt8(ok, 2, 0.0f, c); });
  ExpectInvalid([&] { EncodeInt8(ok, 2, kInf, c); });
}

// Dims with tails on every target (odd, below one vector, not multiples of 64 bits).
constexpr size_t kDims[] = {0, 1, 7, 16, 33, 64, 100, 129, 384};

TEST(QuantizedDistanceTest, EveryTargetMatchesTheScalarTwins) {
  const size_t rows = 37;
  for (size_t dim : kDims) {
    SCOPED_TRACE(dim);
    const auto base = RandomVector(rows * dim, 10 + uint32_t(dim), -3.0f, 3.0f);
    const auto query = RandomVector(dim, 20 + uint32_t(dim), -3.0f, 3.0f);
    const Encoded e = Encode(base, rows, dim);
    for (Metric m : kMetrics) {
      std::vector<float> want_f16(rows), want_i8(rows);
      reference::F16ScoreMany(m, query.data(), e.f16.data(), rows, dim, want_f16.data());
      reference::Int8ScoreMany(m, query.data(), e.i8.data(), e.scale, rows, dim, want_i8.data());
      ForEachTarget([&] {
        std::vector<float> got(rows);
        F16ScoreMany(m, query.data(), e.f16.data(), rows, dim, got.data());
        // |terms| <= 3 * 3 (dot), 6^2 (L2); cosine is a ratio of such sums.
        const double mag = (m == Metric::kL2 ? 36.0 : 9.0) * double(dim);
        const double tol = m == Metric::kCosine ? 1e-5 : SumTol(dim, mag);
        for (size_t r = 0; r < rows; ++r) EXPECT_NEAR(got[r], want_f16[r], tol) << r;
        Int8ScoreMany(m, query.data(), e.i8.data(), e.scale, rows, dim, got.data());
        EXPECT_EQ(got, want_i8);
      });
    }
    std::vector<uint32_t> want_h(rows);
    reference::HammingMany(query.data(), e.bits.data(), rows, dim, want_h.data());
    ForEachTarget([&] {
      std::vector<uint32_t> got(rows);
      HammingMany(query.data(), e.bits.data(), rows, dim, got.data());
      EXPECT_EQ(got, want_h);
    });
  }
}

// Found by fuzz_index: with |q| ~ 1e36 against f16 rows near 65504 the f32 sum q.x
// overflowed, and the f16 cosine came out 1 (or NaN) instead of the twin's value.
TEST(QuantizedDistanceTest, F16CosineIgnoresTheQueryLength) {
  const size_t rows = 5, dim = 19;
  const auto base = RandomVector(rows * dim, 41, -60000.0f, 60000.0f);
  const auto query = RandomVector(dim, 42);
  std::vector<float> huge(dim);
  for (size_t i = 0; i < dim; ++i) huge[i] = std::ldexp(query[i], 120);  // exact scaling
  const Encoded e = Encode(base, rows, dim);
  std::vector<float> want(rows);
  reference::F16ScoreMany(Metric::kCosine, query.data(), e.f16.data(), rows, dim, want.data());
  ForEachTarget([&] {
    std::vector<float> got(rows);
    F16ScoreMany(Metric::kCosine, huge.data(), e.f16.data(), rows, dim, got.data());
    for (size_t r = 0; r < rows; ++r) EXPECT_NEAR(got[r], want[r], 1e-5) << r;
  });
}

// The int8 scaling (shared by kernel and twin) against the decoded vectors in f32.
TEST(QuantizedDistanceTest, Int8ScoresAreThoseOfTheDecodedVectors) {
  const size_t rows = 20, dim = 77;
  const auto base = RandomVector(rows * dim, 30);
  const auto query = RandomVector(dim, 31, -5.0f, 5.0f);
  const Encoded e = Encode(base, rows, dim);
  std::vector<int8_t> qc(dim);
  const float qs = EncodeInt8Query(query.data(), dim, qc.data());
  std::vector<float> qd(dim), xd(rows * dim);
  DecodeInt8(qc.data(), dim, qs, qd.data());
  DecodeInt8(e.i8.data(), rows * dim, e.scale, xd.data());
  for (Metric m : kMetrics) {
    std::vector<float> got(rows);
    Int8ScoreMany(m, query.data(), e.i8.data(), e.scale, rows, dim, got.data());
    for (size_t r = 0; r < rows; ++r) {
      const float* x = xd.data() + r * dim;
      const float want = m == Metric::kDot  ? reference::Dot(qd.data(), x, dim)
                         : m == Metric::kL2 ? reference::L2Sq(qd.data(), x, dim)
                                            : reference::Cosine(qd.data(), x, dim);
      EXPECT_NEAR(got[r], want, 1e-5 * (1.0 + std::fabs(want))) << r;
    }
  }
}

struct TopK {
  std::vector<uint32_t> rows;
  std::vector<float> scores;
  std::vector<size_t> counts;
};

TopK RunTopK(const QuantizedScanRequest& req, ThreadPool* pool, bool use_reference) {
  TopK t{std::vector<uint32_t>(req.n_queries * req.k), std::vector<float>(req.n_queries * req.k),
         std::vector<size_t>(req.n_queries)};
  if (use_reference) {
    reference::QuantizedScanTopK(req, t.rows.data(), t.scores.data(), t.counts.data());
  } else {
    QuantizedScanTopK(req, pool, t.rows.data(), t.scores.data(), t.counts.data());
  }
  return t;
}

// f16 scores differ from the twin's by rounding: rows must match, scores within tol.
void ExpectSameTopK(const TopK& got, const TopK& want, double tol) {
  EXPECT_EQ(got.counts, want.counts);
  EXPECT_EQ(got.rows, want.rows);
  for (size_t i = 0; i < got.scores.size(); ++i) {
    if (std::isnan(want.scores[i])) {
      EXPECT_TRUE(std::isnan(got.scores[i])) << i;
    } else {
      EXPECT_NEAR(got.scores[i], want.scores[i], tol) << i;
    }
  }
}

TEST(QuantizedScanTest, EveryTargetMatchesTheTwinWithFiltersTiesAndShortResults) {
  const size_t rows = 300, dim = 45, nq = 3;
  auto base = RandomVector(rows * dim, 40);
  // Rows 200.. repeat rows 0..: exact ties, which the lower row must win.
  std::copy_n(base.begin(), 100 * dim, base.begin() + 200 * dim);
  const auto queries = RandomVector(nq * dim, 41);
  const Encoded e = Encode(base, rows, dim);
  std::vector<uint8_t> allowed(rows);
  for (size_t r = 0; r < rows; ++r) allowed[r] = (r * 7) % 3 != 0;
  std::vector<uint8_t> few(rows, 0);
  few[5] = few[250] = 1;  // fewer allowed rows than k
  for (ElementType type : {ElementType::kF16, ElementType::kInt8, ElementType::kBit}) {
    for (Metric m : kMetrics) {
      for (const uint8_t* mask : std::vector<const uint8_t*>{nullptr, allowed.data(), few.data()}) {
        QuantizedScanRequest req;
        req.type = type;
        req.queries = queries.data();
        req.n_queries = nq;
        req.base = type == ElementType::kF16    ? static_cast<const void*>(e.f16.data())
                   : type == ElementType::kInt8 ? static_cast<const void*>(e.i8.data())
                                                : static_cast<const void*>(e.bits.data());
        req.rows = rows;
        req.dim = dim;
        req.metric = m;
        req.int8_scale = e.scale;
        req.row_allowed = mask;
        req.k = 10;
        SCOPED_TRACE(::testing::Message() << "type " << int(type) << " metric " << int(m));
        const TopK want = RunTopK(req, nullptr, true);
        ForEachTarget([&] {
          const TopK got = RunTopK(req, nullptr, false);
          if (type == ElementType::kF16) {
            ExpectSameTopK(got, want, m == Metric::kCosine ? 1e-5 : SumTol(dim, 4.0 * dim));
          } else {
            ExpectSameTopK(got, want, 0.0);
          }
        });
      }
    }
  }
}

TEST(QuantizedScanTest, PoolPartsMergeToTheSingleThreadResult) {
  // 8192 int8 rows of 256 = 2 MiB: two row parts of >= 1 MiB on a pool of 2.
  const size_t rows = 8192, dim = 256;
  const auto base = RandomVector(rows * dim, 50);
  const auto query = RandomVector(dim, 51);
  std::vector<int8_t> codes(rows * dim);
  const float scale = 1.0f / 127;  // the range of RandomVector, no calibration needed
  EncodeInt8(base.data(), base.size(), scale, codes.data());
  QuantizedScanRequest req;
  req.type = ElementType::kInt8;
  req.queries = query.data();
  req.n_queries = 1;
  req.base = codes.data();
  req.rows = rows;
  req.dim = dim;
  req.metric = Metric::kL2;
  req.int8_scale = scale;
  req.k = 50;
  ThreadPool pool(2);
  ExpectSameTopK(RunTopK(req, &pool, false), RunTopK(req, nullptr, true), 0.0);
}

TEST(QuantizedScanTest, EmptyInputsAndRefusals) {
  const float q[4] = {1, 2, 3, 4};
  QuantizedScanRequest req;
  req.type = ElementType::kBit;
  req.queries = q;
  req.n_queries = 1;
  req.dim = 4;
  req.k = 3;
  const TopK none = RunTopK(req, nullptr, false);  // rows = 0
  EXPECT_EQ(none.counts[0], 0u);
  EXPECT_EQ(none.rows, std::vector<uint32_t>(3, UINT32_MAX));
  EXPECT_TRUE(std::isnan(none.scores[0]));
  float out = 0.0f;
  F16ScoreMany(Metric::kDot, q, nullptr, 0, 4, &out);  // rows = 0: nothing read or written
  EXPECT_EQ(out, 0.0f);

  uint32_t r[3];
  float s[3];
  size_t c[1];
  auto expect_refused = [&](QuantizedScanRequest bad) {
    ExpectInvalid([&] { QuantizedScanTopK(bad, nullptr, r, s, c); });
  };
  QuantizedScanRequest bad = req;
  bad.k = 0;
  expect_refused(bad);
  bad = req;
  bad.type = ElementType::kF32;
  expect_refused(bad);
  bad = req;
  bad.type = ElementType::kInt8;  // int8_scale = 0
  expect_refused(bad);
  bad.int8_scale = 0.1f;
  bad.dim = kMaxInt8Dim + 1;
  expect_refused(bad);
  bad = req;
  bad.type = ElementType::kF16;
  bad.metric = static_cast<Metric>(9);
  expect_refused(bad);
  bad = req;
  bad.rows = 2;  // base NULL
  expect_refused(bad);
}

// Recall of the quantized top-10 against the f32 top-10 (cosine) on 2000 clustered
// vectors: 40 Gaussian clusters in 96 dimensions, 50 queries near data points.
// Stated floors: f16 >= 0.99 overlap, int8 (no rescoring) >= 0.9.
TEST(QuantizedScanTest, RecallAgainstF32OnClusteredData) {
  const size_t rows = 2000, dim = 96, nq = 50, k = 10;
  std::mt19937 rng(60);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centers(40 * dim), base(rows * dim), queries(nq * dim);
  for (auto& v : centers) v = normal(rng);
  for (size_t r = 0; r < rows; ++r) {
    const float* c = centers.data() + (r % 40) * dim;
    for (size_t i = 0; i < dim; ++i) base[r * dim + i] = c[i] + 0.5f * normal(rng);
    Normalize(base.data() + r * dim, dim);
  }
  for (size_t q = 0; q < nq; ++q) {
    const float* x = base.data() + (q * 37) * dim;
    for (size_t i = 0; i < dim; ++i) queries[q * dim + i] = x[i] + 0.05f * normal(rng);
  }
  ScanRequest exact;
  exact.queries = queries.data();
  exact.n_queries = nq;
  exact.base = base.data();
  exact.rows = rows;
  exact.dim = dim;
  exact.metric = Metric::kCosine;
  exact.k = k;
  std::vector<uint32_t> truth(nq * k);
  std::vector<float> truth_scores(nq * k);
  std::vector<size_t> counts(nq);
  ScanTopK(exact, nullptr, truth.data(), truth_scores.data(), counts.data());

  const Encoded e = Encode(base, rows, dim);
  auto recall = [&](ElementType type, const void* rows_data) {
    QuantizedScanRequest req;
    req.type = type;
    req.queries = queries.data();
    req.n_queries = nq;
    req.base = rows_data;
    req.rows = rows;
    req.dim = dim;
    req.metric = Metric::kCosine;
    req.int8_scale = e.scale;
    req.k = k;
    const TopK got = RunTopK(req, nullptr, false);
    size_t found = 0;
    for (size_t q = 0; q < nq; ++q) {
      const std::set<uint32_t> want(truth.begin() + q * k, truth.begin() + (q + 1) * k);
      for (size_t i = 0; i < k; ++i) found += want.count(got.rows[q * k + i]);
    }
    return double(found) / double(nq * k);
  };
  const double f16 = recall(ElementType::kF16, e.f16.data());
  const double i8 = recall(ElementType::kInt8, e.i8.data());
  EXPECT_GE(f16, 0.99);
  EXPECT_GE(i8, 0.9);
  std::printf("recall@10 vs f32 (2000 x 96 clustered): f16 %.3f, int8 %.3f\n", f16, i8);
}

}  // namespace
}  // namespace ek::kernels
