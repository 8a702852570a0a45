// embedkit.rec_unlearn: the C ABI of the plugin ("ek.recommender/1",
// "ek.unlearner/1"), configuration, persistence through the host's store functions,
// and forget requests. Every entry point catches everything and returns a status
// (with the reason through ek_host::set_error and last_error()).
#include "plugin_json.h"
#include <embedkit/ext/recommender.h>
#include <embedkit/plugin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>
#include <unordered_set>

#include "model.h"

namespace {

using rec::Fail;

constexpr int kFormat = 1;  // store layout version (docs/rec_unlearn.md)
constexpr size_t kMaxId = 256;

struct Instance {
  const ek_host* host = nullptr;
  rec::Env env;
  rec::Config cfg;
  rec::Data data;
  rec::Model model;
  std::vector<float> text_vecs;  // items x cfg.text_dim
  rec::Csr seen;
  bool seen_dirty = true;
  ek_store* store = nullptr;  // bound by save/load (not owned)
  std::string name;
  uint64_t requests = 0;
  uint32_t pending = 0;
  std::vector<uint32_t> kept_users, kept_items;  // EK_FORGET_KEEP_ROWS, until purge
  std::string last_error;
  std::vector<const char*> out_ids;
};

Instance* Self(void* p) { return static_cast<Instance*>(p); }

template <class F>
ek_status Guard(Instance* self, const char* fn, F&& f) {
  const ek_host* host = self ? self->host : nullptr;
  auto report = [&](const std::string& m) {
    if (self) self->last_error = m;
    if (host) host->set_error(host, m.c_str());
  };
  try {
    if (!self) return EK_ERR_INVALID_ARGUMENT;
    f();
    self->last_error.clear();
    return EK_OK;
  } catch (const rec::Error& e) {
    report(std::string(fn) + ": " + e.message);
    return e.status;
  } catch (const std::bad_alloc&) {
    report(std::string(fn) + ": out of memory");
    return EK_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    report(std::string(fn) + ": internal error: " + e.what());
    return EK_ERR_INTERNAL;
  } catch (...) {
    report(std::string(fn) + ": internal error");
    return EK_ERR_INTERNAL;
  }
}

void NotNull(const void* p, const char* name) {
  if (!p) Fail(EK_ERR_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

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

// A number for a message: "0.05", "1e+30", never "0.050000" or 31 digits.
std::string Short(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

struct ConfigReader {
  const ek_host* host;
  const char* json;
  size_t length;
  void Check(ek_status s) const {
    if (s != EK_OK) Fail(s, ek_plugin::HostFailure(host, "reading the configuration", s));
  }
  template <class T>
  void Int(const char* key, T* v, int64_t lo, int64_t hi) const {
    int64_t x = 0;
    Check(host->config_int(host, json, length, key, int64_t(*v), &x));
    if (x < lo || x > hi)
      Fail(EK_ERR_INVALID_ARGUMENT, std::string("\"") + key + "\" is " + std::to_string(x) + "; use " +
                                        std::to_string(lo) + ".." + std::to_string(hi));
    *v = static_cast<T>(x);
  }
  void Double(const char* key, double* v, double lo, double hi) const {
    double x = 0;
    Check(host->config_double(host, json, length, key, *v, &x));
    if (!(x >= lo && x <= hi))
      Fail(EK_ERR_INVALID_ARGUMENT, std::string("\"") + key + "\" is " + Short(x) + "; use " + Short(lo) + ".." +
                                        Short(hi));
    *v = x;
  }
  void String(const char* key, std::string* v) const {
    char buf[64];
    Check(host->config_string(host, json, length, key, v->c_str(), buf, sizeof buf));
    *v = buf;
  }
};

void ReadTrainConfig(const ConfigReader& r, rec::Config* c) {
  r.Int("epochs", &c->epochs, 0, 100000);
  r.Double("lr", &c->lr, 0, 10);
  r.Double("reg", &c->reg, 0, 100);
  r.String("optimizer", &c->optimizer);
  if (c->optimizer != "adam" && c->optimizer != "sgd")
    Fail(EK_ERR_INVALID_ARGUMENT, "\"optimizer\" is \"" + c->optimizer + "\"; use \"adam\" or \"sgd\"");
  int64_t seed = int64_t(c->seed);
  r.Int("seed", &seed, 0, INT64_MAX);
  c->seed = uint64_t(seed);
  r.Double("init_std", &c->init_std, 0, 10);
  r.Int("batch", &c->batch, 1, 1 << 24);
}

void ReadUnlearnConfig(const ConfigReader& r, rec::Config* c) {
  r.Double("alpha", &c->alpha, 0, 1e6);
  r.Double("beta", &c->beta, 0, 1e6);
  r.Double("lambda", &c->unlearn_lambda, 0, 100);
  r.Int("unlearn_epochs", &c->unlearn_epochs, 0, 100000);
  r.Double("unlearn_lr", &c->unlearn_lr, 0, 10);
  r.Double("retain_ratio", &c->retain_ratio, 0, 1000);
  r.Int("forget_repeats", &c->forget_repeats, 0, 1000000);
  r.Double("forget_auc", &c->forget_auc, 0, 1);
  r.String("unlearn_optimizer", &c->unlearn_optimizer);
  if (c->unlearn_optimizer != "adam" && c->unlearn_optimizer != "sgd")
    Fail(EK_ERR_INVALID_ARGUMENT, "\"unlearn_optimizer\" is \"" + c->unlearn_optimizer + "\"; use \"adam\" or \"sgd\"");
  int64_t seed = int64_t(c->seed);
  r.Int("seed", &seed, 0, INT64_MAX);
  c->seed = uint64_t(seed);
}

ek_status Create(const ek_host* host, const char* config, size_t length, void** out) {
  if (!host || !out) return EK_ERR_INVALID_ARGUMENT;
  if (host->struct_size < offsetof(ek_host, store_rollback) + sizeof(host->store_rollback)) {
    host->set_error(host, "embedkit.rec_unlearn needs a host with collection_delete/collection_list and store "
                          "transactions (ABI 1.0 of 2026 or later)");
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
  return Guard(inst.get(), "create", [&] {
    rec::Config& c = inst->cfg;
    ConfigReader r{host, config, length};
    r.Int("dim", &c.dim, 1, 4096);
    r.Int("layers", &c.layers, 0, 8);
    r.Double("min_weight", &c.min_weight, -1e30, 1e30);
    r.Int("text_dim", &c.text_dim, 0, 4096);
    r.Int("use_categorical", &c.use_categorical, 0, 1);
    ReadTrainConfig(r, &c);
    c.unlearn_lambda = c.reg;
    ReadUnlearnConfig(r, &c);
    *out = inst.release();
  });
}

void Destroy(void* p) { delete Self(p); }

// ---- helpers ------------------------------------------------------------------------------

void EnsureTextVecs(Instance* s) {
  const size_t n = s->data.Items(), td = s->cfg.text_dim;
  const size_t have = td ? s->text_vecs.size() / td : n;
  if (have >= n) return;
  s->text_vecs.resize(n * td, 0.0f);
  for (size_t i = have; i < n; ++i) rec::EmbedText(s->env, s->data.texts[i], uint32_t(td), s->text_vecs.data() + i * td);
}

const rec::Csr& Seen(Instance* s) {
  if (s->seen_dirty) {
    s->seen.BuildUsers(s->data);
    s->seen_dirty = false;
  }
  return s->seen;
}

void RequireModel(Instance* s, const char* what) {
  if (!s->model.trained) Fail(EK_ERR_INVALID_ARGUMENT, std::string(what) + " needs a trained model: call train or load first");
}

uint32_t FindUser(Instance* s, const char* id, size_t row, const char* what) {
  const std::string_view v = CheckId(id, what, row);
  const uint32_t u = s->data.UserOf(v, false);
  if (u == UINT32_MAX || !s->data.user_alive[u]) Fail(EK_ERR_NOT_FOUND, "unknown user '" + std::string(v) + "'");
  return u;
}

uint32_t FindItem(Instance* s, const char* id, size_t row, const char* what) {
  const std::string_view v = CheckId(id, what, row);
  const uint32_t i = s->data.ItemOf(v, false);
  if (i == UINT32_MAX || !s->data.item_alive[i]) Fail(EK_ERR_NOT_FOUND, "unknown item '" + std::string(v) + "'");
  return i;
}

// ---- store --------------------------------------------------------------------------------

// A failed host call: its status, and the host's own reason in the message.
void HostCheck(const ek_host* host, ek_status s, const std::string& what) {
  if (s != EK_OK) Fail(s, ek_plugin::HostFailure(host, what, s));
}

// One store transaction for a request that writes several collections (save, the
// model write after training, a forget request, purge): begun on construction,
// durable at Commit(), rolled back if the request fails first, so a crash or an error
// never leaves half a request in the store.
class StoreTxn {
 public:
  StoreTxn(const ek_host* h, ek_store* store) : h_(h), store_(store) {
    if (store_) {
      HostCheck(h_, h_->store_begin(store_), "starting a store transaction");
      open_ = true;
    }
  }
  void Commit() {
    if (!open_) return;
    HostCheck(h_, h_->store_commit(store_), "committing the store transaction");
    open_ = false;
  }
  ~StoreTxn() {
    if (open_) h_->store_rollback(store_);
  }
  StoreTxn(const StoreTxn&) = delete;
  StoreTxn& operator=(const StoreTxn&) = delete;

 private:
  const ek_host* h_;
  ek_store* store_;
  bool open_ = false;
};

struct Coll {
  const ek_host* host;
  ek_collection* c = nullptr;
  Coll(const ek_host* h, ek_store* store, const std::string& name, uint32_t dim) : host(h) {
    HostCheck(h, h->collection_create(store, name.c_str(), dim, EK_METRIC_DOT, &c), "opening collection '" + name + "'");
  }
  ~Coll() {
    if (c) host->collection_free(c);
  }
  Coll(const Coll&) = delete;
  Coll& operator=(const Coll&) = delete;

  struct Row {
    std::string id, meta;
  };
  std::vector<Row> List(bool meta) const {
    ek_results* res = nullptr;
    HostCheck(host, host->collection_list(c, 0, 0, meta ? 1 : 0, &res), "collection_list");
    std::vector<Row> rows;
    const size_t n = host->results_hit_count(res, 0);
    rows.reserve(n);
    for (size_t r = 0; r < n; ++r) {
      ek_hit hit{};
      hit.struct_size = sizeof hit;
      if (host->results_hit(res, 0, r, &hit) != EK_OK) {
        host->results_free(res);
        Fail(EK_ERR_STORAGE, "results_hit failed");
      }
      rows.push_back(Row{hit.id, hit.metadata_json ? hit.metadata_json : ""});
    }
    host->results_free(res);
    return rows;
  }
  void Upsert(const std::vector<std::string>& ids, const std::vector<float>& vecs, size_t dim,
              const std::vector<std::string>* meta) const {
    const size_t kBatch = 20000;
    for (size_t b = 0; b < ids.size(); b += kBatch) {
      const size_t n = std::min(kBatch, ids.size() - b);
      std::vector<const char*> ip(n), mp(meta ? n : 0);
      for (size_t r = 0; r < n; ++r) {
        ip[r] = ids[b + r].c_str();
        if (meta) mp[r] = (*meta)[b + r].empty() ? nullptr : (*meta)[b + r].c_str();
      }
      ek_upsert_batch batch{};
      batch.struct_size = sizeof batch;
      batch.count = n;
      batch.ids = ip.data();
      batch.vectors = vecs.data() + b * dim;
      batch.dim = dim;
      batch.metadata_json = meta ? mp.data() : nullptr;
      HostCheck(host, host->collection_upsert(c, &batch), "collection_upsert");
    }
  }
  size_t Delete(const std::vector<std::string>& ids) const {
    if (ids.empty()) return 0;
    std::vector<const char*> ip(ids.size());
    for (size_t r = 0; r < ids.size(); ++r) ip[r] = ids[r].c_str();
    size_t deleted = 0;
    HostCheck(host, host->collection_delete(c, ip.data(), ip.size(), &deleted), "collection_delete");
    return deleted;
  }
  // Deletes every row whose id is not in `keep`.
  void DeleteOthers(const std::unordered_set<std::string>& keep) const {
    std::vector<std::string> stale;
    for (auto& r : List(false))
      if (!keep.count(r.id)) stale.push_back(r.id);
    Delete(stale);
  }
};

std::string PairId(const rec::Data& d, uint32_t u, uint32_t i) {
  return d.user_ids[u] + '\x1f' + d.item_ids[i];
}

std::string C(const std::string& name, const char* suffix) { return name + suffix; }

// Writes the parameters (users, items, projection, meta): the rows that change with
// training or unlearning. With `before` (the parameters the store holds, same shapes)
// only rows that differ from it are written and the collections are not scanned for
// stale rows: the forget path deletes the rows of removed users and items itself.
void SaveModel(Instance* s, const rec::Model* before = nullptr) {
  const rec::Model& m = s->model;
  const rec::Data& d = s->data;
  const ek_host* h = s->host;
  const size_t dim = m.dim;
  if (before && (before->dim != m.dim || before->P.size() != m.P.size() || before->Q.size() != m.Q.size() ||
                 before->W.size() != m.W.size()))
    before = nullptr;
  auto changed = [&](const std::vector<float>& now, const std::vector<float>* old, size_t row) {
    return !old || std::memcmp(now.data() + row * dim, old->data() + row * dim, dim * sizeof(float)) != 0;
  };
  auto save_rows = [&](const char* suffix, const std::vector<float>& now, const std::vector<float>* old,
                       const std::vector<std::string>& names, const std::vector<uint8_t>& alive) {
    Coll c(h, s->store, C(s->name, suffix), uint32_t(dim));
    std::vector<std::string> ids;
    std::vector<float> v;
    for (size_t r = 0; r < names.size(); ++r) {
      if (!alive[r] || !changed(now, old, r)) continue;
      ids.push_back(names[r]);
      v.insert(v.end(), now.begin() + r * dim, now.begin() + (r + 1) * dim);
    }
    c.Upsert(ids, v, dim, nullptr);
    if (!before) {
      std::unordered_set<std::string> keep;
      for (size_t r = 0; r < names.size(); ++r)
        if (alive[r]) keep.insert(names[r]);
      c.DeleteOthers(keep);
    }
  };
  save_rows(".users", m.P, before ? &before->P : nullptr, d.user_ids, d.user_alive);
  save_rows(".items", m.Q, before ? &before->Q : nullptr, d.item_ids, d.item_alive);
  if (!before || m.W != before->W) {
    Coll proj(h, s->store, C(s->name, ".proj"), uint32_t(dim));
    std::vector<std::string> ids;
    for (uint32_t f = 0; f < m.feat_dim; ++f) ids.push_back("w" + std::to_string(f));
    proj.Upsert(ids, m.W, dim, nullptr);
    if (!before) proj.DeleteOthers(std::unordered_set<std::string>(ids.begin(), ids.end()));
  }
  Coll meta(h, s->store, C(s->name, ".meta"), 4);
  char json[512];
  std::snprintf(json, sizeof json,
                "{\"format\":%d,\"plugin\":\"embedkit.rec_unlearn\",\"dim\":%u,\"layers\":%u,"
                "\"cat_dim\":%u,\"text_dim\":%u,\"requests\":%llu,\"seed\":%llu}",
                kFormat, m.dim, m.layers, m.cat_dim, m.text_dim,
                static_cast<unsigned long long>(s->requests), static_cast<unsigned long long>(s->cfg.seed));
  std::vector<float> v = {float(kFormat), float(m.dim), float(m.layers), float(m.feat_dim)};
  std::vector<std::string> metas = {json};
  meta.Upsert({"model"}, v, 4, &metas);
}

void SaveAll(Instance* s) {
  const rec::Data& d = s->data;
  const ek_host* h = s->host;
  {
    Coll inter(h, s->store, C(s->name, ".interactions"), 1);
    std::vector<std::string> ids, metas;
    std::vector<float> w;
    ids.reserve(d.rows.size());
    for (const auto& r : d.rows) {
      ids.push_back(PairId(d, r.u, r.i));
      w.push_back(r.w);
      metas.push_back("{\"w\":" + std::to_string(r.w) + ",\"t\":" + std::to_string(r.t) + "}");
    }
    inter.Upsert(ids, w, 1, &metas);
    inter.DeleteOthers(std::unordered_set<std::string>(ids.begin(), ids.end()));
  }
  {
    const uint32_t cd = std::max<uint32_t>(1, d.cat_dim);
    Coll feats(h, s->store, C(s->name, ".item_features"), cd);
    std::vector<std::string> ids, metas;
    std::vector<float> v;
    for (size_t i = 0; i < d.Items(); ++i) {
      if (!d.item_alive[i] || !d.has_features[i]) continue;
      ids.push_back(d.item_ids[i]);
      for (uint32_t c = 0; c < cd; ++c) v.push_back(d.cat_dim ? d.categorical[i * d.cat_dim + c] : 0.0f);
      metas.push_back("{\"title\":" + ek_plugin::JsonQuote(d.texts[i]) + "}");
    }
    feats.Upsert(ids, v, cd, &metas);
    feats.DeleteOthers(std::unordered_set<std::string>(ids.begin(), ids.end()));
  }
  SaveModel(s);
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
    rec::Data& d = s->data;
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
        if (td) rec::EmbedText(s->env, d.texts[i], uint32_t(td), s->text_vecs.data() + size_t(i) * td);
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

std::vector<std::pair<uint32_t, uint32_t>> AllPairs(const rec::Data& d) {
  std::vector<std::pair<uint32_t, uint32_t>> v;
  v.reserve(d.rows.size());
  for (const auto& r : d.rows) v.emplace_back(r.u, r.i);
  return v;
}

// Trains a fresh model on the data held; false when cancelled.
bool TrainFresh(Instance* s, const rec::Config& cfg, rec::Model* out, rec::TrainStats* st) {
  EnsureTextVecs(s);
  rec::Trainer t(s->env, cfg);
  rec::Model m;
  t.SetFeatures(&m, s->data, s->text_vecs, cfg.text_dim);
  t.Init(&m, s->data);
  const auto pairs = AllPairs(s->data);
  std::vector<rec::Source> src = {{&pairs, pairs.size(), +1.0f, 1.0f}};
  if (!t.Run(&m, s->data, src, cfg.epochs, cfg.lr, cfg.reg, cfg.seed, "rec_unlearn train", st)) return false;
  m.trained = true;
  *out = std::move(m);
  return true;
}

ek_status Train(void* p, const char* options, ek_rec_train_report* report) {
  Instance* s = Self(p);
  return Guard(s, "train", [&] {
    if (report) CheckStruct(report->struct_size, sizeof(ek_rec_train_report), "report");
    rec::Config cfg = s->cfg;
    if (options) ReadTrainConfig(ConfigReader{s->host, options, std::strlen(options)}, &cfg);
    if (s->data.rows.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "no interactions: call add_interactions first");
    rec::TrainStats st;
    rec::Model m;
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
    const size_t cand = rec::ScoreAll(s->env, s->model, s->data, exclude_seen ? &Seen(s) : nullptr, u, scores.data());
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
    const rec::Metrics m = rec::Evaluate(s->env, s->model, s->data, Seen(s), v, k, exclude_seen != 0);
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

double MetaDouble(Instance* s, const std::string& json, const char* key, double fallback) {
  double v = fallback;
  HostCheck(s->host, s->host->config_double(s->host, json.data(), json.size(), key, fallback, &v), std::string("reading '") + key + "'");
  return v;
}

ek_status Load(void* p, ek_store* store, const char* name) {
  Instance* s = Self(p);
  return Guard(s, "load", [&] {
    NotNull(store, "store");
    CheckId(name, "name", 0);
    const ek_host* h = s->host;
    std::string meta_json;
    std::vector<float> mv(4);
    {
      ek_collection* c = nullptr;
      const ek_status st = h->collection_create(store, C(name, ".meta").c_str(), 4, EK_METRIC_DOT, &c);
      if (st == EK_ERR_ALREADY_EXISTS)
        Fail(EK_ERR_UNSUPPORTED, "collection '" + C(name, ".meta") + "' was written by another version of rec_unlearn");
      // A read-only store cannot create the missing collection: there is no model.
      if (st == EK_ERR_READ_ONLY) Fail(EK_ERR_NOT_FOUND, "no model named '" + std::string(name) + "' in the store");
      HostCheck(h, st, "opening '" + C(name, ".meta") + "'");
      h->collection_free(c);
    }
    {
      // collection_list hands out metadata owned by the results (a plugin cannot call
      // ek_string_free), so the model row is read through a listing.
      Coll meta(h, store, C(name, ".meta"), 4);
      bool found = false;
      for (auto& r : meta.List(true)) {
        if (r.id != "model") continue;
        meta_json = r.meta;
        size_t got = 0;
        HostCheck(h, h->collection_get(meta.c, "model", mv.data(), mv.size(), &got, nullptr), "reading the model row");
        found = true;
      }
      if (!found) Fail(EK_ERR_NOT_FOUND, "no model named '" + std::string(name) + "' in the store");
    }
    const int format = int(MetaDouble(s, meta_json, "format", -1));
    if (format != kFormat || int(mv[0]) != kFormat)
      Fail(EK_ERR_UNSUPPORTED, "the model '" + std::string(name) + "' has format " + std::to_string(format) +
                                   "; this plugin reads format " + std::to_string(kFormat));
    rec::Config cfg = s->cfg;
    cfg.dim = uint32_t(MetaDouble(s, meta_json, "dim", 0));
    cfg.layers = uint32_t(MetaDouble(s, meta_json, "layers", 0));
    const uint32_t cat_dim = uint32_t(MetaDouble(s, meta_json, "cat_dim", 0));
    cfg.text_dim = uint32_t(MetaDouble(s, meta_json, "text_dim", 0));
    cfg.use_categorical = cat_dim > 0 ? 1 : cfg.use_categorical;
    if (cfg.dim == 0 || cfg.dim > 4096) Fail(EK_ERR_CORRUPT, "the model row names dim " + std::to_string(cfg.dim));
    const uint64_t requests = uint64_t(MetaDouble(s, meta_json, "requests", 0));

    rec::Data d;
    std::vector<float> buf(std::max<size_t>(cfg.dim, 4096));
    auto get = [&](const Coll& c, const std::string& id, size_t dim) {
      size_t got = 0;
      HostCheck(h, h->collection_get(c.c, id.c_str(), buf.data(), buf.size(), &got, nullptr), "reading row '" + id + "'");
      if (got != dim) Fail(EK_ERR_CORRUPT, "row '" + id + "' has dim " + std::to_string(got));
      return buf.data();
    };
    // features first (they define cat_dim), then interactions, users, items
    {
      Coll feats(h, store, C(name, ".item_features"), std::max<uint32_t>(1, cat_dim));
      d.cat_dim = cat_dim;
      for (auto& row : feats.List(true)) {
        const uint32_t i = d.ItemOf(row.id, true);
        d.has_features[i] = 1;
        const float* v = get(feats, row.id, std::max<uint32_t>(1, cat_dim));
        if (cat_dim) std::memcpy(d.categorical.data() + size_t(i) * cat_dim, v, cat_dim * sizeof(float));
        std::vector<char> title(row.meta.size() + 1);
        HostCheck(h, h->config_string(h, row.meta.data(), row.meta.size(), "title", "", title.data(), title.size()), "reading a title");
        d.texts[i] = title.data();
      }
    }
    {
      Coll inter(h, store, C(name, ".interactions"), 1);
      for (auto& row : inter.List(true)) {
        const size_t sep = row.id.find('\x1f');
        if (sep == std::string::npos) Fail(EK_ERR_CORRUPT, "interaction row '" + row.id + "' has no separator");
        const uint32_t u = d.UserOf(std::string_view(row.id).substr(0, sep), true);
        const uint32_t i = d.ItemOf(std::string_view(row.id).substr(sep + 1), true);
        const double w = MetaDouble(s, row.meta, "w", 1.0);
        const double t = MetaDouble(s, row.meta, "t", 0.0);
        d.AddOrUpdate(u, i, float(w), int64_t(t));
      }
    }
    rec::Model m;
    m.dim = cfg.dim;
    m.layers = cfg.layers;
    Coll users(h, store, C(name, ".users"), cfg.dim);
    Coll items(h, store, C(name, ".items"), cfg.dim);
    auto urows = users.List(false);
    auto irows = items.List(false);
    for (auto& r : urows) d.UserOf(r.id, true);
    for (auto& r : irows) d.ItemOf(r.id, true);
    std::swap(s->data, d);
    s->text_vecs.clear();
    s->cfg.text_dim = cfg.text_dim;
    EnsureTextVecs(s);
    rec::Trainer t(s->env, cfg);
    t.SetFeatures(&m, s->data, s->text_vecs, cfg.text_dim);
    m.P.assign(s->data.Users() * cfg.dim, 0.0f);
    m.Q.assign(s->data.Items() * cfg.dim, 0.0f);
    std::vector<uint8_t> have_u(s->data.Users(), 0), have_i(s->data.Items(), 0);
    for (auto& r : urows) {
      const uint32_t u = s->data.UserOf(r.id, false);
      std::memcpy(m.P.data() + size_t(u) * cfg.dim, get(users, r.id, cfg.dim), cfg.dim * sizeof(float));
      have_u[u] = 1;
    }
    for (auto& r : irows) {
      const uint32_t i = s->data.ItemOf(r.id, false);
      std::memcpy(m.Q.data() + size_t(i) * cfg.dim, get(items, r.id, cfg.dim), cfg.dim * sizeof(float));
      have_i[i] = 1;
    }
    for (size_t u = 0; u < have_u.size(); ++u)
      if (!have_u[u]) Fail(EK_ERR_CORRUPT, "user '" + s->data.user_ids[u] + "' has interactions but no embedding");
    for (size_t i = 0; i < have_i.size(); ++i)
      if (!have_i[i]) Fail(EK_ERR_CORRUPT, "item '" + s->data.item_ids[i] + "' has interactions or features but no embedding");
    {
      Coll proj(h, store, C(name, ".proj"), cfg.dim);
      m.W.assign(size_t(m.feat_dim) * cfg.dim, 0.0f);
      for (uint32_t f = 0; f < m.feat_dim; ++f)
        std::memcpy(m.W.data() + size_t(f) * cfg.dim, get(proj, "w" + std::to_string(f), cfg.dim), cfg.dim * sizeof(float));
    }
    // Interrupted forget requests. The ledger exists once a request was made; a store
    // opened read-only (recommend from a saved model) cannot create it, and without it
    // nothing is pending.
    uint32_t pending = 0;
    ek_collection* ledger_c = nullptr;
    const std::string ledger_name = C(name, ".ledger");
    const ek_status ls = h->collection_create(store, ledger_name.c_str(), 1, EK_METRIC_DOT, &ledger_c);
    if (ls == EK_OK) {
      h->collection_free(ledger_c);
      Coll ledger(h, store, ledger_name, 1);
      for (auto& r : ledger.List(true))
        if (r.meta.find("\"status\":\"pending\"") != std::string::npos ||
            r.meta.find("\"status\":\"cancelled\"") != std::string::npos)
          ++pending;
    } else if (ls != EK_ERR_READ_ONLY) {
      HostCheck(h, ls, "opening collection '" + ledger_name + "'");
    }
    t.Finalize(&m, s->data);
    m.trained = true;
    s->cfg.dim = cfg.dim;
    s->cfg.layers = cfg.layers;
    s->model = std::move(m);
    s->seen_dirty = true;
    s->store = store;
    s->name = name;
    s->requests = requests;
    s->pending = pending;
    s->kept_users.clear();
    s->kept_items.clear();
    if (pending)
      s->env.Log(EK_LOG_WARN, std::to_string(pending) + " forget request(s) of '" + std::string(name) +
                                  "' were interrupted after their data was deleted; the parameters predate them: "
                                  "run train (or forget again) to refresh the model");
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

const char* KindName(int32_t k) {
  return k == EK_FORGET_INTERACTIONS ? "interactions" : k == EK_FORGET_USERS ? "users" : "items";
}
const char* MethodName(int32_t m) {
  return m == EK_UNLEARN_MMRECUN ? "mmrecun" : m == EK_UNLEARN_GOLD ? "gold" : m == EK_UNLEARN_FINETUNE ? "finetune" : "noop";
}

void RemoveRowsOf(Instance* s, const std::vector<uint32_t>& users, const std::vector<uint32_t>& items) {
  std::vector<std::string> uid, iid;
  for (uint32_t u : users) uid.push_back(s->data.user_ids[u]);
  for (uint32_t i : items) iid.push_back(s->data.item_ids[i]);
  if (s->store) {
    if (!uid.empty()) Coll(s->host, s->store, C(s->name, ".users"), s->model.dim).Delete(uid);
    if (!iid.empty()) {
      Coll(s->host, s->store, C(s->name, ".items"), s->model.dim).Delete(iid);
      Coll(s->host, s->store, C(s->name, ".item_features"), std::max<uint32_t>(1, s->data.cat_dim)).Delete(iid);
    }
  }
  for (uint32_t u : users) s->data.user_alive[u] = 0;
  for (uint32_t i : items) {
    s->data.item_alive[i] = 0;
    s->data.has_features[i] = 0;
    s->data.texts[i].clear();
    s->data.texts[i].shrink_to_fit();
    if (s->data.cat_dim) std::fill_n(s->data.categorical.begin() + size_t(i) * s->data.cat_dim, s->data.cat_dim, 0.0f);
    const size_t td = s->cfg.text_dim;
    if (td && s->text_vecs.size() >= (size_t(i) + 1) * td) std::fill_n(s->text_vecs.begin() + size_t(i) * td, td, 0.0f);
    if (i < s->model.Items() && s->model.feat_dim) std::fill_n(s->model.X.begin() + size_t(i) * s->model.feat_dim, s->model.feat_dim, 0.0f);
  }
}

// Fresh N(0, init_std^2) values for the given rows (Box-Muller over Philox words).
void ReinitRows(Instance* s, std::vector<float>* m, const std::vector<uint32_t>& rows, uint64_t stream) {
  const size_t dim = s->model.dim;
  std::vector<uint32_t> r(dim + (dim & 1));
  for (uint32_t row : rows) {
    s->env.Random(s->cfg.seed ^ (stream * 0x9e3779b97f4a7c15ull), uint64_t(row) * ((r.size() + 3) / 4), r.data(), r.size());
    float* v = m->data() + size_t(row) * dim;
    for (size_t x = 0; x < dim; x += 2) {
      const double a = (double(r[x]) + 1.0) / 4294967297.0, b = double(r[x + 1]) / 4294967296.0;
      const double rad = std::sqrt(-2.0 * std::log(a));
      v[x] = float(s->cfg.init_std * rad * std::cos(2 * M_PI * b));
      if (x + 1 < dim) v[x + 1] = float(s->cfg.init_std * rad * std::sin(2 * M_PI * b));
    }
  }
}

std::string NowJson() { return std::to_string(static_cast<long long>(std::time(nullptr))); }

ek_status Forget(void* p, const ek_forget_request* req, ek_forget_report* report) {
  Instance* s = Self(p);
  return Guard(s, "forget", [&] {
    NotNull(req, "request");
    CheckStruct(req->struct_size, sizeof(ek_forget_request), "request");
    if (report) CheckStruct(report->struct_size, sizeof(ek_forget_report), "report");
    if (req->kind < EK_FORGET_INTERACTIONS || req->kind > EK_FORGET_ITEMS)
      Fail(EK_ERR_INVALID_ARGUMENT, "request->kind is " + std::to_string(req->kind) + "; use EK_FORGET_INTERACTIONS, _USERS or _ITEMS");
    if (req->method < EK_UNLEARN_MMRECUN || req->method > EK_UNLEARN_NOOP)
      Fail(EK_ERR_INVALID_ARGUMENT, "request->method is " + std::to_string(req->method) + "; use EK_UNLEARN_*");
    if (req->count == 0) Fail(EK_ERR_INVALID_ARGUMENT, "the forget set is empty");
    RequireModel(s, "forget");
    rec::Data& d = s->data;
    if (s->model.Users() != d.Users() || s->model.Items() != d.Items())
      Fail(EK_ERR_INVALID_ARGUMENT, "users or items were added since the last train: train first");
    rec::Config cfg = s->cfg;
    if (req->options_json) ReadUnlearnConfig(ConfigReader{s->host, req->options_json, std::strlen(req->options_json)}, &cfg);

    // 1. Resolve the forget set (nothing changes before it is valid).
    std::vector<uint8_t> drop(d.rows.size(), 0);
    std::vector<uint32_t> users, items;
    if (req->kind == EK_FORGET_INTERACTIONS) {
      NotNull(req->users, "request->users");
      NotNull(req->items, "request->items");
      for (size_t r = 0; r < req->count; ++r) {
        const uint32_t u = FindUser(s, req->users[r], r, "request->users");
        const uint32_t i = FindItem(s, req->items[r], r, "request->items");
        auto it = d.pair_row.find(rec::Data::Key(u, i));
        if (it == d.pair_row.end())
          Fail(EK_ERR_NOT_FOUND, "(" + d.user_ids[u] + ", " + d.item_ids[i] + ") is not a training interaction");
        drop[it->second] = 1;
      }
    } else if (req->kind == EK_FORGET_USERS) {
      NotNull(req->users, "request->users");
      std::vector<uint8_t> mark(d.Users(), 0);
      for (size_t r = 0; r < req->count; ++r) {
        const uint32_t u = FindUser(s, req->users[r], r, "request->users");
        if (!mark[u]) users.push_back(u);
        mark[u] = 1;
      }
      for (size_t r = 0; r < d.rows.size(); ++r) drop[r] = mark[d.rows[r].u];
    } else {
      NotNull(req->items, "request->items");
      std::vector<uint8_t> mark(d.Items(), 0);
      for (size_t r = 0; r < req->count; ++r) {
        const uint32_t i = FindItem(s, req->items[r], r, "request->items");
        if (!mark[i]) items.push_back(i);
        mark[i] = 1;
      }
      for (size_t r = 0; r < d.rows.size(); ++r) drop[r] = mark[d.rows[r].i];
    }
    std::vector<std::pair<uint32_t, uint32_t>> forget;
    std::vector<std::string> lines;
    for (size_t r = 0; r < d.rows.size(); ++r) {
      if (!drop[r]) continue;
      forget.emplace_back(d.rows[r].u, d.rows[r].i);
      lines.push_back(PairId(d, d.rows[r].u, d.rows[r].i));
    }
    if (forget.size() == d.rows.size()) Fail(EK_ERR_INVALID_ARGUMENT, "the request would forget every interaction; drop the model instead");
    for (uint32_t u : users) lines.push_back("user\x1f" + d.user_ids[u]);
    for (uint32_t i : items) lines.push_back("item\x1f" + d.item_ids[i]);
    std::sort(lines.begin(), lines.end());
    std::string canon = std::string(KindName(req->kind)) + "\n";
    for (auto& l : lines) canon += l + "\n";
    const std::string digest = rec::Sha256Hex(canon);
    std::string rid = req->request_id ? std::string(CheckId(req->request_id, "request->request_id", 0))
                                      : "req-" + std::to_string(s->requests + 1);
    const bool keep = (req->flags & EK_FORGET_KEEP_ROWS) != 0;
    const std::string started = NowJson();
    auto ledger_json = [&](const char* status, double seconds) {
      return std::string("{\"kind\":\"") + KindName(req->kind) + "\",\"method\":\"" + MethodName(req->method) +
             "\",\"status\":\"" + status + "\",\"interactions\":" + std::to_string(forget.size()) +
             ",\"users\":" + std::to_string(users.size()) + ",\"items\":" + std::to_string(items.size()) +
             ",\"started\":" + started + ",\"finished\":" + NowJson() + ",\"seconds\":" + std::to_string(seconds) + ",\"sha256\":\"" + digest + "\"}";
    };
    // 2. One store transaction for the whole request: the data leaves the store and the
    // training set, the parameters are updated, the ledger records it; a crash or a
    // failure before the commit leaves the store as before the request.
    StoreTxn txn(s->host, s->store);
    if (s->store) {
      Coll inter(s->host, s->store, C(s->name, ".interactions"), 1);
      std::vector<std::string> ids;
      for (auto& [u, i] : forget) ids.push_back(PairId(d, u, i));
      inter.Delete(ids);
    }
    d.RemoveRows(drop);
    s->seen_dirty = true;
    uint64_t users_removed = 0, items_removed = 0;
    if (keep) {
      s->kept_users.insert(s->kept_users.end(), users.begin(), users.end());
      s->kept_items.insert(s->kept_items.end(), items.begin(), items.end());
    } else {
      RemoveRowsOf(s, users, items);
      users_removed = users.size();
      items_removed = items.size();
    }
    ++s->requests;

    // 3. The parameters.
    rec::Config ucfg = cfg;  // unlearning steps use their own optimizer
    ucfg.optimizer = cfg.unlearn_optimizer;
    rec::Trainer t(s->env, req->method == EK_UNLEARN_GOLD ? cfg : ucfg);
    rec::TrainStats st;
    rec::Model backup = s->model;
    bool ok = true;
    const auto retain = AllPairs(d);
    if (req->method == EK_UNLEARN_GOLD) {
      rec::Model m;
      ok = TrainFresh(s, cfg, &m, &st);
      if (ok) s->model = std::move(m);
    } else if (req->method == EK_UNLEARN_NOOP) {
      t.Finalize(&s->model, d);
    } else {
      if (s->model.feat_dim) t.SetFeatures(&s->model, d, s->text_vecs, s->model.text_dim);
      // Rows trained only by the forget set (a forgotten user's or item's own ID
      // embedding) go back to a fresh initial draw, where Gold would have them; the
      // reverse and forward terms then repair what the rest of the model learnt.
      if (req->method == EK_UNLEARN_MMRECUN) {
        ReinitRows(s, &s->model.P, users, 0x75736572ull ^ s->requests);
        ReinitRows(s, &s->model.Q, items, 0x6974656dull ^ s->requests);
      }
      std::vector<rec::Source> src;
      if (req->method == EK_UNLEARN_MMRECUN)
        src.push_back({&forget, uint64_t(cfg.forget_repeats) * forget.size(), -1.0f, float(cfg.alpha)});
      src.push_back({&retain, uint64_t(cfg.retain_ratio * double(retain.size())), +1.0f, float(cfg.beta)});
      ok = t.Run(&s->model, d, src, cfg.unlearn_epochs, cfg.unlearn_lr, cfg.unlearn_lambda, cfg.seed ^ s->requests,
                 "rec_unlearn forget", &st);
      if (!ok) {
        s->model = std::move(backup);
        t.Finalize(&s->model, d);
      }
    }
    // 4. The updated parameters and the ledger entry, committed together. Cancelled:
    // the data is removed as asked, the parameters stay those from before the request,
    // and the ledger says so ("cancelled" entries count as pending_requests on load).
    if (s->store) {
      if (ok) SaveModel(s, &backup);
      Coll ledger(s->host, s->store, C(s->name, ".ledger"), 1);
      std::vector<std::string> m = {ledger_json(ok ? "done" : "cancelled", st.seconds)};
      ledger.Upsert({rid}, {float(s->requests)}, 1, &m);
      txn.Commit();
    }
    if (!ok) Fail(EK_ERR_CANCELLED, "cancelled: the data was removed, the parameters are those from before the request");
    if (report) {
      report->interactions_removed = forget.size();
      report->users_removed = users_removed;
      report->items_removed = items_removed;
      report->epochs = st.epochs;
      report->seconds = st.seconds;
      std::snprintf(report->request_id, sizeof report->request_id, "%s", rid.c_str());
      std::snprintf(report->digest, sizeof report->digest, "%s", digest.c_str());
    }
  });
}

ek_status Purge(void* p, uint64_t* out_removed) {
  Instance* s = Self(p);
  return Guard(s, "purge", [&] {
    std::vector<uint32_t> users, items;
    for (uint32_t u : s->kept_users)
      if (s->data.user_alive[u]) users.push_back(u);
    for (uint32_t i : s->kept_items)
      if (s->data.item_alive[i]) items.push_back(i);
    StoreTxn txn(s->host, s->store);
    RemoveRowsOf(s, users, items);
    s->kept_users.clear();
    s->kept_items.clear();
    if (s->model.trained) rec::Trainer(s->env, s->cfg).Finalize(&s->model, s->data);
    if (s->store && s->model.trained) SaveModel(s);
    txn.Commit();
    if (out_removed) *out_removed = users.size() + items.size();
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
