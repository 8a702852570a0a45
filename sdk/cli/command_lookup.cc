#include "command_lookup.h"

#include <algorithm>

namespace ek::cli {

std::vector<std::string_view> CommandWords(std::string_view path) {
  std::vector<std::string_view> words;
  while (!path.empty()) {
    size_t space = path.find(' ');
    words.push_back(path.substr(0, space));
    if (space == std::string_view::npos) break;
    path.remove_prefix(space + 1);
  }
  return words;
}

const Command* FindCommand(std::span<const Command> commands, const std::vector<std::string>& words,
                           size_t* used) {
  const Command* found = nullptr;
  *used = 0;
  for (const Command& c : commands) {
    const auto path = CommandWords(c.spec->path);
    if (path.size() > words.size() || path.size() <= *used) continue;
    if (!std::equal(path.begin(), path.end(), words.begin())) continue;
    found = &c;
    *used = path.size();
  }
  return found;
}

}  // namespace ek::cli
