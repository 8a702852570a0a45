// The records the store persists, little-endian, each starting with its version:
//   header v1: u8 version=1, u32 m, u32 ef_construction, u64 seed, u32 entry point
//              (0xFFFFFFFF: empty), u8 levels (max level + 1; 0: empty)       = 22 bytes
//   node v1:   u8 version=1, u8 level, then for each level 0..level:
//              u16 count, count x u32 neighbour slots
// A node's level is also a function of (seed, slot), so a record whose level
// disagrees is damaged, and so is a header whose entry point's level is not its max.
// Node records are decoded into a graph by hnsw_load.cc.
#include <string>

#include "base/error.h"
#include "index/hnsw_internal.h"

namespace ek::index {
namespace {

constexpr uint8_t kHeaderVersion = 1;
constexpr size_t kHeaderBytes = 22;

void PutLe(std::vector<uint8_t>& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(uint8_t(value >> (8 * i)));
}

}  // namespace

std::vector<uint8_t> HnswGraph::EncodeHeader() const {
  std::vector<uint8_t> out;
  PutLe(out, kHeaderVersion, 1);
  PutLe(out, params_.m, 4);
  PutLe(out, params_.ef_construction, 4);
  PutLe(out, params_.seed, 8);
  PutLe(out, entry_, 4);
  PutLe(out, uint8_t(max_level_ + 1), 1);
  return out;
}

HnswGraph::HeaderFields HnswGraph::ReadHeader(std::span<const uint8_t> bytes) {
  RecordReader in(bytes, "header");
  if (bytes.size() != kHeaderBytes) in.Corrupt("has " + std::to_string(bytes.size()) + " bytes, not 22");
  if (in.Le<1>() != kHeaderVersion) in.Corrupt("has an unknown version");
  HeaderFields header;
  header.params.m = uint32_t(in.Le<4>());
  header.params.ef_construction = uint32_t(in.Le<4>());
  header.params.seed = in.Le<8>();
  header.entry = uint32_t(in.Le<4>());
  header.max_level = int(in.Le<1>()) - 1;
  in.ExpectEnd();
  if (header.params.m < 2 || header.params.m > 255 || header.params.ef_construction < 1) {
    in.Corrupt("has bad params");
  }
  return header;
}

// The entry point's level is a function of the params, so it is checked by a graph
// that has them.
void HnswGraph::CheckEntryLevel(const HeaderFields& header) const {
  if ((header.entry == kNone) != (header.max_level < 0) ||
      (header.entry != kNone && LevelOf(header.entry) != header.max_level)) {
    Fail(EK_ERR_CORRUPT, "hnsw header record has an entry point that does not match its level");
  }
}

HnswGraph HnswGraph::DecodeHeader(std::span<const uint8_t> bytes) {
  const HeaderFields header = ReadHeader(bytes);
  HnswGraph graph(header.params);
  graph.CheckEntryLevel(header);
  graph.entry_ = header.entry;
  graph.max_level_ = header.max_level;
  return graph;
}

std::vector<uint8_t> HnswGraph::EncodeNode(uint32_t slot) const {
  if (!Contains(slot)) {
    Fail(EK_ERR_INVALID_ARGUMENT, "hnsw: slot " + std::to_string(slot) + " is not in the graph");
  }
  std::vector<uint8_t> out;
  PutLe(out, kNodeRecordVersion, 1);
  PutLe(out, uint8_t(levels_[slot]), 1);
  for (int level = 0; level <= levels_[slot]; ++level) {
    const uint32_t* links = Links(slot, level);
    PutLe(out, links[0], 2);
    for (uint32_t i = 1; i <= links[0]; ++i) PutLe(out, links[i], 4);
  }
  return out;
}

void HnswGraph::VerifyLoaded() const {
  const bool entry_ok = entry_ == kNone ? live_ == 0
                                        : Contains(entry_) && levels_[entry_] == max_level_;
  if (!entry_ok) Fail(EK_ERR_CORRUPT, "hnsw: the entry point is not a node of the max level");
  for (uint32_t slot = 0; slot < levels_.size(); ++slot) {
    if (levels_[slot] > max_level_) {
      Fail(EK_ERR_CORRUPT, "hnsw: node " + std::to_string(slot) + " is above the max level");
    }
    for (int level = 0; level <= levels_[slot]; ++level) {
      const uint32_t* links = Links(slot, level);
      for (uint32_t i = 1; i <= links[0]; ++i) {
        if (!Contains(links[i]) || levels_[links[i]] < level) {
          Fail(EK_ERR_CORRUPT, "hnsw: node " + std::to_string(slot) + " links to " +
                                   std::to_string(links[i]) + ", which is not on its level");
        }
      }
    }
  }
}

}  // namespace ek::index
