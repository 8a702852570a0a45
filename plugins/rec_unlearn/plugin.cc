// embedkit.rec_unlearn: the C ABI of the plugin ("ek.recommender/1",
// "ek.unlearner/1"), configuration, training and recommending. Saving and loading live
// in store_io.cc, forget requests in forget.cc. Every entry point catches everything
// and returns a status (with the reason through ek_host::set_error and last_error()).
#include <embedkit/ext/recommender.h>
#include <embedkit/plugin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "config_reader.h"
#include "guard.h"
#include "instance.h"
#include "model.h"
#include "store_access.h"

namespace rec {

constexpr size_t kMaxId = 256;  // bytes in a user, item or request id

void CheckStruct(uint32_t size, size_t needed, const char* name) {
  if (size < needed) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(name) + "->struct_size is " + std::to_string(size) +
                                      ", at least " + std::to_string(needed) + " needed");
  }
}

std::string_view CheckId(const char* id, const char* what, size_t row) {
  const std::string where = std::string(what) + "[" + std::to_string(row) + "]";
  if (!id) Fail(EK_ERR_INVALID_ARGUMENT, where + " is NULL");
  const size_t n = std::strlen(id);
  if (n == 0 || n > kMaxId) Fail(EK_ERR_INVALID_ARGUMENT, where + " has " + std::to_string(n) + " bytes; use 1..256");
  for (size_t p = 0; p < n; ++p) {
    if (static_cast<unsigned char>(id[p]) < 0x20 || id[p] == 0x7f)
      Fail(EK_ERR_INVALID_ARGUMENT, where + " contains a control character");
  }
  return std::string_view(id, n);
}


// ---- configuration ------------------------------------------------------------------------

namespace {

using ek_plugin::ConfigReader;

void CheckOptimizer(const char* key, const std::string& v) {
  if (v != "adam" && v != "sgd")
    Fail(EK_ERR_INVALID_ARGUMENT, std::string("config \"") + key + "\" is \"" + v + "\"; use \"adam\" or \"sgd\"");
}

uint64_t Seed(const ConfigReader& r, uint64_t fallback) { return uint64_t(r.Int("seed", int64_t(fallback), 0, INT64_MAX)); }

// The training keys: create's config, and train's options over the instance's.
void ReadTrainConfig(const ConfigReader& r, Config* c) {
  c->epochs = uint32_t(r.Int("epochs", c->epochs, 0, 100000));
  c->lr = r.Double("lr", c->lr, 0, 10);
  c->reg = r.Double("reg", c->reg, 0, 100);
  c->optimizer = r.String("optimizer", c->optimizer);
  CheckOptimizer("optimizer", c->optimizer);
  c->seed = Seed(r, c->seed);
  c->init_std = r.Double("init_std", c->init_std, 0, 10);
  c->batch = uint32_t(r.Int("batch", c->batch, 1, 1 << 24));
}

// The model's shape: create's config only (load takes it from the store).
void ReadModelConfig(const ConfigReader& r, Config* c) {
  c->dim = uint32_t(r.Int("dim", c->dim, 1, 4096));
  c->layers = uint32_t(r.Int("layers", c->layers, 0, 8));
  c->min_weight = r.Double("min_weight", c->min_weight, -1e30, 1e30);
  c->text_dim = uint32_t(r.Int("text_dim", c->text_dim, 0, 4096));
  c->use_categorical = uint32_t(r.Int("use_categorical", c->use_categorical, 0, 1));
}

}  // namespace

void ReadUnlearnConfig(const ek_host* host, const char* json, size_t length, Config* c) {
  const ConfigReader r(host, json, length);
  c->alpha = r.Double("alpha", c->alpha, 0, 1e6);
  c->beta = r.Double("beta", c->beta, 0, 1e6);
  c->unlearn_lambda = r.Double("lambda", c->unlearn_lambda, 0, 100);
  c->unlearn_epochs = uint32_t(r.Int("unlearn_epochs", c->unlearn_epochs, 0, 100000));
  c->unlearn_lr = r.Double("unlearn_lr", c->unlearn_lr, 0, 10);
  c->retain_ratio = r.Double("retain_ratio", c->retain_ratio, 0, 1000);
  c->forget_repeats = uint32_t(r.Int("forget_repeats", c->forget_repeats, 0, 1000000));
  c->forget_auc = r.Double("forget_auc", c->forget_auc, 0, 1);
  c->unlearn_optimizer = r.String("unlearn_optimizer", c->unlearn_optimizer);
  CheckOptimizer("unlearn_optimizer", c->unlearn_optimizer);
  c->seed = Seed(r, c->seed);
}

// ---- helpers ------------------------------------------------------------------------------

void EnsureTextVecs(Instance* s) {
  const size_t n = s->data.Items(), td = s->cfg.text_dim;
  const size_t have = td ? s->text_vecs.size() / td : n;
  if (have >= n) return;
  s->text_vecs.resize(n * td, 0.0f);
  for (size_t i = have; i < n; ++i) EmbedText(s->env, s->data.texts[i], uint32_t(td), s->text_vecs.data() + i * td);
}

void RequireModel(Instance* s, const char* what) {
  if (!s->model.trained) Fail(EK_ERR_INVALID_ARGUMENT, std::string(what) + " needs a trained model: call train or load first");
}

uint32_t HeldUser(Instance* s, const char* id, size_t row, const char* what) {
  const uint32_t u = s->data.UserOf(CheckId(id, what, row), false);
  return u != UINT32_MAX && s->data.user_alive[u] ? u : UINT32_MAX;
}

uint32_t HeldItem(Instance* s, const char* id, size_t row, const char* what) {
  const uint32_t i = s->data.ItemOf(CheckId(id, what, row), false);
  return i != UINT32_MAX && s->data.item_alive[i] ? i : UINT32_MAX;
}

uint32_t FindUser(Instance* s, const char* id, size_t row, const char* what) {
  const uint32_t u = HeldUser(s, id, row, what);
  if (u == UINT32_MAX) Fail(EK_ERR_NOT_FOUND, "unknown user '" + std::string(id) + "'");
  return u;
}

uint32_t FindItem(Instance* s, const char* id, size_t row, const char* what) {
  const uint32_t i = HeldItem(s, id, row, what);
  if (i == UINT32_MAX) Fail(EK_ERR_NOT_FOUND, "unknown item '" + std::string(id) + "'");
  return i;
}

std::vector<std::pair<uint32_t, uint32_t>> AllPairs(const Data& d) {
  std::vector<std::pair<uint32_t, uint32_t>> v;
  v.reserve(d.rows.size());
  for (const auto& r : d.rows) v.emplace_back(r.u, r.i);
  return v;
}

// Trains a fresh model on the data held; false when cancelled.
bool TrainFresh(Instance* s, const Config& cfg, Model* out, TrainStats* st) {
  EnsureTextVecs(s);
  Trainer t(s->env, cfg);
  Model m;
  t.SetFeatures(&m, s->data, s->text_vecs, cfg.text_dim);
  t.Init(&m, s->data);
  const auto pairs = AllPairs(s->data);
  std::vector<Source> src = {{&pairs, pairs.size(), +1.0f, 1.0f}};
  if (!t.Run(&m, s->data, src, cfg.epochs, cfg.lr, cfg.reg, cfg.seed, "rec_unlearn train", st)) return false;
  m.trained = true;
  *out = std::move(m);
  return true;
}

}  // namespace rec

namespace {

using namespace rec;

Instance* Self(void* p) { return static_cast<Instance*>(p); }

// An entry point of the instance: its reason goes to set_error and last_error().
template <class F>
ek_status Guard(Instance* self, const char* fn, F&& f) {
  if (!self) return EK_ERR_INVALID_ARGUMENT;
  return ek_plugin::Guard(self->host, fn, &self->last_error, f);
}

ek_status Create(const ek_host* host, const char* config, size_t length, void** out) {
  if (!host || !out) return EK_ERR_INVALID_ARGUMENT;
  if (host->struct_size < offsetof(ek_host, collection_drop) + sizeof(host->collection_drop)) {
    host->set_error(host, "embedkit.rec_unlearn needs a host with collection_open and the key/value state "
                          "(ABI 1.1 or later)");
    return EK_ERR_ABI_MISMATCH;
  }
  if (!host->kernels || host->kernels->struct_size < offsetof(ek_kernels, bpr_step) + sizeof(host->kernels->bpr_step) ||
      !host->kernels->bpr_step) {
    host->set_error(host, "embedkit.rec_unlearn needs a kernel table with bpr_step (ABI 1.0 of 2026 or later)");
    return EK_ERR_ABI_MISMATCH;
  }
  auto inst = std::make_unique<Instance>();
  inst->host = host;
  inst->env.host = host;
  return ek_plugin::GuardCreate(host, [&] {
    Config& c = inst->cfg;
    const ConfigReader r(host, config, length);
    ReadModelConfig(r, &c);
    ReadTrainConfig(r, &c);
    c.unlearn_lambda = c.reg;
    ReadUnlearnConfig(host, config, length, &c);
    *out = inst.release();
  });
}

void Destroy(void* p) { delete Self(p); }

const Csr& Seen(Instance* s) {
  if (s->seen_dirty) {
    s->seen.BuildUsers(s->data);
    s->seen_dirty = false;
  }
  return s->seen;
}

// ---- ek.recommender/1 ---------------------------------------------------------------------

const char* LastError(void* p) { return p ? Self(p)->last_error.c_str() : "instance is NULL"; }

ek_status SetItems(void* p, const ek_rec_items* items) {
  Instance* s = Self(p);
  return Guard(s, "set_items", [&] {
    NotNull(items, "items");
    CheckStruct(items->struct_size, sizeof(ek_rec_items), "items");
    if (items->count == 0) return;
    NotNull(items->ids, "items->ids");
    if (items->categorical && (items->categorical_dim == 0 || items->categorical_dim > 4096))
      Fail(EK_ERR_INVALID_ARGUMENT, "items->categorical_dim is " + std::to_string(items->categorical_dim) + "; use 1..4096");
    Data& d = s->data;
    const uint32_t cd = items->categorical ? uint32_t(items->categorical_dim) : 0;
    if (cd && d.cat_dim != cd) {
      if (d.cat_dim != 0 && s->model.trained)
        Fail(EK_ERR_INVALID_ARGUMENT, "items->categorical_dim is " + std::to_string(cd) +
                                          ", the model was trained with " + std::to_string(d.cat_dim));
      d.cat_dim = cd;
      d.categorical.assign(d.Items() * cd, 0.0f);
    }
    for (size_t r = 0; r < items->count; ++r) {
      CheckId(items->ids[r], "items->ids", r);
      if (cd)
        for (uint32_t c = 0; c < cd; ++c)
          if (!std::isfinite(items->categorical[r * cd + c]))
            Fail(EK_ERR_INVALID_ARGUMENT, "items->categorical row " + std::to_string(r) + " is not finite");
    }
    const size_t td = s->cfg.text_dim;
    EnsureTextVecs(s);
    for (size_t r = 0; r < items->count; ++r) {
      const uint32_t i = d.ItemOf(items->ids[r], true);
      if (!d.item_alive[i]) Fail(EK_ERR_INVALID_ARGUMENT, "item '" + d.item_ids[i] + "' was forgotten");
      d.has_features[i] = 1;
      if (cd) std::memcpy(d.categorical.data() + size_t(i) * cd, items->categorical + r * cd, cd * sizeof(float));
      if (items->texts) {
        d.texts[i].assign(items->texts[r].data ? items->texts[r].data : "", items->texts[r].length);
        s->text_vecs.resize(d.Items() * td, 0.0f);
        if (td) EmbedText(s->env, d.texts[i], uint32_t(td), s->text_vecs.data() + size_t(i) * td);
      }
    }
    EnsureTextVecs(s);
  });
}

ek_status AddInteractions(void* p, const ek_rec_interactions* x) {
  Instance* s = Self(p);
  return Guard(s, "add_interactions", [&] {
    NotNull(x, "interactions");
    CheckStruct(x->struct_size, sizeof(ek_rec_interactions), "interactions");
    if (x->count == 0) return;
    NotNull(x->users, "interactions->users");
    NotNull(x->items, "interactions->items");
    for (size_t r = 0; r < x->count; ++r) {
      CheckId(x->users[r], "interactions->users", r);
      CheckId(x->items[r], "interactions->items", r);
      if (x->weights && !std::isfinite(x->weights[r]))
        Fail(EK_ERR_INVALID_ARGUMENT, "interactions->weights[" + std::to_string(r) + "] is not finite");
    }
    for (size_t r = 0; r < x->count; ++r) {
      const float w = x->weights ? x->weights[r] : 1.0f;
      if (w < s->cfg.min_weight) continue;
      const uint32_t u = s->data.UserOf(x->users[r], true);
      const uint32_t i = s->data.ItemOf(x->items[r], true);
      if (!s->data.user_alive[u]) Fail(EK_ERR_INVALID_ARGUMENT, "user '" + s->data.user_ids[u] + "' was forgotten");
      if (!s->data.item_alive[i]) Fail(EK_ERR_INVALID_ARGUMENT, "item '" + s->data.item_ids[i] + "' was forgotten");
      s->data.AddOrUpdate(u, i, w, x->timestamps ? x->timestamps[r] : 0);
    }
    s->seen_dirty = true;
    EnsureTextVecs(s);
  });
}

ek_status Train(void* p, const char* options, ek_rec_train_report* report) {
  Instance* s = Self(p);
  return Guard(s, "train", [&] {
    if (report) CheckStruct(report->struct_size, sizeof(ek_rec_train_report), "report");
    Config cfg = s->cfg;
    if (options) ReadTrainConfig(ConfigReader(s->host, options, std::strlen(options)), &cfg);
    if (s->data.rows.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "no interactions: call add_interactions first");
    TrainStats st;
    Model m;
    if (!TrainFresh(s, cfg, &m, &st)) Fail(EK_ERR_CANCELLED, "cancelled; the previous model is unchanged");
    s->model = std::move(m);
    if (s->store) {
      StoreTxn txn(s->host, s->store);
      SaveModel(s);
      txn.Commit();
    }
    if (report) {
      report->epochs = st.epochs;
      report->samples = st.samples;
      report->seconds = st.seconds;
      report->last_loss = st.last_loss;
    }
  });
}

ek_status Recommend(void* p, const char* user, size_t k, uint32_t exclude_seen, const char** out_items,
                    float* out_scores, size_t* out_written) {
  Instance* s = Self(p);
  return Guard(s, "recommend", [&] {
    NotNull(out_written, "out_written");
    *out_written = 0;
    if (k == 0 || k > 1024) Fail(EK_ERR_INVALID_ARGUMENT, "k is " + std::to_string(k) + "; use 1..1024");
    NotNull(out_items, "out_items");
    RequireModel(s, "recommend");
    const uint32_t u = FindUser(s, user, 0, "user");
    if (u >= s->model.Users()) Fail(EK_ERR_NOT_FOUND, "user '" + std::string(user) + "' has no embedding yet: train again");
    const size_t ni = s->model.Items();
    std::vector<float> scores(ni);
    const size_t cand = ScoreAll(s->env, s->model, s->data, exclude_seen ? &Seen(s) : nullptr, u, scores.data());
    const size_t kk = std::min(k, cand);
    std::vector<uint32_t> idx(kk);
    std::vector<float> sc(kk);
    const size_t got = kk ? s->host->kernels->top_k(scores.data(), ni, kk, idx.data(), sc.data()) : 0;
    for (size_t r = 0; r < got; ++r) {
      out_items[r] = s->data.item_ids[idx[r]].c_str();
      if (out_scores) out_scores[r] = sc[r];
    }
    *out_written = got;
  });
}

ek_status Score(void* p, const char* user, const char* const* items, size_t count, float* out) {
  Instance* s = Self(p);
  return Guard(s, "score", [&] {
    RequireModel(s, "score");
    if (count == 0) return;
    NotNull(items, "items");
    NotNull(out, "out_scores");
    const uint32_t u = FindUser(s, user, 0, "user");
    if (u >= s->model.Users()) Fail(EK_ERR_NOT_FOUND, "user '" + std::string(user) + "' has no embedding yet: train again");
    const size_t dim = s->model.dim;
    for (size_t r = 0; r < count; ++r) {
      const uint32_t i = FindItem(s, items[r], r, "items");
      if (i >= s->model.Items()) Fail(EK_ERR_NOT_FOUND, "item '" + std::string(items[r]) + "' has no embedding yet: train again");
      out[r] = s->host->kernels->dot(s->model.Fu.data() + size_t(u) * dim, s->model.Fi.data() + size_t(i) * dim, dim);
    }
  });
}

ek_status EvaluateExt(void* p, const ek_rec_interactions* pairs, size_t k, uint32_t exclude_seen,
                      ek_rec_metrics* out) {
  Instance* s = Self(p);
  return Guard(s, "evaluate", [&] {
    NotNull(pairs, "pairs");
    NotNull(out, "out_metrics");
    CheckStruct(pairs->struct_size, sizeof(ek_rec_interactions), "pairs");
    CheckStruct(out->struct_size, sizeof(ek_rec_metrics), "out_metrics");
    if (k == 0 || k > 1024) Fail(EK_ERR_INVALID_ARGUMENT, "k is " + std::to_string(k) + "; use 1..1024");
    RequireModel(s, "evaluate");
    std::vector<std::pair<uint32_t, uint32_t>> v;
    uint64_t skipped = 0;
    if (pairs->count) {
      NotNull(pairs->users, "pairs->users");
      NotNull(pairs->items, "pairs->items");
    }
    for (size_t r = 0; r < pairs->count; ++r) {
      const uint32_t u = s->data.UserOf(CheckId(pairs->users[r], "pairs->users", r), false);
      const uint32_t i = s->data.ItemOf(CheckId(pairs->items[r], "pairs->items", r), false);
      if (u == UINT32_MAX || i == UINT32_MAX || !s->data.user_alive[u] || !s->data.item_alive[i] ||
          u >= s->model.Users() || i >= s->model.Items()) {
        ++skipped;
        continue;
      }
      v.emplace_back(u, i);
    }
    const Metrics m = Evaluate(s->env, s->model, s->data, Seen(s), v, k, exclude_seen != 0);
    out->recall = m.recall;
    out->ndcg = m.ndcg;
    out->hit_rate = m.hit_rate;
    out->mean_rank = m.mean_rank;
    out->users = m.users;
    out->pairs = m.pairs;
    out->pairs_skipped = m.skipped + skipped;
  });
}

ek_status Save(void* p, ek_store* store, const char* name) {
  Instance* s = Self(p);
  return Guard(s, "save", [&] {
    NotNull(store, "store");
    CheckId(name, "name", 0);
    RequireModel(s, "save");
    s->store = store;
    s->name = name;
    StoreTxn txn(s->host, store);
    SaveAll(s);
    txn.Commit();
  });
}

ek_status Load(void* p, ek_store* store, const char* name) {
  Instance* s = Self(p);
  return Guard(s, "load", [&] {
    NotNull(store, "store");
    CheckId(name, "name", 0);
    LoadModel(s, store, name);
  });
}

ek_status Stats(void* p, ek_rec_stats* out) {
  Instance* s = Self(p);
  return Guard(s, "stats", [&] {
    NotNull(out, "out_stats");
    CheckStruct(out->struct_size, sizeof(ek_rec_stats), "out_stats");
    out->users = 0;
    out->items = 0;
    for (size_t u = 0; u < s->data.Users(); ++u) out->users += s->data.user_alive[u];
    for (size_t i = 0; i < s->data.Items(); ++i) out->items += s->data.item_alive[i];
    out->interactions = s->data.rows.size();
    out->dim = s->model.trained ? s->model.dim : s->cfg.dim;
    out->layers = s->model.trained ? s->model.layers : s->cfg.layers;
    out->trained = s->model.trained ? 1 : 0;
    out->pending_requests = s->pending;
  });
}

// ---- ek.unlearner/1 -----------------------------------------------------------------------

ek_status Forget(void* p, const ek_forget_request* req, ek_forget_report* report) {
  Instance* s = Self(p);
  return Guard(s, "forget", [&] { ForgetRequest(s, req, report); });
}

ek_status Purge(void* p, uint64_t* out_removed) {
  Instance* s = Self(p);
  return Guard(s, "purge", [&] {
    const uint64_t removed = PurgeKept(s);
    if (out_removed) *out_removed = removed;
  });
}

const ek_recommender_ext kRecommender = {
    sizeof(ek_recommender_ext), LastError, SetItems, AddInteractions, Train, Recommend, Score,
    EvaluateExt, Save, Load, Stats};

const ek_unlearner_ext kUnlearner = {sizeof(ek_unlearner_ext), LastError, Forget, Purge};

const void* GetExtension(void*, const char* id) {
  if (!id) return nullptr;
  if (std::strcmp(id, EK_EXT_RECOMMENDER) == 0) return &kRecommender;
  if (std::strcmp(id, EK_EXT_UNLEARNER) == 0) return &kUnlearner;
  return nullptr;
}

const char* const kExtensions[] = {EK_EXT_RECOMMENDER, EK_EXT_UNLEARNER, nullptr};

const ek_plugin_descriptor kDescriptor = {
    sizeof(ek_plugin_descriptor),
    EK_ABI_VERSION,
    "embedkit.rec_unlearn",
    "rec_unlearn",
    "0.1.0",
    "embedkit",
    "Multi-modal BPR recommender (MF + VBPR projections + LightGCN) that unlearns "
    "interactions, users or items on request (MMRecUn), with Gold/fine-tune/no-op baselines",
    kExtensions,
    Create,
    Destroy,
    GetExtension};

}  // namespace

extern "C" EK_PLUGIN_EXPORT const ek_plugin_descriptor* EK_PLUGIN_ENTRY_NAME(void) { return &kDescriptor; }
