// Which registered command the leading words of a command line name. Separate from
// dispatch.cc so that the rule can be tested against any table, not only the registry.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"

namespace ek::cli {

// The words of a command path: "store search" -> {"store", "search"}.
std::vector<std::string_view> CommandWords(std::string_view path);

// The command whose path is the longest run of leading `words`, or nullptr; *used
// receives the number of words its path has. The longest wins, so "match eval ..."
// runs `match eval` wherever it stands in the table relative to `match`.
const Command* FindCommand(std::span<const Command> commands, const std::vector<std::string>& words,
                           size_t* used);

}  // namespace ek::cli
