// table_match: the decisions after ranking (docs/table_match.md, "Decisions"): the
// threshold a model's match_fraction implies, and which ranked candidates become
// matches under 1:n or under an optimal 1:1 assignment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "matcher.h"

namespace tmatch {

using CandidateLists = std::vector<std::vector<Candidate>>;  // per source, best first

// The order of a candidate list: higher score first (stable sorts keep ties in rank order).
bool ByScore(const Candidate& x, const Candidate& y);

// The threshold: options.threshold when set (>= 0), else the model's, raised (when
// match_fraction < 1) to the best score of the source column ranked at the top
// match_fraction of all source columns' best scores.
float ChooseThreshold(const CandidateLists& candidates, const ek_matcher_options& options,
                      const ModelVariant& model);

// 1:n: a candidate matches when its score reaches the threshold, its rank is below
// max_matches, its target table is among the source table's top tables, its keys do not
// disagree (Candidate::keys_disagree), and (when
// matches_per_table > 0) fewer than matches_per_table better candidates share its
// target table. Several sources may match one target.
void DecideOneToMany(CandidateLists* candidates, float threshold, uint32_t max_matches,
                     uint32_t matches_per_table = 0);

// 1:1: the optimal assignment over all S x T scores (row-major); a source's assigned
// target joins its list (replacing the last candidate) if it is not there, and
// matches when its score reaches the threshold.
void DecideOneToOne(CandidateLists* candidates, const std::vector<float>& score, size_t S,
                    size_t T, float threshold);

}  // namespace tmatch
