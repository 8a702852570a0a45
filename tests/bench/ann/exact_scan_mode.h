// ek_ann_bench --store --exact-scan: issue 19's quantized exact-scan targets measured
// through the store (store::Store on a temp SQLite file), one query per Search call on
// one thread. See exact_scan_mode.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ann_files.h"

namespace ek::annbench {

struct ExactScanOptions {
  bool angular = true;
  size_t k = 10;
  size_t queries = 500;  // the f32 scan is slow: every scan is timed on this prefix
  // Rescore factors swept per element (k x r candidates re-ranked with the f32
  // originals): int8 needs few (its codes rank almost as f32 does), sign bits many.
  std::vector<size_t> int8_rescore = {1, 2, 4};
  std::vector<size_t> bit_rescore = {4, 8, 16, 32};
};

// Prints one JSON line per scan (system "embedkit-store-exact-<element>[-r<rescore>]",
// param "exact", "scan": true): recall@k against `truth` and queries/s over the first
// `options.queries` queries, f32 first (the baseline the targets divide by); and per
// element a "load" line (upsert seconds, resident bytes per vector).
void RunExactScanMode(const ExactScanOptions& options, const Matrix& base,
                      const Matrix& queries, const IdMatrix& truth);

}  // namespace ek::annbench
