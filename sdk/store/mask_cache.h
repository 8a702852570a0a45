// Filter masks (row_allowed bytes and how many rows they allow) of one version of a
// warm copy's contents, keyed by the filter's text, most recently used first; the copy
// clears it whenever its contents change. Shared by the exact copy (store.cc) and the
// indexed one (indexed_copy.h). The count is kept with the bytes so a cached filter
// costs no pass over the rows per search.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/thread_pool.h"

namespace ek::store {

struct RowMask {
  std::vector<uint8_t> allowed;  // 1 where the row passes the filter
  uint64_t count = 0;            // rows with allowed == 1
};

class MaskCache {
 public:
  using Mask = std::shared_ptr<const RowMask>;

  // The mask of rows [0, rows) where passes(row), computed on the pool, with its count.
  template <class Passes>
  static Mask Build(size_t rows, ThreadPool* pool, Passes&& passes) {
    auto mask = std::make_shared<RowMask>();
    mask->allowed.resize(rows);
    ParallelFor(pool, rows, 512, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) mask->allowed[r] = passes(r) ? 1 : 0;
    });
    mask->count = static_cast<uint64_t>(std::count(mask->allowed.begin(), mask->allowed.end(), uint8_t{1}));
    return mask;
  }

  // The cached mask for `text`, or the one `compute()` makes, which is then cached. Two
  // threads missing at once may both compute (the same mask): cheaper than holding the
  // lock through a pass over every row.
  template <class Compute>
  Mask Get(std::string_view text, Compute&& compute) const {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < masks_.size(); ++i) {
        if (masks_[i].first == text) {
          Mask hit = masks_[i].second;
          std::rotate(masks_.begin(), masks_.begin() + i, masks_.begin() + i + 1);
          return hit;
        }
      }
    }
    Mask mask = compute();
    std::lock_guard<std::mutex> lock(mu_);
    masks_.insert(masks_.begin(), {std::string(text), mask});
    if (masks_.size() > kSize) masks_.pop_back();
    return mask;
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    masks_.clear();
  }

 private:
  static constexpr size_t kSize = 8;  // distinct filters kept per contents version
  mutable std::mutex mu_;
  mutable std::vector<std::pair<std::string, Mask>> masks_;
};

}  // namespace ek::store
