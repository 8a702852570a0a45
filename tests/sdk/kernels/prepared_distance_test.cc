// One-row distances (kernels/prepared_distance.h): every type x metric on every compiled
// target against the scalar twins (int8 and bit exactly, f32/f16 within SumTol), odd
// dims, PreparePair's scorer == PairDistance, PairDistance(a, b) ==
// PreparedDistance(PrepareQuery(decode(a)), b) where the header promises it, rows at odd
// addresses, and the refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "base/error.h"
#include "kernels/prepared_distance.h"
#include "kernels/quantize.h"
#include "kernels/quantized_reference.h"
#include "target_loop.h"

namespace ek::kernels {
namespace {

using testing::ExpectInvalid;
using testing::ForEachTarget;
using testing::RandomVector;
using testing::SumTol;

constexpr ElementType kTypes[] = {ElementType::kF32, ElementType::kF16, ElementType::kInt8,
                                  ElementType::kBit};
constexpr Metric kMetrics[] = {Metric::kDot, Metric::kL2, Metric::kCosine};
// Below one vector, one vector +- 1 on several targets, GloVe's 100, and 384.
constexpr size_t kDims[] = {1, 3, 63, 65, 100, 384};
constexpr size_t kRows = 6;

// kRows rows of one type, as the store would write them (unit rows for cosine).
struct Rows {
  ElementType type = ElementType::kF32;
  size_t dim = 0, bytes = 0;
  float scale = 0.0f;         // int8
  std::vector<float> values;  // what the rows decode to
  std::vector<uint8_t> data;
  const uint8_t* row(size_t r) const { return data.data() + r * bytes; }
  const float* decoded(size_t r) const { return values.data() + r * dim; }
};

Rows MakeRows(ElementType type, Metric metric, size_t dim, uint32_t seed, float int8_scale = 0) {
  Rows rows;
  rows.type = type;
  rows.dim = dim;
  rows.bytes = BytesPerVector(type, dim);
  std::vector<float> x = RandomVector(kRows * dim, seed, -2.0f, 2.0f);
  if (metric == Metric::kCosine) {
    for (size_t r = 0; r < kRows; ++r) Normalize(x.data() + r * dim, dim);
  }
  rows.data.resize(kRows * rows.bytes);
  rows.values.resize(kRows * dim);
  if (type == ElementType::kF32) {
    std::memcpy(rows.data.data(), x.data(), rows.data.size());
    rows.values = x;
  } else if (type == ElementType::kF16) {
    auto* h = reinterpret_cast<uint16_t*>(rows.data.data());
    EncodeF16(x.data(), x.size(), h);
    DecodeF16(h, x.size(), rows.values.data());
  } else if (type == ElementType::kInt8) {
    rows.scale = int8_scale > 0 ? int8_scale : CalibrateInt8Scale(x.data(), x.size());
    auto* c = reinterpret_cast<int8_t*>(rows.data.data());
    EncodeInt8(x.data(), x.size(), rows.scale, c);
    DecodeInt8(c, x.size(), rows.scale, rows.values.data());
  } else {
    for (size_t r = 0; r < kRows; ++r) {
      auto* w = reinterpret_cast<uint64_t*>(rows.data.data() + r * rows.bytes);
      EncodeBits(x.data() + r * dim, dim, w);
      DecodeBits(w, dim, rows.values.data() + r * dim);
    }
  }
  return rows;
}

// SumTol over the terms the float kernels add (cosine: the query at unit length), plus
// two ulps of 1 for cosine's 1 - sum.
double FloatTol(Metric metric, const float* q, const float* x, size_t dim) {
  double qq = 0.0, mag = 0.0;
  for (size_t i = 0; i < dim; ++i) qq += double(q[i]) * q[i];
  const double scale = metric == Metric::kCosine && qq > 0 ? 1.0 / std::sqrt(qq) : 1.0;
  for (size_t i = 0; i < dim; ++i) {
    const double qi = q[i] * scale;
    mag += metric == Metric::kL2 ? (qi - x[i]) * (qi - x[i]) : std::fabs(qi * x[i]);
  }
  return SumTol(dim, mag) + (metric == Metric::kCosine ? 2.4e-7 : 0.0);
}

bool IsExactType(ElementType type) {
  return type == ElementType::kInt8 || type == ElementType::kBit;
}

TEST(PreparedDistanceTest, EveryTypeAndMetricMatchesTheTwinOnEveryTarget) {
  for (size_t dim : kDims) {
    for (ElementType type : kTypes) {
      for (Metric m : kMetrics) {
        SCOPED_TRACE(::testing::Message()
                     << "dim " << dim << " type " << int(type) << " metric " << int(m));
        const Rows rows = MakeRows(type, m, dim, 100 + uint32_t(dim));
        const auto q = RandomVector(dim, 200 + uint32_t(dim), -2.0f, 2.0f);
        std::vector<float> want(kRows);
        for (size_t r = 0; r < kRows; ++r) {
          want[r] = reference::PreparedDistance(type, m, q.data(), dim, rows.scale, rows.row(r));
        }
        ForEachTarget([&] {
          const PreparedQuery p = PrepareQuery(type, m, q.data(), dim, rows.scale);
          for (size_t r = 0; r < kRows; ++r) {
            const float got = PreparedDistance(p, rows.row(r));
            if (IsExactType(type)) {
              EXPECT_EQ(got, want[r]) << r;
            } else {
              EXPECT_NEAR(got, want[r], FloatTol(m, q.data(), rows.decoded(r), dim)) << r;
            }
          }
        });
      }
    }
  }
}

TEST(PreparedDistanceTest, PairDistanceMatchesTheTwinOnEveryTarget) {
  for (size_t dim : kDims) {
    for (ElementType type : kTypes) {
      for (Metric m : kMetrics) {
        SCOPED_TRACE(::testing::Message()
                     << "dim " << dim << " type " << int(type) << " metric " << int(m));
        const Rows rows = MakeRows(type, m, dim, 300 + uint32_t(dim));
        ForEachTarget([&] {
          const PreparedPair pair = PreparePair(type, m, dim, rows.scale);
          for (size_t r = 0; r + 1 < kRows; ++r) {
            const float got = PairDistance(type, m, rows.row(r), rows.row(r + 1), dim, rows.scale);
            EXPECT_EQ(PairDistance(pair, rows.row(r), rows.row(r + 1)), got) << r;
            const float want =
                reference::PairDistance(type, m, rows.row(r), rows.row(r + 1), dim, rows.scale);
            if (IsExactType(type)) {
              EXPECT_EQ(got, want) << r;
            } else {
              // The rows are unit for cosine, so FloatTol's normalisation changes nothing.
              EXPECT_NEAR(got, want, FloatTol(m, rows.decoded(r), rows.decoded(r + 1), dim)) << r;
            }
          }
        });
      }
    }
  }
}

// The same per-target sums serve both paths, so a query prepared from a decoded row
// scores like the row itself: exactly for bit, int8 (a power-of-two scale and a code of
// 127 in the row make the query's codes and scale the row's), and f32/f16 dot and L2;
// cosine renormalises the row, so only within its rounding. A row's L2 distance to
// itself is 0 and its cosine distance about 0.
TEST(PreparedDistanceTest, PairDistanceIsThePreparedDistanceOfTheDecodedRow) {
  for (size_t dim : kDims) {
    for (ElementType type : kTypes) {
      for (Metric m : kMetrics) {
        SCOPED_TRACE(::testing::Message()
                     << "dim " << dim << " type " << int(type) << " metric " << int(m));
        Rows rows = MakeRows(type, m, dim, 400 + uint32_t(dim), 1.0f / 128);
        if (type == ElementType::kInt8) {
          rows.data[0] = 127;  // row 0's largest code
          rows.values[0] = 127 * rows.scale;
        }
        ForEachTarget([&] {
          const PreparedQuery p = PrepareQuery(type, m, rows.decoded(0), dim, rows.scale);
          for (size_t r = 0; r < kRows; ++r) {
            const float pair = PairDistance(type, m, rows.row(0), rows.row(r), dim, rows.scale);
            const float prepared = PreparedDistance(p, rows.row(r));
            if (IsExactType(type) || m != Metric::kCosine) {
              EXPECT_EQ(pair, prepared) << r;
            } else {  // an f16 row's norm is 1 only to within 2^-11 relative
              EXPECT_NEAR(pair, prepared, type == ElementType::kF16 ? 1e-3 : 1e-6) << r;
            }
          }
          const float self = PairDistance(type, m, rows.row(0), rows.row(0), dim, rows.scale);
          if (m == Metric::kL2) {
            EXPECT_EQ(self, 0.0f);
          } else if (m == Metric::kCosine) {
            EXPECT_NEAR(self, 0.0f, type == ElementType::kF16 ? 2e-3 : 1e-6);
          }
        });
      }
    }
  }
}

TEST(PreparedDistanceTest, RowsNeedNoAlignmentAndAZeroQueryIsOneAwayUnderCosine) {
  const size_t dim = 37;
  for (ElementType type : kTypes) {
    const Rows rows = MakeRows(type, Metric::kCosine, dim, 500);
    std::vector<uint8_t> shifted(rows.bytes + 1);
    std::memcpy(shifted.data() + 1, rows.row(2), rows.bytes);
    const auto q = RandomVector(dim, 501);
    const PreparedQuery p = PrepareQuery(type, Metric::kCosine, q.data(), dim, rows.scale);
    EXPECT_EQ(PreparedDistance(p, shifted.data() + 1), PreparedDistance(p, rows.row(2)));
    EXPECT_EQ(PairDistance(type, Metric::kCosine, shifted.data() + 1, rows.row(3), dim, rows.scale),
              PairDistance(type, Metric::kCosine, rows.row(2), rows.row(3), dim, rows.scale));
    if (type == ElementType::kBit) continue;  // a zero query has all sign bits 0
    const std::vector<float> zero(dim, 0.0f);
    const PreparedQuery z = PrepareQuery(type, Metric::kCosine, zero.data(), dim, rows.scale);
    EXPECT_EQ(PreparedDistance(z, rows.row(1)), 1.0f) << int(type);
  }
}

TEST(PreparedDistanceTest, BadInputIsRefused) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float ok[4] = {1, -2, 3, 0.5f};
  const uint8_t row[16] = {};
  const auto f32 = ElementType::kF32, int8 = ElementType::kInt8;
  for (float bad : {nan, inf, -inf}) {
    const float q[4] = {1, bad, 3, 4};
    for (ElementType type : kTypes) ExpectInvalid([&] { PrepareQuery(type, Metric::kL2, q, 4, 0.1f); });
  }
  ExpectInvalid([&] { PrepareQuery(f32, Metric::kL2, nullptr, 4, 0); });
  ExpectInvalid([&] { PrepareQuery(f32, Metric::kL2, ok, 0, 0); });
  ExpectInvalid([&] { PrepareQuery(static_cast<ElementType>(7), Metric::kL2, ok, 4, 0); });
  ExpectInvalid([&] { PrepareQuery(f32, static_cast<Metric>(9), ok, 4, 0); });
  ExpectInvalid([&] { PrepareQuery(ElementType::kBit, static_cast<Metric>(9), ok, 4, 0); });
  for (float scale : {0.0f, -0.1f, nan, inf}) {
    ExpectInvalid([&] { PrepareQuery(int8, Metric::kDot, ok, 4, scale); });
    ExpectInvalid([&] { PairDistance(int8, Metric::kDot, row, row, 4, scale); });
  }
  const std::vector<float> wide(kMaxInt8Dim + 1, 1.0f);
  ExpectInvalid([&] { PrepareQuery(int8, Metric::kDot, wide.data(), wide.size(), 0.1f); });
  PrepareQuery(f32, Metric::kDot, ok, 4, 0.0f);  // the scale matters to int8 only

  ExpectInvalid([&] { PairDistance(static_cast<ElementType>(7), Metric::kL2, row, row, 4, 0); });
  ExpectInvalid([&] { PairDistance(f32, static_cast<Metric>(9), row, row, 4, 0); });
  ExpectInvalid([&] { PairDistance(f32, Metric::kL2, row, row, 0, 0); });
  ExpectInvalid([&] { PairDistance(f32, Metric::kL2, nullptr, row, 4, 0); });
  ExpectInvalid([&] { PairDistance(f32, Metric::kL2, row, nullptr, 4, 0); });
  ExpectInvalid([&] { PreparePair(static_cast<ElementType>(7), Metric::kL2, 4, 0); });
  ExpectInvalid([&] { PreparePair(f32, static_cast<Metric>(9), 4, 0); });
  ExpectInvalid([&] { PreparePair(f32, Metric::kL2, 0, 0); });
  ExpectInvalid([&] { PreparePair(int8, Metric::kL2, 4, 0.0f); });
  ExpectInvalid([&] { PreparePair(int8, Metric::kL2, kMaxInt8Dim + 1, 0.1f); });
  ExpectInvalid([&] { PairDistance(PreparedPair{}, row, row); });
  // A query (pair scorer) PrepareQuery (PreparePair) did not build is refused, not
  // called through NULL.
  ExpectInvalid([&] { PreparedDistance(PreparedQuery{}, row); });
}

}  // namespace
}  // namespace ek::kernels
