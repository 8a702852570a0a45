// The table-pair setting of `embedkit match eval` (Parciak et al. 2024, the MIMIC-IV →
// OMOP benchmark): each source table is matched only against the target table it is
// known to correspond to, one match per (source table, target table) pair, instead of
// against every target. The pairs come from a CSV file (--table-pairs) or from the gold
// mapping. The plugin is not told about pairs: the CLI loads, for each pair, only that
// source table and that target table into the instance (rebuilt from what the instance
// reports through ek_matcher_ext::column), so its ranking covers the pair's columns only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cmd_match_io.h"
#include "match_metrics.h"

namespace ek::cli {

// One loaded column or glossary entry, as ek_matcher_ext::column describes it.
struct LoadedColumn {
  std::string id, table, name, type, description, table_description, synonyms;
};

// Every entry of `side` of the instance, in load order.
std::vector<LoadedColumn> SnapshotSide(const MatcherHandle& m, uint32_t side);

using TablePairs = std::vector<std::pair<std::string, std::string>>;  // lower-case names

// A CSV of "source_table,target_table" lines (an optional header line naming those two
// columns, '#' comments and blank lines skipped). Every table must be loaded: an unknown
// name fails with "FILE:LINE: ...".
TablePairs ReadTablePairs(const std::string& path, const std::vector<LoadedColumn>& sources,
                          const std::vector<LoadedColumn>& targets);

// The pairs of tables the gold pairs join (targets without a table, e.g. plain glossary
// entries, give none).
TablePairs TablePairsFromGold(const GoldPairs& gold, const std::vector<LoadedColumn>& sources,
                              const std::vector<LoadedColumn>& targets);

struct TablePairRun {
  Tally tally;
  size_t gold_outside_pairs = 0;  // gold pairs whose tables are not a listed pair
  size_t target_columns = 0;      // summed over the pairs (the candidates offered)
};

// Clears the instance's sides and matches every pair in turn (leaves the last pair
// loaded). `options.top_k` is raised to the pair's target count.
TablePairRun RunTablePairs(MatcherHandle& m, const ek_matcher_options& options, const TablePairs& pairs,
                           const std::vector<LoadedColumn>& sources, const std::vector<LoadedColumn>& targets,
                           const GoldPairs& gold);

}  // namespace ek::cli
