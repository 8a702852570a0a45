// embedkit.rec_unlearn: the model in the store (docs/rec_unlearn.md, "Persistence").
// Model NAME is the collections NAME.users, NAME.items, NAME.proj (parameters),
// NAME.interactions and NAME.item_features (training data), with its meta record and
// forget ledger in the store's key/value state (model_state.h).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "instance.h"
#include "json_quote.h"
#include "model_state.h"
#include "store_access.h"

namespace rec {
namespace {

constexpr int kFormat = 1;  // store layout version (docs/rec_unlearn.md)

std::string C(const std::string& name, const char* suffix) { return name + suffix; }

// The id of row f of the projection W: "w0", "w1", ... (snprintf: GCC 12 at -O3
// warns falsely about concatenating "w" and std::to_string under -Werror=restrict).
std::string ProjectionRowId(uint32_t f) {
  char id[16];
  std::snprintf(id, sizeof id, "w%u", f);
  return id;
}

double MetaDouble(const ek_host* h, const std::string& json, const char* key, double fallback) {
  double v = fallback;
  CheckHost(h, h->config_double(h, json.data(), json.size(), key, fallback, &v), std::string("reading '") + key + "'");
  return v;
}

// ---- save ---------------------------------------------------------------------------------

// One embedding table (users or items) into its collection: the rows that differ
// from `old` (all when there is none); without `old` the rows of dead or unknown ids
// are deleted too.
void SaveEmbeddingRows(Instance* s, const char* suffix, const std::vector<float>& now, const std::vector<float>* old,
                       const std::vector<std::string>& names, const std::vector<uint8_t>& alive) {
  const size_t dim = s->model.dim;
  Coll c(s->host, s->store, C(s->name, suffix), uint32_t(dim));
  std::vector<std::string> ids;
  std::vector<float> v;
  for (size_t r = 0; r < names.size(); ++r) {
    if (!alive[r]) continue;
    if (old && std::memcmp(now.data() + r * dim, old->data() + r * dim, dim * sizeof(float)) == 0) continue;
    ids.push_back(names[r]);
    v.insert(v.end(), now.begin() + r * dim, now.begin() + (r + 1) * dim);
  }
  c.Upsert(ids, v, dim, nullptr);
  if (!old) {
    std::unordered_set<std::string> keep;
    for (size_t r = 0; r < names.size(); ++r)
      if (alive[r]) keep.insert(names[r]);
    c.DeleteOthers(keep);
  }
}

void SaveProjection(Instance* s, bool only_changed) {
  const Model& m = s->model;
  Coll proj(s->host, s->store, C(s->name, ".proj"), uint32_t(m.dim));
  std::vector<std::string> ids;
  for (uint32_t f = 0; f < m.feat_dim; ++f) ids.push_back(ProjectionRowId(f));
  proj.Upsert(ids, m.W, m.dim, nullptr);
  if (!only_changed) proj.DeleteOthers(std::unordered_set<std::string>(ids.begin(), ids.end()));
}

void SaveInteractions(Instance* s) {
  const Data& d = s->data;
  Coll inter(s->host, s->store, C(s->name, ".interactions"), 1);
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

void SaveItemFeatures(Instance* s) {
  const Data& d = s->data;
  const uint32_t cd = std::max<uint32_t>(1, d.cat_dim);
  Coll feats(s->host, s->store, C(s->name, ".item_features"), cd);
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

// A full save over a model the store already holds (a retrain by another instance)
// keeps that model's ledger, the audit trail of what was forgotten under this name,
// and goes on with its request numbers, so that the next generated id cannot be one
// of its entries; its pending requests stay counted, as load would count them.
void ContinueStoredLedger(Instance* s) {
  const std::optional<ModelState> stored = ReadModelState(s->host, s->store, s->name);
  if (!stored) return;
  s->requests = std::max(s->requests, uint64_t(MetaDouble(s->host, stored->meta_json, "requests", 0)));
  s->pending = std::max(s->pending, stored->pending);
}

}  // namespace

void SaveMeta(Instance* s) {
  const Model& m = s->model;
  char json[512];
  std::snprintf(json, sizeof json,
                "{\"format\":%d,\"plugin\":\"embedkit.rec_unlearn\",\"dim\":%u,\"layers\":%u,"
                "\"cat_dim\":%u,\"text_dim\":%u,\"requests\":%llu,\"seed\":%llu}",
                kFormat, m.dim, m.layers, m.cat_dim, m.text_dim,
                static_cast<unsigned long long>(s->requests), static_cast<unsigned long long>(s->cfg.seed));
  WriteMeta(s->host, s->store, s->name, json);
}

std::string PairId(const Data& d, uint32_t u, uint32_t i) { return d.user_ids[u] + '\x1f' + d.item_ids[i]; }

// The rows that change with training or unlearning. With `before` (the parameters
// the store holds, same shapes) only rows that differ from it are written and the
// collections are not scanned for stale rows: the forget path deletes the rows of
// removed users and items itself.
void SaveModel(Instance* s, const Model* before) {
  const Model& m = s->model;
  if (before && (before->dim != m.dim || before->P.size() != m.P.size() || before->Q.size() != m.Q.size() ||
                 before->W.size() != m.W.size()))
    before = nullptr;
  SaveEmbeddingRows(s, ".users", m.P, before ? &before->P : nullptr, s->data.user_ids, s->data.user_alive);
  SaveEmbeddingRows(s, ".items", m.Q, before ? &before->Q : nullptr, s->data.item_ids, s->data.item_alive);
  if (!before || m.W != before->W) SaveProjection(s, before != nullptr);
  SaveMeta(s);
}

void SaveAll(Instance* s) {
  UpgradeOldLayout(s->host, s->store, s->name);
  ContinueStoredLedger(s);
  SaveInteractions(s);
  SaveItemFeatures(s);
  SaveModel(s);
}

void DeleteStoredRows(Instance* s, const std::vector<uint32_t>& users, const std::vector<uint32_t>& items) {
  if (!s->store) return;
  std::vector<std::string> uid, iid;
  for (uint32_t u : users) uid.push_back(s->data.user_ids[u]);
  for (uint32_t i : items) iid.push_back(s->data.item_ids[i]);
  if (!uid.empty()) Coll(s->host, s->store, C(s->name, ".users")).Delete(uid);
  if (!iid.empty()) {
    Coll(s->host, s->store, C(s->name, ".items")).Delete(iid);
    Coll(s->host, s->store, C(s->name, ".item_features")).Delete(iid);
  }
}

void DeleteStoredInteractions(Instance* s, const std::vector<std::pair<uint32_t, uint32_t>>& pairs) {
  if (!s->store) return;
  Coll inter(s->host, s->store, C(s->name, ".interactions"));
  std::vector<std::string> ids;
  for (auto& [u, i] : pairs) ids.push_back(PairId(s->data, u, i));
  inter.Delete(ids);
}

// ---- load ---------------------------------------------------------------------------------

namespace {

// The model's shape as its meta record holds it, checked.
struct StoredShape {
  Config cfg;  // the instance's, with dim, layers, text_dim and use_categorical from the store
  uint32_t cat_dim = 0;
  uint64_t requests = 0;
};

StoredShape ReadShape(const Instance* s, const std::string& meta, const std::string& name) {
  const ek_host* h = s->host;
  const int format = int(MetaDouble(h, meta, "format", -1));
  if (format != kFormat)
    Fail(EK_ERR_UNSUPPORTED, "the model '" + name + "' has format " + std::to_string(format) +
                                 "; this plugin reads format " + std::to_string(kFormat));
  StoredShape shape;
  Config& cfg = shape.cfg;
  cfg = s->cfg;
  cfg.dim = uint32_t(MetaDouble(h, meta, "dim", 0));
  cfg.layers = uint32_t(MetaDouble(h, meta, "layers", 0));
  shape.cat_dim = uint32_t(MetaDouble(h, meta, "cat_dim", 0));
  cfg.text_dim = uint32_t(MetaDouble(h, meta, "text_dim", 0));
  cfg.use_categorical = shape.cat_dim > 0 ? 1 : cfg.use_categorical;
  if (cfg.dim == 0 || cfg.dim > 4096) Fail(EK_ERR_CORRUPT, "the model's meta record names dim " + std::to_string(cfg.dim));
  shape.requests = uint64_t(MetaDouble(h, meta, "requests", 0));
  return shape;
}

// Reads vector rows through one buffer and checks their length.
class RowReader {
 public:
  RowReader(const ek_host* h, uint32_t dim) : h_(h), buf_(std::max<size_t>(dim, 4096)) {}
  const float* Get(const Coll& c, const std::string& id, size_t dim) {
    size_t got = 0;
    CheckHost(h_, h_->collection_get(c.c, id.c_str(), buf_.data(), buf_.size(), &got, nullptr), "reading row '" + id + "'");
    if (got != dim) Fail(EK_ERR_CORRUPT, "row '" + id + "' has dim " + std::to_string(got));
    return buf_.data();
  }

 private:
  const ek_host* h_;
  std::vector<float> buf_;
};

// Item features first: they define cat_dim and the items' titles.
void LoadItemFeatures(Instance* s, ek_store* store, const std::string& name, uint32_t cat_dim, RowReader* rows,
                      Data* d) {
  const ek_host* h = s->host;
  Coll feats(h, store, C(name, ".item_features"));
  d->cat_dim = cat_dim;
  for (auto& row : feats.List(true)) {
    const uint32_t i = d->ItemOf(row.id, true);
    d->has_features[i] = 1;
    const float* v = rows->Get(feats, row.id, std::max<uint32_t>(1, cat_dim));
    if (cat_dim) std::memcpy(d->categorical.data() + size_t(i) * cat_dim, v, cat_dim * sizeof(float));
    std::vector<char> title(row.meta.size() + 1);
    CheckHost(h, h->config_string(h, row.meta.data(), row.meta.size(), "title", "", title.data(), title.size()),
              "reading a title");
    d->texts[i] = title.data();
  }
}

void LoadInteractions(Instance* s, ek_store* store, const std::string& name, Data* d) {
  Coll inter(s->host, store, C(name, ".interactions"));
  for (auto& row : inter.List(true)) {
    const size_t sep = row.id.find('\x1f');
    if (sep == std::string::npos) Fail(EK_ERR_CORRUPT, "interaction row '" + row.id + "' has no separator");
    const uint32_t u = d->UserOf(std::string_view(row.id).substr(0, sep), true);
    const uint32_t i = d->ItemOf(std::string_view(row.id).substr(sep + 1), true);
    const double w = MetaDouble(s->host, row.meta, "w", 1.0);
    const double t = MetaDouble(s->host, row.meta, "t", 0.0);
    d->AddOrUpdate(u, i, float(w), int64_t(t));
  }
}

// The ID embeddings of users (P) or items (Q) into `table`, sized for every known id;
// every id must have one. `user` selects the ids. (Data's lookups are not const.)
void LoadEmbeddings(Data* d, const Coll& c, const std::vector<Coll::Row>& listed, bool user, uint32_t dim,
                    RowReader* rows, std::vector<float>* table) {
  const size_t n = user ? d->Users() : d->Items();
  table->assign(n * dim, 0.0f);
  std::vector<uint8_t> have(n, 0);
  for (auto& r : listed) {
    const uint32_t x = user ? d->UserOf(r.id, false) : d->ItemOf(r.id, false);
    std::memcpy(table->data() + size_t(x) * dim, rows->Get(c, r.id, dim), dim * sizeof(float));
    have[x] = 1;
  }
  for (size_t x = 0; x < n; ++x) {
    if (have[x]) continue;
    if (user) Fail(EK_ERR_CORRUPT, "user '" + d->user_ids[x] + "' has interactions but no embedding");
    Fail(EK_ERR_CORRUPT, "item '" + d->item_ids[x] + "' has interactions or features but no embedding");
  }
}

void LoadProjection(Instance* s, ek_store* store, const std::string& name, uint32_t dim, RowReader* rows, Model* m) {
  Coll proj(s->host, store, C(name, ".proj"));
  m->W.assign(size_t(m->feat_dim) * dim, 0.0f);
  for (uint32_t f = 0; f < m->feat_dim; ++f)
    std::memcpy(m->W.data() + size_t(f) * dim, rows->Get(proj, ProjectionRowId(f), dim), dim * sizeof(float));
}

}  // namespace

void LoadModel(Instance* s, ek_store* store, const char* name_c) {
  const ek_host* h = s->host;
  const std::string name = name_c;
  const std::optional<ModelState> state = ReadModelState(h, store, name);
  if (!state) Fail(EK_ERR_NOT_FOUND, "no model named '" + name + "' in the store");
  const StoredShape shape = ReadShape(s, state->meta_json, name);
  const Config& cfg = shape.cfg;
  Data d;
  RowReader rows(h, cfg.dim);
  LoadItemFeatures(s, store, name, shape.cat_dim, &rows, &d);
  LoadInteractions(s, store, name, &d);
  // Users and items with an embedding but no interaction or feature row are known too.
  Model m;
  m.dim = cfg.dim;
  m.layers = cfg.layers;
  Coll users(h, store, C(name, ".users"));
  Coll items(h, store, C(name, ".items"));
  auto urows = users.List(false);
  auto irows = items.List(false);
  for (auto& r : urows) d.UserOf(r.id, true);
  for (auto& r : irows) d.ItemOf(r.id, true);
  std::swap(s->data, d);
  s->text_vecs.clear();
  s->cfg.text_dim = cfg.text_dim;
  EnsureTextVecs(s);
  Trainer t(s->env, cfg);
  t.SetFeatures(&m, s->data, s->text_vecs, cfg.text_dim);
  LoadEmbeddings(&s->data, users, urows, true, cfg.dim, &rows, &m.P);
  LoadEmbeddings(&s->data, items, irows, false, cfg.dim, &rows, &m.Q);
  LoadProjection(s, store, name, cfg.dim, &rows, &m);
  t.Finalize(&m, s->data);
  m.trained = true;
  s->cfg.dim = cfg.dim;
  s->cfg.layers = cfg.layers;
  s->model = std::move(m);
  s->seen_dirty = true;
  s->store = store;
  s->name = name;
  s->requests = shape.requests;
  s->pending = state->pending;
  s->kept_users.clear();
  s->kept_items.clear();
  if (s->pending)
    s->env.Log(EK_LOG_WARN, std::to_string(s->pending) + " forget request(s) of '" + name +
                                "' were interrupted after their data was deleted; the parameters predate them: "
                                "run train (or forget again) to refresh the model");
}

}  // namespace rec
