// The prompt templates of the CLI's LLM hooks (match_llm.h) and how an answer is read.
// A prompt is a pure function of the column(s) the plugin passes, so a run replays
// from a transcript (match_transcript.h) exactly when the same prompts come up.
// Changing a template changes every prompt: recorded transcripts must be recorded again.
#pragma once

#include <embedkit/ext/matcher.h>

#include <string>
#include <string_view>

namespace ek::cli {

// generate_context: asks for a sentence or two on what `column` contains.
std::string ContextPrompt(const ek_matcher_column& column);
// judge: asks for the probability that `column` and `candidate` mean the same thing.
std::string JudgePrompt(const ek_matcher_column& column, const ek_matcher_column& candidate);

// A judge answer: a number in [0, 1] (leading spaces allowed, then anything), or an
// answer starting with yes / no (1 / 0), any case. Throws RuntimeError quoting the
// answer otherwise.
float ParseJudgeAnswer(std::string_view answer);
// A context answer with surrounding white space removed.
std::string TrimAnswer(std::string_view answer);

}  // namespace ek::cli
