// hashing embedder: word, word-bigram and character n-gram features (fastText style,
// n-grams of "<word>"), hashed into 2^hash_bits buckets, weighted by sublinear TF
// times the buckets' IDF from the fitted corpus, and projected to hash_dim dense
// dimensions by a sparse sign projection (two +-1/sqrt(2) entries per bucket).
// No external data.
#include <algorithm>
#include <cmath>
#include <mutex>

#include "tc.h"

namespace tc {
namespace {

class Hashing final : public Embedder {
 public:
  Hashing(const Env& env, const Config& c) : Embedder(env, c), d_(c.hash_dim), buckets_(size_t{1} << c.hash_bits) {}
  size_t dim() const override { return d_; }

  void Fit(const ek_string_view* docs, size_t n, std::vector<float>* fitted) override {
    std::vector<uint32_t> df(buckets_, 0);
    std::mutex mu;
    ParallelFor(env_, n, 64, [&](size_t b, size_t e) {
      std::vector<uint32_t> feats, all;
      for (size_t i = b; i < e; ++i) {
        Features(View(docs[i]), &feats);
        std::sort(feats.begin(), feats.end());
        feats.erase(std::unique(feats.begin(), feats.end()), feats.end());
        all.insert(all.end(), feats.begin(), feats.end());
      }
      std::lock_guard<std::mutex> lock(mu);
      for (uint32_t f : all) ++df[f];
    });
    idf_.resize(buckets_);
    for (size_t f = 0; f < buckets_; ++f) {
      idf_[f] = static_cast<float>(std::log((1.0 + static_cast<double>(n)) / (1.0 + df[f])) + 1.0);
    }
    seen_.assign(buckets_ / 32 + 1, 0);
    for (size_t f = 0; f < buckets_; ++f) {
      if (df[f]) seen_[f / 32] |= 1u << (f % 32);
    }
    fitted->assign(n * d_, 0.0f);
    Embed(docs, n, fitted->data());
  }

  void Embed(const ek_string_view* docs, size_t n, float* out) override {
    if (idf_.empty()) Fail(EK_ERR_UNSUPPORTED, "hashing: not fitted");
    ParallelFor(env_, n, 64, [&](size_t b, size_t e) {
      std::vector<uint32_t> feats;
      for (size_t i = b; i < e; ++i) {
        Features(View(docs[i]), &feats);
        Project(&feats, out + i * d_);
      }
    });
  }

  void Seed(const std::vector<std::string>& keywords, float* out, uint32_t* known) override {
    std::vector<std::vector<float>> kv;
    uint32_t k = 0;
    std::vector<uint32_t> feats;
    for (const auto& kw : keywords) {
      // Known: at least one of the keyword's words occurred in the fitted corpus.
      bool any = false;
      for (const auto& t : Tokens(env_, kw)) {
        const uint32_t f = WordFeature(t);
        any = any || (seen_[f / 32] >> (f % 32) & 1u);
      }
      if (!any) continue;
      ++k;
      Features(kw, &feats);
      std::vector<float> v(d_);
      Project(&feats, v.data());
      kv.push_back(std::move(v));
    }
    *known = k;
    std::vector<const float*> ptrs;
    for (auto& v : kv) ptrs.push_back(v.data());
    MeanOfUnit(env_, ptrs, d_, out);
  }

  void Save(ModelIO& io, std::string* meta) override {
    const size_t rows = buckets_ / 1024;
    io.WriteMatrix("idf", idf_.data(), rows, 1024);
    std::vector<float> seen(buckets_);
    for (size_t f = 0; f < buckets_; ++f) seen[f] = static_cast<float>(seen_[f / 32] >> (f % 32) & 1u);
    io.WriteMatrix("seen", seen.data(), rows, 1024);
    *meta += ",\"buckets\":" + std::to_string(buckets_);
  }

  void Load(ModelIO& io, const JsonFields& meta) override {
    if (static_cast<size_t>(meta.Number("buckets")) != buckets_) Fail(EK_ERR_CORRUPT, "hashing: bucket count mismatch");
    const size_t rows = buckets_ / 1024;
    idf_.resize(buckets_);
    io.ReadMatrix("idf", idf_.data(), rows, 1024);
    std::vector<float> seen(buckets_);
    io.ReadMatrix("seen", seen.data(), rows, 1024);
    seen_.assign(buckets_ / 32 + 1, 0);
    for (size_t f = 0; f < buckets_; ++f) {
      if (seen[f] != 0.0f) seen_[f / 32] |= 1u << (f % 32);
    }
  }

  std::string Stats() const override {
    size_t used = 0;
    for (uint32_t w : seen_) used += static_cast<size_t>(__builtin_popcount(w));
    return "{\"buckets\":" + std::to_string(buckets_) + ",\"buckets_seen\":" + std::to_string(used) + "}";
  }

 private:
  static std::string_view View(const ek_string_view& s) { return std::string_view(s.data ? s.data : "", s.length); }
  uint32_t Bucket(uint64_t h) const { return static_cast<uint32_t>(h & (buckets_ - 1)); }
  uint32_t WordFeature(std::string_view t) const { return Bucket(Hash64(t.data(), t.size(), c_.seed * 4 + 1)); }

  void Features(std::string_view text, std::vector<uint32_t>* feats) const {
    feats->clear();
    std::string prev, padded;
    ForEachToken(env_, text, [&](std::string_view t) {
      feats->push_back(WordFeature(t));
      if (c_.word_bigrams && !prev.empty()) {
        std::string bi = prev + ' ' + std::string(t);
        feats->push_back(Bucket(Hash64(bi.data(), bi.size(), c_.seed * 4 + 2)));
      }
      prev.assign(t);
      if (c_.char_ngram_min == 0) return;
      padded.assign("<").append(t).append(">");
      for (size_t nlen = c_.char_ngram_min; nlen <= c_.char_ngram_max; ++nlen) {
        if (padded.size() < nlen) break;
        for (size_t p = 0; p + nlen <= padded.size(); ++p) {
          if (nlen == padded.size()) continue;  // the whole "<word>" is the word feature
          feats->push_back(Bucket(Hash64(padded.data() + p, nlen, c_.seed * 4 + 3)));
        }
      }
    });
  }

  // Sublinear TF x IDF per bucket, signed sparse projection, unit norm.
  void Project(std::vector<uint32_t>* feats, float* out) const {
    std::fill(out, out + d_, 0.0f);
    std::sort(feats->begin(), feats->end());
    const float r = 0.70710678f;
    for (size_t i = 0; i < feats->size();) {
      size_t j = i;
      while (j < feats->size() && (*feats)[j] == (*feats)[i]) ++j;
      const uint32_t f = (*feats)[i];
      const float w = (1.0f + std::log(static_cast<float>(j - i))) * idf_[f] * r;
      const uint64_t h = Hash64(&f, sizeof f, c_.seed * 4 + 5);
      out[(h >> 1) % d_] += (h & 1) ? w : -w;
      out[(h >> 33) % d_] += (h >> 32 & 1) ? w : -w;
      i = j;
    }
    env_.k->normalize(out, d_);
  }

  size_t d_, buckets_;
  std::vector<float> idf_;
  std::vector<uint32_t> seen_;
};

class HostEmbedder final : public Embedder {
 public:
  HostEmbedder(const Env& env, const Config& c, const HostCallback* cb) : Embedder(env, c), cb_(cb) {}
  size_t dim() const override { return cb_->dim; }

  void Fit(const ek_string_view* docs, size_t n, std::vector<float>* fitted) override {
    fitted->assign(n * dim(), 0.0f);
    Embed(docs, n, fitted->data());
  }

  void Embed(const ek_string_view* docs, size_t n, float* out) override {
    Require();
    for (size_t at = 0; at < n; at += c_.host_batch) {
      const size_t m = std::min(c_.host_batch, n - at);
      const ek_status s = cb_->fn(cb_->user_data, docs + at, m, cb_->dim, out + at * dim());
      if (s != EK_OK) Fail(EK_ERR_PLUGIN, "host embedder callback returned status " + std::to_string(s) + " for texts " + std::to_string(at) + ".." + std::to_string(at + m - 1));
      for (size_t i = 0; i < m * dim(); ++i) {
        if (!std::isfinite(out[at * dim() + i])) Fail(EK_ERR_PLUGIN, "host embedder callback wrote a non-finite value for text " + std::to_string(at + i / dim()));
      }
      Progress(env_, "host embed", at + m, n);
    }
  }

  void Seed(const std::vector<std::string>& keywords, float* out, uint32_t* known) override {
    std::vector<ek_string_view> views;
    for (const auto& k : keywords) views.push_back(ek_string_view{k.data(), k.size()});
    std::vector<float> kv(views.size() * dim());
    Embed(views.data(), views.size(), kv.data());
    std::vector<const float*> ptrs;
    for (size_t i = 0; i < views.size(); ++i) ptrs.push_back(kv.data() + i * dim());
    *known = static_cast<uint32_t>(keywords.size());
    MeanOfUnit(env_, ptrs, dim(), out);
  }

  void Save(ModelIO&, std::string* meta) override { *meta += ",\"host_dim\":" + std::to_string(dim()); }
  void Load(ModelIO&, const JsonFields& meta) override {
    Require();
    if (static_cast<uint32_t>(meta.Number("host_dim")) != cb_->dim) {
      Fail(EK_ERR_DIMENSION_MISMATCH, "host embedder: the model was fitted with dim " + std::to_string(static_cast<uint32_t>(meta.Number("host_dim"))) +
                                          ", the callback gives " + std::to_string(cb_->dim));
    }
  }

 private:
  void Require() const {
    if (!cb_->fn || cb_->dim == 0) Fail(EK_ERR_INVALID_ARGUMENT, "embedder \"host\": call set_embedder first");
  }
  const HostCallback* cb_;
};

}  // namespace

std::unique_ptr<Embedder> MakeHashing(const Env& env, const Config& c) { return std::make_unique<Hashing>(env, c); }
std::unique_ptr<Embedder> MakeHostEmbedder(const Env& env, const Config& c, const HostCallback* cb) {
  return std::make_unique<HostEmbedder>(env, c, cb);
}

}  // namespace tc
