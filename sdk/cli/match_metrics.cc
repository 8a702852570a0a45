// Scores of `embedkit match eval` (see match_metrics.h).
#include "match_metrics.h"

#include "errors.h"

namespace ek::cli {

GoldBySource IndexGold(const GoldPairs& gold) {
  GoldBySource by_source;
  for (const auto& [s, t] : gold) by_source[s].insert(t);
  return by_source;
}

std::ofstream OpenFeatureDump(const std::string& path, const MatcherHandle& m) {
  std::ofstream dump(path);
  if (!dump) throw RuntimeError("cannot write '" + path + "'");
  dump << "source,target,label";
  const size_t ns = m.ext->signal_count(m.self);
  for (size_t q = 0; q < ns; ++q) dump << ',' << m.ext->signal_name(m.self, q);
  dump << '\n';
  return dump;
}

namespace {

// Source column i of `r`.
void TallyColumn(const MatcherHandle& m, const ek_matcher_result* r, size_t i, const GoldBySource& gold,
                 Tally* tally, std::ofstream* dump) {
  ek_matcher_column src{};
  src.struct_size = sizeof src;
  size_t count = 0;
  m.Check(m.ext->result_column(r, i, &src, &count), "result_column");
  const std::string sid = LowerAscii(src.id);
  const auto g = gold.find(sid);
  size_t first = 0;
  for (size_t k = 0; k < count; ++k) {
    ek_matcher_candidate c{};
    c.struct_size = sizeof c;
    m.Check(m.ext->result_candidate(r, i, k, &c), "result_candidate");
    ek_matcher_column tgt{};
    tgt.struct_size = sizeof tgt;
    m.Check(m.ext->result_target(r, c.target_index, &tgt), "result_target");
    const std::string tid = LowerAscii(tgt.id);
    const bool is_gold = g != gold.end() && g->second.count(tid);
    if (c.is_match) tally->predicted.emplace(sid, tid);
    if (is_gold && first == 0) first = k + 1;
    if (c.judge_probability >= 0) {
      ++tally->judged;
      if (is_gold) ++tally->gold_judged;
      if ((c.judge_probability >= 0.5f) != is_gold) ++tally->judge_wrong;
    }
    if (dump && *dump) {
      *dump << '"' << sid << "\",\"" << tid << "\"," << (is_gold ? 1 : 0);
      for (size_t q = 0; q < c.signal_count; ++q) *dump << ',' << c.signals[q];
      *dump << '\n';
    }
  }
  if (g == gold.end()) return;
  ++tally->ranked;
  if (first == 1) ++tally->hit1;
  if (first >= 1 && first <= 5) ++tally->hit5;
  if (first) tally->mrr += 1.0 / static_cast<double>(first);
}

double Ratio(size_t a, size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

double F1(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

}  // namespace

void TallyResult(const MatcherHandle& m, const ek_matcher_result* r, const GoldBySource& gold,
                 Tally* tally, std::ofstream* dump) {
  const size_t n = m.ext->result_column_count(r);
  for (size_t i = 0; i < n; ++i) TallyColumn(m, r, i, gold, tally, dump);
}

Metrics Score(const GoldPairs& gold, const Tally& t) {
  Metrics m;
  for (const auto& p : t.predicted) m.true_positives += gold.count(p);
  m.predicted = t.predicted.size();
  m.ranked = t.ranked;
  m.precision = Ratio(m.true_positives, m.predicted);
  m.recall = Ratio(m.true_positives, gold.size());
  m.f1 = F1(m.precision, m.recall);
  m.hit1 = Ratio(t.hit1, t.ranked);
  m.hit5 = Ratio(t.hit5, t.ranked);
  m.mrr = t.ranked ? t.mrr / static_cast<double>(t.ranked) : 0.0;
  m.judged = t.judged > 0;
  m.judge_error = Ratio(t.judge_wrong, t.judged);
  m.judge_recall = Ratio(t.gold_judged, gold.size());
  m.judge_f1_bound = F1(1.0, m.judge_recall);
  return m;
}

void WriteMetrics(JsonWriter& w, const Metrics& m) {
  w.Key("precision").Double(m.precision)
      .Key("recall").Double(m.recall)
      .Key("f1").Double(m.f1)
      .Key("hit1").Double(m.hit1)
      .Key("hit5").Double(m.hit5)
      .Key("mrr").Double(m.mrr)
      .Key("ranked_sources").UInt(m.ranked)
      .Key("predicted_pairs").UInt(m.predicted)
      .Key("true_positives").UInt(m.true_positives);
  if (m.judged) {
    w.Key("judge_error").Double(m.judge_error)
        .Key("judge_recall").Double(m.judge_recall)
        .Key("judge_f1_bound").Double(m.judge_f1_bound);
  }
}

}  // namespace ek::cli
