// table_match: the table context's affinity gaps and ranks of table pairs (table_context.h).
#include "table_context.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace tmatch {

TableContext::TableContext(const std::vector<Column>& src, const std::vector<Column>& tgt,
                           const std::vector<float>& z)
    : S_(src.size()), T_(tgt.size()) {
  std::unordered_map<std::string, uint32_t> sidx, tidx;
  auto group = [](const std::vector<Column>& cols, std::unordered_map<std::string, uint32_t>* idx,
                  std::vector<uint32_t>* of) {
    of->resize(cols.size());
    for (size_t i = 0; i < cols.size(); ++i) {
      auto [it, fresh] = idx->emplace(Lower(cols[i].table), static_cast<uint32_t>(idx->size()));
      (*of)[i] = it->second;
    }
  };
  group(src, &sidx, &st_);
  group(tgt, &tidx, &tt_);
  A_ = sidx.size();
  B_ = tidx.size();
  std::vector<double> sb(S_ * B_, 0.0), ta(A_ * T_, 0.0);
  for (size_t s = 0; s < S_; ++s)
    for (size_t t = 0; t < T_; ++t) {
      const double p = 1.0 / (1.0 + std::exp(-static_cast<double>(z[s * T_ + t])));
      double& x = sb[s * B_ + tt_[t]];
      x = std::max(x, p);
      double& y = ta[st_[s] * T_ + t];
      y = std::max(y, p);
    }
  std::vector<double> nA(A_, 0), nB(B_, 0), row(A_ * B_, 0), col(A_ * B_, 0);
  for (size_t s = 0; s < S_; ++s) {
    ++nA[st_[s]];
    for (size_t b = 0; b < B_; ++b) row[st_[s] * B_ + b] += sb[s * B_ + b];
  }
  for (size_t t = 0; t < T_; ++t) {
    ++nB[tt_[t]];
    for (size_t a = 0; a < A_; ++a) col[a * B_ + tt_[t]] += ta[a * T_ + t];
  }
  gr_.assign(A_ * B_, 0.f);
  gc_.assign(A_ * B_, 0.f);
  for (size_t a = 0; a < A_; ++a) {
    double mx = -1;
    for (size_t b = 0; b < B_; ++b) mx = std::max(mx, row[a * B_ + b] / nA[a]);
    for (size_t b = 0; b < B_; ++b) gr_[a * B_ + b] = static_cast<float>(row[a * B_ + b] / nA[a] - mx);
  }
  for (size_t b = 0; b < B_; ++b) {
    double mx = -1;
    for (size_t a = 0; a < A_; ++a) mx = std::max(mx, col[a * B_ + b] / nB[b]);
    for (size_t a = 0; a < A_; ++a) gc_[a * B_ + b] = static_cast<float>(col[a * B_ + b] / nB[b] - mx);
  }
  rank_.assign(A_ * B_, 0.f);
  std::vector<uint32_t> order(B_);
  for (size_t a = 0; a < A_; ++a) {
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t x, uint32_t y) { return row[a * B_ + x] > row[a * B_ + y]; });
    for (size_t r = 0; r < B_; ++r) rank_[a * B_ + order[r]] = 1.f / (1.f + static_cast<float>(r));
  }
  rank_col_.assign(A_ * B_, 0.f);
  std::vector<uint32_t> sorder(A_);
  for (size_t b = 0; b < B_; ++b) {
    std::iota(sorder.begin(), sorder.end(), 0u);
    std::stable_sort(sorder.begin(), sorder.end(),
                     [&](uint32_t x, uint32_t y) { return col[x * B_ + b] > col[y * B_ + b]; });
    for (size_t r = 0; r < A_; ++r) rank_col_[sorder[r] * B_ + b] = 1.f / (1.f + static_cast<float>(r));
  }
  auto refs = [](const std::vector<Column>& cols, const std::unordered_map<std::string, uint32_t>& idx,
                 std::vector<int>* out) {
    out->assign(cols.size(), -1);
    for (size_t i = 0; i < cols.size(); ++i) {
      if (!cols[i].foreign_key || cols[i].references.empty()) continue;
      auto it = idx.find(Lower(cols[i].references));
      if (it != idx.end()) (*out)[i] = static_cast<int>(it->second);
    }
  };
  refs(src, sidx, &sref_);
  refs(tgt, tidx, &tref_);
  spk_.resize(S_);
  tpk_.resize(T_);
  for (size_t s = 0; s < S_; ++s) spk_[s] = IsKey(src[s]);
  for (size_t t = 0; t < T_; ++t) tpk_[t] = IsKey(tgt[t]);
}

}  // namespace tmatch
