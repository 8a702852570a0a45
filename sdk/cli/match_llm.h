// The LLM hooks of table_match (ek_matcher_llm_hooks, abi/include/embedkit/ext/matcher.h)
// as the CLI provides them to `embedkit match` and `embedkit match eval`:
//   --llm-command CMD   each prompt (match_prompts.h) is piped to `sh -c CMD` and its
//                       standard output is the answer (a llama.cpp or curl wrapper);
//   --llm-record FILE   with --llm-command: every prompt and answer appended to FILE as
//                       JSON Lines {"kind","prompt","response"};
//   --llm-replay FILE   answers from such a file, no command run; a prompt the file
//                       lacks fails the match and names the prompt;
//   --oracle-epsilon E  (match eval only) a judge and a context provider that know the
//                       gold mapping and lie with probability E, seeded (--oracle-seed):
//                       what an LLM of a given error rate could at best add.
// --llm-hooks judge|context|both chooses the hooks, --judge-top-n and --judge-weight
// are passed on to the plugin.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "cmd_match_io.h"
#include "errors.h"
#include "match_metrics.h"
#include "match_table_pairs.h"

namespace ek::cli {

// What answers the hooks. Implementations throw on failure; the hook trampolines turn
// that into a failed status and keep the message for the CLI (Reason()).
class MatchLlm {
 public:
  virtual ~MatchLlm() = default;
  virtual std::string Context(const ek_matcher_column& column) = 0;
  virtual float Judge(const ek_matcher_column& column, const ek_matcher_column& candidate) = 0;
  // Ends the run (e.g. checks that the record file was written); throws on failure.
  virtual void Finish() {}

  // The message of the hook call that failed, "" if none did.
  const std::string& Reason() const { return reason_; }
  void SetReason(std::string reason) { reason_ = std::move(reason); }

 private:
  std::string reason_;
};

// The options above; the oracle's only for `match eval`.
std::vector<OptionSpec> MatchLlmOptions(bool with_oracle);

// Registers the hooks the options ask for on `m` and returns what answers them (keep
// it alive while matching), or nullptr when no LLM option was given. `gold` and
// `targets` feed the oracle (eval only; nullptr gold elsewhere).
std::unique_ptr<MatchLlm> InstallMatchLlm(const ParsedArgs& args, MatcherHandle& m, const std::string& command,
                                          const GoldPairs* gold, const std::vector<LoadedColumn>& targets);

// A failed match whose hook said why: the library's message with the hook's reason.
LibraryError WithLlmReason(const LibraryError& error, const MatchLlm* llm);

}  // namespace ek::cli
