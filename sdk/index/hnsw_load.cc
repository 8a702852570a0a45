// Decoding records into a graph: node records one at a time (a reload after another
// connection's write) or in bulk (opening a collection), dropping a node whose record
// is gone, and taking a new header. The layout is in hnsw_codec.cc.
#include <algorithm>
#include <string>

#include "base/error.h"
#include "index/hnsw_internal.h"

namespace ek::index {
namespace {

[[noreturn]] void ReservedSlot() {
  Fail(EK_ERR_INVALID_ARGUMENT, "hnsw: slot 0xFFFFFFFF is reserved");
}

}  // namespace

// Checks the whole record before changing anything, so a damaged record leaves the
// slot as it was; then copies the links straight into the slot's storage.
void HnswGraph::LoadNode(uint32_t slot, std::span<const uint8_t> bytes) {
  if (slot == kNone) ReservedSlot();
  if (!link_marks_) link_marks_ = std::make_unique<LinkMarks>();
  LinkMarks& marks = *link_marks_;
  RecordReader in(bytes, "node");
  if (in.Le<1>() != kNodeRecordVersion) in.Corrupt("has an unknown version");
  const int level = int(in.Le<1>());
  if (level != LevelOf(slot)) in.Corrupt("has a level its slot cannot have");
  for (int l = 0; l <= level; ++l) {
    const auto count = uint32_t(in.Le<2>());
    if (count > Capacity(l)) in.Corrupt("has more links than m allows");
    marks.NextList();
    for (uint32_t i = 0; i < count; ++i) {
      const auto neighbour = uint32_t(in.Le<4>());
      if (neighbour == slot || neighbour == kNone || !marks.First(neighbour)) {
        in.Corrupt("has a bad link");
      }
    }
  }
  in.ExpectEnd();

  Place(slot, level);
  RecordReader links_in(bytes.subspan(2), "node");
  for (int l = 0; l <= level; ++l) {
    uint32_t* links = Links(slot, l);
    links[0] = uint32_t(links_in.Le<2>());
    for (uint32_t i = 1; i <= links[0]; ++i) links[i] = uint32_t(links_in.Le<4>());
  }
}

void HnswGraph::LoadNodes(std::span<const uint32_t> slots,
                          std::span<const std::span<const uint8_t>> records) {
  if (slots.size() != records.size()) {
    Fail(EK_ERR_INVALID_ARGUMENT, "hnsw: LoadNodes got " + std::to_string(slots.size()) +
                                      " slots and " + std::to_string(records.size()) + " records");
  }
  if (slots.empty()) return;
  if (std::find(slots.begin(), slots.end(), kNone) != slots.end()) ReservedSlot();
  Grow(*std::max_element(slots.begin(), slots.end()));
  for (size_t i = 0; i < slots.size(); ++i) LoadNode(slots[i], records[i]);
}

void HnswGraph::UnloadNode(uint32_t slot) {
  if (Contains(slot)) Unplace(slot);
}

void HnswGraph::ReloadHeader(std::span<const uint8_t> bytes) {
  const HeaderFields header = ReadHeader(bytes);
  if (header.params.m != params_.m || header.params.ef_construction != params_.ef_construction ||
      header.params.seed != params_.seed) {
    Fail(EK_ERR_CORRUPT, "hnsw header record has params that differ from the graph's");
  }
  CheckEntryLevel(header);
  if (header.entry == kNone ? live_ != 0 : !Contains(header.entry)) {
    Fail(EK_ERR_CORRUPT, "hnsw header record names an entry point that is not loaded");
  }
  entry_ = header.entry;
  max_level_ = header.max_level;
}

}  // namespace ek::index
