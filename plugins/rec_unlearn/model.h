// embedkit.rec_unlearn: data, model and training (no ABI types beyond ek_host).
//
// Model (docs/rec_unlearn.md):
//   item ego embedding   e_i = q_i + W^T x_i     x_i = [categorical flags | text vector]
//   user ego embedding   e_u = p_u
//   propagation (L >= 1) LightGCN: e^(l+1) = A_hat e^(l), final = mean_l e^(l)
//   score                y_ui = f_u . f_i
// Training: BPR with uniform negative sampling. L = 0 runs per-sample Hogwild SGD or
// sparse Adam over host->parallel_for; L >= 1 runs mini-batch gradients through the
// propagation (dense Adam/SGD). All randomness comes from host->random_u32.
#pragma once

#include <embedkit/plugin.h>

#include "error.h"

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rec {

using Error = ek_plugin::Error;
using ek_plugin::Fail;

// Thin wrapper over the host vtable.
struct Env {
  const ek_host* host = nullptr;
  const ek_kernels* k() const { return host->kernels; }
  void ParallelFor(size_t n, size_t grain, const std::function<void(size_t, size_t)>& body) const;
  void Random(uint64_t key, uint64_t counter, uint32_t* out, size_t count) const {
    host->random_u32(host, key, counter, out, count);
  }
  bool Progress(const char* task, uint64_t done, uint64_t total) const;  // false: cancelled
  bool Cancelled() const { return host->is_cancelled(host) != 0; }
  void Log(ek_log_level level, const std::string& m) const { host->log(host, level, m.c_str()); }
  uint32_t Threads() const { return host->thread_count(host); }
};

struct Config {
  uint32_t dim = 64;
  uint32_t layers = 0;         // LightGCN layers; 0 = plain BPR-MF
  uint32_t epochs = 30;
  double lr = 0.01;
  double reg = 1e-4;           // lambda of ||theta||^2 (per touched row / weight decay)
  std::string optimizer = "adam";  // "adam" | "sgd"
  uint64_t seed = 42;
  double init_std = 0.1;
  uint32_t batch = 4096;       // mini-batch for layers >= 1
  double min_weight = 0;       // interactions with a lower weight are ignored
  uint32_t text_dim = 64;      // hashed title vector length (0 = no text modality)
  uint32_t use_categorical = 1;
  // unlearning (MMRecUn)
  double alpha = 1.0;          // weight of the reverse BPR term on the forget set
  double beta = 1.0;           // weight of the forward BPR term on the retain set
  double unlearn_lambda = 1e-4;
  uint32_t unlearn_epochs = 3;   // at most (see forget_auc)
  double unlearn_lr = 0.001;
  std::string unlearn_optimizer = "adam";  // "sgd": alpha/beta scale the steps directly
  double retain_ratio = 0.2;   // retain samples per unlearning epoch / |retain|
  uint32_t forget_repeats = 3;  // forget-set samples per unlearning epoch / |forget|
  // Early stop: after an epoch whose forget samples scored above their random negative
  // in at most this share (chance level: a model that never saw the user or item).
  double forget_auc = 0.5;
};

struct Interaction {
  uint32_t u, i;
  float w;
  int64_t t;
};

// Users, items, interactions and item features. Indices are stable while the
// instance lives; removed users/items are marked dead and skipped everywhere.
struct Data {
  std::vector<std::string> user_ids, item_ids;
  std::unordered_map<std::string, uint32_t> user_index, item_index;
  std::vector<uint8_t> user_alive, item_alive;
  std::vector<Interaction> rows;   // the training interactions (unique (u, i))
  std::unordered_map<uint64_t, uint32_t> pair_row;  // (u << 32 | i) -> rows index

  // item features (per item index; rows of zeros where absent)
  uint32_t cat_dim = 0;
  std::vector<float> categorical;  // items x cat_dim
  std::vector<uint8_t> has_features;
  std::vector<std::string> texts;  // raw texts (kept for saving)

  uint32_t UserOf(std::string_view id, bool create);
  uint32_t ItemOf(std::string_view id, bool create);
  static uint64_t Key(uint32_t u, uint32_t i) { return (uint64_t(u) << 32) | i; }
  void AddOrUpdate(uint32_t u, uint32_t i, float w, int64_t t);
  // Removes rows whose flag is set (keeps order of the rest) and rebuilds pair_row.
  void RemoveRows(const std::vector<uint8_t>& drop);
  size_t Users() const { return user_ids.size(); }
  size_t Items() const { return item_ids.size(); }
};

// Per-user sorted positive lists (CSR) of the current training rows.
// Membership tests (negative sampling) use a users x items bitset when it fits in
// kMaxBitsetBytes, else a binary search of the user's list.
struct Csr {
  static constexpr size_t kMaxBitsetBytes = size_t(32) << 20;
  std::vector<uint32_t> off, idx;
  std::vector<uint64_t> bits;  // user u, item i: bit i of bits[u * words ..]
  size_t words = 0;
  void BuildUsers(const Data& d);
  bool Has(uint32_t u, uint32_t i) const;
};

struct Model {
  uint32_t dim = 0, layers = 0, feat_dim = 0;  // feat_dim = cat_dim + text_dim
  uint32_t cat_dim = 0, text_dim = 0;
  std::vector<float> P, Q, W;                  // users x d, items x d, feat_dim x d
  std::vector<float> X;                        // items x feat_dim (fixed features)
  std::vector<float> Fu, Fi;                   // final embeddings used for scoring
  bool trained = false;
  size_t Users() const { return dim ? P.size() / dim : 0; }
  size_t Items() const { return dim ? Q.size() / dim : 0; }
};

// One source of BPR triples for an epoch: pairs (u, i) sampled uniformly with
// replacement `samples` times, each giving (u, i, j) with a random negative j.
struct Source {
  const std::vector<std::pair<uint32_t, uint32_t>>* pairs;
  uint64_t samples;
  float sign;    // +1 forward BPR, -1 reverse BPR
  float weight;  // alpha or beta
};

struct TrainStats {
  uint32_t epochs = 0;
  uint64_t samples = 0;
  double seconds = 0;
  double last_loss = 0;
  double forget_auc = -1;  // last epoch's sampled AUC of the reverse-term pairs (-1: none)
};

class Trainer {
 public:
  Trainer(const Env& env, const Config& cfg) : env_(env), cfg_(cfg) {}
  // Fresh parameters for the data's users/items/features (seeded).
  void Init(Model* m, const Data& d) const;
  // Builds X (features) for the model from the data (text vectors from `text_vecs`).
  void SetFeatures(Model* m, const Data& d, const std::vector<float>& text_vecs,
                   uint32_t text_dim) const;
  // Runs `epochs` epochs over `sources` (each epoch draws every source's samples).
  // Returns false when cancelled. `task` names the progress.
  bool Run(Model* m, const Data& d, const std::vector<Source>& sources, uint32_t epochs,
           double lr, double reg, uint64_t seed, const char* task, TrainStats* stats) const;
  // Recomputes the final embeddings Fu/Fi (propagation over the current rows).
  void Finalize(Model* m, const Data& d) const;

 private:
  struct Graph;
  bool RunSample(Model* m, const Data& d, const Csr& csr, const std::vector<Source>& sources,
                 uint32_t epochs, double lr, double reg, uint64_t seed, const char* task,
                 TrainStats* stats) const;
  bool RunGraph(Model* m, const Data& d, const Csr& csr, const std::vector<Source>& sources,
                uint32_t epochs, double lr, double reg, uint64_t seed, const char* task,
                TrainStats* stats) const;
  void Propagate(const Model& m, const Graph& g, const float* eu, const float* ei, float* fu,
                 float* fi) const;
  void Content(const Model& m, float* c) const;  // c = X W (items x d)
  bool StopEarly(uint64_t reverse, uint64_t above, TrainStats* stats) const;

  const Env& env_;
  const Config& cfg_;
};

struct Metrics {
  double recall = 0, ndcg = 0, hit_rate = 0, mean_rank = 0;
  uint64_t users = 0, pairs = 0, skipped = 0;
};

// Ranking metrics of (user, item) index pairs against the model's final embeddings.
Metrics Evaluate(const Env& env, const Model& m, const Data& d, const Csr& seen,
                 const std::vector<std::pair<uint32_t, uint32_t>>& pairs, size_t k,
                 bool exclude_seen);

// Scores of all items for user u into out (dead items and, optionally, seen ones get
// -inf); returns the number of candidates.
size_t ScoreAll(const Env& env, const Model& m, const Data& d, const Csr* seen, uint32_t u,
                float* out);

// Title -> dense vector: feature hashing of word tokens (host tokenizer when present)
// and character 3-grams of each word, signed buckets, L2-normalised.
void EmbedText(const Env& env, std::string_view text, uint32_t dim, float* out);

// SHA-256 of bytes, as 64 hex digits.
std::string Sha256Hex(std::string_view data);

}  // namespace rec
