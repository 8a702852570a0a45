// Writes to a collection that has an index (docs/design/index_in_store.md §1, §5): rows,
// slots, codes and the graph records they change, all in the caller's transaction and
// before its commit, so a crash or a rollback never separates the graph from its rows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/indexed_copy.h"
#include "store/sqlite.h"

namespace ek {
class ThreadPool;
}

namespace ek::store {

struct IndexedRow {
  std::string_view id;
  const float* vector;  // dim finite floats (validated by the caller)
  std::optional<std::string_view> metadata;
};

// Call with `c` current (its generation is the collection's before this write), held
// exclusively, inside the caller's write transaction. A throw leaves `c` changed only
// in part: the caller must drop it (the transaction rolls back, the tables are whole).
// Returns how many stored vectors were replaced by other ones (their old bytes were freed).
size_t UpsertIndexed(sql::Db& db, IndexedCopy& c, const std::vector<IndexedRow>& rows,
                     ThreadPool* pool);
// Returns how many of `ids` existed (and are gone).
size_t DeleteIndexed(sql::Db& db, IndexedCopy& c, const std::vector<std::string>& ids);

// Assigns dense slots 0..n-1 in insertion order to every row, writes codes and (for
// hnsw) builds and writes the whole graph; the collection's old index data must have
// been deleted first (DeleteIndexData). `progress` (done, total) stops the build with
// EK_ERR_CANCELLED when it returns non-zero.
std::shared_ptr<IndexedCopy> BuildIndexed(sql::Db& db, int64_t cid, uint32_t dim,
                                          kernels::Metric metric, const IndexSettings& settings,
                                          const std::string& label, ThreadPool* pool,
                                          const std::function<int(uint64_t, uint64_t)>& progress);

}  // namespace ek::store
