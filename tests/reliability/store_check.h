// Checks a store file written by ek_store_writer, reading it with SQLite directly (not
// through embedkit): PRAGMA integrity_check, every batch complete or absent, and the
// state of each writer run equal to what its acknowledged operations imply (or, for
// a killed writer, to that plus the one operation that was in flight).
#pragma once

#include <sqlite3.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ek::test {

// batch -> version ("v" of its rows) for one run.
using RunState = std::map<long, int>;

struct Op {
  char kind;  // 'U', 'R', 'D'
  long batch;
};

// The writer's deterministic sequence of operations (ek_store_writer.cc).
inline std::vector<Op> WriterOps(long max_batches) {
  std::vector<Op> ops;
  for (long b = 0; b < max_batches; ++b) {
    ops.push_back({'U', b});
    if (b % 3 == 2) ops.push_back({'R', b - 1});
    if (b % 5 == 4) ops.push_back({'D', b - 4});
  }
  return ops;
}

inline void Apply(RunState* s, const Op& op) {
  if (op.kind == 'U') (*s)[op.batch] = 1;
  if (op.kind == 'R') (*s)[op.batch] = 2;
  if (op.kind == 'D') s->erase(op.batch);
}

// Number of "ACK" lines in a writer's output; -1 if they do not follow WriterOps.
inline long CountAcks(const std::string& out, const std::vector<Op>& ops) {
  std::istringstream in(out);
  std::string line;
  long n = 0;
  while (std::getline(in, line)) {
    if (line.rfind("ACK ", 0) != 0) continue;
    char kind = 0;
    long b = -1;
    if (std::sscanf(line.c_str(), "ACK %c %ld", &kind, &b) != 2) return -1;
    if (n >= static_cast<long>(ops.size()) || ops[n].kind != kind || ops[n].batch != b) return -1;
    ++n;
  }
  return n;
}

struct FileState {
  std::string error;                 // empty when the file passed the generic checks
  std::map<long, RunState> runs;     // run -> state
  long rows = 0;
};

// "" when PRAGMA integrity_check says "ok", else what it (or SQLite) says.
inline std::string IntegrityProblem(sqlite3* db) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) != SQLITE_OK)
    return std::string("integrity_check: ") + sqlite3_errmsg(db);
  std::string verdict;
  while (sqlite3_step(st) == SQLITE_ROW) {
    verdict += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    verdict += ";";
  }
  sqlite3_finalize(st);
  return verdict == "ok;" ? "" : "integrity_check: " + verdict;
}

// The same for a file, opened with SQLite directly.
inline std::string FileIntegrityProblem(const std::string& path) {
  sqlite3* db = nullptr;
  std::string why = "sqlite3_open_v2 failed";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) why = IntegrityProblem(db);
  sqlite3_close(db);
  return why;
}

// Reads the file with SQLite: integrity_check, then every row of collection "crash".
inline FileState ReadStoreFile(const std::string& path, size_t rows_per_batch) {
  FileState fs;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    fs.error = std::string("sqlite3_open_v2: ") + (db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_close(db);
    return fs;
  }
  auto fail = [&](const std::string& why) {
    fs.error = why;
    sqlite3_close(db);
    return fs;
  };
  if (std::string why = IntegrityProblem(db); !why.empty()) return fail(why);
  sqlite3_stmt* st = nullptr;
  // The collection may not exist yet (killed during the first open).
  const char* sql =
      "SELECT v.id, v.metadata, length(v.vector), c.dim FROM vectors v "
      "JOIN collections c ON c.id = v.collection_id WHERE c.name = 'crash'";
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
    const std::string why = sqlite3_errmsg(db);
    if (why.find("no such table") != std::string::npos) {
      sqlite3_close(db);
      return fs;  // schema not created yet
    }
    return fail("select: " + why);
  }
  // (run, batch) -> versions seen and row count
  std::map<std::pair<long, long>, std::pair<std::set<int>, size_t>> batches;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char* meta = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    long run = -1, batch = -1, i = -1;
    int v = -1;
    if (!meta || std::sscanf(meta, "{\"run\":%ld,\"batch\":%ld,\"i\":%ld,\"v\":%d}", &run, &batch,
                             &i, &v) != 4) {
      sqlite3_finalize(st);
      return fail(std::string("unexpected metadata: ") + (meta ? meta : "NULL"));
    }
    if (sqlite3_column_int64(st, 2) != 4 * sqlite3_column_int64(st, 3)) {
      sqlite3_finalize(st);
      return fail("a vector blob has the wrong length");
    }
    auto& b = batches[{run, batch}];
    b.first.insert(v);
    ++b.second;
    ++fs.rows;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) {
    fs.error = "select failed";
    return fs;
  }
  for (const auto& [key, b] : batches) {
    if (b.second != rows_per_batch || b.first.size() != 1) {
      std::ostringstream m;
      m << "partial batch visible: run " << key.first << " batch " << key.second << " has "
        << b.second << " of " << rows_per_batch << " rows and " << b.first.size()
        << " versions";
      fs.error = m.str();
      return fs;
    }
    fs.runs[key.first][key.second] = *b.first.begin();
  }
  return fs;
}

// "" if `actual` is the state after `acked` operations, or after acked + 1 (the
// operation in flight when the writer died, if `may_have_one_more`).
inline std::string CompareRun(const RunState& actual, const std::vector<Op>& ops, long acked,
                              bool may_have_one_more) {
  RunState expected;
  for (long i = 0; i < acked; ++i) Apply(&expected, ops[static_cast<size_t>(i)]);
  if (actual == expected) return {};
  if (may_have_one_more && acked < static_cast<long>(ops.size())) {
    Apply(&expected, ops[static_cast<size_t>(acked)]);
    if (actual == expected) return {};
  }
  std::ostringstream m;
  m << "state differs from the " << acked << " acknowledged operations: file has "
    << actual.size() << " batches, expected " << expected.size();
  for (const auto& [b, v] : expected) {
    auto it = actual.find(b);
    if (it == actual.end()) {
      m << "; acknowledged batch " << b << " missing";
      break;
    }
    if (it->second != v) {
      m << "; batch " << b << " has version " << it->second << ", expected " << v;
      break;
    }
  }
  return m.str();
}

}  // namespace ek::test
