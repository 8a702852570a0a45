// ek_match(source, target [, options]): the table_match plugin (docs/table_match.md) as
// a table-valued function, one row per (source column, candidate) as `embedkit match`
// prints them: source ("table.column"), rank (1 = best), target (the glossary entry's or
// target column's id), score in [0, 1], is_match (1 above the decision threshold, and
// assigned under one_to_one), explanation (the three signals that raised the score
// most, "name_char +0.52, ..."). `source` and `target` are the texts the CLI reads from
// its files (SQL DDL, schema JSON, glossary JSON or CSV; the format is detected unless
// an option names it). Options, a JSON object, are the CLI's flags:
//   k (1..1024, default 5), one_to_one (bool), threshold ([0, 1]), max_matches
//   (0..1024), source_format / target_format (auto, schema-json, ddl, glossary-json,
//   glossary-csv), config (the plugin's configuration object), abbreviations (object).
#include <embedkit/ext/matcher.h>

#include "base/error.h"
#include "matcher_text.h"
#include "sql/plugin_functions_internal.h"
#include "sql/table_function.h"

namespace ek::sql::plugins {
namespace {

constexpr const char* kName = "ek_match";
constexpr const char* kKnownOptions =
    "k,one_to_one,threshold,max_matches,source_format,target_format,config,abbreviations";

uint32_t ParseFormat(const std::string& name, std::string_view what) {
  if (auto format = ek_plugin::MatcherFormatNamed(name)) return *format;
  Refuse(what, std::string("a format must be ") + ek_plugin::kMatcherFormatNames + ", got '" + name + "'");
}

using Matcher = Plugin<ek_matcher_ext>;

void Load(const Matcher& m, uint32_t side, const std::string& text, uint32_t format) {
  const char* what = side == EK_MATCHER_SOURCE ? "source" : "target";
  const ek_status s = m->load(m.self(), side, text.data(), text.size(), format);
  if (s != EK_OK) CheckPluginStatus(s, "load", m->last_error(m.self()), std::string(kName) + "() " + what + ": ");
}

ek_matcher_options MatchOptions(const Matcher& m, const Options& o) {
  ek_matcher_options options;
  m->options_init(&options);
  options.top_k = uint32_t(o.Integer("k", 5, 1, 1024));
  options.mode = o.Boolean("one_to_one", false) ? EK_MATCHER_MODE_ONE_TO_ONE : EK_MATCHER_MODE_ONE_TO_MANY;
  options.max_matches = uint32_t(o.Integer("max_matches", 0, 0, 1024));
  options.threshold = float(o.Number("threshold", double(options.threshold), 0, 1));
  return options;
}

struct ResultFree {
  const ek_matcher_ext* ext;
  void operator()(ek_matcher_result* r) const { ext->result_free(r); }
};

Rows ResultRows(const Matcher& m, const ek_matcher_result* r) {
  Rows rows;
  const size_t n = m->result_column_count(r);
  for (size_t i = 0; i < n; ++i) {
    ek_matcher_column source{};
    source.struct_size = sizeof source;
    size_t count = 0;
    m.Check(m->result_column(r, i, &source, &count), "result_column");
    for (size_t k = 0; k < count; ++k) {
      ek_matcher_candidate c{};
      c.struct_size = sizeof c;
      m.Check(m->result_candidate(r, i, k, &c), "result_candidate");
      ek_matcher_column target{};
      target.struct_size = sizeof target;
      m.Check(m->result_target(r, c.target_index, &target), "result_target");
      rows.push_back({std::string(source.id), int64_t(k + 1), std::string(target.id), double(c.score),
                      int64_t(c.is_match ? 1 : 0), ek_plugin::MatcherTopSignals(m.table(), m.self(), c)});
    }
  }
  return rows;
}

Rows Run(Session* session, sqlite3_value* const* args) {
  const std::string source = TextArg(args[0], ArgWhat(kName, 0));
  const std::string target = TextArg(args[1], ArgWhat(kName, 1));
  const std::optional<std::string> options_json = args[2] ? OptionalTextArg(args[2], ArgWhat(kName, 2)) : std::nullopt;
  const std::string what = std::string(kName) + "() options";
  const Options o(options_json.value_or("{}"), what, kKnownOptions);
  Matcher m(session->context(), "embedkit.table_match", EK_EXT_MATCHER, o.Object("config", "{}"));
  const std::string abbreviations = o.Object("abbreviations", "");
  if (!abbreviations.empty()) {
    m.Check(m->add_abbreviations(m.self(), abbreviations.data(), abbreviations.size()), "add_abbreviations");
  }
  Load(m, EK_MATCHER_SOURCE, source, ParseFormat(o.Text("source_format", "auto"), what));
  Load(m, EK_MATCHER_TARGET, target, ParseFormat(o.Text("target_format", "auto"), what));
  const ek_matcher_options options = MatchOptions(m, o);
  ek_matcher_result* raw = nullptr;
  m.Check(m->match(m.self(), &options, &raw), "match");
  std::unique_ptr<ek_matcher_result, ResultFree> result(raw, ResultFree{&m.table()});
  return ResultRows(m, result.get());
}

const TableFunction kMatch{
    .name = kName,
    .columns = "source TEXT, rank INTEGER, target TEXT, score REAL, is_match INTEGER, explanation TEXT",
    .arguments = "source_text, target_text, options",
    .result_columns = 6,
    .argument_count = 3,
    .required = 2,
    .run = Run,
};

}  // namespace

const TableFunction& MatchTableFunction() { return kMatch; }

}  // namespace ek::sql::plugins
