// The noisy gold oracle behind the LLM hooks (see match_oracle.h).
#include "match_oracle.h"

#include <algorithm>

namespace ek::cli {

OracleLlm::OracleLlm(const GoldPairs& gold, std::vector<LoadedColumn> targets, double epsilon, uint64_t seed)
    : gold_(IndexGold(gold)), targets_(std::move(targets)), epsilon_(epsilon), seed_(seed) {}

double OracleLlm::Draw(std::string_view hook, const std::string& a, const std::string& b) const {
  // FNV-1a over the fields (separated), then SplitMix64's finaliser to spread the bits.
  uint64_t h = 1469598103934665603ull ^ seed_;
  auto mix = [&h](std::string_view s) {
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  mix(hook);
  mix(a);
  mix(b);
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

float OracleLlm::Judge(const ek_matcher_column& column, const ek_matcher_column& candidate) {
  const std::string a = LowerAscii(column.id), b = LowerAscii(candidate.id);
  const auto g = gold_.find(a);
  const bool label = g != gold_.end() && g->second.count(b);
  const bool lie = Draw("judge", a, b) < epsilon_;
  return label != lie ? 1.0f : 0.0f;
}

std::string OracleLlm::Context(const ek_matcher_column& column) {
  const std::string a = LowerAscii(column.id);
  if (Draw("context", a, "") < epsilon_ && !targets_.empty()) {
    const double u = Draw("context-pick", a, "");
    const size_t pick = std::min(targets_.size() - 1, static_cast<size_t>(u * static_cast<double>(targets_.size())));
    return "same as " + targets_[pick].name;
  }
  const auto g = gold_.find(a);
  if (g == gold_.end()) return "";
  std::string text = "same as";
  for (const LoadedColumn& t : targets_) {
    if (g->second.count(LowerAscii(t.id))) text += " " + t.name;
  }
  return text;
}

}  // namespace ek::cli
