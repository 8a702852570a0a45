// The records the store persists, little-endian, each starting with its version:
//   header v1: u8 version=1, u32 m, u32 ef_construction, u64 seed, u32 entry point
//              (0xFFFFFFFF: empty), u8 levels (max level + 1; 0: empty)       = 22 bytes
//   node v1:   u8 version=1, u8 level, then for each level 0..level:
//              u16 count, count x u32 neighbour slots
// A node's level is also a function of (seed, slot), so a record whose level
// disagrees is damaged, and so is a header whose entry point's level is not its max.
#include <algorithm>
#include <string>

#include "base/error.h"
#include "index/hnsw_internal.h"

namespace ek::index {
namespace {

constexpr uint8_t kHeaderVersion = 1;
constexpr uint8_t kNodeVersion = 1;
constexpr size_t kHeaderBytes = 22;

void PutLe(std::vector<uint8_t>& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(uint8_t(value >> (8 * i)));
}

// Reads fixed-width little-endian fields; any read past the end is EK_ERR_CORRUPT.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const char* what) : bytes_(bytes), what_(what) {}
  uint64_t Le(int bytes) {
    if (bytes_.size() - offset_ < size_t(bytes)) Corrupt("is truncated");
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= uint64_t{bytes_[offset_ + i]} << (8 * i);
    offset_ += bytes;
    return value;
  }
  void ExpectEnd() const {
    if (offset_ != bytes_.size()) Corrupt("has trailing bytes");
  }
  [[noreturn]] void Corrupt(const std::string& why) const {
    Fail(EK_ERR_CORRUPT, std::string("hnsw ") + what_ + " record " + why);
  }

 private:
  std::span<const uint8_t> bytes_;
  const char* what_;
  size_t offset_ = 0;
};

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

HnswGraph HnswGraph::DecodeHeader(std::span<const uint8_t> bytes) {
  Reader in(bytes, "header");
  if (bytes.size() != kHeaderBytes) in.Corrupt("has " + std::to_string(bytes.size()) + " bytes, not 22");
  if (in.Le(1) != kHeaderVersion) in.Corrupt("has an unknown version");
  HnswParams params;
  params.m = uint32_t(in.Le(4));
  params.ef_construction = uint32_t(in.Le(4));
  params.seed = in.Le(8);
  const auto entry = uint32_t(in.Le(4));
  const int max_level = int(in.Le(1)) - 1;
  in.ExpectEnd();
  if (params.m < 2 || params.m > 255 || params.ef_construction < 1) in.Corrupt("has bad params");
  HnswGraph graph(params);
  if ((entry == kNone) != (max_level < 0) ||
      (entry != kNone && graph.LevelOf(entry) != max_level)) {
    in.Corrupt("has an entry point that does not match its level");
  }
  graph.entry_ = entry;
  graph.max_level_ = max_level;
  return graph;
}

std::vector<uint8_t> HnswGraph::EncodeNode(uint32_t slot) const {
  if (!Contains(slot)) {
    Fail(EK_ERR_INVALID_ARGUMENT, "hnsw: slot " + std::to_string(slot) + " is not in the graph");
  }
  std::vector<uint8_t> out;
  PutLe(out, kNodeVersion, 1);
  PutLe(out, uint8_t(levels_[slot]), 1);
  for (int level = 0; level <= levels_[slot]; ++level) {
    const uint32_t* links = Links(slot, level);
    PutLe(out, links[0], 2);
    for (uint32_t i = 1; i <= links[0]; ++i) PutLe(out, links[i], 4);
  }
  return out;
}

void HnswGraph::LoadNode(uint32_t slot, std::span<const uint8_t> bytes) {
  if (slot == kNone) Fail(EK_ERR_INVALID_ARGUMENT, "hnsw: slot 0xFFFFFFFF is reserved");
  Reader in(bytes, "node");
  if (in.Le(1) != kNodeVersion) in.Corrupt("has an unknown version");
  const int level = int(in.Le(1));
  if (level != LevelOf(slot)) in.Corrupt("has a level its slot cannot have");
  std::vector<std::vector<Candidate>> links(size_t(level) + 1);
  for (int l = 0; l <= level; ++l) {
    const auto count = uint32_t(in.Le(2));
    if (count > Capacity(l)) in.Corrupt("has more links than m allows");
    for (uint32_t i = 0; i < count; ++i) {
      const auto neighbour = uint32_t(in.Le(4));
      const bool repeated = std::any_of(links[l].begin(), links[l].end(),
                                        [&](const Candidate& c) { return c.slot == neighbour; });
      if (neighbour == slot || neighbour == kNone || repeated) in.Corrupt("has a bad link");
      links[l].push_back({0, neighbour});
    }
  }
  in.ExpectEnd();
  Place(slot, level);
  for (int l = 0; l <= level; ++l) SetLinks(slot, l, links[l]);
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
