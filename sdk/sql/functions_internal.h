// What the vec_* function files share (functions.cc registers them): the entry type
// (bodies registered as Guarded<...>, sql_error.h) and the argument readers. Not used outside sdk/sql/functions*.
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>

#include "sql/sql_error.h"
#include "sql/sqlite_compat.h"
#include "sql/table_function.h"
#include "sql/vector_value.h"

namespace ek::sql::functions {

// One SQL scalar function. Registered with a pointer to its entry as user data, so a
// body finds its own name (Name(ctx)) for messages.
struct ScalarFunction {
  const char* name;
  int n_args;
  int flags;  // SQLITE_DETERMINISTIC and friends (SQLITE_UTF8 is added)
  FunctionBody body;  // Guarded<...> (sql_error.h)
};

// Pure functions of their arguments that read vector subtypes and return tagged
// vectors; kPureFlags for those that read no subtype.
inline constexpr int kPureFlags = SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
inline constexpr int kVectorFlags = kPureFlags | SQLITE_SUBTYPE | kResultSubtypeFlag;

// The registered name of the running function ("vec_add").
inline const char* Name(sqlite3_context* ctx) {
  return static_cast<const ScalarFunction*>(sqlite3_user_data(ctx))->name;
}

// "vec_add() argument 2" (1-based, as users count).
inline std::string ArgWhat(sqlite3_context* ctx, int index) {
  return std::string(Name(ctx)) + "() argument " + std::to_string(index + 1);
}

// Argument `index` as a vector, messages naming the function and the argument.
inline TypedVector ReadArg(sqlite3_context* ctx, sqlite3_value** argv, int index) {
  return ReadVector(argv[index], ArgWhat(ctx, index));
}

// Arguments 1 and 2: vectors of one element type and one dimension, else the refusal
// naming both.
struct VectorPair {
  TypedVector a, b;
};
VectorPair ReadMatchingPair(sqlite3_context* ctx, sqlite3_value** argv);

// A number for messages, as short as %g writes it ("128", "0.5", "1e+40").
std::string Number(double x);

// "text", "NULL", "an integer", "a real number", "a blob" (a value's SQL type in words).
const char* ValueKind(sqlite3_value* value);

// Refuses with "<name>(): <why>" (EK_ERR_INVALID_ARGUMENT).
[[noreturn]] void RefuseCall(sqlite3_context* ctx, const std::string& why);

// Each file's functions.
std::span<const ScalarFunction> ConstructorFunctions();  // functions_constructors.cc
std::span<const ScalarFunction> InspectFunctions();      // functions_inspect.cc
std::span<const ScalarFunction> DistanceFunctions();     // functions_distance.cc
std::span<const ScalarFunction> ArithmeticFunctions();   // functions_arithmetic.cc
std::span<const ScalarFunction> QuantizeFunctions();     // functions_quantize.cc

// vec_each(vector): a table-valued function (functions_each.cc).
extern const TableFunction kVecEach;

}  // namespace ek::sql::functions
