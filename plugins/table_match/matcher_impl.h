// table_match: Matcher::Impl, the state of one Match call, and the helpers its files share.
#pragma once

#include "matcher.h"
#include "decide.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tmatch {

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

inline uint64_t Fnv(std::string_view s, uint64_t seed = 1469598103934665603ull) {
  uint64_t h = seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Semantic kinds inferred from the declared type and the name's last word.
enum Kind { kUnknown, kTemporal, kIdentifier, kNumeric, kText };

// Words of free text through the shared tokenizer (identifiers inside text split too).
std::vector<std::string> TextWords(const ek_text_api* api, std::string_view text);

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

// Character 3-grams of a name, "#"-padded, spaces as "#" (dense.cc).
std::vector<std::string> Grams(const std::string& s);

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

  // ---- Column preparation (prepare.cc) ----
  void Prepare(const ek_matcher_llm_hooks* hooks);
  void BuildVocabulary();
  void AddLlmContext(const ek_matcher_llm_hooks& hooks);
  Prepared PrepareColumn(const Column& c) const;
  void BuildTargetStatistics();
  static ek_matcher_column View(const Column& c);

  // ---- Dense vectors, word alignment and each pair's signals (dense.cc) ----
  void BuildAlign();
  float Cover(const std::vector<uint32_t>& from, const std::vector<uint32_t>& to_a,
              const std::vector<uint32_t>& to_b, bool source_side) const;
  void Encode(const std::vector<Prepared>& P, Dense* d, size_t begin, size_t end) const;
  void Alloc(Dense* d, size_t n) const;
  void PairSignals(size_t s, size_t t, const float* dense, float* f) const;
  void DenseOfPair(size_t s, size_t t, float* dense) const;

  // ---- The stages of Matcher::Match (matcher.cc; dense.cc encodes, target_cache.cc caches) ----
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

  // ---- Stage A, the tables (tables.h; matcher_tables.cc) ----
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

}  // namespace tmatch
