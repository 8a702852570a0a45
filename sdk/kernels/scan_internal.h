// Internal helpers shared by the SIMD ScanTopK and its scalar reference.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace ek::kernels::detail {

// Throws ek::Error(EK_ERR_INVALID_ARGUMENT, "...") naming the bad argument.
void ValidateScanRequest(const char* fn, const ScanRequest& request, const uint32_t* out_rows,
                         const float* out_scores, const size_t* out_counts);

// Throws unless the pointers are usable for n scores (any k: min(k, n) are written).
void ValidateTopK(const char* fn, const float* scores, size_t n, size_t k,
                  const uint32_t* out_index, const float* out_score);

}  // namespace ek::kernels::detail

namespace ek::kernels::detail {

class TopKHeap;

// How a score is formed; every mode is "higher is better" inside the scan.
enum ScanMode : int {
  kModeDot = 0,       // s = q.x (dot; cosine with a unit query and unit rows)
  kModeL2Norms = 1,   // s = 2 q.x - ||x||^2 (norms given);  L2 = ||q||^2 - s
  kModeL2Direct = 2,  // s = -||q - x||^2
};

// Batches of fewer queries than this take the row path (each row read once and
// dotted with up to kRowPathGroup queries, bandwidth-bound); larger batches take the
// register-tiled path (compute-bound).
constexpr size_t kRowPathGroup = 4;
constexpr size_t kTilePathMinQueries = 8;

// Minimum work per task before ScanTopK splits rows across the pool: hand-off costs
// microseconds, so a task reads >= 1 MiB (row path) or does >= 4 MFLOP (tile path).
// Tests lower these to exercise the multi-part merge on small inputs.
struct ScanTuning {
  size_t row_path_min_task_bytes = size_t(1) << 20;
  size_t tile_path_min_task_flops = size_t(4) << 20;
};
ScanTuning& MutableScanTuning();

// Row path: rows [r0, r1), nq <= kRowPathGroup queries, one heap each.
struct RowScanJob {
  const float* const* queries;
  size_t nq;
  const float* base;
  size_t dim;
  size_t r0, r1;
  int mode;
  const float* norms;  // kModeL2Norms
  const uint8_t* allowed;
  TopKHeap* const* heaps;
};

// Tile path: rows [r0, r1) against nq contiguous queries (nq x dim), heaps[0..nq).
// l2: s = 2 q.x - ||x||^2 with ||x||^2 from norms, or computed per block when NULL.
struct TileScanJob {
  const float* queries;
  size_t nq;
  const float* base;
  size_t dim;
  size_t r0, r1;
  bool l2;
  const float* norms;
  const uint8_t* allowed;
  TopKHeap* heaps;
};

}  // namespace ek::kernels::detail
