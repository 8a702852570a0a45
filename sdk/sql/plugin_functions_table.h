// Table-valued functions whose whole answer is computed at once from their arguments
// (ek_match, ek_recommend): an eponymous-only virtual table with the result columns
// first and one HIDDEN column per argument, as SQLite maps `FROM f(a, b)` onto hidden
// columns in order. The first `required` arguments must be given; later ones may be
// left out (the function then sees nullptr for them).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "sql/session.h"

namespace ek::sql::plugins {

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
  // The rows for the arguments (argument_count entries; nullptr where not given).
  // Throws ek::Error, which becomes the query's error.
  Rows (*run)(Session& session, sqlite3_value* const* args);
};

// Registers `function` (which must outlive the connection: a static) on `db`.
int RegisterTableFunction(sqlite3* db, const TableFunction& function, Session* session);

// The functions of each file.
const TableFunction& MatchTableFunction();      // plugin_functions_match.cc
const TableFunction& RecommendTableFunction();  // plugin_functions_rec.cc

}  // namespace ek::sql::plugins
