// embedkit match eval: scores table_match against a gold mapping in two settings.
//   whole-target: every source column ranked against every loaded target (what
//     `embedkit match` does; LLMatch's counting);
//   table-pairs: each source table matched only against the target table(s) it is
//     known to correspond to (Parciak et al. 2024; match_table_pairs.h), the pairs from
//     --table-pairs FILE or from the gold.
// Each setting: precision / recall / F1 of the decided (source column, target) pairs,
// Hit@1, Hit@5 and MRR over the source columns with a gold target. Optionally dumps
// every ranked pair's signals in the whole-target setting for training
// (tests/plugins/table_match/train/train.py), and runs the LLM hooks (match_llm.h).
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <ostream>

#include "cmd_match_io.h"
#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "match_llm.h"
#include "match_metrics.h"
#include "match_table_pairs.h"
#include "session.h"
#include "table.h"

namespace ek::cli {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

struct WholeTarget {
  Metrics metrics;
  size_t sources = 0, targets = 0;
  double load_s = 0, match_s = 0;
};

struct PairSetting {
  std::string skipped;  // why the setting did not run ("" when it ran)
  std::string pairs_from;
  size_t pairs = 0, gold_outside_pairs = 0, target_columns = 0;
  Metrics metrics;
  double time_s = 0;
};

struct Report {
  WholeTarget whole;
  PairSetting pairs;
  size_t gold_pairs = 0;
  std::vector<std::pair<std::string, std::string>> not_loaded;  // gold pairs naming absent columns
  uint32_t mode = EK_MATCHER_MODE_ONE_TO_MANY;
  std::string hints;  // the --hints file, "" without: results with hints are reported apart
};

WholeTarget RunWholeTarget(const Invocation& inv, MatcherHandle& m, ek_matcher_options o, const GoldPairs& gold,
                           Clock::time_point t0) {
  WholeTarget w;
  m.Check(m.ext->count(m.self, EK_MATCHER_TARGET, &w.targets), "count");
  m.Check(m.ext->count(m.self, EK_MATCHER_SOURCE, &w.sources), "count");
  // Rank deep enough for MRR (and for the training dump: every target).
  o.top_k = static_cast<uint32_t>(std::min<size_t>(kMaxK, std::max<size_t>(w.targets, 5)));
  const auto t1 = Clock::now();
  MatcherResultPtr r(m.Match(o), MatcherResultFree{m.ext});
  w.load_s = Seconds(t0, t1);
  w.match_s = Seconds(t1, Clock::now());
  std::ofstream dump;
  if (const auto path = inv.args.Value("dump-features")) dump = OpenFeatureDump(*path, m);
  Tally tally;
  TallyResult(m, r.get(), IndexGold(gold), &tally, &dump);
  w.metrics = Score(gold, tally);
  return w;
}

std::vector<std::pair<std::string, std::string>> GoldNotLoaded(const GoldPairs& gold,
                                                               const std::vector<LoadedColumn>& sources,
                                                               const std::vector<LoadedColumn>& targets) {
  std::set<std::string> src, tgt;
  for (const auto& c : sources) src.insert(LowerAscii(c.id));
  for (const auto& c : targets) tgt.insert(LowerAscii(c.id));
  std::vector<std::pair<std::string, std::string>> missing;
  for (const auto& [s, t] : gold) {
    if (!src.count(s) || !tgt.count(t)) missing.emplace_back(s, t);
  }
  return missing;
}

PairSetting RunPairSetting(const Invocation& inv, MatcherHandle& m, const ek_matcher_options& o,
                           const GoldPairs& gold, const std::vector<LoadedColumn>& sources,
                           const std::vector<LoadedColumn>& targets) {
  PairSetting p;
  const auto file = inv.args.Value("table-pairs");
  p.pairs_from = file ? *file : "gold";
  const TablePairs pairs = file ? ReadTablePairs(*file, sources, targets) : TablePairsFromGold(gold, sources, targets);
  if (pairs.empty()) {
    p.skipped = "no gold pair joins two loaded tables (e.g. glossary targets without a table column)";
    return p;
  }
  const auto t0 = Clock::now();
  const TablePairRun run = RunTablePairs(m, o, pairs, sources, targets, gold);
  p.time_s = Seconds(t0, Clock::now());
  p.pairs = pairs.size();
  p.gold_outside_pairs = run.gold_outside_pairs;
  p.target_columns = run.target_columns;
  p.metrics = Score(gold, run.tally);
  return p;
}

std::string ReportJson(const Report& r) {
  const WholeTarget& w = r.whole;
  JsonWriter j;
  // The whole-target setting stays at the top level (the layout before the second
  // setting existed; train.py and scripts read it).
  j.BeginObject().Key("setting").String("whole_target");
  WriteMetrics(j, w.metrics);
  j.Key("time").Double(w.load_s + w.match_s)
      .Key("time_load").Double(w.load_s)
      .Key("time_match").Double(w.match_s)
      .Key("sources").UInt(w.sources)
      .Key("targets").UInt(w.targets)
      .Key("gold_pairs").UInt(r.gold_pairs)
      .Key("gold_pairs_not_loaded").UInt(r.not_loaded.size())
      .Key("gold_pairs_not_loaded_list").BeginArray();
  for (const auto& [s, t] : r.not_loaded) j.String(s + " -> " + t);
  j.EndArray().Key("mode").String(r.mode == EK_MATCHER_MODE_ONE_TO_ONE ? "1:1" : "1:n");
  j.Key("hints");
  if (r.hints.empty()) {
    j.Null();
  } else {
    j.String(r.hints);
  }
  j.Key("table_pairs").BeginObject();
  const PairSetting& p = r.pairs;
  if (!p.skipped.empty()) {
    j.Key("skipped").String(p.skipped);
  } else {
    j.Key("pairs_from").String(p.pairs_from).Key("pairs").UInt(p.pairs);
    WriteMetrics(j, p.metrics);
    j.Key("gold_pairs_outside_pairs").UInt(p.gold_outside_pairs)
        .Key("candidates_per_pair")
        .Double(static_cast<double>(p.target_columns) / static_cast<double>(p.pairs))
        .Key("time").Double(p.time_s);
  }
  j.EndObject().EndObject();
  return j.str();
}

void PrintReport(std::ostream& out, const Report& r) {
  Table t({{"setting", Table::Align::kLeft, 0},
           {"P", Table::Align::kRight, 0},
           {"R", Table::Align::kRight, 0},
           {"F1", Table::Align::kRight, 0},
           {"Hit@1", Table::Align::kRight, 0},
           {"Hit@5", Table::Align::kRight, 0},
           {"MRR", Table::Align::kRight, 0},
           {"ranked", Table::Align::kRight, 0},
           {"judge error", Table::Align::kRight, 0},
           {"judge F1 bound", Table::Align::kRight, 0}});
  auto row = [&t](const std::string& name, const Metrics& m) {
    t.AddRow({name, FormatFixed(m.precision, 3), FormatFixed(m.recall, 3), FormatFixed(m.f1, 3),
              FormatFixed(m.hit1, 3), FormatFixed(m.hit5, 3), FormatFixed(m.mrr, 3), std::to_string(m.ranked),
              m.judged ? FormatFixed(m.judge_error, 3) : "-", m.judged ? FormatFixed(m.judge_f1_bound, 3) : "-"});
  };
  row("whole-target", r.whole.metrics);
  if (r.pairs.skipped.empty()) row("table-pairs", r.pairs.metrics);
  t.Print(out);
  out << "whole-target: " << r.whole.sources << " sources x " << r.whole.targets << " targets, "
      << FormatFixed(r.whole.load_s + r.whole.match_s, 3) << " s\n";
  if (!r.pairs.skipped.empty()) {
    out << "table-pairs: skipped: " << r.pairs.skipped << '\n';
  } else {
    out << "table-pairs: " << r.pairs.pairs << " pairs (from " << r.pairs.pairs_from << "), "
        << FormatFixed(static_cast<double>(r.pairs.target_columns) / static_cast<double>(r.pairs.pairs), 1)
        << " candidates per pair, " << r.pairs.gold_outside_pairs << " gold pairs outside them, "
        << FormatFixed(r.pairs.time_s, 3) << " s\n";
  }
  out << "gold pairs: " << r.gold_pairs << ", not loaded: " << r.not_loaded.size() << '\n';
  if (!r.hints.empty()) out << "with hints: " << r.hints << '\n';
  for (const auto& [s, t] : r.not_loaded) out << "  not loaded: " << s << " -> " << t << '\n';
}

int Run(const Invocation& inv) {
  const GoldPairs gold = ReadGold(inv.args.Required("gold"));
  Session session(inv.global);
  const auto t0 = Clock::now();
  MatcherHandle m(session.context(), MatchConfig(inv.args));
  MatchPrepare(inv.args, m, "match eval");
  const ek_matcher_options o = MatchOptions(inv.args, m, "match eval");
  const auto sources = SnapshotSide(m, EK_MATCHER_SOURCE);
  const auto targets = SnapshotSide(m, EK_MATCHER_TARGET);
  const std::unique_ptr<MatchLlm> llm = InstallMatchLlm(inv.args, m, "match eval", &gold, targets);
  Report r;
  r.gold_pairs = gold.size();
  r.mode = o.mode;
  r.hints = inv.args.Value("hints").value_or("");
  r.not_loaded = GoldNotLoaded(gold, sources, targets);
  try {
    r.whole = RunWholeTarget(inv, m, o, gold, t0);
    r.pairs = RunPairSetting(inv, m, o, gold, sources, targets);
  } catch (const LibraryError& e) {
    throw WithLlmReason(e, llm.get());
  }
  if (llm) llm->Finish();
  if (inv.global.json) {
    inv.out << ReportJson(r) << '\n';
  } else {
    PrintReport(inv.out, r);
  }
  return kExitOk;
}

std::vector<OptionSpec> Specs() {
  std::vector<OptionSpec> o = MatchInputOptions();
  o.push_back(OptionSpec{"gold", 'g', "FILE", "gold mapping: LLMatch ground truth (src_table,src_column,\n"
                                              "tgt_table,tgt_column), LLMatch -original, or\n"
                                              "type,source,relationship,target"});
  o.push_back(OptionSpec{"table-pairs", 0, "FILE", "CSV of source_table,target_table for the table-pair\n"
                                                   "setting (default: the pairs the gold joins)"});
  o.push_back(OptionSpec{"dump-features", 0, "FILE", "write every ranked pair's signals and gold label (CSV)"});
  for (OptionSpec& s : MatchLlmOptions(/*with_oracle=*/true)) o.push_back(std::move(s));
  return o;
}

const CommandSpec kSpec{
    .path = "match eval",
    .summary = "score table_match against a gold mapping (P/R/F1, Hit@1/5, MRR, time)",
    .positionals = {},
    .options = Specs(),
    .details =
        "Two settings. whole-target: every source column ranked against every target.\n"
        "table-pairs (Parciak et al. 2024): each source table matched only against its\n"
        "known target table, one match per pair (pairs from --table-pairs or the gold).\n"
        "Each: precision, recall and F1 of the decided pairs against the gold pairs;\n"
        "Hit@1, Hit@5 and MRR over source columns with a gold target. --json prints one\n"
        "object: the whole-target figures at the top level, the other under table_pairs.\n"
        "--oracle-judge EPS runs a judge that knows the gold and lies with probability EPS\n"
        "(a diagnosis of the LLM hooks; docs/table_match.md).",
    .examples =
        "embedkit match eval -s imdb-schema.json -t sakila-schema.json -g IMDB-SAKILA-ground_truth.csv\n"
        "embedkit match eval -s mimic4-omop/docs --source-docs-prefix mimic_ -t mimic4-omop/docs \\\n"
        "    --target-docs-prefix omop_ -g mimic4-omop/ground_truth.csv --json\n"
        "embedkit match eval -s bank1.sql -t bank2.sql -g gold.csv --oracle-judge 0.1 --judge-top-n 5",
};

}  // namespace

const Command& MatchEvalCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
