#include "kernels/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "base/error.h"
#include "kernels/scan_internal.h"

namespace ek::kernels::reference {

float Dot(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
  return float(s);
}

float L2Sq(const float* a, const float* b, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = double(a[i]) - double(b[i]);
    s += d * d;
  }
  return float(s);
}

float SquaredNorm(const float* a, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += double(a[i]) * double(a[i]);
  return float(s);
}

float Cosine(const float* a, const float* b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += double(a[i]) * double(b[i]);
    aa += double(a[i]) * double(a[i]);
    bb += double(b[i]) * double(b[i]);
  }
  if (aa == 0 || bb == 0) return 0.0f;
  return float(std::clamp(ab / std::sqrt(aa * bb), -1.0, 1.0));
}

void DotMany(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  for (size_t r = 0; r < rows; ++r) out[r] = Dot(q, base + r * dim, dim);
}
void L2SqMany(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  for (size_t r = 0; r < rows; ++r) out[r] = L2Sq(q, base + r * dim, dim);
}
void CosineMany(const float* q, const float* base, size_t rows, size_t dim, float* out) {
  for (size_t r = 0; r < rows; ++r) out[r] = Cosine(q, base + r * dim, dim);
}
void DotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                 size_t dim, float* out) {
  for (size_t i = 0; i < n_queries; ++i)
    for (size_t r = 0; r < rows; ++r) out[i * rows + r] = Dot(queries + i * dim, base + r * dim, dim);
}

// The squared norm stays in double: in float it overflows for components above
// ~1.8e19 and underflows below ~1e-19.
float Normalize(float* v, size_t n) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += double(v[i]) * double(v[i]);
  if (!(ss > 0)) return 0.0f;
  const double norm = std::sqrt(ss);
  if (!std::isfinite(norm)) return float(norm);
  for (size_t i = 0; i < n; ++i) v[i] = float(double(v[i]) / norm);
  return float(norm);
}

void MatVec(const float* m, size_t rows, size_t cols, const float* x, float* y) {
  for (size_t r = 0; r < rows; ++r) y[r] = Dot(m + r * cols, x, cols);
}

void MatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (size_t p = 0; p < k; ++p) s += double(a[i * k + p]) * double(b[p * n + j]);
      c[i * n + j] = float(s);
    }
  }
}

void Fwht(float* v, size_t n) {
  if ((n & (n - 1)) != 0) {
    Fail(EK_ERR_INVALID_ARGUMENT,
         "Fwht: n = " + std::to_string(n) + " is not a power of two");
  }
  for (size_t h = 1; h < n; h *= 2) {
    for (size_t i = 0; i < n; i += 2 * h) {
      for (size_t j = i; j < i + h; ++j) {
        float a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
    }
  }
}

// Element-wise kernels are exact in float (one rounding per multiply and per add), so
// their twins use float too: the SIMD targets must reproduce these bits.
void Axpy(float a, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}
void Axpby(float a, const float* x, float b, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = a * x[i] + b * y[i];
}
void Mul(const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] *= x[i];
}
void Gather(const float* src, const uint32_t* index, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = src[index[i]];
}
void Scatter(const float* src, const uint32_t* index, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[index[i]] = src[i];
}
void PairUpdate(float g, const float* x, float* y, float* e, size_t n) {
  for (size_t i = 0; i < n; ++i) e[i] += g * y[i];
  for (size_t i = 0; i < n; ++i) y[i] += g * x[i];
}
// Step by step as the plugin bound a field before the fused entry: b = x, the forward
// role applied to b, b += w x, acc += b.
void BindStructuredAdd(const float* signs, size_t rounds, const uint32_t* perm, const float* x, float w,
                       float* acc, size_t n) {
  std::vector<float> b(x, x + n), permuted(n);
  for (size_t k = 0; k < rounds; ++k) {
    Mul(signs + k * n, b.data(), n);
    Fwht(b.data(), n);
  }
  Gather(b.data(), perm, permuted.data(), n);
  Axpy(w, x, permuted.data(), n);
  Axpy(1.0f, permuted.data(), acc, n);
}

// The BPR step in double, one triple after another (rows rounded to float after each
// triple, as the table's step stores them).
namespace {
void AdamRowDouble(const ek_bpr_params& a, float* w, float* m, float* v, const std::vector<double>& g) {
  for (size_t k = 0; k < g.size(); ++k) {
    m[k] = float(a.beta1 * double(m[k]) + (1 - double(a.beta1)) * g[k]);
    v[k] = float(a.beta2 * double(v[k]) + (1 - double(a.beta2)) * g[k] * g[k]);
    w[k] = float(double(w[k]) - double(a.step) * m[k] / (std::sqrt(double(v[k])) + a.eps));
  }
}
}  // namespace

double BprStep(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n,
               uint64_t* out_reverse) {
  if (!BprArgsValid(params, triples, n)) return std::numeric_limits<double>::quiet_NaN();
  const ek_bpr_params& a = *params;
  const size_t d = a.dim;
  const bool adam = BprUsesAdam(a), content = a.c != nullptr;
  double loss = 0;
  std::vector<double> e(d), p(d), gp(d), gi(d), gj(d);
  for (size_t s = 0; s < n; ++s) {
    const ek_bpr_triple& t = triples[s];
    const size_t u = size_t(t.u) * d, i = size_t(t.i) * d, j = size_t(t.j) * d;
    float *pu = a.p + u, *qi = a.q + i, *qj = a.q + j;
    double diff = 0;
    for (size_t k = 0; k < d; ++k) {
      p[k] = pu[k];
      e[k] = double(qi[k]) - qj[k] + (content ? double(a.c[i + k]) - a.c[j + k] : 0.0);
      diff += p[k] * e[k];
    }
    if (t.sign < 0 && out_reverse) {
      ++out_reverse[0];
      out_reverse[1] += diff > 0;
    }
    const double x = t.sign * diff;
    loss += t.weight * std::log1p(std::exp(-x));
    const double g = t.weight * t.sign / (1 + std::exp(x));
    if (content) {
      for (size_t k = 0; k < d; ++k) {
        a.g[i + k] = float(a.g[i + k] - g * p[k]);
        a.g[j + k] = float(a.g[j + k] + g * p[k]);
      }
    }
    for (size_t k = 0; k < d; ++k) {
      gp[k] = -g * e[k] + a.reg * p[k];
      gi[k] = -g * p[k] + a.reg * qi[k];
      gj[k] = g * p[k] + a.reg * qj[k];
    }
    if (!adam) {
      for (size_t k = 0; k < d; ++k) {
        pu[k] = float(p[k] - a.lr * gp[k]);
        qi[k] = float(qi[k] - a.lr * gi[k]);
        qj[k] = float(qj[k] - a.lr * gj[k]);
      }
    } else {
      AdamRowDouble(a, pu, a.m_p + u, a.v_p + u, gp);
      AdamRowDouble(a, qi, a.m_q + i, a.v_q + i, gi);
      AdamRowDouble(a, qj, a.m_q + j, a.v_q + j, gj);
    }
  }
  return loss;
}

size_t TopK(const float* scores, size_t n, size_t k, uint32_t* out_index, float* out_score) {
  detail::ValidateTopK("TopK", scores, n, k, out_index, out_score);
  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  std::sort(idx.begin(), idx.end(), [&](uint32_t x, uint32_t y) {
    return scores[x] > scores[y] || (scores[x] == scores[y] && x < y);
  });
  size_t m = std::min(n, k);
  for (size_t i = 0; i < m; ++i) {
    out_index[i] = idx[i];
    out_score[i] = scores[idx[i]];
  }
  return m;
}

void ScanTopK(const ScanRequest& req, uint32_t* out_rows, float* out_scores,
              size_t* out_counts) {
  detail::ValidateScanRequest("reference::ScanTopK", req, out_rows, out_scores, out_counts);
  const size_t dim = req.dim;
  std::vector<double> score(req.rows);
  std::vector<uint32_t> order;
  for (size_t q = 0; q < req.n_queries; ++q) {
    const float* query = req.queries + q * dim;
    double qnorm = 0;
    for (size_t i = 0; i < dim; ++i) qnorm += double(query[i]) * double(query[i]);
    qnorm = std::sqrt(qnorm);
    order.clear();
    for (size_t r = 0; r < req.rows; ++r) {
      if (req.row_allowed && !req.row_allowed[r]) continue;
      const float* x = req.base + r * dim;
      double s = 0;
      for (size_t i = 0; i < dim; ++i) {
        if (req.metric == Metric::kL2) {
          double d = double(query[i]) - double(x[i]);
          s += d * d;
        } else {
          s += double(query[i]) * double(x[i]);
        }
      }
      if (req.metric == Metric::kCosine) s = qnorm > 0 ? std::clamp(s / qnorm, -1.0, 1.0) : 0.0;
      score[r] = s;
      order.push_back(uint32_t(r));
    }
    const bool lower_is_better = req.metric == Metric::kL2;
    std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
      if (score[x] != score[y]) return lower_is_better ? score[x] < score[y] : score[x] > score[y];
      return x < y;
    });
    size_t m = std::min(order.size(), req.k);
    for (size_t i = 0; i < req.k; ++i) {
      if (i < m) {
        out_rows[q * req.k + i] = order[i];
        out_scores[q * req.k + i] = float(score[order[i]]);
      } else {
        out_rows[q * req.k + i] = UINT32_MAX;
        out_scores[q * req.k + i] = std::numeric_limits<float>::quiet_NaN();
      }
    }
    out_counts[q] = m;
  }
}

}  // namespace ek::kernels::reference
