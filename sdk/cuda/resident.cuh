// Internal to sdk/cuda: the bookkeeping of the device copies a search keeps between
// calls (search.cu's f32 rows + norms, quantized_scan.cu's f16/int8 rows). A copy
// mirrors one host matrix under one content key; it is found again by (key, host
// address, rows, row bytes), and evicted least recently used first when a new copy
// needs room under the residency budget. Everything here is touched only while holding
// the DeviceLock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <utility>

#include "cuda/internal.cuh"

namespace ek::cuda::detail {

// The residency budget: ScanTuning's, or 60% of the device memory free when the
// caller first asks (*default_budget remembers it; 0 = not asked yet).
inline size_t ResidencyBudget(const ScanTuning& t, size_t* default_budget) {
  if (t.residency_budget_bytes) return t.residency_budget_bytes;
  if (*default_budget == 0) {
    size_t free_b = 0, total_b = 0;
    Check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    *default_budget = free_b / 10 * 6;
  }
  return *default_budget;
}

// Copy: the device buffers of one copy (default-constructible; never copied or moved).
template <class Copy>
class ResidentList {
 public:
  struct Entry {
    uint64_t key = 0;
    const void* host_base = nullptr;
    size_t rows = 0, row_bytes = 0;
    size_t bytes = 0;  // what the copy counts against the budget
    uint64_t last_use = 0;
    Copy copy;
  };

  // The copy of these rows under this key, marked as just used; nullptr if none.
  Copy* Find(uint64_t key, const void* host_base, size_t rows, size_t row_bytes) {
    for (auto& e : entries_) {
      if (e->key == key && e->host_base == host_base && e->rows == rows &&
          e->row_bytes == row_bytes) {
        e->last_use = ++tick_;
        return &e->copy;
      }
    }
    return nullptr;
  }

  // Room for `bytes` more under `budget`: the older versions of host_base are dead
  // weight and go first, then the least recently used copies. False, with nothing
  // dropped, when `bytes` alone exceed the budget.
  bool MakeRoom(const void* host_base, size_t bytes, size_t budget) {
    if (bytes > budget) return false;
    for (auto it = entries_.begin(); it != entries_.end();) {
      auto next = std::next(it);
      if ((*it)->host_base == host_base) Erase(it);
      it = next;
    }
    while (!entries_.empty() && bytes_ + bytes > budget) {
      Erase(std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a->last_use < b->last_use;
      }));
    }
    return true;
  }

  // A new entry, not yet listed: the caller fills entry->copy, then Adds it.
  static std::unique_ptr<Entry> Make(uint64_t key, const void* host_base, size_t rows,
                                     size_t row_bytes, size_t bytes) {
    auto e = std::make_unique<Entry>();
    e->key = key;
    e->host_base = host_base;
    e->rows = rows;
    e->row_bytes = row_bytes;
    e->bytes = bytes;
    return e;
  }

  Copy* Add(std::unique_ptr<Entry> e) {
    e->last_use = ++tick_;
    bytes_ += e->bytes;
    entries_.push_back(std::move(e));
    return &entries_.back()->copy;
  }

  void Clear() {  // frees every copy's buffers
    entries_.clear();
    bytes_ = 0;
  }

 private:
  void Erase(typename std::list<std::unique_ptr<Entry>>::iterator it) {
    bytes_ -= (*it)->bytes;
    entries_.erase(it);
  }

  std::list<std::unique_ptr<Entry>> entries_;
  size_t bytes_ = 0;
  uint64_t tick_ = 0;
};

}  // namespace ek::cuda::detail
