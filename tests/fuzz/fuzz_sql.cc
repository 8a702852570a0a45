// libFuzzer target: the SQL surface (issue 20 item 5). Each input opens a connection
// (in memory, or a per-process file in rollback or WAL mode) with the extension
// registered statically, as a program that links it does (sqlite3_auto_extension with
// sqlite3_embedkit_init: the real entry point, identity check included), and runs up to
// kMaxStatements statements: a grammar over the `embedkit` virtual table and the vec_*
// functions (fuzz_sql_grammar.h: CREATE VIRTUAL TABLE with fuzzed column specs and
// options, INSERT with fuzzed JSON/blob vectors and metadata, bulk inserts past the
// graph threshold, KNN with fuzzed k/ef/filters/ranges, scans, UPDATE, DELETE, vec_*
// and vec_each calls, BEGIN/COMMIT/ROLLBACK/SAVEPOINT, DROP, reopening the file) and
// raw SQL text from the input. Errors are fine; the invariants are:
//   - no crash, leak, sanitizer report or hang (libFuzzer's -timeout);
//   - a KNN statement with k = K returns at most K rows; one ordered by distance
//     returns them best first;
//   - PRAGMA integrity_check is "ok" after every input and after every reopen;
//   - every float table answers a KNN with k past its row count with all its rows
//     (the store searches exactly or with ef >= k: no row is unreachable), unless raw
//     SQL ran: it may have written the store's tables behind the store's back;
//   - the connection closes with sqlite3_close (the extension left no statement open).
// Raw SQL is kept inside the database and the process: no ATTACH (so no VACUUM INTO),
// defensive mode (no writable_schema), values under 4 MiB, and a budget of VM steps
// per input so that a recursive CTE ends as SQLITE_INTERRUPT, not as a timeout.
// Seeds: tests/fuzz/corpus/fuzz_sql (make_sql_seeds.py writes them). EK_FUZZ_SQL_TRACE=1
// prints every statement and its outcome (to see what an input does).
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_sql_grammar.h"

extern "C" int sqlite3_embedkit_init(sqlite3* db, char** pz_err, const sqlite3_api_routines* api);

namespace {

using namespace fuzz_sql;

constexpr int kMaxStatements = 48;
constexpr int kMaxBulkInserts = 2;
constexpr int kProgressPeriod = 1000;   // VM steps between progress callbacks
constexpr int kProgressBudget = 20000;  // callbacks per input: 2e7 VM steps
constexpr int kMaxLength = 4 << 20;

int progress_left = 0;  // progress callbacks left to this input (then SQLITE_INTERRUPT)
int Progress(void*) { return --progress_left < 0; }

const bool trace = std::getenv("EK_FUZZ_SQL_TRACE") != nullptr;
void Trace(sqlite3* db, const char* sql, int length, int rc, int64_t rows) {
  if (!trace) return;
  std::fprintf(stderr, "%.*s\n  -> rc %d, %lld rows%s%s\n", length, sql, rc, static_cast<long long>(rows),
               rc == SQLITE_OK ? "" : ": ", rc == SQLITE_OK ? "" : sqlite3_errmsg(db));
}

std::string FilePath() { return "/tmp/ek_fuzz_sql_" + std::to_string(getpid()) + ".db"; }

void RemoveFile(const std::string& path) {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

sqlite3* Open(const std::string& path, bool wal) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Check(rc == SQLITE_OK, "open failed:", sqlite3_errmsg(db));
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);  // no ATTACH, and so no VACUUM INTO a file
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, kMaxLength);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_progress_handler(db, kProgressPeriod, Progress, nullptr);
  if (wal) sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  return db;
}

void Close(sqlite3* db) {
  const int rc = sqlite3_close(db);
  Check(rc == SQLITE_OK, "sqlite3_close failed (a statement left open?):", sqlite3_errmsg(db));
}

// Reads every column of every row (so xColumn runs); checks the statement's promises.
// Returns the step's final code and counts rows into *rows.
int Drain(sqlite3_stmt* stmt, const Statement* promise, int64_t* rows) {
  int rc;
  double previous = -INFINITY;
  *rows = 0;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    ++*rows;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_BLOB) (void)sqlite3_column_blob(stmt, c);
      else (void)sqlite3_column_text(stmt, c);
      (void)sqlite3_column_bytes(stmt, c);
    }
    if (!promise) continue;
    Check(promise->max_rows < 0 || *rows <= promise->max_rows, "KNN returned more than k rows:", promise->sql);
    if (promise->distance_ascending && sqlite3_column_type(stmt, 0) == SQLITE_FLOAT) {
      const double d = sqlite3_column_double(stmt, 0);
      Check(!(d < previous), "KNN rows not ordered by distance:", promise->sql);
      previous = d;
    }
  }
  return rc;
}

// Runs a generated statement; SQLITE_OK/DONE or the error code.
int Run(sqlite3* db, const Statement& st, int64_t* rows = nullptr) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, st.sql.data(), int(st.sql.size()), &stmt, nullptr);
  int64_t count = 0;
  if (rc == SQLITE_OK && stmt) {
    rc = Bind(stmt, st.values);
    if (rc == SQLITE_OK) rc = Drain(stmt, &st, &count);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  Trace(db, st.sql.data(), int(st.sql.size()), rc, count);
  sqlite3_finalize(stmt);
  if (rows) *rows = count;
  return rc;
}

// Raw text: every statement in it, in order, until one fails to prepare.
void RunRaw(sqlite3* db, const std::string& text) {
  const char* tail = text.c_str();
  const char* end = tail + text.size();
  while (tail < end) {
    sqlite3_stmt* stmt = nullptr;
    const char* start = tail;
    int rc = sqlite3_prepare_v2(db, start, int(end - start), &stmt, &tail);
    int64_t rows = 0;
    if (rc == SQLITE_OK && stmt) rc = Drain(stmt, nullptr, &rows);
    Trace(db, start, int(tail - start), rc == SQLITE_DONE ? SQLITE_OK : rc, rows);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK && rc != SQLITE_DONE && !stmt) return;  // did not prepare
    if (tail <= start) return;  // SQLite stops at a NUL byte and reads no further
  }
}

void CheckIntegrity(sqlite3* db) {
  const int saved = progress_left;
  progress_left = kProgressBudget;  // the check itself must not be interrupted
  sqlite3_stmt* stmt = nullptr;
  Check(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK,
        "integrity_check does not prepare:", sqlite3_errmsg(db));
  const int rc = sqlite3_step(stmt);
  const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  const std::string result = rc == SQLITE_ROW && text ? text : sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  Check(result == "ok", "integrity_check:", result);
  progress_left = saved;
}

// Every row of a float table is within reach of KNN: k past the row count returns all.
void CheckReachable(sqlite3* db, const TableSpec& t) {
  if (!t.live || t.element != 'f' || t.dim < 1 || t.dim > 64) return;
  const int saved = progress_left;
  progress_left = kProgressBudget;
  Statement count;
  count.Text("SELECT rowid FROM " + t.name);
  int64_t rows = 0, hits = 0;
  if (Run(db, count, &rows) == SQLITE_OK) {
    std::string query = "[";
    for (int d = 0; d < t.dim; ++d) query += d ? ", 0.5" : "0.5";
    Statement knn;
    knn.Text("SELECT rowid FROM " + t.name + " WHERE " + t.vector_column + " MATCH ")
        .Param(query + "]").Text(" AND k = ").Param(rows + 1);
    if (Run(db, knn, &hits) == SQLITE_OK)
      Check(hits == rows, "KNN with k > rows misses rows:", t.name + " " + std::to_string(hits) +
                                                              " of " + std::to_string(rows));
  }
  progress_left = saved;
}

struct Session {
  sqlite3* db = nullptr;
  bool file = false;
  bool wal = false;
  TableSpec tables[3];
  int bulk_inserts = 0;
  bool raw_sql = false;
};

void Reopen(Session& s) {
  Close(s.db);
  s.db = Open(s.file ? FilePath() : ":memory:", s.wal);
  if (!s.file)
    for (auto& t : s.tables) t.live = false;
  CheckIntegrity(s.db);
}

// One statement: an op byte, a table byte and a length-prefixed chunk the op reads its
// fields from (so a mutation inside one statement leaves the next ones as they were).
void Step(Session& s, Input& input) {
  const uint8_t op = input.Byte();
  TableSpec& t = s.tables[input.Byte() % 3];
  const std::string chunk = input.Bytes(input.Byte());
  Input in(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size());
  switch (op % 16) {
    case 0: {
      TableSpec spec = t;
      // A success on a live table was CREATE ... IF NOT EXISTS: the table stays as it was.
      if (Run(s.db, CreateTable(in, spec)) == SQLITE_OK && !t.live) spec.live = true, t = spec;
      break;
    }
    case 1:
      if (Run(s.db, Statement().Text("DROP TABLE IF EXISTS " + t.name)) == SQLITE_OK) t.live = false;
      break;
    case 2: case 3: case 4: Run(s.db, Insert(in, t)); break;
    case 5:
      if (s.bulk_inserts++ < kMaxBulkInserts) Run(s.db, BulkInsert(in, t));
      break;
    case 6: case 7: case 15: Run(s.db, Knn(in, t)); break;
    case 8: Run(s.db, Scan(in, t)); break;
    case 9: Run(s.db, Update(in, t)); break;
    case 10: Run(s.db, Delete(in, t)); break;
    case 11: Run(s.db, Transaction(in)); break;
    case 12: Run(s.db, Function(in, t)); break;
    case 13:
      RunRaw(s.db, chunk);
      s.raw_sql = true;
      break;
    default: Reopen(s); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Every connection opened from here on gets the extension, as in a program that
  // links it (the entry point checks that SQLite is the one it was built against).
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(sqlite3_embedkit_init));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Session s;
  const uint8_t mode = in.Byte();
  s.file = mode & 1;
  s.wal = s.file && (mode & 2);
  for (int i = 0; i < 3; ++i) s.tables[i].name = "t" + std::to_string(i);
  if (s.file) RemoveFile(FilePath());
  progress_left = kProgressBudget;
  s.db = Open(s.file ? FilePath() : ":memory:", s.wal);
  for (int n = 0; n < kMaxStatements && !in.empty(); ++n) Step(s, in);
  CheckIntegrity(s.db);
  if (!s.raw_sql)
    for (const auto& t : s.tables) CheckReachable(s.db, t);
  Close(s.db);
  if (s.file) RemoveFile(FilePath());
  return 0;
}
