// glove embedder: pretrained GloVe 6B 100-d vectors (memory-mapped .ekwv table through
// host->text) averaged with SIF weights a / (a + p(w)) (Arora et al. 2017, p from the
// fitted corpus) or TF-IDF weights, then the first principal component of the fitted
// documents removed (SIF's common-component removal; "remove_pc").
#include "json_quote.h"
#include "data_path.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "tc.h"

namespace tc {
namespace {

class Glove final : public Embedder {
 public:
  Glove(const Env& env, const Config& c) : Embedder(env, c) { Open(); }
  ~Glove() override {
    if (table_) env_.text->wordvec_close(table_);
  }
  size_t dim() const override { return d_; }

  void Fit(const ek_string_view* docs, size_t n, std::vector<float>* fitted) override {
    const size_t V = static_cast<size_t>(env_.text->wordvec_count(table_));
    count_.assign(V, 0);
    df_.assign(V, 0);
    std::mutex mu;
    uint64_t tokens = 0;
    ParallelFor(env_, n, 64, [&](size_t b, size_t e) {
      std::vector<uint32_t> seen, counts, dfs;
      uint64_t local_tokens = 0;
      for (size_t i = b; i < e; ++i) {
        seen.clear();
        ForEachToken(env_, View(docs[i]), [&](std::string_view t) {
          const int64_t w = env_.text->wordvec_find(table_, t.data(), t.size());
          ++local_tokens;
          if (w >= 0) seen.push_back(static_cast<uint32_t>(w));
        });
        counts.insert(counts.end(), seen.begin(), seen.end());
        std::sort(seen.begin(), seen.end());
        seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
        dfs.insert(dfs.end(), seen.begin(), seen.end());
      }
      std::lock_guard<std::mutex> lock(mu);
      tokens += local_tokens;
      for (uint32_t w : counts) ++count_[w];
      for (uint32_t w : dfs) ++df_[w];
    });
    total_ = std::max<uint64_t>(tokens, 1);
    docs_ = n;
    pc_.assign(d_, 0.0f);
    fitted->assign(n * d_, 0.0f);
    Raw(docs, n, fitted->data());
    if (c_.remove_pc) {
      ComputePc(fitted->data(), n);
      for (size_t i = 0; i < n; ++i) RemovePc(fitted->data() + i * d_);
    }
  }

  void Embed(const ek_string_view* docs, size_t n, float* out) override {
    Raw(docs, n, out);
    if (c_.remove_pc) {
      for (size_t i = 0; i < n; ++i) RemovePc(out + i * d_);
    }
  }

  void Seed(const std::vector<std::string>& keywords, float* out, uint32_t* known) override {
    std::vector<std::vector<float>> kv;
    uint32_t k = 0;
    for (const auto& kw : keywords) {
      std::vector<float> v(d_, 0.0f);
      bool any = false;
      for (const auto& t : Tokens(env_, kw)) {
        const int64_t w = env_.text->wordvec_find(table_, t.data(), t.size());
        if (w < 0) continue;
        const float* x = env_.text->wordvec_vector(table_, static_cast<uint64_t>(w));
        for (size_t j = 0; j < d_; ++j) v[j] += x[j];
        any = true;
      }
      if (any) {
        ++k;
        kv.push_back(std::move(v));
      }
    }
    *known = k;
    std::vector<const float*> ptrs;
    for (auto& v : kv) ptrs.push_back(v.data());
    MeanOfUnit(env_, ptrs, d_, out);
    if (c_.remove_pc && !kv.empty()) {
      RemovePc(out);
      env_.k->normalize(out, d_);
    }
  }

  void Save(ModelIO& io, std::string* meta) override {
    std::string s;
    size_t rows = 0;
    for (size_t w = 0; w < count_.size(); ++w) {
      if (!count_[w]) continue;
      s += std::to_string(w) + '\t' + std::to_string(count_[w]) + '\t' + std::to_string(df_[w]) + '\n';
      ++rows;
    }
    io.WriteBlob("counts", s);
    io.WriteMatrix("pc", pc_.data(), 1, d_);
    *meta += ",\"corpus_tokens\":" + std::to_string(total_) + ",\"corpus_docs\":" + std::to_string(docs_) +
             ",\"glove_words\":" + std::to_string(count_.size()) + ",\"counted_words\":" + std::to_string(rows);
  }

  void Load(ModelIO& io, const JsonFields& meta) override {
    const size_t V = static_cast<size_t>(env_.text->wordvec_count(table_));
    if (static_cast<size_t>(meta.Number("glove_words")) != V) {
      Fail(EK_ERR_CORRUPT, "glove: the model was fitted with a table of " + std::to_string(static_cast<size_t>(meta.Number("glove_words"))) +
                               " words, '" + path_ + "' has " + std::to_string(V));
    }
    total_ = static_cast<uint64_t>(meta.Number("corpus_tokens"));
    docs_ = static_cast<size_t>(meta.Number("corpus_docs"));
    count_.assign(V, 0);
    df_.assign(V, 0);
    const std::string s = io.ReadBlob("counts");
    size_t pos = 0;
    while (pos < s.size()) {
      size_t nl = s.find('\n', pos);
      if (nl == std::string::npos) nl = s.size();
      const std::string line = s.substr(pos, nl - pos);
      char* end = nullptr;
      const unsigned long long w = std::strtoull(line.c_str(), &end, 10);
      const unsigned long long c = std::strtoull(end, &end, 10);
      const unsigned long long f = std::strtoull(end, &end, 10);
      if (w >= V) Fail(EK_ERR_CORRUPT, "glove: word index out of range in the stored counts");
      count_[w] = c;
      df_[w] = static_cast<uint32_t>(f);
      pos = nl + 1;
    }
    pc_.resize(d_);
    io.ReadMatrix("pc", pc_.data(), 1, d_);
  }

  std::string Stats() const override {
    return "{\"table\":" + ek_plugin::JsonQuote(path_) + ",\"table_words\":" + std::to_string(count_.size()) +
           ",\"corpus_tokens\":" + std::to_string(total_) + "}";
  }

 private:
  static std::string_view View(const ek_string_view& s) { return std::string_view(s.data ? s.data : "", s.length); }

  void Open() {
    path_ = GlovePath(c_);
    if (path_.empty()) {
      Fail(EK_ERR_INVALID_ARGUMENT, "glove: " + NoGloveMessage());
    }
    char err[512];
    const ek_status s = env_.text->wordvec_open(path_.c_str(), &table_, err, sizeof err);
    if (s != EK_OK) Fail(s, std::string("glove: ") + err);
    d_ = env_.text->wordvec_dim(table_);
  }

  float Weight(uint32_t w) const {
    switch (c_.weighting) {
      case Weighting::kSif: {
        const double p = static_cast<double>(w < count_.size() ? count_[w] : 0) / static_cast<double>(total_ ? total_ : 1);
        return static_cast<float>(c_.sif_a / (c_.sif_a + p));
      }
      case Weighting::kTfidf: {
        const double df = w < df_.size() ? df_[w] : 0;
        return static_cast<float>(std::log((1.0 + static_cast<double>(docs_)) / (1.0 + df)) + 1.0);
      }
      case Weighting::kMean: return 1.0f;
    }
    return 1.0f;
  }

  void Raw(const ek_string_view* docs, size_t n, float* out) {
    ParallelFor(env_, n, 64, [&](size_t b, size_t e) {
      std::vector<double> acc(d_);
      for (size_t i = b; i < e; ++i) {
        std::fill(acc.begin(), acc.end(), 0.0);
        size_t used = 0;
        ForEachToken(env_, View(docs[i]), [&](std::string_view t) {
          const int64_t w = env_.text->wordvec_find(table_, t.data(), t.size());
          if (w < 0) return;
          const float* x = env_.text->wordvec_vector(table_, static_cast<uint64_t>(w));
          const float wt = Weight(static_cast<uint32_t>(w));
          for (size_t j = 0; j < d_; ++j) acc[j] += wt * x[j];
          ++used;
        });
        float* o = out + i * d_;
        for (size_t j = 0; j < d_; ++j) o[j] = used ? static_cast<float>(acc[j] / static_cast<double>(used)) : 0.0f;
      }
    });
  }

  // First right singular vector of X (uncentred, as SIF) by power iteration on X^T X.
  void ComputePc(const float* X, size_t n) {
    std::vector<double> C(d_ * d_, 0.0);
    for (size_t i = 0; i < n; ++i) {
      const float* x = X + i * d_;
      for (size_t a = 0; a < d_; ++a) {
        const double xa = x[a];
        if (xa == 0) continue;
        for (size_t b = 0; b < d_; ++b) C[a * d_ + b] += xa * x[b];
      }
    }
    std::vector<double> v(d_, 1.0 / std::sqrt(static_cast<double>(d_))), w(d_);
    for (int it = 0; it < 200; ++it) {
      double norm = 0;
      for (size_t a = 0; a < d_; ++a) {
        double s = 0;
        for (size_t b = 0; b < d_; ++b) s += C[a * d_ + b] * v[b];
        w[a] = s;
        norm += s * s;
      }
      norm = std::sqrt(norm);
      if (norm == 0) break;
      for (size_t a = 0; a < d_; ++a) v[a] = w[a] / norm;
    }
    for (size_t a = 0; a < d_; ++a) pc_[a] = static_cast<float>(v[a]);
  }

  void RemovePc(float* x) const {
    double dot = 0;
    for (size_t j = 0; j < d_; ++j) dot += static_cast<double>(pc_[j]) * x[j];
    for (size_t j = 0; j < d_; ++j) x[j] -= static_cast<float>(dot * pc_[j]);
  }

  std::string path_;
  ek_wordvec* table_ = nullptr;
  size_t d_ = 0;
  std::vector<uint64_t> count_;
  std::vector<uint32_t> df_;
  uint64_t total_ = 1;
  size_t docs_ = 0;
  std::vector<float> pc_;
};

}  // namespace

std::string GlovePath(const Config& c) {
  if (!c.glove_path.empty()) return c.glove_path;
  if (const char* envp = std::getenv("EMBEDKIT_GLOVE"); envp && *envp) return envp;
  return ek_plugin::FindDataFile(reinterpret_cast<const void*>(&GlovePath), ek_plugin::kGloveDataFile);
}

std::string NoGloveMessage() {
  std::string looked;
  ek_plugin::FindDataFile(reinterpret_cast<const void*>(&GlovePath), ek_plugin::kGloveDataFile, &looked);
  return "no GloVe table: neither \"glove_path\" nor EMBEDKIT_GLOVE is set, and no data folder holds " +
         std::string(ek_plugin::kGloveDataFile) + " (scripts/setup.sh writes it into .deps; set EMBEDKIT_DATA_PATH "
         "to that folder; looked in: " + (looked.empty() ? "nowhere" : looked) + ")";
}

std::unique_ptr<Embedder> MakeGlove(const Env& env, const Config& c) { return std::make_unique<Glove>(env, c); }

}  // namespace tc
