// The load-time check of sdk/sql/extension.cc as a pure function: the extension runs
// only inside the very SQLite library it linked, at least as new as its headers'
// major.minor, and the refusal names both libraries.
#include "sql/sqlite_compat.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

namespace ek::sql {
namespace {

TEST(SqliteCompat, TheLinkedLibraryItselfIsAccepted) {
  EXPECT_EQ(CheckSqliteCompatible(LinkedSqlite(), LinkedSqlite(), RequiredSqliteVersionNumber()),
            std::nullopt);
}

TEST(SqliteCompat, LinkedIdentityIsTheLibrarysOwnAnswers) {
  SqliteIdentity linked = LinkedSqlite();
  EXPECT_EQ(linked.sourceid, sqlite3_sourceid());
  EXPECT_STREQ(linked.version, sqlite3_libversion());
  EXPECT_EQ(linked.version_number, sqlite3_libversion_number());
}

TEST(SqliteCompat, RequiredVersionIsTheHeadersMajorMinor) {
  int required = RequiredSqliteVersionNumber();
  EXPECT_EQ(required % 1000, 0);
  EXPECT_EQ(required / 1000, SQLITE_VERSION_NUMBER / 1000);
  EXPECT_LE(required, sqlite3_libversion_number());
}

// Another copy of SQLite in the process: the same version text at another address.
TEST(SqliteCompat, ASecondCopyOfTheSameVersionIsRefused) {
  SqliteIdentity linked = LinkedSqlite();
  std::string other_copy = linked.sourceid;  // equal text, different pointer
  SqliteIdentity loaded{other_copy.c_str(), linked.version, linked.version_number};
  auto refusal = CheckSqliteCompatible(loaded, linked, RequiredSqliteVersionNumber());
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->rfind("embedkit: this process runs SQLite " + std::string(linked.version), 0),
            0u)
      << *refusal;
  EXPECT_NE(refusal->find("not the library libembedkit_sqlite was linked against, SQLite " +
                          std::string(linked.version) + " (" + linked.sourceid + ")"),
            std::string::npos)
      << *refusal;
}

TEST(SqliteCompat, AnOlderSqliteIsRefusedNamingBothVersions) {
  SqliteIdentity linked{"2022-12-28 linked", "3.40.1", 3040001};
  SqliteIdentity loaded{"2019-10-10 loaded", "3.30.1", 3030001};
  auto refusal = CheckSqliteCompatible(loaded, linked, 3040000);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(*refusal,
            "embedkit: this process runs SQLite 3.30.1 (2019-10-10 loaded), older than the "
            "3.40.0 libembedkit_sqlite needs (it was built for SQLite 3.40.1 (2022-12-28 linked))");
}

TEST(SqliteCompat, VersionIsCheckedBeforeIdentity) {
  // Old and a different library: the version is the more useful thing to say.
  SqliteIdentity linked{"linked", "3.40.1", 3040001};
  SqliteIdentity loaded{"loaded", nullptr, 3039004};
  auto refusal = CheckSqliteCompatible(loaded, linked, 3040000);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("SQLite 3.39.4 (loaded), older than the 3.40.0"), std::string::npos)
      << *refusal;
}

TEST(SqliteCompat, ANewerPatchOfTheSameLibraryIsAccepted) {
  const char* same = "one library";
  SqliteIdentity linked{same, "3.40.1", 3040001};
  SqliteIdentity loaded{same, "3.40.1", 3040001};
  EXPECT_EQ(CheckSqliteCompatible(loaded, linked, 3040000), std::nullopt);
}

}  // namespace
}  // namespace ek::sql
