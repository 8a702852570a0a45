#include "store/sqlite.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"

namespace ek::store::sql {

ek_status StatusFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_READONLY: return EK_ERR_READ_ONLY;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return EK_ERR_CORRUPT;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM: return EK_ERR_IO;
    case SQLITE_NOMEM: return EK_ERR_OUT_OF_MEMORY;
    case SQLITE_TOOBIG: return EK_ERR_LIMIT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    default: return EK_ERR_STORAGE;
  }
}

// ---- Stmt::Use ----------------------------------------------------------------------

Stmt::Use& Stmt::Use::Bind(int index, int64_t v) {
  const int rc = sqlite3_bind_int64(s_.stmt_, index, v);
  if (rc != SQLITE_OK) s_.db_.Throw(rc, "binding a value");
  return *this;
}

Stmt::Use& Stmt::Use::Bind(int index, std::string_view text) {
  // An empty view may have no data pointer, which SQLite would bind as NULL, not ''.
  const int rc = sqlite3_bind_text64(s_.stmt_, index, text.data() ? text.data() : "", text.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) s_.db_.Throw(rc, "binding a value");
  return *this;
}

Stmt::Use& Stmt::Use::BindBlob(int index, const void* data, size_t bytes) {
  // A zero-length blob must still be a BLOB, not NULL: pass a non-null pointer.
  static const char kEmpty = 0;
  const int rc =
      sqlite3_bind_blob64(s_.stmt_, index, data ? data : &kEmpty, bytes, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) s_.db_.Throw(rc, "binding a value");
  return *this;
}

Stmt::Use& Stmt::Use::BindNull(int index) {
  const int rc = sqlite3_bind_null(s_.stmt_, index);
  if (rc != SQLITE_OK) s_.db_.Throw(rc, "binding a value");
  return *this;
}

Stmt::Use& Stmt::Use::BindDouble(int index, double v) {
  const int rc = sqlite3_bind_double(s_.stmt_, index, v);
  if (rc != SQLITE_OK) s_.db_.Throw(rc, "binding a value");
  return *this;
}

bool Stmt::Use::Step() {
  const int rc = sqlite3_step(s_.stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  s_.db_.Throw(rc, sqlite3_sql(s_.stmt_));
}

void Stmt::Use::Run() {
  while (Step()) {
  }
}

std::string_view Stmt::Use::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_.stmt_, col);
  const int n = sqlite3_column_bytes(s_.stmt_, col);
  if (!p) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
}

std::string_view Stmt::Use::Blob(int col) const {
  const void* p = sqlite3_column_blob(s_.stmt_, col);
  const int n = sqlite3_column_bytes(s_.stmt_, col);
  if (!p) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(n)};
}

// ---- Db ---------------------------------------------------------------------------------

Db::Db(const std::string& path, int flags, uint32_t busy_timeout_ms, const std::string& uri)
    : path_(path), busy_timeout_ms_(busy_timeout_ms) {
  const int rc = sqlite3_open_v2(uri.empty() ? path.c_str() : uri.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    Fail(StatusFor(rc), "cannot open store '" + path + "': " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_ms));
}

Db::Db(Borrowed, sqlite3* db, const std::string& path) : db_(db), path_(path), borrowed_(true) {
  if (!db) Fail(EK_ERR_INVALID_ARGUMENT, "the SQLite connection to borrow is NULL");
}

Db::~Db() {
  cache_.clear();  // finalize every statement before closing
  if (!borrowed_) sqlite3_close_v2(db_);
}

Stmt& Db::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return *it->second;
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) Throw(rc, std::string("preparing ") + sql);
  auto owned = std::make_unique<Stmt>(*this, stmt);
  Stmt& ref = *owned;
  cache_.emplace(sql, std::move(owned));
  return ref;
}

void Db::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) Throw(rc, sql);
}

// Entering WAL upgrades the pragma's read lock to an exclusive one, and SQLite
// answers SQLITE_BUSY at once there rather than call the busy handler (waiting while
// holding a read lock could deadlock). A process opening a store another process is
// creating meets exactly that, so the wait the busy timeout promises is done here,
// with no lock held between tries.
void Db::EnableWal() {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms_);
  for (int pause_ms = 1;; pause_ms = std::min(pause_ms * 2, 16)) {
    const int rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline)
      Throw(rc, "PRAGMA journal_mode=WAL");
    sqlite3_sleep(pause_ms);
  }
}

int64_t Db::QueryInt(const char* sql) {
  Stmt::Use q(Prepare(sql));
  if (!q.Step()) Fail(EK_ERR_INTERNAL, std::string("no row from ") + sql);
  return q.Int(0);
}

void Db::Throw(int rc, std::string_view during) const {
  std::string msg = "store '" + path_ + "': ";
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    msg += "the database is locked by another connection; gave up after " +
           (borrowed_ ? std::string("the connection's busy timeout")
                      : "the busy timeout of " + std::to_string(busy_timeout_ms_) + " ms");
  } else if (primary == SQLITE_NOTADB) {
    msg += "the file is not an SQLite database";
  } else if (primary == SQLITE_READONLY) {
    msg += "the store is read-only (" + std::string(sqlite3_errmsg(db_)) + ")";
  } else {
    msg += sqlite3_errmsg(db_);
  }
  msg += " [";
  msg += sqlite3_errstr(rc);
  msg += " while ";
  msg += during;
  msg += "]";
  Fail(StatusFor(rc), msg);
}

// ---- Txn ----------------------------------------------------------------------------------

namespace {

// True when one of the connection's statements is running (only those that write, when
// `writers_only`).
bool StatementRunning(sqlite3* db, bool writers_only) {
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s; s = sqlite3_next_stmt(db, s)) {
    if (sqlite3_stmt_busy(s) && !(writers_only && sqlite3_stmt_readonly(s))) return true;
  }
  return false;
}

// True when a borrowed connection has work of its owner's in progress that a store call
// must become part of: an open transaction, or a statement that writes (in autocommit
// mode SQLite commits that statement's transaction, nested statements included, when
// it ends; a BEGIN now would make that COMMIT fail).
bool OwnerWorkInProgress(sqlite3* db) {
  return !sqlite3_get_autocommit(db) || StatementRunning(db, /*writers_only=*/true);
}

}  // namespace

bool ConnectionIdle(sqlite3* db) {
  return sqlite3_get_autocommit(db) && !StatementRunning(db, /*writers_only=*/false);
}

Txn::Txn(Db& db, Kind kind) : db_(db) {
  if (db.borrowed() && OwnerWorkInProgress(db.handle())) {
    joined_ = true;
    return;
  }
  nested_ = !sqlite3_get_autocommit(db.handle());
  if (nested_) Stmt::Use(db_.Prepare("SAVEPOINT ek_call")).Run();
  else Stmt::Use(db_.Prepare(kind == kWrite ? "BEGIN IMMEDIATE" : "BEGIN")).Run();
  open_ = true;
}

Txn::~Txn() {
  if (!open_ || sqlite3_get_autocommit(db_.handle())) return;
  if (nested_) {
    sqlite3_exec(db_.handle(), "ROLLBACK TO ek_call; RELEASE ek_call", nullptr, nullptr, nullptr);
  } else {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Txn::Commit() {
  if (joined_) return;
  Stmt::Use(db_.Prepare(nested_ ? "RELEASE ek_call" : "COMMIT")).Run();
  open_ = false;
}

// ---- WriteStamp ---------------------------------------------------------------------------

WriteStamp::~WriteStamp() {
  sqlite3_finalize(read_);
  sqlite3_finalize(write_);
}

void WriteStamp::Mark() {
  const int64_t stamp = next_ + 1;
  for (int attempt = 0;; ++attempt) {
    int rc = write_ ? SQLITE_OK
                    : sqlite3_prepare_v3(db_.handle(), "UPDATE temp.ek_write_stamp SET n = ?1", -1,
                                         SQLITE_PREPARE_PERSISTENT, &write_, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_bind_int64(write_, 1, stamp);
      rc = sqlite3_step(write_);
      sqlite3_reset(write_);
      if (rc == SQLITE_DONE) break;
    }
    // Missing (never made, or dropped by a rollback of the transaction that made it).
    // CREATE ... AS SELECT fills the row without touching the owner's
    // sqlite3_last_insert_rowid().
    sqlite3_finalize(write_);
    write_ = nullptr;
    if (attempt > 0) db_.Throw(rc, "recording a write in temp.ek_write_stamp");
    db_.Exec("CREATE TEMP TABLE IF NOT EXISTS ek_write_stamp AS SELECT 0 AS n");
  }
  next_ = last_ = stamp;
}

bool WriteStamp::Undone() {
  if (last_ == 0) return false;
  int64_t found = 0;  // a missing table: the transaction that made it was rolled back
  if (read_ || sqlite3_prepare_v3(db_.handle(), "SELECT n FROM temp.ek_write_stamp", -1,
                                  SQLITE_PREPARE_PERSISTENT, &read_, nullptr) == SQLITE_OK) {
    const int rc = sqlite3_step(read_);
    if (rc == SQLITE_ROW) found = sqlite3_column_int64(read_, 0);
    sqlite3_reset(read_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      sqlite3_finalize(read_);
      read_ = nullptr;
    }
  }
  if (found == last_) return false;
  last_ = 0;
  return true;
}

}  // namespace ek::store::sql
