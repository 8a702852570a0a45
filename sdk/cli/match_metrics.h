// The scores of `embedkit match eval`: what a match result adds up to against a gold
// mapping (LLMatch counting: predicted vs gold (source column, target) pairs for
// precision / recall / F1; Hit@1, Hit@5 and MRR of the ranking over the source columns
// that have a gold target), in either evaluation setting (cmd_match_eval.cc).
#pragma once

#include <cstddef>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cmd_match_io.h"
#include "json_writer.h"

namespace ek::cli {

using GoldPairs = std::set<std::pair<std::string, std::string>>;  // lower-case ids
using GoldBySource = std::map<std::string, std::set<std::string>>;

GoldBySource IndexGold(const GoldPairs& gold);

// Accumulates over one or several results (the table-pair setting runs one per pair).
struct Tally {
  GoldPairs predicted;
  size_t ranked = 0, hit1 = 0, hit5 = 0;  // rankings of source columns with a gold target
  double mrr = 0;
  // Judge hook runs: gold pairs whose candidate the judge saw (the candidate list's
  // recall, which bounds what a perfect judge can reach).
  size_t gold_judged = 0;
  // Judged candidates, and those the judge got wrong: p >= 0.5 for a pair not in the
  // gold, p < 0.5 for a gold pair (a real model's error rate, to read against the
  // noisy-oracle curve of docs/table_match.md).
  size_t judged = 0, judge_wrong = 0;
};

// Adds every source column of `r`: its decided pairs, the rank of its first target in
// `gold` (Hit@1/5, MRR) and, when `dump` is open, every candidate's signals.
void TallyResult(const MatcherHandle& m, const ek_matcher_result* r, const GoldBySource& gold,
                 Tally* tally, std::ofstream* dump);

struct Metrics {
  double precision = 0, recall = 0, f1 = 0, hit1 = 0, hit5 = 0, mrr = 0;
  size_t true_positives = 0, predicted = 0, ranked = 0;
  bool judged = false;
  double judge_error = 0;   // share of judged candidates the judge got wrong (at 0.5)
  double judge_recall = 0;  // gold pairs among the judged candidates / gold pairs
  double judge_f1_bound = 0;  // F1 of a perfect judge on those candidates: 2R / (1 + R)
};

// Scores `tally` against all of `gold` (pairs no run could predict count as misses).
Metrics Score(const GoldPairs& gold, const Tally& tally);

// The metric members (precision ... mrr, true_positives, ...) into an open object.
void WriteMetrics(JsonWriter& w, const Metrics& m);

// The CSV header of --dump-features: the signal names.
std::ofstream OpenFeatureDump(const std::string& path, const MatcherHandle& m);

}  // namespace ek::cli
