// The one way an exception from the SQL layer reaches SQLite. Every function and vtab
// method catches at its entry and calls one of these; the message the user sees is
// "embedkit: <the ek::Error's message>", with a SQLite result code that fits the
// status (a constraint-like status gives SQLITE_CONSTRAINT, storage SQLITE_IOERR, ...).
#pragma once

#include <sqlite3.h>

#include <exception>
#include <string>

#include "embedkit/types.h"

namespace ek::sql {

// The SQLite primary result code for an embedkit status (EK_OK -> SQLITE_OK).
int SqliteCodeFor(ek_status status);

// "embedkit: " + e.what().
std::string ErrorText(const std::exception& e);

// The result code for `e`: SqliteCodeFor its status when it is an ek::Error,
// SQLITE_NOMEM for std::bad_alloc, otherwise SQLITE_ERROR.
int SqliteCodeFor(const std::exception& e);

// Makes the function call fail with ErrorText(e) and SqliteCodeFor(e).
void ResultError(sqlite3_context* ctx, const std::exception& e);

// Sets vtab->zErrMsg (freeing an earlier one) to ErrorText(e); returns SqliteCodeFor(e).
int VtabError(sqlite3_vtab* vtab, const std::exception& e);

// For xCreate/xConnect, which report through *pz_err (sqlite3_malloc'd) instead of a
// vtab: sets it to ErrorText(e) and returns SqliteCodeFor(e).
int CreateError(char** pz_err, const std::exception& e);

// A SQL function's body, as sqlite3_create_function_v2 calls it.
using FunctionBody = void (*)(sqlite3_context*, int, sqlite3_value**);

// What is registered for a body: runs `Fn`, and an exception becomes the call's error
// (ResultError), so no C++ exception ever crosses into SQLite.
template <FunctionBody Fn>
void Guarded(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  try {
    Fn(ctx, argc, argv);
  } catch (const std::exception& e) {
    ResultError(ctx, e);
  }
}

}  // namespace ek::sql
