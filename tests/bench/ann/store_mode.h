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

// One metadata filter measured through the store: rows whose attribute "a" (the labels
// file's column) is below `percent`, scored against `truth` (that filter's exact top-k).
struct StoreFilter {
  uint32_t percent = 0;
  const IdMatrix* truth = nullptr;
};

struct StoreModeOptions {
  bool angular = true;
  uint32_t m = 16, ef_construction = 200;
  size_t k = 10;
  std::vector<size_t> efs;
  std::vector<size_t> build_threads;
  kernels::ElementType element = kernels::ElementType::kF32;
  uint32_t rescore = 1;  // oversampling re-ranked with the f32 originals; 1 = none
  const IdMatrix* labels = nullptr;  // one attribute per base row, stored as {"a": N}
  std::vector<StoreFilter> filters;  // needs labels
  size_t exact_queries = 500;        // the masked exact scan is timed on this prefix
};

// Prints JSON lines (system "embedkit-store", or "embedkit-store-<element>" with
// "-r<rescore>" when rescoring): upsert and BuildIndex seconds per build thread count,
// the reopen (open + first search) against the one-thread build, then recall@k against
// `truth` and single-thread queries/s per ef, one query per Store::Search call. With
// filters: per filter, the same sweep with the filter {"a": {"$lt": P}} (the planner
// picks the filtered graph or the masked scan per ef), then "embedkit-store-scan", the
// masked exact scan of the f32 originals (SearchOptions::exact) on the first
// exact_queries queries.
void RunStoreMode(const StoreModeOptions& options, const Matrix& base, const Matrix& queries,
                  const IdMatrix& truth);

}  // namespace ek::annbench
