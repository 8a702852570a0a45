// embedkit match: match table metadata to a glossary or another schema with the
// table_match plugin (docs/table_match.md), through the public C API and the plugin's
// "ek.matcher/1" table only. Human-readable table, or the plugin's JSON with --json.
#include <cstdlib>
#include <memory>
#include <ostream>

#include "cmd_match_io.h"
#include "command.h"
#include "errors.h"
#include "match_llm.h"
#include "matcher_text.h"
#include "session.h"
#include "table.h"

namespace ek::cli {
namespace {

void Prepare(const ParsedArgs& args, MatcherHandle& m, const std::string& command) {
  if (auto a = args.Value("abbreviations")) {
    const std::string text = ReadWholeFile(*a);
    m.Check(m.ext->add_abbreviations(m.self, text.data(), text.size()), "add_abbreviations");
  }
  m.LoadSpec(EK_MATCHER_SOURCE, args.Required("source"),
             ParseFormat(args.Value("source-format").value_or("auto"), command),
             args.Value("source-docs-prefix").value_or(""));
  m.LoadSpec(EK_MATCHER_TARGET, args.Required("target"),
             ParseFormat(args.Value("target-format").value_or("auto"), command),
             args.Value("target-docs-prefix").value_or(""));
}

ek_matcher_options Options(const ParsedArgs& args, const MatcherHandle& m, const std::string& command) {
  ek_matcher_options o;
  m.ext->options_init(&o);
  o.top_k = static_cast<uint32_t>(args.UInt("k", 5, 1, kMaxK));
  o.mode = args.Has("one-to-one") ? EK_MATCHER_MODE_ONE_TO_ONE : EK_MATCHER_MODE_ONE_TO_MANY;
  o.max_matches = static_cast<uint32_t>(args.UInt("max-matches", 0, 0, 1024));
  if (auto t = args.Value("threshold")) {
    char* end = nullptr;
    const double v = std::strtod(t->c_str(), &end);
    if (end == t->c_str() || *end || v < 0 || v > 1)
      throw UsageError("--threshold must be a number in [0, 1]", command);
    o.threshold = static_cast<float>(v);
  }
  return o;
}

int Run(const Invocation& inv) {
  Session session(inv.global);
  MatcherHandle m(session.context(), MatchConfig(inv.args));
  Prepare(inv.args, m, "match");
  const ek_matcher_options o = Options(inv.args, m, "match");
  const std::unique_ptr<MatchLlm> llm = InstallMatchLlm(inv.args, m, "match", nullptr, {});
  MatcherResultPtr r(nullptr, MatcherResultFree{m.ext});
  try {
    r.reset(m.Match(o));
  } catch (const LibraryError& e) {
    throw WithLlmReason(e, llm.get());
  }
  if (llm) llm->Finish();
  if (inv.global.json) {
    char* json = nullptr;
    m.Check(m.ext->result_json(r.get(), &json), "result_json");
    inv.out << json << '\n';
    m.ext->free_text(json);
    return kExitOk;
  }
  const bool only = inv.args.Has("matches-only");
  Table t({{"source", Table::Align::kLeft, 40},
           {"rank", Table::Align::kRight, 0},
           {"target", Table::Align::kLeft, 48},
           {"score", Table::Align::kRight, 0},
           {"match", Table::Align::kLeft, 0},
           {"top signals", Table::Align::kLeft, 60}});
  const size_t n = m.ext->result_column_count(r.get());
  for (size_t i = 0; i < n; ++i) {
    ek_matcher_column src{};
    src.struct_size = sizeof src;
    size_t count = 0;
    m.Check(m.ext->result_column(r.get(), i, &src, &count), "result_column");
    for (size_t k = 0; k < count; ++k) {
      ek_matcher_candidate c{};
      c.struct_size = sizeof c;
      m.Check(m.ext->result_candidate(r.get(), i, k, &c), "result_candidate");
      if (only && !c.is_match) continue;
      ek_matcher_column tgt{};
      tgt.struct_size = sizeof tgt;
      m.Check(m.ext->result_target(r.get(), c.target_index, &tgt), "result_target");
      t.AddRow({k == 0 || only ? std::string(src.id) : "", std::to_string(k + 1), tgt.id,
                FormatFixed(c.score, 3), c.is_match ? "yes" : "", ek_plugin::MatcherTopSignals(*m.ext, m.self, c)});
    }
  }
  t.Print(inv.out);
  return kExitOk;
}

std::vector<OptionSpec> Specs() {
  std::vector<OptionSpec> o = MatchInputOptions();
  o.push_back(OptionSpec{"k", 'k', "N", "candidates per source column, 1..1024 (default 5)"});
  o.push_back(OptionSpec{"matches-only", 0, "", "list only the candidates decided as matches"});
  for (OptionSpec& s : MatchLlmOptions(/*with_oracle=*/false)) o.push_back(std::move(s));
  return o;
}

const CommandSpec kSpec{
    .path = "match",
    .summary = "match table columns to a glossary or another schema (table_match)",
    .positionals = {},
    .options = Specs(),
    .details =
        "Ranks, for every source column, the targets by a calibrated score in [0,1], marks\n"
        "matches above the model's threshold and shows the signals that contributed most.\n"
        "Runs fully offline; see docs/table_match.md for the method and the LLM hooks.",
    .examples =
        "embedkit match --source bank1.sql,bank1-comment.sql --target bank2.sql,bank2-comment.sql\n"
        "embedkit match -s schema.json -t glossary.csv --one-to-one --json\n"
        "embedkit match -s s.sql -t g.csv --llm-command ./ask-llama.sh --llm-record run.jsonl --json\n"
        "embedkit match -s s.sql -t g.csv --llm-replay run.jsonl --json",
};

}  // namespace

const Command& MatchCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

// Used by cmd_match_eval.cc.
void MatchPrepare(const ParsedArgs& args, MatcherHandle& m, const std::string& command) {
  Prepare(args, m, command);
}
ek_matcher_options MatchOptions(const ParsedArgs& args, const MatcherHandle& m,
                                const std::string& command) {
  return Options(args, m, command);
}

}  // namespace ek::cli
