// embedkit.rec_unlearn: ek.unlearner/1 — a forget request (resolve the forget set,
// remove the data, update the parameters, record it in the ledger, all in one store
// transaction) and purge (the rows kept by EK_FORGET_KEEP_ROWS).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "instance.h"
#include "model_state.h"
#include "store_access.h"

namespace rec {
namespace {

const char* KindName(int32_t k) {
  return k == EK_FORGET_INTERACTIONS ? "interactions" : k == EK_FORGET_USERS ? "users" : "items";
}
const char* MethodName(int32_t m) {
  return m == EK_UNLEARN_MMRECUN ? "mmrecun" : m == EK_UNLEARN_GOLD ? "gold" : m == EK_UNLEARN_FINETUNE ? "finetune" : "noop";
}

std::string NowJson() { return std::to_string(static_cast<long long>(std::time(nullptr))); }

void CheckRequest(Instance* s, const ek_forget_request* req, const ek_forget_report* report) {
  NotNull(req, "request");
  CheckStruct(req->struct_size, sizeof(ek_forget_request), "request");
  if (report) CheckStruct(report->struct_size, sizeof(ek_forget_report), "report");
  if (req->kind < EK_FORGET_INTERACTIONS || req->kind > EK_FORGET_ITEMS)
    Fail(EK_ERR_INVALID_ARGUMENT, "request->kind is " + std::to_string(req->kind) + "; use EK_FORGET_INTERACTIONS, _USERS or _ITEMS");
  if (req->method < EK_UNLEARN_MMRECUN || req->method > EK_UNLEARN_NOOP)
    Fail(EK_ERR_INVALID_ARGUMENT, "request->method is " + std::to_string(req->method) + "; use EK_UNLEARN_*");
  if (req->count == 0) Fail(EK_ERR_INVALID_ARGUMENT, "the forget set is empty");
  if (const uint32_t unknown = req->flags & ~(EK_FORGET_KEEP_ROWS | EK_FORGET_SKIP_UNKNOWN)) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", unknown);
    Fail(EK_ERR_INVALID_ARGUMENT, std::string("request->flags has unknown bits ") + hex +
                                      "; use EK_FORGET_KEEP_ROWS and EK_FORGET_SKIP_UNKNOWN");
  }
  RequireModel(s, "forget");
  if (s->model.Users() != s->data.Users() || s->model.Items() != s->data.Items())
    Fail(EK_ERR_INVALID_ARGUMENT, "users or items were added since the last train: train first");
}

// What a request forgets, resolved before anything changes.
struct ForgetSet {
  std::vector<uint8_t> drop;                           // per training row
  std::vector<std::pair<uint32_t, uint32_t>> pairs;    // the interactions dropped
  std::vector<uint32_t> users, items;                  // whole users or items
  std::string digest;                                  // SHA-256 of the canonical listing
};

// Marks the training rows of the request's users, items or (user, item) pairs. With
// EK_FORGET_SKIP_UNKNOWN what the model does not hold is passed over, not an error.
void MarkRows(Instance* s, const ek_forget_request* req, ForgetSet* f) {
  Data& d = s->data;
  const bool skip = (req->flags & EK_FORGET_SKIP_UNKNOWN) != 0;
  f->drop.assign(d.rows.size(), 0);
  if (req->kind == EK_FORGET_INTERACTIONS) {
    NotNull(req->users, "request->users");
    NotNull(req->items, "request->items");
    for (size_t r = 0; r < req->count; ++r) {
      const uint32_t u = skip ? HeldUser(s, req->users[r], r, "request->users")
                              : FindUser(s, req->users[r], r, "request->users");
      const uint32_t i = skip ? HeldItem(s, req->items[r], r, "request->items")
                              : FindItem(s, req->items[r], r, "request->items");
      if (u == UINT32_MAX || i == UINT32_MAX) continue;
      auto it = d.pair_row.find(Data::Key(u, i));
      if (it == d.pair_row.end() && skip) continue;
      if (it == d.pair_row.end())
        Fail(EK_ERR_NOT_FOUND, "(" + d.user_ids[u] + ", " + d.item_ids[i] + ") is not a training interaction");
      f->drop[it->second] = 1;
    }
    return;
  }
  const bool by_user = req->kind == EK_FORGET_USERS;
  const char* const* ids = by_user ? req->users : req->items;
  const char* what = by_user ? "request->users" : "request->items";
  NotNull(ids, what);
  std::vector<uint8_t> mark(by_user ? d.Users() : d.Items(), 0);
  std::vector<uint32_t>& whole = by_user ? f->users : f->items;
  for (size_t r = 0; r < req->count; ++r) {
    const uint32_t x = by_user ? (skip ? HeldUser(s, ids[r], r, what) : FindUser(s, ids[r], r, what))
                               : (skip ? HeldItem(s, ids[r], r, what) : FindItem(s, ids[r], r, what));
    if (x == UINT32_MAX) continue;
    if (!mark[x]) whole.push_back(x);
    mark[x] = 1;
  }
  for (size_t r = 0; r < d.rows.size(); ++r) f->drop[r] = mark[by_user ? d.rows[r].u : d.rows[r].i];
}

// 1. Resolve the forget set (nothing changes before it is valid); its digest covers
// the kind, the interactions and the whole users or items, sorted.
ForgetSet ResolveForgetSet(Instance* s, const ek_forget_request* req) {
  const Data& d = s->data;
  ForgetSet f;
  MarkRows(s, req, &f);
  std::vector<std::string> lines;
  for (size_t r = 0; r < d.rows.size(); ++r) {
    if (!f.drop[r]) continue;
    f.pairs.emplace_back(d.rows[r].u, d.rows[r].i);
    lines.push_back(PairId(d, d.rows[r].u, d.rows[r].i));
  }
  if (f.pairs.size() == d.rows.size()) Fail(EK_ERR_INVALID_ARGUMENT, "the request would forget every interaction; drop the model instead");
  for (uint32_t u : f.users) lines.push_back("user\x1f" + d.user_ids[u]);
  for (uint32_t i : f.items) lines.push_back("item\x1f" + d.item_ids[i]);
  std::sort(lines.begin(), lines.end());
  std::string canon = std::string(KindName(req->kind)) + "\n";
  for (auto& l : lines) canon += l + "\n";
  f.digest = Sha256Hex(canon);
  return f;
}

// Removes users and items from the store and from the data (their interactions are
// removed separately); their features and text go too.
void RemoveRowsOf(Instance* s, const std::vector<uint32_t>& users, const std::vector<uint32_t>& items) {
  DeleteStoredRows(s, users, items);
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

// 2. The data leaves the store and the training set (the rows of whole users and
// items too, unless EK_FORGET_KEEP_ROWS keeps them until purge).
void RemoveData(Instance* s, const ForgetSet& f, bool keep, ek_forget_report* removed) {
  DeleteStoredInteractions(s, f.pairs);
  s->data.RemoveRows(f.drop);
  s->seen_dirty = true;
  if (keep) {
    s->kept_users.insert(s->kept_users.end(), f.users.begin(), f.users.end());
    s->kept_items.insert(s->kept_items.end(), f.items.begin(), f.items.end());
  } else {
    RemoveRowsOf(s, f.users, f.items);
    removed->users_removed = f.users.size();
    removed->items_removed = f.items.size();
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

// 3. The parameters, by the request's method; false when cancelled (the model is then
// the one from before the request, finalized for the data that is left).
bool UpdateParameters(Instance* s, int32_t method, const Config& cfg, const ForgetSet& f, const Model& backup,
                      TrainStats* st) {
  const Data& d = s->data;
  Config ucfg = cfg;  // unlearning steps use their own optimizer
  ucfg.optimizer = cfg.unlearn_optimizer;
  Trainer t(s->env, method == EK_UNLEARN_GOLD ? cfg : ucfg);
  const auto retain = AllPairs(d);
  if (method == EK_UNLEARN_GOLD) {
    Model m;
    if (!TrainFresh(s, cfg, &m, st)) return false;
    s->model = std::move(m);
    return true;
  }
  if (method == EK_UNLEARN_NOOP) {
    t.Finalize(&s->model, d);
    return true;
  }
  if (s->model.feat_dim) t.SetFeatures(&s->model, d, s->text_vecs, s->model.text_dim);
  // Rows trained only by the forget set (a forgotten user's or item's own ID
  // embedding) go back to a fresh initial draw, where Gold would have them; the
  // reverse and forward terms then repair what the rest of the model learnt.
  if (method == EK_UNLEARN_MMRECUN) {
    ReinitRows(s, &s->model.P, f.users, 0x75736572ull ^ s->requests);
    ReinitRows(s, &s->model.Q, f.items, 0x6974656dull ^ s->requests);
  }
  std::vector<Source> src;
  if (method == EK_UNLEARN_MMRECUN)
    src.push_back({&f.pairs, uint64_t(cfg.forget_repeats) * f.pairs.size(), -1.0f, float(cfg.alpha)});
  src.push_back({&retain, uint64_t(cfg.retain_ratio * double(retain.size())), +1.0f, float(cfg.beta)});
  if (t.Run(&s->model, d, src, cfg.unlearn_epochs, cfg.unlearn_lr, cfg.unlearn_lambda, cfg.seed ^ s->requests,
            "rec_unlearn forget", st))
    return true;
  s->model = backup;
  t.Finalize(&s->model, d);
  return false;
}

// The ledger entry of a request (docs/rec_unlearn.md, "Ledger").
std::string LedgerJson(const ek_forget_request* req, const ForgetSet& f, const char* status, const std::string& started,
                       double seconds) {
  return std::string("{\"kind\":\"") + KindName(req->kind) + "\",\"method\":\"" + MethodName(req->method) +
         "\",\"status\":\"" + status + "\",\"interactions\":" + std::to_string(f.pairs.size()) +
         ",\"users\":" + std::to_string(f.users.size()) + ",\"items\":" + std::to_string(f.items.size()) +
         ",\"started\":" + started + ",\"finished\":" + NowJson() + ",\"seconds\":" + std::to_string(seconds) +
         ",\"sha256\":\"" + f.digest + "\"}";
}

// "req-<n>" for the next request, n = requests + 1, past any n the ledger already
// has: a store whose meta lost its count (a retrain saved over the model before
// SaveAll kept it) still has every earlier entry, and none is overwritten.
std::string NextRequestId(Instance* s) {
  std::string id = "req-" + std::to_string(s->requests + 1);
  while (s->store && LedgerHas(s->host, s->store, s->name, id)) id = "req-" + std::to_string(++s->requests + 1);
  return id;
}

}  // namespace

void ForgetRequest(Instance* s, const ek_forget_request* req, ek_forget_report* report) {
  CheckRequest(s, req, report);
  Config cfg = s->cfg;
  if (req->options_json) ReadUnlearnConfig(s->host, req->options_json, std::strlen(req->options_json), &cfg);
  const ForgetSet f = ResolveForgetSet(s, req);
  if (f.pairs.empty() && f.users.empty() && f.items.empty()) {
    // Only with EK_FORGET_SKIP_UNKNOWN: nothing named is held, so nothing changes and
    // nothing is recorded (request_id stays empty); the digest is the empty set's.
    if (report) {
      const uint32_t size = report->struct_size;
      *report = ek_forget_report{};
      report->struct_size = size;
      std::snprintf(report->digest, sizeof report->digest, "%s", f.digest.c_str());
    }
    return;
  }
  const std::string rid = req->request_id ? std::string(CheckId(req->request_id, "request->request_id", 0))
                                          : NextRequestId(s);
  const std::string started = NowJson();
  // One store transaction for the whole request: the data leaves the store and the
  // training set, the parameters are updated, the ledger records it; a crash or a
  // failure before the commit leaves the store as before the request.
  StoreTxn txn(s->host, s->store);
  ek_forget_report done{};
  RemoveData(s, f, (req->flags & EK_FORGET_KEEP_ROWS) != 0, &done);
  ++s->requests;
  const Model backup = s->model;
  TrainStats st;
  const bool ok = UpdateParameters(s, req->method, cfg, f, backup, &st);
  // 4. The updated parameters and the ledger entry, committed together. Cancelled:
  // the data is removed as asked, the parameters stay those from before the request,
  // and the ledger says so ("cancelled" entries count as pending_requests on load).
  if (s->store) {
    if (ok)
      SaveModel(s, &backup);
    else
      SaveMeta(s);  // the count, so that a load does not hand out this request's id again
    WriteLedgerEntry(s->host, s->store, s->name, rid, LedgerJson(req, f, ok ? "done" : "cancelled", started, st.seconds));
    txn.Commit();
  }
  if (!ok) Fail(EK_ERR_CANCELLED, "cancelled: the data was removed, the parameters are those from before the request");
  if (report) {
    report->interactions_removed = f.pairs.size();
    report->users_removed = done.users_removed;
    report->items_removed = done.items_removed;
    report->epochs = st.epochs;
    report->seconds = st.seconds;
    std::snprintf(report->request_id, sizeof report->request_id, "%s", rid.c_str());
    std::snprintf(report->digest, sizeof report->digest, "%s", f.digest.c_str());
  }
}

uint64_t PurgeKept(Instance* s) {
  std::vector<uint32_t> users, items;
  for (uint32_t u : s->kept_users)
    if (s->data.user_alive[u]) users.push_back(u);
  for (uint32_t i : s->kept_items)
    if (s->data.item_alive[i]) items.push_back(i);
  StoreTxn txn(s->host, s->store);
  RemoveRowsOf(s, users, items);
  s->kept_users.clear();
  s->kept_items.clear();
  if (s->model.trained) Trainer(s->env, s->cfg).Finalize(&s->model, s->data);
  if (s->store && s->model.trained) SaveModel(s);
  txn.Commit();
  return users.size() + items.size();
}

}  // namespace rec
