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

int Run(const Invocation& inv) {
  using Clock = std::chrono::steady_clock;
  const auto gold = ReadGold(inv.args.Required("gold"));
  Session session(inv.global);
  const auto t0 = Clock::now();
  MatcherHandle m(session.context(), MatchConfig(inv.args));
  MatchPrepare(inv.args, m, "match eval");
  ek_matcher_options o = MatchOptions(inv.args, m, "match eval");
  size_t n_targets = 0, n_sources = 0;
  m.Check(m.ext->count(m.self, EK_MATCHER_TARGET, &n_targets), "count");
  m.Check(m.ext->count(m.self, EK_MATCHER_SOURCE, &n_sources), "count");
  // Rank deep enough for MRR (and for the training dump: every target).
  o.top_k = static_cast<uint32_t>(std::min<size_t>(kMaxK, std::max<size_t>(n_targets, 5)));
  const auto t1 = Clock::now();
  MatcherResultPtr r(m.Match(o), MatcherResultFree{m.ext});
  const auto t2 = Clock::now();

  std::map<std::string, std::set<std::string>> gold_by_src;
  for (const auto& [s, t] : gold) gold_by_src[s].insert(t);
  std::set<std::pair<std::string, std::string>> predicted;
  size_t ranked = 0, hit1 = 0, hit5 = 0;
  double mrr = 0;
  std::set<std::string> seen_src, seen_tgt;
  std::ofstream dump;
  const auto dump_path = inv.args.Value("dump-features");
  if (dump_path) {
    dump.open(*dump_path);
    if (!dump) throw RuntimeError("cannot write '" + *dump_path + "'");
    dump << "source,target,label";
    const size_t ns = m.ext->signal_count(m.self);
    for (size_t q = 0; q < ns; ++q) dump << ',' << m.ext->signal_name(m.self, q);
    dump << '\n';
  }
  for (size_t t = 0; t < n_targets; ++t) {
    ek_matcher_column c{};
    c.struct_size = sizeof c;
    m.Check(m.ext->result_target(r.get(), t, &c), "result_target");
    seen_tgt.insert(LowerAscii(c.id));
  }
  const size_t n = m.ext->result_column_count(r.get());
  for (size_t i = 0; i < n; ++i) {
    ek_matcher_column src{};
    src.struct_size = sizeof src;
    size_t count = 0;
    m.Check(m.ext->result_column(r.get(), i, &src, &count), "result_column");
    const std::string sid = LowerAscii(src.id);
    seen_src.insert(sid);
    auto g = gold_by_src.find(sid);
    size_t first = 0;
    for (size_t k = 0; k < count; ++k) {
      ek_matcher_candidate c{};
      c.struct_size = sizeof c;
      m.Check(m.ext->result_candidate(r.get(), i, k, &c), "result_candidate");
      ek_matcher_column tgt{};
      tgt.struct_size = sizeof tgt;
      m.Check(m.ext->result_target(r.get(), c.target_index, &tgt), "result_target");
      const std::string tid = LowerAscii(tgt.id);
      const bool is_gold = g != gold_by_src.end() && g->second.count(tid);
      if (c.is_match) predicted.emplace(sid, tid);
      if (is_gold && first == 0) first = k + 1;
      if (dump) {
        dump << '"' << sid << "\",\"" << tid << "\"," << (is_gold ? 1 : 0);
        for (size_t q = 0; q < c.signal_count; ++q) dump << ',' << c.signals[q];
        dump << '\n';
      }
    }
    if (g != gold_by_src.end()) {
      ++ranked;
      if (first == 1) ++hit1;
      if (first >= 1 && first <= 5) ++hit5;
      if (first) mrr += 1.0 / static_cast<double>(first);
    }
  }
  size_t tp = 0, unresolved = 0;
  for (const auto& p : predicted) tp += gold.count(p);
  for (const auto& [s, t] : gold) unresolved += (!seen_src.count(s) || !seen_tgt.count(t)) ? 1 : 0;
  const double precision = predicted.empty() ? 0 : static_cast<double>(tp) / static_cast<double>(predicted.size());
  const double recall = static_cast<double>(tp) / static_cast<double>(gold.size());
  const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
  const double rk = ranked ? static_cast<double>(ranked) : 1.0;
  const double load_s = std::chrono::duration<double>(t1 - t0).count();
  const double match_s = std::chrono::duration<double>(t2 - t1).count();
  JsonWriter w;
  w.BeginObject()
      .Key("precision").Double(precision)
      .Key("recall").Double(recall)
      .Key("f1").Double(f1)
      .Key("hit1").Double(static_cast<double>(hit1) / rk)
      .Key("hit5").Double(static_cast<double>(hit5) / rk)
      .Key("mrr").Double(mrr / rk)
      .Key("time").Double(load_s + match_s)
      .Key("time_load").Double(load_s)
      .Key("time_match").Double(match_s)
      .Key("sources").UInt(n_sources)
      .Key("targets").UInt(n_targets)
      .Key("gold_pairs").UInt(gold.size())
      .Key("gold_pairs_not_loaded").UInt(unresolved)
      .Key("ranked_sources").UInt(ranked)
      .Key("predicted_pairs").UInt(predicted.size())
      .Key("true_positives").UInt(tp)
      .Key("mode").String(o.mode == EK_MATCHER_MODE_ONE_TO_ONE ? "1:1" : "1:n")
      .EndObject();
  inv.out << w.str() << '\n';
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
