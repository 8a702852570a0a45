// Search: greedy descent through the upper layers, then a beam search on layer 0
// (hnswlib's searchBaseLayerST), with the filter applied during the traversal.
#include <algorithm>
#include <functional>
#include <queue>

#include "base/error.h"
#include "index/hnsw_internal.h"

namespace ek::index {

// From the entry point on `from_level`, moves to a closer neighbour while one exists,
// one level at a time down to `to_level` (exclusive); returns where it ended.
uint32_t HnswGraph::Descend(QueryDistance distance, int from_level, int to_level) const {
  Candidate current = Candidate::Of(distance(entry_), entry_);
  for (int level = from_level; level > to_level; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      const uint32_t* links = Links(current.slot, level);
      for (uint32_t i = 1; i <= links[0]; ++i) {
        const Candidate next = Candidate::Of(distance(links[i]), links[i]);
        if (next < current) {
          current = next;
          moved = true;
        }
      }
    }
  }
  return current.slot;
}

// The ef best allowed nodes of `level` reachable from `entry`, ascending. Without a
// filter it stops when the nearest unexpanded candidate is worse than the worst of ef
// results; with one it also goes on while fewer than ef allowed nodes were found.
std::vector<HnswGraph::Candidate> HnswGraph::SearchLayer(QueryDistance distance, uint32_t entry,
                                                         size_t ef, int level,
                                                         const SlotFilter* allowed) const {
  std::unique_ptr<VisitedSet> visited = visited_->Acquire(levels_.size());
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> frontier;
  std::priority_queue<Candidate> best;  // worst on top
  const auto admit = [&](Candidate c) {
    frontier.push(c);
    if (allowed && !(*allowed)(c.slot)) return;
    best.push(c);
    if (best.size() > ef) best.pop();
  };
  visited->Visit(entry);
  admit(Candidate::Of(distance(entry), entry));
  while (!frontier.empty()) {
    const Candidate current = frontier.top();
    if (best.size() >= ef && best.top() < current) break;
    frontier.pop();
    const uint32_t* links = Links(current.slot, level);
    for (uint32_t i = 1; i <= links[0]; ++i) {
      const uint32_t slot = links[i];
      if (!visited->Visit(slot)) continue;
      const Candidate next = Candidate::Of(distance(slot), slot);
      if (best.size() < ef || next < best.top()) admit(next);
    }
  }
  visited_->Release(std::move(visited));
  std::vector<Candidate> out(best.size());
  for (size_t i = out.size(); i-- > 0; best.pop()) out[i] = best.top();
  return out;
}

std::vector<Neighbor> HnswGraph::Search(QueryDistance distance, size_t k, size_t ef) const {
  return SearchFiltered(distance, k, ef, nullptr);
}

std::vector<Neighbor> HnswGraph::Search(QueryDistance distance, size_t k, size_t ef,
                                        SlotFilter allowed) const {
  return SearchFiltered(distance, k, ef, &allowed);
}

std::vector<Neighbor> HnswGraph::SearchFiltered(QueryDistance distance, size_t k, size_t ef,
                                                const SlotFilter* allowed) const {
  if (k == 0) Fail(EK_ERR_INVALID_ARGUMENT, "hnsw search: k must be at least 1");
  if (entry_ == kNone) return {};
  const uint32_t start = Descend(distance, max_level_, 0);
  const std::vector<Candidate> found = SearchLayer(distance, start, std::max(ef, k), 0, allowed);
  std::vector<Neighbor> out;
  for (size_t i = 0; i < found.size() && i < k; ++i) {
    out.push_back({found[i].slot, found[i].distance});
  }
  return out;
}

}  // namespace ek::index
