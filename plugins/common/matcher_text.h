// The table_match plugin's answers in words, as every host that shows them says them:
// the CLI (`embedkit match`) and SQL (ek_match) both print a candidate's "top signals"
// and read the same input format names, so a user sees one vocabulary in both.
#pragma once

#include <embedkit/ext/matcher.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ek_plugin {

// The format names MatcherFormatNamed reads, for refusals ("must be <these>, got ...").
inline constexpr const char* kMatcherFormatNames =
    "auto, schema-json, ddl, glossary-json or glossary-csv";

// The EK_MATCHER_FORMAT_* that `name` stands for ("sql" and "csv" are accepted as the
// short forms of ddl and glossary-csv), or nullopt for any other name.
std::optional<uint32_t> MatcherFormatNamed(std::string_view name);

// The signals that raised `candidate`'s score most, best first, at most `count` and only
// those that raised it at all: "name_char +0.52, type_compat +0.20" (two decimals).
// `matcher` and `instance` name the signals (ek_matcher_ext::signal_name).
std::string MatcherTopSignals(const ek_matcher_ext& matcher, void* instance,
                              const ek_matcher_candidate& candidate, size_t count = 3);

}  // namespace ek_plugin
