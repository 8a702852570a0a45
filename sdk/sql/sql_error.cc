#include "sql/sql_error.h"

#include <new>

#include "base/error.h"

namespace ek::sql {

int SqliteCodeFor(ek_status status) {
  switch (status) {
    case EK_OK: return SQLITE_OK;
    // The caller's data breaks a rule of the table: a duplicate, a wrong length.
    case EK_ERR_ALREADY_EXISTS:
    case EK_ERR_DIMENSION_MISMATCH: return SQLITE_CONSTRAINT;
    case EK_ERR_IO: return SQLITE_IOERR;
    case EK_ERR_CORRUPT: return SQLITE_CORRUPT;
    case EK_ERR_READ_ONLY: return SQLITE_READONLY;
    case EK_ERR_OUT_OF_MEMORY: return SQLITE_NOMEM;
    case EK_ERR_CANCELLED: return SQLITE_INTERRUPT;
    case EK_ERR_LIMIT: return SQLITE_TOOBIG;
    case EK_ERR_INTERNAL: return SQLITE_INTERNAL;
    case EK_ERR_ABI_MISMATCH:
    case EK_ERR_NOT_A_PLUGIN: return SQLITE_CANTOPEN;
    // EK_ERR_STORAGE is a SQLite failure whose own code the message already names;
    // the rest (bad argument, not found, parse, unsupported, buffer, plugin) are plain
    // errors of the statement.
    default: return SQLITE_ERROR;
  }
}

std::string ErrorText(const std::exception& e) { return std::string("embedkit: ") + e.what(); }

int SqliteCodeFor(const std::exception& e) {
  if (auto* error = dynamic_cast<const Error*>(&e)) return SqliteCodeFor(error->status());
  if (dynamic_cast<const std::bad_alloc*>(&e)) return SQLITE_NOMEM;
  return SQLITE_ERROR;
}

void ResultError(sqlite3_context* ctx, const std::exception& e) {
  int code = SqliteCodeFor(e);
  if (code == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx);  // building a message could fail again
    return;
  }
  std::string text = ErrorText(e);
  sqlite3_result_error(ctx, text.c_str(), static_cast<int>(text.size()));
  sqlite3_result_error_code(ctx, code);
}

namespace {

// A sqlite3_malloc'd copy of ErrorText(e), which SQLite frees; nullptr when out of memory.
char* SqliteOwnedText(const std::exception& e) {
  return sqlite3_mprintf("%s", ErrorText(e).c_str());
}

}  // namespace

int VtabError(sqlite3_vtab* vtab, const std::exception& e) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = SqliteOwnedText(e);
  return SqliteCodeFor(e);
}

int CreateError(char** pz_err, const std::exception& e) {
  *pz_err = SqliteOwnedText(e);
  return SqliteCodeFor(e);
}

}  // namespace ek::sql
