// text_classify internals: configuration, errors, host helpers (tokenizer, RNG,
// parallel loops, progress), the embedders and the Lbl2Vec label procedure. Sees only
// abi/ headers and the ek_host it is given; never sdk/.
#pragma once

#include <embedkit/ext/classifier.h>
#include <embedkit/plugin.h>
#include <embedkit/text.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "error.h"
#include "parallel_for.h"

namespace tc {

// ---- Errors (thrown inside the plugin only; every ABI entry returns a status) --------
using Error = ek_plugin::Error;
using ek_plugin::Fail;

// ---- Configuration (docs/text_classify.md lists every key) ---------------------------
// kAuto: the default; resolved at fit to kDoc2Vec or kCombined (auto_embedder.h).
enum class EmbedderKind { kAuto, kDoc2Vec, kGlove, kHashing, kHost, kCombined };
enum class Weighting { kSif, kTfidf, kMean };
enum class KeywordVectors { kAuto, kInput, kOutput, kBoth };

struct Config {
  EmbedderKind embedder = EmbedderKind::kAuto;
  bool zero_shot = false;          // "mode": "lbl2vec" (default) | "zero_shot"
  uint64_t seed = 1;
  // Tokenizer
  bool lowercase = true, strip_headers = false, keep_subject = true, strip_quotes = false;
  bool drop_numbers = false;
  uint32_t min_token_chars = 1, max_token_bytes = 40;
  // Label procedure (Lbl2Vec)
  double similarity_threshold = NAN;  // NAN: unset (top score - offset)
  double threshold_offset = 0.0;
  size_t min_num_docs = 100;
  size_t max_num_docs = 0;           // 0: no cap
  int refine_rounds = 0;
  size_t kmeans_rounds = 0;          // spherical k-means rounds after Lbl2Vec (ours)
  double scale = 20.0;               // softmax(cos * scale)
  bool skip_unknown_labels = false;  // "unknown_keywords": "error" | "skip"
  // doc2vec (PV-DBOW + interleaved skip-gram, negative sampling)
  size_t vector_size = 300, window = 15, min_count = 5, negative = 5, epochs = 10;
  double sample = 1e-5, alpha = 0.025, min_alpha = 0.0001;
  size_t infer_epochs = 0;           // 0: = epochs
  bool dbow_words = true;
  size_t max_vocab = 0;              // 0: no cap
  bool infer_linear = false;         // "infer": "sgd" (infer_vector, default) | "linear"
  double infer_ridge = 1e-3;         // ridge of the linear map, relative to the mean feature energy
  // doc2vec seeds: "auto" (input with dbow_words, else output) | "input" | "output" | "both"
  KeywordVectors keyword_vectors = KeywordVectors::kAuto;
  // glove
  std::string glove_path;            // "" -> GlovePath's search
  Weighting weighting = Weighting::kSif;
  double sif_a = 1e-3;
  bool remove_pc = true;
  // hashing
  size_t hash_dim = 1024;
  uint32_t hash_bits = 20;
  uint32_t char_ngram_min = 3, char_ngram_max = 5;
  bool word_bigrams = true;
  // host
  size_t host_batch = 64;
  // doc2vec+glove: weight of doc2vec's cosine (glove's is 1 - this)
  double combine_weight = 0.75;
  std::string json;                  // the config as given (saved with the model)
  std::set<std::string> given;       // the keys `json` sets (the auto rule never overrides them)
};

Config ReadConfig(const ek_host* host, const char* json, size_t length);
// `json` (an object) with each (key, JSON value) of `settings` added unless it sets
// that key already.
std::string ConfigWithDefaults(const std::string& json, const std::set<std::string>& given,
                               const std::vector<std::pair<std::string, std::string>>& settings);
std::string EmbedderName(EmbedderKind k);

// ---- Host helpers ---------------------------------------------------------------------
struct Env {
  const ek_host* host = nullptr;
  const ek_kernels* k = nullptr;
  const ek_text_api* text = nullptr;
  ek_tokenize_options tok{};
};

// Calls fn(std::string_view) for each token of `text`.
void ForEachToken(const Env& env, std::string_view text, const std::function<void(std::string_view)>& fn);
std::vector<std::string> Tokens(const Env& env, std::string_view text);

// Runs body over [0, n) on the host's pool (plugins/common/parallel_for.h).
inline void ParallelFor(const Env& env, size_t n, size_t grain,
                        const std::function<void(size_t, size_t)>& body) {
  ek_plugin::ParallelFor(env.host, n, grain, body);
}
// Throws EK_ERR_CANCELLED when the host reports cancellation.
void Progress(const Env& env, const char* task, uint64_t done, uint64_t total);
// One more of `n` documents done in a pass over the corpus (any thread): reports
// progress every 256 documents of a corpus of 1024 or more, hence stops on Ctrl-C.
void Tokenized(const Env& env, std::atomic<size_t>& done, size_t n, const char* task);

// A buffered stream of Philox words (host->random_u32) for one (key, stream).
class Rng {
 public:
  Rng(const ek_host* host, uint64_t key, uint64_t stream) : host_(host), key_(key), counter_(stream << 40) {}
  uint32_t Next() {
    if (pos_ == kBuf) Refill();
    return buf_[pos_++];
  }
  float Uniform() { return static_cast<float>(Next() >> 8) * (1.0f / 16777216.0f); }  // [0, 1)
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((static_cast<uint64_t>(Next()) * n) >> 32); }

 private:
  static constexpr size_t kBuf = 1024;
  void Refill() {
    host_->random_u32(host_, key_, counter_, buf_, kBuf);
    counter_ += kBuf / 4;  // Philox-4x32: four words per block
    pos_ = 0;
  }
  const ek_host* host_;
  uint64_t key_, counter_;
  uint32_t buf_[kBuf];
  size_t pos_ = kBuf;
};

uint64_t Hash64(const void* data, size_t n, uint64_t salt);

// ---- Model persistence helpers ----------------------------------------------------------
// Rows written to / read from "<model>.<part>" collections through the host's store
// (collection_create/upsert/get: the only store calls a plugin has).
class ModelIO {
 public:
  ModelIO(const ek_host* host, ek_store* store, std::string model) : host_(host), store_(store), model_(std::move(model)) {}
  void WriteRows(const std::string& part, uint32_t dim, const std::vector<std::string>& ids,
                 const float* vectors);
  void ReadRows(const std::string& part, uint32_t dim, const std::vector<std::string>& ids, float* out);
  // Matrices in rows "0".."rows-1".
  void WriteMatrix(const std::string& part, const float* m, size_t rows, size_t dim);
  void ReadMatrix(const std::string& part, float* m, size_t rows, size_t dim);
  // Byte strings (JSON, vocabularies) as rows of exact byte-valued floats.
  void WriteBlob(const std::string& part, const std::string& bytes);
  std::string ReadBlob(const std::string& part);

 private:
  const ek_host* host_;
  ek_store* store_;
  std::string model_;
};

// Reads a top-level field of a JSON object (parsed with simdjson).
struct JsonFields {
  explicit JsonFields(std::string_view json);
  ~JsonFields();
  bool Has(const char* key) const;
  std::string String(const char* key) const;
  double Number(const char* key) const;
  std::string Raw(const char* key) const;  // minified JSON of the value
  struct Impl;
  std::unique_ptr<Impl> impl;
};

// ---- Embedders ---------------------------------------------------------------------------
class Embedder {
 public:
  explicit Embedder(const Env& env, const Config& c) : env_(env), c_(c) {}
  virtual ~Embedder() = default;
  virtual size_t dim() const = 0;
  // Learns from the corpus; writes the fitted documents' vectors (n x dim).
  virtual void Fit(const ek_string_view* docs, size_t n, std::vector<float>* fitted) = 0;
  // Vectors of new documents (n x dim); callable after Fit or Load.
  virtual void Embed(const ek_string_view* docs, size_t n, float* out) = 0;
  // Seed of a label from its keywords (dim floats, unit norm or all zeros); sets
  // *known to the number of keywords the embedder knows.
  virtual void Seed(const std::vector<std::string>& keywords, float* out, uint32_t* known) = 0;
  virtual void Save(ModelIO& io, std::string* meta_json) = 0;
  virtual void Load(ModelIO& io, const JsonFields& meta) = 0;
  virtual std::string Stats() const { return "{}"; }

 protected:
  Env env_;
  Config c_;
};

struct HostCallback {
  ek_embed_batch_fn fn = nullptr;
  void* user_data = nullptr;
  uint32_t dim = 0;
};

std::unique_ptr<Embedder> MakeDoc2Vec(const Env& env, const Config& c);
std::unique_ptr<Embedder> MakeGlove(const Env& env, const Config& c);
std::unique_ptr<Embedder> MakeHashing(const Env& env, const Config& c);
std::unique_ptr<Embedder> MakeHostEmbedder(const Env& env, const Config& c, const HostCallback* cb);
std::unique_ptr<Embedder> MakeCombined(const Env& env, const Config& c);  // doc2vec+glove

// The GloVe table path: "glove_path", else $EMBEDKIT_GLOVE, else
// glove/glove-6b-100d.ekwv in a data folder found at run time (plugins/common/data_path.h:
// $EMBEDKIT_DATA_PATH, then share/embedkit beside the plugin's code); "" when none is.
std::string GlovePath(const Config& c);
// Why GlovePath found nothing, with the places it looked.
std::string NoGloveMessage();

// Mean of unit-normalised vectors, normalised: Lbl2Vec's keyword query.
void MeanOfUnit(const Env& env, const std::vector<const float*>& vectors, size_t dim, float* out);

// ---- Labels and the Lbl2Vec procedure ---------------------------------------------------
struct Label {
  std::string name;
  std::vector<std::string> keywords;
  std::string description;
};
std::vector<Label> ParseLabelsJson(const ek_host* host, std::string_view json);

struct LabelState {
  uint32_t known = 0, total = 0, documents = 0;
  bool active = true;
};

// Label vectors from the fitted documents X (n x dim) and the seeds (L x dim):
// keep documents with cosine > threshold (or > top - offset when unset), at least
// min_num_docs, at most max_num_docs (if set); label vector = mean of kept rows;
// `refine_rounds` more passes with the label vectors as seeds.
void DeriveLabelVectors(const Env& env, const Config& c, const float* X, size_t n, size_t dim,
                        const std::vector<float>& seeds, std::vector<LabelState>* states,
                        std::vector<float>* label_vectors);

// Cosines of each vector to each active label; argmax and softmax confidence.
void Classify(const Env& env, const Config& c, const float* vectors, size_t n, size_t dim,
              const std::vector<float>& label_vectors, const std::vector<LabelState>& states,
              int32_t* out_label, float* out_confidence, float* out_scores);

}  // namespace tc
