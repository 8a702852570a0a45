// The rules of docs/design/index_in_store.md §4, items 1-5, in their order.
#include "store/planner.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ek::store {
namespace {

// Any k is allowed, so k x rescore (x 4) must not wrap around to a small number.
size_t SaturatingMul(size_t a, size_t b) {
  return b != 0 && a > std::numeric_limits<size_t>::max() / b ? std::numeric_limits<size_t>::max()
                                                               : a * b;
}

}  // namespace

Plan PlanSearch(const PlanInput& in, double graph_vs_scan) {
  const size_t k_fetch = SaturatingMul(in.k, std::max<size_t>(in.rescore, 1));
  // 1. No index, or the recall baseline asked for: f32 scores are final, no rescore.
  if (!in.has_index_row) return {PlanKind::kExactF32, in.k, 0, "no index: exact f32 scan"};
  if (in.exact) return {PlanKind::kExactF32, in.k, 0, "exact asked: f32 scan of the originals"};

  // 2, 3. The exact scan over what the copy holds: codes (then the rescore) or f32 rows.
  const auto scan = [&](const char* why) {
    return in.quantized ? Plan{PlanKind::kExactQuantized, k_fetch, 0, why}
                        : Plan{PlanKind::kExactF32, in.k, 0, why};
  };
  if (!in.hnsw) return scan("exact index: scan");
  if (in.building) return scan("index building: exact scan");
  if (in.live < kMinLiveForGraph) return scan("under 4096 live rows: exact scan");
  if (SaturatingMul(k_fetch, kFetchShareForScan) >= in.live) {
    return scan("k x rescore x 4 >= live rows: exact scan");
  }

  // 4. The graph (the core raises ef to k on its own; the plan says so explicitly).
  const size_t ef_eff = std::max(in.ef, k_fetch);
  if (!in.filtered) return {PlanKind::kHnsw, k_fetch, ef_eff, "unfiltered: hnsw"};

  // 5. Filtered: the graph visits about ef / p nodes, the masked scan scores p x live.
  if (in.sample_size > 0 && in.sample_allowed == 0) {
    return scan("filter allows none of the sample: masked scan");
  }
  const double p = in.selectivity, live = double(in.live);
  if (!(p >= std::sqrt(graph_vs_scan * double(ef_eff) / live))) {  // NaN scans too
    return scan("selectivity under sqrt(kGraphVsScan x ef / live): masked scan");
  }
  if (!(p * live >= kAllowedPerHit * double(in.k))) {
    return scan("fewer than 4 allowed rows per hit: masked scan");
  }
  return {PlanKind::kHnswFiltered, k_fetch, ef_eff, "selective enough: filtered hnsw"};
}

std::vector<uint32_t> SampleSlots(const uint8_t* live, size_t n_slots, size_t max) {
  std::vector<uint32_t> sample;
  const size_t count = n_slots - size_t(std::count(live, live + n_slots, uint8_t{0}));
  const size_t take = std::min(count, max);
  if (take == 0) return sample;
  sample.reserve(take);
  // Pick i is the live slot of rank floor(i x count / take), stepped as quotient plus
  // carried remainder so that no product can overflow.
  const size_t step = count / take, remainder = count % take;
  size_t rank = 0, next = 0, carry = 0;
  for (size_t slot = 0; slot < n_slots && sample.size() < take; ++slot) {
    if (!live[slot]) continue;
    if (rank++ != next) continue;
    sample.push_back(uint32_t(slot));
    next += step;
    carry += remainder;
    if (carry >= take) {
      carry -= take;
      ++next;
    }
  }
  return sample;
}

}  // namespace ek::store
