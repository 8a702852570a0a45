// The search planner (docs/design/index_in_store.md §4): which scan or graph search
// answers one query of a collection, and how many candidates it fetches. A pure
// function of numbers the caller already holds, so every rule is tested alone
// (tests/sdk/store/planner_test.cc); it does not know which backend runs the plan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ek::store {

enum class PlanKind {
  kExactF32,        // exact scan of f32 rows (today's copy, an f32 index's codes, or
                    // the originals streamed from SQLite for a quantized collection)
  kExactQuantized,  // exact scan of the quantized codes, then the rescore
  kHnsw,            // graph search
  kHnswFiltered,    // graph search that returns only rows the filter allows
};

// A graph hop (a random read of a node's links and its vector) costs about this many
// distances of a sequential SIMD scan. Filtered HNSW visits about ef / p nodes, the
// masked scan computes p x live distances, so the graph wins when
// p >= sqrt(kGraphVsScan x ef / live). 8 is the design's starting value; the ANN
// benchmark (tests/bench/ann, at 10 % and 1 % selectivity) is what fixes it.
inline constexpr double kGraphVsScan = 8.0;
// Below this many live rows an exact scan is as fast as the graph and exact.
inline constexpr uint64_t kMinLiveForGraph = 4096;
// A query that fetches at least live / this many rows scans: the graph would visit
// most of the collection anyway.
inline constexpr uint64_t kFetchShareForScan = 4;
// Filtered HNSW needs at least this many allowed rows per hit asked for.
inline constexpr double kAllowedPerHit = 4.0;

struct PlanInput {
  bool has_index_row = false;  // the collection has an ek_index row
  bool hnsw = false;           // its kind is hnsw
  bool building = false;       // its state is building (no complete graph yet)
  bool quantized = false;      // its element is f16, int8 or bit
  uint64_t live = 0;           // live rows
  size_t k = 0;
  size_t ef = 0;               // the beam asked for (already defaulted by the caller)
  bool exact = false;          // the caller asked for the exact f32 scan
  size_t rescore = 1;          // oversampling factor (0 reads as 1)
  bool filtered = false;
  // Fraction of live rows the filter allows: exact from a cached mask, or
  // sample_allowed / sample_size from SampleSlots.
  double selectivity = 1.0;
  size_t sample_size = 0;      // 0: selectivity did not come from a sample
  size_t sample_allowed = 0;
};

struct Plan {
  PlanKind kind = PlanKind::kExactF32;
  size_t k_fetch = 0;  // candidates to fetch: k x rescore (k for kExactF32: nothing to rescore)
  size_t ef_eff = 0;   // graph beam: max(ef, k_fetch); 0 for the exact scans
  const char* why = "";  // static text for logs and explain output
};

// `graph_vs_scan` is kGraphVsScan except where the benchmark that fixes it sweeps it.
Plan PlanSearch(const PlanInput& input, double graph_vs_scan = kGraphVsScan);

// min(live slots, max) of the slots whose `live` byte is nonzero, evenly spaced among
// them in slot order (the same slots every time): the sample a filter's selectivity
// is estimated on.
std::vector<uint32_t> SampleSlots(const uint8_t* live, size_t n_slots, size_t max);

}  // namespace ek::store
