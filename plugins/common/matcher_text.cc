#include "matcher_text.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

namespace ek_plugin {

std::optional<uint32_t> MatcherFormatNamed(std::string_view name) {
  if (name == "auto") return EK_MATCHER_FORMAT_AUTO;
  if (name == "schema-json") return EK_MATCHER_FORMAT_SCHEMA_JSON;
  if (name == "ddl" || name == "sql") return EK_MATCHER_FORMAT_SQL_DDL;
  if (name == "glossary-json") return EK_MATCHER_FORMAT_GLOSSARY_JSON;
  if (name == "glossary-csv" || name == "csv") return EK_MATCHER_FORMAT_GLOSSARY_CSV;
  return std::nullopt;
}

std::string MatcherTopSignals(const ek_matcher_ext& matcher, void* instance,
                              const ek_matcher_candidate& candidate, size_t count) {
  std::vector<std::pair<float, size_t>> top;  // (contribution, signal index)
  for (size_t q = 0; q < candidate.signal_count; ++q) top.emplace_back(candidate.contributions[q], q);
  std::sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::string words;
  for (size_t q = 0; q < top.size() && q < count; ++q) {
    if (top[q].first <= 0) break;
    char value[32];
    std::snprintf(value, sizeof value, " +%.2f", double(top[q].first));
    if (!words.empty()) words += ", ";
    words += std::string(matcher.signal_name(instance, top[q].second)) + value;
  }
  return words;
}

}  // namespace ek_plugin
