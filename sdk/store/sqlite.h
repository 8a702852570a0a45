// Thin RAII layer over the SQLite C API for the store: one connection (its own, or one
// borrowed from its owner), statements prepared once and cached per connection, errors
// mapped to ek::Error.
// Not thread-safe: the store serialises every use of a Db behind its own mutex.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "embedkit/types.h"

namespace ek::store::sql {

// Maps an SQLite result code (primary or extended) to an ek_status.
ek_status StatusFor(int rc);

class Db;

// A cached prepared statement. Use it through Stmt::Use, which resets the statement
// and clears its bindings when it goes out of scope (a statement left mid-step would
// keep a read transaction open).
class Stmt {
 public:
  Stmt(Db& db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  class Use {
   public:
    explicit Use(Stmt& s) : s_(s) {}
    ~Use() {
      sqlite3_reset(s_.stmt_);
      sqlite3_clear_bindings(s_.stmt_);
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

    Use& Bind(int index, int64_t v);
    Use& Bind(int index, std::string_view text);  // bound as TEXT (copied)
    Use& BindBlob(int index, const void* data, size_t bytes);
    Use& BindNull(int index);
    Use& BindDouble(int index, double v);
    // Steps once: true if a row is available, false when done; throws on error.
    bool Step();
    // Steps to completion, ignoring rows.
    void Run();

    bool IsNull(int col) const { return sqlite3_column_type(s_.stmt_, col) == SQLITE_NULL; }
    int64_t Int(int col) const { return sqlite3_column_int64(s_.stmt_, col); }
    double Double(int col) const { return sqlite3_column_double(s_.stmt_, col); }
    std::string_view Text(int col) const;
    std::string_view Blob(int col) const;  // bytes

   private:
    Stmt& s_;
  };

 private:
  friend class Use;
  Db& db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // Opens `path` with sqlite3_open_v2 flags; throws ek::Error on failure. `uri`, when
  // not empty, is opened instead (with SQLITE_OPEN_URI in flags); messages still name
  // `path`.
  Db(const std::string& path, int flags, uint32_t busy_timeout_ms, const std::string& uri = {});
  // Borrows `db`, which its owner opened and will close: the destructor finalises the
  // cached statements only, and the owner's settings (extended result codes, busy
  // timeout) are left as they are. `path` names it in messages.
  struct Borrowed {};
  Db(Borrowed, sqlite3* db, const std::string& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  uint32_t busy_timeout_ms() const { return busy_timeout_ms_; }  // 0 when borrowed
  bool borrowed() const { return borrowed_; }

  // The cached statement for `sql` (prepared on first use).
  Stmt& Prepare(const char* sql);
  // Runs `sql` (may hold several statements) without caching; throws on error.
  void Exec(const char* sql);
  // Runs a one-row, one-column query (e.g. a PRAGMA) and returns the integer.
  int64_t QueryInt(const char* sql);
  // PRAGMA journal_mode=WAL, waiting up to the busy timeout for other connections.
  void EnableWal();

  // Throws ek::Error for `rc` with the connection's message, prefixed by `during`.
  [[noreturn]] void Throw(int rc, std::string_view during) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  uint32_t busy_timeout_ms_ = 0;
  bool borrowed_ = false;
  std::unordered_map<std::string, std::unique_ptr<Stmt>> cache_;
};

// True when the connection is in autocommit mode and none of its statements is running.
bool ConnectionIdle(sqlite3* db);

// A transaction: BEGIN (deferred, for consistent reads) or BEGIN IMMEDIATE (takes
// the write lock up front, so SQLITE_BUSY surfaces here after busy_timeout rather
// than mid-batch). Rolls back on destruction unless Commit() succeeded.
// One store call's transaction. Inside a transaction the caller opened on the
// connection (Store::Begin) it is a savepoint instead: a failed call then undoes only
// its own writes, and Commit() releases the savepoint into the enclosing transaction.
// On a borrowed connection it never makes a savepoint (SQLite refuses one while a
// statement is running, as when a virtual table's xUpdate calls the store): inside the
// owner's transaction, or while one of the owner's statements writes, it joins that
// work and issues nothing (the owner's statement or transaction is the unit: its
// rollback undoes the call); only on an idle connection in autocommit mode, where each
// statement would otherwise commit by itself, does it BEGIN and COMMIT as above.
class Txn {
 public:
  enum Kind { kRead, kWrite };
  Txn(Db& db, Kind kind);
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  void Commit();

 private:
  Db& db_;
  bool open_ = false;
  bool nested_ = false;
  bool joined_ = false;  // borrowed connection: part of the owner's work, issues nothing
};

// Tells whether writes made through a borrowed connection were undone by its owner
// (ROLLBACK, ROLLBACK TO, a failed statement) without the store being told. Each write
// stamps a fresh number into a one-row TEMP table, inside the write's own transaction,
// so any rollback of the write takes the stamp back with it; a stamp that differs from
// the last one written then means "undone". Numbers are never reused (no ABA), the
// table is per connection (nothing reaches the file or other connections), and a check
// costs one read of a one-row table. Not thread-safe (under the store's mutex).
class WriteStamp {
 public:
  explicit WriteStamp(Db& db) : db_(db) {}
  ~WriteStamp();
  WriteStamp(const WriteStamp&) = delete;
  WriteStamp& operator=(const WriteStamp&) = delete;

  // Inside a write's transaction: records a fresh stamp.
  void Mark();
  // True when the last Mark() since Forget() is no longer there (it was rolled back).
  bool Undone();
  // The owner has dealt with a rollback: nothing outstanding to check.
  void Forget() { last_ = 0; }

 private:
  Db& db_;
  int64_t next_ = 0;               // the last number handed out
  int64_t last_ = 0;               // the stamp the table should hold; 0 = nothing to check
  // Own statements, not the Db's cache: a rollback can drop the TEMP table under them.
  sqlite3_stmt* read_ = nullptr;
  sqlite3_stmt* write_ = nullptr;
};

}  // namespace ek::store::sql
