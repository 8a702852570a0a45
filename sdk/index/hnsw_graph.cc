// Storage of the graph: levels, link lists, the entry point and the dirty list.
// Layer 0 is one flat array (count + 2m slots per node, hnswlib's layout: a search
// reads one contiguous record per hop); the few nodes above layer 0 (1/m of them)
// keep their upper levels in a small vector each.
#include <algorithm>
#include <string>

#include "base/error.h"
#include "base/philox.h"
#include "index/hnsw_internal.h"

namespace ek::index {

HnswGraph::HnswGraph(const HnswParams& params)
    : params_(params), visited_(std::make_unique<VisitedPool>()) {
  if (params.m < 2 || params.m > 255) {
    Fail(EK_ERR_INVALID_ARGUMENT, "hnsw: m must be within 2..255, got " + std::to_string(params.m));
  }
  if (params.ef_construction < 1) {
    Fail(EK_ERR_INVALID_ARGUMENT, "hnsw: ef_construction must be at least 1");
  }
  // level > L  <=>  u < thresholds[L], u uniform on [0, 2^64): P(level > L) ~ m^-(L+1).
  uint64_t threshold = UINT64_MAX;
  for (int level = 0; level < kMaxLevel; ++level) {
    threshold /= params.m;
    level_thresholds_.push_back(threshold);
  }
}

HnswGraph::~HnswGraph() = default;
HnswGraph::HnswGraph(HnswGraph&&) noexcept = default;
HnswGraph& HnswGraph::operator=(HnswGraph&&) noexcept = default;

int HnswGraph::LevelOf(uint32_t slot) const {
  uint32_t words[2];
  PhiloxFill(params_.seed, slot, words, 2);
  const uint64_t u = (uint64_t{words[0]} << 32) | words[1];
  int level = 0;
  while (level < kMaxLevel && u < level_thresholds_[level]) ++level;
  return level;
}

std::span<const uint32_t> HnswGraph::Neighbors(uint32_t slot, int level) const {
  if (!Contains(slot) || level < 0 || level > levels_[slot]) return {};
  const uint32_t* links = Links(slot, level);
  return {links + 1, links[0]};
}

void HnswGraph::Grow(uint32_t slot) {
  if (slot < levels_.size()) return;
  const size_t slots = size_t{slot} + 1;
  levels_.resize(slots, -1);
  layer0_.resize(slots * (1 + Capacity(0)), 0);
  upper_.resize(slots);
  dirty_mark_.resize(slots, 0);
}

uint32_t* HnswGraph::Links(uint32_t slot, int level) {
  if (level == 0) return layer0_.data() + size_t{slot} * (1 + Capacity(0));
  return upper_[slot].data() + size_t(level - 1) * (1 + Capacity(level));
}

const uint32_t* HnswGraph::Links(uint32_t slot, int level) const {
  return const_cast<HnswGraph*>(this)->Links(slot, level);
}

// Makes `slot` a node of `level` with empty link lists (not marked dirty: loading
// places nodes too).
void HnswGraph::Place(uint32_t slot, int level) {
  Grow(slot);
  if (levels_[slot] < 0) ++live_;
  levels_[slot] = static_cast<int8_t>(level);
  Links(slot, 0)[0] = 0;
  upper_[slot].assign(size_t(level) * (1 + params_.m), 0);
}

// Takes `slot` out of the graph; links to it are the caller's to fix (not marked
// dirty either: a node another connection removed is unloaded too).
void HnswGraph::Unplace(uint32_t slot) {
  levels_[slot] = -1;
  Links(slot, 0)[0] = 0;
  upper_[slot].clear();
  upper_[slot].shrink_to_fit();
  --live_;
}

void HnswGraph::SetLinks(uint32_t slot, int level, const std::vector<Candidate>& links) {
  uint32_t* out = Links(slot, level);
  out[0] = static_cast<uint32_t>(links.size());
  for (size_t i = 0; i < links.size(); ++i) out[1 + i] = links[i].slot;
}

void HnswGraph::MarkDirty(uint32_t slot) {
  if (dirty_mark_[slot]) return;
  dirty_mark_[slot] = 1;
  dirty_.push_back(slot);
}

HnswDirty HnswGraph::TakeDirty() {
  HnswDirty out;
  out.header = header_dirty_;
  std::sort(dirty_.begin(), dirty_.end());
  for (uint32_t slot : dirty_) {
    (Contains(slot) ? out.written : out.removed).push_back(slot);
    dirty_mark_[slot] = 0;
  }
  dirty_.clear();
  header_dirty_ = false;
  return out;
}

}  // namespace ek::index
