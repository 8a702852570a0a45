// Prompt templates of the CLI's LLM hooks (see match_prompts.h).
#include "match_prompts.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "errors.h"

namespace ek::cli {
namespace {

std::string OrNone(const char* s) { return s && *s ? std::string(s) : std::string("(none)"); }

// The fields a reader needs to tell what a column holds, one per line.
std::string Describe(const ek_matcher_column& c, const std::string& indent) {
  std::string d;
  d += indent + "table: " + OrNone(c.table) + "\n";
  d += indent + "name: " + OrNone(c.name) + "\n";
  d += indent + "type: " + OrNone(c.type) + "\n";
  d += indent + "description: " + OrNone(c.description) + "\n";
  d += indent + "table description: " + OrNone(c.table_description) + "\n";
  if (c.synonyms && *c.synonyms) d += indent + "synonyms: " + std::string(c.synonyms) + "\n";
  return d;
}

}  // namespace

std::string ContextPrompt(const ek_matcher_column& column) {
  return "You are documenting a database schema for data integration.\n"
         "Column " + OrNone(column.id) + ":\n" + Describe(column, "  ") +
         "In one or two sentences, say what this column contains. Answer with the sentences only.\n";
}

std::string JudgePrompt(const ek_matcher_column& column, const ek_matcher_column& candidate) {
  return "Schema matching: does the source column hold the same information as the target?\n"
         "Source column " + OrNone(column.id) + ":\n" + Describe(column, "  ") +
         "Target " + OrNone(candidate.id) + ":\n" + Describe(candidate, "  ") +
         "Answer with one number between 0 and 1: the probability that they match.\n";
}

std::string TrimAnswer(std::string_view a) {
  while (!a.empty() && std::isspace(static_cast<unsigned char>(a.front()))) a.remove_prefix(1);
  while (!a.empty() && std::isspace(static_cast<unsigned char>(a.back()))) a.remove_suffix(1);
  return std::string(a);
}

float ParseJudgeAnswer(std::string_view answer) {
  const std::string a = TrimAnswer(answer);
  std::string low;
  for (char ch : a.substr(0, 3)) low += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (low == "yes") return 1.0f;
  if (low.rfind("no", 0) == 0 && (a.size() == 2 || !std::isalpha(static_cast<unsigned char>(a[2])))) return 0.0f;
  char* end = nullptr;
  const double v = std::strtod(a.c_str(), &end);
  if (end != a.c_str() && std::isfinite(v) && v >= 0 && v <= 1) return static_cast<float>(v);
  throw RuntimeError("the judge's answer is neither a probability in [0, 1] nor yes/no: '" +
                     a.substr(0, 200) + "'");
}

}  // namespace ek::cli
