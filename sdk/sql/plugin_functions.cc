#include "sql/plugin_functions.h"

#include <memory>
#include <new>

#include "sql/plugin_functions_internal.h"
#include "sql/sql_error.h"
#include "sql/sqlite_compat.h"

namespace ek::sql {
namespace {

using plugins::FunctionData;

struct Scalar {
  const char* name;
  int min_args, max_args;
  // ek_encode is a pure function of its arguments; the store readers are not (a model
  // may be saved again), and ek_forget writes, so it may not run from a trigger or
  // view stored in the database (SQLITE_DIRECTONLY).
  int flags;
  FunctionBody body;
};

constexpr Scalar kScalars[] = {
    {"ek_encode", 1, 2, SQLITE_DETERMINISTIC | kResultSubtypeFlag, Guarded<plugins::EncodeFunction>},
    {"ek_classify", 2, 2, 0, Guarded<plugins::ClassifyFunction>},
    {"ek_classify_scores", 2, 2, 0, Guarded<plugins::ClassifyScoresFunction>},
    {"ek_forget", 3, 5, SQLITE_DIRECTONLY, Guarded<plugins::ForgetFunction>},
};

void FreeFunctionData(void* data) { delete static_cast<FunctionData*>(data); }

}  // namespace

int RegisterPluginFunctions(sqlite3* db, Session* session) {
  auto state = std::make_shared<plugins::ConnectionState>(session);
  for (const Scalar& f : kScalars) {
    for (int n = f.min_args; n <= f.max_args; ++n) {
      auto* data = new (std::nothrow) FunctionData{f.name, state};
      if (data == nullptr) return SQLITE_NOMEM;
      // SQLite frees `data` itself when registration fails.
      const int rc = sqlite3_create_function_v2(db, f.name, n, SQLITE_UTF8 | f.flags, data, f.body, nullptr,
                                                nullptr, FreeFunctionData);
      if (rc != SQLITE_OK) return rc;
    }
  }
  for (const TableFunction* f : {&plugins::MatchTableFunction(), &plugins::RecommendTableFunction()}) {
    const int rc = RegisterTableFunction(db, *f, session);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace ek::sql
