// table_match: key propagation along both sides' key graphs (keys.h).
#include "keys.h"

#include <algorithm>
#include <set>
#include <utility>

namespace tmatch {
namespace {

// Per table: whether one of its columns names the table itself (its own key).
std::vector<char> TablesWithOwnKey(const KeyGraph& g) {
  uint32_t tables = 0;
  for (uint32_t t : g.table) tables = std::max(tables, t + 1);
  std::vector<char> own(tables, 0);
  for (size_t i = 0; i < g.table.size(); ++i)
    if (g.named[i] >= 0 && static_cast<uint32_t>(g.named[i]) == g.table[i]) own[g.table[i]] = 1;
  return own;
}

// Column i is in the key class of table `a`: a's own key, or a column naming a in a table
// without an own key.
bool InClass(const KeyGraph& g, const std::vector<char>& own, size_t i, int a) {
  if (a < 0 || g.named[i] != a) return false;
  return g.table[i] == static_cast<uint32_t>(a) || !own[g.table[i]];
}

bool Matched(const std::vector<Candidate>& list, uint32_t t) {
  return std::any_of(list.begin(), list.end(), [&](const Candidate& c) { return c.match && c.target == t; });
}

}  // namespace

void PropagateKeys(CandidateLists* candidates, const KeyGraph& source, const KeyGraph& target,
                   const std::vector<float>& score, const PairAdmitted& admitted) {
  const size_t S = source.table.size(), T = target.table.size();
  const std::vector<char> sown = TablesWithOwnKey(source), town = TablesWithOwnKey(target);
  // The decided pairs (member of source class A, own key K of target table B), one per (A, B).
  std::set<std::pair<int, int>> seen;
  std::vector<std::pair<size_t, uint32_t>> triggers;
  for (size_t s = 0; s < S; ++s)
    for (const Candidate& c : (*candidates)[s]) {
      const int b = target.named[c.target];
      if (!c.match || b < 0 || static_cast<uint32_t>(b) != target.table[c.target]) continue;
      if (!InClass(source, sown, s, source.named[s])) continue;
      if (seen.emplace(source.named[s], b).second) triggers.emplace_back(s, c.target);
    }
  for (const auto& [s0, k] : triggers) {
    const int a = source.named[s0], b = target.named[k];
    // (a) sources matched elsewhere in B's naming keep their match; (b) their targets are taken.
    std::vector<char> keeps(S, 0), taken(T, 0);
    for (size_t s = 0; s < S; ++s) {
      if (source.named[s] != a) continue;
      for (const Candidate& c : (*candidates)[s])
        if (c.match && c.target != k && target.named[c.target] == b) keeps[s] = taken[c.target] = 1;
    }
    const std::string why = "key " + source.ids[s0] + " = " + target.ids[k];
    // A target member is admitted when stage A admits it for any propagating source.
    std::vector<char> admit(T, 0);
    for (size_t s = 0; s < S; ++s)
      if (!keeps[s] && InClass(source, sown, s, a))
        for (size_t t = 0; t < T; ++t) admit[t] = admit[t] || (InClass(target, town, t, b) && admitted(s, t));
    for (size_t s = 0; s < S; ++s) {
      if (keeps[s] || !InClass(source, sown, s, a)) continue;
      auto& list = (*candidates)[s];
      for (size_t t = 0; t < T; ++t) {
        if (taken[t] || !InClass(target, town, t, b) || !admit[t] ||
            Matched(list, static_cast<uint32_t>(t)))
          continue;
        auto it = std::find_if(list.begin(), list.end(), [&](const Candidate& c) { return c.target == t; });
        if (it == list.end()) {
          Candidate c;
          c.target = static_cast<uint32_t>(t);
          c.score = c.model_score = score[s * T + t];
          list.push_back(c);
          it = list.end() - 1;
        }
        it->match = true;
        it->key_path = why;
      }
    }
  }
}

}  // namespace tmatch
