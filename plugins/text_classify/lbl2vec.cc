// The Lbl2Vec label procedure (Schopf et al.; ../shared/design/PAPERS.md) and the
// cosine-argmax classifier with softmax confidence.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "tc.h"

namespace tc {

void DeriveLabelVectors(const Env& env, const Config& c, const float* X, size_t n, size_t dim,
                        const std::vector<float>& seeds, std::vector<LabelState>* states,
                        std::vector<float>* label_vectors) {
  const size_t L = states->size();
  label_vectors->assign(L * dim, 0.0f);
  // Documents with a zero vector (nothing known in them) are never kept.
  std::vector<char> usable(n);
  for (size_t i = 0; i < n; ++i) {
    const float* x = X + i * dim;
    usable[i] = std::any_of(x, x + dim, [](float v) { return v != 0.0f; });
  }
  ParallelFor(env, L, 1, [&](size_t lb, size_t le) {
    std::vector<float> sims(n), q(dim);
    std::vector<uint32_t> order;
    for (size_t l = lb; l < le; ++l) {
      LabelState& st = (*states)[l];
      float* out = label_vectors->data() + l * dim;
      if (!st.active) {
        st.documents = 0;
        continue;
      }
      std::copy(seeds.begin() + static_cast<std::ptrdiff_t>(l * dim), seeds.begin() + static_cast<std::ptrdiff_t>((l + 1) * dim), q.begin());
      for (int round = 0; round <= c.refine_rounds; ++round) {
        env.k->cosine_many(q.data(), X, n, dim, sims.data());
        order.clear();
        for (size_t i = 0; i < n; ++i) {
          if (usable[i]) order.push_back(static_cast<uint32_t>(i));
        }
        // Best first; ties by lower index.
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
          return sims[a] != sims[b] ? sims[a] > sims[b] : a < b;
        });
        size_t keep = 0;
        if (!order.empty()) {
          const double thr = std::isnan(c.similarity_threshold) ? sims[order[0]] - c.threshold_offset : c.similarity_threshold;
          const bool inclusive = std::isnan(c.similarity_threshold);  // "top - offset" keeps the top itself
          while (keep < order.size() && (inclusive ? sims[order[keep]] >= thr : sims[order[keep]] > thr)) ++keep;
        }
        keep = std::max(keep, std::min(c.min_num_docs, order.size()));
        if (c.max_num_docs) keep = std::min(keep, c.max_num_docs);
        std::vector<double> acc(dim, 0.0);
        for (size_t k = 0; k < keep; ++k) {
          const float* x = X + static_cast<size_t>(order[k]) * dim;
          for (size_t j = 0; j < dim; ++j) acc[j] += x[j];
        }
        for (size_t j = 0; j < dim; ++j) out[j] = keep ? static_cast<float>(acc[j] / static_cast<double>(keep)) : 0.0f;
        st.documents = static_cast<uint32_t>(keep);
        std::copy(out, out + dim, q.begin());
      }
    }
  });
  // Optional spherical k-means rounds (ours, not Lbl2Vec's): every usable document is
  // assigned to its most similar active label and each label vector becomes the mean
  // of its documents' unit vectors; a label left without documents keeps its vector.
  if (c.kmeans_rounds == 0) return;
  std::vector<float> unit(X, X + n * dim);
  for (size_t i = 0; i < n; ++i) {
    if (usable[i]) env.k->normalize(unit.data() + i * dim, dim);
  }
  std::vector<int32_t> assign(n, -1);
  for (size_t round = 0; round < c.kmeans_rounds; ++round) {
    std::vector<float> lv(*label_vectors);
    std::vector<char> active(L);
    for (size_t l = 0; l < L; ++l) active[l] = (*states)[l].active && env.k->normalize(lv.data() + l * dim, dim) > 0.0f;
    ParallelFor(env, n, 256, [&](size_t b, size_t e) {
      std::vector<float> s(L);
      for (size_t i = b; i < e; ++i) {
        assign[i] = -1;
        if (!usable[i]) continue;
        env.k->dot_many(unit.data() + i * dim, lv.data(), L, dim, s.data());
        for (size_t l = 0; l < L; ++l) {
          if (active[l] && (assign[i] < 0 || s[l] > s[static_cast<size_t>(assign[i])])) assign[i] = static_cast<int32_t>(l);
        }
      }
    });
    std::vector<double> acc(L * dim, 0.0);
    std::vector<uint32_t> count(L, 0);
    for (size_t i = 0; i < n; ++i) {
      if (assign[i] < 0) continue;
      const size_t l = static_cast<size_t>(assign[i]);
      ++count[l];
      for (size_t j = 0; j < dim; ++j) acc[l * dim + j] += unit[i * dim + j];
    }
    for (size_t l = 0; l < L; ++l) {
      if (!count[l]) continue;
      for (size_t j = 0; j < dim; ++j) (*label_vectors)[l * dim + j] = static_cast<float>(acc[l * dim + j] / count[l]);
      (*states)[l].documents = count[l];
    }
  }
}

void Classify(const Env& env, const Config& c, const float* vectors, size_t n, size_t dim,
              const std::vector<float>& label_vectors, const std::vector<LabelState>& states,
              int32_t* out_label, float* out_confidence, float* out_scores) {
  const size_t L = states.size();
  // Unit label vectors once, so each document needs one dot per label.
  std::vector<float> unit(label_vectors);
  std::vector<char> active(L);
  for (size_t l = 0; l < L; ++l) {
    active[l] = states[l].active && env.k->normalize(unit.data() + l * dim, dim) > 0.0f;
  }
  ParallelFor(env, n, 256, [&](size_t b, size_t e) {
    std::vector<float> s(L), v(dim);
    for (size_t i = b; i < e; ++i) {
      std::copy(vectors + i * dim, vectors + (i + 1) * dim, v.begin());
      const float norm = env.k->normalize(v.data(), dim);
      float* scores = out_scores ? out_scores + i * L : nullptr;
      if (norm == 0.0f || !std::isfinite(norm)) {
        if (out_label) out_label[i] = -1;
        if (out_confidence) out_confidence[i] = 0.0f;
        if (scores) std::fill(scores, scores + L, 0.0f);
        continue;
      }
      env.k->dot_many(v.data(), unit.data(), L, dim, s.data());
      int32_t best = -1;
      for (size_t l = 0; l < L; ++l) {
        if (!active[l]) continue;
        if (best < 0 || s[l] > s[static_cast<size_t>(best)]) best = static_cast<int32_t>(l);
      }
      double z = 0;
      if (best >= 0) {
        for (size_t l = 0; l < L; ++l) {
          if (active[l]) z += std::exp(c.scale * (static_cast<double>(s[l]) - s[static_cast<size_t>(best)]));
        }
      }
      if (out_label) out_label[i] = best;
      if (out_confidence) out_confidence[i] = best >= 0 ? static_cast<float>(1.0 / z) : 0.0f;
      if (scores) {
        for (size_t l = 0; l < L; ++l) scores[l] = active[l] ? s[l] : 0.0f;
      }
    }
  });
}

}  // namespace tc
