// embedkit match eval: precision / recall / F1 of the decided matches against a gold
// mapping (predicted vs gold (source column, target) pairs, as the LLMatch benchmark
// counts them), and Hit@1, Hit@5 and MRR of the ranking over the source columns that
// have a gold target. Optionally dumps every ranked pair's signals for training
// (tests/plugins/table_match/train/train.py).
#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <ostream>

#include "cmd_match_io.h"
#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "session.h"
#include "table.h"

namespace ek::cli {
namespace {

using GoldPairs = std::set<std::pair<std::string, std::string>>;  // lower-case ids

// What the ranking of every source column adds up to (ids lower-cased).
struct Tally {
  std::map<std::string, std::set<std::string>> gold_by_src;
  GoldPairs predicted;
  size_t ranked = 0, hit1 = 0, hit5 = 0;  // over source columns with a gold target
  double mrr = 0;
  std::set<std::string> seen_src, seen_tgt;
};

// The CSV of --dump-features: a header of the signal names; one row per ranked pair.
std::ofstream OpenDump(const std::string& path, const MatcherHandle& m) {
  std::ofstream dump(path);
  if (!dump) throw RuntimeError("cannot write '" + path + "'");
  dump << "source,target,label";
  const size_t ns = m.ext->signal_count(m.self);
  for (size_t q = 0; q < ns; ++q) dump << ',' << m.ext->signal_name(m.self, q);
  dump << '\n';
  return dump;
}

std::set<std::string> LoadedTargets(const MatcherHandle& m, const ek_matcher_result* r, size_t n_targets) {
  std::set<std::string> ids;
  for (size_t t = 0; t < n_targets; ++t) {
    ek_matcher_column c{};
    c.struct_size = sizeof c;
    m.Check(m.ext->result_target(r, t, &c), "result_target");
    ids.insert(LowerAscii(c.id));
  }
  return ids;
}

// Source column i: its decided pairs, the rank of its first gold target (Hit@1/5, MRR)
// and, with a dump, every candidate's signals.
void TallyColumn(const MatcherHandle& m, const ek_matcher_result* r, size_t i, Tally* tally,
                 std::ofstream& dump) {
  ek_matcher_column src{};
  src.struct_size = sizeof src;
  size_t count = 0;
  m.Check(m.ext->result_column(r, i, &src, &count), "result_column");
  const std::string sid = LowerAscii(src.id);
  tally->seen_src.insert(sid);
  auto g = tally->gold_by_src.find(sid);
  size_t first = 0;
  for (size_t k = 0; k < count; ++k) {
    ek_matcher_candidate c{};
    c.struct_size = sizeof c;
    m.Check(m.ext->result_candidate(r, i, k, &c), "result_candidate");
    ek_matcher_column tgt{};
    tgt.struct_size = sizeof tgt;
    m.Check(m.ext->result_target(r, c.target_index, &tgt), "result_target");
    const std::string tid = LowerAscii(tgt.id);
    const bool is_gold = g != tally->gold_by_src.end() && g->second.count(tid);
    if (c.is_match) tally->predicted.emplace(sid, tid);
    if (is_gold && first == 0) first = k + 1;
    if (dump) {
      dump << '"' << sid << "\",\"" << tid << "\"," << (is_gold ? 1 : 0);
      for (size_t q = 0; q < c.signal_count; ++q) dump << ',' << c.signals[q];
      dump << '\n';
    }
  }
  if (g != tally->gold_by_src.end()) {
    ++tally->ranked;
    if (first == 1) ++tally->hit1;
    if (first >= 1 && first <= 5) ++tally->hit5;
    if (first) tally->mrr += 1.0 / static_cast<double>(first);
  }
}

struct Sizes {
  size_t sources = 0, targets = 0;
  double load_s = 0, match_s = 0;
  uint32_t mode = EK_MATCHER_MODE_ONE_TO_MANY;
};

std::string EvalJson(const GoldPairs& gold, const Tally& t, const Sizes& z) {
  size_t tp = 0, unresolved = 0;
  for (const auto& p : t.predicted) tp += gold.count(p);
  for (const auto& [s, tg] : gold) unresolved += (!t.seen_src.count(s) || !t.seen_tgt.count(tg)) ? 1 : 0;
  const double precision = t.predicted.empty() ? 0 : static_cast<double>(tp) / static_cast<double>(t.predicted.size());
  const double recall = static_cast<double>(tp) / static_cast<double>(gold.size());
  const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
  const double rk = t.ranked ? static_cast<double>(t.ranked) : 1.0;
  JsonWriter w;
  w.BeginObject()
      .Key("precision").Double(precision)
      .Key("recall").Double(recall)
      .Key("f1").Double(f1)
      .Key("hit1").Double(static_cast<double>(t.hit1) / rk)
      .Key("hit5").Double(static_cast<double>(t.hit5) / rk)
      .Key("mrr").Double(t.mrr / rk)
      .Key("time").Double(z.load_s + z.match_s)
      .Key("time_load").Double(z.load_s)
      .Key("time_match").Double(z.match_s)
      .Key("sources").UInt(z.sources)
      .Key("targets").UInt(z.targets)
      .Key("gold_pairs").UInt(gold.size())
      .Key("gold_pairs_not_loaded").UInt(unresolved)
      .Key("ranked_sources").UInt(t.ranked)
      .Key("predicted_pairs").UInt(t.predicted.size())
      .Key("true_positives").UInt(tp)
      .Key("mode").String(z.mode == EK_MATCHER_MODE_ONE_TO_ONE ? "1:1" : "1:n")
      .EndObject();
  return w.str();
}

int Run(const Invocation& inv) {
  using Clock = std::chrono::steady_clock;
  const auto gold = ReadGold(inv.args.Required("gold"));
  Session session(inv.global);
  const auto t0 = Clock::now();
  MatcherHandle m(session.context(), MatchConfig(inv.args));
  MatchPrepare(inv.args, m, "match eval");
  ek_matcher_options o = MatchOptions(inv.args, m, "match eval");
  Sizes z;
  m.Check(m.ext->count(m.self, EK_MATCHER_TARGET, &z.targets), "count");
  m.Check(m.ext->count(m.self, EK_MATCHER_SOURCE, &z.sources), "count");
  // Rank deep enough for MRR (and for the training dump: every target).
  o.top_k = static_cast<uint32_t>(std::min<size_t>(kMaxK, std::max<size_t>(z.targets, 5)));
  z.mode = o.mode;
  const auto t1 = Clock::now();
  MatcherResultPtr r(m.Match(o), MatcherResultFree{m.ext});
  const auto t2 = Clock::now();
  z.load_s = std::chrono::duration<double>(t1 - t0).count();
  z.match_s = std::chrono::duration<double>(t2 - t1).count();

  Tally tally;
  for (const auto& [s, t] : gold) tally.gold_by_src[s].insert(t);
  std::ofstream dump;
  if (const auto dump_path = inv.args.Value("dump-features")) dump = OpenDump(*dump_path, m);
  tally.seen_tgt = LoadedTargets(m, r.get(), z.targets);
  const size_t n = m.ext->result_column_count(r.get());
  for (size_t i = 0; i < n; ++i) TallyColumn(m, r.get(), i, &tally, dump);
  inv.out << EvalJson(gold, tally, z) << '\n';
  return kExitOk;
}

std::vector<OptionSpec> Specs() {
  std::vector<OptionSpec> o = MatchInputOptions();
  o.push_back(OptionSpec{"gold", 'g', "FILE", "gold mapping: LLMatch ground truth (src_table,src_column,\n"
                                              "tgt_table,tgt_column), LLMatch -original, or\n"
                                              "type,source,relationship,target"});
  o.push_back(OptionSpec{"dump-features", 0, "FILE", "write every ranked pair's signals and gold label (CSV)"});
  return o;
}

const CommandSpec kSpec{
    .path = "match eval",
    .summary = "score table_match against a gold mapping (P/R/F1, Hit@1/5, MRR, time)",
    .positionals = {},
    .options = Specs(),
    .details =
        "Prints one JSON object: precision, recall and f1 of the decided pairs against the\n"
        "gold pairs; hit1, hit5 and mrr of the ranking over source columns with a gold\n"
        "target; time in seconds (loading + matching, after reading the files).",
    .examples =
        "embedkit match eval -s imdb-schema.json -t sakila-schema.json -g IMDB-SAKILA-ground_truth.csv\n"
        "embedkit match eval -s mimic4-omop/docs --source-docs-prefix mimic_ -t mimic4-omop/docs \\\n"
        "    --target-docs-prefix omop_ -g mimic4-omop/ground_truth.csv",
};

}  // namespace

const Command& MatchEvalCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
