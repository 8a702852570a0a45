// embedkit.rec_unlearn: training, propagation, scoring and evaluation.
#include "model.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>

namespace rec {
namespace {

struct ParallelCtx {
  const std::function<void(size_t, size_t)>* body;
  std::exception_ptr error;
  std::mutex mu;
};

void Trampoline(void* user, size_t begin, size_t end) {
  auto* ctx = static_cast<ParallelCtx*>(user);
  try {
    (*ctx->body)(begin, end);
  } catch (...) {
    std::lock_guard<std::mutex> lock(ctx->mu);
    if (!ctx->error) ctx->error = std::current_exception();
  }
}

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// log(1 + exp(-x)) without overflow.
inline double Softplus(double x) {
  return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
}

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

constexpr uint32_t kWordsPerSample = 4;  // one Philox block: source pick, positive, 2 negative tries
constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEps = 1e-8f;

struct Adam {
  std::vector<float> m, v;
  void Resize(size_t n) {
    m.assign(n, 0.0f);
    v.assign(n, 0.0f);
  }
};

// r in [0, n) from a 32-bit random word (multiply-shift: no division).
inline uint32_t Below(uint32_t r, uint32_t n) { return uint32_t((uint64_t(r) * n) >> 32); }

// Draws sample s of an epoch: source, positive pair and a negative not among the
// user's positives. Returns false when no negative was found in the tries.
struct Draw {
  uint32_t u, i, j;
  const Source* src;
};

bool DrawSample(const uint32_t* r, const std::vector<Source>& sources,
                const std::vector<uint64_t>& prefix, const Data& d, const Csr& csr,
                Draw* out) {
  const uint64_t total = prefix.back();
  const uint64_t pick = total == 1 ? 0 : total <= UINT32_MAX ? Below(r[0], uint32_t(total)) : uint64_t(r[0]) % total;
  size_t s = 0;
  while (pick >= prefix[s + 1]) ++s;
  const Source& src = sources[s];
  const auto& pr = (*src.pairs)[Below(r[1], uint32_t(src.pairs->size()))];
  const uint32_t n_items = static_cast<uint32_t>(d.Items());
  // With one source the pick word is free for a third negative try.
  const int first = sources.size() == 1 ? 0 : 2;
  for (int t = first; t < 4; ++t) {
    if (t == 1) continue;
    const uint32_t j = Below(r[t], n_items);
    if (j == pr.second || !d.item_alive[j] || csr.Has(pr.first, j)) continue;
    *out = Draw{pr.first, pr.second, j, &src};
    return true;
  }
  return false;
}

// The per-sample BPR step is the kernel table's bpr_step (ek_kernels, plugin.h;
// sdk/kernels/bpr.cc on the CPU), so that a backend can take training over.
}  // namespace

// ---- Env --------------------------------------------------------------------------------

void Env::ParallelFor(size_t n, size_t grain,
                      const std::function<void(size_t, size_t)>& body) const {
  if (n == 0) return;
  ParallelCtx ctx{&body, nullptr, {}};
  host->parallel_for(host, n, grain, Trampoline, &ctx);
  if (ctx.error) std::rethrow_exception(ctx.error);
}

bool Env::Progress(const char* task, uint64_t done, uint64_t total) const {
  return host->progress(host, task, done, total) == 0 && !Cancelled();
}

// ---- Data -------------------------------------------------------------------------------

uint32_t Data::UserOf(std::string_view id, bool create) {
  auto it = user_index.find(std::string(id));
  if (it != user_index.end()) return it->second;
  if (!create) return UINT32_MAX;
  const uint32_t n = static_cast<uint32_t>(user_ids.size());
  user_ids.emplace_back(id);
  user_alive.push_back(1);
  user_index.emplace(std::string(id), n);
  return n;
}

uint32_t Data::ItemOf(std::string_view id, bool create) {
  auto it = item_index.find(std::string(id));
  if (it != item_index.end()) return it->second;
  if (!create) return UINT32_MAX;
  const uint32_t n = static_cast<uint32_t>(item_ids.size());
  item_ids.emplace_back(id);
  item_alive.push_back(1);
  item_index.emplace(std::string(id), n);
  has_features.push_back(0);
  texts.emplace_back();
  categorical.resize(item_ids.size() * cat_dim, 0.0f);
  return n;
}

void Data::AddOrUpdate(uint32_t u, uint32_t i, float w, int64_t t) {
  auto [it, inserted] = pair_row.emplace(Key(u, i), static_cast<uint32_t>(rows.size()));
  if (inserted) {
    rows.push_back(Interaction{u, i, w, t});
  } else {
    rows[it->second].w = w;
    rows[it->second].t = t;
  }
}

void Data::RemoveRows(const std::vector<uint8_t>& drop) {
  // In place: erase the dropped keys, renumber the rows that move (no rehash, no
  // allocation).
  size_t o = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    const uint64_t key = Key(rows[r].u, rows[r].i);
    if (drop[r]) {
      pair_row.erase(key);
      continue;
    }
    if (o != r) {
      pair_row.find(key)->second = uint32_t(o);
      rows[o] = rows[r];
    }
    ++o;
  }
  rows.resize(o);
}

void Csr::BuildUsers(const Data& d) {
  const size_t n = d.Users();
  off.assign(n + 1, 0);
  for (const auto& r : d.rows) ++off[r.u + 1];
  for (size_t u = 0; u < n; ++u) off[u + 1] += off[u];
  idx.assign(d.rows.size(), 0);
  std::vector<uint32_t> pos(off.begin(), off.end() - 1);
  for (const auto& r : d.rows) idx[pos[r.u]++] = r.i;
  for (size_t u = 0; u < n; ++u) std::sort(idx.begin() + off[u], idx.begin() + off[u + 1]);
  words = (d.Items() + 63) / 64;
  bits.clear();
  if (n && words && n * words * sizeof(uint64_t) <= kMaxBitsetBytes) {
    bits.assign(n * words, 0);
    for (const auto& r : d.rows) bits[r.u * words + r.i / 64] |= uint64_t(1) << (r.i % 64);
  }
}

bool Csr::Has(uint32_t u, uint32_t i) const {
  if (u + 1 >= off.size()) return false;
  if (!bits.empty()) return i / 64 < words && (bits[u * words + i / 64] >> (i % 64)) & 1;
  return std::binary_search(idx.begin() + off[u], idx.begin() + off[u + 1], i);
}

// ---- Graph for propagation ----------------------------------------------------------------

struct Trainer::Graph {
  // users -> (item, weight) and items -> (user, weight), weight = 1/sqrt(d_u d_i)
  std::vector<uint32_t> uoff, uidx, ioff, iidx;
  std::vector<float> uw, iw;
  void Build(const Data& d) {
    const size_t nu = d.Users(), ni = d.Items();
    std::vector<uint32_t> du(nu, 0), di(ni, 0);
    for (const auto& r : d.rows) {
      ++du[r.u];
      ++di[r.i];
    }
    uoff.assign(nu + 1, 0);
    ioff.assign(ni + 1, 0);
    for (size_t u = 0; u < nu; ++u) uoff[u + 1] = uoff[u] + du[u];
    for (size_t i = 0; i < ni; ++i) ioff[i + 1] = ioff[i] + di[i];
    uidx.resize(d.rows.size());
    iidx.resize(d.rows.size());
    uw.resize(d.rows.size());
    iw.resize(d.rows.size());
    std::vector<uint32_t> pu(uoff.begin(), uoff.end() - 1), pi(ioff.begin(), ioff.end() - 1);
    for (const auto& r : d.rows) {
      const float w = 1.0f / std::sqrt(float(du[r.u]) * float(di[r.i]));
      uidx[pu[r.u]] = r.i;
      uw[pu[r.u]++] = w;
      iidx[pi[r.i]] = r.u;
      iw[pi[r.i]++] = w;
    }
  }
};

void Trainer::Propagate(const Model& m, const Graph& g, const float* eu, const float* ei,
                        float* fu, float* fi) const {
  const size_t d = m.dim, nu = m.Users(), ni = m.Items();
  std::vector<float> cu(eu, eu + nu * d), ci(ei, ei + ni * d), nu_(nu * d), ni_(ni * d);
  std::memcpy(fu, eu, nu * d * sizeof(float));
  std::memcpy(fi, ei, ni * d * sizeof(float));
  for (uint32_t l = 0; l < m.layers; ++l) {
    env_.ParallelFor(nu, 64, [&](size_t b, size_t e) {
      for (size_t u = b; u < e; ++u) {
        float* out = nu_.data() + u * d;
        std::fill(out, out + d, 0.0f);
        for (uint32_t p = g.uoff[u]; p < g.uoff[u + 1]; ++p) {
          const float w = g.uw[p];
          const float* src = ci.data() + size_t(g.uidx[p]) * d;
          for (size_t k = 0; k < d; ++k) out[k] += w * src[k];
        }
      }
    });
    env_.ParallelFor(ni, 64, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        float* out = ni_.data() + i * d;
        std::fill(out, out + d, 0.0f);
        for (uint32_t p = g.ioff[i]; p < g.ioff[i + 1]; ++p) {
          const float w = g.iw[p];
          const float* src = cu.data() + size_t(g.iidx[p]) * d;
          for (size_t k = 0; k < d; ++k) out[k] += w * src[k];
        }
      }
    });
    cu.swap(nu_);
    ci.swap(ni_);
    for (size_t x = 0; x < nu * d; ++x) fu[x] += cu[x];
    for (size_t x = 0; x < ni * d; ++x) fi[x] += ci[x];
  }
  const float s = 1.0f / float(m.layers + 1);
  for (size_t x = 0; x < nu * d; ++x) fu[x] *= s;
  for (size_t x = 0; x < ni * d; ++x) fi[x] *= s;
}

void Trainer::Content(const Model& m, float* c) const {
  const size_t ni = m.Items(), d = m.dim;
  if (m.feat_dim == 0) {
    std::fill(c, c + ni * d, 0.0f);
    return;
  }
  env_.k()->matmul(m.X.data(), m.W.data(), ni, m.feat_dim, d, c);
}

// ---- Init / features ----------------------------------------------------------------------

void Trainer::Init(Model* m, const Data& d) const {
  m->dim = cfg_.dim;
  m->layers = cfg_.layers;
  const size_t nu = d.Users(), ni = d.Items(), dim = m->dim;
  auto fill = [&](std::vector<float>* v, size_t n, uint64_t stream, double std) {
    v->resize(n);
    // Box-Muller over Philox words: the same parameters on every platform.
    std::vector<uint32_t> r((n + 1) & ~size_t(1));
    if (!r.empty()) env_.Random(Mix(cfg_.seed ^ (stream * 0x9e3779b97f4a7c15ull)), 0, r.data(), r.size());
    for (size_t x = 0; x < n; x += 2) {
      const double a = (double(r[x]) + 1.0) / 4294967297.0;
      const double b = double(r[x + 1]) / 4294967296.0;
      const double rad = std::sqrt(-2.0 * std::log(a));
      (*v)[x] = float(std * rad * std::cos(2 * M_PI * b));
      if (x + 1 < n) (*v)[x + 1] = float(std * rad * std::sin(2 * M_PI * b));
    }
  };
  fill(&m->P, nu * dim, 1, cfg_.init_std);
  fill(&m->Q, ni * dim, 2, cfg_.init_std);
  fill(&m->W, size_t(m->feat_dim) * dim, 3, cfg_.init_std);
  m->trained = false;
}

void Trainer::SetFeatures(Model* m, const Data& d, const std::vector<float>& text_vecs,
                          uint32_t text_dim) const {
  m->cat_dim = cfg_.use_categorical ? d.cat_dim : 0;
  m->text_dim = text_dim;
  m->feat_dim = m->cat_dim + m->text_dim;
  const size_t ni = d.Items();
  m->X.assign(ni * m->feat_dim, 0.0f);
  for (size_t i = 0; i < ni; ++i) {
    if (!d.has_features[i] || !d.item_alive[i]) continue;
    float* x = m->X.data() + i * m->feat_dim;
    if (m->cat_dim) {
      // flags scaled to unit norm so that items with many genres do not dominate
      double n2 = 0;
      for (uint32_t c = 0; c < m->cat_dim; ++c) n2 += double(d.categorical[i * d.cat_dim + c]) * d.categorical[i * d.cat_dim + c];
      const float s = n2 > 0 ? float(1.0 / std::sqrt(n2)) : 0.0f;
      for (uint32_t c = 0; c < m->cat_dim; ++c) x[c] = d.categorical[i * d.cat_dim + c] * s;
    }
    if (text_dim) std::memcpy(x + m->cat_dim, text_vecs.data() + i * text_dim, text_dim * sizeof(float));
  }
}

void Trainer::Finalize(Model* m, const Data& d) const {
  const size_t nu = m->Users(), ni = m->Items(), dim = m->dim;
  std::vector<float> c(ni * dim);
  Content(*m, c.data());
  std::vector<float> ei(ni * dim);
  for (size_t x = 0; x < ni * dim; ++x) ei[x] = m->Q[x] + c[x];
  m->Fu.resize(nu * dim);
  m->Fi.resize(ni * dim);
  if (m->layers == 0) {
    m->Fu = m->P;
    m->Fi = std::move(ei);
  } else {
    Graph g;
    g.Build(d);
    Propagate(*m, g, m->P.data(), ei.data(), m->Fu.data(), m->Fi.data());
  }
}

// ---- Training -----------------------------------------------------------------------------

bool Trainer::Run(Model* m, const Data& d, const std::vector<Source>& sources, uint32_t epochs,
                  double lr, double reg, uint64_t seed, const char* task,
                  TrainStats* stats) const {
  Csr csr;
  csr.BuildUsers(d);
  const auto t0 = std::chrono::steady_clock::now();
  const bool ok = m->layers == 0
                      ? RunSample(m, d, csr, sources, epochs, lr, reg, seed, task, stats)
                      : RunGraph(m, d, csr, sources, epochs, lr, reg, seed, task, stats);
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (ok) Finalize(m, d);
  return ok;
}

// Early stop on the forget objective: the share of this epoch's reverse-term samples
// whose forgotten item still scored above its random negative (a sampled AUC of the
// forget set, measured before each step) has reached cfg.forget_auc.
bool Trainer::StopEarly(uint64_t reverse, uint64_t above, TrainStats* stats) const {
  if (reverse == 0) return false;
  stats->forget_auc = double(above) / double(reverse);
  return cfg_.forget_auc > 0 && stats->forget_auc <= cfg_.forget_auc;
}

bool Trainer::RunSample(Model* m, const Data& d, const Csr& csr,
                        const std::vector<Source>& sources, uint32_t epochs, double lr_d,
                        double reg_d, uint64_t seed, const char* task, TrainStats* stats) const {
  const size_t dim = m->dim, ni = m->Items(), F = m->feat_dim;
  std::vector<uint64_t> prefix{0};
  for (const auto& s : sources) prefix.push_back(prefix.back() + (s.pairs->empty() ? 0 : s.samples));
  const uint64_t total = prefix.back();
  if (total == 0) return true;
  const bool adam = cfg_.optimizer == "adam";
  const float lr = float(lr_d), reg = float(reg_d);
  Adam aP, aQ, aW;
  if (adam) {
    aP.Resize(m->P.size());
    aQ.Resize(m->Q.size());
    aW.Resize(m->W.size());
  }
  // Item content c = X W is held fixed inside a block of samples; its gradient is
  // accumulated per item (G) and applied to W at the block's end (VBPR projection).
  std::vector<float> C(F ? ni * dim : 0), G(F ? ni * dim : 0), XT, gW;
  if (F) {
    XT.resize(F * ni);
    for (size_t i = 0; i < ni; ++i)
      for (size_t f = 0; f < F; ++f) XT[f * ni + i] = m->X[i * F + f];
    gW.resize(F * dim);
  }
  const uint64_t block = F ? 8192 : total;
  const auto bpr_step = env_.k()->bpr_step;
  const uint32_t threads = std::max<uint32_t>(1, env_.Threads());
  const size_t grain = std::max<size_t>(256, std::min<size_t>(4096, size_t(block / (threads * 4) + 1)));
  // A GPU backend's bpr_step copies the rows over the bus on every call, so it wants
  // large blocks one at a time (sdk/cuda/table.cc takes blocks from 65,536 triples):
  // the triples are drawn on the host's threads, then stepped in calls of up to
  // kDeviceCall. Otherwise (the CPU, blocks with content of 8,192 triples, small
  // epochs) each thread steps its triples as they are drawn (Hogwild over threads).
  constexpr uint64_t kDeviceCall = uint64_t{1} << 22, kDeviceMin = uint64_t{1} << 16;
  const bool device_calls = std::strcmp(env_.k()->backend, "cpu") != 0 && block >= kDeviceMin;
  int wstep = 0;

  for (uint32_t ep = 0; ep < epochs; ++ep) {
    const uint64_t key = Mix(seed * 0x9e3779b97f4a7c15ull + ep + 1);
    const float t = float(ep + 1);
    const float bc1 = 1.0f - std::pow(kBeta1, t), bc2 = 1.0f - std::pow(kBeta2, t);
    std::atomic<double> loss_sum{0.0};
    std::atomic<uint64_t> done{0}, rev{0}, rev_above{0};
    for (uint64_t b0 = 0; b0 < total; b0 += block) {
      const uint64_t b1 = std::min(total, b0 + block);
      if (F) {
        Content(*m, C.data());
        std::fill(G.begin(), G.end(), 0.0f);
      }
      ek_bpr_params args{sizeof(ek_bpr_params), uint32_t(dim), uint32_t(m->Users()), uint32_t(ni),
                         m->P.data(), m->Q.data(), F ? C.data() : nullptr, F ? G.data() : nullptr,
                         adam ? aP.m.data() : nullptr, adam ? aP.v.data() : nullptr,
                         adam ? aQ.m.data() : nullptr, adam ? aQ.v.data() : nullptr,
                         lr, reg, lr * std::sqrt(bc2) / bc1, kBeta1, kBeta2, kEps};
      // Samples [b0 + b, b0 + e) of the epoch, appended to tr (the same triples
      // whichever way the block is cut: each sample has its own random words).
      auto draw = [&](size_t b, size_t e, std::vector<ek_bpr_triple>* tr) {
        std::vector<uint32_t> r((e - b) * kWordsPerSample);
        env_.Random(key, (b0 + b) * (kWordsPerSample / 4), r.data(), r.size());
        for (size_t s = 0; s < e - b; ++s) {
          Draw dr;
          if (!DrawSample(r.data() + s * kWordsPerSample, sources, prefix, d, csr, &dr)) continue;
          tr->push_back(ek_bpr_triple{dr.u, dr.i, dr.j, dr.src->sign, dr.src->weight});
        }
      };
      auto step = [&](const std::vector<ek_bpr_triple>& tr) {
        uint64_t reverse[2] = {0, 0};
        const double local_loss = bpr_step(&args, tr.data(), tr.size(), reverse);
        if (std::isnan(local_loss))  // the table refused the block: a bug here, not bad input
          throw std::logic_error("the kernel table's bpr_step refused a block of " + std::to_string(tr.size()) +
                                 " triples (dim " + std::to_string(dim) + ")");
        rev.fetch_add(reverse[0]);
        rev_above.fetch_add(reverse[1]);
        // CAS loop: emscripten 3.1.6's libc++ has no atomic<double>::fetch_add.
        for (double cur = loss_sum.load(); !loss_sum.compare_exchange_weak(cur, cur + local_loss);) {
        }
        done.fetch_add(tr.size());
      };
      if (!device_calls) {
        env_.ParallelFor(size_t(b1 - b0), grain, [&](size_t b, size_t e) {
          std::vector<ek_bpr_triple> tr;
          tr.reserve(e - b);
          draw(b, e, &tr);
          step(tr);
        });
      } else {
        for (uint64_t c0 = 0; c0 < b1 - b0; c0 += kDeviceCall) {
          const size_t c1 = size_t(std::min<uint64_t>(b1 - b0, c0 + kDeviceCall));
          const size_t parts = (c1 - size_t(c0) + grain - 1) / grain;
          std::vector<std::vector<ek_bpr_triple>> part(parts);
          env_.ParallelFor(parts, 1, [&](size_t p0, size_t p1) {
            for (size_t p = p0; p < p1; ++p)
              draw(size_t(c0) + p * grain, std::min(c1, size_t(c0) + (p + 1) * grain), &part[p]);
          });
          std::vector<ek_bpr_triple> tr;
          for (auto& p : part) tr.insert(tr.end(), p.begin(), p.end());
          step(tr);
        }
      }
      if (F) {
        env_.k()->matmul(XT.data(), G.data(), F, ni, dim, gW.data());
        ++wstep;
        if (!adam) {
          for (size_t x = 0; x < gW.size(); ++x) m->W[x] -= lr * (gW[x] + reg * m->W[x]);
        } else {
          const float wb1 = 1.0f - std::pow(kBeta1, float(wstep));
          const float wb2 = 1.0f - std::pow(kBeta2, float(wstep));
          const float step = lr * std::sqrt(wb2) / wb1;
          for (size_t x = 0; x < gW.size(); ++x) {
            const float gw = gW[x] + reg * m->W[x];
            aW.m[x] = kBeta1 * aW.m[x] + (1 - kBeta1) * gw;
            aW.v[x] = kBeta2 * aW.v[x] + (1 - kBeta2) * gw * gw;
            m->W[x] -= step * aW.m[x] / (std::sqrt(aW.v[x]) + kEps);
          }
        }
      }
      if (env_.Cancelled()) return false;
    }
    stats->epochs = ep + 1;
    stats->samples += done.load();
    stats->last_loss = done.load() ? loss_sum.load() / double(done.load()) : 0.0;
    if (!env_.Progress(task, ep + 1, epochs)) return false;
    if (StopEarly(rev.load(), rev_above.load(), stats)) break;
  }
  return true;
}

bool Trainer::RunGraph(Model* m, const Data& d, const Csr& csr,
                       const std::vector<Source>& sources, uint32_t epochs, double lr_d,
                       double reg_d, uint64_t seed, const char* task, TrainStats* stats) const {
  const size_t dim = m->dim, nu = m->Users(), ni = m->Items(), F = m->feat_dim;
  std::vector<uint64_t> prefix{0};
  for (const auto& s : sources) prefix.push_back(prefix.back() + (s.pairs->empty() ? 0 : s.samples));
  const uint64_t total = prefix.back();
  if (total == 0) return true;
  Graph g;
  g.Build(d);
  const bool adam = cfg_.optimizer == "adam";
  const float lr = float(lr_d), reg = float(reg_d);
  Adam aP, aQ, aW;
  if (adam) {
    aP.Resize(m->P.size());
    aQ.Resize(m->Q.size());
    aW.Resize(m->W.size());
  }
  std::vector<float> C(ni * dim), Ei(ni * dim), Fu(nu * dim), Fi(ni * dim), dFu(nu * dim),
      dFi(ni * dim), dEu(nu * dim), dEi(ni * dim), gW(F * dim), XT(F * ni);
  for (size_t i = 0; i < ni; ++i)
    for (size_t f = 0; f < F; ++f) XT[f * ni + i] = m->X[i * F + f];
  const uint64_t B = std::max<uint32_t>(1, cfg_.batch);
  uint64_t step_no = 0;
  auto adam_update = [&](std::vector<float>& p, Adam& a, const std::vector<float>& grad,
                         float bc1, float bc2) {
    const float step = lr * std::sqrt(bc2) / bc1;
    env_.ParallelFor(p.size(), 4096, [&](size_t b, size_t e) {
      for (size_t x = b; x < e; ++x) {
        const float gr = grad[x] + reg * p[x];
        if (adam) {
          a.m[x] = kBeta1 * a.m[x] + (1 - kBeta1) * gr;
          a.v[x] = kBeta2 * a.v[x] + (1 - kBeta2) * gr * gr;
          p[x] -= step * a.m[x] / (std::sqrt(a.v[x]) + kEps);
        } else {
          p[x] -= lr * gr;
        }
      }
    });
  };
  for (uint32_t ep = 0; ep < epochs; ++ep) {
    const uint64_t key = Mix(seed * 0x9e3779b97f4a7c15ull + ep + 1);
    double loss_sum = 0;
    uint64_t done = 0, rev = 0, rev_above = 0;
    for (uint64_t b0 = 0; b0 < total; b0 += B) {
      const uint64_t b1 = std::min(total, b0 + B);
      Content(*m, C.data());
      for (size_t x = 0; x < ni * dim; ++x) Ei[x] = m->Q[x] + C[x];
      Propagate(*m, g, m->P.data(), Ei.data(), Fu.data(), Fi.data());
      std::fill(dFu.begin(), dFu.end(), 0.0f);
      std::fill(dFi.begin(), dFi.end(), 0.0f);
      std::vector<uint32_t> r((b1 - b0) * kWordsPerSample);
      env_.Random(key, b0 * (kWordsPerSample / 4), r.data(), r.size());
      uint64_t n_batch = 0;
      for (uint64_t s = 0; s < b1 - b0; ++s) {
        Draw dr;
        if (!DrawSample(r.data() + s * kWordsPerSample, sources, prefix, d, csr, &dr)) continue;
        const float* fu = Fu.data() + size_t(dr.u) * dim;
        const float* fi = Fi.data() + size_t(dr.i) * dim;
        const float* fj = Fi.data() + size_t(dr.j) * dim;
        float diff = 0;
        for (size_t k = 0; k < dim; ++k) diff += fu[k] * (fi[k] - fj[k]);
        if (dr.src->sign < 0) {
          ++rev;
          rev_above += diff > 0;
        }
        const float x = dr.src->sign * diff;
        loss_sum += dr.src->weight * Softplus(x);
        const float gg = dr.src->weight * dr.src->sign * Sigmoid(-x);
        float* du = dFu.data() + size_t(dr.u) * dim;
        float* di = dFi.data() + size_t(dr.i) * dim;
        float* dj = dFi.data() + size_t(dr.j) * dim;
        for (size_t k = 0; k < dim; ++k) {
          du[k] -= gg * (fi[k] - fj[k]);
          di[k] -= gg * fu[k];
          dj[k] += gg * fu[k];
        }
        ++n_batch;
      }
      if (n_batch == 0) continue;
      done += n_batch;
      const float inv = 1.0f / float(n_batch);
      for (auto& v : dFu) v *= inv;
      for (auto& v : dFi) v *= inv;
      // final = mean_l A^l E and A is symmetric: the gradient goes back the same way.
      Propagate(*m, g, dFu.data(), dFi.data(), dEu.data(), dEi.data());
      ++step_no;
      const float bc1 = 1.0f - std::pow(kBeta1, float(step_no));
      const float bc2 = 1.0f - std::pow(kBeta2, float(step_no));
      adam_update(m->P, aP, dEu, bc1, bc2);
      adam_update(m->Q, aQ, dEi, bc1, bc2);
      if (F) {
        env_.k()->matmul(XT.data(), dEi.data(), F, ni, dim, gW.data());
        adam_update(m->W, aW, gW, bc1, bc2);
      }
      if (env_.Cancelled()) return false;
    }
    stats->epochs = ep + 1;
    stats->samples += done;
    stats->last_loss = done ? loss_sum / double(done) : 0.0;
    if (!env_.Progress(task, ep + 1, epochs)) return false;
    if (StopEarly(rev, rev_above, stats)) break;
  }
  return true;
}

// ---- Scoring and evaluation ---------------------------------------------------------------

size_t ScoreAll(const Env& env, const Model& m, const Data& d, const Csr* seen, uint32_t u,
                float* out) {
  const size_t ni = m.Items();
  env.k()->dot_many(m.Fu.data() + size_t(u) * m.dim, m.Fi.data(), ni, m.dim, out);
  const float ninf = -std::numeric_limits<float>::infinity();
  size_t candidates = 0;
  for (size_t i = 0; i < ni; ++i) {
    if (!d.item_alive[i]) out[i] = ninf;
  }
  if (seen && u + 1 < seen->off.size()) {
    for (uint32_t p = seen->off[u]; p < seen->off[u + 1]; ++p) out[seen->idx[p]] = ninf;
  }
  for (size_t i = 0; i < ni; ++i) candidates += out[i] != ninf;
  return candidates;
}

Metrics Evaluate(const Env& env, const Model& m, const Data& d, const Csr& seen,
                 const std::vector<std::pair<uint32_t, uint32_t>>& pairs, size_t k,
                 bool exclude_seen) {
  Metrics out;
  // group pairs by user
  std::vector<std::pair<uint32_t, uint32_t>> sorted = pairs;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<size_t> starts;
  for (size_t p = 0; p < sorted.size(); ++p)
    if (p == 0 || sorted[p].first != sorted[p - 1].first) starts.push_back(p);
  starts.push_back(sorted.size());
  const size_t groups = starts.size() - 1;
  struct Acc {
    double recall = 0, ndcg = 0, hits = 0, rank = 0;
    uint64_t users = 0, pairs = 0, skipped = 0;
  };
  std::vector<Acc> acc(groups);
  const size_t ni = m.Items();
  const float ninf = -std::numeric_limits<float>::infinity();
  env.ParallelFor(groups, 8, [&](size_t b, size_t e) {
    std::vector<float> scores(ni);
    std::vector<uint32_t> top(k);
    std::vector<float> top_s(k);
    for (size_t gi = b; gi < e; ++gi) {
      // One user scores every item: poll per user so Ctrl-C stops a large evaluation.
      if (env.Cancelled()) return;
      Acc& a = acc[gi];
      const uint32_t u = sorted[starts[gi]].first;
      ScoreAll(env, m, d, exclude_seen ? &seen : nullptr, u, scores.data());
      std::vector<uint32_t> rel;
      for (size_t p = starts[gi]; p < starts[gi + 1]; ++p) {
        const uint32_t i = sorted[p].second;
        if (scores[i] == ninf) {
          ++a.skipped;
          continue;
        }
        rel.push_back(i);
      }
      if (rel.empty()) continue;
      const size_t got = env.k()->top_k(scores.data(), ni, k, top.data(), top_s.data());
      double dcg = 0, idcg = 0;
      size_t hits = 0;
      for (size_t r = 0; r < got; ++r) {
        if (top_s[r] == ninf) break;
        if (std::binary_search(rel.begin(), rel.end(), top[r])) {
          ++hits;
          dcg += 1.0 / std::log2(double(r) + 2.0);
        }
      }
      for (size_t r = 0; r < std::min(k, rel.size()); ++r) idcg += 1.0 / std::log2(double(r) + 2.0);
      a.users = 1;
      a.recall = double(hits) / double(rel.size());
      a.ndcg = idcg > 0 ? dcg / idcg : 0;
      a.hits = double(hits);
      for (uint32_t i : rel) {
        const float s = scores[i];
        uint64_t rank = 1;
        for (size_t j = 0; j < ni; ++j) rank += (scores[j] > s) || (scores[j] == s && j < i);
        a.rank += double(rank);
      }
      a.pairs = rel.size();
    }
  });
  if (env.Cancelled()) Fail(EK_ERR_CANCELLED, "cancelled");
  double hits = 0, rank = 0;
  for (const auto& a : acc) {
    out.recall += a.recall;
    out.ndcg += a.ndcg;
    out.users += a.users;
    out.pairs += a.pairs;
    out.skipped += a.skipped;
    hits += a.hits;
    rank += a.rank;
  }
  if (out.users) {
    out.recall /= double(out.users);
    out.ndcg /= double(out.users);
  }
  if (out.pairs) {
    out.hit_rate = hits / double(out.pairs);
    out.mean_rank = rank / double(out.pairs);
  }
  return out;
}

}  // namespace rec
