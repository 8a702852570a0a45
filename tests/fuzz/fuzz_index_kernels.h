// fuzz_index driver 1: quantized encoders and kernels against their scalar twins
// (kernels/quantize.h, quantized_distance.h, quantized_reference.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_index_input.h"
#include "kernels/quantize.h"
#include "kernels/quantized_distance.h"
#include "kernels/quantized_reference.h"

namespace fuzz_index {

using ek::kernels::ElementType;
using ek::kernels::Metric;

// Layout: u8 dim (% 80 + 1), u8 rows (% 9), u8 float format, u8 exponent, u8 metric
// (% 4: 3 is no metric), u8 k (% 12 + 1), u8 scale choice (odd: a raw f32 scale
// follows), query (dim floats), rows (rows x dim floats), one allow byte per row.
struct KernelCase {
  size_t dim = 0, rows = 0, k = 1;
  Metric metric = Metric::kDot;
  bool metric_ok = true;
  std::vector<float> query, base;
  std::vector<uint8_t> allowed;
  std::vector<uint16_t> f16;
  std::vector<int8_t> i8;
  float scale = 0.0f;
  std::vector<uint64_t> bits;
};

inline bool AllFinite(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

inline void Sanitize(std::vector<float>& v) {
  for (float& x : v) x = std::isfinite(x) ? x : 0.0f;
}

// encode(base, out) into n outputs. A NaN/Inf in base must be refused first, with out
// left untouched; base is then cleaned (NaN/Inf -> 0) and encoded.
template <class T, class Fn>
inline void EncodeChecked(std::vector<float>& base, std::vector<T>& out, size_t n, Fn encode) {
  out.assign(n, T(0x5A));
  if (!AllFinite(base)) {
    ExpectError(
        EK_ERR_INVALID_ARGUMENT, [&] { encode(base.data(), out.data()); },
        "encode: NaN/Inf not refused");
    Check(std::all_of(out.begin(), out.end(), [](T v) { return v == T(0x5A); }),
          "encode: wrote output before refusing");
    Sanitize(base);
  }
  encode(base.data(), out.data());
}

inline void EncodeRows(KernelCase& c, Input& in, bool raw_scale) {
  const size_t n = c.rows * c.dim;
  std::vector<float> base = c.base;
  EncodeChecked(base, c.f16, n,
                [&](const float* x, uint16_t* o) { ek::kernels::EncodeF16(x, n, o); });
  base = c.base;
  c.scale = n ? 0.0f : 1.0f / 127;
  if (n && AllFinite(base)) c.scale = ek::kernels::CalibrateInt8Scale(base.data(), n);
  if (n && !AllFinite(base)) {
    ExpectError(
        EK_ERR_INVALID_ARGUMENT, [&] { ek::kernels::CalibrateInt8Scale(base.data(), n); },
        "calibrate: NaN/Inf not refused");
    std::vector<float> clean = base;
    Sanitize(clean);
    c.scale = ek::kernels::CalibrateInt8Scale(clean.data(), n);
  }
  Check(std::isfinite(c.scale) && c.scale > 0.0f, "calibrate: scale not finite and > 0");
  if (raw_scale) {
    const float s = in.Float(0, 0);
    if (std::isfinite(s) && s > 0.0f) {
      c.scale = s;
    } else {
      std::vector<int8_t> out(n);
      ExpectError(
          EK_ERR_INVALID_ARGUMENT, [&] { ek::kernels::EncodeInt8(base.data(), n, s, out.data()); },
          "EncodeInt8: bad scale not refused");
    }
  }
  EncodeChecked(base, c.i8, n,
                [&](const float* x, int8_t* o) { ek::kernels::EncodeInt8(x, n, c.scale, o); });
  // EncodeBits writes one vector's words: row by row.
  const size_t words = ek::kernels::BitWords(c.dim);
  c.bits.resize(c.rows * words);
  for (size_t r = 0; r < c.rows; ++r) {
    std::vector<float> row(c.base.begin() + r * c.dim, c.base.begin() + (r + 1) * c.dim);
    std::vector<uint64_t> out;
    EncodeChecked(row, out, words,
                  [&](const float* x, uint64_t* o) { ek::kernels::EncodeBits(x, c.dim, o); });
    std::copy(out.begin(), out.end(), c.bits.begin() + r * words);
  }
}

// The worst-case f32 rounding of an n-term sum (products fused or not, four partial
// sums, lanes), with headroom: (n + 16) ulps of the magnitude bound, plus subnormals.
inline double SumBound(size_t n, double magnitude) {
  return double(n + 16) * std::ldexp(1.0, -23) * magnitude + double(n + 16) * std::ldexp(1.0, -148);
}

// How far an f16 score may be from the twin's, or -1 where f32 sums can overflow and
// the kernel's result is the f32 arithmetic's, not the twin's (dot and L2 only).
inline double F16Tolerance(const KernelCase& c, size_t row) {
  double dot_mag = 0, l2 = 0, qq = 0, xx = 0;
  for (size_t i = 0; i < c.dim; ++i) {
    const double q = c.query[i], x = ek::kernels::FloatFromF16(c.f16[row * c.dim + i]);
    dot_mag += std::fabs(q * x);
    l2 += (q - x) * (q - x);
    qq += q * q;
    xx += x * x;
  }
  const double limit = 0x1p100;  // every partial sum is below it: no f32 overflow
  switch (c.metric) {
    case Metric::kDot: return dot_mag > limit ? -1 : SumBound(c.dim, dot_mag);
    case Metric::kL2: return l2 > limit ? -1 : SumBound(c.dim, l2);
    default: {
      // |q.x| error over sqrt(qq xx) (Cauchy-Schwarz bounds dot_mag by it), plus the norm's.
      const double denom = std::sqrt(qq * xx);
      return denom > 0 ? SumBound(c.dim, dot_mag / denom + 1.0) : 0.0;
    }
  }
}

inline bool SameFloat(float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); }

inline void CheckScores(const KernelCase& c) {
  namespace k = ek::kernels;
  namespace ref = ek::kernels::reference;
  std::vector<float> got(c.rows), want(c.rows);
  k::F16ScoreMany(c.metric, c.query.data(), c.f16.data(), c.rows, c.dim, got.data());
  ref::F16ScoreMany(c.metric, c.query.data(), c.f16.data(), c.rows, c.dim, want.data());
  for (size_t r = 0; r < c.rows; ++r) {
    const double tol = F16Tolerance(c, r);
    if (tol >= 0) Check(std::fabs(double(got[r]) - want[r]) <= tol, "F16ScoreMany != twin");
  }
  k::Int8ScoreMany(c.metric, c.query.data(), c.i8.data(), c.scale, c.rows, c.dim, got.data());
  ref::Int8ScoreMany(c.metric, c.query.data(), c.i8.data(), c.scale, c.rows, c.dim, want.data());
  for (size_t r = 0; r < c.rows; ++r) Check(SameFloat(got[r], want[r]), "Int8ScoreMany != twin");
  std::vector<uint32_t> hg(c.rows), hw(c.rows);
  k::HammingMany(c.query.data(), c.bits.data(), c.rows, c.dim, hg.data());
  ref::HammingMany(c.query.data(), c.bits.data(), c.rows, c.dim, hw.data());
  Check(hg == hw, "HammingMany != twin");
}

struct TopK {
  std::vector<uint32_t> rows;
  std::vector<float> scores;
  size_t count = 0;
};

inline ek::kernels::QuantizedScanRequest Request(const KernelCase& c, ElementType type) {
  ek::kernels::QuantizedScanRequest r;
  r.type = type;
  r.queries = c.query.data();
  r.n_queries = 1;
  r.base = type == ElementType::kF16    ? static_cast<const void*>(c.f16.data())
           : type == ElementType::kInt8 ? static_cast<const void*>(c.i8.data())
                                        : static_cast<const void*>(c.bits.data());
  r.rows = c.rows;
  r.dim = c.dim;
  r.metric = c.metric;
  r.int8_scale = c.scale;
  r.row_allowed = c.allowed.data();
  r.k = c.k;
  return r;
}

inline void CheckTopK(const KernelCase& c, ElementType type) {
  const ek::kernels::QuantizedScanRequest req = Request(c, type);
  TopK got{std::vector<uint32_t>(c.k), std::vector<float>(c.k)};
  ek::kernels::QuantizedScanTopK(req, nullptr, got.rows.data(), got.scores.data(), &got.count);
  const size_t allowed =
      size_t(std::count_if(c.allowed.begin(), c.allowed.end(), [](uint8_t a) { return a != 0; }));
  if (type != ElementType::kF16) {
    TopK want{std::vector<uint32_t>(c.k), std::vector<float>(c.k)};
    ek::kernels::reference::QuantizedScanTopK(req, want.rows.data(), want.scores.data(),
                                              &want.count);
    Check(got.count == want.count && got.rows == want.rows, "QuantizedScanTopK rows != twin");
    for (size_t i = 0; i < c.k; ++i)
      Check(SameFloat(got.scores[i], want.scores[i]), "QuantizedScanTopK score != twin");
    Check(got.count == std::min(c.k, allowed), "QuantizedScanTopK: count != min(k, allowed)");
    return;
  }
  // f16: each hit's score is its row's (within the bound), the list is sorted, and as
  // long as no sum overflows, as many as min(k, allowed) hits come back.
  std::vector<float> scores(c.rows);
  ek::kernels::reference::F16ScoreMany(c.metric, c.query.data(), c.f16.data(), c.rows, c.dim,
                                       scores.data());
  bool in_range = true;
  for (size_t r = 0; r < c.rows; ++r) in_range = in_range && F16Tolerance(c, r) >= 0;
  if (in_range) Check(got.count == std::min(c.k, allowed), "f16 top-k: count != min(k, allowed)");
  const bool lower_better = c.metric == Metric::kL2;
  for (size_t i = 0; i < got.count; ++i) {
    const uint32_t r = got.rows[i];
    Check(r < c.rows && c.allowed[r], "f16 top-k: a hit the filter refuses");
    const double tol = F16Tolerance(c, r);
    if (tol >= 0)
      Check(std::fabs(double(got.scores[i]) - scores[r]) <= tol, "f16 top-k: score != twin");
    if (i > 0) {
      const float a = got.scores[i - 1], b = got.scores[i];
      Check(lower_better ? a <= b : a >= b, "f16 top-k: hits not sorted");
      Check(a != b || got.rows[i - 1] < r, "f16 top-k: tie not broken by lower row");
    }
  }
  for (size_t i = got.count; i < c.k; ++i)
    Check(got.rows[i] == UINT32_MAX, "f16 top-k: padding row");
}

// Every kernel must refuse a query with a NaN/Inf component (or no metric).
inline void CheckRefusals(const KernelCase& c) {
  namespace k = ek::kernels;
  std::vector<float> f(c.rows + 1);
  std::vector<uint32_t> u(c.k);
  std::vector<float> s(c.k);
  size_t count = 0;
  const auto status = EK_ERR_INVALID_ARGUMENT;
  ExpectError(
      status,
      [&] { k::F16ScoreMany(c.metric, c.query.data(), c.f16.data(), c.rows, c.dim, f.data()); },
      "F16ScoreMany: bad query or metric not refused");
  ExpectError(
      status,
      [&] {
        k::Int8ScoreMany(c.metric, c.query.data(), c.i8.data(), c.scale, c.rows, c.dim, f.data());
      },
      "Int8ScoreMany: bad query or metric not refused");
  for (ElementType t : {ElementType::kF16, ElementType::kInt8}) {
    ExpectError(
        status, [&] { k::QuantizedScanTopK(Request(c, t), nullptr, u.data(), s.data(), &count); },
        "QuantizedScanTopK: bad query or metric not refused");
  }
  if (AllFinite(c.query)) return;  // Hamming has no metric to refuse
  std::vector<uint32_t> h(c.rows + 1);
  ExpectError(
      status, [&] { k::HammingMany(c.query.data(), c.bits.data(), c.rows, c.dim, h.data()); },
      "HammingMany: NaN/Inf query not refused");
  ExpectError(
      status,
      [&] {
        k::QuantizedScanTopK(Request(c, ElementType::kBit), nullptr, u.data(), s.data(), &count);
      },
      "QuantizedScanTopK(bit): NaN/Inf query not refused");
}

inline void FuzzKernels(Input& in) {
  KernelCase c;
  c.dim = in.U8() % 80 + 1;
  c.rows = in.U8() % 9;
  const int format = in.U8(), exponent = in.U8();
  const int metric = in.U8() % 4;
  c.metric = Metric(metric);
  c.metric_ok = metric < 3;
  c.k = in.U8() % 12 + 1;
  const bool raw_scale = in.U8() & 1;
  for (size_t i = 0; i < c.dim; ++i) c.query.push_back(in.Float(format, exponent));
  for (size_t i = 0; i < c.rows * c.dim; ++i) c.base.push_back(in.Float(format, exponent));
  for (size_t r = 0; r < c.rows; ++r) c.allowed.push_back(in.U8() & 1);
  EncodeRows(c, in, raw_scale);
  if (!c.metric_ok || !AllFinite(c.query)) {
    CheckRefusals(c);
    if (!c.metric_ok) return;
    Sanitize(c.query);
  }
  // The twin of Int8 encodes the query the same way; the scale it picks must be
  // positive for a nonzero query and reproduce each component to half a step.
  std::vector<int8_t> codes(c.dim);
  const float qs = ek::kernels::EncodeInt8Query(c.query.data(), c.dim, codes.data());
  const bool zero = std::all_of(c.query.begin(), c.query.end(), [](float x) { return x == 0.0f; });
  Check(zero ? qs == 0.0f : qs > 0.0f, "EncodeInt8Query: scale 0 for a nonzero query");
  for (size_t i = 0; i < c.dim; ++i) {
    const double err = std::fabs(double(c.query[i]) - double(qs) * codes[i]);
    Check(err <= 0.50001 * qs + 0x1p-140, "EncodeInt8Query: a code off by more than half a step");
  }
  CheckScores(c);
  for (ElementType t : {ElementType::kF16, ElementType::kInt8, ElementType::kBit}) CheckTopK(c, t);
}

inline void KernelSeed(const std::string& dir, const std::string& name, uint8_t dim, uint8_t rows,
                       uint8_t format, uint8_t metric, std::vector<uint8_t> values) {
  Seed s(1);
  s.Le(dim, 1).Le(rows, 1).Le(format, 1).Le(64, 1).Le(metric, 1).Le(4, 1).Le(0, 1);
  s.Bytes(values).Write(dir, name);
}

inline void WriteKernelSeeds(const std::string& dir) {
  std::vector<uint8_t> ramp(200);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = uint8_t(i * 37 + 11);
  KernelSeed(dir, "kernels_bytes_dot", 5, 3, 1, 1, ramp);
  KernelSeed(dir, "kernels_halves_cosine", 9, 4, 2, 0, ramp);
  KernelSeed(dir, "kernels_scaled_l2", 17, 2, 3, 2, ramp);
  KernelSeed(dir, "kernels_raw_l2", 3, 2, 0, 2, ramp);
  KernelSeed(dir, "kernels_no_metric", 4, 1, 1, 3, ramp);
  KernelSeed(dir, "kernels_wide_bits", 70, 2, 1, 0, ramp);
  const std::vector<uint8_t> nan_row = {0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f};
  KernelSeed(dir, "kernels_nan", 1, 2, 0, 1, nan_row);
}

}  // namespace fuzz_index
