// table_match, stage A: which target tables each source table corresponds to, from
// table-level text (docs/table_match.md, "Method"). The column stage then matches
// columns only within the best few table pairs.
//
// Why a table stage: the OMOP targets repeat column names in many tables (person_id in
// 20+), so a column-level score alone cannot pick the table; with the gold target tables
// given, the column scores are about twice as good (issue 22).
//
// Evidence per (source table A, target table B), all in [0, 1]:
//  - text: TF-IDF cosine of the tables' documents (name, description, column names and
//    descriptions, the words of the key columns that name the table) fused with the
//    cosine of their IDF-weighted word-vector means;
//  - flooding: similarity flooding over the key graph (a table's key columns name the
//    tables they belong to or reference): the tables A and B point to (and are pointed
//    at by) correspond too;
//  - hint: a user's known table link (hints file) puts B first for A.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tmatch {

// Hand-set (not fitted: issue 22 found fitted weights transfer poorly across
// datasets); model.json may override them ("table_stage").
struct TableStageParams {
  double wordvec_weight = 0.5;  // text = (1 - w) * tfidf + w * word-vector cosine
  double flood_weight = 0.5;    // score = text + flood_weight * neighbours' score
  uint32_t flood_iterations = 3;
  uint32_t top_tables = 3;      // column matches only within A's top tables
  double column_weight = 2.0;   // column logit += column_weight * relative table gap
  double key_weight = 1.0;      // key column pairs whose named tables correspond
  double outside_penalty = 4.0; // column logit -= this outside A's top tables
  // 1:n: at most this many matches per source column within one target table (0 = no
  // limit); with max_matches, a key column can match the same key in several tables.
  uint32_t matches_per_table = 0;
  bool propagate_keys = false;  // 1:n: key propagation after the decisions (keys.h)
  bool key_agreement = false;   // decide key pairs only when their named tables correspond
  bool enabled = false;         // models without "table_stage" keep the old behaviour
};

// One table's document: weighted unstemmed words and the tables (same side) its key
// columns name, other than itself.
struct TableDoc {
  std::string name;  // lower case
  std::vector<std::pair<std::string, float>> words;
  std::vector<uint32_t> refs;
};

// Word vector of a word, or nullptr (no word vectors / unknown word).
using WordVectorLookup = std::function<const float*(const std::string&)>;

struct TableEvidence {
  float tfidf = 0, wordvec = 0, flooding = 0, score = 0;
  uint32_t rank = 0;  // of B among A's target tables, 0 = best
  bool hint = false;  // a user's table link
};

class TableStage {
 public:
  // `links`: (source table, target table) pairs from the hints file, lower case.
  TableStage(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target,
             const WordVectorLookup& wordvec, uint32_t dim, const TableStageParams& params,
             const std::vector<std::pair<std::string, std::string>>& links);

  const TableEvidence& Evidence(size_t a, size_t b) const { return ev_[a * B_ + b]; }
  // (score - best score of a) / best score of a: 0 for a's best table, down to -1.
  float RelativeGap(size_t a, size_t b) const;
  const TableStageParams& params() const { return params_; }
  bool InTop(size_t a, size_t b) const { return Evidence(a, b).rank < params_.top_tables; }

 private:
  void Text(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target,
            const WordVectorLookup& wordvec, uint32_t dim);
  void ApplyLinks(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target,
                  const std::vector<std::pair<std::string, std::string>>& links);
  void Flood(const std::vector<TableDoc>& source, const std::vector<TableDoc>& target);
  void Rank();

  size_t A_, B_;
  TableStageParams params_;
  std::vector<TableEvidence> ev_;  // A x B
  std::vector<float> best_;        // per A
};

}  // namespace tmatch
