// The SQLite embedding store: collections of (string id, float vector, metadata
// JSON) with exact top-k search. SQLite is the system of record (WAL, one
// transaction per batch, schema version in PRAGMA user_version; see
// docs/storage.md). Searches run over an in-memory copy of each collection that is
// kept coherent with writes from this handle and, through PRAGMA data_version,
// with writes committed by other connections or processes.
//
// Thread-safety: every method may be called from several threads at once.
// Errors: every method throws ek::Error with a status and a message that names the
// argument and the reason ("collection 'docs' has dim 384, vectors have dim 383").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/quantized_distance.h"
#include "store/index_options.h"
#include "store/kv.h"

struct sqlite3;

namespace ek {
class ThreadPool;
}

namespace ek::store {

using kernels::Metric;

struct OpenOptions {
  bool read_only = false;
  bool must_exist = false;
  uint32_t busy_timeout_ms = 5000;
};

struct CollectionInfo {
  std::string name;
  uint32_t dim = 0;
  Metric metric = Metric::kCosine;
  uint64_t count = 0;
  IndexOptions index;              // defer_build is false: `building` says the state
  bool building = false;           // hnsw rows not yet in the graph: searches scan exactly
  uint64_t bytes_per_vector = 0;   // resident bytes per row once loaded (vector or code + links)
};

struct Hit {
  std::string id;
  float score = 0;
  std::optional<std::string> metadata;  // only when asked for and present
};

// One row as stored, by its row number (vectors.row: assigned at insertion, increasing,
// never reused while the row exists; an upsert of an existing id keeps it).
struct Row {
  int64_t row = 0;
  std::string id;
  std::vector<float> vector;              // empty unless asked for
  std::optional<std::string> metadata;    // only when asked for and present
};

struct UpsertBatch {
  size_t count = 0;
  const char* const* ids = nullptr;
  const float* vectors = nullptr;
  size_t dim = 0;
  const char* const* metadata = nullptr;  // nullable; entries nullable
};

class Store {
 public:
  // Opens or creates the store at `path` (":memory:" for a private in-memory one).
  // `pool` (nullable, not owned) parallelises searches over large collections.
  // `scan` is the backend's search (core/backend.h chooses it; never null);
  // `quantized_scan` its search over f16/int8/bit codes (nullptr: QuantizedScanTopK).
  static std::unique_ptr<Store> Open(const std::string& path, const OpenOptions& options,
                                     ThreadPool* pool, kernels::ScanFn scan,
                                     kernels::QuantizedScanFn quantized_scan = nullptr);
  // The store on a connection its owner opened and keeps (the SQL extension's: the
  // store's writes become part of the owner's statement or transaction). The connection
  // must outlive the store. Compared with Open, the store here:
  //  - never changes the connection's settings (journal mode, busy timeout, extended
  //    result codes, secure_delete, synchronous) and runs no quick_check;
  //  - never makes a savepoint, and joins the owner's transaction or writing statement
  //    (sql::Txn): a call that fails midway leaves its writes for the owner to roll
  //    back. Only on an idle connection in autocommit mode does a call BEGIN and COMMIT;
  //  - refuses Begin/Commit/Rollback (EK_ERR_UNSUPPORTED: use SQL's BEGIN/COMMIT/
  //    ROLLBACK); the Nested variants (a plugin's request) are one sql::Txn each, like
  //    any call: joined to the owner's work, else a transaction of their own;
  //  - CompactIndex rebuilds the index and returns 0: no VACUUM (it cannot run inside a
  //    transaction, and reshaping the owner's file is the owner's call);
  //  - creates or upgrades its schema in `main` (now, and again after a rollback undid
  //    it) only when the database qualifies: application_id 0 or 'EKST', user_version 0
  //    with application_id 0 (or an embedkit schema version with 'EKST'), and no table,
  //    index or view of its own named `collections`, `vectors`, `vectors_slot` or `ek_*`.
  //    Anything else: EK_ERR_INVALID_ARGUMENT naming what disqualifies it (a newer
  //    embedkit schema: EK_ERR_UNSUPPORTED); nothing is written then. A store from an
  //    older release is upgraded only on an idle connection (its ALTER TABLE is unsafe
  //    while the owner's statement runs): EK_ERR_UNSUPPORTED otherwise;
  //  - notices rollbacks it was not told about (sql::WriteStamp) at its next call and
  //    then behaves as after ForgetUncommitted. Commits of other connections reach it
  //    through PRAGMA data_version, as with Open.
  static std::unique_ptr<Store> Attach(sqlite3* db, ThreadPool* pool, kernels::ScanFn scan,
                                       kernels::QuantizedScanFn quantized_scan = nullptr);
  virtual ~Store() = default;

  // After a rollback on an attached connection that the store did not make itself:
  // drops every warm copy (indexed copies and their graphs included) and the catalog,
  // so the next call reloads from the tables (and re-creates the schema if the rollback
  // took it away). Harmless at any other time: it costs a reload.
  virtual void ForgetUncommitted() = 0;

  virtual CollectionInfo CreateCollection(std::string_view name, uint32_t dim,
                                          Metric metric) = 0;  // idempotent for same shape
  // The same with an index: an existing collection with the same dim, metric and options
  // is returned; other options fail with EK_ERR_ALREADY_EXISTS naming the difference.
  // (Without options an existing collection is returned whatever its index.)
  virtual CollectionInfo CreateCollection(std::string_view name, uint32_t dim, Metric metric,
                                          const IndexOptions& index) = 0;
  // (Re)builds the collection's index with `index` (nullptr: the current options) in one
  // transaction: rows get dense slots in insertion order, codes and graph are written
  // anew, and a cancel (progress returned non-zero: EK_ERR_CANCELLED) or any failure
  // leaves the collection as it was. Refused inside Begin/Commit. Holds the write lock
  // for the whole build.
  virtual CollectionInfo BuildIndex(std::string_view name, const IndexOptions* index,
                                    const BuildProgressFn& progress) = 0;
  // BuildIndex with the current options (slots renumbered densely, freed slots dropped),
  // then VACUUM; returns the bytes the file shrank by.
  virtual uint64_t CompactIndex(std::string_view name, const BuildProgressFn& progress) = 0;
  virtual std::optional<CollectionInfo> FindCollection(std::string_view name) = 0;
  virtual std::vector<CollectionInfo> ListCollections() = 0;
  virtual void DropCollection(std::string_view name) = 0;

  virtual void Upsert(std::string_view collection, const UpsertBatch& batch) = 0;
  // false if the id is absent
  virtual bool Get(std::string_view collection, std::string_view id, std::vector<float>* vector,
                   std::optional<std::string>* metadata) = 0;
  virtual size_t Delete(std::string_view collection, const std::vector<std::string>& ids) = 0;
  virtual uint64_t Count(std::string_view collection) = 0;

  // One vector of hits per query, best first: min(k, rows the filter allows) each; any
  // k >= 1 (0 = 10).
  virtual std::vector<std::vector<Hit>> Search(std::string_view collection, const float* queries,
                                               size_t n_queries, size_t dim, size_t k,
                                               std::string_view filter_json,
                                               bool include_metadata,
                                               const SearchOptions& options) = 0;
  std::vector<std::vector<Hit>> Search(std::string_view collection, const float* queries,
                                       size_t n_queries, size_t dim, size_t k,
                                       std::string_view filter_json, bool include_metadata) {
    return Search(collection, queries, n_queries, dim, k, filter_json, include_metadata,
                  SearchOptions{});
  }
  // Rows in insertion order; limit 0 = all.
  virtual std::vector<Hit> List(std::string_view collection, size_t offset, size_t limit,
                                bool include_metadata) = 0;
  // Keyset paging over row numbers, read from the tables (what this connection sees,
  // its owner's uncommitted writes included): rows with row number > after_row, in row
  // order, at most `limit` (0 = all). The next page starts after the last row returned,
  // so deletes and inserts between pages neither skip nor repeat a row. Any collection,
  // indexed ones included (vectors are the f32 originals).
  virtual std::vector<Row> ListAfter(std::string_view collection, int64_t after_row,
                                     size_t limit, bool include_vectors,
                                     bool include_metadata) = 0;
  // The row number of `id`, or nullopt (also for an id no row can have, e.g. empty).
  virtual std::optional<int64_t> RowOf(std::string_view collection, std::string_view id) = 0;
  // The row with number `row` in `collection`, or nullopt.
  virtual std::optional<Row> GetRow(std::string_view collection, int64_t row,
                                    bool include_vector, bool include_metadata) = 0;

  // One transaction over several calls on this handle (from any thread: the calls of
  // other threads on the same handle join it). Begin takes the write lock (waiting up
  // to the busy timeout); Commit makes everything since Begin durable at once;
  // Rollback, or closing the handle, undoes it all. One at a time per handle.
  virtual void Begin() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
  // The same for a plugin's request (ek_host::store_begin): when a transaction is
  // already open on the handle, BeginNested opens a savepoint inside it instead of
  // failing; CommitNested releases the innermost one, RollbackNested undoes only it.
  // Without one open they are Begin, Commit and Rollback.
  virtual void BeginNested() = 0;
  virtual void CommitNested() = 0;
  virtual void RollbackNested() = 0;

  // Key/value state (kv.h; embedkit.h "Key/value state"). Writes are one transaction
  // each, or join the one open on the handle. A version 1 store opened read-only has
  // no key/value table: reads then find nothing.
  virtual void KvPut(std::string_view ns, std::string_view key, std::string_view value,
                     kv::Kind kind) = 0;
  // false if absent; else `sink` sees the value (under the store's lock: copy it out).
  virtual bool KvGet(std::string_view ns, std::string_view key, const kv::ValueSink& sink) = 0;
  virtual size_t KvDelete(std::string_view ns, std::string_view key) = 0;
  virtual size_t KvDeletePrefix(std::string_view ns, std::string_view prefix) = 0;
  // Hits with id = key, score 0, metadata = the value when asked for and JSON.
  virtual std::vector<Hit> KvList(std::string_view ns, std::string_view prefix,
                                  std::string_view after, size_t limit,
                                  bool include_values) = 0;
};

namespace testing {
// Test-only fault injection: the next `n` updates of a warm in-memory copy that follow
// a committed write (upsert, delete, create) throw std::bad_alloc where an allocation
// would, as under a memory cap. Process-wide; 0 turns it off. Lets tests check that a
// committed write is reported as committed whatever happens to the copy.
void FailWarmCopyUpdates(int n);
}  // namespace testing

}  // namespace ek::store
