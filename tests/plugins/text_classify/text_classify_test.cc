// embedkit.text_classify through the public API and the "ek.classifier/1" table:
// every embedder against expectations on a synthetic topical corpus, the Lbl2Vec
// procedure against a scalar reference, determinism, persistence through the store,
// cancellation, bad input, and a 20 Newsgroups subset.
#include <embedkit/embedkit.h>
#include <embedkit/ext/classifier.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "auto_embedder.h"  // the default embedder's rule (header-only, plugin-internal)

namespace {

constexpr const char* kPlugin = "embedkit.text_classify";

// ---- Synthetic corpus: four topics of real English words (so GloVe knows them) ------------
const std::vector<std::vector<std::string>> kTopics = {
    {"hockey", "goal", "team", "player", "season", "coach", "league", "score", "match", "stadium", "fans", "referee",
     "puck", "skate", "playoff", "tournament"},
    {"nasa", "orbit", "launch", "moon", "rocket", "satellite", "astronaut", "shuttle", "mars", "telescope", "planet",
     "spacecraft", "mission", "galaxy", "solar", "gravity"},
    {"recipe", "oven", "flour", "sugar", "bake", "butter", "kitchen", "dough", "chocolate", "salt", "pepper", "onion",
     "garlic", "soup", "dinner", "cook"},
    {"software", "windows", "disk", "memory", "cpu", "keyboard", "printer", "monitor", "linux", "driver", "file",
     "computer", "server", "network", "program", "install"},
};
const std::vector<std::string> kNames = {"sports", "space", "cooking", "computers"};
const std::vector<std::vector<std::string>> kKeywords = {
    {"hockey", "team", "league"}, {"nasa", "orbit", "rocket"}, {"recipe", "oven", "bake"}, {"software", "computer", "disk"}};
const std::vector<std::string> kCommon = {"the", "a", "of", "and", "to", "in", "is", "it", "that", "was", "for", "on",
                                          "with", "as", "this", "but", "they", "have", "from", "people", "time", "good",
                                          "new", "very", "some", "think", "know", "like", "year", "would"};

struct Corpus {
  std::vector<std::string> text;
  std::vector<int> label;
  std::vector<ek_string_view> views() const {
    std::vector<ek_string_view> v;
    for (const auto& t : text) v.push_back(ek_string_view{t.data(), t.size()});
    return v;
  }
};

Corpus MakeCorpus(size_t per_topic, uint64_t seed, size_t words = 60, double topical = 0.45) {
  Corpus c;
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  auto next = [&]() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 33);
  };
  for (size_t i = 0; i < per_topic; ++i) {
    for (size_t t = 0; t < kTopics.size(); ++t) {
      std::string doc;
      for (size_t w = 0; w < words; ++w) {
        const bool topical_word = (next() % 1000) < topical * 1000;
        const std::string& word = topical_word ? kTopics[t][next() % kTopics[t].size()] : kCommon[next() % kCommon.size()];
        doc += (w ? (w % 11 == 0 ? ". " : " ") : "") + word;
      }
      c.text.push_back(doc);
      c.label.push_back(static_cast<int>(t));
    }
  }
  return c;
}

std::string LabelsJson() {
  std::string s = "{\"labels\":{";
  for (size_t i = 0; i < kNames.size(); ++i) {
    s += (i ? "," : "") + std::string("\"") + kNames[i] + "\":[";
    for (size_t k = 0; k < kKeywords[i].size(); ++k) s += (k ? "," : "") + std::string("\"") + kKeywords[i][k] + "\"";
    s += "]";
  }
  return s + "}}";
}

// ---- Harness ------------------------------------------------------------------------------
struct Context {
  ek_context* ctx = nullptr;
  explicit Context(uint32_t threads = 0) {
    ek_context_options o;
    ek_context_options_init(&o);
    o.log_level = EK_LOG_ERROR;
    o.num_threads = threads;
    EXPECT_EQ(ek_context_create(&o, &ctx), EK_OK) << ek_last_error();
  }
  ~Context() { ek_context_free(ctx); }
};

ek_context* Shared() {
  static Context c;
  return c.ctx;
}

struct Inst {
  ek_instance* h = nullptr;
  const ek_classifier_ext* cls = nullptr;
  void* self = nullptr;
  ek_status created = EK_OK;
  explicit Inst(const std::string& config, ek_context* ctx = Shared()) {
    created = ek_instance_create(ctx, kPlugin, config.c_str(), &h);
    if (created != EK_OK) return;
    const void* table = nullptr;
    EXPECT_EQ(ek_instance_get_extension(h, EK_EXT_CLASSIFIER, &table), EK_OK) << ek_last_error();
    cls = static_cast<const ek_classifier_ext*>(table);
    self = ek_instance_plugin_data(h);
  }
  ~Inst() { ek_instance_free(h); }
  std::string err() const { return cls ? cls->last_error(self) : ek_last_error(); }
  size_t dim() const {
    size_t d = 0;
    EXPECT_EQ(cls->dim(self, &d), EK_OK) << err();
    return d;
  }
  ek_status Fit(const Corpus& c, const std::string& labels = LabelsJson()) {
    ek_status s = cls->set_labels_json(self, labels.data(), labels.size());
    if (s != EK_OK) return s;
    auto v = c.views();
    return cls->fit(self, v.data(), v.size());
  }
  double AccuracyFitted(const Corpus& c) {
    std::vector<int32_t> lab(c.text.size());
    EXPECT_EQ(cls->predict_fitted(self, 0, c.text.size(), lab.data(), nullptr, nullptr), EK_OK) << err();
    return Accuracy(lab, c.label);
  }
  double AccuracyNew(const Corpus& c, std::vector<int32_t>* out = nullptr) {
    std::vector<int32_t> lab(c.text.size());
    std::vector<float> conf(c.text.size());
    auto v = c.views();
    EXPECT_EQ(cls->predict(self, v.data(), v.size(), lab.data(), conf.data(), nullptr), EK_OK) << err();
    for (float f : conf) {
      EXPECT_GE(f, 0.0f);
      EXPECT_LE(f, 1.0f + 1e-6f);
    }
    if (out) *out = lab;
    return Accuracy(lab, c.label);
  }
  static double Accuracy(const std::vector<int32_t>& got, const std::vector<int>& want) {
    size_t ok = 0;
    for (size_t i = 0; i < got.size(); ++i) ok += got[i] == want[i];
    return static_cast<double>(ok) / static_cast<double>(got.size());
  }
};

bool HaveGlove() { return std::filesystem::exists(EK_GLOVE_FILE); }
std::string GloveConfig(const std::string& extra = "") {
  return std::string("{\"embedder\":\"glove\",\"glove_path\":\"") + EK_GLOVE_FILE + "\",\"min_num_docs\":20" + extra + "}";
}
const char* kDoc2VecSmall =
    "{\"embedder\":\"doc2vec\",\"vector_size\":48,\"window\":5,\"min_count\":2,\"epochs\":12,\"sample\":0,"
    "\"min_num_docs\":20";

// ---- Embedders ------------------------------------------------------------------------------
TEST(Embedders, Doc2VecLearnsTopicsAndInfersUnseenDocuments) {
  Inst m(std::string(kDoc2VecSmall) + "}");
  ASSERT_EQ(m.created, EK_OK) << ek_last_error();
  Corpus train = MakeCorpus(60, 1), test = MakeCorpus(25, 2);
  ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
  EXPECT_EQ(m.dim(), 48u);
  EXPECT_GE(m.AccuracyFitted(train), 0.9);
  EXPECT_GE(m.AccuracyNew(test), 0.85);
  // Every label kept min_num_docs documents, all keywords known.
  for (size_t l = 0; l < 4; ++l) {
    ek_classifier_label_info info{};
    info.struct_size = sizeof info;
    ASSERT_EQ(m.cls->label_info(m.self, l, &info), EK_OK);
    EXPECT_EQ(std::string(info.name), kNames[l]);
    EXPECT_EQ(info.known_keywords, 3u);
    EXPECT_EQ(info.documents, 20u);
    EXPECT_EQ(info.active, 1u);
  }
}

TEST(Embedders, Doc2VecIsDeterministicWithOneThread) {
  Context one(1);
  Corpus c = MakeCorpus(20, 3);
  std::vector<std::vector<float>> runs;
  for (const char* seed : {"1", "1", "2"}) {
    Inst m(std::string(kDoc2VecSmall) + ",\"seed\":" + seed + "}", one.ctx);
    ASSERT_EQ(m.Fit(c), EK_OK) << m.err();
    std::vector<float> v(c.text.size() * m.dim());
    ASSERT_EQ(m.cls->fitted_vectors(m.self, 0, c.text.size(), v.data()), EK_OK);
    runs.push_back(v);
  }
  EXPECT_EQ(runs[0], runs[1]) << "same seed, one thread: bit-identical";
  EXPECT_NE(runs[0], runs[2]) << "another seed gives another model";
}

// Regression: a small corpus trained Hogwild on several shards, so its model (and, on a
// 48-document corpus, a prediction in 17% of runs) depended on thread timing. Below
// about a second of work it now trains on one shard whatever the pool size.
TEST(Embedders, Doc2VecSmallCorpusIsReproducibleOnAnyPool) {
  Context one(1), four(4);
  Corpus c = MakeCorpus(20, 3);
  std::vector<std::vector<float>> runs;
  for (Context* ctx : {&one, &four, &four}) {
    Inst m(std::string(kDoc2VecSmall) + ",\"seed\":1}", ctx->ctx);
    ASSERT_EQ(m.Fit(c), EK_OK) << m.err();
    std::vector<float> v(c.text.size() * m.dim());
    ASSERT_EQ(m.cls->fitted_vectors(m.self, 0, c.text.size(), v.data()), EK_OK);
    runs.push_back(v);
  }
  EXPECT_EQ(runs[0], runs[1]) << "four threads give the one-thread model";
  EXPECT_EQ(runs[1], runs[2]) << "and the same model every time";
}

TEST(Embedders, PureDbowSeedsFromOutputVectorsAndLinearInference) {
  // dbow_words false: the word (input) vectors stay untrained, so "auto" seeds the
  // labels from the output vectors; "input" would seed them from random rows.
  const std::string base = std::string(kDoc2VecSmall) + ",\"dbow_words\":false,\"epochs\":40";
  Corpus train = MakeCorpus(60, 1), test = MakeCorpus(25, 2);
  for (const std::string& extra : {std::string(""), std::string(",\"keyword_vectors\":\"output\""),
                                   std::string(",\"infer\":\"linear\"")}) {
    Inst m(base + extra + "}");
    ASSERT_EQ(m.created, EK_OK) << ek_last_error();
    ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
    EXPECT_GE(m.AccuracyFitted(train), 0.9) << extra;
    EXPECT_GE(m.AccuracyNew(test), 0.85) << extra;
  }
  // Seeds: "auto" = "output" without word training; "input" differs.
  std::vector<std::vector<float>> seeds;
  Context one(1);
  for (const char* kv : {"auto", "output", "input"}) {
    Inst m(base + ",\"keyword_vectors\":\"" + kv + "\"}", one.ctx);
    ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
    std::vector<float> s(4 * m.dim());
    ASSERT_EQ(m.cls->label_vectors(m.self, nullptr, s.data()), EK_OK);
    seeds.push_back(s);
  }
  EXPECT_EQ(seeds[0], seeds[1]);
  EXPECT_NE(seeds[0], seeds[2]);
}

TEST(Embedders, LinearInferenceIsDeterministicAndCloseToFittedVectors) {
  // "infer": "linear" maps the words' vectors to a document vector by a ridge map
  // learnt on the fitted corpus: the same text gets the same vector, and fitted
  // documents embedded again as new text get the label of their fitted vector.
  Corpus train = MakeCorpus(60, 5);
  Inst m(std::string(kDoc2VecSmall) + ",\"infer\":\"linear\"}");
  ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
  const size_t n = train.text.size(), d = m.dim();
  auto v = train.views();
  std::vector<float> a(n * d), b(n * d);
  ASSERT_EQ(m.cls->embed(m.self, v.data(), n, a.data()), EK_OK) << m.err();
  ASSERT_EQ(m.cls->embed(m.self, v.data(), n, b.data()), EK_OK) << m.err();
  EXPECT_EQ(a, b);
  std::vector<int32_t> fitted(n), fresh(n);
  ASSERT_EQ(m.cls->predict_fitted(m.self, 0, n, fitted.data(), nullptr, nullptr), EK_OK);
  ASSERT_EQ(m.cls->predict(m.self, v.data(), n, fresh.data(), nullptr, nullptr), EK_OK);
  size_t same = 0;
  for (size_t i = 0; i < n; ++i) same += fitted[i] == fresh[i];
  EXPECT_GE(static_cast<double>(same) / static_cast<double>(n), 0.9);
}

TEST(Embedders, HashingIsUnitNormAndSeparatesTopics) {
  Inst m("{\"embedder\":\"hashing\",\"hash_dim\":256,\"min_num_docs\":20}");
  ASSERT_EQ(m.created, EK_OK) << ek_last_error();
  Corpus train = MakeCorpus(40, 4), test = MakeCorpus(20, 5);
  ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
  ASSERT_EQ(m.dim(), 256u);
  std::vector<float> v(2 * 256);
  auto views = test.views();
  ASSERT_EQ(m.cls->embed(m.self, views.data(), 2, v.data()), EK_OK);
  double norm = 0;
  for (size_t j = 0; j < 256; ++j) norm += v[j] * v[j];
  EXPECT_NEAR(norm, 1.0, 1e-5);
  // Same text, same vector; hashing needs no training beyond IDF.
  std::vector<float> again(256);
  ASSERT_EQ(m.cls->embed(m.self, views.data(), 1, again.data()), EK_OK);
  EXPECT_TRUE(std::equal(again.begin(), again.end(), v.begin()));
  EXPECT_GE(m.AccuracyFitted(train), 0.9);
  EXPECT_GE(m.AccuracyNew(test), 0.9);
}

TEST(Embedders, GloveUsesPretrainedVectors) {
  if (!HaveGlove()) GTEST_SKIP() << "no " << EK_GLOVE_FILE << " (scripts/setup.sh converts GloVe)";
  for (const char* w : {"sif", "tfidf", "mean"}) {
    Inst m(GloveConfig(std::string(",\"weighting\":\"") + w + "\""));
    ASSERT_EQ(m.created, EK_OK) << ek_last_error();
    Corpus train = MakeCorpus(30, 6), test = MakeCorpus(15, 7);
    ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
    EXPECT_EQ(m.dim(), 100u);
    EXPECT_GE(m.AccuracyFitted(train), 0.9) << w;
    EXPECT_GE(m.AccuracyNew(test), 0.9) << w;
  }
  // Zero-shot from the GloVe keyword seeds alone already works on this corpus.
  Inst z(GloveConfig(",\"mode\":\"zero_shot\""));
  Corpus test = MakeCorpus(15, 8);
  ASSERT_EQ(z.Fit(test), EK_OK) << z.err();
  EXPECT_GE(z.AccuracyFitted(test), 0.9);
  // A missing table is a clear error at fit.
  Inst bad("{\"embedder\":\"glove\",\"glove_path\":\"/nonexistent/g.ekwv\"}");
  EXPECT_EQ(bad.Fit(test), EK_ERR_IO);
  EXPECT_NE(bad.err().find("/nonexistent/g.ekwv"), std::string::npos) << bad.err();
}

// A deterministic "transformer": each word adds a fixed pseudo-random vector; texts
// are embedded in batches on the calling thread.
struct FakeModel {
  uint32_t dim = 32;
  size_t calls = 0, texts = 0;
  static ek_status Embed(void* user, const ek_string_view* texts, size_t count, uint32_t dim, float* out) {
    auto* self = static_cast<FakeModel*>(user);
    ++self->calls;
    self->texts += count;
    for (size_t i = 0; i < count; ++i) {
      float* v = out + i * dim;
      std::fill(v, v + dim, 0.0f);
      std::string t(texts[i].data, texts[i].length);
      size_t pos = 0;
      while (pos < t.size()) {
        size_t e = t.find_first_of(" .", pos);
        if (e == std::string::npos) e = t.size();
        if (e > pos) {
          // FNV-1a 64 (not std::hash: its width and values differ by platform, and
          // this fake model must give the same vectors natively and in WASM).
          uint64_t h = 1469598103934665603ull;
          for (size_t c = pos; c < e; ++c) h = (h ^ static_cast<unsigned char>(t[c])) * 1099511628211ull;
          h |= 1;
          for (uint32_t j = 0; j < dim; ++j) {
            h ^= h << 13, h ^= h >> 7, h ^= h << 17;
            v[j] += (h & 1) ? 1.0f : -1.0f;
          }
        }
        pos = e + 1;
      }
    }
    return EK_OK;
  }
  static ek_status Failing(void*, const ek_string_view*, size_t, uint32_t, float*) { return EK_ERR_IO; }
};

TEST(Embedders, HostCallbackEmbedsInBatches) {
  Inst m("{\"embedder\":\"host\",\"host_batch\":16,\"min_num_docs\":20}");
  Corpus train = MakeCorpus(20, 9), test = MakeCorpus(10, 10);
  EXPECT_EQ(m.Fit(train), EK_ERR_INVALID_ARGUMENT) << "no callback yet";
  EXPECT_NE(m.err().find("set_embedder"), std::string::npos) << m.err();
  FakeModel model;
  ASSERT_EQ(m.cls->set_embedder(m.self, FakeModel::Embed, &model, model.dim), EK_OK);
  ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
  EXPECT_EQ(m.dim(), 32u);
  // 80 documents in batches of 16, plus one call per label for its 3 keywords.
  EXPECT_EQ(model.calls, 5u + 4u);
  EXPECT_EQ(model.texts, 80u + 12u);
  EXPECT_GE(m.AccuracyFitted(train), 0.9);
  EXPECT_GE(m.AccuracyNew(test), 0.9);
  // A failing callback aborts with its status in the message.
  ASSERT_EQ(m.cls->set_embedder(m.self, FakeModel::Failing, nullptr, 32), EK_OK);
  auto v = test.views();
  std::vector<int32_t> lab(v.size());
  EXPECT_EQ(m.cls->predict(m.self, v.data(), v.size(), lab.data(), nullptr, nullptr), EK_ERR_PLUGIN);
  EXPECT_NE(m.err().find("status 6"), std::string::npos) << m.err();
  EXPECT_EQ(m.cls->set_embedder(m.self, FakeModel::Embed, &model, 0), EK_ERR_INVALID_ARGUMENT);
}

// ---- The Lbl2Vec procedure against a scalar reference -----------------------------------------
struct RefConfig {
  double threshold = NAN, offset = 0;
  size_t min_docs = 1, max_docs = 0;
  int rounds = 0;
  double scale = 20;
  int kmeans = 0;
};

double Cos(const float* a, const float* b, size_t d) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t j = 0; j < d; ++j) ab += double(a[j]) * b[j], aa += double(a[j]) * a[j], bb += double(b[j]) * b[j];
  return aa == 0 || bb == 0 ? 0 : ab / std::sqrt(aa * bb);
}

std::vector<float> ReferenceLabels(const std::vector<float>& X, size_t n, size_t d, const std::vector<float>& seeds,
                                   size_t L, const RefConfig& c, std::vector<size_t>* kept) {
  std::vector<float> out(L * d, 0.0f);
  kept->assign(L, 0);
  for (size_t l = 0; l < L; ++l) {
    std::vector<float> q(seeds.begin() + l * d, seeds.begin() + (l + 1) * d);
    for (int r = 0; r <= c.rounds; ++r) {
      std::vector<std::pair<double, size_t>> sims;
      for (size_t i = 0; i < n; ++i) sims.emplace_back(Cos(q.data(), &X[i * d], d), i);
      std::stable_sort(sims.begin(), sims.end(), [](auto& a, auto& b) { return a.first > b.first; });
      const double thr = std::isnan(c.threshold) ? sims[0].first - c.offset : c.threshold;
      size_t keep = 0;
      for (auto& s : sims) {
        if (std::isnan(c.threshold) ? s.first >= thr - 1e-6 : s.first > thr) ++keep;
      }
      keep = std::max(keep, std::min(c.min_docs, n));
      if (c.max_docs) keep = std::min(keep, c.max_docs);
      std::vector<double> acc(d, 0);
      for (size_t k = 0; k < keep; ++k) {
        for (size_t j = 0; j < d; ++j) acc[j] += X[sims[k].second * d + j];
      }
      for (size_t j = 0; j < d; ++j) q[j] = static_cast<float>(acc[j] / keep);
      (*kept)[l] = keep;
    }
    std::copy(q.begin(), q.end(), out.begin() + l * d);
  }
  // Spherical k-means rounds: assign by cosine argmax, mean of unit vectors.
  for (int r = 0; r < c.kmeans; ++r) {
    std::vector<double> acc(L * d, 0);
    std::vector<size_t> count(L, 0);
    for (size_t i = 0; i < n; ++i) {
      double nx = 0;
      for (size_t j = 0; j < d; ++j) nx += double(X[i * d + j]) * X[i * d + j];
      if (nx == 0) continue;
      size_t best = 0;
      double bs = -2;
      for (size_t l = 0; l < L; ++l) {
        const double cs = Cos(&X[i * d], &out[l * d], d);
        if (cs > bs) bs = cs, best = l;
      }
      ++count[best];
      for (size_t j = 0; j < d; ++j) acc[best * d + j] += X[i * d + j] / std::sqrt(nx);
    }
    for (size_t l = 0; l < L; ++l) {
      if (!count[l]) continue;
      for (size_t j = 0; j < d; ++j) out[l * d + j] = static_cast<float>(acc[l * d + j] / count[l]);
      (*kept)[l] = count[l];
    }
  }
  return out;
}

TEST(Lbl2Vec, LabelVectorsAndPredictionsMatchTheScalarReference) {
  const std::vector<std::pair<std::string, RefConfig>> cases = {
      {",\"min_num_docs\":7", {NAN, 0, 7, 0, 0, 20}},
      {",\"min_num_docs\":3,\"similarity_threshold\":0.35", {0.35, 0, 3, 0, 0, 20}},
      {",\"min_num_docs\":2,\"threshold_offset\":0.2,\"max_num_docs\":15", {NAN, 0.2, 2, 15, 0, 20}},
      {",\"min_num_docs\":5,\"refine_rounds\":2,\"scale\":7", {NAN, 0, 5, 0, 2, 7}},
      {",\"min_num_docs\":4,\"kmeans_rounds\":3", {NAN, 0, 4, 0, 0, 20, 3}},
  };
  Corpus c = MakeCorpus(12, 11, 20, 0.3);
  for (const auto& [extra, ref] : cases) {
    Inst m("{\"embedder\":\"hashing\",\"hash_dim\":64,\"hash_bits\":12" + extra + "}");
    ASSERT_EQ(m.created, EK_OK) << ek_last_error();
    ASSERT_EQ(m.Fit(c), EK_OK) << m.err();
    const size_t n = c.text.size(), d = m.dim(), L = 4;
    std::vector<float> X(n * d), labels(L * d), seeds(L * d);
    ASSERT_EQ(m.cls->fitted_vectors(m.self, 0, n, X.data()), EK_OK);
    ASSERT_EQ(m.cls->label_vectors(m.self, labels.data(), seeds.data()), EK_OK);
    std::vector<size_t> kept;
    std::vector<float> want = ReferenceLabels(X, n, d, seeds, L, ref, &kept);
    for (size_t i = 0; i < L * d; ++i) ASSERT_NEAR(labels[i], want[i], 1e-5) << extra << " at " << i;
    for (size_t l = 0; l < L; ++l) {
      ek_classifier_label_info info{};
      info.struct_size = sizeof info;
      ASSERT_EQ(m.cls->label_info(m.self, l, &info), EK_OK);
      EXPECT_EQ(info.documents, kept[l]) << extra;
    }
    // Predictions: cosine argmax, confidence = max softmax(cos * scale).
    std::vector<int32_t> lab(n);
    std::vector<float> conf(n), scores(n * L);
    ASSERT_EQ(m.cls->predict_fitted(m.self, 0, n, lab.data(), conf.data(), scores.data()), EK_OK);
    for (size_t i = 0; i < n; ++i) {
      std::vector<double> cs(L);
      for (size_t l = 0; l < L; ++l) cs[l] = Cos(&X[i * d], &want[l * d], d);
      const size_t best = static_cast<size_t>(std::max_element(cs.begin(), cs.end()) - cs.begin());
      double z = 0;
      for (double v : cs) z += std::exp(ref.scale * (v - cs[best]));
      ASSERT_EQ(lab[i], static_cast<int32_t>(best)) << extra << " doc " << i;
      ASSERT_NEAR(conf[i], 1.0 / z, 1e-4);
      for (size_t l = 0; l < L; ++l) ASSERT_NEAR(scores[i * L + l], cs[l], 1e-4);
    }
  }
}

TEST(Lbl2Vec, SeedIsNormalisedMeanOfNormalisedKeywordVectors) {
  FakeModel model;
  Inst m("{\"embedder\":\"host\",\"min_num_docs\":5}");
  ASSERT_EQ(m.cls->set_embedder(m.self, FakeModel::Embed, &model, model.dim), EK_OK);
  Corpus c = MakeCorpus(5, 12);
  ASSERT_EQ(m.Fit(c), EK_OK) << m.err();
  std::vector<float> seeds(4 * 32);
  ASSERT_EQ(m.cls->label_vectors(m.self, nullptr, seeds.data()), EK_OK);
  for (size_t l = 0; l < 4; ++l) {
    std::vector<double> q(32, 0);
    for (const auto& kw : kKeywords[l]) {
      ek_string_view v{kw.data(), kw.size()};
      std::vector<float> e(32);
      FakeModel::Embed(&model, &v, 1, 32, e.data());
      double n = 0;
      for (float x : e) n += double(x) * x;
      for (size_t j = 0; j < 32; ++j) q[j] += e[j] / std::sqrt(n);
    }
    double n = 0;
    for (double x : q) n += x * x;
    for (size_t j = 0; j < 32; ++j) EXPECT_NEAR(seeds[l * 32 + j], q[j] / std::sqrt(n), 1e-5);
  }
}

// ---- Persistence ------------------------------------------------------------------------------
std::string TempStore(const char* name) {
  auto p = std::filesystem::temp_directory_path() / (std::string(name) + "_" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(p);
  return p.string();
}

TEST(Persistence, ModelFittedOnceClassifiesAfterLoad) {
  const std::string path = TempStore("tc_model");
  Corpus train = MakeCorpus(40, 13), test = MakeCorpus(10, 14);
  for (const std::string& config : {std::string(kDoc2VecSmall) + "}", std::string(kDoc2VecSmall) + ",\"infer\":\"linear\"}",
                                    std::string("{\"embedder\":\"hashing\",\"min_num_docs\":20}")}) {
    std::vector<int32_t> before, after;
    std::vector<float> labels_before(4 * 1024), labels_after(4 * 1024);
    {
      Inst m(config);
      ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
      m.AccuracyNew(test, &before);
      ASSERT_EQ(m.cls->label_vectors(m.self, labels_before.data(), nullptr), EK_OK);
      ek_store* store = nullptr;
      ASSERT_EQ(ek_store_open(Shared(), path.c_str(), nullptr, &store), EK_OK) << ek_last_error();
      const std::string name = config.find("hashing") != std::string::npos ? "topics_hashing"
                               : config.find("linear") != std::string::npos ? "topics_linear" : "topics";
      ASSERT_EQ(m.cls->save(m.self, store, name.c_str()), EK_OK) << m.err();
      if (name == "topics_hashing") {
        // Saving over a model of another dim is refused with a clear message.
        EXPECT_EQ(m.cls->save(m.self, store, "topics"), EK_ERR_ALREADY_EXISTS);
        EXPECT_NE(m.err().find("another dim"), std::string::npos) << m.err();
      }
      ek_store_free(store);
    }
    Context other(2);
    Inst loaded("{\"embedder\":\"hashing\",\"hash_dim\":8}", other.ctx);  // the stored config wins
    ek_store* store = nullptr;
    ASSERT_EQ(ek_store_open(other.ctx, path.c_str(), nullptr, &store), EK_OK);
    EXPECT_EQ(loaded.cls->load(loaded.self, store, "absent"), EK_ERR_NOT_FOUND);
    EXPECT_NE(loaded.err().find("absent"), std::string::npos) << loaded.err();
    ASSERT_EQ(loaded.cls->load(loaded.self, store,
                               config.find("hashing") != std::string::npos  ? "topics_hashing"
                               : config.find("linear") != std::string::npos ? "topics_linear"
                                                                            : "topics"),
              EK_OK)
        << loaded.err();
    ek_store_free(store);
    const double acc = loaded.AccuracyNew(test, &after);
    EXPECT_EQ(before, after) << config;
    EXPECT_GE(acc, 0.85);
    ASSERT_EQ(loaded.cls->label_vectors(loaded.self, labels_after.data(), nullptr), EK_OK);
    EXPECT_EQ(labels_before, labels_after);
    size_t count = 0;
    ASSERT_EQ(loaded.cls->label_count(loaded.self, &count), EK_OK);
    EXPECT_EQ(count, 4u);
    std::vector<int32_t> lab(1);
    EXPECT_EQ(loaded.cls->predict_fitted(loaded.self, 0, 1, lab.data(), nullptr, nullptr), EK_ERR_UNSUPPORTED);
    char info[8192];
    size_t need = 0;
    ASSERT_EQ(loaded.cls->info_json(loaded.self, info, sizeof info, &need), EK_OK) << loaded.err();
    EXPECT_NE(std::string(info).find("\"loaded\":true"), std::string::npos) << info;
  }
  std::filesystem::remove(path);
}

// ---- Progress and cancellation ------------------------------------------------------------------
TEST(Progress, CancellingFitReturnsCancelled) {
  Context ctx(2);
  struct State {
    int calls = 0;
  } st;
  ASSERT_EQ(ek_context_set_progress(ctx.ctx,
                                    [](void* u, const char*, uint64_t, uint64_t) -> int32_t {
                                      return ++static_cast<State*>(u)->calls >= 1 ? 1 : 0;
                                    },
                                    &st),
            EK_OK);
  Inst m(std::string(kDoc2VecSmall) + ",\"epochs\":200}", ctx.ctx);
  Corpus c = MakeCorpus(100, 15);
  EXPECT_EQ(m.Fit(c), EK_ERR_CANCELLED) << m.err();
  EXPECT_GE(st.calls, 1);
  std::vector<int32_t> lab(1);
  EXPECT_EQ(m.cls->predict_fitted(m.self, 0, 1, lab.data(), nullptr, nullptr), EK_ERR_UNSUPPORTED);
}

// The default embedder counts the corpus before choosing (ResolveAuto): on a large corpus
// that pass takes about a second, so it reports progress and stops when cancelled, before
// the vocabulary pass starts.
TEST(Progress, DefaultEmbedderCountingPassReportsProgressAndStops) {
  Context ctx(2);
  struct State {
    std::vector<std::string> tasks;
  } st;
  ASSERT_EQ(ek_context_set_progress(ctx.ctx,
                                    [](void* u, const char* task, uint64_t, uint64_t) -> int32_t {
                                      static_cast<State*>(u)->tasks.push_back(task ? task : "");
                                      return 1;  // cancel at the first report
                                    },
                                    &st),
            EK_OK);
  Inst m("{}", ctx.ctx);           // embedder "auto", the default
  Corpus c = MakeCorpus(400, 21);  // 1,600 documents
  EXPECT_EQ(m.Fit(c), EK_ERR_CANCELLED) << m.err();
  ASSERT_FALSE(st.tasks.empty());
  EXPECT_EQ(st.tasks.front(), "text_classify corpus count");
  EXPECT_NE(m.err().find("text_classify corpus count"), std::string::npos) << m.err();
}

// ---- Bad input ------------------------------------------------------------------------------------
TEST(BadInput, LabelsAreChecked) {
  Inst m("{\"embedder\":\"hashing\"}");
  auto set = [&](const std::string& j) { return m.cls->set_labels_json(m.self, j.data(), j.size()); };
  EXPECT_EQ(set("{}"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(m.err().find("no labels"), std::string::npos) << m.err();
  EXPECT_EQ(set("{\"labels\":{}}"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(set("{\"a\":[]}"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(m.err().find("'a'"), std::string::npos) << m.err();
  EXPECT_EQ(set("{\"a\":[1,2]}"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(set("{\"a\":[\"x\"],"), EK_ERR_PARSE);
  EXPECT_EQ(set("[1]"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(set("{\"a\":{\"description\":\"the red planet\"}}"), EK_OK);
  EXPECT_EQ(m.cls->set_labels(m.self, nullptr, 0), EK_ERR_INVALID_ARGUMENT);
  const char* kws[] = {"x"};
  ek_classifier_label two[2] = {{sizeof(ek_classifier_label), "a", kws, 1, nullptr},
                                {sizeof(ek_classifier_label), "a", kws, 1, nullptr}};
  EXPECT_EQ(m.cls->set_labels(m.self, two, 2), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(m.err().find("twice"), std::string::npos) << m.err();
  two[1].name = "";
  EXPECT_EQ(m.cls->set_labels(m.self, two, 2), EK_ERR_INVALID_ARGUMENT);
  // fit without labels / without documents; predict before fit.
  Inst fresh("{\"embedder\":\"hashing\"}");
  Corpus c = MakeCorpus(5, 16);
  auto v = c.views();
  EXPECT_EQ(fresh.cls->fit(fresh.self, v.data(), v.size()), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(fresh.err().find("no labels"), std::string::npos) << fresh.err();
  std::string labels = LabelsJson();
  ASSERT_EQ(fresh.cls->set_labels_json(fresh.self, labels.data(), labels.size()), EK_OK);
  EXPECT_EQ(fresh.cls->fit(fresh.self, v.data(), 0), EK_ERR_INVALID_ARGUMENT);
  std::vector<int32_t> lab(v.size());
  EXPECT_EQ(fresh.cls->predict(fresh.self, v.data(), v.size(), lab.data(), nullptr, nullptr), EK_ERR_UNSUPPORTED);
  EXPECT_NE(fresh.err().find("not fitted"), std::string::npos) << fresh.err();
}

// A label name, keyword or description holding U+0000 would be cut short wherever it
// crosses the C API as a NUL-terminated string (label_info, the saved model): two labels
// "a\\u0000b" and "a\\u0000c" would both become "a". Refused, naming the label.
TEST(BadInput, LabelTextWithNulIsRefused) {
  Inst m("{\"embedder\":\"hashing\"}");
  auto set = [&](const std::string& j) { return m.cls->set_labels_json(m.self, j.data(), j.size()); };
  EXPECT_EQ(set(R"({"labels":{"sp\u0000am":["win"],"sp\u0000ort":["game"]}})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(m.err().find("NUL"), std::string::npos) << m.err();
  EXPECT_NE(m.err().find("sp\\u0000am"), std::string::npos) << m.err();  // shown escaped
  EXPECT_EQ(set(R"({"spam":["win\u0000ner"]})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(m.err().find("keyword"), std::string::npos) << m.err();
  EXPECT_EQ(set(R"({"spam":{"description":"free\u0000prize"}})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(m.err().find("description"), std::string::npos) << m.err();
  EXPECT_EQ(set(R"({"spam":["win"],"ham":["hello"]})"), EK_OK) << m.err();
}

TEST(BadInput, ConfigIsChecked) {
  for (const char* bad : {"{\"embedder\":\"bert\"}", "{\"vector_size\":0}", "{\"windw\":5}", "{\"scale\":\"x\"}",
                          "{\"min_num_docs\":10,\"max_num_docs\":5}", "{\"strip_headers\":1}",
                          "{\"keyword_vectors\":\"hidden\"}", "{\"infer\":\"fast\"}", "{\"infer_ridge\":-1}"}) {
    ek_instance* h = nullptr;
    EXPECT_EQ(ek_instance_create(Shared(), kPlugin, bad, &h), EK_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_NE(std::string(ek_last_error()).find("config"), std::string::npos) << ek_last_error();
    ek_instance_free(h);
  }
  ek_instance* h = nullptr;
  EXPECT_EQ(ek_instance_create(Shared(), kPlugin, "{\"embedder\":", &h), EK_ERR_PARSE);
}

TEST(BadInput, LabelWithNoKnownKeywordIsAnErrorOrSkipped) {
  Corpus c = MakeCorpus(20, 17);
  std::string labels = LabelsJson();
  labels.insert(labels.size() - 2, ",\"gardening\":[\"tulip\",\"compost\"]");
  Inst strict(std::string(kDoc2VecSmall) + "}");
  EXPECT_EQ(strict.Fit(c, labels), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(strict.err().find("'gardening'"), std::string::npos) << strict.err();
  EXPECT_NE(strict.err().find("tulip, compost"), std::string::npos) << strict.err();

  Inst skip(std::string(kDoc2VecSmall) + ",\"unknown_keywords\":\"skip\"}");
  ASSERT_EQ(skip.Fit(c, labels), EK_OK) << skip.err();
  ek_classifier_label_info info{};
  info.struct_size = sizeof info;
  ASSERT_EQ(skip.cls->label_info(skip.self, 4, &info), EK_OK);
  EXPECT_EQ(info.active, 0u);
  EXPECT_EQ(info.known_keywords, 0u);
  std::vector<int32_t> lab(c.text.size());
  ASSERT_EQ(skip.cls->predict_fitted(skip.self, 0, lab.size(), lab.data(), nullptr, nullptr), EK_OK);
  for (int32_t l : lab) EXPECT_NE(l, 4) << "a skipped label is never predicted";
  // Every label unknown: an error even in skip mode.
  Inst none(std::string(kDoc2VecSmall) + ",\"unknown_keywords\":\"skip\"}");
  EXPECT_EQ(none.Fit(c, "{\"x\":[\"tulip\"]}"), EK_ERR_INVALID_ARGUMENT);
}

TEST(BadInput, EmptyDocumentsAndInvalidUtf8) {
  Corpus c = MakeCorpus(20, 18);
  c.text.push_back("");
  c.label.push_back(-1);
  c.text.push_back("!!! ... ???");
  c.label.push_back(-1);
  c.text.push_back(std::string("hockey \xFF\xFE team \xC0\xAF league \xED\xA0\x80 goal"));
  c.label.push_back(0);
  for (const char* cfg : {"{\"embedder\":\"hashing\",\"min_num_docs\":10}", "{\"embedder\":\"doc2vec\",\"vector_size\":32,\"min_count\":1,\"epochs\":12,\"sample\":0,\"min_num_docs\":10}"}) {
    Inst m(cfg);
    ASSERT_EQ(m.Fit(c), EK_OK) << m.err();
    const size_t n = c.text.size();
    std::vector<int32_t> lab(n);
    std::vector<float> conf(n), scores(n * 4);
    ASSERT_EQ(m.cls->predict_fitted(m.self, 0, n, lab.data(), conf.data(), scores.data()), EK_OK);
    EXPECT_EQ(lab[n - 3], -1) << "empty document: label -1";
    EXPECT_EQ(conf[n - 3], 0.0f);
    EXPECT_EQ(lab[n - 2], -1) << "punctuation only";
    EXPECT_EQ(scores[(n - 2) * 4], 0.0f);
    EXPECT_NE(lab[n - 1], -1) << "invalid bytes are separators; the words around them count";
    // New documents take the same path.
    std::vector<ek_string_view> odd = {{"", 0}, {nullptr, 0}, {"\xFF\xFF", 2}, {"rocket orbit nasa moon launch", 29}};
    std::vector<int32_t> l2(odd.size());
    ASSERT_EQ(m.cls->predict(m.self, odd.data(), odd.size(), l2.data(), nullptr, nullptr), EK_OK) << m.err();
    EXPECT_EQ(l2[0], -1);
    EXPECT_EQ(l2[1], -1);
    EXPECT_EQ(l2[2], -1);
    EXPECT_EQ(l2[3], 1);
    ek_string_view bad{nullptr, 5};
    EXPECT_EQ(m.cls->predict(m.self, &bad, 1, l2.data(), nullptr, nullptr), EK_ERR_INVALID_ARGUMENT);
  }
}

// ---- Module build -------------------------------------------------------------------------------
TEST(Module, LoadsIntoABareContext) {
  ek_context_options o;
  ek_context_options_init(&o);
  o.no_bundled_plugins = 1;
  o.log_level = EK_LOG_ERROR;
  ek_context* ctx = nullptr;
  ASSERT_EQ(ek_context_create(&o, &ctx), EK_OK);
  const char* id = nullptr;
  ASSERT_EQ(ek_plugin_load(ctx, TEXT_CLASSIFY_MODULE, &id), EK_OK) << ek_last_error();
  EXPECT_STREQ(id, kPlugin);
  {
    Inst m("{\"embedder\":\"hashing\",\"hash_dim\":128,\"min_num_docs\":10}", ctx);
    Corpus c = MakeCorpus(10, 19);
    ASSERT_EQ(m.Fit(c), EK_OK) << m.err();
    EXPECT_GE(m.AccuracyFitted(c), 0.9);
    // ek.encoder/1 gives the embedder's vectors.
    size_t dim = 0;
    ASSERT_EQ(ek_encoder_dim(m.h, &dim), EK_OK);
    EXPECT_EQ(dim, 128u);
    std::vector<float> v(128);
    ek_string_view t{"hockey team", 11};
    EXPECT_EQ(ek_encode(m.h, &t, 1, v.data(), v.size(), nullptr), EK_OK) << ek_last_error();
  }
  ek_context_free(ctx);
}

// ---- 20 Newsgroups subset (full figures: tests/bench/text_classify) -------------------------------
TEST(Newsgroups, SubsetWithShippedKeywords) {
  const std::string data = std::string(EK_SHARED_DATA) + "/20newsgroups.jsonl";
  const std::string labels_path = std::string(EK_SHARED_DATA) + "/labels/20newsgroups.json";
  if (!std::filesystem::exists(data) || !std::filesystem::exists(labels_path)) {
    GTEST_SKIP() << "no " << data << " (../shared/data is read in place)";
  }
  simdjson::dom::parser parser;
  simdjson::padded_string labels_json = simdjson::padded_string::load(labels_path).value();
  std::map<std::string, int> index;
  {
    simdjson::dom::object labels = parser.parse(labels_json)["labels"].get_object().value();
    for (auto f : labels) index.emplace(std::string(f.key), static_cast<int>(index.size()));
  }
  // Every 4th test document: 1,883 posts, all 20 groups.
  Corpus c;
  simdjson::padded_string lines = simdjson::padded_string::load(data).value();
  simdjson::dom::document_stream stream;
  ASSERT_FALSE(parser.parse_many(lines).get(stream));
  size_t k = 0;
  for (auto doc : stream) {
    std::string_view split = doc["split"].get_string().value(), label = doc["label"].get_string().value();
    if (split != "test" || (k++ % 4) != 0) continue;
    c.text.emplace_back(doc["text"].get_string().value());
    c.label.push_back(index.at(std::string(label)));
  }
  const std::string lj(labels_json.data(), labels_json.size());
  if (HaveGlove()) {
    Inst m(std::string("{\"embedder\":\"glove\",\"glove_path\":\"") + EK_GLOVE_FILE +
           "\",\"strip_headers\":true,\"min_num_docs\":30}");
    ASSERT_EQ(m.Fit(c, lj), EK_OK) << m.err();
    const double acc = m.AccuracyFitted(c);
    std::printf("20NG subset (%zu docs), glove: accuracy %.3f\n", c.text.size(), acc);
    EXPECT_GE(acc, 0.45);
  }
  {
    // The benchmark's doc2vec (pure PV-DBOW, output-vector seeds, linear inference),
    // on a tenth of the corpus: fitted and re-embedded posts.
    Inst d("{\"embedder\":\"doc2vec\",\"strip_headers\":true,\"min_num_docs\":30,\"vector_size\":100,\"epochs\":100,\"dbow_words\":false,"
           "\"infer\":\"linear\"}");
    ASSERT_EQ(d.Fit(c, lj), EK_OK) << d.err();
    const double fitted = d.AccuracyFitted(c), fresh = d.AccuracyNew(c);
    std::printf("20NG subset (%zu docs), doc2vec: accuracy %.3f fitted, %.3f as new text\n", c.text.size(), fitted, fresh);
    EXPECT_GE(fitted, 0.60);
    EXPECT_GE(fresh, 0.60);
  }
  Inst h("{\"embedder\":\"hashing\",\"strip_headers\":true,\"min_num_docs\":30}");
  ASSERT_EQ(h.Fit(c, lj), EK_OK) << h.err();
  const double acc = h.AccuracyFitted(c);
  std::printf("20NG subset (%zu docs), hashing: accuracy %.3f\n", c.text.size(), acc);
  EXPECT_GE(acc, 0.40);
}


// ---- The default embedder ("auto"; issue 17 item 6) -----------------------------------------
// The rule alone, on corpus statistics shaped like the shared corpora and beyond them.
TEST(DefaultEmbedder, RuleFollowsCorpusStatistics) {
  using tc::autorule::Choose;
  using tc::autorule::CorpusStats;
  auto setting = [](const tc::autorule::Choice& c, const std::string& key) {
    for (const auto& [k, v] : c.settings) {
      if (k == key) return v;
    }
    return std::string("<unset>");
  };
  // Long posts, millions of tokens (20 Newsgroups): doc2vec alone, Lbl2Vec's down-sampling.
  auto news = Choose(CorpusStats{18846, 5900000}, true);
  EXPECT_EQ(news.embedder, "doc2vec") << news.reason;
  EXPECT_EQ(setting(news, "sample"), "1e-05");
  EXPECT_EQ(setting(news, "min_count"), "5");
  EXPECT_EQ(setting(news, "epochs"), "100");
  EXPECT_EQ(setting(news, "combine_weight"), "<unset>");
  // Ten times the tokens: the epochs shrink with the token-pass budget, never under 10.
  EXPECT_EQ(setting(Choose(CorpusStats{100000, 30000000}, true), "epochs"), "20");
  EXPECT_EQ(setting(Choose(CorpusStats{1000000, 900000000}, true), "epochs"), "10");
  // A few thousand short texts (sms_spam, MR, short news): doc2vec and GloVe combined,
  // with the small-corpus doc2vec settings; doc2vec alone when no GloVe table exists.
  for (const CorpusStats& st : {CorpusStats{5574, 90000}, CorpusStats{10662, 206000}, CorpusStats{4000, 160000}}) {
    auto c = Choose(st, true);
    EXPECT_EQ(c.embedder, "doc2vec+glove") << c.reason;
    EXPECT_EQ(setting(c, "sample"), "0.001");
    EXPECT_EQ(setting(c, "min_count"), "2");
    EXPECT_EQ(setting(c, "combine_weight"), "0.75");
    auto no_glove = Choose(st, false);
    EXPECT_EQ(no_glove.embedder, "doc2vec") << no_glove.reason;
    EXPECT_NE(no_glove.reason.find("GloVe table not found"), std::string::npos) << no_glove.reason;
    EXPECT_EQ(setting(no_glove, "sample"), "0.001");
  }
  // Medium-length news in half a million tokens (R8): combined, large-corpus settings.
  auto r8 = Choose(CorpusStats{7674, 504000}, true);
  EXPECT_EQ(r8.embedder, "doc2vec+glove");
  EXPECT_EQ(setting(r8, "sample"), "1e-05");
  // Long texts but a small corpus: still combined (doc2vec alone needs both).
  EXPECT_EQ(Choose(CorpusStats{2000, 800000}, true).embedder, "doc2vec+glove");
  // Questions and titles (TREC): doc2vec alone, GloVe or not.
  EXPECT_EQ(Choose(CorpusStats{5952, 58000}, true).embedder, "doc2vec");
  EXPECT_EQ(Choose(CorpusStats{5952, 58000}, false).embedder, "doc2vec");
  // Degenerate statistics do not divide by zero.
  EXPECT_EQ(Choose(CorpusStats{0, 0}, true).embedder, "doc2vec");
}

std::string InfoJson(const Inst& m) {
  size_t need = 0;
  m.cls->info_json(m.self, nullptr, 0, &need);
  std::string s(need, '\0');
  EXPECT_EQ(m.cls->info_json(m.self, s.data(), s.size(), &need), EK_OK) << m.err();
  s.resize(need ? need - 1 : 0);
  return s;
}

// Through the plugin: the choice is made at fit, shown by info_json, saved with the
// model and used again by load; without a GloVe table the default falls back.
TEST(DefaultEmbedder, ChoiceIsRecordedAndLoadUsesIt) {
  if (!HaveGlove()) GTEST_SKIP() << "no " << EK_GLOVE_FILE << " (scripts/setup.sh converts GloVe)";
  const std::string path = TempStore("tc_auto");
  Corpus train = MakeCorpus(50, 31), test = MakeCorpus(10, 32);  // 200 documents of 60 words
  std::vector<int32_t> before, after;
  {
    Inst m(std::string("{\"glove_path\":\"") + EK_GLOVE_FILE + "\",\"min_num_docs\":20}");
    size_t d = 0;
    EXPECT_EQ(m.cls->dim(m.self, &d), EK_ERR_UNSUPPORTED) << "the default's dim is known after fit only";
    EXPECT_NE(m.err().find("auto"), std::string::npos) << m.err();
    ASSERT_EQ(m.Fit(train), EK_OK) << m.err();
    const std::string info = InfoJson(m);
    EXPECT_NE(info.find("\"embedder\":\"doc2vec+glove\""), std::string::npos) << info;
    EXPECT_NE(info.find("\"auto\":{\"documents\":200,"), std::string::npos) << info;
    EXPECT_NE(info.find("\"sample\":0.001"), std::string::npos) << info;
    EXPECT_EQ(m.dim(), 200u);  // 100 doc2vec + 100 GloVe
    EXPECT_GE(m.AccuracyNew(test, &before), 0.85);
    ek_store* store = nullptr;
    ASSERT_EQ(ek_store_open(Shared(), path.c_str(), nullptr, &store), EK_OK) << ek_last_error();
    ASSERT_EQ(m.cls->save(m.self, store, "auto"), EK_OK) << m.err();
    ek_store_free(store);
  }
  {
    Inst loaded("{\"embedder\":\"hashing\"}");  // the stored config wins
    ek_store* store = nullptr;
    ASSERT_EQ(ek_store_open(Shared(), path.c_str(), nullptr, &store), EK_OK);
    ASSERT_EQ(loaded.cls->load(loaded.self, store, "auto"), EK_OK) << loaded.err();
    ek_store_free(store);
    const std::string info = InfoJson(loaded);
    EXPECT_NE(info.find("\"embedder\":\"doc2vec+glove\""), std::string::npos) << info;
    EXPECT_NE(info.find("\"auto\":{\"documents\":200,"), std::string::npos) << info;
    loaded.AccuracyNew(test, &after);
    EXPECT_EQ(before, after);
  }
  std::filesystem::remove(path);
  // No table: doc2vec alone, said in info_json (the host's log gets a warning).
  Inst none("{\"glove_path\":\"/nonexistent/glove.ekwv\",\"min_num_docs\":20}");
  ASSERT_EQ(none.Fit(train), EK_OK) << none.err();
  const std::string info = InfoJson(none);
  EXPECT_NE(info.find("\"embedder\":\"doc2vec\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"glove_available\":false"), std::string::npos) << info;
  EXPECT_GE(none.AccuracyFitted(train), 0.85);
}

// Micro-F1 of single-label predictions (-1: no label) against gold labels.
double MicroF1(const std::vector<int32_t>& got, const std::vector<int>& gold) {
  size_t tp = 0, fp = 0, fn = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == gold[i]) {
      ++tp;
    } else {
      ++fn;
      fp += got[i] >= 0;
    }
  }
  const double p = tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0;
  const double r = tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0;
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

// The issue's case on real data: a few thousand short texts (SMS Spam, 5,574 messages,
// keywords from the class names). Before the change the default (doc2vec with the
// authors' settings) scored 0.52 where hashing scored 0.65.
TEST(DefaultEmbedder, ShortTextCorpusWithinTwoPointsOfBestSingle) {
  const std::string data = std::string(EK_SHARED_DATA) + "/sms_spam.jsonl";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << "no " << data << " (../shared/data is read in place)";
  if (!HaveGlove()) GTEST_SKIP() << "no " << EK_GLOVE_FILE << " (scripts/setup.sh converts GloVe)";
  const std::string labels = "{\"labels\":{\"spam\":[\"spam\",\"advertisement\",\"prize\",\"free\",\"offer\"],"
                             "\"ham\":[\"personal\",\"friend\",\"family\",\"meet\",\"chat\"]}}";  // labels/sms_spam.json
  Corpus c;
  simdjson::dom::parser parser;
  simdjson::padded_string lines = simdjson::padded_string::load(data).value();
  simdjson::dom::document_stream stream;
  ASSERT_FALSE(parser.parse_many(lines).get(stream));
  for (auto doc : stream) {
    c.text.emplace_back(doc["text"].get_string().value());
    c.label.push_back(std::string_view(doc["label"].get_string().value()) == "spam" ? 0 : 1);
  }
  ASSERT_EQ(c.text.size(), 5574u);
  auto f1 = [&](const std::string& config) {
    Inst m(config);
    EXPECT_EQ(m.Fit(c, labels), EK_OK) << config << ": " << m.err();
    std::vector<int32_t> got(c.text.size(), -1);
    EXPECT_EQ(m.cls->predict_fitted(m.self, 0, got.size(), got.data(), nullptr, nullptr), EK_OK) << m.err();
    return MicroF1(got, c.label);
  };
  const std::string glove = std::string(",\"glove_path\":\"") + EK_GLOVE_FILE + "\"";
  double best = 0;
  std::string best_name;
  for (const char* e : {"doc2vec", "glove", "hashing"}) {
    const double f = f1(std::string("{\"embedder\":\"") + e + "\"" + glove + "}");
    std::printf("sms_spam %-8s micro-F1 %.4f\n", e, f);
    if (f > best) best = f, best_name = e;
  }
  const double def = f1("{" + glove.substr(1) + "}");
  std::printf("sms_spam default  micro-F1 %.4f (best single: %s %.4f)\n", def, best_name.c_str(), best);
  EXPECT_GE(def, best - 0.02) << "best single embedder: " << best_name;
  EXPECT_GE(def, 0.75) << "a short-text corpus of a few thousand documents must not collapse";
}

}  // namespace
