// Transcripts of the LLM hooks (match_llm.h): one JSON Lines record per prompt,
// {"kind":"judge"|"context","prompt":"...","response":"..."}, in the order the plugin
// asked. Recorded against a real model anywhere, replayed in CI with no model: the
// prompts are pure functions of the columns (match_prompts.h), so the same run asks the
// same prompts and gets the same answers, and its output is byte-identical.
#pragma once

#include <fstream>
#include <map>
#include <string>

namespace ek::cli {

class TranscriptWriter {
 public:
  explicit TranscriptWriter(std::string path);  // truncates; throws RuntimeError
  void Add(const std::string& kind, const std::string& prompt, const std::string& response);
  void Close();  // throws RuntimeError when a write failed

 private:
  std::string path_;
  std::ofstream out_;
};

class TranscriptReplay {
 public:
  // Reads the whole file; one prompt recorded with two different answers fails.
  explicit TranscriptReplay(std::string path);
  // The recorded answer; throws RuntimeError naming the file and the prompt's first line
  // when the prompt is not recorded.
  const std::string& Answer(const std::string& kind, const std::string& prompt, const std::string& about) const;

 private:
  std::string path_;
  std::map<std::pair<std::string, std::string>, std::string> answers_;  // (kind, prompt) -> response
};

}  // namespace ek::cli
