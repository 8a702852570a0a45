// doc2vec embedder: PV-DBOW with interleaved skip-gram word training (gensim's dm=0,
// dbow_words=1) and negative sampling, trained Hogwild on the host's pool. With one
// thread every update happens in a fixed order from host->random_u32 streams, so the
// model is bit-for-bit reproducible. Unseen documents: infer_vector (word and output
// weights frozen, only the new document vector is trained). The vector arithmetic is
// the host's kernel table (dot, axpy, pair_update): no SIMD code of its own.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <mutex>

#include "tc.h"
#include "vocab.h"

namespace tc {
namespace {

constexpr int kExpTable = 1000;
constexpr float kMaxExp = 6.0f;

struct Sigmoid {
  float table[kExpTable];
  Sigmoid() {
    for (int i = 0; i < kExpTable; ++i) {
      const double x = (static_cast<double>(i) / kExpTable * 2 - 1) * kMaxExp;
      table[i] = static_cast<float>(1.0 / (1.0 + std::exp(-x)));
    }
  }
  float operator()(float f) const {
    if (f <= -kMaxExp) return 0.0f;
    if (f >= kMaxExp) return 1.0f;
    return table[static_cast<int>((f + kMaxExp) * (kExpTable / kMaxExp / 2))];
  }
};
const Sigmoid& Sig() {
  static const Sigmoid s;
  return s;
}

// Vose's alias method over count^0.75: O(1) negative draws. Threshold and alias of a
// bucket sit side by side so a draw touches one cache line.
struct Alias {
  struct Bucket {
    uint32_t prob;   // threshold on a 32-bit draw
    uint32_t alias;
  };
  std::vector<Bucket> table;
  void Build(const std::vector<uint64_t>& counts) {
    const size_t n = counts.size();
    std::vector<double> p(n);
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += p[i] = std::pow(static_cast<double>(counts[i]), 0.75);
    std::vector<uint32_t> small, large;
    for (size_t i = 0; i < n; ++i) {
      p[i] = p[i] * static_cast<double>(n) / sum;
      (p[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
    }
    table.assign(n, Bucket{0xFFFFFFFFu, 0});
    for (size_t i = 0; i < n; ++i) table[i].alias = static_cast<uint32_t>(i);
    while (!small.empty() && !large.empty()) {
      const uint32_t s = small.back(), l = large.back();
      small.pop_back();
      table[s].prob = static_cast<uint32_t>(std::min(4294967295.0, p[s] * 4294967296.0));
      table[s].alias = l;
      p[l] = (p[l] + p[s]) - 1.0;
      if (p[l] < 1.0) {
        large.pop_back();
        small.push_back(l);
      }
    }
  }
  template <class R>
  uint32_t Draw(R& rng) const {
    const uint32_t i = rng.Below(static_cast<uint32_t>(table.size()));
    const Bucket& b = table[i];
    return rng.Next() < b.prob ? i : b.alias;
  }
};

// The training loops' generator: splitmix64 (two 32-bit words per step),
// keyed by two words of the host's Philox stream. Calling the host for every word
// cost a tenth of the training time.
class FastRng {
 public:
  explicit FastRng(Rng& philox) : s_((static_cast<uint64_t>(philox.Next()) << 32) | philox.Next()) {}
  uint32_t Next() {
    if (have_) {
      have_ = false;
      return static_cast<uint32_t>(buf_ >> 32);
    }
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    buf_ = z ^ (z >> 31);
    have_ = true;
    return static_cast<uint32_t>(buf_);
  }
  float Uniform() { return static_cast<float>(Next() >> 8) * (1.0f / 16777216.0f); }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((static_cast<uint64_t>(Next()) * n) >> 32); }

 private:
  uint64_t s_, buf_ = 0;
  bool have_ = false;
};

class Doc2Vec final : public Embedder {
 public:
  Doc2Vec(const Env& env, const Config& c) : Embedder(env, c), d_(c.vector_size) {
    // The inner loops use the kernel table's axpy and pair_update (ABI 1.1, after bpr_step).
    if (env.k->struct_size < offsetof(ek_kernels, pair_update) + sizeof(env.k->pair_update)) {
      Fail(EK_ERR_ABI_MISMATCH,
           "doc2vec needs the kernel table of ABI 1.1 or later (axpy, pair_update); this host's is older");
    }
  }
  size_t dim() const override { return d_; }

  void Fit(const ek_string_view* docs, size_t n, std::vector<float>* fitted) override {
    vocab_.Build(env_, docs, n, c_.min_count, c_.max_vocab);
    if (vocab_.words.empty()) {
      Fail(EK_ERR_INVALID_ARGUMENT, "doc2vec: no word occurs at least min_count=" + std::to_string(c_.min_count) +
                                        " times in the " + std::to_string(n) + " documents");
    }
    Prepare();
    const size_t V = vocab_.words.size();
    syn0_.assign(V * d_, 0.0f);
    syn1_.assign(V * d_, 0.0f);
    fitted->assign(n * d_, 0.0f);
    InitRows(syn0_.data(), V, 1);
    InitRows(fitted->data(), n, 2);
    auto ids = DocumentIds(env_, vocab_, docs, n);
    Train(ids, fitted->data());
    // A document without a vocabulary word was never trained: it has no vector.
    for (size_t i = 0; i < n; ++i) {
      if (ids[i].empty()) std::fill(fitted->begin() + static_cast<std::ptrdiff_t>(i * d_), fitted->begin() + static_cast<std::ptrdiff_t>((i + 1) * d_), 0.0f);
    }
    if (c_.infer_linear) FitLinear(ids, fitted->data());
  }

  void Embed(const ek_string_view* docs, size_t n, float* out) override {
    if (syn1_.empty()) Fail(EK_ERR_UNSUPPORTED, "doc2vec: not fitted");
    auto ids = DocumentIds(env_, vocab_, docs, n);
    if (c_.infer_linear) {
      ParallelFor(env_, n, 64, [&](size_t b, size_t e) {
        std::vector<float> f(2 * d_);
        for (size_t i = b; i < e; ++i) InferLinear(ids[i], f.data(), out + i * d_);
      });
      return;
    }
    std::atomic<size_t> done{0};
    ParallelFor(env_, n, 16, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const uint64_t h = Hash64(docs[i].data ? docs[i].data : "", docs[i].length, c_.seed);
        Infer(ids[i], h, out + i * d_);
        const size_t k = done.fetch_add(1) + 1;
        if ((k & 255) == 0) Progress(env_, "doc2vec infer", k, n);
      }
    });
  }

  void Seed(const std::vector<std::string>& keywords, float* out, uint32_t* known) override {
    // Input (word) vectors as Lbl2Vec; or the output vectors, which the document
    // vectors are trained to score (d . out[w] high for the words w of a document;
    // the only trained word vectors of pure PV-DBOW, dbow_words false); or both, each
    // row normalised. "auto": input with dbow_words, output without.
    std::vector<const float*> vs;
    KeywordVectors kvs = c_.keyword_vectors;
    if (kvs == KeywordVectors::kAuto) kvs = c_.dbow_words ? KeywordVectors::kInput : KeywordVectors::kOutput;
    const bool in = kvs != KeywordVectors::kOutput, out_rows = kvs != KeywordVectors::kInput;
    for (const auto& kw : keywords) {
      for (const auto& t : Tokens(env_, kw)) {
        const int64_t i = vocab_.Find(t);
        if (i < 0) continue;
        if (in) vs.push_back(syn0_.data() + static_cast<size_t>(i) * d_);
        if (out_rows) vs.push_back(syn1_.data() + static_cast<size_t>(i) * d_);
      }
    }
    // A keyword counts as known when at least one of its tokens is in the vocabulary.
    uint32_t k = 0;
    for (const auto& kw : keywords) {
      bool any = false;
      for (const auto& t : Tokens(env_, kw)) any = any || vocab_.Find(t) >= 0;
      k += any ? 1 : 0;
    }
    *known = k;
    MeanOfUnit(env_, vs, d_, out);
  }

  void Save(ModelIO& io, std::string* meta) override {
    io.WriteBlob("vocab", vocab_.Serialize());
    io.WriteMatrix("words", syn0_.data(), vocab_.words.size(), d_);
    io.WriteMatrix("out", syn1_.data(), vocab_.words.size(), d_);
    *meta += ",\"vocab_size\":" + std::to_string(vocab_.words.size());
    if (c_.infer_linear) io.WriteMatrix("linear", lin_.data(), 2 * d_, d_);
  }

  void Load(ModelIO& io, const JsonFields& meta) override {
    vocab_.Deserialize(io.ReadBlob("vocab"));
    const size_t V = static_cast<size_t>(meta.Number("vocab_size"));
    if (V != vocab_.words.size()) Fail(EK_ERR_CORRUPT, "doc2vec: vocabulary size mismatch");
    syn0_.resize(V * d_);
    syn1_.resize(V * d_);
    io.ReadMatrix("words", syn0_.data(), V, d_);
    io.ReadMatrix("out", syn1_.data(), V, d_);
    Prepare();
    if (c_.infer_linear) {
      lin_.resize(2 * d_ * d_);
      io.ReadMatrix("linear", lin_.data(), 2 * d_, d_);
    }
  }

  std::string Stats() const override {
    return "{\"vocab_size\":" + std::to_string(vocab_.words.size()) + ",\"corpus_words\":" + std::to_string(vocab_.total) +
           ",\"trained_words\":" + std::to_string(trained_words_) + "}";
  }

 private:
  // Sampling thresholds and the negative table from the vocabulary counts.
  void Prepare() {
    const size_t V = vocab_.words.size();
    keep_.assign(V, 0xFFFFFFFFu);
    if (c_.sample > 0) {
      const double t = c_.sample * static_cast<double>(vocab_.total);
      for (size_t i = 0; i < V; ++i) {
        const double f = static_cast<double>(vocab_.counts[i]);
        const double p = (std::sqrt(f / t) + 1.0) * t / f;  // gensim / word2vec.c
        keep_[i] = p >= 1.0 ? 0xFFFFFFFFu : static_cast<uint32_t>(p * 4294967296.0);
      }
    }
    alias_.Build(vocab_.counts);
  }

  // Rows uniform in (-0.5, 0.5) / dim, as gensim, from a Philox stream.
  void InitRows(float* m, size_t rows, uint64_t stream) {
    ParallelFor(env_, rows, 256, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        Rng rng(env_.host, c_.seed, (stream << 32) + r);
        for (size_t j = 0; j < d_; ++j) m[r * d_ + j] = (rng.Uniform() - 0.5f) / static_cast<float>(d_);
      }
    });
  }

  // Pulls a row (d_ floats) towards the cache ahead of its use: the rows of negative
  // samples and context words are scattered over vocabulary-sized matrices, and the
  // update loop is otherwise bound by the latency of those misses.
  void Prefetch(const float* row) const {
#if defined(__GNUC__)
    const char* p = reinterpret_cast<const char*>(row);
    for (size_t b = 0; b < d_ * sizeof(float); b += 64) __builtin_prefetch(p + b, 1, 3);
#else
    (void)row;
#endif
  }

  // One (input l1, target word) pair with negative sampling; accumulates into neu1e.
  // The negatives are drawn first (same draws, same order as one at a time) so their
  // rows can be prefetched together.
  void Pair(const float* l1, uint32_t target, float alpha, FastRng& rng, float* neu1e, bool learn_out) {
    const Sigmoid& sig = Sig();
    const ek_kernels& kt = *env_.k;
    uint32_t targets[65];
    size_t nt = 0;
    targets[nt++] = target;
    for (size_t k = 1; k <= c_.negative; ++k) {
      const uint32_t t = alias_.Draw(rng);
      if (t != target) targets[nt++] = t;
    }
    for (size_t k = 1; k < nt; ++k) Prefetch(syn1_.data() + static_cast<size_t>(targets[k]) * d_);
    for (size_t k = 0; k < nt; ++k) {
      const float label = k == 0 ? 1.0f : 0.0f;
      float* w = syn1_.data() + static_cast<size_t>(targets[k]) * d_;
      const float g = (label - sig(kt.dot(l1, w, d_))) * alpha;
      if (learn_out) {
        kt.pair_update(g, l1, w, neu1e, d_);  // neu1e += g w, then w += g l1 (one pass)
      } else {
        kt.axpy(g, w, neu1e, d_);
      }
    }
  }

  // Hogwild shards race on the shared weights, so a multi-shard model depends on thread
  // timing: on a small corpus that noise decides predictions (a 48-document corpus
  // flipped a label in 17% of 4-thread runs). Below kTokensPerShard token-epochs per
  // shard (about a second of one core) more threads buy nothing worth that, so such a
  // corpus trains on one shard and is bit-for-bit reproducible on any pool size.
  static constexpr uint64_t kTokensPerShard = 2'000'000;

  size_t ShardCount(uint64_t token_epochs, size_t docs) const {
    const size_t threads = std::max<uint32_t>(1, env_.host->thread_count(env_.host));
    const uint64_t by_work = std::max<uint64_t>(1, token_epochs / kTokensPerShard);
    return static_cast<size_t>(std::min<uint64_t>({threads, docs, by_work}));
  }

  void Train(const std::vector<std::vector<uint32_t>>& ids, float* doc) {
    const size_t n = ids.size();
    uint64_t corpus = 0;
    for (const auto& v : ids) corpus += v.size();
    const uint64_t total = corpus * c_.epochs;
    std::atomic<uint64_t> done{0};
    std::atomic<uint64_t> trained{0};
    const size_t shards = ShardCount(total, n);
    std::atomic<bool> stop{false};
    ParallelFor(env_, shards, 1, [&](size_t sb, size_t se) {
      std::vector<float> neu1e(d_);
      std::vector<uint32_t> sent;
      for (size_t s = sb; s < se; ++s) {
        const size_t b = n * s / shards, e = n * (s + 1) / shards;
        Rng philox(env_.host, c_.seed, (uint64_t{3} << 32) + s);
        FastRng rng(philox);
        uint64_t local = 0, since_report = 0;
        for (size_t epoch = 0; epoch < c_.epochs && !stop.load(std::memory_order_relaxed); ++epoch) {
          for (size_t i = b; i < e; ++i) {
            const double progress = static_cast<double>(done.load(std::memory_order_relaxed)) / static_cast<double>(total ? total : 1);
            const float alpha = static_cast<float>(std::max(c_.min_alpha, c_.alpha - (c_.alpha - c_.min_alpha) * progress));
            sent.clear();
            for (uint32_t w : ids[i]) {
              if (keep_[w] == 0xFFFFFFFFu || rng.Next() < keep_[w]) sent.push_back(w);
            }
            float* dv = doc + i * d_;
            const size_t m = sent.size();
            for (size_t p = 0; p < m; ++p) {
              if (p + 1 < m) Prefetch(syn1_.data() + static_cast<size_t>(sent[p + 1]) * d_);
              if (c_.dbow_words && p + c_.window + 1 < m) Prefetch(syn0_.data() + static_cast<size_t>(sent[p + c_.window + 1]) * d_);
              if (c_.dbow_words) {
                const size_t reduced = rng.Below(static_cast<uint32_t>(c_.window));
                const size_t half = c_.window - reduced;
                const size_t lo = p > half ? p - half : 0, hi = std::min(m, p + half + 1);
                for (size_t q = lo; q < hi; ++q) {
                  if (q == p) continue;
                  float* l1 = syn0_.data() + static_cast<size_t>(sent[q]) * d_;
                  std::fill(neu1e.begin(), neu1e.end(), 0.0f);
                  Pair(l1, sent[p], alpha, rng, neu1e.data(), true);
                  env_.k->axpy(1.0f, neu1e.data(), l1, d_);
                }
              }
              std::fill(neu1e.begin(), neu1e.end(), 0.0f);
              Pair(dv, sent[p], alpha, rng, neu1e.data(), true);
              env_.k->axpy(1.0f, neu1e.data(), dv, d_);
            }
            local += m;
            done.fetch_add(ids[i].size(), std::memory_order_relaxed);
            since_report += ids[i].size();
            if (since_report > 200000) {
              since_report = 0;
              if (env_.host->progress(env_.host, "doc2vec train", done.load(), total) != 0) stop = true;
              if (stop.load(std::memory_order_relaxed)) break;
            }
          }
        }
        trained.fetch_add(local);
      }
    });
    if (stop.load() || env_.host->is_cancelled(env_.host)) Fail(EK_ERR_CANCELLED, "doc2vec: training cancelled");
    Progress(env_, "doc2vec train", total, total);
    trained_words_ = trained.load();
  }

  // "infer": "linear" (ours): a new document's features are the means of its words'
  // input and output vectors, each word weighted by its down-sampling keep
  // probability (how often training saw it); a ridge-regression map from those 2d
  // features to the fitted document vectors, learnt on the fitted corpus after
  // training, turns them into a document vector. Labels play no part.
  void Features(const std::vector<uint32_t>& ids, float* f) const {
    std::fill(f, f + 2 * d_, 0.0f);
    double wsum = 0;
    for (uint32_t w : ids) {
      const float wt = keep_[w] == 0xFFFFFFFFu ? 1.0f : static_cast<float>(keep_[w]) * (1.0f / 4294967296.0f);
      if (c_.dbow_words) env_.k->axpy(wt, syn0_.data() + static_cast<size_t>(w) * d_, f, d_);  // else untrained
      env_.k->axpy(wt, syn1_.data() + static_cast<size_t>(w) * d_, f + d_, d_);
      wsum += wt;
    }
    if (wsum > 0) {
      const float inv = static_cast<float>(1.0 / wsum);
      for (size_t j = 0; j < 2 * d_; ++j) f[j] *= inv;
    }
  }

  void InferLinear(const std::vector<uint32_t>& ids, float* f, float* out) const {
    std::fill(out, out + d_, 0.0f);
    if (ids.empty()) return;  // nothing known: the zero vector (label -1)
    Features(ids, f);
    for (size_t a = 0; a < 2 * d_; ++a) env_.k->axpy(f[a], lin_.data() + a * d_, out, d_);
  }

  void FitLinear(const std::vector<std::vector<uint32_t>>& ids, const float* X) {
    const size_t n = ids.size(), m = 2 * d_;
    std::vector<double> G(m * m, 0.0), B(m * d_, 0.0);
    std::mutex mu;
    ParallelFor(env_, n, 256, [&](size_t b, size_t e) {
      std::vector<double> g(m * m, 0.0), bb(m * d_, 0.0);
      std::vector<float> f(m);
      for (size_t i = b; i < e; ++i) {
        if (ids[i].empty()) continue;
        Features(ids[i], f.data());
        const float* x = X + i * d_;
        for (size_t a = 0; a < m; ++a) {
          const double fa = f[a];
          for (size_t c = a; c < m; ++c) g[a * m + c] += fa * f[c];
          for (size_t c = 0; c < d_; ++c) bb[a * d_ + c] += fa * x[c];
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      for (size_t k = 0; k < g.size(); ++k) G[k] += g[k];
      for (size_t k = 0; k < bb.size(); ++k) B[k] += bb[k];
    });
    double tr = 0;
    for (size_t a = 0; a < m; ++a) {
      for (size_t c = 0; c < a; ++c) G[a * m + c] = G[c * m + a];
      tr += G[a * m + a];
    }
    const double lambda = c_.infer_ridge * tr / static_cast<double>(m) + 1e-12;
    for (size_t a = 0; a < m; ++a) G[a * m + a] += lambda;
    // Cholesky G = L L^T, then G W = B column by column.
    for (size_t j = 0; j < m; ++j) {
      double s = G[j * m + j];
      for (size_t k = 0; k < j; ++k) s -= G[j * m + k] * G[j * m + k];
      if (!(s > 0)) Fail(EK_ERR_INTERNAL, "doc2vec: linear inference map is singular");
      const double ljj = std::sqrt(s);
      G[j * m + j] = ljj;
      for (size_t i = j + 1; i < m; ++i) {
        double t = G[i * m + j];
        for (size_t k = 0; k < j; ++k) t -= G[i * m + k] * G[j * m + k];
        G[i * m + j] = t / ljj;
      }
    }
    lin_.assign(m * d_, 0.0f);
    std::vector<double> y(m);
    for (size_t c = 0; c < d_; ++c) {
      for (size_t i = 0; i < m; ++i) {
        double t = B[i * d_ + c];
        for (size_t k = 0; k < i; ++k) t -= G[i * m + k] * y[k];
        y[i] = t / G[i * m + i];
      }
      for (size_t i = m; i-- > 0;) {
        double t = y[i];
        for (size_t k = i + 1; k < m; ++k) t -= G[k * m + i] * y[k];
        y[i] = t / G[i * m + i];
      }
      for (size_t i = 0; i < m; ++i) lin_[i * d_ + c] = static_cast<float>(y[i]);
    }
  }

  // gensim's infer_vector: a fresh vector trained against frozen weights.
  void Infer(const std::vector<uint32_t>& ids, uint64_t doc_hash, float* out) {
    Rng philox(env_.host, c_.seed ^ doc_hash, uint64_t{5} << 32);
    FastRng rng(philox);
    for (size_t j = 0; j < d_; ++j) out[j] = (rng.Uniform() - 0.5f) / static_cast<float>(d_);
    if (ids.empty()) {
      std::fill(out, out + d_, 0.0f);  // nothing known: the zero vector (label -1)
      return;
    }
    const size_t epochs = c_.infer_epochs ? c_.infer_epochs : c_.epochs;
    std::vector<float> neu1e(d_);
    std::vector<uint32_t> sent;
    for (size_t epoch = 0; epoch < epochs; ++epoch) {
      const float alpha = static_cast<float>(c_.alpha - (c_.alpha - c_.min_alpha) * static_cast<double>(epoch) / static_cast<double>(epochs));
      sent.clear();
      for (uint32_t w : ids) {
        if (keep_[w] == 0xFFFFFFFFu || rng.Next() < keep_[w]) sent.push_back(w);
      }
      for (uint32_t w : sent) {
        std::fill(neu1e.begin(), neu1e.end(), 0.0f);
        Pair(out, w, alpha, rng, neu1e.data(), false);
        env_.k->axpy(1.0f, neu1e.data(), out, d_);
      }
    }
  }

  size_t d_;
  Vocab vocab_;
  std::vector<float> syn0_, syn1_;
  std::vector<float> lin_;  // "infer": "linear": 2d x d map
  std::vector<uint32_t> keep_;
  Alias alias_;
  uint64_t trained_words_ = 0;
};

}  // namespace

std::unique_ptr<Embedder> MakeDoc2Vec(const Env& env, const Config& c) { return std::make_unique<Doc2Vec>(env, c); }

}  // namespace tc
