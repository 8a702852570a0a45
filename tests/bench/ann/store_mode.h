// ek_ann_bench --store: the same HNSW measured through the store (store::Store on a
// temp SQLite file), as a user of ek_collection_search_with gets it, beside the graph
// core figures. See store_mode.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ann_files.h"
#include "kernels/quantize.h"

namespace ek::annbench {

struct StoreModeOptions {
  bool angular = true;
  uint32_t m = 16, ef_construction = 200;
  size_t k = 10;
  std::vector<size_t> efs;
  std::vector<size_t> build_threads;
  kernels::ElementType element = kernels::ElementType::kF32;
  uint32_t rescore = 1;  // oversampling re-ranked with the f32 originals; 1 = none
};

// Prints JSON lines (system "embedkit-store", or "embedkit-store-<element>" with
// "-r<rescore>" when rescoring): upsert and BuildIndex seconds per build thread count,
// the reopen (open + first search) against the one-thread build, then recall@k against
// `truth` and single-thread queries/s per ef, one query per Store::Search call.
void RunStoreMode(const StoreModeOptions& options, const Matrix& base, const Matrix& queries,
                  const IdMatrix& truth);

}  // namespace ek::annbench
