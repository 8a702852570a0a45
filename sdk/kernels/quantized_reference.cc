#include "kernels/quantized_reference.h"

#include <algorithm>
#include <cmath>
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

}  // namespace ek::kernels::reference
