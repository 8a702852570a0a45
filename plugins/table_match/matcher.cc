// table_match: the matcher: the model variant and word vectors it uses, the two-stage
// logistic scoring, ranking, LLM hooks and the decision. See docs/table_match.md for the method.
#include "data_path.h"
#include "matcher_impl.h"
#include "decide.h"
#include "table_context.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace tmatch {

const char* SignalName(int s) {
  static const char* const kNames[kSignalCount] = {
      "name_char", "name_tok",  "desc_desc",   "doc_doc",   "name_desc",
      "desc_name", "table_sim", "name_bm25",   "tgt_cover", "src_cover",
      "exact_name", "type_compat", "key_match", "wv_name",  "wv_desc",
      "wv_align",   "wv_cover"};
  return s >= 0 && s < kSignalCount ? kNames[s] : "?";
}

const char* ContextName(int c) {
  static const char* const kNames[kContextCount] = {"table_row", "table_col", "ref_context",
                                                    "table_rank", "table_rank_col", "key_context"};
  return c >= 0 && c < kContextCount ? kNames[c] : "?";
}

const char* TableTermName(int q) {
  static const char* const kNames[kTableTermCount] = {"table_stage", "key_named", "outside_tables"};
  return q >= 0 && q < kTableTermCount ? kNames[q] : "?";
}

// ---- Matcher ---------------------------------------------------------------------------------
namespace {

const ek_text_api* TextApi(const ek_host* host) {
  if (host->struct_size >= offsetof(ek_host, text) + sizeof(host->text)) return host->text;
  return nullptr;
}

void Sigmoid(double z, float* out) { *out = static_cast<float>(1.0 / (1.0 + std::exp(-z))); }

// Config "wordvec", else $EMBEDKIT_GLOVE, else the GloVe table in a data folder found at
// run time (plugins/common/data_path.h); "" when there is none, which `host` (when
// given) is told about with the places looked in.
std::string WordVectorPath(const std::string& configured, const ek_host* host) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("EMBEDKIT_GLOVE"); env && *env) return env;
  std::string looked;
  std::string path = ek_plugin::FindDataFile(reinterpret_cast<const void*>(&ParseModel),
                                             ek_plugin::kGloveDataFile, &looked);
  if (path.empty() && host) {
    host->log(host, EK_LOG_WARN,
              ("table_match: no word-vector table (config \"wordvec\", EMBEDKIT_GLOVE or " +
               std::string(ek_plugin::kGloveDataFile) + " under EMBEDKIT_DATA_PATH; looked in: " +
               (looked.empty() ? "nowhere" : looked) + "); using the lexical model")
                  .c_str());
  }
  return path;
}

}  // namespace

Matcher::Matcher(const ek_host* host, Config config, Model model)
    : host_(host), config_(std::move(config)), model_(std::move(model)) {
  const ek_text_api* api = TextApi(host_);
  const std::string path = WordVectorPath(config_.wordvec_path, api ? host_ : nullptr);
  if (api && !path.empty() && path != "none") {
    auto w = std::make_unique<WordVectors>();
    w->api = api;
    char err[256] = {0};
    if (api->wordvec_open(path.c_str(), &w->table, err, sizeof err) == EK_OK) {
      w->dim = api->wordvec_dim(w->table);
      wv_ = std::move(w);
    } else {
      host_->log(host_, EK_LOG_WARN,
                 (std::string("table_match: word vectors unavailable (") + err +
                  "); using the lexical model")
                     .c_str());
    }
  }
  for (const ModelVariant& v : model_.variants) {
    if (!config_.variant.empty() && v.name != config_.variant) continue;
    if (v.needs_wordvec && !wv_) continue;
    variant_ = &v;
    break;
  }
  if (!variant_) {
    Fail(EK_ERR_NOT_FOUND, config_.variant.empty()
                               ? "no model variant usable without word vectors"
                               : "model variant '" + config_.variant +
                                     "' not found or needs word vectors that are unavailable");
  }
}

Matcher::~Matcher() = default;

void Matcher::SetHooks(const ek_matcher_llm_hooks* hooks) {
  if (!hooks) {
    has_hooks_ = false;
    hooks_ = {};
    return;
  }
  if (hooks->struct_size < sizeof(ek_matcher_llm_hooks))
    Fail(EK_ERR_ABI_MISMATCH, "hooks->struct_size is smaller than ek_matcher_llm_hooks");
  hooks_ = *hooks;
  if (!(hooks_.judge_weight > 0 && hooks_.judge_weight <= 1)) hooks_.judge_weight = 0.5f;
  if (hooks_.judge_top_n == 0) hooks_.judge_top_n = 5;
  has_hooks_ = hooks_.generate_context || hooks_.judge;
}

std::vector<std::string> Matcher::SignalNames() const {
  std::vector<std::string> n;
  for (int s : variant_->signals) n.push_back(SignalName(s));
  n.push_back("row_context");
  n.push_back("col_context");
  for (int c = 0; c < kContextCount; ++c) n.push_back(ContextName(c));
  for (int q = 0; q < kTableTermCount; ++q) n.push_back(TableTermName(q));
  return n;
}

// ---- Matcher::Match, stage by stage ----------------------------------------------------------
// Stage 2: the final score of every pair from its stage-1 logit, its gaps to the best of
// its row and column, and the table context.
Matcher::Impl::Stage2 Matcher::Impl::ScoreStage2(const ModelVariant& mv, const std::vector<float>& z,
                                                 const TableContext& tc, size_t S, size_t T) const {
  Stage2 r;
  r.rowmax.assign(S, -1e30f);
  r.colmax.assign(T, -1e30f);
  for (size_t s = 0; s < S; ++s)
    for (size_t t = 0; t < T; ++t) {
      const float v = z[s * T + t];
      r.rowmax[s] = std::max(r.rowmax[s], v);
      r.colmax[t] = std::max(r.colmax[t], v);
    }
  r.context_weights.assign(kContextCount, 0.0);
  for (size_t q = 0; q < mv.context.size(); ++q) r.context_weights[mv.context[q]] += mv.context_weights[q];
  r.score.resize(S * T);
  for (size_t s = 0; s < S; ++s)
    for (size_t t = 0; t < T; ++t) {
      const double zz = z[s * T + t];
      double logit = mv.a_z * zz + mv.a_row * (zz - r.rowmax[s]) + mv.a_col * (zz - r.colmax[t]) + mv.b2;
      if (!mv.context.empty()) {
        float cx[kContextCount];
        tc.Features(s, t, cx);
        for (int c = 0; c < kContextCount; ++c) logit += r.context_weights[c] * cx[c];
      }
      if (tables) {
        float tt[kTableTermCount];
        TableTerms(s, t, tt);
        const TableStageParams& p = mv.table_stage;
        logit += p.column_weight * tt[0] + p.key_weight * tt[1] - p.outside_penalty * tt[2];
      }
      Sigmoid(logit, &r.score[s * T + t]);
    }
  return r;
}

// Stage 1 for sources [s0, s1): the dense dots of the block against every target (one
// dot_many_many per family), then each pair's signals and logit.
void Matcher::Impl::ScoreBlock(const ModelVariant& mv, size_t s0, size_t s1, Stage1* out,
                               std::vector<float> (&m)[9]) const {
  const size_t n = s1 - s0, T = tgt.size();
  auto mm = [&](std::vector<float>& o, const std::vector<float>& A, const std::vector<float>& B,
                uint32_t d) {
    o.assign(n * T, 0.f);
    if (d) k->dot_many_many(&A[s0 * d], n, B.data(), T, d, o.data());
  };
  mm(m[0], ds.chr, dt.chr, ds.cd);
  mm(m[1], ds.name, dt.name, ds.wd);
  mm(m[2], ds.desc, dt.desc, ds.wd);
  mm(m[3], ds.doc, dt.doc, ds.wd);
  mm(m[4], ds.name, dt.desc, ds.wd);
  mm(m[5], ds.desc, dt.name, ds.wd);
  mm(m[6], ds.table, dt.table, ds.wd);
  mm(m[7], ds.wvn, dt.wvn, ds.vd);
  mm(m[8], ds.wvd, dt.wvd, ds.vd);
  float f[kSignalCount];
  for (size_t i = 0; i < n; ++i) {
    for (size_t t = 0; t < T; ++t) {
      float dense[9];
      for (int q = 0; q < 9; ++q) dense[q] = m[q][i * T + t];
      PairSignals(s0 + i, t, dense, f);
      if (!out->signals.empty())
        std::memcpy(&out->signals[((s0 + i) * T + t) * kSignalCount], f, sizeof f);
      double zz = mv.bias;
      for (size_t q = 0; q < mv.signals.size(); ++q) zz += mv.weights[q] * f[mv.signals[q]];
      out->z[(s0 + i) * T + t] = static_cast<float>(zz);
    }
  }
}

// Stage 1 logits for every pair, in blocks of sources.
Matcher::Impl::Stage1 Matcher::Impl::ScoreStage1(const ModelVariant& mv) const {
  const size_t S = src.size(), T = tgt.size();
  Stage1 out;
  out.z.resize(S * T);
  // Every pair's signals are kept for the explanations when they fit in 64 MiB
  // (recomputing them per candidate costs more than the scoring itself).
  const size_t kSig = static_cast<size_t>(kSignalCount);
  if (static_cast<double>(S) * static_cast<double>(T * kSig) <= 16.0 * 1024 * 1024)
    out.signals.resize(S * T * kSig);
  static constexpr size_t kBlock = 16;
  struct ScoreJob {
    const Impl* im;
    const ModelVariant* mv;
    Stage1* out;
    size_t blocks;
    std::atomic<bool> cancelled{false};
    std::atomic<size_t> done{0};
    // One report per block of sources (seconds in all on thousands of columns): the
    // host's progress bar, and a non-zero answer cancels like is_cancelled.
    void Report() {
      const size_t d = done.fetch_add(1, std::memory_order_relaxed) + 1;
      if (im->host->progress(im->host, "table_match scoring", d, blocks) != 0) cancelled = true;
    }
  } job{this, &mv, &out, (S + kBlock - 1) / kBlock};
  if (host->progress(host, "table_match scoring", 0, job.blocks) != 0) Fail(EK_ERR_CANCELLED, "cancelled");
  host->parallel_for(
      host, job.blocks, 1,
      [](void* u, size_t b0, size_t b1) {
        auto* j = static_cast<ScoreJob*>(u);
        const ek_host* h = j->im->host;
        std::vector<float> m[9];
        for (size_t b = b0; b < b1; ++b) {
          if (j->cancelled.load() || h->is_cancelled(h)) {
            j->cancelled = true;
            return;
          }
          const size_t s0 = b * kBlock;
          j->im->ScoreBlock(*j->mv, s0, std::min(j->im->src.size(), s0 + kBlock), j->out, m);
          j->Report();
        }
      },
      &job);
  if (job.cancelled.load()) Fail(EK_ERR_CANCELLED, "cancelled");
  return out;
}

// The judge hook re-scores the first judge_top_n candidates of source s (and their
// entries in `score_row`), then the list is sorted again.
void Matcher::Impl::Judge(const ek_matcher_llm_hooks& hooks, size_t s, std::vector<Candidate>* list,
                          float* score_row) const {
  const size_t n = std::min<size_t>(hooks.judge_top_n, list->size());
  ek_matcher_column a = View(src[s]);
  for (size_t r = 0; r < n; ++r) {
    Candidate& c = (*list)[r];
    ek_matcher_column b = View(tgt[c.target]);
    float p = -1;
    ek_status st = hooks.judge(hooks.user_data, &a, &b, &p);
    if (st != EK_OK)
      Fail(EK_ERR_PLUGIN, "judge failed for '" + src[s].id + "' with status " + std::to_string(st));
    if (!(p >= 0 && p <= 1))
      Fail(EK_ERR_PLUGIN, "judge returned a probability outside [0, 1] for '" + src[s].id + "'");
    c.judge = p;
    c.score = (1 - hooks.judge_weight) * c.model_score + hooks.judge_weight * p;
    score_row[c.target] = c.score;
  }
  std::stable_sort(list->begin(), list->end(), ByScore);
}

// Top candidates per source; judge hooks (when `judge` is set) re-score the best ones.
std::vector<std::vector<Candidate>> Matcher::Impl::Rank(std::vector<float>* score, uint32_t top_k,
                                                        const ek_matcher_llm_hooks* judge) const {
  const size_t S = src.size(), T = tgt.size();
  const size_t keep = std::min<size_t>(T, std::max<size_t>(top_k, judge ? judge->judge_top_n : 0));
  std::vector<std::vector<Candidate>> candidates(S);
  std::vector<uint32_t> idx(keep);
  std::vector<float> sc(keep);
  for (size_t s = 0; s < S; ++s) {
    const size_t got = k->top_k(&(*score)[s * T], T, keep, idx.data(), sc.data());
    auto& list = candidates[s];
    for (size_t r = 0; r < got; ++r) {
      Candidate c;
      c.target = idx[r];
      c.score = c.model_score = sc[r];
      list.push_back(std::move(c));
    }
    if (judge) Judge(*judge, s, &list, &(*score)[s * T]);
    if (list.size() > top_k) list.resize(top_k);
  }
  return candidates;
}

// Explanations: raw signals and their contributions to the final logit.
void Matcher::Impl::Explain(size_t s, Candidate* c, const ModelVariant& mv, const Stage1& s1,
                            const Stage2& s2, const TableContext& tc) const {
  const size_t T = tgt.size();
  float dense[9], f[kSignalCount];
  if (!s1.signals.empty()) {
    std::memcpy(f, &s1.signals[(s * T + c->target) * kSignalCount], sizeof f);
  } else {
    DenseOfPair(s, c->target, dense);
    PairSignals(s, c->target, dense, f);
  }
  const double zz = s1.z[s * T + c->target];
  const double scale = mv.a_z + mv.a_row + mv.a_col;
  for (size_t q = 0; q < mv.signals.size(); ++q) {
    c->signals.push_back(f[mv.signals[q]]);
    c->contributions.push_back(static_cast<float>(scale * mv.weights[q] * f[mv.signals[q]]));
  }
  c->signals.push_back(static_cast<float>(zz - s2.rowmax[s]));
  c->contributions.push_back(static_cast<float>(-mv.a_row * s2.rowmax[s]));
  c->signals.push_back(static_cast<float>(zz - s2.colmax[c->target]));
  c->contributions.push_back(static_cast<float>(-mv.a_col * s2.colmax[c->target]));
  float cx[kContextCount];
  tc.Features(s, c->target, cx);
  for (int q = 0; q < kContextCount; ++q) {
    c->signals.push_back(cx[q]);
    c->contributions.push_back(static_cast<float>(s2.context_weights[q] * cx[q]));
  }
  float tt[kTableTermCount] = {0, 0, 0};
  if (tables) TableTerms(s, c->target, tt);
  const TableStageParams& p = mv.table_stage;
  const double tw[kTableTermCount] = {p.column_weight, p.key_weight, -p.outside_penalty};
  for (int q = 0; q < kTableTermCount; ++q) {
    c->signals.push_back(tt[q]);
    c->contributions.push_back(tables ? static_cast<float>(tw[q] * tt[q]) : 0.f);
  }
}

namespace {

// Validates the options against the loaded sides; returns top_k (0 means 5).
uint32_t CheckMatchOptions(const ek_matcher_options& opt, size_t S, size_t T, size_t max_pairs) {
  if (S == 0) Fail(EK_ERR_INVALID_ARGUMENT, "no source columns loaded");
  if (T == 0) Fail(EK_ERR_INVALID_ARGUMENT, "no targets loaded (empty glossary?)");
  if (static_cast<double>(S) * static_cast<double>(T) > static_cast<double>(max_pairs)) {
    Fail(EK_ERR_LIMIT, std::to_string(S) + " sources x " + std::to_string(T) +
                           " targets exceed max_pairs (" + std::to_string(max_pairs) + ")");
  }
  const uint32_t top_k = opt.top_k ? opt.top_k : 5;
  if (top_k > 1024) Fail(EK_ERR_INVALID_ARGUMENT, "top_k must be 1..1024");
  if (opt.mode > EK_MATCHER_MODE_ONE_TO_ONE) Fail(EK_ERR_INVALID_ARGUMENT, "unknown mode");
  return top_k;
}

}  // namespace

std::unique_ptr<Result> Matcher::Match(const ek_matcher_options& opt) {
  const uint32_t top_k = CheckMatchOptions(opt, source_.size(), target_.size(), config_.max_pairs);
  const ModelVariant& mv = *variant_;
  const bool use_hooks = has_hooks_ && opt.use_llm;

  auto res = std::make_unique<Result>();
  Impl im{host_, host_->kernels, TextApi(host_), config_, wv_.get(), norm_, source_.columns(),
          target_.columns(), {}, {}, {}, {}, {}, {}, {}, {}, {}, 1, {}, {}, {}, {}, {}, {}, {}, {}};
  im.Prepare(use_hooks ? &hooks_ : nullptr);
  im.BuildAlign();
  if (host_->is_cancelled(host_)) Fail(EK_ERR_CANCELLED, "cancelled");

  // Dense vectors. Target vectors may come from the store cache.
  im.EncodeAll(&res->warnings);
  if (host_->is_cancelled(host_)) Fail(EK_ERR_CANCELLED, "cancelled");

  const Impl::Stage1 s1 = im.ScoreStage1(mv);
  // Stage 2: context of each pair within its row and column.
  const size_t S = im.src.size(), T = im.tgt.size();
  const TableContext tc(im.src, im.tgt, s1.z);
  if (mv.table_stage.enabled) im.BuildTables(mv.table_stage);
  Impl::Stage2 s2 = im.ScoreStage2(mv, s1.z, tc, S, T);

  const bool judging = use_hooks && hooks_.judge;
  res->candidates = im.Rank(&s2.score, top_k, judging ? &hooks_ : nullptr);
  for (size_t s = 0; s < S; ++s) {
    std::unordered_map<uint32_t, uint32_t> per_table;
    for (Candidate& c : res->candidates[s]) {
      im.Annotate(s, &c);
      if (im.tables) c.rank_in_table = per_table[im.ttab[c.target]]++;
    }
  }

  const float threshold = ChooseThreshold(res->candidates, opt, mv);
  if (opt.mode == EK_MATCHER_MODE_ONE_TO_MANY) {
    DecideOneToMany(&res->candidates, threshold, opt.max_matches ? opt.max_matches : mv.max_matches,
                    mv.table_stage.matches_per_table);
    if (im.tables && mv.table_stage.propagate_keys) im.PropagateKeyMatches(&res->candidates, s2.score);
  } else {
    DecideOneToOne(&res->candidates, s2.score, S, T, threshold);
    for (size_t s = 0; s < S; ++s)  // the assignment may have added a candidate
      for (Candidate& c : res->candidates[s]) im.Annotate(s, &c);
  }

  for (size_t s = 0; s < S; ++s)
    for (Candidate& c : res->candidates[s]) im.Explain(s, &c, mv, s1, s2, tc);
  res->sources = std::move(im.src);
  res->targets = std::move(im.tgt);
  res->signal_names = SignalNames();
  res->table_stage = im.tables != nullptr;
  res->variant = mv.name;
  res->threshold = threshold;
  res->mode = opt.mode;
  return res;
}

}  // namespace tmatch
