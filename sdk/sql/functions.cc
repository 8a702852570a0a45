#include "sql/functions.h"

#include <cstdio>

#include "base/error.h"
#include "sql/functions_internal.h"

namespace ek::sql {

namespace functions {

VectorPair ReadMatchingPair(sqlite3_context* ctx, sqlite3_value** argv) {
  VectorPair pair{ReadArg(ctx, argv, 0), ReadArg(ctx, argv, 1)};
  if (pair.a.type != pair.b.type)
    RefuseCall(ctx, std::string("argument 1 is a ") + TypeName(pair.a.type) +
                        " vector and argument 2 a " + TypeName(pair.b.type) +
                        " vector; both must have the same element type");
  if (pair.a.dim() != pair.b.dim())
    RefuseCall(ctx, "argument 1 has " + std::to_string(pair.a.dim()) +
                        " dimensions and argument 2 has " + std::to_string(pair.b.dim()) +
                        "; both must have the same number");
  return pair;
}

std::string Number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

const char* ValueKind(sqlite3_value* value) {
  switch (sqlite3_value_type(value)) {
    case SQLITE_TEXT: return "text";
    case SQLITE_NULL: return "NULL";
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT: return "a real number";
    default: return "a blob";
  }
}

void RefuseCall(sqlite3_context* ctx, const std::string& why) {
  Fail(EK_ERR_INVALID_ARGUMENT, std::string(Name(ctx)) + "(): " + why);
}

}  // namespace functions

int RegisterVectorFunctions(sqlite3* db) {
  using namespace functions;
  for (auto table : {ConstructorFunctions(), InspectFunctions(), DistanceFunctions(),
                     ArithmeticFunctions(), QuantizeFunctions()}) {
    for (const ScalarFunction& f : table) {
      const int rc = sqlite3_create_function_v2(db, f.name, f.n_args, SQLITE_UTF8 | f.flags,
                                                const_cast<ScalarFunction*>(&f), f.body,
                                                nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return rc;
    }
  }
  return RegisterTableFunction(db, kVecEach, nullptr);  // needs no session
}

}  // namespace ek::sql
