// table_match, stage A: table-level text similarity, similarity flooding over the key
// graph, user table links, and each source table's ranking of the target tables.
#include "tables.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "text.h"

namespace tmatch {

namespace {

using SparseVec = std::unordered_map<std::string, float>;

// Stems and their summed weights, stop words and numbers left out.
SparseVec StemCounts(const TableDoc& d) {
  SparseVec out;
  for (const auto& [w, weight] : d.words) {
    if (w.empty() || IsStopWord(w) || std::isdigit(static_cast<unsigned char>(w[0]))) continue;
    out[Stem(w)] += weight;
  }
  return out;
}

float SparseDot(const SparseVec& x, const SparseVec& y) {
  const SparseVec& small = x.size() < y.size() ? x : y;
  const SparseVec& large = x.size() < y.size() ? y : x;
  double s = 0;
  for (const auto& [k, v] : small)
    if (auto it = large.find(k); it != large.end()) s += static_cast<double>(v) * it->second;
  return static_cast<float>(s);
}

void NormalizeSparse(SparseVec* v) {
  double n = 0;
  for (const auto& [k, x] : *v) n += static_cast<double>(x) * x;
  if (n <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (auto& [k, x] : *v) x *= inv;
}

void NormalizeDense(std::vector<float>* v) {
  double n = 0;
  for (float x : *v) n += static_cast<double>(x) * x;
  if (n <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (float& x : *v) x *= inv;
}

}  // namespace

TableStage::TableStage(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target,
                       const WordVectorLookup& wordvec, uint32_t dim, const TableStageParams& params,
                       const std::vector<std::pair<std::string, std::string>>& links)
    : A_(source.size()), B_(target.size()), params_(params), ev_(A_ * B_) {
  Text(source, target, wordvec, dim);
  ApplyLinks(source, target, links);
  Flood(source, target);
  Rank();
}

// TF-IDF (IDF over the tables of both sides, sublinear term weights) and the
// IDF-weighted mean of unit word vectors; text = their fusion.
void TableStage::Text(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target,
                      const WordVectorLookup& wordvec, uint32_t dim) {
  std::vector<SparseVec> counts;
  for (const auto* side : {&source, &target})
    for (const TableDoc& d : *side) counts.push_back(StemCounts(d));
  std::unordered_map<std::string, uint32_t> df;
  for (const SparseVec& c : counts)
    for (const auto& [k, v] : c) ++df[k];
  const double n = static_cast<double>(counts.size());
  auto idf = [&](const std::string& stem) {
    auto it = df.find(stem);
    const double c = it == df.end() ? 0 : it->second;
    return static_cast<float>(std::log(1.0 + (n - c + 0.5) / (c + 0.5)));
  };
  std::vector<SparseVec> tfidf(counts.size());
  std::vector<std::vector<float>> dense(counts.size());
  size_t i = 0;
  for (const auto* side : {&source, &target}) {
    for (const TableDoc& d : *side) {
      for (const auto& [k, v] : counts[i]) tfidf[i][k] = std::log1p(v) * idf(k);
      NormalizeSparse(&tfidf[i]);
      if (dim && wordvec) {
        dense[i].assign(dim, 0.f);
        for (const auto& [w, weight] : d.words) {
          if (w.empty() || IsStopWord(w)) continue;
          const float* v = wordvec(w);
          if (!v) continue;
          double norm = 0;
          for (uint32_t j = 0; j < dim; ++j) norm += static_cast<double>(v[j]) * v[j];
          if (norm <= 0) continue;
          const float f = static_cast<float>(weight * idf(Stem(w)) / std::sqrt(norm));
          for (uint32_t j = 0; j < dim; ++j) dense[i][j] += f * v[j];
        }
        NormalizeDense(&dense[i]);
      }
      ++i;
    }
  }
  const double w = dim && wordvec ? params_.wordvec_weight : 0.0;
  for (size_t a = 0; a < A_; ++a) {
    for (size_t b = 0; b < B_; ++b) {
      TableEvidence& e = ev_[a * B_ + b];
      e.tfidf = SparseDot(tfidf[a], tfidf[A_ + b]);
      if (w > 0) {
        double dot = 0;
        for (uint32_t j = 0; j < dim; ++j) dot += static_cast<double>(dense[a][j]) * dense[A_ + b][j];
        e.wordvec = static_cast<float>(std::max(0.0, dot));
      }
      e.score = static_cast<float>((1 - w) * e.tfidf + w * e.wordvec);
    }
  }
}

// A user's link (A, B) makes B's text score above every other table's for A, before
// flooding, so the link also supports the tables A and B point to.
void TableStage::ApplyLinks(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target,
                            const std::vector<std::pair<std::string, std::string>>& links) {
  for (const auto& [sa, tb] : links) {
    for (size_t a = 0; a < A_; ++a) {
      if (source[a].name != sa) continue;
      for (size_t b = 0; b < B_; ++b) {
        if (target[b].name != tb) continue;
        ev_[a * B_ + b].hint = true;
        ev_[a * B_ + b].score = 1.5f;  // text scores are cosines, at most 1
      }
    }
  }
}

// Similarity flooding over the key graph: score(A,B) = text(A,B) + flood_weight * the
// mean of (over the tables R that A points to, the best score(R,Q) over the tables Q
// that B points to) and of the same over the tables pointing to A and B; iterated.
void TableStage::Flood(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target) {
  auto incoming = [](const std::vector<TableDoc>& docs) {
    std::vector<std::vector<uint32_t>> in(docs.size());
    for (size_t x = 0; x < docs.size(); ++x)
      for (uint32_t r : docs[x].refs) in[r].push_back(static_cast<uint32_t>(x));
    return in;
  };
  const auto sin = incoming(source), tin = incoming(target);
  std::vector<float> text(A_ * B_), cur(A_ * B_);
  for (size_t p = 0; p < A_ * B_; ++p) text[p] = cur[p] = ev_[p].score;
  auto neighbours = [&](const std::vector<uint32_t>& ra, const std::vector<uint32_t>& qb) {
    if (ra.empty() || qb.empty()) return -1.0;
    double sum = 0;
    for (uint32_t r : ra) {
      float best = 0;
      for (uint32_t q : qb) best = std::max(best, cur[r * B_ + q]);
      sum += best;
    }
    return sum / static_cast<double>(ra.size());
  };
  std::vector<float> next(A_ * B_), flood(A_ * B_, 0.f);
  for (uint32_t it = 0; it < params_.flood_iterations; ++it) {
    for (size_t a = 0; a < A_; ++a)
      for (size_t b = 0; b < B_; ++b) {
        const double out = neighbours(source[a].refs, target[b].refs);
        const double in = neighbours(sin[a], tin[b]);
        const double nb = out < 0 ? std::max(in, 0.0) : in < 0 ? out : 0.5 * (out + in);
        flood[a * B_ + b] = static_cast<float>(params_.flood_weight * nb);
        next[a * B_ + b] = text[a * B_ + b] + flood[a * B_ + b];
      }
    // Normalised by the largest score so iterations do not grow without bound.
    const float mx = *std::max_element(next.begin(), next.end());
    for (size_t p = 0; p < A_ * B_; ++p) cur[p] = mx > 0 ? next[p] / mx : 0.f;
  }
  for (size_t p = 0; p < A_ * B_; ++p) {
    ev_[p].flooding = flood[p];
    ev_[p].score = cur[p];
  }
}

void TableStage::Rank() {
  best_.assign(A_, 0.f);
  std::vector<uint32_t> order(B_);
  for (size_t a = 0; a < A_; ++a) {
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
      return ev_[a * B_ + x].score > ev_[a * B_ + y].score;
    });
    for (size_t r = 0; r < B_; ++r) ev_[a * B_ + order[r]].rank = static_cast<uint32_t>(r);
    if (B_) best_[a] = ev_[a * B_ + order[0]].score;
  }
}

float TableStage::RelativeGap(size_t a, size_t b) const {
  return best_[a] > 0 ? (Evidence(a, b).score - best_[a]) / best_[a] : 0.f;
}

}  // namespace tmatch
