// doc2vec+glove: both embedders' vectors, each unit-normalised, concatenated with
// weights sqrt(w) and sqrt(1 - w), so the cosine of two documents is
// w·cos_doc2vec + (1 - w)·cos_glove (w = "combine_weight"). The default embedder picks
// it for corpora that are neither very short texts nor without a GloVe table
// (auto_embedder.h). Both parts save into the same model: their collections
// (vocab/words/out, counts/pc) and meta fields do not overlap.
#include <cmath>

#include "tc.h"

namespace tc {
namespace {

class Combined final : public Embedder {
 public:
  Combined(const Env& env, const Config& c)
      : Embedder(env, c), a_(MakeDoc2Vec(env, c)), b_(MakeGlove(env, c)),
        wa_(static_cast<float>(std::sqrt(c.combine_weight))), wb_(static_cast<float>(std::sqrt(1.0 - c.combine_weight))) {}
  size_t dim() const override { return a_->dim() + b_->dim(); }

  void Fit(const ek_string_view* docs, size_t n, std::vector<float>* fitted) override {
    std::vector<float> va, vb;
    a_->Fit(docs, n, &va);
    b_->Fit(docs, n, &vb);
    fitted->assign(n * dim(), 0.0f);
    Join(va.data(), vb.data(), n, fitted->data());
  }

  void Embed(const ek_string_view* docs, size_t n, float* out) override {
    std::vector<float> va(n * a_->dim()), vb(n * b_->dim());
    a_->Embed(docs, n, va.data());
    b_->Embed(docs, n, vb.data());
    Join(va.data(), vb.data(), n, out);
  }

  // A keyword counts as known when either part knows it; a part that knows none
  // contributes a zero block, and the joined seed is renormalised.
  void Seed(const std::vector<std::string>& keywords, float* out, uint32_t* known) override {
    std::vector<float> sa(a_->dim()), sb(b_->dim());
    uint32_t ka = 0, kb = 0;
    a_->Seed(keywords, sa.data(), &ka);
    b_->Seed(keywords, sb.data(), &kb);
    *known = std::max(ka, kb);
    Join(sa.data(), sb.data(), 1, out);
    env_.k->normalize(out, dim());
  }

  void Save(ModelIO& io, std::string* meta) override {
    a_->Save(io, meta);
    b_->Save(io, meta);
  }
  void Load(ModelIO& io, const JsonFields& meta) override {
    a_->Load(io, meta);
    b_->Load(io, meta);
  }
  std::string Stats() const override {
    return "{\"doc2vec\":" + a_->Stats() + ",\"glove\":" + b_->Stats() + ",\"combine_weight\":" +
           std::to_string(c_.combine_weight) + "}";
  }

 private:
  // Row i of out = [unit(a_i)·sqrt(w), unit(b_i)·sqrt(1-w)]; a zero part stays zero.
  void Join(const float* va, const float* vb, size_t n, float* out) const {
    const size_t da = a_->dim(), db = b_->dim(), d = da + db;
    for (size_t i = 0; i < n; ++i) {
      float* o = out + i * d;
      std::copy(va + i * da, va + (i + 1) * da, o);
      std::copy(vb + i * db, vb + (i + 1) * db, o + da);
      const float na = env_.k->normalize(o, da), nb = env_.k->normalize(o + da, db);
      for (size_t j = 0; j < da; ++j) o[j] = na > 0 ? o[j] * wa_ : 0.0f;
      for (size_t j = 0; j < db; ++j) o[da + j] = nb > 0 ? o[da + j] * wb_ : 0.0f;
    }
  }

  std::unique_ptr<Embedder> a_, b_;
  float wa_, wb_;
};

}  // namespace

std::unique_ptr<Embedder> MakeCombined(const Env& env, const Config& c) { return std::make_unique<Combined>(env, c); }

}  // namespace tc
