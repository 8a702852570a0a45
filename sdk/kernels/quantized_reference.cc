#include "kernels/quantized_reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace ek::kernels::reference {

void F16ScoreMany(Metric metric, const float* query, const uint16_t* rows_f16, size_t rows,
                  size_t dim, float* out) {
  double qq = 0.0;
  for (size_t i = 0; i < dim; ++i) qq += double(query[i]) * query[i];
  for (size_t r = 0; r < rows; ++r) {
    double dot = 0.0, l2 = 0.0, xx = 0.0;
    for (size_t i = 0; i < dim; ++i) {
      const double x = FloatFromF16(rows_f16[r * dim + i]), q = query[i];
      dot += q * x;
      l2 += (q - x) * (q - x);
      xx += x * x;
    }
    const double denom = std::sqrt(qq * xx);
    const double cosine = denom > 0.0 ? std::clamp(dot / denom, -1.0, 1.0) : 0.0;
    out[r] = static_cast<float>(metric == Metric::kDot  ? dot
                                : metric == Metric::kL2 ? l2
                                                        : cosine);
  }
}

void Int8ScoreMany(Metric metric, const float* query, const int8_t* rows_int8, float rows_scale,
                   size_t rows, size_t dim, float* out) {
  std::vector<int8_t> q(dim);
  const float q_scale = EncodeInt8Query(query, dim, q.data());
  int32_t qq = 0;
  for (size_t i = 0; i < dim; ++i) qq += int32_t(q[i]) * q[i];
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* x = rows_int8 + r * dim;
    int32_t dot = 0, xx = 0;
    for (size_t i = 0; i < dim; ++i) {
      dot += int32_t(q[i]) * x[i];
      xx += int32_t(x[i]) * x[i];
    }
    out[r] = detail::Int8Score(metric, dot, qq, xx, q_scale, rows_scale);
  }
}

void HammingMany(const float* query, const uint64_t* rows_bits, size_t rows, size_t dim,
                 uint32_t* out) {
  const size_t words = BitWords(dim);
  for (size_t r = 0; r < rows; ++r) {
    uint32_t d = 0;
    for (size_t i = 0; i < dim; ++i) {
      const bool bit = (rows_bits[r * words + i / 64] >> (i % 64)) & 1u;
      d += bit != (query[i] > 0.0f);
    }
    out[r] = d;
  }
}

void QuantizedScanTopK(const QuantizedScanRequest& req, uint32_t* out_rows, float* out_scores,
                       size_t* out_counts) {
  const size_t dim = req.dim, k = req.k;
  std::vector<float> scores(req.rows);
  std::vector<uint32_t> dist(req.rows);
  for (size_t q = 0; q < req.n_queries; ++q) {
    const float* query = req.queries + q * dim;
    bool lower_is_better = true;
    if (req.type == ElementType::kF16) {
      reference::F16ScoreMany(req.metric, query, static_cast<const uint16_t*>(req.base),
                              req.rows, dim, scores.data());
      lower_is_better = req.metric == Metric::kL2;
    } else if (req.type == ElementType::kInt8) {
      reference::Int8ScoreMany(req.metric, query, static_cast<const int8_t*>(req.base),
                               req.int8_scale, req.rows, dim, scores.data());
      lower_is_better = req.metric == Metric::kL2;
    } else {
      reference::HammingMany(query, static_cast<const uint64_t*>(req.base), req.rows, dim,
                             dist.data());
      for (size_t r = 0; r < req.rows; ++r) scores[r] = static_cast<float>(dist[r]);
    }
    std::vector<uint32_t> order;
    for (size_t r = 0; r < req.rows; ++r) {
      if (!req.row_allowed || req.row_allowed[r]) order.push_back(static_cast<uint32_t>(r));
    }
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return lower_is_better ? scores[a] < scores[b] : scores[a] > scores[b];
    });
    const size_t n = std::min(k, order.size());
    for (size_t i = 0; i < k; ++i) {
      out_rows[q * k + i] = i < n ? order[i] : UINT32_MAX;
      out_scores[q * k + i] = i < n ? scores[order[i]] : std::numeric_limits<float>::quiet_NaN();
    }
    out_counts[q] = n;
  }
}

namespace {

// Component i of an f32 or f16 row.
double FloatComponent(ElementType type, const uint8_t* row, size_t i) {
  if (type == ElementType::kF32) {
    float x;
    std::memcpy(&x, row + 4 * i, 4);
    return x;
  }
  uint16_t h;
  std::memcpy(&h, row + 2 * i, 2);
  return FloatFromF16(h);
}

// Bit i % 64 of word i / 64 is bit i % 8 of byte i / 8 on little-endian hosts (x86, WASM).
bool Bit(const uint8_t* row, size_t i) { return (row[i / 8] >> (i % 8)) & 1u; }

// A similarity (or the L2 distance) as "smaller is closer", in the kernels' float steps.
float AsDistance(Metric metric, float score) {
  return metric == Metric::kL2 ? score : metric == Metric::kDot ? -score : 1.0f - score;
}

float FloatDistance(Metric metric, double dot, double l2) {
  return static_cast<float>(metric == Metric::kL2    ? l2
                            : metric == Metric::kDot ? -dot
                                                     : 1.0 - dot);
}

}  // namespace

float PreparedDistance(ElementType type, Metric metric, const float* q, size_t dim,
                       float int8_scale, const uint8_t* row) {
  if (type == ElementType::kInt8) {
    std::vector<int8_t> qc(dim);
    const float q_scale = EncodeInt8Query(q, dim, qc.data());
    const auto* x = reinterpret_cast<const int8_t*>(row);
    int32_t dot = 0, qq = 0, xx = 0;
    for (size_t i = 0; i < dim; ++i) {
      dot += int32_t(qc[i]) * x[i];
      qq += int32_t(qc[i]) * qc[i];
      xx += int32_t(x[i]) * x[i];
    }
    return AsDistance(metric, detail::Int8Score(metric, dot, qq, xx, q_scale, int8_scale));
  }
  if (type == ElementType::kBit) {
    uint32_t d = 0;
    for (size_t i = 0; i < dim; ++i) d += Bit(row, i) != (q[i] > 0.0f);
    return static_cast<float>(d);
  }
  double norm = 1.0;
  if (metric == Metric::kCosine) {
    double qq = 0.0;
    for (size_t i = 0; i < dim; ++i) qq += double(q[i]) * q[i];
    norm = qq > 0.0 ? std::sqrt(qq) : 1.0;  // a zero query stays zero
  }
  double dot = 0.0, l2 = 0.0;
  for (size_t i = 0; i < dim; ++i) {
    const double qi = q[i] / norm, x = FloatComponent(type, row, i);
    dot += qi * x;
    l2 += (qi - x) * (qi - x);
  }
  return FloatDistance(metric, dot, l2);
}

float PairDistance(ElementType type, Metric metric, const uint8_t* a, const uint8_t* b,
                   size_t dim, float int8_scale) {
  if (type == ElementType::kInt8) {
    const auto* x = reinterpret_cast<const int8_t*>(a);
    const auto* y = reinterpret_cast<const int8_t*>(b);
    int32_t xy = 0, xx = 0, yy = 0;
    for (size_t i = 0; i < dim; ++i) {
      xy += int32_t(x[i]) * y[i];
      xx += int32_t(x[i]) * x[i];
      yy += int32_t(y[i]) * y[i];
    }
    return AsDistance(metric, detail::Int8Score(metric, xy, xx, yy, int8_scale, int8_scale));
  }
  if (type == ElementType::kBit) {
    uint32_t d = 0;
    for (size_t i = 0; i < dim; ++i) d += Bit(a, i) != Bit(b, i);
    return static_cast<float>(d);
  }
  double dot = 0.0, l2 = 0.0;
  for (size_t i = 0; i < dim; ++i) {
    const double x = FloatComponent(type, a, i), y = FloatComponent(type, b, i);
    dot += x * y;
    l2 += (x - y) * (x - y);
  }
  return FloatDistance(metric, dot, l2);
}

}  // namespace ek::kernels::reference
