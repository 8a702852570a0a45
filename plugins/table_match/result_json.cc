// table_match: the JSON document of a match result (Result::ToJson).
#include "json_quote.h"
#include "matcher.h"

#include <cmath>
#include <cstdio>

namespace tmatch {

namespace {

std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Appends `,"key":value` (no comma for the first member of an object).
void Member(std::string* o, bool first, std::string_view key, std::string_view value) {
  if (!first) o->push_back(',');
  o->append(ek_plugin::JsonQuote(key)).push_back(':');
  o->append(value);
}

// Appends {"name":value,...} over the signal names.
void SignalObject(std::string* o, const std::vector<std::string>& names, const std::vector<float>& values) {
  o->push_back('{');
  for (size_t q = 0; q < values.size(); ++q) Member(o, q == 0, names[q], Num(values[q]));
  o->push_back('}');
}

// "table_evidence": the evidence of the pair's tables (stage A).
void TableEvidenceJson(std::string* o, const Candidate& k) {
  const TableEvidence& e = k.table;
  Member(o, false, "table_evidence", "{");
  Member(o, true, "rank", std::to_string(e.rank + 1));
  Member(o, false, "score", Num(e.score));
  Member(o, false, "tfidf", Num(e.tfidf));
  Member(o, false, "wordvec", Num(e.wordvec));
  Member(o, false, "flooding", Num(e.flooding));
  Member(o, false, "hint", e.hint ? "true" : "false");
  Member(o, false, "in_top_tables", k.outside_tables ? "false" : "true");
  if (k.keys_disagree) Member(o, false, "named_tables_agree", "false");
  o->push_back('}');
}

void CandidateJson(std::string* o, const Candidate& k, const Column& t, const std::vector<std::string>& names,
                   bool table_stage) {
  o->push_back('{');
  Member(o, true, "id", ek_plugin::JsonQuote(t.id));
  Member(o, false, "table", ek_plugin::JsonQuote(t.table));
  Member(o, false, "name", ek_plugin::JsonQuote(t.name));
  Member(o, false, "score", Num(k.score));
  Member(o, false, "model_score", Num(k.model_score));
  if (k.judge >= 0) Member(o, false, "judge", Num(k.judge));
  Member(o, false, "match", k.match ? "true" : "false");
  Member(o, false, "signals", "");
  SignalObject(o, names, k.signals);
  Member(o, false, "contributions", "");
  SignalObject(o, names, k.contributions);
  if (table_stage) TableEvidenceJson(o, k);
  if (!k.key_path.empty()) Member(o, false, "key_propagation", ek_plugin::JsonQuote(k.key_path));
  if (!k.hints.empty()) {
    Member(o, false, "hints", "[");
    for (size_t i = 0; i < k.hints.size(); ++i) {
      if (i) o->push_back(',');
      o->append(ek_plugin::JsonQuote(k.hints[i]));
    }
    o->push_back(']');
  }
  o->push_back('}');
}

}  // namespace

std::string Result::ToJson() const {
  std::string o = "{";
  Member(&o, true, "model", ek_plugin::JsonQuote(variant));
  Member(&o, false, "threshold", Num(threshold));
  Member(&o, false, "mode", ek_plugin::JsonQuote(mode == EK_MATCHER_MODE_ONE_TO_ONE ? "1:1" : "1:n"));
  Member(&o, false, "signals", "[");
  for (size_t i = 0; i < signal_names.size(); ++i) {
    if (i) o.push_back(',');
    o += ek_plugin::JsonQuote(signal_names[i]);
  }
  o += "],\"columns\":[";
  for (size_t s = 0; s < sources.size(); ++s) {
    const Column& c = sources[s];
    o += s ? ",{" : "{";
    Member(&o, true, "id", ek_plugin::JsonQuote(c.id));
    Member(&o, false, "table", ek_plugin::JsonQuote(c.table));
    Member(&o, false, "name", ek_plugin::JsonQuote(c.name));
    Member(&o, false, "candidates", "[");
    for (size_t r = 0; r < candidates[s].size(); ++r) {
      if (r) o.push_back(',');
      CandidateJson(&o, candidates[s][r], targets[candidates[s][r].target], signal_names, table_stage);
    }
    o += "]}";
  }
  o += "]";
  if (!warnings.empty()) {
    o += ",\"warnings\":[";
    for (size_t i = 0; i < warnings.size(); ++i) {
      if (i) o.push_back(',');
      o += ek_plugin::JsonQuote(warnings[i]);
    }
    o += "]";
  }
  return o + "}";
}

}  // namespace tmatch
