// A noisy oracle behind the LLM hooks, for `embedkit match eval --oracle-epsilon E`: it
// knows the gold mapping and errs with probability E, so the F1 it lets the plugin
// reach says what an LLM of that error rate could add through the hooks (and how many
// candidates the judge must see: judge_top_n). Not a model of anything; a diagnosis.
//   judge(column, candidate): the gold label (1 when the pair is a gold pair, else 0),
//     flipped with probability E;
//   context(column): the names of the column's gold targets ("person id"); with
//     probability E the name of a target drawn at random instead; "" for a column
//     without gold target unless that draw happens.
// The draws are a hash of (seed, hook, column id, candidate id): independent of the
// order of calls and identical on every run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "match_llm.h"

namespace ek::cli {

class OracleLlm : public MatchLlm {
 public:
  OracleLlm(const GoldPairs& gold, std::vector<LoadedColumn> targets, double epsilon, uint64_t seed);
  std::string Context(const ek_matcher_column& column) override;
  float Judge(const ek_matcher_column& column, const ek_matcher_column& candidate) override;

 private:
  double Draw(std::string_view hook, const std::string& a, const std::string& b) const;  // in [0, 1)

  GoldBySource gold_;
  std::vector<LoadedColumn> targets_;
  double epsilon_;
  uint64_t seed_;
};

}  // namespace ek::cli
