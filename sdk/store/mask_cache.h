// Filter masks (row_allowed bytes) of one version of a warm copy's contents, keyed by
// the filter's text, most recently used first; the copy clears it whenever its contents
// change. Shared by the exact copy (store.cc) and the indexed one (indexed_copy.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ek::store {

class MaskCache {
 public:
  using Mask = std::shared_ptr<const std::vector<uint8_t>>;

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
