// Table-valued functions whose whole answer is computed at once from their arguments
// (vec_each, ek_match, ek_recommend): an eponymous-only virtual table with the result
// columns first and one HIDDEN column per argument, as SQLite maps `FROM f(a, b)` onto
// hidden columns in order. The first `required` arguments must be given; later ones may
// be left out (the function then sees nullptr for them). Rows come in rowid order, so
// `ORDER BY rowid` costs nothing.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "sql/session.h"

namespace ek::sql {

// One output cell: NULL, an integer, a real or a text.
using Cell = std::variant<std::monostate, int64_t, double, std::string>;
using Rows = std::vector<std::vector<Cell>>;

struct TableFunction {
  const char* name;            // "ek_match"
  const char* columns;         // "source TEXT, rank INTEGER, ..." (the result columns)
  const char* arguments;       // "source_text, target_text, options" (hidden columns)
  int result_columns;          // how many names `columns` lists
  int argument_count;          // how many names `arguments` lists
  int required;                // arguments that must be given
  // The rows for the arguments (argument_count entries; nullptr where not given);
  // `session` is the one given to RegisterTableFunction. Throws ek::Error, which
  // becomes the query's error.
  Rows (*run)(Session* session, sqlite3_value* const* args);
  // The first row's rowid (vec_each counts from 0, as vec0's does).
  int64_t first_rowid = 1;
  // Whether the hidden columns read back the arguments (vec0's vec_each reads NULL).
  bool echo_arguments = true;
  // A pure function of its arguments, safe in triggers and views (SQLITE_VTAB_INNOCUOUS).
  bool innocuous = false;
};

// Registers `function` (which must outlive the connection: a static) on `db`; `session`
// (may be nullptr) is passed to its run.
int RegisterTableFunction(sqlite3* db, const TableFunction& function, Session* session);

}  // namespace ek::sql
