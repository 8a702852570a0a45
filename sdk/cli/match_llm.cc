// The CLI's LLM hooks for table_match (see match_llm.h).
#include "match_llm.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

#include "match_llm_command.h"
#include "match_oracle.h"
#include "match_prompts.h"
#include "match_transcript.h"

namespace ek::cli {
namespace {

// Prompts answered by an external command (optionally recorded) or by a transcript.
// A prompt asked twice in one run (e.g. in both settings of `match eval`) is answered
// once.
class PromptLlm : public MatchLlm {
 public:
  PromptLlm(std::optional<std::string> command, std::optional<std::string> record,
            std::optional<std::string> replay) : command_(std::move(command)) {
    if (record) writer_.emplace(*record);
    if (replay) replay_.emplace(*replay);
  }

  std::string Context(const ek_matcher_column& c) override {
    return TrimAnswer(Ask("context", ContextPrompt(c), "'" + std::string(c.id) + "'"));
  }
  float Judge(const ek_matcher_column& c, const ek_matcher_column& t) override {
    return ParseJudgeAnswer(Ask("judge", JudgePrompt(c, t), "'" + std::string(c.id) + "' and '" + t.id + "'"));
  }
  void Finish() override {
    if (writer_) writer_->Close();
  }

 private:
  const std::string& Ask(const std::string& kind, const std::string& prompt, const std::string& about) {
    auto key = std::make_pair(kind, prompt);
    if (auto it = asked_.find(key); it != asked_.end()) return it->second;
    std::string answer = replay_ ? replay_->Answer(kind, prompt, about) : RunPromptCommand(*command_, kind, prompt);
    if (writer_) writer_->Add(kind, prompt, answer);
    return asked_.emplace(std::move(key), std::move(answer)).first->second;
  }

  std::optional<std::string> command_;
  std::optional<TranscriptWriter> writer_;
  std::optional<TranscriptReplay> replay_;
  std::map<std::pair<std::string, std::string>, std::string> asked_;
};

// The C callbacks: exceptions stop here, their message is kept for the CLI.
ek_status ContextHook(void* user, const ek_matcher_column* column, char* out, size_t capacity, size_t* length) {
  auto* llm = static_cast<MatchLlm*>(user);
  try {
    const std::string text = llm->Context(*column);
    *length = std::min(text.size(), capacity);
    std::memcpy(out, text.data(), *length);
    return EK_OK;
  } catch (const std::exception& e) {
    llm->SetReason(e.what());
    return EK_ERR_PLUGIN;
  }
}

ek_status JudgeHook(void* user, const ek_matcher_column* column, const ek_matcher_column* candidate, float* p) {
  auto* llm = static_cast<MatchLlm*>(user);
  try {
    *p = llm->Judge(*column, *candidate);
    return EK_OK;
  } catch (const std::exception& e) {
    llm->SetReason(e.what());
    return EK_ERR_PLUGIN;
  }
}

double ParseUnitNumber(const std::string& text, const std::string& option, const std::string& command,
                       bool zero_allowed) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end || !std::isfinite(v) || v < 0 || v > 1 || (!zero_allowed && v == 0)) {
    throw UsageError("--" + option + " must be a number in " + (zero_allowed ? "[0, 1]" : "(0, 1]") + ", got '" +
                         text + "'",
                     command);
  }
  return v;
}

std::unique_ptr<MatchLlm> MakeLlm(const ParsedArgs& args, const std::string& command, const GoldPairs* gold,
                                  const std::vector<LoadedColumn>& targets) {
  const auto run = args.Value("llm-command"), record = args.Value("llm-record"), replay = args.Value("llm-replay");
  const auto oracle = args.Value("oracle-epsilon");
  if ((run ? 1 : 0) + (replay ? 1 : 0) + (oracle ? 1 : 0) > 1) {
    throw UsageError("give one of --llm-command, --llm-replay and --oracle-epsilon", command);
  }
  if (record && !run) throw UsageError("--llm-record needs --llm-command (it records the command's answers)", command);
  if (oracle) {
    const double epsilon = ParseUnitNumber(*oracle, "oracle-epsilon", command, true);
    return std::make_unique<OracleLlm>(*gold, targets, epsilon, args.UInt("oracle-seed", 1, 0, UINT64_MAX));
  }
  if (run || replay) return std::make_unique<PromptLlm>(run, record, replay);
  for (const char* o : {"llm-hooks", "judge-top-n", "judge-weight", "oracle-seed"}) {
    if (args.Has(o)) {
      throw UsageError(std::string("--") + o + " needs --llm-command, --llm-replay" +
                           (gold ? " or --oracle-epsilon" : ""),
                       command);
    }
  }
  return nullptr;
}

}  // namespace

std::vector<OptionSpec> MatchLlmOptions(bool with_oracle) {
  std::vector<OptionSpec> o = {
      OptionSpec{"llm-command", 0, "CMD", "LLM hooks: pipe each prompt to `sh -c CMD`, its stdout\n"
                                          "is the answer (docs/table_match.md)"},
      OptionSpec{"llm-record", 0, "FILE", "with --llm-command: write prompts and answers (JSONL)"},
      OptionSpec{"llm-replay", 0, "FILE", "LLM hooks answered from a recorded FILE; a prompt it\n"
                                          "lacks fails"},
      OptionSpec{"llm-hooks", 0, "H", "judge, context or both (default both)"},
      OptionSpec{"judge-top-n", 0, "N", "candidates judged per column, 1..1024 (default 5)"},
      OptionSpec{"judge-weight", 0, "W", "weight of the judge's probability, (0, 1] (default 0.5)"},
  };
  if (with_oracle) {
    o.push_back(OptionSpec{"oracle-epsilon", 0, "E", "LLM hooks answered by the gold, wrong with\n"
                                                     "probability E in [0, 1] (a diagnosis)"});
    o.push_back(OptionSpec{"oracle-seed", 0, "N", "seed of the oracle's errors (default 1)"});
  }
  return o;
}

std::unique_ptr<MatchLlm> InstallMatchLlm(const ParsedArgs& args, MatcherHandle& m, const std::string& command,
                                          const GoldPairs* gold, const std::vector<LoadedColumn>& targets) {
  std::unique_ptr<MatchLlm> llm = MakeLlm(args, command, gold, targets);
  if (!llm) return llm;
  const std::string hooks = args.Value("llm-hooks").value_or("both");
  if (hooks != "judge" && hooks != "context" && hooks != "both") {
    throw UsageError("--llm-hooks must be judge, context or both, got '" + hooks + "'", command);
  }
  ek_matcher_llm_hooks h{};
  h.struct_size = sizeof h;
  h.user_data = llm.get();
  h.generate_context = hooks != "judge" ? &ContextHook : nullptr;
  h.judge = hooks != "context" ? &JudgeHook : nullptr;
  h.judge_top_n = static_cast<uint32_t>(args.UInt("judge-top-n", 5, 1, kMaxK));
  if (const auto w = args.Value("judge-weight")) {
    h.judge_weight = static_cast<float>(ParseUnitNumber(*w, "judge-weight", command, false));
  }
  m.Check(m.ext->set_llm_hooks(m.self, &h), "set_llm_hooks");
  return llm;
}

LibraryError WithLlmReason(const LibraryError& error, const MatchLlm* llm) {
  if (!llm || llm->Reason().empty()) return error;
  return LibraryError(error.status(), std::string(error.what()) + ": " + llm->Reason());
}

}  // namespace ek::cli
