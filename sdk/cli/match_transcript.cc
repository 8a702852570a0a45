// Record / replay of the LLM hooks' prompts (see match_transcript.h).
#include "match_transcript.h"

#include "errors.h"
#include "json_writer.h"
#include "jsonl_reader.h"

namespace ek::cli {

TranscriptWriter::TranscriptWriter(std::string path) : path_(std::move(path)), out_(path_, std::ios::binary) {
  if (!out_) throw RuntimeError("cannot write the LLM transcript '" + path_ + "'");
}

void TranscriptWriter::Add(const std::string& kind, const std::string& prompt, const std::string& response) {
  JsonWriter w;
  w.BeginObject().Key("kind").String(kind).Key("prompt").String(prompt).Key("response").String(response).EndObject();
  out_ << w.str() << '\n';
  out_.flush();  // a run that fails later keeps what it was answered
}

void TranscriptWriter::Close() {
  out_.close();
  if (out_.fail()) throw RuntimeError("writing the LLM transcript '" + path_ + "' failed");
}

namespace {

std::string Field(const simdjson::dom::object& o, const char* key, const std::string& where) {
  std::string_view v;
  if (o[key].get(v) != simdjson::SUCCESS) throw RuntimeError(where + "\"" + key + "\" must be a string");
  return std::string(v);
}

}  // namespace

TranscriptReplay::TranscriptReplay(std::string path) : path_(std::move(path)) {
  JsonLinesReader in(path_, "LLM transcript");
  simdjson::dom::object o;
  while (in.NextObject(&o)) {
    const std::string where = in.Where();
    auto key = std::make_pair(Field(o, "kind", where), Field(o, "prompt", where));
    const std::string response = Field(o, "response", where);
    const auto [it, added] = answers_.emplace(std::move(key), response);
    if (!added && it->second != response) {
      throw RuntimeError(where + "this " + it->first.first + " prompt was recorded before with another response");
    }
  }
}

const std::string& TranscriptReplay::Answer(const std::string& kind, const std::string& prompt,
                                            const std::string& about) const {
  const auto it = answers_.find({kind, prompt});
  if (it == answers_.end()) {
    throw RuntimeError("the LLM transcript '" + path_ + "' has no response to the " + kind + " prompt for " + about +
                       " (record it with --llm-command CMD --llm-record FILE; the prompt:\n" + prompt + ")");
  }
  return it->second;
}

}  // namespace ek::cli
