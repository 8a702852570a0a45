// table_match: signals, the logistic model, ranking and assignment.
#pragma once

#include <embedkit/ext/matcher.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hints.h"
#include "schema.h"
#include "tables.h"
#include "text.h"

namespace tmatch {

// The base signals the plugin can compute, in a fixed order. A model names the ones
// it uses; "row_gap" and "col_gap" are the second stage (see Model).
enum Signal : int {
  kNameChar,   // char 3-gram TF-IDF cosine of the normalised names
  kNameTok,    // word TF-IDF cosine of the names (expanded, stemmed)
  kDescDesc,   // word TF-IDF cosine of the descriptions
  kDocDoc,     // name + description against name + description
  kNameDesc,   // source name words against the target description
  kDescName,   // source description against the target name words
  kTableSim,   // source table (name + description) against the target's table
  kNameBm25,   // BM25 of the source name words in the target document, / upper bound
  kTgtCover,   // IDF share of the target name words found in the source text
  kSrcCover,   // IDF share of the source name words found in the target text
  kExactName,  // same normalised name (or a synonym)
  kTypeCompat, // compatibility of the declared / name-implied kinds
  kKeyMatch,   // both identifiers (or both not)
  kWvName,     // word-vector cosine of the names (GloVe; needs ek_host::text)
  kWvDesc,     // word-vector cosine of name + description
  kWvAlign,    // soft word alignment of the names: IDF-weighted mean over one name's
               // words of the best word-vector cosine in the other name, both ways
  kWvCover,    // how well each side's name words are covered (best cosine) by the
               // other side's name + description words, both ways
  kSignalCount
};
const char* SignalName(int s);

// Context features of the second stage, computed from the stage-1 logits z of all
// pairs (see Matcher::Match):
enum Context : int {
  kTableRow,    // table affinity gap, source side: aff(A,B) - max_B' aff(A,B'), where
                // aff(A,B) = mean over the columns s of table A of max_{t in B} sigmoid(z)
  kTableCol,    // the same from the target table: aff'(A,B) - max_A' aff'(A',B)
  kRefContext,  // both foreign keys with loaded referenced tables R, Q:
                // 1 + (table_row + table_col)(R, Q) / 2, else 0
  kTableRank,   // 1 / (1 + rank of B among the target tables by aff(A, .)): 1 = best
  kTableRankCol,  // 1 / (1 + rank of A among the source tables by aff'(., B))
  kKeyContext,  // both primary keys (declared, or described as "primary key" / "unique
                // ... identifier" and not a foreign key): 1 + (table_row + table_col)(A, B) / 2
  kContextCount
};
const char* ContextName(int c);

// The table stage's terms in the column logit and the explanations (after the context
// features): "table_stage", the relative gap of the pair's tables (0 = the source
// table's best; TableStage::RelativeGap); "key_named", for two key columns whose named
// tables correspond, max(0, 1 + 2 * the named tables' relative gap); "outside_tables",
// 1 when the target's table is not among the source table's top tables.
constexpr int kTableTermCount = 3;
const char* TableTermName(int q);

struct ModelVariant {
  std::string name;
  std::vector<int> signals;  // indices into Signal
  std::vector<double> weights;
  double bias = 0;
  // Stage 2: logit = a_z * z + a_row * (z - max_row z) + a_col * (z - max_col z) + b2,
  // where z is the stage-1 logit.
  double a_z = 1, a_row = 0, a_col = 0, b2 = 0;
  // + sum_k context_weights[k] * context feature k (indices into Context).
  std::vector<int> context;
  std::vector<double> context_weights;
  double threshold = 0.5;
  // In (0, 1): besides the threshold, only the source columns whose best score is
  // among the top match_fraction of all source columns' best scores get matches (a
  // cut that follows each dataset's score scale; 1 = off).
  double match_fraction = 1;
  uint32_t max_matches = 3;
  bool needs_wordvec = false;
  // Stage A (tables.h): hand-set; absent from older model files (then off).
  TableStageParams table_stage;
};

struct Model {
  std::vector<ModelVariant> variants;
};
Model ParseModel(const ek_host* host, std::string_view json);  // throws Error; the host words bad JSON

struct Config {
  Limits limits;
  size_t max_pairs = 25000000;
  uint32_t char_dim = 2048, word_dim = 2048;
  std::string cache_store;  // "" = no cache
  std::string wordvec_path;
  std::string model_path;   // "" = built-in
  std::string variant;      // "" = best available
  Hints hints;              // config "hints" (a file), hints.h
};

struct Candidate {
  uint32_t target;
  float score, model_score, judge = -1;
  bool match = false;
  bool outside_tables = false;  // not among the source table's top target tables
  // Both are key columns and the table the target names is not among the top tables of
  // the table the source names (patid -> observation_type_concept_id); with the table
  // stage's key_agreement on, such a pair is never decided (decide.h).
  bool keys_disagree = false;
  uint32_t rank_in_table = 0;   // among the list's candidates of the same target table
  std::vector<float> signals, contributions;
  TableEvidence table;              // the table pair's evidence (table stage on)
  std::vector<std::string> hints;   // the user's hints this pair used
  std::string key_path;             // matched by key propagation: the decided key pair (keys.h)
};

struct Result {
  std::vector<Column> sources, targets;
  // Per source, best first; matches added by key propagation follow the ranked ones (keys.h).
  std::vector<std::vector<Candidate>> candidates;
  std::vector<std::string> signal_names;
  bool table_stage = false;  // candidates carry table evidence
  std::string variant;
  float threshold = 0.5;
  uint32_t mode = EK_MATCHER_MODE_ONE_TO_MANY;
  std::vector<std::string> warnings;
  std::string ToJson() const;  // the document result_json returns
};

struct WordVectors;  // optional GloVe table through ek_host::text

class Matcher {
 public:
  Matcher(const ek_host* host, Config config, Model model);
  ~Matcher();

  Side& side(uint32_t s) { return s == EK_MATCHER_SOURCE ? source_ : target_; }
  const Config& config() const { return config_; }
  Normalizer& normalizer() { return norm_; }
  void SetHooks(const ek_matcher_llm_hooks* hooks);
  const ModelVariant& variant() const { return *variant_; }
  std::vector<std::string> SignalNames() const;

  std::unique_ptr<Result> Match(const ek_matcher_options& options);

 private:
  struct Impl;
  const ek_host* host_;
  Config config_;
  Model model_;
  const ModelVariant* variant_ = nullptr;
  Side source_, target_;
  Normalizer norm_;
  bool has_hooks_ = false;
  ek_matcher_llm_hooks hooks_{};
  std::unique_ptr<WordVectors> wv_;
};

}  // namespace tmatch
