// ek_store_attach_connection (sdk/capi/store_attach.h, internal): an ek_store handle on
// a connection the caller keeps, usable with the C API's collection functions, whose
// writes join the caller's transaction; errors reach ek_last_error.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "capi/store_attach.h"
#include "embedkit/embedkit.h"
#include "test_util.h"

namespace {

using ek::test::TempDir;

TEST(AttachConnection, HandleWorksWithTheCollectionFunctionsInsideTheOwnersTransaction) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("s.db").c_str(), &db), SQLITE_OK);
  ek_context* context = nullptr;
  ASSERT_EQ(ek_context_create(nullptr, &context), EK_OK) << ek_last_error();
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_attach_connection(context, db, &store), EK_OK) << ek_last_error();

  ek_collection* docs = nullptr;
  ASSERT_EQ(ek_collection_create(store, "docs", 2, EK_METRIC_L2, &docs), EK_OK) << ek_last_error();
  ASSERT_EQ(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  const char* ids[] = {"a", "b"};
  const float vectors[] = {1, 0, 0, 1};
  ek_upsert_batch batch{};
  batch.struct_size = sizeof(batch);
  batch.count = 2;
  batch.ids = ids;
  batch.vectors = vectors;
  batch.dim = 2;
  ASSERT_EQ(ek_collection_upsert(docs, &batch), EK_OK) << ek_last_error();
  ASSERT_EQ(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  uint64_t count = 99;
  ASSERT_EQ(ek_collection_count(docs, &count), EK_OK) << ek_last_error();
  EXPECT_EQ(count, 0u);  // the caller's rollback took the rows
  EXPECT_EQ(StoreOf(store).Count("docs"), 0u);

  // Store transactions are the caller's SQL ones.
  EXPECT_EQ(ek_store_begin(store), EK_ERR_UNSUPPORTED);
  EXPECT_NE(std::string(ek_last_error()).find("ek_store_begin: "), std::string::npos);

  ek_collection_free(docs);
  ek_store_free(store);
  ek_context_free(context);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);  // the store finalised its statements
}

TEST(AttachConnection, RefusalsReachLastError) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("app.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=5", nullptr, nullptr, nullptr), SQLITE_OK);
  ek_context* context = nullptr;
  ASSERT_EQ(ek_context_create(nullptr, &context), EK_OK) << ek_last_error();
  ek_store* store = reinterpret_cast<ek_store*>(1);
  EXPECT_EQ(ek_store_attach_connection(context, db, &store), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(store, nullptr);
  const std::string message = ek_last_error();
  EXPECT_NE(message.find("ek_store_attach_connection: database '"), std::string::npos) << message;
  EXPECT_NE(message.find("its user_version is 5"), std::string::npos) << message;
  EXPECT_EQ(ek_store_attach_connection(context, nullptr, &store), EK_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(ek_last_error(), "ek_store_attach_connection: argument 'db' is NULL");
  ek_context_free(context);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

}  // namespace
