// Runs the external command of `--llm-command CMD` for one prompt: `/bin/sh -c CMD` with
// the prompt as its standard input and EK_LLM_KIND=judge|context in its environment;
// its standard output is the answer, its standard error passes through. The command is
// whatever reaches the model: a llama.cpp CLI, a curl call to a local server or a
// hosted API (docs/table_match.md shows both).
#pragma once

#include <string>

namespace ek::cli {

// Throws RuntimeError when the command cannot start or exits with a non-zero status.
std::string RunPromptCommand(const std::string& command, const std::string& kind, const std::string& prompt);

}  // namespace ek::cli
