// Types shared by the hnsw_*.cc files and nobody else.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "index/hnsw.h"

namespace ek::index {

// A slot with its distance to whatever is being searched or linked. Ordered by
// (distance, slot) everywhere, which makes every result independent of container
// and thread order.
struct HnswGraph::Candidate {
  float distance;
  uint32_t slot;

  // NaN would break the strict weak order that heaps and sorts rely on: it sorts last.
  static Candidate Of(float distance, uint32_t slot) {
    return {std::isnan(distance) ? std::numeric_limits<float>::infinity() : distance, slot};
  }
  friend bool operator<(const Candidate& a, const Candidate& b) {
    return a.distance < b.distance || (a.distance == b.distance && a.slot < b.slot);
  }
  friend bool operator>(const Candidate& a, const Candidate& b) { return b < a; }
};

// Visited marks for one search: an epoch per slot, so a search clears nothing.
class VisitedSet {
 public:
  void Reset(size_t slots) {
    if (marks_.size() < slots) marks_.resize(slots, 0);
    if (++epoch_ == 0) {  // wrapped: old marks could alias the new epoch
      std::fill(marks_.begin(), marks_.end(), 0);
      epoch_ = 1;
    }
  }
  // True the first time `slot` is seen in this search.
  bool Visit(uint32_t slot) {
    if (marks_[slot] == epoch_) return false;
    marks_[slot] = epoch_;
    return true;
  }

 private:
  std::vector<uint16_t> marks_;
  uint16_t epoch_ = 0;
};

// Concurrent searches each borrow a VisitedSet (hnswlib's VisitedListPool).
class HnswGraph::VisitedPool {
 public:
  std::unique_ptr<VisitedSet> Acquire(size_t slots) {
    std::unique_ptr<VisitedSet> set;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        set = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!set) set = std::make_unique<VisitedSet>();
    set->Reset(slots);
    return set;
  }
  void Release(std::unique_ptr<VisitedSet> set) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(set));
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<VisitedSet>> free_;
};

// Reads the little-endian fields of a record (hnsw_codec.cc has the layout); any read
// past the end is EK_ERR_CORRUPT.
class RecordReader {
 public:
  RecordReader(std::span<const uint8_t> bytes, const char* what) : bytes_(bytes), what_(what) {}
  // The width is a constant so that the bytes combine in one expression, which compilers
  // turn into one load on little-endian hosts: the bulk loader reads ~35 fields a node.
  template <size_t kBytes>
  uint64_t Le() {
    if (bytes_.size() - offset_ < kBytes) Corrupt("is truncated");
    const uint8_t* at = bytes_.data() + offset_;
    offset_ += kBytes;
    return [at]<size_t... kByte>(std::index_sequence<kByte...>) {
      return ((uint64_t{at[kByte]} << (8 * kByte)) | ...);
    }(std::make_index_sequence<kBytes>{});
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

inline constexpr uint8_t kNodeRecordVersion = 1;

// A header record's fields, read and range-checked (HnswGraph::ReadHeader).
struct HnswGraph::HeaderFields {
  HnswParams params;
  uint32_t entry;
  int max_level;
};

// Finds a repeated link within one link list at a time while records decode: an
// open-addressing set of the list's links, tagged with the list's epoch so that a new
// list clears nothing. It holds at most 2 x 255 links in 1,024 cells (8 KiB, in L1
// cache): O(1) per link for any slot. A mark per slot was tried first and measured
// slower, since its lookups miss the cache once the graph is large (1M nodes: 79 % of
// the decode time, 1.4 s for LoadNodes).
class HnswGraph::LinkMarks {
 public:
  void NextList() {
    if (++epoch_ == 0) {  // wrapped: old tags could alias the new epoch
      std::fill(std::begin(epochs_), std::end(epochs_), 0);
      epoch_ = 1;
    }
  }
  // True the first time `slot` appears in the current list.
  bool First(uint32_t slot) {
    size_t cell = (slot * 0x9E3779B1u) >> (32 - kBits);  // Fibonacci hashing
    for (; epochs_[cell] == epoch_; cell = (cell + 1) & (kCells - 1)) {
      if (slots_[cell] == slot) return false;
    }
    epochs_[cell] = epoch_;
    slots_[cell] = slot;
    return true;
  }

 private:
  static constexpr int kBits = 10;
  static constexpr size_t kCells = size_t{1} << kBits;  // > 2 x the 510 links a list may hold
  uint32_t epochs_[kCells] = {};
  uint32_t slots_[kCells] = {};
  uint32_t epoch_ = 0;
};

// One Build batch: its slots and, per member and level, the out-links chosen for it.
struct HnswGraph::BatchPlan {
  std::span<const uint32_t> slots;
  std::vector<int> levels;
  std::vector<std::vector<std::vector<Candidate>>> links;  // [member][level]
};

}  // namespace ek::index
