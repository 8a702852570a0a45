// Searches of a collection that has an index (docs/design/index_in_store.md §4): the
// planner picks the graph or an exact scan of the codes per call; quantized candidates
// are re-ranked with the f32 originals that stay in SQLite.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json/filter.h"
#include "kernels/kernels.h"
#include "kernels/quantized_distance.h"
#include "store/index_options.h"
#include "store/indexed_copy.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace ek {
class ThreadPool;
}

namespace ek::store {

struct IndexedQuery {
  const float* queries = nullptr;  // n_queries x dim, finite
  size_t n_queries = 0;
  size_t k = 10;
  const json::Filter* filter = nullptr;  // nullptr or a filter that does not match everything
  std::string_view filter_text;
  bool include_metadata = false;
  SearchOptions options;
};

// Hits per query, best first, and parallel to them the vectors.row each candidate was
// read from when it was picked (filled where a rescore follows). It is the hit lists
// themselves, so the caller returns it as Store::Search's answer (the rows stay behind).
struct CandidateLists : std::vector<std::vector<Hit>> {
  std::vector<std::vector<int64_t>> rows;
};

struct IndexedAnswer {
  CandidateLists hits;  // per query, best first
  // Hits are candidates with approximate (quantized) scores, more than k of them: the
  // caller re-ranks them with the f32 originals (RescoreWithOriginals) and keeps k.
  bool rescore = false;
  size_t k = 0;
};

// Caller holds c.mu shared. `scan` and `quantized_scan` (nullptr: QuantizedScanTopK) are
// the backend's scans over f32 rows and over codes.
IndexedAnswer SearchIndexedCopy(const IndexedCopy& c, const IndexedQuery& query,
                                kernels::ScanFn scan, kernels::QuantizedScanFn quantized_scan,
                                ThreadPool* pool);

// Replaces each candidate's score with the exact metric against its f32 original and
// keeps the best k, ties by the candidates' order. The originals are read by
// vectors.row (`hits->rows`), every row once for all queries and in row order, in
// statements of up to 64 rows; a row that no longer holds the candidate (same
// collection and id) is looked up by id instead, and a candidate deleted meanwhile is
// dropped. Caller holds the store's db mutex, not the copy's, and a read transaction.
void RescoreWithOriginals(sql::Db& db, int64_t cid, uint32_t dim, kernels::Metric metric,
                          const float* queries, size_t k, CandidateLists* hits);

// The exact scan of the f32 originals, streamed from SQLite in blocks (memory bounded by
// the block): the recall baseline of a quantized or hnsw collection (SearchOptions::exact).
// Caller holds the store's db mutex and a read transaction.
std::vector<std::vector<Hit>> ExactScanOfOriginals(sql::Db& db, int64_t cid, uint32_t dim,
                                                   kernels::Metric metric,
                                                   const IndexedQuery& query, ThreadPool* pool);

}  // namespace ek::store
