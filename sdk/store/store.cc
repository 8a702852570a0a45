// The SQLite embedding store. Schema and file format: docs/storage.md.
//
// Locking: `db_mu_` guards the connection, the catalog and the last seen
// data_version; each collection's in-memory copy has its own shared_mutex (searches
// share it, writers applying a committed batch take it exclusively). Lock order is
// always db_mu_ then a copy's mutex; searches let go of db_mu_ before scanning, so
// they run concurrently with each other and with other collections' writes.
#include "store/store.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include <unistd.h>

#include "base/error.h"
#include "base/thread_pool.h"
#include "json/filter.h"
#include "json/json.h"
#include "store/kv.h"
#include "store/index_table.h"
#include "store/mask_cache.h"
#include "store/owned_mutex.h"
#include "store/indexed_copy.h"
#include "store/indexed_search.h"
#include "store/indexed_writes.h"
#include "store/quote.h"
#include "store/sqlite.h"
#include "store/vector_blob.h"

namespace ek::store {

namespace {

using sql::Db;
using sql::Stmt;
using sql::Txn;

// 1: collections and vectors. 2: + ek_kv (key/value state, kv.h). 3: + vectors.slot
// and the index tables (kIndexTablesSql). An older store opened for writing is upgraded in place
// (UpgradeSchema).
constexpr int64_t kSchemaVersion = 3;
constexpr int64_t kApplicationId = 0x454B5354;  // "EKST"
constexpr size_t kMaxIdBytes = 512;
constexpr size_t kMaxNameBytes = 128;
constexpr uint32_t kMaxDim = 65536;
constexpr size_t kDefaultK = 10;
// Stores up to this size get PRAGMA quick_check when opened for writing: at most
// ~0.3 s here (1.2 ms per MB), which a short-lived process opening a store pays once.
constexpr uintmax_t kQuickCheckMaxBytes = uintmax_t{256} << 20;

// A new store's collections and vectors, at version 3. vectors.slot (version 3) is
// written exactly as the upgrade's ALTER TABLE (kSlotColumnSql) leaves a version 2
// store's SQL, so a new store and an upgraded one have the same schema text. A new store
// makes no ALTER: an ALTER reloads the whole schema, and inside a virtual table's
// xCreate (an attached store made on first use) SQLite then keeps a freed table.
const char* const kSchemaSql = R"sql(
CREATE TABLE collections (
  id          INTEGER PRIMARY KEY,
  name        TEXT    NOT NULL UNIQUE,
  dim         INTEGER NOT NULL CHECK (dim BETWEEN 1 AND 65536),
  metric      TEXT    NOT NULL CHECK (metric IN ('cosine', 'dot', 'l2')),
  generation  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE vectors (
  row            INTEGER PRIMARY KEY,
  collection_id  INTEGER NOT NULL REFERENCES collections (id),
  id             TEXT    NOT NULL,
  vector         BLOB    NOT NULL,
  metadata       TEXT, slot INTEGER,
  UNIQUE (collection_id, id)
);
)sql";

// The upgrade from version 2 adds vectors.slot. It changes only the schema: existing
// rows read slot NULL, nothing is rewritten.
const char* const kSlotColumnSql = "ALTER TABLE vectors ADD COLUMN slot INTEGER;";

// Version 3: what an indexed or quantized collection keeps beside its rows
// (docs/design/index_in_store.md §1, docs/storage.md). A new store runs it after
// kSchemaSql, the upgrade from version 2 after kSlotColumnSql.
const char* const kIndexTablesSql = R"sql(
CREATE TABLE ek_index (
  collection_id   INTEGER PRIMARY KEY REFERENCES collections (id),
  kind            TEXT    NOT NULL CHECK (kind IN ('exact', 'hnsw')),
  element         TEXT    NOT NULL CHECK (element IN ('f32', 'f16', 'int8', 'bit')),
  m               INTEGER NOT NULL DEFAULT 16 CHECK (m BETWEEN 2 AND 255),
  ef_construction INTEGER NOT NULL DEFAULT 200 CHECK (ef_construction >= 1),
  ef_search       INTEGER NOT NULL DEFAULT 64 CHECK (ef_search >= 1),
  rescore         INTEGER NOT NULL DEFAULT 1 CHECK (rescore >= 1),
  int8_scale      REAL,
  state           TEXT    NOT NULL CHECK (state IN ('ready', 'building')),
  header          BLOB,
  next_slot       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE ek_hnsw_node (key INTEGER PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE ek_code (key INTEGER PRIMARY KEY, code BLOB NOT NULL);
CREATE TABLE ek_free_slot (key INTEGER PRIMARY KEY);
CREATE TABLE ek_index_log (
  collection_id INTEGER NOT NULL,
  generation    INTEGER NOT NULL,
  slots         BLOB    NOT NULL,
  header        INTEGER NOT NULL,
  PRIMARY KEY (collection_id, generation)
);
CREATE UNIQUE INDEX vectors_slot ON vectors (collection_id, slot) WHERE slot IS NOT NULL;
)sql";

// ---- Small helpers ----------------------------------------------------------------------

const char* MetricName(Metric m) {
  switch (m) {
    case Metric::kCosine: return "cosine";
    case Metric::kDot: return "dot";
    case Metric::kL2: return "l2";
  }
  return "?";
}

bool ParseMetric(std::string_view s, Metric* out) {
  if (s == "cosine") *out = Metric::kCosine;
  else if (s == "dot") *out = Metric::kDot;
  else if (s == "l2") *out = Metric::kL2;
  else return false;
  return true;
}

std::string CollectionLabel(std::string_view name) { return "collection " + Quote(name); }

// An application_id as messages show it: "0x454B5354".
std::string HexId(int64_t id) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08llX", static_cast<unsigned long long>(id) & 0xffffffffULL);
  return hex;
}

// Throws INVALID_ARGUMENT unless `name` is 1..128 bytes of UTF-8 without NUL.
void CheckName(std::string_view name) {
  if (name.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "collection name is empty");
  if (name.size() > kMaxNameBytes)
    Fail(EK_ERR_INVALID_ARGUMENT, "collection name " + Quote(name) + " has " +
                                      std::to_string(name.size()) + " bytes; the limit is " +
                                      std::to_string(kMaxNameBytes));
  if (name.find('\0') != std::string_view::npos)
    Fail(EK_ERR_INVALID_ARGUMENT, "collection name " + Quote(name) + " contains a NUL byte");
  if (!json::IsValidUtf8(name))
    Fail(EK_ERR_INVALID_ARGUMENT, "collection name " + Quote(name) + " is not valid UTF-8");
}

// Empty string if `id` is acceptable, else the reason.
std::string IdProblem(std::string_view id) {
  if (id.empty()) return "id is empty";
  if (id.size() > kMaxIdBytes)
    return "id has " + std::to_string(id.size()) + " bytes; the limit is " +
           std::to_string(kMaxIdBytes);
  if (id.find('\0') != std::string_view::npos) return "id contains a NUL byte";
  if (!json::IsValidUtf8(id)) return "id is not valid UTF-8";
  return {};
}

// Blob <-> floats, little-endian float32 on every host.

// Empty string if every component is finite, else "component 17 is NaN".
std::string NonFinite(const float* v, size_t dim) {
  for (size_t j = 0; j < dim; ++j) {
    if (!std::isfinite(v[j])) {
      return "component " + std::to_string(j) + " is " +
             (std::isnan(v[j]) ? "NaN" : (v[j] > 0 ? "+Inf" : "-Inf"));
    }
  }
  return {};
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// ---- In-memory copy of one collection ---------------------------------------------------

// Content keys for ScanFn: unique across every snapshot of every store in the process.
uint64_t NextContentKey() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

struct Snapshot {
  mutable std::shared_mutex mu;  // shared: searches/listing; exclusive: applying writes
  int64_t generation = 0;        // collections.generation this copy reflects
  uint32_t dim = 0;
  Metric metric = Metric::kCosine;
  std::vector<float> matrix;     // rows x dim, insertion order; cosine rows unit-normalised
  std::vector<float> sq_norms;   // L2 only: ||row||^2
  std::vector<std::string> ids;
  std::vector<std::optional<std::string>> metadata;
  std::vector<int64_t> rowids;   // vectors.row, strictly increasing
  // id -> rowid (not the row's position: rowids survive the compaction of a delete, so
  // a delete only erases its own ids). Built on the first upsert that needs it after a
  // load: only upserts look rows up by id.
  std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>> index;
  bool index_built = false;
  // Names the matrix contents (ScanFn's content_key); renewed by every change, under
  // the exclusive lock, before the change becomes visible to searches.
  uint64_t content_key = NextContentKey();

  // Filter masks (row_allowed for ScanTopK) computed for the current contents, keyed
  // by filter text, most recent first. Cleared whenever the contents change.
  MaskCache masks;

  size_t rows() const { return ids.size(); }

  // Stores `v` into row `r` of the matrix (normalised / with its norm as the metric needs).
  void SetRow(size_t r, const float* v) {
    content_key = NextContentKey();
    float* dst = matrix.data() + r * dim;
    std::memcpy(dst, v, dim * sizeof(float));
    if (metric == Metric::kCosine) kernels::Normalize(dst, dim);
    if (metric == Metric::kL2) sq_norms[r] = kernels::SquaredNorm(dst, dim);
  }

  // Grows by one row; capacity must have been reserved by the caller when exception
  // safety matters.
  void Append(int64_t rowid, std::string id, const float* v, std::optional<std::string> meta) {
    const size_t r = rows();
    matrix.resize((r + 1) * dim);
    if (metric == Metric::kL2) sq_norms.resize(r + 1);
    SetRow(r, v);
    rowids.push_back(rowid);
    metadata.push_back(std::move(meta));
    ids.push_back(std::move(id));
    if (index_built) index.emplace(ids.back(), rowid);
  }

  // The row holding `id`, or -1. Caller holds `mu` exclusively.
  int64_t FindRow(std::string_view id) {
    if (!index_built) {
      index.clear();
      index.reserve(rows());
      for (size_t r = 0; r < rows(); ++r) index.emplace(ids[r], rowids[r]);
      index_built = true;
    }
    auto it = index.find(id);
    if (it == index.end()) return -1;
    auto at = std::lower_bound(rowids.begin(), rowids.end(), it->second);
    return at != rowids.end() && *at == it->second ? at - rowids.begin() : -1;
  }

  // Room for n rows; grows geometrically, since an exact reserve per batch would copy
  // the whole matrix on every upsert of new rows.
  void Reserve(size_t n) {
    if (n <= ids.capacity()) return;
    n = std::max(n, ids.capacity() + ids.capacity() / 2);
    matrix.reserve(n * dim);
    if (metric == Metric::kL2) sq_norms.reserve(n);
    rowids.reserve(n);
    metadata.reserve(n);
    ids.reserve(n);
  }

  void ContentsChanged() {
    content_key = NextContentKey();
    masks.Clear();
  }

  // The row_allowed mask for `filter` (compiled from `text`); computed once per
  // contents version and cached. Caller holds `mu` shared.
  MaskCache::Mask Mask(std::string_view text, const json::Filter& filter, ThreadPool* pool) const {
    return masks.Get(text, [&] {
      return MaskCache::Build(rows(), pool, [&](size_t r) { return metadata[r] && filter.Matches(*metadata[r]); });
    });
  }
};

struct CatalogEntry {
  int64_t cid = 0;
  uint32_t dim = 0;
  Metric metric = Metric::kCosine;
  std::shared_ptr<Snapshot> snapshot;  // null until first needed, or after an outside change
  std::optional<IndexSettings> index;   // its ek_index row; nullopt: exact f32 (the Snapshot)
  std::shared_ptr<IndexedCopy> indexed; // the warm copy of an indexed collection, when loaded
};

using ValidRow = IndexedRow;

uint32_t BusyTimeoutMs(const OpenOptions& o) { return o.busy_timeout_ms ? o.busy_timeout_ms : 5000; }

// ---- Test-only fault injection (store.h) --------------------------------------------------

std::atomic<int> g_fail_warm_copy_updates{0};

// Throws std::bad_alloc while testing::FailWarmCopyUpdates has failures left.
void MaybeInjectWarmCopyFailure() {
  int left = g_fail_warm_copy_updates.load(std::memory_order_relaxed);
  while (left > 0) {
    if (g_fail_warm_copy_updates.compare_exchange_weak(left, left - 1)) throw std::bad_alloc();
  }
}

// ---- The store -----------------------------------------------------------------------------

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, const OpenOptions& options, ThreadPool* pool,
              kernels::ScanFn scan, kernels::QuantizedScanFn quantized_scan);
  // Store::Attach: on a connection its owner keeps.
  SqliteStore(sqlite3* db, ThreadPool* pool, kernels::ScanFn scan,
              kernels::QuantizedScanFn quantized_scan);

  void ForgetUncommitted() override;

  CollectionInfo CreateCollection(std::string_view name, uint32_t dim, Metric metric) override;
  CollectionInfo CreateCollection(std::string_view name, uint32_t dim, Metric metric,
                                  const IndexOptions& index) override;
  CollectionInfo BuildIndex(std::string_view name, const IndexOptions* index,
                            const BuildProgressFn& progress) override;
  uint64_t CompactIndex(std::string_view name, const BuildProgressFn& progress) override;
  std::optional<CollectionInfo> FindCollection(std::string_view name) override;
  std::vector<CollectionInfo> ListCollections() override;
  void DropCollection(std::string_view name) override;
  void Upsert(std::string_view collection, const UpsertBatch& batch) override;
  bool Get(std::string_view collection, std::string_view id, std::vector<float>* vector,
           std::optional<std::string>* metadata) override;
  size_t Delete(std::string_view collection, const std::vector<std::string>& ids) override;
  uint64_t Count(std::string_view collection) override;
  std::vector<std::vector<Hit>> Search(std::string_view collection, const float* queries,
                                       size_t n_queries, size_t dim, size_t k,
                                       std::string_view filter_json, bool include_metadata,
                                       const SearchOptions& options) override;
  std::vector<Hit> List(std::string_view collection, size_t offset, size_t limit,
                        bool include_metadata) override;
  std::vector<Row> ListAfter(std::string_view collection, int64_t after_row, size_t limit,
                             bool include_vectors, bool include_metadata) override;
  std::optional<int64_t> RowOf(std::string_view collection, std::string_view id) override;
  std::optional<Row> GetRow(std::string_view collection, int64_t row, bool include_vector,
                            bool include_metadata) override;
  void Begin() override;
  void Commit() override;
  void Rollback() override;
  void BeginNested() override;
  void CommitNested() override;
  void RollbackNested() override;
  void KvPut(std::string_view ns, std::string_view key, std::string_view value,
             kv::Kind kind) override;
  bool KvGet(std::string_view ns, std::string_view key, const kv::ValueSink& sink) override;
  size_t KvDelete(std::string_view ns, std::string_view key) override;
  size_t KvDeletePrefix(std::string_view ns, std::string_view prefix) override;
  std::vector<Hit> KvList(std::string_view ns, std::string_view prefix, std::string_view after,
                          size_t limit, bool include_values) override;

 private:
  // A key/value delete: takes db_mu_, runs `del` on the table in a write transaction.
  template <class DeleteFn>
  size_t KvDeleteWith(DeleteFn&& del);

  // All below: db_mu_ held.
  void InitOrCheckSchema();
  // Creates the whole current schema and stamps application_id and user_version.
  void CreateSchemaLocked();
  // For a store at schema `version` with the embedkit application_id: refuses versions
  // it cannot read, upgrades older ones when `writable`, checks every column is there.
  void UseSchemaLocked(int64_t version, bool writable);
  // Attached: the schema made or checked under the rules of "Which databases" (store.h).
  void InitAttachedSchemaLocked();
  // Attached: first of every call; notices a rollback the store was not told about and
  // brings the schema back when a rollback removed it.
  void ReadyLocked();
  void ForgetUncommittedLocked();
  // Attached: records a write (WriteStamp) inside its transaction.
  void StampWriteLocked();
  // Attached: the transaction calls are the owner's.
  void RefuseOnAttached() const;
  // Attached: a plugin's request must be open (CommitNested/RollbackNested); commits it.
  void RequireAttachedRequestLocked() const;
  void CommitAttachedRequestLocked();
  // The vectors row `q` holds in columns (row, id, vector, metadata), vector and
  // metadata NULL when not asked for.
  Row RowFrom(const Stmt::Use& q, const CatalogEntry& e, std::string_view collection);
  // The rows of `sql`, a query of `e`'s vectors by row number whose parameters are ?1
  // collection_id, ?2 a row number, ?3 / ?4 whether to read the vector / the metadata
  // and ?5 the most rows (-1: all), and whose columns are RowFrom's (CASE WHEN ?3 THEN
  // vector END: SQLite skips reading what was not asked for).
  std::vector<Row> RowsLocked(const char* sql, const CatalogEntry& e, std::string_view collection,
                              int64_t row, bool include_vector, bool include_metadata, int64_t max_rows);
  void UpgradeSchema();
  // Runs `sql` (then `more_sql`) and sets user_version to from + 1, if the store is at
  // version `from`.
  void UpgradeStep(int64_t from, const char* sql, const char* more_sql = nullptr);
  bool HasKvTableLocked();
  void BeginLocked();
  void CommitLocked();
  void RollbackLocked();
  bool ReopenImmutableForReading(const OpenOptions& options, const Error& e);
  void CheckIntegrityForWriting();
  void RequireWritable() const;
  void SyncLocked();
  CatalogEntry& RequireLocked(std::string_view name);
  std::shared_ptr<Snapshot> LoadedLocked(std::string_view name);
  uint64_t CountLocked(const CatalogEntry& e);
  // Within a write transaction: the collection row as committed now; throws NOT_FOUND.
  struct Current {
    int64_t cid;
    uint32_t dim;
    int64_t generation;
  };
  Current CurrentInTxn(std::string_view name);
  int64_t BumpGeneration(int64_t cid);
  // CreateCollection with `asked` options, or (nullptr) any index for an existing one.
  CollectionInfo CreateWith(std::string_view name, uint32_t dim, Metric metric,
                            const IndexOptions* asked);
  CollectionInfo InfoLocked(const std::string& name, const CatalogEntry& e);
  // The indexed collection's warm copy, loaded from its tables when absent.
  std::shared_ptr<IndexedCopy> IndexedLoadedLocked(std::string_view name);
  // Runs `write` on the current copy of an indexed collection inside `txn`, then bumps
  // the generation and commits. A failure drops the copy (the tables roll back whole).
  template <class WriteFn>
  void WriteIndexedLocked(std::string_view name, const Current& cur, sql::Txn& txn,
                          WriteFn&& write);
  std::vector<std::vector<Hit>> SearchIndexed(std::string_view collection,
                                              std::shared_ptr<IndexedCopy> c,
                                              const IndexedQuery& query);
  void ForgetFreedPages();
  // After a commit: runs `follow` (which brings the warm copy of `collection` along
  // with what was committed). A failure there (an allocation under a memory cap) must
  // not turn a committed write into a reported failure: the copy is dropped instead,
  // and the catalog re-read, so both are reloaded from the file when next needed.
  template <class Fn>
  void FollowCommitLocked(std::string_view collection, Fn&& follow) noexcept;
  void ApplyUpsertToCopyLocked(std::string_view collection, const Current& cur,
                               int64_t generation, const std::vector<ValidRow>& rows,
                               const std::vector<int64_t>& rowids);
  void ApplyDeleteToCopyLocked(std::string_view collection, const Current& cur,
                               int64_t generation, const std::vector<std::string_view>& gone_ids);

  OwnedMutex db_mu_;
  // ForgetUncommitted asked for while this thread held db_mu_ (see ForgetUncommitted);
  // applied by the next ReadyLocked. Guarded by db_mu_.
  bool forget_requested_ = false;
  std::unique_ptr<Db> db_;
  ThreadPool* pool_;
  kernels::ScanFn scan_;  // the backend's search
  kernels::QuantizedScanFn quantized_scan_;  // and its search over quantized codes
  std::string path_;
  bool in_memory_;
  bool read_only_option_;
  bool read_only_file_ = false;
  int64_t data_version_ = -1;
  bool catalog_valid_ = false;
  std::map<std::string, CatalogEntry, std::less<>> catalog_;
  bool in_transaction_ = false;    // Begin() .. Commit()/Rollback()
  int nested_depth_ = 0;           // savepoints of BeginNested inside it
  bool has_kv_table_ = false;      // false only for a version 1 store read as it is
  // false only for a store before version 3 read as it is: every collection is exact f32
  bool has_index_tables_ = false;
  bool checkpoint_pending_ = false;  // a delete inside it: checkpoint after Commit
  // Store::Attach: the connection is the owner's (store.h lists what changes).
  bool attached_ = false;
  bool schema_ready_ = true;               // attached: false after a rollback may have undone it
  std::unique_ptr<sql::WriteStamp> stamp_;  // attached only
  // Attached: a plugin's requests (BeginNested) still open, innermost last; each joins
  // the owner's work or is a transaction of its own (sql::Txn), never a savepoint.
  std::vector<std::unique_ptr<Txn>> attached_requests_;
};

SqliteStore::SqliteStore(const std::string& path, const OpenOptions& options, ThreadPool* pool,
                         kernels::ScanFn scan, kernels::QuantizedScanFn quantized_scan)
    : pool_(pool), scan_(scan), quantized_scan_(quantized_scan), path_(path), in_memory_(path == ":memory:"),
      read_only_option_(options.read_only) {
  if (!scan) Fail(EK_ERR_INTERNAL, "the store was opened without a search function");
  if (path.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "store path is empty (use \":memory:\")");
  if (path.find('\0') != std::string::npos)
    Fail(EK_ERR_INVALID_ARGUMENT, "store path contains a NUL byte");
  if (in_memory_ && options.read_only)
    Fail(EK_ERR_INVALID_ARGUMENT, "an in-memory store cannot be opened read-only");
  if (!in_memory_ && (options.must_exist || options.read_only)) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      Fail(EK_ERR_IO, "store file '" + path + "' does not exist");
  }
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (!options.must_exist) flags |= SQLITE_OPEN_CREATE;
  }
  db_ = std::make_unique<Db>(path, flags, BusyTimeoutMs(options));
  read_only_file_ = sqlite3_db_readonly(db_->handle(), "main") == 1 && !options.read_only;
  try {
    InitOrCheckSchema();
  } catch (const Error& e) {
    if (!ReopenImmutableForReading(options, e)) throw;
    InitOrCheckSchema();
  }
  if (!in_memory_ && !read_only_option_ && !read_only_file_) CheckIntegrityForWriting();
  data_version_ = db_->QueryInt("PRAGMA data_version");
}

SqliteStore::SqliteStore(sqlite3* db, ThreadPool* pool, kernels::ScanFn scan,
                         kernels::QuantizedScanFn quantized_scan)
    : pool_(pool), scan_(scan), quantized_scan_(quantized_scan), in_memory_(false),
      read_only_option_(false), attached_(true), schema_ready_(false) {
  if (!scan) Fail(EK_ERR_INTERNAL, "the store was attached without a search function");
  if (!db) Fail(EK_ERR_INVALID_ARGUMENT, "the SQLite connection to attach to is NULL");
  // "" for an in-memory or temporary database.
  const char* file = sqlite3_db_filename(db, "main");
  in_memory_ = !file || !*file;
  path_ = in_memory_ ? ":memory:" : file;
  db_ = std::make_unique<Db>(Db::Borrowed{}, db, path_);
  stamp_ = std::make_unique<sql::WriteStamp>(*db_);
  read_only_file_ = sqlite3_db_readonly(db, "main") == 1;
  InitAttachedSchemaLocked();
  data_version_ = db_->QueryInt("PRAGMA data_version");
}

// A WAL store is read through its -shm file, which SQLite creates next to the store
// on the first read. In a folder the user cannot write it cannot be created, and the
// read fails ("attempt to write a readonly database"). Without a -wal file holding
// changes, the store file alone is the whole store: it is then opened read-only with
// the URI parameter immutable=1, which reads it without -shm, locks or any write
// (https://www.sqlite.org/uri.html). Nobody can write it meanwhile through SQLite
// either, since a writer needs the same folder to create its -wal and -shm files.
// Returns false (the caller rethrows `e`) when this does not apply.
bool SqliteStore::ReopenImmutableForReading(const OpenOptions& options, const Error& e) {
  if (in_memory_ || (e.status() != EK_ERR_READ_ONLY && e.status() != EK_ERR_IO)) return false;
  const std::filesystem::path file = std::filesystem::absolute(path_);
  std::string folder = file.parent_path().string();
  if (::access(folder.c_str(), W_OK) == 0) return false;  // not the missing -shm
  std::error_code ec;
  const auto wal_bytes = std::filesystem::file_size(path_ + "-wal", ec);
  if (!ec && wal_bytes > 0) {
    Fail(EK_ERR_READ_ONLY,
         "store '" + path_ + "' cannot be read: its folder is not writable, and '" + path_ +
             "-wal' holds committed changes not yet copied into the store file, which SQLite "
             "can only read with a '-shm' file it must create in that folder. Open the store "
             "once where its folder is writable (that copies the changes in), or copy the "
             "store and its -wal file to a writable folder");
  }
  std::string uri = "file://";
  for (const unsigned char c : file.string()) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      static const char* kHex = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  uri += "?immutable=1";
  db_.reset();
  db_ = std::make_unique<Db>(path_,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
                                 SQLITE_OPEN_EXRESCODE,
                             BusyTimeoutMs(options), uri);
  read_only_file_ = !options.read_only;  // writes: EK_ERR_READ_ONLY naming the folder
  return true;
}

// Writing into a store with damaged b-tree pages makes the damage worse and the
// counts wrong, so a store opened for writing is checked first with PRAGMA
// quick_check: it reads every page once and checks each b-tree's structure (not the
// indexes' agreement with the tables, which integrity_check adds). It costs about
// 1.2 ms per MB (docs/storage.md), so stores above kQuickCheckMaxBytes are not
// checked: opening them would take seconds. Read-only opens are not checked: reads
// cannot make anything worse.
void SqliteStore::CheckIntegrityForWriting() {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path_, ec);
  if (ec || bytes > kQuickCheckMaxBytes) return;
  std::string problem;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_->handle(), "PRAGMA quick_check(3)", -1, &stmt, nullptr);
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    if ((rc = sqlite3_step(stmt)) != SQLITE_ROW) break;
    const char* row = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    const std::string_view line = row ? row : "";
    if (line == "ok") continue;
    problem += problem.empty() ? "" : "; ";
    problem += line;
  }
  if (rc != SQLITE_DONE && problem.empty()) problem = sqlite3_errmsg(db_->handle());
  sqlite3_finalize(stmt);
  if (problem.empty()) return;
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) db_->Throw(rc, "PRAGMA quick_check");
  Fail(EK_ERR_CORRUPT,
       "store '" + path_ + "' is damaged, so it was not opened for writing (nothing was "
       "written): SQLite's quick_check reports: " + problem +
           ". Open it read-only to read what is left, or restore it from a backup");
}

void SqliteStore::InitOrCheckSchema() {
  const std::string where = "store '" + path_ + "'";
  // The first read of the header: a file that is not SQLite fails here (NOTADB).
  // The three values come from one read transaction: read one by one, they can
  // straddle another process's initialising commit and see "application_id 0 but
  // tables present" — a fresh store misreported as a foreign database.
  int64_t app_id = 0, version = 0, tables = 0;
  {
    Txn snapshot(*db_, Txn::kRead);
    app_id = db_->QueryInt("PRAGMA application_id");
    version = db_->QueryInt("PRAGMA user_version");
    tables = db_->QueryInt("SELECT count(*) FROM sqlite_schema");
    snapshot.Commit();
  }
  const bool writable = !read_only_option_ && !read_only_file_;

  if (app_id == 0 && version == 0 && tables == 0) {
    if (!writable)
      Fail(EK_ERR_READ_ONLY, where + " is empty and opened read-only, so its schema cannot be "
                                     "created");
    // WAL must be set outside a transaction; an empty database is ours to configure.
    db_->EnableWal();
    Txn txn(*db_, Txn::kWrite);
    // Someone else may have initialised it while we waited for the lock.
    app_id = db_->QueryInt("PRAGMA application_id");
    version = db_->QueryInt("PRAGMA user_version");
    tables = db_->QueryInt("SELECT count(*) FROM sqlite_schema");
    if (app_id == 0 && version == 0 && tables == 0) {
      CreateSchemaLocked();
      app_id = kApplicationId;
      version = kSchemaVersion;
    }
    txn.Commit();
  }
  if (app_id != kApplicationId) {
    Fail(EK_ERR_CORRUPT, where + " is an SQLite database but not an embedkit store (application_id " +
                             HexId(app_id) + ", expected 0x454B5354 'EKST')");
  }
  UseSchemaLocked(version, writable);
  if (writable) {
    if (!in_memory_) db_->EnableWal();
    db_->Exec("PRAGMA secure_delete=ON");
  }
  // WAL + synchronous=NORMAL: a commit survives a crash or SIGKILL of the writer
  // (the WAL is intact and replayed); only a power loss may roll back the last
  // commits. FULL would fsync on every commit (about 2 ms here per batch).
  db_->Exec("PRAGMA synchronous=NORMAL");
}

void SqliteStore::CreateSchemaLocked() {
  db_->Exec(kSchemaSql);
  db_->Exec(kv::kTableSql);
  db_->Exec(kIndexTablesSql);
  db_->Exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str());
  db_->Exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
}

void SqliteStore::UseSchemaLocked(int64_t version, bool writable) {
  const std::string where = "store '" + path_ + "'";
  if (version > kSchemaVersion)
    Fail(EK_ERR_UNSUPPORTED, where + " has schema version " + std::to_string(version) +
                                 "; this library reads versions up to " +
                                 std::to_string(kSchemaVersion) + " (upgrade embedkit)");
  if (version < 1)
    Fail(EK_ERR_CORRUPT, where + " has the embedkit application_id but schema version " +
                             std::to_string(version));
  if (version < kSchemaVersion && writable) {
    // The upgrade's ALTER TABLE reloads the schema: while the owner's statement runs
    // (a virtual table's xCreate or xConnect, a function) SQLite would keep pointers
    // into the freed one.
    if (attached_ && !sql::ConnectionIdle(db_->handle()))
      Fail(EK_ERR_UNSUPPORTED,
           where + " has schema version " + std::to_string(version) + " and needs an upgrade "
           "to version " + std::to_string(kSchemaVersion) + " (ALTER TABLE), which cannot run "
           "while a statement runs or a transaction is open on the connection; open it once "
           "for writing with embedkit's C API or CLI, which upgrades it");
    UpgradeSchema();
    version = kSchemaVersion;
  }
  // A version 1 store read as it is has no key/value table; reads find nothing there.
  has_kv_table_ = version >= 2;
  // One before version 3 read as it is has no index tables: every collection is exact f32.
  has_index_tables_ = version >= 3;

  // Every column the store uses must be there.
  struct Probe {
    const char* sql;
    int since;  // the schema version that added it
  };
  for (const Probe probe : {
           Probe{"SELECT id, name, dim, metric, generation FROM collections LIMIT 0", 1},
           Probe{"SELECT row, collection_id, id, vector, metadata FROM vectors LIMIT 0", 1},
           Probe{"SELECT ns, key, kind, value FROM ek_kv LIMIT 0", 2},
           Probe{"SELECT collection_id, kind, element, m, ef_construction, ef_search, rescore, "
                 "int8_scale, state, header, next_slot FROM ek_index LIMIT 0", 3},
           Probe{"SELECT key, record FROM ek_hnsw_node LIMIT 0", 3},
           Probe{"SELECT key, code FROM ek_code LIMIT 0", 3},
           Probe{"SELECT key FROM ek_free_slot LIMIT 0", 3},
           Probe{"SELECT collection_id, generation, slots, header FROM ek_index_log LIMIT 0", 3},
           Probe{"SELECT slot FROM vectors INDEXED BY vectors_slot WHERE slot IS NOT NULL "
                 "LIMIT 0", 3}}) {
    if (probe.since > version) continue;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db_->handle(), probe.sql, -1, &stmt, nullptr);
    const std::string why = rc == SQLITE_OK ? "" : sqlite3_errmsg(db_->handle());
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) Fail(EK_ERR_CORRUPT, where + " lacks the embedkit schema: " + why);
  }
}

// Version 1 -> 2 adds the key/value table, 2 -> 3 the index tables. One transaction
// per step, so a crash or another process opening the store meanwhile sees one
// version or the next, whole; a step that another process did while we waited for
// the write lock is left alone.
void SqliteStore::UpgradeSchema() {
  UpgradeStep(1, kv::kTableSql);
  UpgradeStep(2, kSlotColumnSql, kIndexTablesSql);
}

void SqliteStore::UpgradeStep(int64_t from, const char* sql, const char* more_sql) {
  Txn txn(*db_, Txn::kWrite);
  if (db_->QueryInt("PRAGMA user_version") == from) {
    db_->Exec(sql);
    if (more_sql) db_->Exec(more_sql);
    db_->Exec(("PRAGMA user_version=" + std::to_string(from + 1)).c_str());
    StampWriteLocked();
  }
  txn.Commit();
}

// ---- On its owner's connection (Store::Attach) ------------------------------------------

// The first name in `main` that the store's schema would collide with ("table
// 'vectors'"), or "". LIKE ignores ASCII case, as SQLite's names do.
std::string ClashingName(Db& db) {
  Stmt::Use q(db.Prepare(
      "SELECT type || ' ' || quote(name) FROM main.sqlite_schema WHERE lower(name) IN "
      "('collections', 'vectors', 'vectors_slot') OR name LIKE 'ek\\_%' ESCAPE '\\' "
      "ORDER BY name LIMIT 1"));
  return q.Step() ? std::string(q.Text(0)) : std::string();
}

// Why a database that is not an embedkit store cannot become one, or "" (store.h,
// Attach). Its own user_version or application_id is never overwritten.
std::string AttachRefusal(int64_t app_id, int64_t version, const std::string& clash) {
  if (app_id != 0)
    return "its application_id is " + HexId(app_id) +
           ", so it belongs to another application (embedkit's is 0x454B5354 'EKST')";
  if (version != 0)
    return "its user_version is " + std::to_string(version) +
           ", set by its own application, and embedkit keeps its schema version there";
  if (!clash.empty())
    return "its own " + clash +
           " has a name embedkit's store uses (collections, vectors, vectors_slot, ek_*)";
  return {};
}

void SqliteStore::InitAttachedSchemaLocked() {
  struct Header {
    int64_t app_id = 0, version = 0;
    std::string clash;  // only looked for when it is not a store yet
  };
  auto read = [&] {
    Header h;
    h.app_id = db_->QueryInt("PRAGMA main.application_id");
    h.version = db_->QueryInt("PRAGMA main.user_version");
    if (h.app_id != kApplicationId) h.clash = ClashingName(*db_);
    return h;
  };
  auto refuse_unless_it_qualifies = [&](const Header& h) {
    if (std::string why = AttachRefusal(h.app_id, h.version, h.clash); !why.empty())
      Fail(EK_ERR_INVALID_ARGUMENT,
           "database '" + path_ + "' cannot hold an embedkit store: " + why +
               ". Keep embedkit's tables in a store file of their own (a new database, or "
               "one embedkit made)");
  };
  Header h;
  {
    Txn snapshot(*db_, Txn::kRead);
    h = read();
    snapshot.Commit();
  }
  const bool writable = !read_only_file_;
  if (h.app_id != kApplicationId) {
    refuse_unless_it_qualifies(h);
    if (!writable)
      Fail(EK_ERR_READ_ONLY, "database '" + path_ + "' holds no embedkit store yet and the "
                             "connection is read-only, so the store's tables cannot be made");
    Txn txn(*db_, Txn::kWrite);
    h = read();  // another connection may have changed it while we waited for the lock
    if (h.app_id != kApplicationId) {
      refuse_unless_it_qualifies(h);
      CreateSchemaLocked();
      StampWriteLocked();
      h.app_id = kApplicationId;
      h.version = kSchemaVersion;
    }
    txn.Commit();
  }
  UseSchemaLocked(h.version, writable);
  schema_ready_ = true;
}

void SqliteStore::ReadyLocked() {
  if (forget_requested_) ForgetUncommittedLocked();
  if (!attached_) return;
  if (stamp_->Undone()) ForgetUncommittedLocked();
  if (!schema_ready_) InitAttachedSchemaLocked();
}

// SQLite can call this from inside one of the store's own statements (a user's trigger
// aborted it), on the thread holding db_mu_: the request waits for the next call then.
// The store's call in progress fails with the statement's error and reloads what it
// changed (WriteIndexedLocked), so nothing reads the stale copy meanwhile.
void SqliteStore::ForgetUncommitted() {
  if (db_mu_.HeldByThisThread()) {
    forget_requested_ = true;
    return;
  }
  std::lock_guard lock(db_mu_);
  ForgetUncommittedLocked();
}

void SqliteStore::ForgetUncommittedLocked() {
  forget_requested_ = false;
  catalog_.clear();  // with every warm copy: searches in flight keep their own reference
  catalog_valid_ = false;
  if (!attached_) return;
  schema_ready_ = false;  // the rollback may have taken an upgrade or the whole schema
  stamp_->Forget();
}

void SqliteStore::StampWriteLocked() {
  if (stamp_) stamp_->Mark();
}

void SqliteStore::RefuseOnAttached() const {
  if (!attached_) return;
  Fail(EK_ERR_UNSUPPORTED,
       "store '" + path_ + "' runs on a connection its owner keeps, so transactions there are "
       "the owner's: use SQL's BEGIN, COMMIT and ROLLBACK on that connection (the store's "
       "calls join them) instead of the store's Begin/Commit/Rollback");
}

void SqliteStore::RequireWritable() const {
  if (read_only_option_)
    Fail(EK_ERR_READ_ONLY, "store '" + path_ + "' was opened read-only");
  if (read_only_file_)
    Fail(EK_ERR_READ_ONLY, "store '" + path_ + "' is read-only (" +
                               (attached_ ? "the connection it is attached to is read-only"
                                          : "the file or its folder is not writable") + ")");
}

// Brings the catalog up to date with commits made through other connections: when
// data_version moved, re-reads the (small) collections table and keeps each loaded
// copy whose generation is unchanged; the others are reloaded when next needed.
void SqliteStore::SyncLocked() {
  ReadyLocked();
  const int64_t v = db_->QueryInt("PRAGMA data_version");
  if (catalog_valid_ && v == data_version_) return;
  Txn txn(*db_, Txn::kRead);
  const int64_t version = db_->QueryInt("PRAGMA data_version");
  std::map<std::string, CatalogEntry, std::less<>> fresh;
  std::map<std::string, int64_t, std::less<>> generation_of;
  Stmt::Use q(db_->Prepare("SELECT id, name, dim, metric, generation FROM collections"));
  while (q.Step()) {
    CatalogEntry e;
    e.cid = q.Int(0);
    const std::string name(q.Text(1));
    const int64_t dim = q.Int(2);
    if (dim < 1 || dim > kMaxDim || !ParseMetric(q.Text(3), &e.metric))
      Fail(EK_ERR_CORRUPT, "store '" + path_ + "': " + CollectionLabel(name) +
                               " has an invalid dim or metric");
    e.dim = static_cast<uint32_t>(dim);
    const int64_t generation = q.Int(4);
    generation_of[name] = generation;
    auto old = catalog_.find(name);
    if (old != catalog_.end() && old->second.cid == e.cid && old->second.snapshot &&
        old->second.snapshot->generation == generation) {
      e.snapshot = old->second.snapshot;
    }
    fresh.emplace(name, std::move(e));
  }
  if (has_index_tables_) {
    for (auto& [name, e] : fresh) {
      e.index = ReadIndexSettings(*db_, e.cid, nullptr);
      auto old = catalog_.find(name);
      if (e.index && old != catalog_.end() && old->second.cid == e.cid && old->second.indexed &&
          old->second.indexed->generation == generation_of[name]) {
        e.indexed = old->second.indexed;
      }
    }
  }
  txn.Commit();
  catalog_ = std::move(fresh);
  data_version_ = version;
  catalog_valid_ = true;
}

CatalogEntry& SqliteStore::RequireLocked(std::string_view name) {
  CheckName(name);
  auto it = catalog_.find(name);
  if (it == catalog_.end())
    Fail(EK_ERR_NOT_FOUND, "no collection named " + Quote(name) + " in store '" + path_ + "'");
  return it->second;
}

std::shared_ptr<Snapshot> SqliteStore::LoadedLocked(std::string_view name) {
  CatalogEntry& e = RequireLocked(name);
  if (e.snapshot) return e.snapshot;
  auto s = std::make_shared<Snapshot>();
  s->dim = e.dim;
  s->metric = e.metric;
  Txn txn(*db_, Txn::kRead);
  {
    Stmt::Use g(db_->Prepare("SELECT generation FROM collections WHERE id = ?1"));
    g.Bind(1, e.cid);
    if (!g.Step()) {
      catalog_valid_ = false;
      Fail(EK_ERR_NOT_FOUND, CollectionLabel(name) + " was dropped by another connection");
    }
    s->generation = g.Int(0);
  }
  {
    // Reserve only what the rows really hold: a file that claims more than it has
    // (dim x rows of a forged or damaged store) fails on its first bad row below
    // instead of allocating the claim. length() reads no blob content.
    Stmt::Use n(db_->Prepare(
        "SELECT count(*), count(*) FILTER (WHERE length(vector) <> ?2) FROM vectors "
        "WHERE collection_id = ?1"));
    n.Bind(1, e.cid).Bind(2, static_cast<int64_t>(e.dim) * int64_t{sizeof(float)});
    if (n.Step() && n.Int(1) == 0) s->Reserve(static_cast<size_t>(n.Int(0)));
  }
  Stmt::Use q(db_->Prepare(
      "SELECT row, id, vector, metadata FROM vectors WHERE collection_id = ?1 ORDER BY row"));
  q.Bind(1, e.cid);
  std::vector<float> v(e.dim);
  while (q.Step()) {
    const std::string_view blob = q.Blob(2);
    if (blob.size() != size_t{e.dim} * sizeof(float))
      Fail(EK_ERR_CORRUPT, "store '" + path_ + "': row " + Quote(q.Text(1)) + " of " +
                               CollectionLabel(name) + " has a vector of " +
                               std::to_string(blob.size()) + " bytes; dim " +
                               std::to_string(e.dim) + " needs " +
                               std::to_string(size_t{e.dim} * sizeof(float)));
    DecodeVector(blob, v.data());
    std::optional<std::string> meta;
    if (!q.IsNull(3)) meta.emplace(q.Text(3));
    s->Append(q.Int(0), std::string(q.Text(1)), v.data(), std::move(meta));
  }
  txn.Commit();
  e.snapshot = s;
  return s;
}

uint64_t SqliteStore::CountLocked(const CatalogEntry& e) {
  if (e.indexed) {
    std::shared_lock lock(e.indexed->mu);
    return e.indexed->live_count;
  }
  if (e.snapshot) {
    std::shared_lock lock(e.snapshot->mu);
    return e.snapshot->rows();
  }
  Stmt::Use q(db_->Prepare("SELECT count(*) FROM vectors WHERE collection_id = ?1"));
  q.Bind(1, e.cid);
  q.Step();
  return static_cast<uint64_t>(q.Int(0));
}

SqliteStore::Current SqliteStore::CurrentInTxn(std::string_view name) {
  Stmt::Use q(db_->Prepare("SELECT id, dim, generation FROM collections WHERE name = ?1"));
  q.Bind(1, name);
  if (!q.Step())
    Fail(EK_ERR_NOT_FOUND, "no collection named " + Quote(name) + " in store '" + path_ + "'");
  return Current{q.Int(0), static_cast<uint32_t>(q.Int(1)), q.Int(2)};
}

int64_t SqliteStore::BumpGeneration(int64_t cid) {
  Stmt::Use q(db_->Prepare(
      "UPDATE collections SET generation = generation + 1 WHERE id = ?1 RETURNING generation"));
  q.Bind(1, cid);
  if (!q.Step()) Fail(EK_ERR_INTERNAL, "collection vanished inside its own write transaction");
  const int64_t g = q.Int(0);
  q.Run();
  StampWriteLocked();
  return g;
}

// secure_delete zeroes freed content in the pages it writes, but in WAL mode the old
// page images stay in the -wal file until a checkpoint copies the zeroed pages back
// and truncates it. Best effort: with readers on other connections mid-transaction
// the WAL cannot be truncated now; a later checkpoint does it.
void SqliteStore::ForgetFreedPages() {
  // Attached: checkpoints are the owner's (and would change its busy timeout here).
  if (in_memory_ || attached_) return;
  if (in_transaction_) {  // a checkpoint cannot run inside a write transaction
    checkpoint_pending_ = true;
    return;
  }
  sqlite3_busy_timeout(db_->handle(), 0);
  sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_busy_timeout(db_->handle(), static_cast<int>(db_->busy_timeout_ms()));
}

template <class Fn>
void SqliteStore::FollowCommitLocked(std::string_view collection, Fn&& follow) noexcept {
  try {
    follow();
  } catch (...) {
    // Lookups and resets only: nothing here allocates.
    if (auto it = catalog_.find(collection); it != catalog_.end()) it->second.snapshot.reset();
    catalog_valid_ = false;
  }
}

// ---- Transactions over several calls ----------------------------------------------------

void SqliteStore::Begin() {
  std::lock_guard lock(db_mu_);
  BeginLocked();
}

void SqliteStore::Commit() {
  std::lock_guard lock(db_mu_);
  CommitLocked();
}

void SqliteStore::Rollback() {
  std::lock_guard lock(db_mu_);
  RollbackLocked();
}

void SqliteStore::BeginLocked() {
  RefuseOnAttached();
  RequireWritable();
  if (in_transaction_)
    Fail(EK_ERR_INVALID_ARGUMENT, "store '" + path_ + "': a transaction is already open on this handle");
  SyncLocked();
  Stmt::Use(db_->Prepare("BEGIN IMMEDIATE")).Run();
  in_transaction_ = true;
  nested_depth_ = 0;
}

// Commits everything since Begin, the savepoints of BeginNested included.
void SqliteStore::CommitLocked() {
  RefuseOnAttached();
  if (!in_transaction_)
    Fail(EK_ERR_INVALID_ARGUMENT, "store '" + path_ + "': no transaction is open on this handle");
  if (sqlite3_get_autocommit(db_->handle())) {  // SQLite rolled it back after an error
    in_transaction_ = false;
    nested_depth_ = 0;
    checkpoint_pending_ = false;
    catalog_.clear();
    catalog_valid_ = false;
    Fail(EK_ERR_STORAGE, "store '" + path_ + "': the transaction was rolled back by SQLite after an "
                         "earlier error; nothing written since Begin was kept");
  }
  Stmt::Use(db_->Prepare("COMMIT")).Run();  // on failure the transaction stays open
  in_transaction_ = false;
  nested_depth_ = 0;
  if (checkpoint_pending_) {
    checkpoint_pending_ = false;
    ForgetFreedPages();
  }
}

void SqliteStore::RollbackLocked() {
  RefuseOnAttached();
  if (!in_transaction_)
    Fail(EK_ERR_INVALID_ARGUMENT, "store '" + path_ + "': no transaction is open on this handle");
  in_transaction_ = false;
  nested_depth_ = 0;
  checkpoint_pending_ = false;
  if (!sqlite3_get_autocommit(db_->handle())) Stmt::Use(db_->Prepare("ROLLBACK")).Run();
  // The in-memory copies followed the writes being undone: reload them when needed.
  catalog_.clear();
  catalog_valid_ = false;
}

// Savepoints of one name nest: RELEASE and ROLLBACK TO act on the innermost.
// Attached, a plugin's request (ek_host::store_begin) is a sql::Txn instead, as every
// store call there is: part of the owner's transaction or writing statement when one
// is in progress (a request that fails midway then leaves its writes for the owner to
// roll back), else BEGIN IMMEDIATE .. COMMIT of its own, so the request stays one
// transaction as the plugin asked (SQL functions run plugins inside a SELECT).
void SqliteStore::BeginNested() {
  std::lock_guard lock(db_mu_);
  if (attached_) {
    RequireWritable();
    SyncLocked();
    attached_requests_.push_back(std::make_unique<Txn>(*db_, Txn::kWrite));
    return;
  }
  if (!in_transaction_) return BeginLocked();
  Stmt::Use(db_->Prepare("SAVEPOINT ek_nested")).Run();
  ++nested_depth_;
}

void SqliteStore::CommitNested() {
  std::lock_guard lock(db_mu_);
  if (attached_) return CommitAttachedRequestLocked();
  if (nested_depth_ == 0) return CommitLocked();
  if (sqlite3_get_autocommit(db_->handle())) return CommitLocked();  // reports the lost work
  Stmt::Use(db_->Prepare("RELEASE ek_nested")).Run();
  --nested_depth_;
}

void SqliteStore::RollbackNested() {
  std::lock_guard lock(db_mu_);
  if (attached_) {
    RequireAttachedRequestLocked();
    attached_requests_.pop_back();  // ROLLBACK if it began one; joined: nothing to undo here
    catalog_.clear();
    catalog_valid_ = false;
    return;
  }
  if (nested_depth_ == 0) return RollbackLocked();
  --nested_depth_;
  // With the whole transaction already gone (SQLite rolled it back after an error)
  // there is nothing left to undo here; the enclosing Commit reports the loss.
  if (!sqlite3_get_autocommit(db_->handle()))
    db_->Exec("ROLLBACK TO ek_nested; RELEASE ek_nested");
  catalog_.clear();
  catalog_valid_ = false;
}

void SqliteStore::RequireAttachedRequestLocked() const {
  if (attached_requests_.empty())
    Fail(EK_ERR_INVALID_ARGUMENT, "store '" + path_ + "': no transaction is open on this handle");
}

void SqliteStore::CommitAttachedRequestLocked() {
  RequireAttachedRequestLocked();
  std::unique_ptr<Txn> request = std::move(attached_requests_.back());
  attached_requests_.pop_back();
  try {
    request->Commit();
  } catch (...) {  // `request` rolls back what it began as it goes
    catalog_.clear();
    catalog_valid_ = false;
    throw;
  }
}

// ---- Key/value state (kv.h) -----------------------------------------------------------

bool SqliteStore::HasKvTableLocked() {
  // A version 1 store read as it is: another process may have upgraded it since.
  if (!has_kv_table_)
    has_kv_table_ = db_->QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'ek_kv'") > 0;
  return has_kv_table_;
}

void SqliteStore::KvPut(std::string_view ns, std::string_view key, std::string_view value,
                        kv::Kind kind) {
  kv::CheckNamespace(ns);
  kv::CheckKey(key, "key");
  kv::CheckValue(key, value, kind);
  std::lock_guard lock(db_mu_);
  RequireWritable();
  ReadyLocked();
  Txn txn(*db_, Txn::kWrite);
  kv::Table(*db_).Put(ns, key, value, kind);
  txn.Commit();
}

bool SqliteStore::KvGet(std::string_view ns, std::string_view key, const kv::ValueSink& sink) {
  kv::CheckNamespace(ns);
  kv::CheckKey(key, "key");
  std::lock_guard lock(db_mu_);
  ReadyLocked();
  return HasKvTableLocked() && kv::Table(*db_).Get(ns, key, sink);
}

size_t SqliteStore::KvDelete(std::string_view ns, std::string_view key) {
  kv::CheckNamespace(ns);
  kv::CheckKey(key, "key");
  return KvDeleteWith([&](kv::Table& t) { return t.Delete(ns, key); });
}

size_t SqliteStore::KvDeletePrefix(std::string_view ns, std::string_view prefix) {
  kv::CheckNamespace(ns);
  kv::CheckKeyPrefix(prefix, "key_prefix");
  return KvDeleteWith([&](kv::Table& t) { return t.DeletePrefix(ns, prefix); });
}

// One delete transaction; the freed pages then leave the WAL, as after a row delete.
template <class DeleteFn>
size_t SqliteStore::KvDeleteWith(DeleteFn&& del) {
  std::lock_guard lock(db_mu_);
  RequireWritable();
  ReadyLocked();
  Txn txn(*db_, Txn::kWrite);
  kv::Table table(*db_);
  const size_t n = del(table);
  txn.Commit();
  if (n > 0) ForgetFreedPages();
  return n;
}

std::vector<Hit> SqliteStore::KvList(std::string_view ns, std::string_view prefix,
                                     std::string_view after, size_t limit, bool include_values) {
  kv::CheckNamespace(ns);
  kv::CheckKeyPrefix(prefix, "key_prefix");
  kv::CheckKeyPrefix(after, "after_key");
  std::lock_guard lock(db_mu_);
  ReadyLocked();
  if (!HasKvTableLocked()) return {};
  return kv::Table(*db_).List(ns, prefix, after, limit, include_values);
}

// ---- Collections -------------------------------------------------------------------------

// Without options an existing collection of the same shape is opened whatever its index
// (a plugin that creates its collection on every call must not fail once a user indexed
// it); a new one is exact f32.
CollectionInfo SqliteStore::CreateCollection(std::string_view name, uint32_t dim, Metric metric) {
  return CreateWith(name, dim, metric, nullptr);
}

CollectionInfo SqliteStore::CreateCollection(std::string_view name, uint32_t dim, Metric metric,
                                             const IndexOptions& index) {
  return CreateWith(name, dim, metric, &index);
}

CollectionInfo SqliteStore::CreateWith(std::string_view name, uint32_t dim, Metric metric,
                                       const IndexOptions* asked) {
  CheckName(name);
  const IndexOptions index = asked ? *asked : IndexOptions{};
  ValidateIndexOptions(index);
  if (dim < 1 || dim > kMaxDim)
    Fail(EK_ERR_INVALID_ARGUMENT, "dim is " + std::to_string(dim) + "; it must be 1.." +
                                      std::to_string(kMaxDim));
  if (metric != Metric::kCosine && metric != Metric::kDot && metric != Metric::kL2)
    Fail(EK_ERR_INVALID_ARGUMENT, "metric " + std::to_string(static_cast<int32_t>(metric)) +
                                      " is not cosine (0), dot (1) or l2 (2)");
  auto same_or_fail = [&](const CatalogEntry& e) {
    if (e.dim != dim || e.metric != metric)
      Fail(EK_ERR_ALREADY_EXISTS, CollectionLabel(name) + " exists with dim " +
                                      std::to_string(e.dim) + " and metric " + MetricName(e.metric) +
                                      "; asked for dim " + std::to_string(dim) + " and metric " +
                                      MetricName(metric));
    const IndexOptions have = e.index ? e.index->options : IndexOptions{};
    if (!asked) return;
    if (std::string diff = IndexOptionsDifference(have, index); !diff.empty())
      Fail(EK_ERR_ALREADY_EXISTS, CollectionLabel(name) + " exists with index " +
                                      DescribeIndexOptions(have) + " (" + diff +
                                      " asked); change it with an index build");
  };
  std::lock_guard lock(db_mu_);
  SyncLocked();
  if (auto it = catalog_.find(name); it != catalog_.end()) {
    same_or_fail(it->second);
    return InfoLocked(it->first, it->second);
  }
  RequireWritable();
  Txn txn(*db_, Txn::kWrite);
  {
    Stmt::Use q(db_->Prepare("SELECT id, dim, metric FROM collections WHERE name = ?1"));
    q.Bind(1, name);
    if (q.Step()) {
      // Created by another connection since our last look.
      catalog_valid_ = false;
      CatalogEntry e;
      e.dim = static_cast<uint32_t>(q.Int(1));
      ParseMetric(q.Text(2), &e.metric);
      if (has_index_tables_) e.index = ReadIndexSettings(*db_, q.Int(0), nullptr);
      same_or_fail(e);
      e.cid = q.Int(0);
      e.metric = metric;
      return InfoLocked(std::string(name), e);
    }
  }
  Stmt::Use ins(db_->Prepare(
      "INSERT INTO collections (name, dim, metric, generation) VALUES (?1, ?2, ?3, 0) "
      "RETURNING id"));
  ins.Bind(1, name).Bind(2, int64_t{dim}).Bind(3, std::string_view(MetricName(metric)));
  if (!ins.Step()) Fail(EK_ERR_INTERNAL, "INSERT ... RETURNING gave no row");
  const int64_t cid = ins.Int(0);
  ins.Run();
  std::optional<IndexSettings> settings;
  if (NeedsIndexRow(index)) {
    settings.emplace();
    settings->options = index;
    settings->options.defer_build = false;
    settings->building = index.defer_build;
    WriteIndexSettings(*db_, cid, *settings,
                       index.kind == IndexKind::kHnsw
                           ? index::HnswGraph(GraphParams(*settings)).EncodeHeader()
                           : std::vector<uint8_t>{});
  }
  CatalogEntry created;
  created.cid = cid;
  created.dim = dim;
  created.metric = metric;
  created.index = settings;
  CollectionInfo info = InfoLocked(std::string(name), created);
  StampWriteLocked();
  txn.Commit();
  // Committed: the call succeeds whatever happens to the catalog entry. It gets no
  // warm copy: the first search loads one, and until then upserts find none to update,
  // so a collection that is only written (an import) is never held in memory.
  FollowCommitLocked(name, [&] {
    MaybeInjectWarmCopyFailure();
    CatalogEntry entry;
    entry.cid = cid;
    entry.dim = dim;
    entry.metric = metric;
    entry.index = settings;
    catalog_[std::string(name)] = std::move(entry);
  });
  return info;
}

std::optional<CollectionInfo> SqliteStore::FindCollection(std::string_view name) {
  CheckName(name);
  std::lock_guard lock(db_mu_);
  SyncLocked();
  auto it = catalog_.find(name);
  if (it == catalog_.end()) return std::nullopt;
  return InfoLocked(it->first, it->second);
}

std::vector<CollectionInfo> SqliteStore::ListCollections() {
  std::lock_guard lock(db_mu_);
  SyncLocked();
  std::vector<CollectionInfo> out;
  for (auto& [name, e] : catalog_) out.push_back(InfoLocked(name, e));
  return out;
}

void SqliteStore::DropCollection(std::string_view name) {
  CheckName(name);
  std::lock_guard lock(db_mu_);
  RequireWritable();
  ReadyLocked();
  Txn txn(*db_, Txn::kWrite);
  const Current cur = CurrentInTxn(name);
  Stmt::Use(db_->Prepare("DELETE FROM vectors WHERE collection_id = ?1")).Bind(1, cur.cid).Run();
  // A writable handle has upgraded the store, so the index tables are there.
  for (const char* sql : {"DELETE FROM ek_hnsw_node WHERE key BETWEEN ?1 AND ?2",
                          "DELETE FROM ek_code WHERE key BETWEEN ?1 AND ?2",
                          "DELETE FROM ek_free_slot WHERE key BETWEEN ?1 AND ?2"})
    Stmt::Use(db_->Prepare(sql))
        .Bind(1, SlotKey(cur.cid, 0))
        .Bind(2, SlotKey(cur.cid, UINT32_MAX))
        .Run();
  for (const char* sql : {"DELETE FROM ek_index_log WHERE collection_id = ?1",
                          "DELETE FROM ek_index WHERE collection_id = ?1"})
    Stmt::Use(db_->Prepare(sql)).Bind(1, cur.cid).Run();
  Stmt::Use(db_->Prepare("DELETE FROM collections WHERE id = ?1")).Bind(1, cur.cid).Run();
  StampWriteLocked();
  txn.Commit();
  if (auto it = catalog_.find(name); it != catalog_.end()) catalog_.erase(it);
  ForgetFreedPages();
}

// ---- Rows ------------------------------------------------------------------------------------

void SqliteStore::Upsert(std::string_view collection, const UpsertBatch& batch) {
  CheckName(collection);
  const std::string label = CollectionLabel(collection);
  if (batch.count > 0 && !batch.ids)
    Fail(EK_ERR_INVALID_ARGUMENT, label + ": batch has " + std::to_string(batch.count) +
                                      " rows but no ids");
  if (batch.count > 0 && !batch.vectors)
    Fail(EK_ERR_INVALID_ARGUMENT, label + ": batch has " + std::to_string(batch.count) +
                                      " rows but no vectors");
  uint32_t dim;
  {
    std::lock_guard lock(db_mu_);
    RequireWritable();
    SyncLocked();
    dim = RequireLocked(collection).dim;
  }
  if (batch.dim != dim)
    Fail(EK_ERR_DIMENSION_MISMATCH, label + " has dim " + std::to_string(dim) +
                                        ", vectors have dim " + std::to_string(batch.dim));
  if (batch.count == 0) return;

  // Validate every row before touching the database: the batch is all or nothing.
  std::vector<ValidRow> rows(batch.count);
  std::unordered_map<std::string_view, size_t> seen;
  seen.reserve(batch.count);
  for (size_t i = 0; i < batch.count; ++i) {
    // Messages are built only on failure: batches can be large.
    auto where = [&](std::string_view id) {
      return label + ": row " + std::to_string(i) + " (" + Quote(id) + ")";
    };
    if (!batch.ids[i])
      Fail(EK_ERR_INVALID_ARGUMENT, label + ": row " + std::to_string(i) + ": id is NULL");
    const std::string_view id(batch.ids[i]);
    if (std::string why = IdProblem(id); !why.empty())
      Fail(EK_ERR_INVALID_ARGUMENT, where(id) + ": " + why);
    if (auto [it, fresh] = seen.emplace(id, i); !fresh)
      Fail(EK_ERR_INVALID_ARGUMENT, where(id) + ": id repeats row " + std::to_string(it->second) +
                                        " of the same batch");
    const float* v = batch.vectors + i * dim;
    if (std::string why = NonFinite(v, dim); !why.empty())
      Fail(EK_ERR_INVALID_ARGUMENT, where(id) + ": vector " + why);
    rows[i].id = id;
    rows[i].vector = v;
    if (batch.metadata && batch.metadata[i]) {
      const std::string_view meta(batch.metadata[i]);
      if (meta.size() > json::kMaxDocumentBytes)
        Fail(EK_ERR_LIMIT, "metadata of " + where(id) + ": " + std::to_string(meta.size()) +
                               " bytes of JSON; the limit is " +
                               std::to_string(json::kMaxDocumentBytes) + " bytes");
      if (std::string why = json::ObjectProblem(meta); !why.empty())
        Fail(EK_ERR_PARSE, "metadata of " + where(id) + ": " + why);
      rows[i].metadata = meta;
    }
  }

  std::lock_guard lock(db_mu_);
  Txn txn(*db_, Txn::kWrite);
  const Current cur = CurrentInTxn(collection);
  if (cur.dim != dim)  // dropped and recreated with another shape meanwhile
    Fail(EK_ERR_DIMENSION_MISMATCH, label + " has dim " + std::to_string(cur.dim) +
                                        ", vectors have dim " + std::to_string(dim));
  if (has_index_tables_ && ReadIndexSettings(*db_, cur.cid, nullptr)) {
    size_t replaced = 0;
    WriteIndexedLocked(collection, cur, txn,
                       [&](IndexedCopy& c) { replaced = UpsertIndexed(*db_, c, rows, pool_); });
    if (replaced > 0) ForgetFreedPages();
    return;
  }
  std::vector<int64_t> rowids(rows.size());
  std::string blob;
  // UPDATE, then INSERT when no row had the id: an UPDATE keeps the rowid, an INSERT's
  // is last_insert_rowid. (An upsert with RETURNING row costs an ephemeral table per
  // row, about half of the statement's time.) rowids[i] = 0 marks an updated row.
  Stmt& update = db_->Prepare(
      "UPDATE vectors SET vector = ?3, metadata = ?4 WHERE collection_id = ?1 AND id = ?2");
  Stmt& insert = db_->Prepare(
      "INSERT INTO vectors (collection_id, id, vector, metadata) VALUES (?1, ?2, ?3, ?4)");
  for (size_t i = 0; i < rows.size(); ++i) {
    EncodeVector(rows[i].vector, dim, &blob);
    for (Stmt* stmt : {&update, &insert}) {
      Stmt::Use q(*stmt);
      q.Bind(1, cur.cid).Bind(2, rows[i].id).BindBlob(3, blob.data(), blob.size());
      if (rows[i].metadata) q.Bind(4, *rows[i].metadata);
      else q.BindNull(4);
      q.Run();
      if (stmt == &update && sqlite3_changes(db_->handle()) > 0) break;
      if (stmt == &insert) rowids[i] = sqlite3_last_insert_rowid(db_->handle());
    }
  }
  const int64_t generation = BumpGeneration(cur.cid);
  txn.Commit();
  // secure_delete zeroed a replaced row's old cell, but the page image that held it
  // stays in the -wal until a checkpoint: forget it as a delete does.
  if (std::find(rowids.begin(), rowids.end(), 0) != rowids.end()) ForgetFreedPages();
  // Committed: the call succeeds whatever happens to the warm copy.
  FollowCommitLocked(collection, [&] { ApplyUpsertToCopyLocked(collection, cur, generation,
                                                               rows, rowids); });
}

void SqliteStore::ApplyUpsertToCopyLocked(std::string_view collection, const Current& cur,
                                          int64_t generation, const std::vector<ValidRow>& rows,
                                          const std::vector<int64_t>& rowids) {
  // Bring this handle's copy along incrementally, if it was current.
  auto it = catalog_.find(collection);
  if (it == catalog_.end() || it->second.cid != cur.cid) {
    catalog_valid_ = false;
    return;
  }
  std::shared_ptr<Snapshot> s = it->second.snapshot;
  if (!s) return;
  std::unique_lock<std::shared_mutex> write(s->mu);
  MaybeInjectWarmCopyFailure();
  bool appendable = s->generation == cur.generation;
  int64_t last = s->rowids.empty() ? 0 : s->rowids.back();
  for (size_t i = 0; appendable && i < rows.size(); ++i) {
    if (s->FindRow(rows[i].id) < 0) {
      appendable = rowids[i] > last;
      last = rowids[i];
    }
  }
  if (!appendable) {  // changed elsewhere too, or rows not in order: reload when needed
    it->second.snapshot.reset();
    return;
  }
  s->Reserve(s->rows() + rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    std::optional<std::string> meta;
    if (rows[i].metadata) meta.emplace(*rows[i].metadata);
    if (const int64_t found = s->FindRow(rows[i].id); found >= 0) {
      s->SetRow(size_t(found), rows[i].vector);
      s->metadata[size_t(found)] = std::move(meta);
    } else {
      s->Append(rowids[i], std::string(rows[i].id), rows[i].vector, std::move(meta));
    }
  }
  s->generation = generation;
  s->ContentsChanged();
}

bool SqliteStore::Get(std::string_view collection, std::string_view id, std::vector<float>* vector,
                      std::optional<std::string>* metadata) {
  CheckName(collection);
  if (std::string why = IdProblem(id); !why.empty())
    Fail(EK_ERR_INVALID_ARGUMENT, CollectionLabel(collection) + ": " + why);
  std::lock_guard lock(db_mu_);
  SyncLocked();
  const CatalogEntry& e = RequireLocked(collection);
  Stmt::Use q(db_->Prepare(
      "SELECT vector, metadata FROM vectors WHERE collection_id = ?1 AND id = ?2"));
  q.Bind(1, e.cid).Bind(2, id);
  if (!q.Step()) return false;
  const std::string_view blob = q.Blob(0);
  if (blob.size() != size_t{e.dim} * sizeof(float))
    Fail(EK_ERR_CORRUPT, "store '" + path_ + "': row " + Quote(id) + " of " +
                             CollectionLabel(collection) + " has a vector of " +
                             std::to_string(blob.size()) + " bytes, expected " +
                             std::to_string(size_t{e.dim} * sizeof(float)));
  if (vector) {
    vector->resize(e.dim);
    DecodeVector(blob, vector->data());
  }
  if (metadata) {
    metadata->reset();
    if (!q.IsNull(1)) metadata->emplace(q.Text(1));
  }
  return true;
}

size_t SqliteStore::Delete(std::string_view collection, const std::vector<std::string>& ids) {
  CheckName(collection);
  const std::string label = CollectionLabel(collection);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (std::string why = IdProblem(ids[i]); !why.empty())
      Fail(EK_ERR_INVALID_ARGUMENT, label + ": ids[" + std::to_string(i) + "] (" + Quote(ids[i]) +
                                        "): " + why);
  }
  std::lock_guard lock(db_mu_);
  RequireWritable();
  SyncLocked();
  RequireLocked(collection);
  if (ids.empty()) return 0;
  Txn txn(*db_, Txn::kWrite);
  const Current cur = CurrentInTxn(collection);
  if (has_index_tables_ && ReadIndexSettings(*db_, cur.cid, nullptr)) {
    size_t deleted = 0;
    WriteIndexedLocked(collection, cur, txn,
                       [&](IndexedCopy& c) { deleted = DeleteIndexed(*db_, c, ids); });
    if (deleted > 0) ForgetFreedPages();
    return deleted;
  }
  // No RETURNING: it costs an ephemeral table per execution, more than the delete.
  std::vector<std::string_view> gone_ids;
  Stmt& del = db_->Prepare("DELETE FROM vectors WHERE collection_id = ?1 AND id = ?2");
  for (const std::string& id : ids) {
    Stmt::Use q(del);
    q.Bind(1, cur.cid).Bind(2, id).Run();
    if (sqlite3_changes(db_->handle()) > 0) gone_ids.push_back(id);
  }
  if (gone_ids.empty()) {
    txn.Commit();
    return 0;
  }
  const int64_t generation = BumpGeneration(cur.cid);
  txn.Commit();
  ForgetFreedPages();
  // Committed: the call succeeds whatever happens to the warm copy.
  FollowCommitLocked(collection,
                     [&] { ApplyDeleteToCopyLocked(collection, cur, generation, gone_ids); });
  return gone_ids.size();
}

void SqliteStore::ApplyDeleteToCopyLocked(std::string_view collection, const Current& cur,
                                          int64_t generation,
                                          const std::vector<std::string_view>& gone_ids) {
  auto it = catalog_.find(collection);
  if (it == catalog_.end() || it->second.cid != cur.cid) {
    catalog_valid_ = false;
    return;
  }
  std::shared_ptr<Snapshot> s = it->second.snapshot;
  if (!s) return;
  std::unique_lock<std::shared_mutex> write(s->mu);
  MaybeInjectWarmCopyFailure();
  if (s->generation != cur.generation) {
    it->second.snapshot.reset();
    return;
  }
  // The deleted rows' rowids from the id index when it exists (then compacting is a
  // merge over integers), else one id lookup per row.
  std::vector<int64_t> gone;
  std::unordered_set<std::string_view> gone_set;
  if (s->index_built) {
    for (std::string_view id : gone_ids) {
      auto at = s->index.find(id);
      if (at == s->index.end()) {  // cannot happen while the generations agree
        it->second.snapshot.reset();
        return;
      }
      gone.push_back(at->second);
      s->index.erase(at);
    }
    std::sort(gone.begin(), gone.end());
  } else {
    gone_set.insert(gone_ids.begin(), gone_ids.end());
  }
  // Compact in place, keeping insertion (= rowid) order.
  size_t out = 0, g = 0;
  const size_t dim = s->dim;
  for (size_t r = 0; r < s->rows(); ++r) {
    if (s->index_built) {
      while (g < gone.size() && gone[g] < s->rowids[r]) ++g;
      if (g < gone.size() && gone[g] == s->rowids[r]) continue;
    } else if (gone_set.count(s->ids[r])) {
      continue;
    }
    if (out != r) {
      std::memmove(s->matrix.data() + out * dim, s->matrix.data() + r * dim, dim * sizeof(float));
      if (s->metric == Metric::kL2) s->sq_norms[out] = s->sq_norms[r];
      s->ids[out] = std::move(s->ids[r]);
      s->metadata[out] = std::move(s->metadata[r]);
      s->rowids[out] = s->rowids[r];
    }
    ++out;
  }
  s->matrix.resize(out * dim);
  if (s->metric == Metric::kL2) s->sq_norms.resize(out);
  s->ids.resize(out);
  s->metadata.resize(out);
  s->rowids.resize(out);
  s->generation = generation;
  s->ContentsChanged();
}

uint64_t SqliteStore::Count(std::string_view collection) {
  CheckName(collection);
  std::lock_guard lock(db_mu_);
  SyncLocked();
  return CountLocked(RequireLocked(collection));
}

// ---- Search and listing ----------------------------------------------------------------------

std::vector<std::vector<Hit>> SqliteStore::Search(std::string_view collection,
                                                  const float* queries, size_t n_queries,
                                                  size_t dim, size_t k,
                                                  std::string_view filter_json,
                                                  bool include_metadata,
                                                  const SearchOptions& options) {
  CheckName(collection);
  const std::string label = CollectionLabel(collection);
  if (k == 0) k = kDefaultK;
  if (n_queries > 0 && !queries)
    Fail(EK_ERR_INVALID_ARGUMENT, "queries is NULL with " + std::to_string(n_queries) + " rows");
  std::optional<json::Filter> filter;
  if (!filter_json.empty()) filter = json::Filter::Compile(filter_json);

  std::shared_ptr<Snapshot> s;
  std::shared_ptr<IndexedCopy> indexed;
  {
    std::lock_guard lock(db_mu_);
    SyncLocked();
    if (RequireLocked(collection).index) indexed = IndexedLoadedLocked(collection);
    else s = LoadedLocked(collection);
  }
  const uint32_t collection_dim = indexed ? indexed->dim : s->dim;
  if (dim != collection_dim)
    Fail(EK_ERR_DIMENSION_MISMATCH, label + " has dim " + std::to_string(collection_dim) +
                                        ", queries have dim " + std::to_string(dim));
  for (size_t q = 0; q < n_queries; ++q) {
    if (std::string why = NonFinite(queries + q * dim, dim); !why.empty())
      Fail(EK_ERR_INVALID_ARGUMENT, "query " + std::to_string(q) + ": " + why);
  }
  if (indexed) {
    IndexedQuery query;
    query.queries = queries;
    query.n_queries = n_queries;
    query.k = k;
    query.filter = filter && !filter->MatchesEverything() ? &*filter : nullptr;
    query.filter_text = filter_json;
    query.include_metadata = include_metadata;
    query.options = options;
    return SearchIndexed(collection, std::move(indexed), query);
  }
  std::vector<std::vector<Hit>> out(n_queries);
  if (n_queries == 0) return out;

  std::shared_lock<std::shared_mutex> read(s->mu);
  const size_t rows = s->rows();
  if (rows == 0) return out;
  MaskCache::Mask mask;
  if (filter && !filter->MatchesEverything()) mask = s->Mask(filter_json, *filter, pool_);
  // k has no limit: no query can have more hits than rows allowed, so the buffers are
  // sized by that (k = 4e9 on ten rows allocates ten slots a query).
  const size_t allowed = mask ? static_cast<size_t>(mask->count) : rows;
  k = std::min(k, allowed);
  if (k == 0) return out;

  std::vector<uint32_t> hit_rows(n_queries * k);
  std::vector<float> hit_scores(n_queries * k);
  std::vector<size_t> counts(n_queries);
  kernels::ScanRequest req;
  req.queries = queries;
  req.n_queries = n_queries;
  req.base = s->matrix.data();
  req.rows = rows;
  req.dim = dim;
  req.metric = s->metric;
  req.base_sq_norms = s->metric == Metric::kL2 ? s->sq_norms.data() : nullptr;
  req.row_allowed = mask ? mask->allowed.data() : nullptr;
  req.k = k;
  scan_(req, s->content_key, pool_, hit_rows.data(), hit_scores.data(), counts.data());

  for (size_t q = 0; q < n_queries; ++q) {
    const size_t n = std::min(counts[q], k);
    out[q].reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t r = hit_rows[q * k + i];
      if (r >= rows) Fail(EK_ERR_INTERNAL, "ScanTopK returned row " + std::to_string(r) +
                                               " of " + std::to_string(rows));
      Hit h;
      h.id = s->ids[r];
      h.score = hit_scores[q * k + i];
      if (include_metadata) h.metadata = s->metadata[r];
      out[q].push_back(std::move(h));
    }
  }
  return out;
}

// ---- Indexed collections (index_table.h, indexed_*.h) -----------------------------------------

CollectionInfo SqliteStore::InfoLocked(const std::string& name, const CatalogEntry& e) {
  CollectionInfo info;
  info.name = name;
  info.dim = e.dim;
  info.metric = e.metric;
  info.count = CountLocked(e);
  if (e.index) {
    info.index = e.index->options;
    info.building = e.index->building;
    info.bytes_per_vector = BytesPerRow(*e.index, e.dim);
  } else {
    info.bytes_per_vector = BytesPerRow(IndexSettings{}, e.dim);
  }
  return info;
}

std::shared_ptr<IndexedCopy> SqliteStore::IndexedLoadedLocked(std::string_view name) {
  CatalogEntry& e = RequireLocked(name);
  if (e.indexed) return e.indexed;
  Txn txn(*db_, Txn::kRead);
  Stmt::Use g(db_->Prepare("SELECT generation FROM collections WHERE id = ?1"));
  g.Bind(1, e.cid);
  if (!g.Step()) {
    catalog_valid_ = false;
    Fail(EK_ERR_NOT_FOUND, CollectionLabel(name) + " was dropped by another connection");
  }
  e.indexed = LoadIndexedCopy(*db_, e.cid, e.dim, e.metric, g.Int(0), CollectionLabel(name));
  e.index = e.indexed->settings;
  txn.Commit();
  return e.indexed;
}

template <class WriteFn>
void SqliteStore::WriteIndexedLocked(std::string_view name, const Current& cur, Txn& txn,
                                     WriteFn&& write) {
  SyncLocked();
  std::shared_ptr<IndexedCopy> c = IndexedLoadedLocked(name);
  if (c->cid != cur.cid || c->generation != cur.generation) {
    RequireLocked(name).indexed.reset();
    c = IndexedLoadedLocked(name);
  }
  CatalogEntry& e = RequireLocked(name);
  e.snapshot.reset();  // List's plain copy does not follow indexed writes
  std::unique_lock<std::shared_mutex> exclusive(c->mu);
  try {
    write(*c);
    const int64_t generation = BumpGeneration(cur.cid);
    txn.Commit();
    c->generation = generation;
    e.index = c->settings;
  } catch (...) {
    // The tables roll back whole; the copy may hold part of the write: reload it.
    if (auto it = catalog_.find(name); it != catalog_.end()) it->second.indexed.reset();
    throw;
  }
}

std::vector<std::vector<Hit>> SqliteStore::SearchIndexed(std::string_view collection,
                                                         std::shared_ptr<IndexedCopy> c,
                                                         const IndexedQuery& query) {
  if (query.n_queries == 0) return {};
  const bool quantized = c->settings.options.element != ElementType::kF32;
  if (query.options.exact && quantized) {  // the f32 originals live only in SQLite
    std::lock_guard lock(db_mu_);
    Txn txn(*db_, Txn::kRead);
    auto hits = ExactScanOfOriginals(*db_, c->cid, c->dim, c->metric, query, pool_);
    txn.Commit();
    return hits;
  }
  IndexedAnswer answer;
  {
    std::shared_lock<std::shared_mutex> read(c->mu);
    answer = SearchIndexedCopy(*c, query, scan_, quantized_scan_, pool_);
  }
  if (answer.rescore) {
    std::lock_guard lock(db_mu_);
    RequireLocked(collection);
    Txn txn(*db_, Txn::kRead);
    RescoreWithOriginals(*db_, c->cid, c->dim, c->metric, query.queries, answer.k, &answer.hits);
    txn.Commit();
  }
  return std::move(answer.hits);
}

CollectionInfo SqliteStore::BuildIndex(std::string_view name, const IndexOptions* index,
                                       const BuildProgressFn& progress) {
  CheckName(name);
  if (index) ValidateIndexOptions(*index);
  const std::string label = CollectionLabel(name);
  std::lock_guard lock(db_mu_);
  RequireWritable();
  if (in_transaction_)
    Fail(EK_ERR_INVALID_ARGUMENT, "store '" + path_ + "': an index build of " + label +
                                      " cannot run inside a transaction; commit or roll it "
                                      "back first");
  SyncLocked();
  const CatalogEntry& before = RequireLocked(name);
  const Metric metric = before.metric;
  IndexSettings settings;
  settings.options = index ? *index : before.index ? before.index->options : IndexOptions{};
  Txn txn(*db_, Txn::kWrite);
  const Current cur = CurrentInTxn(name);
  DeleteIndexData(*db_, cur.cid);
  std::shared_ptr<IndexedCopy> built;
  if (NeedsIndexRow(settings.options))
    built = BuildIndexed(*db_, cur.cid, cur.dim, metric, settings, label, pool_, progress);
  const int64_t generation = BumpGeneration(cur.cid);
  txn.Commit();
  CatalogEntry& e = RequireLocked(name);
  e.snapshot.reset();
  e.indexed = built;
  e.index = built ? std::optional<IndexSettings>(built->settings) : std::nullopt;
  if (built) built->generation = generation;
  ForgetFreedPages();  // the old codes and node records are gone
  return InfoLocked(std::string(name), e);
}

uint64_t SqliteStore::CompactIndex(std::string_view name, const BuildProgressFn& progress) {
  if (attached_) {  // no VACUUM on the owner's connection (store.h)
    BuildIndex(name, nullptr, progress);
    return 0;
  }
  auto file_size = [&]() -> uint64_t {
    std::error_code ec;
    const auto size = in_memory_ ? 0 : std::filesystem::file_size(path_, ec);
    return ec ? 0 : static_cast<uint64_t>(size);
  };
  const uint64_t before = file_size();
  BuildIndex(name, nullptr, progress);
  std::lock_guard lock(db_mu_);
  if (in_memory_) return 0;
  db_->Exec("VACUUM");  // copies the live pages into a fresh file: free pages go back
  ForgetFreedPages();
  const uint64_t after = file_size();
  return before > after ? before - after : 0;
}

std::vector<Hit> SqliteStore::List(std::string_view collection, size_t offset, size_t limit,
                                   bool include_metadata) {
  CheckName(collection);
  std::shared_ptr<Snapshot> s;
  {
    std::lock_guard lock(db_mu_);
    SyncLocked();
    s = LoadedLocked(collection);
  }
  std::shared_lock<std::shared_mutex> read(s->mu);
  std::vector<Hit> out;
  const size_t rows = s->rows();
  if (offset >= rows) return out;
  const size_t end = limit == 0 ? rows : offset + std::min(limit, rows - offset);
  out.reserve(end - offset);
  for (size_t r = offset; r < end; ++r) {
    Hit h;
    h.id = s->ids[r];
    h.score = 0;
    if (include_metadata) h.metadata = s->metadata[r];
    out.push_back(std::move(h));
  }
  return out;
}

// ---- Rows by row number (keyset paging) --------------------------------------------------

Row SqliteStore::RowFrom(const Stmt::Use& q, const CatalogEntry& e, std::string_view collection) {
  Row r;
  r.row = q.Int(0);
  r.id = q.Text(1);
  if (!q.IsNull(2)) {
    const std::string_view blob = q.Blob(2);
    if (blob.size() != size_t{e.dim} * sizeof(float))
      Fail(EK_ERR_CORRUPT, "store '" + path_ + "': row " + Quote(r.id) + " of " +
                               CollectionLabel(collection) + " has a vector of " +
                               std::to_string(blob.size()) + " bytes, expected " +
                               std::to_string(size_t{e.dim} * sizeof(float)));
    r.vector.resize(e.dim);
    DecodeVector(blob, r.vector.data());
  }
  if (!q.IsNull(3)) r.metadata.emplace(q.Text(3));
  return r;
}

std::vector<Row> SqliteStore::RowsLocked(const char* sql, const CatalogEntry& e, std::string_view collection,
                                         int64_t row, bool include_vector, bool include_metadata,
                                         int64_t max_rows) {
  Stmt::Use q(db_->Prepare(sql));
  q.Bind(1, e.cid)
      .Bind(2, row)
      .Bind(3, int64_t{include_vector})
      .Bind(4, int64_t{include_metadata})
      .Bind(5, max_rows);
  std::vector<Row> out;
  while (q.Step()) out.push_back(RowFrom(q, e, collection));
  return out;
}

std::vector<Row> SqliteStore::ListAfter(std::string_view collection, int64_t after_row,
                                        size_t limit, bool include_vectors,
                                        bool include_metadata) {
  CheckName(collection);
  std::lock_guard lock(db_mu_);
  SyncLocked();
  const CatalogEntry& e = RequireLocked(collection);
  const int64_t max_rows =
      limit == 0 || uint64_t{limit} > uint64_t{INT64_MAX} ? -1 : int64_t(limit);  // 32-bit size_t in WASM
  // NOT INDEXED walks the row numbers from after_row on (rowid lookups stay allowed);
  // through the (collection_id, id) index SQLite would read and sort the whole
  // collection for every page.
  return RowsLocked(
      "SELECT row, id, CASE WHEN ?3 THEN vector END, CASE WHEN ?4 THEN metadata END "
      "FROM vectors NOT INDEXED WHERE row > ?2 AND collection_id = ?1 ORDER BY row LIMIT ?5",
      e, collection, after_row, include_vectors, include_metadata, max_rows);
}

std::optional<int64_t> SqliteStore::RowOf(std::string_view collection, std::string_view id) {
  CheckName(collection);
  if (!IdProblem(id).empty()) return std::nullopt;  // no row can have it
  std::lock_guard lock(db_mu_);
  SyncLocked();
  const CatalogEntry& e = RequireLocked(collection);
  Stmt::Use q(db_->Prepare("SELECT row FROM vectors WHERE collection_id = ?1 AND id = ?2"));
  q.Bind(1, e.cid).Bind(2, id);
  if (!q.Step()) return std::nullopt;
  return q.Int(0);
}

std::optional<Row> SqliteStore::GetRow(std::string_view collection, int64_t row,
                                       bool include_vector, bool include_metadata) {
  CheckName(collection);
  std::lock_guard lock(db_mu_);
  SyncLocked();
  const CatalogEntry& e = RequireLocked(collection);
  std::vector<Row> rows = RowsLocked(
      "SELECT row, id, CASE WHEN ?3 THEN vector END, CASE WHEN ?4 THEN metadata END "
      "FROM vectors WHERE row = ?2 AND collection_id = ?1 LIMIT ?5",
      e, collection, row, include_vector, include_metadata, 1);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

}  // namespace

void testing::FailWarmCopyUpdates(int n) {
  g_fail_warm_copy_updates.store(n, std::memory_order_relaxed);
}

std::unique_ptr<Store> Store::Open(const std::string& path, const OpenOptions& options,
                                   ThreadPool* pool, kernels::ScanFn scan,
                                   kernels::QuantizedScanFn quantized_scan) {
  return std::make_unique<SqliteStore>(path, options, pool, scan, quantized_scan);
}

std::unique_ptr<Store> Store::Attach(sqlite3* db, ThreadPool* pool, kernels::ScanFn scan,
                                     kernels::QuantizedScanFn quantized_scan) {
  return std::make_unique<SqliteStore>(db, pool, scan, quantized_scan);
}

}  // namespace ek::store
