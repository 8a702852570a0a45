// The extension's entry points: `.load libembedkit_sqlite` (SQLite derives
// sqlite3_embedkitsqlite_init from the file name) and sqlite3_embedkit_init, the same
// function under the name a static registration uses (docs/design/sql_extension.md).
//
// Why the SQLite identity check comes first: every other file of sdk/sql (and the
// store below it) calls sqlite3_* directly, bound at link time to the system
// libsqlite3, not through the sqlite3_api table the loader hands us. That is only
// correct when the loading program runs that very library: a second copy of SQLite in
// the process (a program with SQLite compiled in, another build) has its own mutexes,
// allocator and structure layouts, and passing its sqlite3* to our copy corrupts both.
// sqlite3_sourceid() returns a static string, so the same library instance returns the
// same pointer: pointer identity proves one library, whatever the version strings say.
// Only this file uses the api table (sqlite3ext.h), so that the refusal message is
// allocated by the loader's own library, which frees it.
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <exception>
#include <memory>
#include <string>

#include "embedkit/embedkit.h"
#include "sql/functions.h"
#include "sql/plugin_functions.h"
#include "sql/session.h"
#include "sql/sql_error.h"
#include "sql/sqlite_compat.h"
#include "sql/vtab.h"

namespace ek::sql {
namespace {

// embedkit_version(): "embedkit 0.1.0 (ABI 1.2)", the SDK copy inside this extension.
void EmbedkitVersion(sqlite3_context* ctx, int, sqlite3_value**) {
  const uint32_t abi = ek_abi_version();
  const std::string text = std::string("embedkit ") + ek_version() + " (ABI " +
                           std::to_string(abi >> 16) + "." + std::to_string(abi & 0xffff) + ")";
  sqlite3_result_text(ctx, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// The process's SQLite as the loader's api table reports it (sourceid() exists in
// every api table since 3.6.18, so reading it is safe before the version is known).
SqliteIdentity LoadedSqlite() {
  return {sqlite3_api->sourceid(), sqlite3_api->libversion(), sqlite3_api->libversion_number()};
}

int SetInitError(char** pz_err, const std::string& message) {
  if (pz_err) *pz_err = sqlite3_mprintf("%s", message.c_str());
  return SQLITE_ERROR;
}

int RegisterAll(sqlite3* db, char** pz_err) {
  auto session = std::make_unique<Session>(db);
  int rc = sqlite3_create_function_v2(db, "embedkit_version", 0,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      nullptr, Guarded<EmbedkitVersion>, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SetInitError(pz_err, "embedkit: registering embedkit_version() failed");
  rc = RegisterVectorFunctions(db);
  if (rc != SQLITE_OK) return SetInitError(pz_err, "embedkit: registering the vec_* functions failed");
  // From here on the module owns the session (SQLite deletes it through the module's
  // destructor when the connection closes, or at once if registration fails).
  Session* shared = session.get();
  rc = RegisterEmbedkitModule(db, session.release());
  if (rc != SQLITE_OK) return SetInitError(pz_err, "embedkit: registering the embedkit module failed");
  rc = RegisterPluginFunctions(db, shared);  // after: they use the module's session
  if (rc != SQLITE_OK) return SetInitError(pz_err, "embedkit: registering the plugin functions failed");
  return SQLITE_OK;
}

}  // namespace
}  // namespace ek::sql

extern "C" __attribute__((visibility("default"))) int sqlite3_embedkitsqlite_init(
    sqlite3* db, char** pz_err, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  using namespace ek::sql;
  if (auto refusal = CheckSqliteCompatible(LoadedSqlite(), LinkedSqlite(),
                                           RequiredSqliteVersionNumber())) {
    return SetInitError(pz_err, *refusal);
  }
  // Loaded again into the same connection: keep the first session. A second one would
  // hold a second warm copy of the same store that never sees the first one's writes
  // (PRAGMA data_version moves only for other connections' commits).
  if (Session::ExistsFor(db)) return SQLITE_OK;
  try {
    return RegisterAll(db, pz_err);
  } catch (const std::exception& e) {
    return SetInitError(pz_err, ErrorText(e));
  }
}

extern "C" __attribute__((visibility("default"), alias("sqlite3_embedkitsqlite_init"))) int
sqlite3_embedkit_init(sqlite3* db, char** pz_err, const sqlite3_api_routines* api);
