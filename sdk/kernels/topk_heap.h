// Bounded top-k selection shared by TopK and ScanTopK (internal to sdk/kernels).
//
// Order: a hit is better when its score is higher, or equal with a lower row. The heap
// keeps the k best hits with the worst one at the root, so rejecting a candidate is
// one comparison against AcceptThreshold(); accepting one costs O(log k).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace ek::kernels::detail {

struct Hit {
  float score;
  uint32_t row;
};

inline bool Better(const Hit& a, const Hit& b) {
  return a.score > b.score || (a.score == b.score && a.row < b.row);
}

class TopKHeap {
 public:
  TopKHeap() = default;
  explicit TopKHeap(size_t k) { Reset(k); }

  // k has no limit: the heap grows with the hits it keeps (never more than the rows
  // offered), so a k far above the row count costs nothing.
  void Reset(size_t k) {
    k_ = k;
    hits_.clear();
    hits_.reserve(std::min(k, kInitialCapacity));
    threshold_ = k == 0 ? std::numeric_limits<float>::quiet_NaN()
                        : -std::numeric_limits<float>::infinity();
  }

  size_t k() const { return k_; }
  size_t size() const { return hits_.size(); }

  // A candidate whose score is not >= this value can never enter the heap when it
  // arrives after every row already offered (rows offered in increasing order, as
  // the scans do). -inf while the heap is not full; NaN when nothing can enter.
  // Comparisons with NaN are false, so `s >= AcceptThreshold()` is the fast test.
  float AcceptThreshold() const { return threshold_; }

  // Offers a hit in any row order; keeps it if it beats the worst kept hit.
  void Push(float score, uint32_t row) {
    const Hit h{score, row};
    if (hits_.size() < k_) {
      hits_.push_back(h);
      SiftUp(hits_.size() - 1);
      if (hits_.size() == k_) UpdateThreshold();
      return;
    }
    if (k_ == 0 || !Better(h, hits_[0])) return;
    hits_[0] = h;
    SiftDown(0);
    UpdateThreshold();
  }

  const std::vector<Hit>& hits() const { return hits_; }

  // Moves the hits out sorted best first; the heap is left empty.
  void TakeSorted(std::vector<Hit>* out) {
    std::sort(hits_.begin(), hits_.end(), Better);
    out->swap(hits_);
    hits_.clear();
    threshold_ = -std::numeric_limits<float>::infinity();
  }

 private:
  // Root = worst: parent is "worse or equal" than children.
  static bool Worse(const Hit& a, const Hit& b) { return Better(b, a); }

  void SiftUp(size_t i) {
    const Hit h = hits_[i];
    while (i > 0) {
      size_t parent = (i - 1) / 2;
      if (!Worse(h, hits_[parent])) break;
      hits_[i] = hits_[parent];
      i = parent;
    }
    hits_[i] = h;
  }

  void SiftDown(size_t i) {
    const size_t n = hits_.size();
    const Hit h = hits_[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Worse(hits_[child + 1], hits_[child])) ++child;
      if (!Worse(hits_[child], h)) break;
      hits_[i] = hits_[child];
      i = child;
    }
    hits_[i] = h;
  }

  void UpdateThreshold() {
    const float worst = hits_[0].score;
    if (std::isnan(worst) || worst == std::numeric_limits<float>::infinity()) {
      threshold_ = std::numeric_limits<float>::quiet_NaN();  // nothing can beat it
    } else {
      // s >= nextafter(worst, +inf)  <=>  s > worst: an equal score arrives with a
      // higher row and loses the tie.
      threshold_ = std::nextafter(worst, std::numeric_limits<float>::infinity());
    }
  }

  static constexpr size_t kInitialCapacity = 1024;

  size_t k_ = 0;
  std::vector<Hit> hits_;
  float threshold_ = -std::numeric_limits<float>::infinity();
};

}  // namespace ek::kernels::detail
