#include "sql/sqlite_compat.h"

#include <sqlite3.h>

namespace ek::sql {
namespace {

// "3.40.0" from 3040000.
std::string VersionText(int number) {
  return std::to_string(number / 1000000) + "." + std::to_string(number / 1000 % 1000) + "." +
         std::to_string(number % 1000);
}

std::string Describe(const SqliteIdentity& library) {
  std::string text = "SQLite ";
  text += library.version ? library.version : VersionText(library.version_number);
  if (library.sourceid) text += std::string(" (") + library.sourceid + ")";
  return text;
}

}  // namespace

SqliteIdentity LinkedSqlite() {
  return {sqlite3_sourceid(), sqlite3_libversion(), sqlite3_libversion_number()};
}

int RequiredSqliteVersionNumber() { return SQLITE_VERSION_NUMBER - SQLITE_VERSION_NUMBER % 1000; }

std::optional<std::string> CheckSqliteCompatible(const SqliteIdentity& loaded,
                                                 const SqliteIdentity& linked,
                                                 int required_version_number) {
  if (loaded.version_number < required_version_number) {
    return "embedkit: this process runs " + Describe(loaded) + ", older than the " +
           VersionText(required_version_number) + " libembedkit_sqlite needs (it was built for " +
           Describe(linked) + ")";
  }
  if (loaded.sourceid != linked.sourceid) {
    return "embedkit: this process runs " + Describe(loaded) +
           ", not the library libembedkit_sqlite was linked against, " + Describe(linked) +
           " (two copies of SQLite in one process cannot share a connection, even of one "
           "version): load it into a program that uses the system libsqlite3 (the sqlite3 shell, "
           "Python's sqlite3), or build the extension against this program's SQLite";
  }
  return std::nullopt;
}

}  // namespace ek::sql
