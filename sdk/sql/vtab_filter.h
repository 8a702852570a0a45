// The store's filter JSON (docs/storage.md "Filters") for the metadata constraints a
// KNN plan pushed down, with SQL's meaning kept: a value is first given the column's
// affinity as SQLite would (a number compared with a text column is compared as text;
// text that reads as a number, with a numeric column, as that number), a value SQL
// orders after every value of the column (text or a blob against numbers) becomes the
// condition that comparison amounts to, NULL compares to nothing, `x != v` does not
// match NULL, GLOB contributes the prefix before its first wildcard and LIKE a literal
// prefix before one trailing '%' (SQLite checks the whole pattern again).
#pragma once

#include <sqlite3.h>

#include <string>

#include "sql/vec0_columns.h"
#include "sql/vtab_plan.h"

namespace ek::sql {

struct PushedFilter {
  std::string json;      // "" when no constraint was pushed
  bool nothing = false;  // a constraint no row can meet (x = NULL, IN ()): no rows at all
};

// The filter of the plan's kColumn terms; argv[i] is term i's value.
PushedFilter BuildFilter(const TableSpec& spec, const Plan& plan, sqlite3_value** argv);

}  // namespace ek::sql
