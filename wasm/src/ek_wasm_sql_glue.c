/* The SQL surface of the module (issue 20, docs/design/sql_extension.md): a SQLite
 * connection of its own on a store's file with the embedkit extension registered on
 * it, and flat helpers over SQLite's statement API for wasm/js/sql.js.
 *
 * Why a second connection and not the store handle's own: the extension's virtual
 * table attaches a store to the connection it runs on and writes inside that
 * connection's statements and transactions (BEGIN ... ROLLBACK takes the vectors
 * back). The store handle keeps its own connection and sees those commits through
 * PRAGMA data_version, as it sees another process's.
 *
 * Registration: the same init function as the loadable module's
 * (sqlite3_embedkit_init, sdk/sql/extension.cc), run by SQLite itself through
 * sqlite3_auto_extension while this file opens the connection, so it gets SQLite's
 * API table like any loaded extension. It is cancelled right after the open: the
 * store's own connections (ek_store_open) do not get the extension.
 *
 * Internal to the package (not the public ABI). 64-bit integers cross the wasm
 * boundary as two 32-bit halves: the module is built without BigInt integration. */
#include <emscripten.h>
#include <sqlite3.h>

#include <stdint.h>
#include <stdio.h>

#define EKW_EXPORT EMSCRIPTEN_KEEPALIVE

int sqlite3_embedkit_init(sqlite3* db, char** pz_err, const sqlite3_api_routines* api);

static char g_sql_error[2048];

/* The message of the last failed ekw_sql_open/ekw_sql_close ("" after a success).
 * Statement failures are read with ekw_sql_errmsg(db) instead. */
EKW_EXPORT const char* ekw_sql_error(void) { return g_sql_error; }

static int sql_fail(int rc, const char* message) {
  snprintf(g_sql_error, sizeof g_sql_error, "%s", message ? message : sqlite3_errstr(rc));
  return rc;
}

static void register_extension(void) {
  /* A plain function pointer in the type SQLite's registry takes. */
  sqlite3_auto_extension((void (*)(void))sqlite3_embedkit_init);
}

/* Opens `path` (an existing file: the store's) with the extension registered.
 * Busy timeout 0: the module runs on one thread, so no other connection of it can
 * release a lock while this one waits; a conflict fails at once ("database is
 * locked") instead of spinning. */
EKW_EXPORT int ekw_sql_open(const char* path, uint32_t read_only, sqlite3** out_db) {
  sqlite3* db = NULL;
  int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_EXRESCODE;
  int rc;
  g_sql_error[0] = '\0';
  *out_db = NULL;
  register_extension();
  rc = sqlite3_open_v2(path, &db, flags, NULL);
  sqlite3_cancel_auto_extension((void (*)(void))sqlite3_embedkit_init);
  if (rc != SQLITE_OK) {
    sql_fail(rc, db ? sqlite3_errmsg(db) : NULL);
    sqlite3_close(db);
    return rc;
  }
  *out_db = db;
  return SQLITE_OK;
}

/* Closes the connection (its statements must be finalized first); the extension's
 * session, context and attached store go with it. */
EKW_EXPORT int ekw_sql_close(sqlite3* db) {
  int rc;
  g_sql_error[0] = '\0';
  rc = sqlite3_close(db);
  if (rc != SQLITE_OK) return sql_fail(rc, sqlite3_errmsg(db));
  return SQLITE_OK;
}

EKW_EXPORT const char* ekw_sql_errmsg(sqlite3* db) { return sqlite3_errmsg(db); }
EKW_EXPORT int ekw_sql_extended_errcode(sqlite3* db) { return sqlite3_extended_errcode(db); }
EKW_EXPORT const char* ekw_sql_errstr(int rc) { return sqlite3_errstr(rc); }
EKW_EXPORT int ekw_sql_autocommit(sqlite3* db) { return sqlite3_get_autocommit(db); }

/* The first statement of `sql` (`bytes` long, UTF-8): *out_stmt (NULL when the text
 * holds only spaces or comments), *out_tail the offset in bytes where the rest begins. */
EKW_EXPORT int ekw_sql_prepare(sqlite3* db, const char* sql, int bytes, sqlite3_stmt** out_stmt,
                               uint32_t* out_tail) {
  const char* tail = sql;
  int rc = sqlite3_prepare_v2(db, sql, bytes, out_stmt, &tail);
  *out_tail = (uint32_t)(tail - sql);
  return rc;
}

EKW_EXPORT int ekw_sql_finalize(sqlite3_stmt* stmt) { return sqlite3_finalize(stmt); }
EKW_EXPORT int ekw_sql_step(sqlite3_stmt* stmt) { return sqlite3_step(stmt); }
EKW_EXPORT int ekw_sql_readonly(sqlite3_stmt* stmt) { return sqlite3_stmt_readonly(stmt); }

/* ---- parameters ---------------------------------------------------------------------- */

EKW_EXPORT int ekw_sql_param_count(sqlite3_stmt* stmt) {
  return sqlite3_bind_parameter_count(stmt);
}

/* ":name", "@name", "$name" as written, or NULL for "?" / "?NNN". */
EKW_EXPORT const char* ekw_sql_param_name(sqlite3_stmt* stmt, int index) {
  return sqlite3_bind_parameter_name(stmt, index);
}

EKW_EXPORT int ekw_sql_bind_null(sqlite3_stmt* stmt, int index) {
  return sqlite3_bind_null(stmt, index);
}

EKW_EXPORT int ekw_sql_bind_double(sqlite3_stmt* stmt, int index, double value) {
  return sqlite3_bind_double(stmt, index, value);
}

EKW_EXPORT int ekw_sql_bind_int64(sqlite3_stmt* stmt, int index, uint32_t low, int32_t high) {
  return sqlite3_bind_int64(stmt, index, (sqlite3_int64)(((uint64_t)(uint32_t)high << 32) | low));
}

/* Text and blobs are copied (SQLITE_TRANSIENT): the JS side frees its buffer at once. */
EKW_EXPORT int ekw_sql_bind_text(sqlite3_stmt* stmt, int index, const char* text, int bytes) {
  return sqlite3_bind_text(stmt, index, text, bytes, SQLITE_TRANSIENT);
}

EKW_EXPORT int ekw_sql_bind_blob(sqlite3_stmt* stmt, int index, const void* data, int bytes) {
  /* sqlite3_bind_blob with a NULL pointer binds NULL: an empty blob is a zeroblob. */
  if (bytes == 0) return sqlite3_bind_zeroblob(stmt, index, 0);
  return sqlite3_bind_blob(stmt, index, data, bytes, SQLITE_TRANSIENT);
}

/* ---- result columns ------------------------------------------------------------------ */

EKW_EXPORT int ekw_sql_column_count(sqlite3_stmt* stmt) { return sqlite3_column_count(stmt); }

EKW_EXPORT const char* ekw_sql_column_name(sqlite3_stmt* stmt, int column) {
  return sqlite3_column_name(stmt, column);
}

/* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL. */
EKW_EXPORT int ekw_sql_column_type(sqlite3_stmt* stmt, int column) {
  return sqlite3_column_type(stmt, column);
}

EKW_EXPORT double ekw_sql_column_double(sqlite3_stmt* stmt, int column) {
  return sqlite3_column_double(stmt, column);
}

/* out[0]: low 32 bits, out[1]: high 32 bits (two's complement). */
EKW_EXPORT void ekw_sql_column_int64(sqlite3_stmt* stmt, int column, uint32_t* out) {
  uint64_t v = (uint64_t)sqlite3_column_int64(stmt, column);
  out[0] = (uint32_t)(v & 0xFFFFFFFFu);
  out[1] = (uint32_t)(v >> 32);
}

/* The value's bytes (UTF-8 for text) and their count in *out_bytes; valid until the
 * next step or finalize. */
EKW_EXPORT const void* ekw_sql_column_text(sqlite3_stmt* stmt, int column, int* out_bytes) {
  const void* p = sqlite3_column_text(stmt, column);
  *out_bytes = sqlite3_column_bytes(stmt, column);
  return p;
}

EKW_EXPORT const void* ekw_sql_column_blob(sqlite3_stmt* stmt, int column, int* out_bytes) {
  const void* p = sqlite3_column_blob(stmt, column);
  *out_bytes = sqlite3_column_bytes(stmt, column);
  return p;
}
