// table_match: parsing the model file (ParseModel; the model is described in matcher.h).
#include "json_syntax.h"
#include "matcher.h"

#include <simdjson.h>

#include <algorithm>

namespace tmatch {

namespace {

// "signals" and "weights": equal-length arrays of signal names and numbers.
void ParseSignals(const simdjson::dom::element& v, ModelVariant* mv) {
  simdjson::dom::array sigs, ws;
  if (v["signals"].get(sigs) || v["weights"].get(ws) || sigs.size() != ws.size()) {
    Fail(EK_ERR_PARSE, "model JSON: variant '" + mv->name + "' needs signals and weights of equal length");
  }
  for (auto s : sigs) {
    std::string_view sn;
    if (s.get(sn)) Fail(EK_ERR_PARSE, "model JSON: signal names are strings");
    int idx = -1;
    for (int k = 0; k < kSignalCount; ++k)
      if (sn == SignalName(k)) idx = k;
    if (idx < 0) Fail(EK_ERR_PARSE, "model JSON: unknown signal '" + std::string(sn) + "'");
    if (idx == kWvName || idx == kWvDesc || idx == kWvAlign || idx == kWvCover)
      mv->needs_wordvec = true;
    mv->signals.push_back(idx);
  }
  for (auto w : ws) {
    double d;
    if (w.get(d)) Fail(EK_ERR_PARSE, "model JSON: weights are numbers");
    mv->weights.push_back(d);
  }
}

// "context" and "context_weights" (stage 2), both or neither.
void ParseContext(const simdjson::dom::element& v, ModelVariant* mv) {
  simdjson::dom::array ctx, cws;
  const bool has_ctx = !v["context"].get(ctx);
  const bool has_cws = !v["context_weights"].get(cws);
  if (has_ctx != has_cws || (has_ctx && ctx.size() != cws.size())) {
    Fail(EK_ERR_PARSE, "model JSON: variant '" + mv->name +
                           "' needs context and context_weights of equal length");
  }
  if (!has_ctx) return;
  for (auto c : ctx) {
    std::string_view cn;
    if (c.get(cn)) Fail(EK_ERR_PARSE, "model JSON: context names are strings");
    int idx = -1;
    for (int k = 0; k < kContextCount; ++k)
      if (cn == ContextName(k)) idx = k;
    if (idx < 0) Fail(EK_ERR_PARSE, "model JSON: unknown context '" + std::string(cn) + "'");
    mv->context.push_back(idx);
  }
  for (auto w : cws) {
    double d;
    if (w.get(d)) Fail(EK_ERR_PARSE, "model JSON: context weights are numbers");
    mv->context_weights.push_back(d);
  }
}

// "table_stage" (optional): the hand-set parameters of stage A; present = on.
void ParseTableStage(const simdjson::dom::element& v, ModelVariant* mv) {
  simdjson::dom::object ts;
  if (v["table_stage"].get(ts)) return;
  TableStageParams& p = mv->table_stage;
  p.enabled = true;
  for (auto [key, value] : ts) {
    double d;
    if (value.get(d)) Fail(EK_ERR_PARSE, "model JSON: table_stage." + std::string(key) + " must be a number");
    if (key == "wordvec_weight") p.wordvec_weight = d;
    else if (key == "flood_weight") p.flood_weight = d;
    else if (key == "flood_iterations") p.flood_iterations = static_cast<uint32_t>(std::clamp(d, 0.0, 100.0));
    else if (key == "top_tables") p.top_tables = static_cast<uint32_t>(std::clamp(d, 1.0, 1e6));
    else if (key == "column_weight") p.column_weight = d;
    else if (key == "key_weight") p.key_weight = d;
    else if (key == "outside_penalty") p.outside_penalty = d;
    else if (key == "matches_per_table") p.matches_per_table = static_cast<uint32_t>(std::clamp(d, 0.0, 1024.0));
    else if (key == "propagate_keys") p.propagate_keys = d != 0;
    else if (key == "key_agreement") p.key_agreement = d != 0;
    else Fail(EK_ERR_PARSE, "model JSON: unknown table_stage key '" + std::string(key) + "'");
  }
}

ModelVariant ParseVariant(const simdjson::dom::element& v) {
  ModelVariant mv;
  std::string_view name;
  if (v["name"].get(name)) Fail(EK_ERR_PARSE, "model JSON: a variant has no name");
  mv.name = std::string(name);
  ParseSignals(v, &mv);
  auto num = [&](const char* key, double* out) {
    double d;
    if (!v[key].get(d)) *out = d;
  };
  num("bias", &mv.bias);
  num("a_z", &mv.a_z);
  num("a_row", &mv.a_row);
  num("a_col", &mv.a_col);
  num("b2", &mv.b2);
  num("threshold", &mv.threshold);
  num("match_fraction", &mv.match_fraction);
  if (!(mv.match_fraction > 0 && mv.match_fraction <= 1))
    Fail(EK_ERR_PARSE, "model JSON: match_fraction must be in (0, 1]");
  ParseContext(v, &mv);
  ParseTableStage(v, &mv);
  double mm = mv.max_matches;
  num("max_matches", &mm);
  mv.max_matches = static_cast<uint32_t>(std::clamp(mm, 1.0, 1024.0));
  return mv;
}

}  // namespace

Model ParseModel(const ek_host* host, std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root)) {
    Fail(EK_ERR_PARSE, "model JSON: " + ek_plugin::JsonSyntaxError(host, json, simdjson::error_message(err)));
  }
  Model m;
  simdjson::dom::array variants;
  if (root["variants"].get(variants)) Fail(EK_ERR_PARSE, "model JSON: no \"variants\" array");
  for (auto v : variants) m.variants.push_back(ParseVariant(v));
  if (m.variants.empty()) Fail(EK_ERR_PARSE, "model JSON: no variants");
  return m;
}

}  // namespace tmatch
