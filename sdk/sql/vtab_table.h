// What the files of the `embedkit` virtual table share (not used outside sdk/sql/vtab*):
// the table and cursor objects SQLite holds, and the module callbacks each file
// implements:
//   vtab_module.cc   create/connect/destroy, transactions, RegisterEmbedkitModule
//   vtab_plan.cc     xBestIndex (the plan, vtab_plan.h)
//   vtab_cursor.cc   xOpen ... xRowid: full scan, point lookups, KNN
//   vtab_write.cc    xUpdate: INSERT, INSERT OR REPLACE, UPDATE, DELETE
// Every callback catches at its entry and reports through sql_error.h.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sql/session.h"
#include "sql/vec0_columns.h"
#include "store/store.h"

namespace ek::sql {

struct EmbedkitTable {
  sqlite3_vtab base{};  // first: SQLite sees a sqlite3_vtab*
  Session* session = nullptr;
  TableSpec spec;
  // Ids of the rows DELETE removed that the store has not been told about yet: deletes
  // reach the store in batches (vtab_write.cc says when, and why that is invisible).
  std::vector<std::string> pending_deletes;

  store::Store& store() { return session->store(); }
  const std::string& collection() const { return spec.collection; }
};

inline EmbedkitTable& TableOf(sqlite3_vtab* vtab) {
  return *reinterpret_cast<EmbedkitTable*>(vtab);
}

// How a table names its rows (the design's xRowid table):
//   no primary key / integer primary key: id = decimal text of the rowid (= the key);
//   text primary key: id = the key, rowid = the store's row number.
bool RowidIsKey(const TableSpec& spec);

// The id of the row an integer key names ("42").
std::string IdOfInteger(int64_t key);
// The integer an id holds; throws for an id that is not canonical decimal (a C API
// row read through a table without a text primary key), naming the table.
int64_t IntegerOfId(const TableSpec& spec, const std::string& id);

// vtab_plan.cc
int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info);

// vtab_cursor.cc
int OpenCursor(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out);
int CloseCursor(sqlite3_vtab_cursor* cursor);
int FilterCursor(sqlite3_vtab_cursor* cursor, int idx_num, const char* idx_str, int argc,
                 sqlite3_value** argv);
int NextRow(sqlite3_vtab_cursor* cursor);
int AtEnd(sqlite3_vtab_cursor* cursor);
int ColumnValue(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int column);
int RowidOf(sqlite3_vtab_cursor* cursor, sqlite3_int64* rowid);

// vtab_write.cc
int Update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64* rowid);
// Hands the pending deletes to the store as one Store::Delete (nothing when there are
// none; safe to call again from inside that call); they stay pending if it throws, so a
// retry, or the rollback the error leads to, settles them.
void ApplyPendingDeletes(EmbedkitTable& t);
// Forgets them: the rollback that calls this undid the statements that made them.
void DropPendingDeletes(EmbedkitTable& t);

}  // namespace ek::sql
