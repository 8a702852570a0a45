// table_match: the second stage's table context (which target tables a source table matches).
#pragma once

#include "matcher.h"

#include <string>
#include <vector>

namespace tmatch {

// Which target tables a source table corresponds to, from the stage-1 logits of all
// pairs: aff(A,B) = mean over the columns of A of their best sigmoid(z) in B (and the
// same from B's side); the features are gaps to the best table, so 0 = the best.
class TableContext {
 public:
  TableContext(const std::vector<Column>& src, const std::vector<Column>& tgt,
               const std::vector<float>& z);

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

}  // namespace tmatch
