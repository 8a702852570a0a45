// Whether the SQLite of the process loading the extension is one the extension can run
// in. The extension links the system libsqlite3 and calls sqlite3_* directly (not
// through the loader's sqlite3_api table), which is only safe when the two are the same
// library instance: extension.cc asks this before registering anything.
#pragma once

#include <sqlite3.h>

#include <optional>
#include <string>

namespace ek::sql {

// The flag a function whose results carry a subtype must be registered with: SQLite
// >= 3.45 wants such functions to say so (SQLITE_RESULT_SUBTYPE); older ones have no flag.
#ifdef SQLITE_RESULT_SUBTYPE
inline constexpr int kResultSubtypeFlag = SQLITE_RESULT_SUBTYPE;
#else
inline constexpr int kResultSubtypeFlag = 0;
#endif

// What a SQLite library says about itself: sqlite3_sourceid() (a static string: one
// library instance always returns the same pointer), sqlite3_libversion() and
// sqlite3_libversion_number().
struct SqliteIdentity {
  const char* sourceid = nullptr;
  const char* version = nullptr;
  int version_number = 0;
};

// The SQLite this extension was linked against (the library's answers at run time).
SqliteIdentity LinkedSqlite();

// The oldest SQLite the extension accepts: the major.minor of the headers it was
// compiled with (3.40.x compiled -> 3.40.0), as SQLite's version numbers count.
int RequiredSqliteVersionNumber();

// Empty when `loaded` (the process's SQLite, as the loader's api table reports it) may
// run the extension: at least `required_version_number` and the very library `linked`
// (sourceid pointer identity). Otherwise the refusal, naming both versions.
std::optional<std::string> CheckSqliteCompatible(const SqliteIdentity& loaded,
                                                 const SqliteIdentity& linked,
                                                 int required_version_number);

}  // namespace ek::sql
