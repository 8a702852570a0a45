// table_match: threshold and match decisions over the ranked candidates (decide.h).
#include "decide.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

namespace tmatch {
namespace {

// Hungarian method (e-maxx), minimising cost over an n x m matrix with n <= m.
std::vector<int> Hungarian(const std::vector<double>& cost, size_t n, size_t m) {
  const double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1), v(m + 1);
  std::vector<size_t> p(m + 1, 0), way(m + 1, 0);
  for (size_t i = 1; i <= n; ++i) {
    p[0] = i;
    size_t j0 = 0;
    std::vector<double> minv(m + 1, kInf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const size_t i0 = p[j0];
      double delta = kInf;
      size_t j1 = 0;
      for (size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  std::vector<int> row_to_col(n, -1);
  for (size_t j = 1; j <= m; ++j)
    if (p[j]) row_to_col[p[j] - 1] = static_cast<int>(j - 1);
  return row_to_col;
}

// The Hungarian method runs on the shorter side (transposing when S > T).
std::vector<int> HungarianAssignment(const std::vector<float>& score, size_t S, size_t T) {
  std::vector<int> assign(S, -1);
  const bool tr = S > T;
  const size_t n = tr ? T : S, m = tr ? S : T;
  std::vector<double> cost(n * m);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) cost[i * m + j] = -(tr ? score[j * T + i] : score[i * T + j]);
  std::vector<int> a = Hungarian(cost, n, m);
  for (size_t i = 0; i < n; ++i) {
    if (a[i] < 0) continue;
    if (tr) assign[static_cast<size_t>(a[i])] = static_cast<int>(i);
    else assign[i] = a[i];
  }
  return assign;
}

// Beyond the Hungarian method's reach: best remaining pair first.
std::vector<int> GreedyAssignment(const std::vector<float>& score, size_t S, size_t T) {
  std::vector<int> assign(S, -1);
  std::vector<uint64_t> order(S * T);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint64_t x, uint64_t y) { return score[x] > score[y]; });
  std::vector<char> used(T, 0);
  for (uint64_t o : order) {
    const size_t s = o / T, t = o % T;
    if (assign[s] < 0 && !used[t]) {
      assign[s] = static_cast<int>(t);
      used[t] = 1;
    }
  }
  return assign;
}

}  // namespace

bool ByScore(const Candidate& x, const Candidate& y) { return x.score > y.score; }

float ChooseThreshold(const CandidateLists& candidates, const ek_matcher_options& options,
                      const ModelVariant& model) {
  float threshold = options.threshold >= 0 ? options.threshold : static_cast<float>(model.threshold);
  if (!(options.threshold < 0 && model.match_fraction < 1)) return threshold;
  std::vector<float> best;
  for (const auto& list : candidates)
    if (!list.empty()) best.push_back(list[0].score);
  if (best.empty()) return threshold;
  const size_t keep = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(model.match_fraction * static_cast<double>(best.size()))));
  std::nth_element(best.begin(), best.begin() + (keep - 1), best.end(), std::greater<float>());
  return std::max(threshold, best[keep - 1]);
}

void DecideOneToMany(CandidateLists* candidates, float threshold, uint32_t max_matches,
                     uint32_t matches_per_table) {
  for (auto& list : *candidates)
    for (size_t r = 0; r < list.size(); ++r) {
      const Candidate& c = list[r];
      list[r].match = c.score >= threshold && r < max_matches && !c.outside_tables && !c.keys_disagree &&
                      (matches_per_table == 0 || c.rank_in_table < matches_per_table);
    }
}

void DecideOneToOne(CandidateLists* candidates, const std::vector<float>& score, size_t S,
                    size_t T, float threshold) {
  // Optimal assignment over all scores (Hungarian; greedy beyond 2000 x 2000).
  const std::vector<int> assign = std::min(S, T) <= 2000 && S * T <= 8000000
                                      ? HungarianAssignment(score, S, T)
                                      : GreedyAssignment(score, S, T);
  for (size_t s = 0; s < S; ++s) {
    auto& list = (*candidates)[s];
    if (assign[s] < 0) continue;
    const uint32_t t = static_cast<uint32_t>(assign[s]);
    auto it = std::find_if(list.begin(), list.end(), [&](const Candidate& c) { return c.target == t; });
    if (it == list.end()) {
      Candidate c;
      c.target = t;
      c.score = c.model_score = score[s * T + t];
      list.back() = c;
      std::stable_sort(list.begin(), list.end(), ByScore);
      it = std::find_if(list.begin(), list.end(), [&](const Candidate& c2) { return c2.target == t; });
    }
    it->match = it->score >= threshold;
  }
}

}  // namespace tmatch
