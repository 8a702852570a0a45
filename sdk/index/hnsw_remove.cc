// Removal with repair. hnswlib only marks deleted nodes (they keep costing search
// time and are never reclaimed); here a removed node leaves the graph: every node
// that linked to it is relinked from its own remaining links plus the removed node's
// links (FreshDiskANN's delete consolidation, Singh et al. 2021) through the neighbour
// heuristic. The pass reads every link list once, so removals are batched.
#include <algorithm>
#include <deque>
#include <string>

#include "base/error.h"
#include "index/hnsw_internal.h"

namespace ek::index {

// Relinks every remaining node of `level` that linked to a removed one.
void HnswGraph::RelinkAround(const std::vector<uint8_t>& removed, int level,
                             PairDistance distance) {
  for (uint32_t slot = 0; slot < levels_.size(); ++slot) {
    if (levels_[slot] < level || removed[slot]) continue;
    const uint32_t* links = Links(slot, level);
    if (std::none_of(links + 1, links + 1 + links[0], [&](uint32_t n) { return removed[n]; })) {
      continue;
    }
    std::vector<uint32_t> pool;
    for (uint32_t i = 1; i <= links[0]; ++i) {
      if (!removed[links[i]]) {
        pool.push_back(links[i]);
        continue;
      }
      const uint32_t* second = Links(links[i], level);
      for (uint32_t j = 1; j <= second[0]; ++j) {
        if (!removed[second[j]] && second[j] != slot) pool.push_back(second[j]);
      }
    }
    std::sort(pool.begin(), pool.end());
    pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
    std::vector<Candidate> candidates;
    for (uint32_t n : pool) candidates.push_back(Candidate::Of(distance(slot, n), n));
    SetLinks(slot, level, SelectNeighbors(std::move(candidates), Capacity(level), distance));
    MarkDirty(slot);
  }
}

// The lowest slot on the highest remaining level, or none when the graph is empty.
void HnswGraph::ReplaceEntryPoint() {
  entry_ = kNone;
  max_level_ = -1;
  for (uint32_t slot = 0; slot < levels_.size(); ++slot) {
    if (levels_[slot] > max_level_) {
      entry_ = slot;
      max_level_ = levels_[slot];
    }
  }
  header_dirty_ = true;
}

// Pruning can leave a node that no list on layer 0 reaches from the entry point (a
// plain HNSW build can too). Each such node, in slot order, is linked from its
// nearest reachable node: appended where that node has room, else replacing that
// node's farthest link whose target has another in-link (so nothing else is cut off);
// the nearest node of the ef_construction found that allows either is used.
void HnswGraph::ReconnectUnreachable(PairDistance distance) {
  if (entry_ == kNone) return;
  std::vector<uint32_t> in_degree(levels_.size(), 0);
  for (uint32_t slot = 0; slot < levels_.size(); ++slot) {
    if (levels_[slot] < 0) continue;
    const uint32_t* links = Links(slot, 0);
    for (uint32_t i = 1; i <= links[0]; ++i) ++in_degree[links[i]];
  }
  std::vector<uint8_t> reached(levels_.size(), 0);
  const auto flood = [&](uint32_t from) {
    std::deque<uint32_t> queue{from};
    reached[from] = 1;
    for (; !queue.empty(); queue.pop_front()) {
      const uint32_t* links = Links(queue.front(), 0);
      for (uint32_t i = 1; i <= links[0]; ++i) {
        if (!reached[links[i]]) {
          reached[links[i]] = 1;
          queue.push_back(links[i]);
        }
      }
    }
  };
  flood(entry_);
  for (uint32_t slot = 0; slot < levels_.size(); ++slot) {
    if (levels_[slot] < 0 || reached[slot]) continue;
    const auto to_slot = [&](uint32_t other) { return distance(slot, other); };
    // Searched from the entry point on layer 0 only: everything found is reached.
    const std::vector<Candidate> near = SearchLayer(to_slot, entry_, params_.ef_construction, 0,
                                                    nullptr);
    if (std::any_of(near.begin(), near.end(), [&](const Candidate& from) {
          return LinkFrom(from.slot, slot, in_degree, distance);
        })) {
      flood(slot);
    }
  }
}

// Adds the link from -> to on layer 0 if `from` has room or a link it can give up.
bool HnswGraph::LinkFrom(uint32_t from, uint32_t to, std::vector<uint32_t>& in_degree,
                         PairDistance distance) {
  uint32_t* links = Links(from, 0);
  if (links[0] < Capacity(0)) {
    links[1 + links[0]++] = to;
  } else {
    uint32_t* farthest = nullptr;
    float farthest_distance = 0;
    for (uint32_t i = 1; i <= links[0]; ++i) {
      if (in_degree[links[i]] < 2) continue;
      const float d = distance(from, links[i]);
      if (!farthest || d > farthest_distance) {
        farthest = &links[i];
        farthest_distance = d;
      }
    }
    if (!farthest) return false;
    --in_degree[*farthest];
    *farthest = to;
  }
  ++in_degree[to];
  MarkDirty(from);
  return true;
}

void HnswGraph::Remove(std::span<const uint32_t> slots, PairDistance distance) {
  std::vector<uint8_t> removed(levels_.size(), 0);
  for (uint32_t slot : slots) {
    if (!Contains(slot) || removed[slot]) {
      Fail(EK_ERR_INVALID_ARGUMENT, "hnsw remove: slot " + std::to_string(slot) +
                                        " is not in the graph or listed twice");
    }
    removed[slot] = 1;
  }
  if (slots.empty()) return;
  for (int level = max_level_; level >= 0; --level) RelinkAround(removed, level, distance);
  for (uint32_t slot : slots) {
    Unplace(slot);
    MarkDirty(slot);
  }
  if (removed[entry_]) ReplaceEntryPoint();
  ReconnectUnreachable(distance);
}

}  // namespace ek::index
