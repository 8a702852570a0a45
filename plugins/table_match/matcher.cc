// table_match: signals, the two-stage logistic model, ranking, assignment, LLM hooks
// and the glossary-vector cache. See docs/table_match.md for the method.
#include "json_quote.h"
#include "json_syntax.h"
#include "data_path.h"
#include "matcher.h"
#include "decide.h"
#include "keys.h"

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

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

// ---- Model -------------------------------------------------------------------------------
namespace {

// "signals" and "weights": equal-length arrays of signal names and numbers.
void ParseSignals(const simdjson::dom::element& v, ModelVariant* mv) {
  simdjson::dom::array sigs, ws;
  if (v["signals"].get(sigs) || v["weights"].get(ws) || sigs.size() != ws.size()) {
    Fail(EK_ERR_PARSE, "model JSON: variant '" + mv->name + "' needs signals and weights of equal length");
  }
  for (auto s : sigs) {
    std::string_view sn;
    if (s.get(sn)) Fail(EK_ERR_PARSE, "model JSON: signal names are strings");
    int idx = -1;
    for (int k = 0; k < kSignalCount; ++k)
      if (sn == SignalName(k)) idx = k;
    if (idx < 0) Fail(EK_ERR_PARSE, "model JSON: unknown signal '" + std::string(sn) + "'");
    if (idx == kWvName || idx == kWvDesc || idx == kWvAlign || idx == kWvCover)
      mv->needs_wordvec = true;
    mv->signals.push_back(idx);
  }
  for (auto w : ws) {
    double d;
    if (w.get(d)) Fail(EK_ERR_PARSE, "model JSON: weights are numbers");
    mv->weights.push_back(d);
  }
}

// "context" and "context_weights" (stage 2), both or neither.
void ParseContext(const simdjson::dom::element& v, ModelVariant* mv) {
  simdjson::dom::array ctx, cws;
  const bool has_ctx = !v["context"].get(ctx);
  const bool has_cws = !v["context_weights"].get(cws);
  if (has_ctx != has_cws || (has_ctx && ctx.size() != cws.size())) {
    Fail(EK_ERR_PARSE, "model JSON: variant '" + mv->name +
                           "' needs context and context_weights of equal length");
  }
  if (!has_ctx) return;
  for (auto c : ctx) {
    std::string_view cn;
    if (c.get(cn)) Fail(EK_ERR_PARSE, "model JSON: context names are strings");
    int idx = -1;
    for (int k = 0; k < kContextCount; ++k)
      if (cn == ContextName(k)) idx = k;
    if (idx < 0) Fail(EK_ERR_PARSE, "model JSON: unknown context '" + std::string(cn) + "'");
    mv->context.push_back(idx);
  }
  for (auto w : cws) {
    double d;
    if (w.get(d)) Fail(EK_ERR_PARSE, "model JSON: context weights are numbers");
    mv->context_weights.push_back(d);
  }
}

// "table_stage" (optional): the hand-set parameters of stage A; present = on.
void ParseTableStage(const simdjson::dom::element& v, ModelVariant* mv) {
  simdjson::dom::object ts;
  if (v["table_stage"].get(ts)) return;
  TableStageParams& p = mv->table_stage;
  p.enabled = true;
  for (auto [key, value] : ts) {
    double d;
    if (value.get(d)) Fail(EK_ERR_PARSE, "model JSON: table_stage." + std::string(key) + " must be a number");
    if (key == "wordvec_weight") p.wordvec_weight = d;
    else if (key == "flood_weight") p.flood_weight = d;
    else if (key == "flood_iterations") p.flood_iterations = static_cast<uint32_t>(std::clamp(d, 0.0, 100.0));
    else if (key == "top_tables") p.top_tables = static_cast<uint32_t>(std::clamp(d, 1.0, 1e6));
    else if (key == "column_weight") p.column_weight = d;
    else if (key == "key_weight") p.key_weight = d;
    else if (key == "outside_penalty") p.outside_penalty = d;
    else if (key == "matches_per_table") p.matches_per_table = static_cast<uint32_t>(std::clamp(d, 0.0, 1024.0));
    else if (key == "propagate_keys") p.propagate_keys = d != 0;
    else if (key == "key_agreement") p.key_agreement = d != 0;
    else Fail(EK_ERR_PARSE, "model JSON: unknown table_stage key '" + std::string(key) + "'");
  }
}

ModelVariant ParseVariant(const simdjson::dom::element& v) {
  ModelVariant mv;
  std::string_view name;
  if (v["name"].get(name)) Fail(EK_ERR_PARSE, "model JSON: a variant has no name");
  mv.name = std::string(name);
  ParseSignals(v, &mv);
  auto num = [&](const char* key, double* out) {
    double d;
    if (!v[key].get(d)) *out = d;
  };
  num("bias", &mv.bias);
  num("a_z", &mv.a_z);
  num("a_row", &mv.a_row);
  num("a_col", &mv.a_col);
  num("b2", &mv.b2);
  num("threshold", &mv.threshold);
  num("match_fraction", &mv.match_fraction);
  if (!(mv.match_fraction > 0 && mv.match_fraction <= 1))
    Fail(EK_ERR_PARSE, "model JSON: match_fraction must be in (0, 1]");
  ParseContext(v, &mv);
  ParseTableStage(v, &mv);
  double mm = mv.max_matches;
  num("max_matches", &mm);
  mv.max_matches = static_cast<uint32_t>(std::clamp(mm, 1.0, 1024.0));
  return mv;
}

}  // namespace

Model ParseModel(const ek_host* host, std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root)) {
    Fail(EK_ERR_PARSE, "model JSON: " + ek_plugin::JsonSyntaxError(host, json, simdjson::error_message(err)));
  }
  Model m;
  simdjson::dom::array variants;
  if (root["variants"].get(variants)) Fail(EK_ERR_PARSE, "model JSON: no \"variants\" array");
  for (auto v : variants) m.variants.push_back(ParseVariant(v));
  if (m.variants.empty()) Fail(EK_ERR_PARSE, "model JSON: no variants");
  return m;
}

// ---- Word vectors through ek_host::text ----------------------------------------------------
struct WordVectors {
  const ek_text_api* api = nullptr;
  ek_wordvec* table = nullptr;
  uint32_t dim = 0;
  ~WordVectors() {
    if (api && table) api->wordvec_close(table);
  }
  const float* Find(const std::string& w) const {
    int64_t i = api->wordvec_find(table, w.data(), w.size());
    return i < 0 ? nullptr : api->wordvec_vector(table, static_cast<uint64_t>(i));
  }
  int64_t Index(const std::string& w) const { return api->wordvec_find(table, w.data(), w.size()); }
};

namespace {

const ek_text_api* TextApi(const ek_host* host) {
  if (host->struct_size >= offsetof(ek_host, text) + sizeof(host->text)) return host->text;
  return nullptr;
}

uint64_t Fnv(std::string_view s, uint64_t seed = 1469598103934665603ull) {
  uint64_t h = seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Semantic kinds inferred from the declared type and the name's last word.
enum Kind { kUnknown, kTemporal, kIdentifier, kNumeric, kText };

Kind InferKind(const std::vector<std::string>& words, const std::string& type, bool key) {
  const std::string t = Lower(type);
  const std::string last = words.empty() ? "" : words.back();
  static const std::unordered_set<std::string> kTime = {
      "date", "time", "datetime", "timestamp", "year", "day", "month", "dob", "dod", "hour"};
  static const std::unordered_set<std::string> kId = {"id", "identifier", "key", "uid", "pk", "fk"};
  static const std::unordered_set<std::string> kNum = {
      "amount", "quantity", "count", "balance", "price", "cost", "length", "weight", "height",
      "rate", "total", "size", "age", "minutes", "seconds", "duration", "score", "dose",
      "high", "low", "upper", "lower", "minimum", "maximum", "percent", "assets"};
  static const std::unordered_set<std::string> kTxt = {
      "name", "description", "text", "note", "comment", "title", "address", "code", "type",
      "status", "label", "category", "source", "location", "route", "unit", "gender",
      "language", "phone", "email", "city", "state", "country", "mobileno", "reason"};
  if (kTime.count(last) || t.find("date") != std::string::npos || t.find("time") != std::string::npos)
    return kTemporal;
  if (kId.count(last) || key) return kIdentifier;
  if (kNum.count(last) || t.find("int") != std::string::npos || t.find("dec") != std::string::npos ||
      t.find("num") != std::string::npos || t.find("float") != std::string::npos ||
      t.find("double") != std::string::npos || t.find("real") != std::string::npos ||
      t.find("money") != std::string::npos)
    return kNumeric;
  if (kTxt.count(last) || t.find("char") != std::string::npos || t.find("text") != std::string::npos)
    return kText;
  return kUnknown;
}

float KindCompat(Kind a, Kind b) {
  if (a == kUnknown || b == kUnknown) return 0.5f;
  if (a == b) return 1.0f;
  if (a == kTemporal || b == kTemporal) return 0.0f;
  if ((a == kIdentifier && b == kNumeric) || (a == kNumeric && b == kIdentifier)) return 0.3f;
  return 0.2f;
}

// Words of free text through the shared tokenizer (identifiers inside text split too).
std::vector<std::string> TextWords(const ek_text_api* api, std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  if (api) {
    ek_tokenize_options o;
    api->tokenize_options_init(&o);
    o.flags = EK_TEXT_LOWERCASE;
    struct Ctx {
      std::vector<std::string>* out;
    } ctx{&out};
    api->tokenize_each(text.data(), text.size(), &o,
                       [](void* u, const char* tok, size_t len) -> int32_t {
                         auto* c = static_cast<Ctx*>(u);
                         for (auto& p : SplitIdentifier(std::string_view(tok, len)))
                           c->out->push_back(std::move(p));
                         return 0;
                       },
                       &ctx);
    return out;
  }
  return RawWords(text);
}

struct Prepared {
  std::vector<std::string> name_words;  // expanded, unstemmed
  std::string name_string;              // name_words joined by ' '
  std::vector<std::string> syn_strings; // normalised synonyms
  std::vector<std::string> name_stems, desc_stems, table_stems, tdesc_stems;
  std::vector<std::string> name_uniq;   // name_stems without repeats
  std::vector<float> name_uniq_idf;     // their IDF (set after the IDF is built)
  std::vector<std::string> desc_words;  // unstemmed content words (word vectors)
  std::vector<std::string> base_words;  // name words before synonyms (explanations)
  Kind kind = kUnknown;
  bool id_like = false;
};

std::vector<std::string> Stems(const std::vector<std::string>& words, bool drop_stop) {
  std::vector<std::string> out;
  for (const auto& w : words) {
    if (w.empty()) continue;
    if (drop_stop && IsStopWord(w)) continue;
    if (drop_stop && std::isdigit(static_cast<unsigned char>(w[0]))) continue;
    out.push_back(Stem(w));
  }
  return out;
}

std::string Join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) {
    if (!s.empty()) s += ' ';
    s += x;
  }
  return s;
}

// Hashed TF-IDF vectors.
class Hasher {
 public:
  Hasher(uint32_t dim, uint64_t salt) : dim_(dim), salt_(salt) {}
  void Add(float* v, std::string_view term, float weight) const {
    const uint64_t h = Fnv(term, salt_);
    v[h % dim_] += (h >> 63) ? -weight : weight;
  }
  uint32_t dim() const { return dim_; }

 private:
  uint32_t dim_;
  uint64_t salt_;
};

std::vector<std::string> Grams(const std::string& s) {
  std::vector<std::string> g;
  const std::string p = "#" + s + "#";
  for (size_t i = 0; i + 3 <= p.size(); ++i) {
    std::string x = p.substr(i, 3);
    for (char& c : x)
      if (c == ' ') c = '#';
    g.push_back(std::move(x));
  }
  return g;
}

struct Idf {
  std::unordered_map<std::string, float> idf;
  float unseen = 1;
  void Build(const std::vector<std::vector<std::string>>& docs) {
    std::unordered_map<std::string, uint32_t> df;
    for (const auto& d : docs) {
      std::unordered_set<std::string> seen(d.begin(), d.end());
      for (const auto& w : seen) ++df[w];
    }
    const double n = static_cast<double>(docs.size());
    for (auto& [w, c] : df) idf[w] = static_cast<float>(std::log(1.0 + (n - c + 0.5) / (c + 0.5)));
    unseen = static_cast<float>(std::log(1.0 + (n + 0.5) / 0.5));
  }
  float operator()(const std::string& w) const {
    auto it = idf.find(w);
    return it == idf.end() ? unseen : it->second;
  }
};

void Sigmoid(double z, float* out) { *out = static_cast<float>(1.0 / (1.0 + std::exp(-z))); }

std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

// ---- Dense representations ------------------------------------------------------------------
// Row-major, unit-norm (or zero) vectors per column for each dense signal family.
struct Dense {
  uint32_t n = 0;
  std::vector<float> chr, name, desc, doc, table, wvn, wvd;
  uint32_t cd = 0, wd = 0, vd = 0;
};

class TableContext;

struct Matcher::Impl {
  const ek_host* host;
  const ek_kernels* k;
  const ek_text_api* api;
  const Config& config;
  const WordVectors* wv;
  Normalizer& norm;

  std::vector<Column> src, tgt;
  std::vector<Prepared> ps, pt;
  Idf word_idf, gram_idf;
  Dense ds, dt;
  // Sparse target documents for BM25 / coverage.
  std::vector<std::unordered_map<std::string, uint32_t>> tdoc;
  std::vector<std::unordered_set<std::string>> sdocset;
  std::vector<uint32_t> tlen;
  double avg_tlen = 1;
  // Word-level alignment (word vectors): per side, the distinct words with a vector,
  // their IDF, each column's name / description words (indices), and the cosine of
  // every source word with every target word (ns x nt, negatives as 0).
  struct AlignSide {
    std::vector<std::string> words;
    std::vector<float> idf;
    std::vector<std::vector<uint32_t>> name, desc;
  };
  AlignSide as, at;
  std::vector<float> wsim;

  void BuildAlign() {
    if (!wv) return;
    auto side = [&](const std::vector<Prepared>& P, AlignSide* a) {
      std::unordered_map<std::string, uint32_t> id;
      auto add = [&](const std::string& w) -> int64_t {
        if (IsStopWord(w) || std::isdigit(static_cast<unsigned char>(w[0]))) return -1;
        auto it = id.find(w);
        if (it != id.end()) return it->second;
        if (!wv->Find(w)) return -1;
        const uint32_t k = static_cast<uint32_t>(a->words.size());
        id.emplace(w, k);
        a->words.push_back(w);
        a->idf.push_back(word_idf(Stem(w)));
        return k;
      };
      a->name.assign(P.size(), {});
      a->desc.assign(P.size(), {});
      for (size_t i = 0; i < P.size(); ++i) {
        for (const auto& w : P[i].name_words)
          if (int64_t k = add(w); k >= 0) a->name[i].push_back(static_cast<uint32_t>(k));
        // The description's 16 most specific distinct words bound the cost per pair.
        std::vector<uint32_t> d;
        for (const auto& w : P[i].desc_words)
          if (int64_t k = add(w); k >= 0) d.push_back(static_cast<uint32_t>(k));
        std::sort(d.begin(), d.end());
        d.erase(std::unique(d.begin(), d.end()), d.end());
        std::stable_sort(d.begin(), d.end(), [&](uint32_t x, uint32_t y) { return a->idf[x] > a->idf[y]; });
        if (d.size() > 16) d.resize(16);
        a->desc[i] = std::move(d);
      }
    };
    side(ps, &as);
    side(pt, &at);
    const size_t ns = as.words.size(), nt = at.words.size(), dim = wv->dim;
    if (!ns || !nt) return;
    std::vector<float> A(ns * dim), B(nt * dim);
    for (size_t i = 0; i < ns; ++i) {
      std::memcpy(&A[i * dim], wv->Find(as.words[i]), dim * 4);
      k->normalize(&A[i * dim], static_cast<uint32_t>(dim));
    }
    for (size_t j = 0; j < nt; ++j) {
      std::memcpy(&B[j * dim], wv->Find(at.words[j]), dim * 4);
      k->normalize(&B[j * dim], static_cast<uint32_t>(dim));
    }
    wsim.assign(ns * nt, 0.f);
    k->dot_many_many(A.data(), ns, B.data(), nt, static_cast<uint32_t>(dim), wsim.data());
    for (float& v : wsim) v = std::max(v, 0.f);
  }

  // IDF-weighted mean over `from` of the best similarity to any word of `to_a` or
  // `to_b` (source_side: `from` holds source words, the others target words).
  float Cover(const std::vector<uint32_t>& from, const std::vector<uint32_t>& to_a,
              const std::vector<uint32_t>& to_b, bool source_side) const {
    if (from.empty() || (to_a.empty() && to_b.empty())) return 0.f;
    const size_t nt = at.words.size();
    double num = 0, den = 0;
    for (uint32_t f : from) {
      float best = 0;
      for (const auto* to : {&to_a, &to_b})
        for (uint32_t g : *to)
          best = std::max(best, source_side ? wsim[f * nt + g] : wsim[g * nt + f]);
      const double w = source_side ? as.idf[f] : at.idf[f];
      num += w * best;
      den += w;
    }
    return den > 0 ? static_cast<float>(num / den) : 0.f;
  }

  void Prepare(const ek_matcher_llm_hooks* hooks) {
    BuildVocabulary();
    if (hooks && hooks->generate_context) AddLlmContext(*hooks);
    ps.clear();
    pt.clear();
    for (const Column& c : src) ps.push_back(PrepareColumn(c));
    for (const Column& c : tgt) pt.push_back(PrepareColumn(c));
    BuildTargetStatistics();
  }

  // Vocabulary for segmentation and acronyms: descriptions of both sides, target
  // names; word vectors (frequent words) count as known too.
  void BuildVocabulary() {
    norm.ClearCorpus();
    for (const auto* side : {&src, &tgt}) {
      for (const Column& c : *side) {
        for (const auto& w : TextWords(api, c.description)) norm.AddVocabulary(w);
        for (const auto& w : TextWords(api, c.table_description)) norm.AddVocabulary(w);
      }
    }
    for (const Column& c : tgt) {
      for (const auto& w : SplitIdentifier(c.name)) norm.AddVocabulary(w, 3);
      for (const auto& w : SplitIdentifier(c.table)) norm.AddVocabulary(w, 3);
      norm.AddAcronymSource(c.description);
      norm.AddAcronymSource(Join(SplitIdentifier(c.name)));
    }
    if (wv && !norm.HasDictionary()) {
      const uint64_t n = std::min<uint64_t>(wv->api->wordvec_count(wv->table), 60000);
      for (uint64_t i = 0; i < n; ++i) {
        size_t len = 0;
        const char* w = wv->api->wordvec_word(wv->table, i, &len);
        if (!w || len < 3) continue;
        bool alpha = true;
        for (size_t j = 0; j < len; ++j)
          alpha = alpha && std::isalpha(static_cast<unsigned char>(w[j]));
        if (alpha) norm.AddDictionaryWord(std::string_view(w, len));
      }
    }
  }

  // LLM context for sources (the paper's first method).
  void AddLlmContext(const ek_matcher_llm_hooks& hooks) {
    const size_t cap = hooks.context_capacity ? hooks.context_capacity : 4096;
    std::vector<char> buf(cap);
    for (Column& c : src) {
      ek_matcher_column view = View(c);
      size_t len = 0;
      ek_status s = hooks.generate_context(hooks.user_data, &view, buf.data(), cap, &len);
      if (s != EK_OK) {
        Fail(EK_ERR_PLUGIN, "generate_context failed for '" + c.id + "' with status " +
                                std::to_string(s));
      }
      len = std::min(len, cap);
      if (len && !c.description.empty()) c.description += ' ';
      c.description.append(buf.data(), len);
    }
  }

  // A column's words, stems, synonyms and kind, for every signal.
  Prepared PrepareColumn(const Column& c) const {
    Prepared p;
    p.name_words = norm.NameWords(c.name);
    p.name_string = Join(p.name_words);
    p.base_words = p.name_words;
    for (const auto& w : p.base_words)
      for (auto& syn : config.hints.SynonymsOf(w)) p.name_words.push_back(std::move(syn));
    if (!c.synonyms.empty()) {
      size_t b = 0;
      while (b <= c.synonyms.size()) {
        size_t e = c.synonyms.find('|', b);
        if (e == std::string::npos) e = c.synonyms.size();
        auto words = norm.NameWords(c.synonyms.substr(b, e - b));
        if (!words.empty()) {
          p.syn_strings.push_back(Join(words));
          for (auto& w : words) p.name_words.push_back(w);
        }
        b = e + 1;
      }
    }
    p.name_stems = Stems(p.name_words, true);
    if (p.name_stems.empty()) p.name_stems = Stems(p.name_words, false);
    auto dw = TextWords(api, c.description);
    p.desc_stems = Stems(dw, true);
    for (auto& w : dw)
      if (!IsStopWord(w) && !std::isdigit(static_cast<unsigned char>(w[0]))) p.desc_words.push_back(w);
    p.table_stems = Stems(norm.NameWords(c.table), true);
    p.tdesc_stems = Stems(TextWords(api, c.table_description), true);
    p.kind = InferKind(p.base_words, c.type, c.primary_key);
    p.id_like = p.kind == kIdentifier || c.primary_key || c.foreign_key;
    return p;
  }

  // IDF over the target documents (name + description), the glossary being the corpus;
  // BM25's target documents and lengths; each column's distinct name stems with their IDF.
  void BuildTargetStatistics() {
    std::vector<std::vector<std::string>> docs, grams;
    for (const Prepared& p : pt) {
      std::vector<std::string> d = p.name_stems;
      d.insert(d.end(), p.desc_stems.begin(), p.desc_stems.end());
      d.insert(d.end(), p.table_stems.begin(), p.table_stems.end());
      docs.push_back(std::move(d));
      grams.push_back(Grams(p.name_string));
    }
    word_idf.Build(docs);
    gram_idf.Build(grams);
    tdoc.assign(pt.size(), {});
    tlen.assign(pt.size(), 0);
    double total = 0;
    for (size_t t = 0; t < pt.size(); ++t) {
      for (const auto& w : pt[t].name_stems) ++tdoc[t][w];
      for (const auto& w : pt[t].desc_stems) ++tdoc[t][w];
      tlen[t] = static_cast<uint32_t>(pt[t].name_stems.size() + pt[t].desc_stems.size());
      total += tlen[t];
    }
    avg_tlen = pt.empty() ? 1 : std::max(1.0, total / static_cast<double>(pt.size()));
    for (auto* P : {&ps, &pt}) {
      for (Prepared& p : *P) {
        std::unordered_set<std::string> seen;
        p.name_uniq.clear();
        p.name_uniq_idf.clear();
        for (const auto& w : p.name_stems)
          if (seen.insert(w).second) {
            p.name_uniq.push_back(w);
            p.name_uniq_idf.push_back(word_idf(w));
          }
      }
    }
    sdocset.assign(ps.size(), {});
    for (size_t s = 0; s < ps.size(); ++s) {
      sdocset[s].insert(ps[s].name_stems.begin(), ps[s].name_stems.end());
      sdocset[s].insert(ps[s].desc_stems.begin(), ps[s].desc_stems.end());
    }
  }

  static ek_matcher_column View(const Column& c) {
    ek_matcher_column v{};
    v.struct_size = sizeof v;
    v.id = c.id.c_str();
    v.table = c.table.c_str();
    v.name = c.name.c_str();
    v.type = c.type.c_str();
    v.description = c.description.c_str();
    v.table_description = c.table_description.c_str();
    v.synonyms = c.synonyms.c_str();
    return v;
  }

  void Encode(const std::vector<Prepared>& P, Dense* d, size_t begin, size_t end) const {
    const Hasher hc(d->cd, 0x51), hn(d->wd, 0x17), hdoc(d->wd, 0x17);
    for (size_t i = begin; i < end; ++i) {
      const Prepared& p = P[i];
      float* c = &d->chr[i * d->cd];
      for (const auto& g : Grams(p.name_string)) hc.Add(c, g, gram_idf(g));
      k->normalize(c, d->cd);
      float* n = &d->name[i * d->wd];
      for (const auto& w : p.name_stems) hn.Add(n, w, word_idf(w));
      k->normalize(n, d->wd);
      float* ds_ = &d->desc[i * d->wd];
      for (const auto& w : p.desc_stems) hn.Add(ds_, w, word_idf(w));
      k->normalize(ds_, d->wd);
      float* x = &d->doc[i * d->wd];
      for (const auto& w : p.name_stems) hdoc.Add(x, w, 2.0f * word_idf(w));
      for (const auto& w : p.desc_stems) hdoc.Add(x, w, word_idf(w));
      k->normalize(x, d->wd);
      float* t = &d->table[i * d->wd];
      for (const auto& w : p.table_stems) hn.Add(t, w, word_idf(w));
      for (const auto& w : p.tdesc_stems) hn.Add(t, w, 0.25f * word_idf(w));
      k->normalize(t, d->wd);
      if (wv) {
        float* a = &d->wvn[i * d->vd];
        for (const auto& w : p.name_words) {
          if (IsStopWord(w)) continue;
          if (const float* v = wv->Find(w))
            for (uint32_t j = 0; j < d->vd; ++j) a[j] += v[j];
        }
        k->normalize(a, d->vd);
        float* b = &d->wvd[i * d->vd];
        for (const auto& w : p.name_words) {
          if (IsStopWord(w)) continue;
          if (const float* v = wv->Find(w)) {
            const float f = 2.0f * word_idf(Stem(w));
            for (uint32_t j = 0; j < d->vd; ++j) b[j] += f * v[j];
          }
        }
        for (const auto& w : p.desc_words) {
          if (const float* v = wv->Find(w)) {
            const float f = word_idf(Stem(w));
            for (uint32_t j = 0; j < d->vd; ++j) b[j] += f * v[j];
          }
        }
        k->normalize(b, d->vd);
      }
    }
  }

  void Alloc(Dense* d, size_t n) const {
    d->n = static_cast<uint32_t>(n);
    d->cd = config.char_dim;
    d->wd = config.word_dim;
    d->vd = wv ? wv->dim : 0;
    d->chr.assign(n * d->cd, 0.f);
    d->name.assign(n * d->wd, 0.f);
    d->desc.assign(n * d->wd, 0.f);
    d->doc.assign(n * d->wd, 0.f);
    d->table.assign(n * d->wd, 0.f);
    d->wvn.assign(n * d->vd, 0.f);
    d->wvd.assign(n * d->vd, 0.f);
  }

  // The dense dots of one pair family layout: values[kNameChar..] for dense signals.
  // `dense` holds 9 values: chr, name, desc, doc, name_desc, desc_name, table, wvn, wvd.
  void PairSignals(size_t s, size_t t, const float* dense, float* f) const {
    const Prepared& a = ps[s];
    const Prepared& b = pt[t];
    f[kNameChar] = dense[0];
    f[kNameTok] = dense[1];
    f[kDescDesc] = dense[2];
    f[kDocDoc] = dense[3];
    f[kNameDesc] = dense[4];
    f[kDescName] = dense[5];
    f[kTableSim] = dense[6];
    f[kWvName] = dense[7];
    f[kWvDesc] = dense[8];
    // BM25 of the source name words in the target document, over its upper bound.
    const double k1 = 1.2, bb = 0.75;
    double bm = 0, ub = 0;
    for (size_t i = 0; i < a.name_uniq.size(); ++i) {
      const std::string& w = a.name_uniq[i];
      const double idf = a.name_uniq_idf[i];
      ub += idf * (k1 + 1);
      auto it = tdoc[t].find(w);
      if (it == tdoc[t].end()) continue;
      const double tf = it->second;
      bm += idf * tf * (k1 + 1) / (tf + k1 * (1 - bb + bb * tlen[t] / avg_tlen));
    }
    f[kNameBm25] = ub > 0 ? static_cast<float>(bm / ub) : 0.f;
    // Coverage of target name words in the source text and vice versa.
    double num = 0, den = 0;
    for (size_t i = 0; i < b.name_stems.size(); ++i) {
      const std::string& w = b.name_stems[i];
      const double idf = word_idf(w);
      den += idf;
      if (sdocset[s].count(w)) num += idf;
    }
    f[kTgtCover] = den > 0 ? static_cast<float>(num / den) : 0.f;
    num = den = 0;
    for (size_t i = 0; i < a.name_uniq.size(); ++i) {
      const double idf = a.name_uniq_idf[i];
      den += idf;
      if (tdoc[t].count(a.name_uniq[i])) num += idf;
    }
    f[kSrcCover] = den > 0 ? static_cast<float>(num / den) : 0.f;
    float exact = a.name_string == b.name_string ? 1.f : 0.f;
    for (const auto& syn : b.syn_strings)
      if (syn == a.name_string) exact = 1.f;
    f[kExactName] = exact;
    f[kTypeCompat] = KindCompat(a.kind, b.kind);
    f[kKeyMatch] = a.id_like == b.id_like ? (a.id_like ? 1.f : 0.5f) : 0.f;
    f[kWvAlign] = f[kWvCover] = 0.f;
    if (!wsim.empty()) {
      static const std::vector<uint32_t> kNone;
      f[kWvAlign] = 0.5f * (Cover(as.name[s], at.name[t], kNone, true) +
                            Cover(at.name[t], as.name[s], kNone, false));
      f[kWvCover] = 0.5f * (Cover(as.name[s], at.name[t], at.desc[t], true) +
                            Cover(at.name[t], as.name[s], as.desc[s], false));
    }
  }

  void DenseOfPair(size_t s, size_t t, float* dense) const {
    auto dot = [&](const std::vector<float>& A, const std::vector<float>& B, uint32_t d) {
      return d ? k->dot(&A[s * d], &B[t * d], d) : 0.f;
    };
    dense[0] = dot(ds.chr, dt.chr, ds.cd);
    dense[1] = dot(ds.name, dt.name, ds.wd);
    dense[2] = dot(ds.desc, dt.desc, ds.wd);
    dense[3] = dot(ds.doc, dt.doc, ds.wd);
    dense[4] = dot(ds.name, dt.desc, ds.wd);
    dense[5] = dot(ds.desc, dt.name, ds.wd);
    dense[6] = dot(ds.table, dt.table, ds.wd);
    dense[7] = dot(ds.wvn, dt.wvn, ds.vd);
    dense[8] = dot(ds.wvd, dt.wvd, ds.vd);
  }

  // ---- The stages of Matcher::Match (defined below TableContext) ----
  struct Stage1 {
    std::vector<float> z;        // stage-1 logit of every pair (S x T)
    std::vector<float> signals;  // every pair's signals (S x T x kSignalCount), or empty
  };
  struct Stage2 {
    std::vector<float> rowmax, colmax, score;  // score: the final score of every pair
    std::vector<double> context_weights;       // by Context
  };
  void EncodeAll(std::vector<std::string>* warnings);
  void EncodeDense(const std::vector<Prepared>& P, Dense* d) const;
  bool EncodeTargetsThroughCache();
  std::string TargetCacheName(uint32_t row_dim) const;
  bool ReadTargetCache(ek_collection* col, uint32_t row_dim);
  ek_status WriteTargetCache(ek_collection* col, uint32_t row_dim);
  Stage1 ScoreStage1(const ModelVariant& mv) const;
  void ScoreBlock(const ModelVariant& mv, size_t s0, size_t s1, Stage1* out,
                  std::vector<float> (&m)[9]) const;
  Stage2 ScoreStage2(const ModelVariant& mv, const std::vector<float>& z,
                     const TableContext& tc, size_t S, size_t T) const;
  std::vector<std::vector<Candidate>> Rank(std::vector<float>* score, uint32_t top_k,
                                           const ek_matcher_llm_hooks* judge) const;
  void Judge(const ek_matcher_llm_hooks& hooks, size_t s, std::vector<Candidate>* list,
             float* score_row) const;
  void Explain(size_t s, Candidate* c, const ModelVariant& mv, const Stage1& s1, const Stage2& s2,
               const TableContext& tc) const;

  // ---- Stage A, the tables (tables.h) ----
  std::unique_ptr<TableStage> tables;     // null when the model has no table_stage
  std::vector<uint32_t> stab, ttab;       // each column's table (index into the stage)
  std::vector<int> snamed, tnamed;       // the table each key column names, or -1
  void BuildTables(const TableStageParams& params);
  // keys.h over both sides' key graphs; the added candidates get their table evidence.
  void PropagateKeyMatches(CandidateLists* candidates, const std::vector<float>& score) const;
  std::vector<TableDoc> TableDocs(const std::vector<Column>& cols, const std::vector<Prepared>& P,
                                  std::vector<uint32_t>* tab, std::vector<int>* named) const;
  static int NamedTable(const std::vector<Column>& cols, const std::vector<Prepared>& P, size_t i,
                        const std::vector<uint32_t>& tab, const std::vector<TableDoc>& docs,
                        const std::vector<std::vector<std::string>>& table_stems);
  // The table-stage terms of pair (s, t): relative table gap, key-naming, outside.
  void TableTerms(size_t s, size_t t, float* out) const;
  void Annotate(size_t s, Candidate* c) const;
};

// ---- Table context ---------------------------------------------------------------------------
// Which target tables a source table corresponds to, from the stage-1 logits of all
// pairs: aff(A,B) = mean over the columns of A of their best sigmoid(z) in B (and the
// same from B's side); the features are gaps to the best table, so 0 = the best.
class TableContext {
 public:
  TableContext(const std::vector<Column>& src, const std::vector<Column>& tgt,
               const std::vector<float>& z)
      : S_(src.size()), T_(tgt.size()) {
    std::unordered_map<std::string, uint32_t> sidx, tidx;
    auto group = [](const std::vector<Column>& cols, std::unordered_map<std::string, uint32_t>* idx,
                    std::vector<uint32_t>* of) {
      of->resize(cols.size());
      for (size_t i = 0; i < cols.size(); ++i) {
        auto [it, fresh] = idx->emplace(Lower(cols[i].table), static_cast<uint32_t>(idx->size()));
        (*of)[i] = it->second;
      }
    };
    group(src, &sidx, &st_);
    group(tgt, &tidx, &tt_);
    A_ = sidx.size();
    B_ = tidx.size();
    std::vector<double> sb(S_ * B_, 0.0), ta(A_ * T_, 0.0);
    for (size_t s = 0; s < S_; ++s)
      for (size_t t = 0; t < T_; ++t) {
        const double p = 1.0 / (1.0 + std::exp(-static_cast<double>(z[s * T_ + t])));
        double& x = sb[s * B_ + tt_[t]];
        x = std::max(x, p);
        double& y = ta[st_[s] * T_ + t];
        y = std::max(y, p);
      }
    std::vector<double> nA(A_, 0), nB(B_, 0), row(A_ * B_, 0), col(A_ * B_, 0);
    for (size_t s = 0; s < S_; ++s) {
      ++nA[st_[s]];
      for (size_t b = 0; b < B_; ++b) row[st_[s] * B_ + b] += sb[s * B_ + b];
    }
    for (size_t t = 0; t < T_; ++t) {
      ++nB[tt_[t]];
      for (size_t a = 0; a < A_; ++a) col[a * B_ + tt_[t]] += ta[a * T_ + t];
    }
    gr_.assign(A_ * B_, 0.f);
    gc_.assign(A_ * B_, 0.f);
    for (size_t a = 0; a < A_; ++a) {
      double mx = -1;
      for (size_t b = 0; b < B_; ++b) mx = std::max(mx, row[a * B_ + b] / nA[a]);
      for (size_t b = 0; b < B_; ++b) gr_[a * B_ + b] = static_cast<float>(row[a * B_ + b] / nA[a] - mx);
    }
    for (size_t b = 0; b < B_; ++b) {
      double mx = -1;
      for (size_t a = 0; a < A_; ++a) mx = std::max(mx, col[a * B_ + b] / nB[b]);
      for (size_t a = 0; a < A_; ++a) gc_[a * B_ + b] = static_cast<float>(col[a * B_ + b] / nB[b] - mx);
    }
    rank_.assign(A_ * B_, 0.f);
    std::vector<uint32_t> order(B_);
    for (size_t a = 0; a < A_; ++a) {
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(),
                       [&](uint32_t x, uint32_t y) { return row[a * B_ + x] > row[a * B_ + y]; });
      for (size_t r = 0; r < B_; ++r) rank_[a * B_ + order[r]] = 1.f / (1.f + static_cast<float>(r));
    }
    rank_col_.assign(A_ * B_, 0.f);
    std::vector<uint32_t> sorder(A_);
    for (size_t b = 0; b < B_; ++b) {
      std::iota(sorder.begin(), sorder.end(), 0u);
      std::stable_sort(sorder.begin(), sorder.end(),
                       [&](uint32_t x, uint32_t y) { return col[x * B_ + b] > col[y * B_ + b]; });
      for (size_t r = 0; r < A_; ++r) rank_col_[sorder[r] * B_ + b] = 1.f / (1.f + static_cast<float>(r));
    }
    auto refs = [](const std::vector<Column>& cols, const std::unordered_map<std::string, uint32_t>& idx,
                   std::vector<int>* out) {
      out->assign(cols.size(), -1);
      for (size_t i = 0; i < cols.size(); ++i) {
        if (!cols[i].foreign_key || cols[i].references.empty()) continue;
        auto it = idx.find(Lower(cols[i].references));
        if (it != idx.end()) (*out)[i] = static_cast<int>(it->second);
      }
    };
    refs(src, sidx, &sref_);
    refs(tgt, tidx, &tref_);
    spk_.resize(S_);
    tpk_.resize(T_);
    for (size_t s = 0; s < S_; ++s) spk_[s] = IsKey(src[s]);
    for (size_t t = 0; t < T_; ++t) tpk_[t] = IsKey(tgt[t]);
  }

  // A primary key, declared or described ("Primary key. ...", "Unique row
  // identifier.", "A unique identifier for each ..."), that is no foreign key.
  static bool IsKey(const Column& c) {
    if (c.primary_key) return true;
    if (c.foreign_key) return false;
    const std::string d = Lower(c.description);
    return d.find("primary key") != std::string::npos ||
           (d.find("unique") != std::string::npos && d.find("identifier") != std::string::npos);
  }

  void Features(size_t s, size_t t, float* out) const {
    const size_t ab = st_[s] * B_ + tt_[t];
    out[kTableRow] = gr_[ab];
    out[kTableCol] = gc_[ab];
    out[kRefContext] = 0.f;
    if (sref_[s] >= 0 && tref_[t] >= 0) {
      const size_t rq = static_cast<size_t>(sref_[s]) * B_ + static_cast<size_t>(tref_[t]);
      out[kRefContext] = 1.f + 0.5f * (gr_[rq] + gc_[rq]);
    }
    out[kTableRank] = rank_[ab];
    out[kTableRankCol] = rank_col_[ab];
    out[kKeyContext] = spk_[s] && tpk_[t] ? 1.f + 0.5f * (gr_[ab] + gc_[ab]) : 0.f;
  }

 private:
  size_t S_, T_, A_ = 0, B_ = 0;
  std::vector<uint32_t> st_, tt_;
  std::vector<float> gr_, gc_, rank_, rank_col_;
  std::vector<int> sref_, tref_;
  std::vector<char> spk_, tpk_;
};

// ---- Stage A: tables ------------------------------------------------------------------------
namespace {

// Identifier words that say "key", not what the key names.
bool KeyMarker(const std::string& stem) {
  static const std::unordered_set<std::string> kMarkers = {"id", "ident", "identifi", "identifier",
                                                           "key", "pk", "fk", "uid", "no", "num"};
  return kMarkers.count(stem) > 0;
}

}  // namespace

// The table a key column names: the one it references (declared), else the table whose
// name is the column's name without its key marker (person_id -> person), else its own
// table when it is that table's key (declared, or described as "primary key" / "unique
// ... identifier"); -1 for none.
int Matcher::Impl::NamedTable(const std::vector<Column>& cols, const std::vector<Prepared>& P, size_t i,
                              const std::vector<uint32_t>& tab, const std::vector<TableDoc>& docs,
                              const std::vector<std::vector<std::string>>& table_stems) {
  const Column& c = cols[i];
  if (c.foreign_key && !c.references.empty()) {
    const std::string ref = Lower(c.references);
    for (size_t d = 0; d < docs.size(); ++d)
      if (docs[d].name == ref) return static_cast<int>(d);
  }
  std::vector<std::string> core;
  for (const auto& w : P[i].name_stems)
    if (!KeyMarker(w)) core.push_back(w);
  if (!core.empty() && core.size() < P[i].name_stems.size()) {
    for (size_t d = 0; d < docs.size(); ++d)
      if (table_stems[d] == core) return static_cast<int>(d);
  }
  // A declared primary key that references nothing is its table's key even when the
  // schema marks it as referenced ("foreign_keys": IMDB's title_basics.tconst).
  if ((c.primary_key && c.references.empty()) || (!c.foreign_key && TableContext::IsKey(c)))
    return static_cast<int>(tab[i]);
  return -1;
}

// One document per table: its name (weight 3), description (1), column names (1) and
// descriptions (0.25), and the words of every key column naming it (2: subject_id names
// patients, so "subject" joins the patients table's text).
std::vector<TableDoc> Matcher::Impl::TableDocs(const std::vector<Column>& cols, const std::vector<Prepared>& P,
                                               std::vector<uint32_t>* tab, std::vector<int>* named) const {
  std::vector<TableDoc> docs;
  std::vector<std::vector<std::string>> table_stems;
  std::unordered_map<std::string, uint32_t> idx;
  tab->assign(cols.size(), 0);
  for (size_t i = 0; i < cols.size(); ++i) {
    auto [it, fresh] = idx.emplace(Lower(cols[i].table), static_cast<uint32_t>(docs.size()));
    (*tab)[i] = it->second;
    if (!fresh) continue;
    TableDoc d;
    d.name = it->first;
    for (const auto& w : norm.NameWords(cols[i].table)) d.words.emplace_back(w, 3.f);
    for (const auto& w : TextWords(api, cols[i].table_description)) d.words.emplace_back(w, 1.f);
    docs.push_back(std::move(d));
    table_stems.push_back(P[i].table_stems);
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    TableDoc& d = docs[(*tab)[i]];
    for (const auto& w : P[i].name_words) d.words.emplace_back(w, 1.f);
    for (const auto& w : P[i].desc_words) d.words.emplace_back(w, 0.25f);
  }
  named->assign(cols.size(), -1);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!P[i].id_like) continue;
    const int r = NamedTable(cols, P, i, *tab, docs, table_stems);
    (*named)[i] = r;
    if (r < 0) continue;
    for (const auto& w : P[i].name_words)
      if (!KeyMarker(Stem(w))) docs[r].words.emplace_back(w, 2.f);
    auto& refs = docs[(*tab)[i]].refs;
    if (static_cast<uint32_t>(r) != (*tab)[i] && std::find(refs.begin(), refs.end(), r) == refs.end())
      refs.push_back(static_cast<uint32_t>(r));
  }
  return docs;
}

void Matcher::Impl::BuildTables(const TableStageParams& params) {
  const std::vector<TableDoc> sd = TableDocs(src, ps, &stab, &snamed);
  const std::vector<TableDoc> td = TableDocs(tgt, pt, &ttab, &tnamed);
  WordVectorLookup lookup;
  if (wv) lookup = [this](const std::string& w) { return wv->Find(w); };
  tables = std::make_unique<TableStage>(sd, td, lookup, wv ? wv->dim : 0, params, config.hints.table_links);
}

void Matcher::Impl::PropagateKeyMatches(CandidateLists* candidates, const std::vector<float>& score) const {
  KeyGraph sg{stab, snamed, {}}, tg{ttab, tnamed, {}};
  for (const Column& c : src) sg.ids.push_back(c.id);
  for (const Column& c : tgt) tg.ids.push_back(c.id);
  std::vector<size_t> ranked(candidates->size());
  for (size_t s = 0; s < ranked.size(); ++s) ranked[s] = (*candidates)[s].size();
  // Only within the table pairs stage A admits (keys.h says why).
  PropagateKeys(candidates, sg, tg, score,
                [this](size_t s, size_t t) { return tables->InTop(stab[s], ttab[t]); });
  for (size_t s = 0; s < ranked.size(); ++s)
    for (size_t r = ranked[s]; r < (*candidates)[s].size(); ++r) Annotate(s, &(*candidates)[s][r]);
}

void Matcher::Impl::TableTerms(size_t s, size_t t, float* out) const {
  out[0] = tables->RelativeGap(stab[s], ttab[t]);
  out[1] = 0.f;
  if (snamed[s] >= 0 && tnamed[t] >= 0)
    out[1] = std::max(0.f, 1.f + 2.f * tables->RelativeGap(static_cast<size_t>(snamed[s]),
                                                           static_cast<size_t>(tnamed[t])));
  out[2] = tables->InTop(stab[s], ttab[t]) ? 0.f : 1.f;
}

// A candidate's table evidence and the hints it used (named in the explanation).
void Matcher::Impl::Annotate(size_t s, Candidate* c) const {
  c->hints.clear();
  if (tables) {
    c->table = tables->Evidence(stab[s], ttab[c->target]);
    c->outside_tables = !tables->InTop(stab[s], ttab[c->target]);
    c->keys_disagree = tables->params().key_agreement && snamed[s] >= 0 && tnamed[c->target] >= 0 &&
                       !tables->InTop(static_cast<size_t>(snamed[s]), static_cast<size_t>(tnamed[c->target]));
    if (c->table.hint) c->hints.push_back("table link " + src[s].table + " -> " + tgt[c->target].table);
  }
  const Prepared& a = ps[s];
  const Prepared& b = pt[c->target];
  for (const auto& w : a.base_words)
    for (const auto& syn : config.hints.SynonymsOf(w))
      if (std::find(b.base_words.begin(), b.base_words.end(), syn) != b.base_words.end())
        c->hints.push_back("synonym " + w + " = " + syn);
}

// ---- Matcher ---------------------------------------------------------------------------------
namespace {

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
namespace {

// The layout of one glossary vector cached in the store: chr, name, desc, doc, table,
// wvn, wvd; `to_row` copies target t into the row, otherwise the row into target t.
void CopyCachedRow(Dense* d, size_t t, float* row, bool to_row) {
  auto copy = [&](std::vector<float>* v, uint32_t dim) {
    if (dim) {
      float* x = &(*v)[t * dim];
      if (to_row) std::memcpy(row, x, dim * 4);
      else std::memcpy(x, row, dim * 4);
    }
    row += dim;
  };
  copy(&d->chr, d->cd);
  for (auto* v : {&d->name, &d->desc, &d->doc, &d->table}) copy(v, d->wd);
  for (auto* v : {&d->wvn, &d->wvd}) copy(v, d->vd);
}

}  // namespace

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

void Matcher::Impl::EncodeDense(const std::vector<Prepared>& P, Dense* d) const {
  struct EncodeJob {
    const Impl* im;
    const std::vector<Prepared>* p;
    Dense* d;
  } job{this, &P, d};
  host->parallel_for(host, P.size(), 16,
                     [](void* u, size_t b, size_t e) {
                       auto* j = static_cast<EncodeJob*>(u);
                       j->im->Encode(*j->p, j->d, b, e);
                     },
                     &job);
}

// The cache collection is named by a hash of every target field and the row layout, so
// a changed glossary or configuration never reads stale vectors.
std::string Matcher::Impl::TargetCacheName(uint32_t row_dim) const {
  uint64_t h = Fnv("table_match/1");
  for (const Column& c : tgt) {
    for (const std::string* s : {&c.id, &c.table, &c.name, &c.type, &c.description,
                                 &c.table_description, &c.synonyms}) {
      h = Fnv(*s, h);
      h = Fnv(std::string_view("\x1f", 1), h);
    }
  }
  h = Fnv(std::to_string(row_dim) + (wv ? "wv" : "-"), h);
  char name[64];
  std::snprintf(name, sizeof name, "table_match.%016llx", static_cast<unsigned long long>(h));
  return name;
}

bool Matcher::Impl::ReadTargetCache(ek_collection* col, uint32_t row_dim) {
  std::vector<float> row(row_dim);
  for (size_t t = 0; t < tgt.size(); ++t) {
    size_t got = 0;
    const std::string id = std::to_string(t);
    if (host->collection_get(col, id.c_str(), row.data(), row_dim, &got, nullptr) != EK_OK ||
        got != row_dim)
      return false;
    CopyCachedRow(&dt, t, row.data(), false);
  }
  return true;
}

ek_status Matcher::Impl::WriteTargetCache(ek_collection* col, uint32_t row_dim) {
  const size_t T = tgt.size();
  std::vector<float> rows(T * row_dim);
  std::vector<std::string> ids(T);
  std::vector<const char*> idp(T);
  for (size_t t = 0; t < T; ++t) {
    CopyCachedRow(&dt, t, &rows[t * row_dim], true);
    ids[t] = std::to_string(t);
    idp[t] = ids[t].c_str();
  }
  ek_upsert_batch batch{};
  batch.struct_size = sizeof batch;
  batch.count = T;
  batch.ids = idp.data();
  batch.vectors = rows.data();
  batch.dim = row_dim;
  return host->collection_upsert(col, &batch);
}

// Target vectors through config.cache_store: read when every row is there, else
// encoded and written. Returns whether they were read.
bool Matcher::Impl::EncodeTargetsThroughCache() {
  const uint32_t row_dim = dt.cd + 4 * dt.wd + 2 * dt.vd;
  const std::string cache_name = TargetCacheName(row_dim);
  ek_store* store = nullptr;
  if (host->store_open(host, config.cache_store.c_str(), &store) != EK_OK) {
    Fail(EK_ERR_STORAGE, "cannot open cache_store '" + config.cache_store + "'");
  }
  bool cached = false;
  ek_collection* col = nullptr;
  ek_status st = host->collection_create(store, cache_name.c_str(), row_dim, EK_METRIC_DOT, &col);
  if (st == EK_OK) {
    cached = ReadTargetCache(col, row_dim);
    if (!cached) {
      Alloc(&dt, tgt.size());  // a partial read leaves rows behind
      EncodeDense(pt, &dt);
      st = WriteTargetCache(col, row_dim);
    }
    host->collection_free(col);
  }
  host->store_free(store);
  if (st != EK_OK) Fail(EK_ERR_STORAGE, "cannot write the glossary vectors to cache_store '" + config.cache_store + "'");
  return cached;
}

void Matcher::Impl::EncodeAll(std::vector<std::string>* warnings) {
  Alloc(&ds, src.size());
  Alloc(&dt, tgt.size());
  EncodeDense(ps, &ds);
  if (config.cache_store.empty()) {
    EncodeDense(pt, &dt);
  } else if (EncodeTargetsThroughCache()) {
    warnings->push_back("glossary vectors read from the cache");
  }
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

namespace {

// Appends `,"key":value` (no comma for the first member of an object).
void Member(std::string* o, bool first, std::string_view key, std::string_view value) {
  if (!first) o->push_back(',');
  o->append(ek_plugin::JsonQuote(key)).push_back(':');
  o->append(value);
}

// Appends {"name":value,...} over the signal names.
void SignalObject(std::string* o, const std::vector<std::string>& names, const std::vector<float>& values) {
  o->push_back('{');
  for (size_t q = 0; q < values.size(); ++q) Member(o, q == 0, names[q], Num(values[q]));
  o->push_back('}');
}

// "table_evidence": the evidence of the pair's tables (stage A).
void TableEvidenceJson(std::string* o, const Candidate& k) {
  const TableEvidence& e = k.table;
  Member(o, false, "table_evidence", "{");
  Member(o, true, "rank", std::to_string(e.rank + 1));
  Member(o, false, "score", Num(e.score));
  Member(o, false, "tfidf", Num(e.tfidf));
  Member(o, false, "wordvec", Num(e.wordvec));
  Member(o, false, "flooding", Num(e.flooding));
  Member(o, false, "hint", e.hint ? "true" : "false");
  Member(o, false, "in_top_tables", k.outside_tables ? "false" : "true");
  if (k.keys_disagree) Member(o, false, "named_tables_agree", "false");
  o->push_back('}');
}

void CandidateJson(std::string* o, const Candidate& k, const Column& t, const std::vector<std::string>& names,
                   bool table_stage) {
  o->push_back('{');
  Member(o, true, "id", ek_plugin::JsonQuote(t.id));
  Member(o, false, "table", ek_plugin::JsonQuote(t.table));
  Member(o, false, "name", ek_plugin::JsonQuote(t.name));
  Member(o, false, "score", Num(k.score));
  Member(o, false, "model_score", Num(k.model_score));
  if (k.judge >= 0) Member(o, false, "judge", Num(k.judge));
  Member(o, false, "match", k.match ? "true" : "false");
  Member(o, false, "signals", "");
  SignalObject(o, names, k.signals);
  Member(o, false, "contributions", "");
  SignalObject(o, names, k.contributions);
  if (table_stage) TableEvidenceJson(o, k);
  if (!k.key_path.empty()) Member(o, false, "key_propagation", ek_plugin::JsonQuote(k.key_path));
  if (!k.hints.empty()) {
    Member(o, false, "hints", "[");
    for (size_t i = 0; i < k.hints.size(); ++i) {
      if (i) o->push_back(',');
      o->append(ek_plugin::JsonQuote(k.hints[i]));
    }
    o->push_back(']');
  }
  o->push_back('}');
}

}  // namespace

std::string Result::ToJson() const {
  std::string o = "{";
  Member(&o, true, "model", ek_plugin::JsonQuote(variant));
  Member(&o, false, "threshold", Num(threshold));
  Member(&o, false, "mode", ek_plugin::JsonQuote(mode == EK_MATCHER_MODE_ONE_TO_ONE ? "1:1" : "1:n"));
  Member(&o, false, "signals", "[");
  for (size_t i = 0; i < signal_names.size(); ++i) {
    if (i) o.push_back(',');
    o += ek_plugin::JsonQuote(signal_names[i]);
  }
  o += "],\"columns\":[";
  for (size_t s = 0; s < sources.size(); ++s) {
    const Column& c = sources[s];
    o += s ? ",{" : "{";
    Member(&o, true, "id", ek_plugin::JsonQuote(c.id));
    Member(&o, false, "table", ek_plugin::JsonQuote(c.table));
    Member(&o, false, "name", ek_plugin::JsonQuote(c.name));
    Member(&o, false, "candidates", "[");
    for (size_t r = 0; r < candidates[s].size(); ++r) {
      if (r) o.push_back(',');
      CandidateJson(&o, candidates[s][r], targets[candidates[s][r].target], signal_names, table_stage);
    }
    o += "]}";
  }
  o += "]";
  if (!warnings.empty()) {
    o += ",\"warnings\":[";
    for (size_t i = 0; i < warnings.size(); ++i) {
      if (i) o.push_back(',');
      o += ek_plugin::JsonQuote(warnings[i]);
    }
    o += "]";
  }
  return o + "}";
}

}  // namespace tmatch
