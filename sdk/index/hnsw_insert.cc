// Insertion in batches (see HnswGraph::Build). Per batch:
//   1. plan (parallel, read-only): each new node searches the graph as it was before
//      the batch, level by level (hnswlib's addPoint), adds the earlier members of its
//      batch as exact candidates and keeps m of them by the neighbour heuristic;
//   2. link (serial, cheap): the new nodes get their planned links;
//   3. reverse links (parallel by target node): each target appends its new sources
//      while it has room, else reselects among old and new by the heuristic.
// Nothing in a batch depends on which thread ran what, so the graph is the same for
// any pool; a batch of one is exactly hnswlib's sequential insert.
#include <algorithm>
#include <string>
#include <tuple>

#include "base/error.h"
#include "base/thread_pool.h"
#include "index/hnsw_internal.h"

namespace ek::index {
namespace {

// Batches grow with the graph (1/64 of it, at most 256) so that a batch member misses
// few links it would have found inserted alone; the first 64 nodes go one by one.
size_t BatchSize(size_t graph_size) { return std::clamp<size_t>(graph_size / 64, 1, 256); }

struct ReverseLinks {
  uint32_t target;
  int level;
  std::vector<uint32_t> sources;  // in batch order
};

}  // namespace

// hnswlib's getNeighborsByHeuristic2: nearest first, a candidate is kept unless a
// kept node is closer to it than the base is, so links spread over directions.
std::vector<HnswGraph::Candidate> HnswGraph::SelectNeighbors(std::vector<Candidate> candidates,
                                                             uint32_t keep,
                                                             PairDistance distance) const {
  std::sort(candidates.begin(), candidates.end());
  if (candidates.size() < keep) return candidates;
  std::vector<Candidate> kept;
  for (const Candidate& candidate : candidates) {
    if (kept.size() >= keep) break;
    const bool diverse = std::none_of(kept.begin(), kept.end(), [&](const Candidate& other) {
      return distance(candidate.slot, other.slot) < candidate.distance;
    });
    if (diverse) kept.push_back(candidate);
  }
  return kept;
}

void HnswGraph::PlanNode(BatchPlan& plan, size_t index, PairDistance distance) const {
  const uint32_t slot = plan.slots[index];
  const int level = plan.levels[index];
  const auto to_slot = [&](uint32_t other) { return distance(slot, other); };
  std::vector<std::vector<Candidate>> candidates(size_t(level) + 1);
  if (entry_ != kNone) {
    uint32_t start = Descend(to_slot, max_level_, level);
    for (int l = std::min(level, max_level_); l >= 0; --l) {
      candidates[l] = SearchLayer(to_slot, start, params_.ef_construction, l, nullptr);
      start = candidates[l].front().slot;
    }
  }
  for (size_t j = 0; j < index; ++j) {
    const uint32_t mate = plan.slots[j];
    const Candidate candidate = Candidate::Of(distance(slot, mate), mate);
    for (int l = std::min(level, plan.levels[j]); l >= 0; --l) candidates[l].push_back(candidate);
  }
  plan.links[index].resize(candidates.size());
  // All mates stay candidates, beyond ef_construction: the far ones give the heuristic
  // long links between clusters (cutting them to the ef_construction best cost 7
  // points of recall@10 in the clustered test).
  for (size_t l = 0; l < candidates.size(); ++l) {
    plan.links[index][l] = SelectNeighbors(std::move(candidates[l]), params_.m, distance);
  }
}

void HnswGraph::AddReverseLinks(uint32_t target, int level, const std::vector<uint32_t>& sources,
                                PairDistance distance) {
  uint32_t* links = Links(target, level);
  if (links[0] + sources.size() <= Capacity(level)) {
    for (uint32_t source : sources) links[1 + links[0]++] = source;
    return;
  }
  std::vector<Candidate> candidates;
  for (uint32_t i = 1; i <= links[0]; ++i) {
    candidates.push_back(Candidate::Of(distance(target, links[i]), links[i]));
  }
  for (uint32_t source : sources) candidates.push_back(Candidate::Of(distance(target, source), source));
  SetLinks(target, level, SelectNeighbors(std::move(candidates), Capacity(level), distance));
}

void HnswGraph::LinkBatch(BatchPlan& plan, PairDistance distance, ThreadPool* pool) {
  std::vector<std::tuple<uint32_t, int, uint32_t>> reverse;  // (target, level, source)
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    Place(plan.slots[i], plan.levels[i]);
    MarkDirty(plan.slots[i]);
    for (int l = 0; l <= plan.levels[i]; ++l) {
      SetLinks(plan.slots[i], l, plan.links[i][l]);
      for (const Candidate& c : plan.links[i][l]) reverse.emplace_back(c.slot, l, plan.slots[i]);
    }
  }
  std::stable_sort(reverse.begin(), reverse.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  std::vector<ReverseLinks> groups;
  for (const auto& [target, level, source] : reverse) {
    if (groups.empty() || groups.back().target != target || groups.back().level != level) {
      groups.push_back({target, level, {}});
    }
    groups.back().sources.push_back(source);
  }
  // Groups touch disjoint link lists (a node's levels are separate arrays).
  ParallelFor(pool, groups.size(), 16, [&](size_t begin, size_t end) {
    for (size_t g = begin; g < end; ++g) {
      AddReverseLinks(groups[g].target, groups[g].level, groups[g].sources, distance);
    }
  });
  for (const ReverseLinks& group : groups) MarkDirty(group.target);
  for (size_t i = 0; i < plan.slots.size(); ++i) {
    if (plan.levels[i] > max_level_) {
      entry_ = plan.slots[i];
      max_level_ = plan.levels[i];
      header_dirty_ = true;
    }
  }
}

size_t HnswGraph::Build(std::span<const uint32_t> slots, PairDistance distance, ThreadPool* pool,
                        BuildProgress progress) {
  std::vector<uint32_t> sorted(slots.begin(), slots.end());
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] == kNone || Contains(sorted[i]) || (i > 0 && sorted[i] == sorted[i - 1])) {
      Fail(EK_ERR_INVALID_ARGUMENT, "hnsw build: slot " + std::to_string(sorted[i]) +
                                        " is invalid, already in the graph or listed twice");
    }
  }
  size_t done = 0;
  while (done < slots.size()) {
    BatchPlan plan;
    plan.slots = slots.subspan(done, std::min(BatchSize(live_), slots.size() - done));
    for (uint32_t slot : plan.slots) plan.levels.push_back(LevelOf(slot));
    plan.links.resize(plan.slots.size());
    ParallelFor(pool, plan.slots.size(), 1, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) PlanNode(plan, i, distance);
    });
    LinkBatch(plan, distance, pool);
    done += plan.slots.size();
    if (progress(done, slots.size()) != 0) break;
  }
  return done;
}

size_t HnswGraph::Build(std::span<const uint32_t> slots, PairDistance distance, ThreadPool* pool) {
  return Build(slots, distance, pool, [](size_t, size_t) { return 0; });
}

void HnswGraph::Insert(uint32_t slot, PairDistance distance) {
  Build(std::span<const uint32_t>(&slot, 1), distance, nullptr);
}

}  // namespace ek::index
