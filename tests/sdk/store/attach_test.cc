// The store on a connection its owner keeps (Store::Attach, issue 20): writes join the
// owner's statement or transaction, rollbacks the store was not told about are noticed,
// other connections' commits still arrive, databases that cannot become a store are
// refused untouched, and rows are read by row number (keyset paging).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "store/store.h"
#include "../error_of.h"
#include "test_util.h"

namespace ek::store {
namespace {

using ek::test::TempDir;

constexpr size_t kDim = 4;

void CpuScan(const kernels::ScanRequest& request, uint64_t, ThreadPool* pool, uint32_t* rows,
             float* scores, size_t* counts) {
  kernels::ScanTopK(request, pool, rows, scores, counts);
}

// The owner's connection. Closed with sqlite3_close (not _v2), which fails while any
// statement is left unfinalised: the store must have finalised its own by then.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~Connection() { EXPECT_EQ(sqlite3_close(db_), SQLITE_OK) << sqlite3_errmsg(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* get() const { return db_; }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  // Runs `sql`, which must fail; returns SQLite's message.
  std::string ExecFails(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_NE(rc, SQLITE_OK) << sql;
    std::string message = error ? error : "";
    sqlite3_free(error);
    return message;
  }
  int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sql;
    const int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sql;
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<Store> Attach(Connection& c) { return Store::Attach(c.get(), nullptr, &CpuScan); }

std::unique_ptr<Store> Open(const std::string& path) {
  return Store::Open(path, OpenOptions{}, nullptr, &CpuScan);
}

// Row i's vector: a distinct direction per id number, so each is its own best match.
std::vector<float> VectorOf(int i) {
  return {1.0f + float(i), float(i % 3), float(i % 5) - 2.0f, 0.5f * float(i)};
}

void Put(Store& s, const std::string& collection, const std::vector<int>& numbers) {
  std::vector<std::string> ids, meta;
  std::vector<float> vectors;
  for (int i : numbers) {
    ids.push_back("r" + std::to_string(i));
    meta.push_back("{\"n\":" + std::to_string(i) + "}");
    const std::vector<float> v = VectorOf(i);
    vectors.insert(vectors.end(), v.begin(), v.end());
  }
  std::vector<const char*> id_ptrs, meta_ptrs;
  for (size_t i = 0; i < ids.size(); ++i) {
    id_ptrs.push_back(ids[i].c_str());
    meta_ptrs.push_back(meta[i].c_str());
  }
  UpsertBatch b;
  b.count = ids.size();
  b.ids = id_ptrs.data();
  b.vectors = vectors.data();
  b.dim = kDim;
  b.metadata = meta_ptrs.data();
  s.Upsert(collection, b);
}

// Every id the collection's search finds (k = 1000, ef = 1000: the whole graph), sorted.
std::vector<std::string> Found(Store& s, const std::string& collection) {
  SearchOptions options;
  options.ef = 1000;
  const std::vector<float> q = VectorOf(0);
  auto hits = s.Search(collection, q.data(), 1, kDim, 1000, "", false, options);
  std::vector<std::string> ids;
  for (const Hit& h : hits.at(0)) ids.push_back(h.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<std::string> Names(const std::vector<int>& numbers) {
  std::vector<std::string> ids;
  for (int i : numbers) ids.push_back("r" + std::to_string(i));
  std::sort(ids.begin(), ids.end());
  return ids;
}

IndexOptions Hnsw() {
  IndexOptions o;
  o.kind = IndexKind::kHnsw;
  o.m = 4;
  o.ef_construction = 32;
  return o;
}

// Both kinds of collection go through every write test: the exact one keeps a plain
// warm copy, the hnsw one an indexed copy with a graph.
class AttachWrites : public ::testing::TestWithParam<bool> {
 protected:
  void Create(Store& s) {
    if (GetParam()) s.CreateCollection("docs", kDim, Metric::kL2, Hnsw());
    else s.CreateCollection("docs", kDim, Metric::kL2);
  }
  TempDir dir_;
};

TEST_P(AttachWrites, CommittedRowsStayAndRolledBackOnesGoWhenTold) {
  Connection c(dir_.File("s.db"));
  auto s = Attach(c);
  Create(*s);
  c.Exec("BEGIN");
  Put(*s, "docs", {1, 2, 3});
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 3}));  // the owner's transaction sees its rows
  c.Exec("COMMIT");

  c.Exec("BEGIN");
  Put(*s, "docs", {4, 5});
  EXPECT_EQ(s->Delete("docs", {"r1"}), 1u);
  EXPECT_EQ(Found(*s, "docs"), Names({2, 3, 4, 5}));  // warm copy and graph follow the writes
  c.Exec("ROLLBACK");
  s->ForgetUncommitted();
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 3}));
  EXPECT_EQ(s->Count("docs"), 3u);
  std::vector<float> v;
  EXPECT_FALSE(s->Get("docs", "r4", &v, nullptr));

  // The graph the rollback left is whole: later writes link into it.
  Put(*s, "docs", {6});
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 3, 6}));
  s.reset();
  auto reopened = Open(dir_.File("s.db"));
  EXPECT_EQ(Found(*reopened, "docs"), Names({1, 2, 3, 6}));
}

TEST_P(AttachWrites, RollbackTheStoreWasNotToldAboutIsNoticed) {
  Connection c(dir_.File("s.db"));
  auto s = Attach(c);
  Create(*s);
  Put(*s, "docs", {1, 2});
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2}));  // warm copy loaded
  c.Exec("BEGIN");
  Put(*s, "docs", {3});
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 3}));
  c.Exec("ROLLBACK");
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2}));

  // ROLLBACK TO undoes only what followed the savepoint.
  c.Exec("BEGIN; SAVEPOINT a");
  Put(*s, "docs", {4});
  c.Exec("SAVEPOINT b");
  Put(*s, "docs", {5});
  EXPECT_EQ(s->Delete("docs", {"r1"}), 1u);
  EXPECT_EQ(Found(*s, "docs"), Names({2, 4, 5}));
  c.Exec("ROLLBACK TO b");
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 4}));
  c.Exec("COMMIT");
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 4}));
}

// A virtual table's xUpdate calls the store while the owner's INSERT runs. Here an SQL
// function does the same from inside an INSERT: the store must join that statement
// (no BEGIN, no SAVEPOINT), so the statement's failure takes the store's rows with it.
void PutFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* store = static_cast<Store*>(sqlite3_user_data(ctx));
  try {
    Put(*store, "docs", {sqlite3_value_int(argv[0])});
    sqlite3_result_int(ctx, 1);
  } catch (const std::exception& e) {
    sqlite3_result_error(ctx, e.what(), -1);
  }
}

TEST_P(AttachWrites, WritesJoinTheOwnersRunningStatement) {
  Connection c(dir_.File("s.db"));
  c.Exec("CREATE TABLE log (x INTEGER NOT NULL)");
  auto s = Attach(c);
  Create(*s);
  ASSERT_EQ(sqlite3_create_function(c.get(), "put", 1, SQLITE_UTF8, s.get(), &PutFunction,
                                    nullptr, nullptr),
            SQLITE_OK);
  c.Exec("INSERT INTO log (x) SELECT put(1) UNION ALL SELECT put(2)");
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2}));
  // The second row breaks NOT NULL after put(3) wrote: the statement fails whole.
  EXPECT_CONTAINS(c.ExecFails("INSERT INTO log (x) SELECT put(3) UNION ALL SELECT NULL"),
                  "NOT NULL");
  EXPECT_EQ(c.Int("SELECT count(*) FROM log"), 2);
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2}));
  auto other = Open(dir_.File("s.db"));
  EXPECT_EQ(Found(*other, "docs"), Names({1, 2}));
}

INSTANTIATE_TEST_SUITE_P(ExactAndHnsw, AttachWrites, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Hnsw" : "Exact"; });

int CountCommit(void* count) {
  ++*static_cast<int*>(count);
  return 0;
}

// On an idle connection in autocommit mode a call is one transaction of its own (not
// one per statement); inside the owner's transaction it commits nothing.
TEST(Attach, OneCommitPerCallOutsideTheOwnersTransaction) {
  TempDir dir;
  Connection c(dir.File("s.db"));
  auto s = Attach(c);
  s->CreateCollection("docs", kDim, Metric::kCosine, Hnsw());
  int commits = 0;
  sqlite3_commit_hook(c.get(), &CountCommit, &commits);
  Put(*s, "docs", {1, 2, 3});
  EXPECT_EQ(commits, 1);
  c.Exec("BEGIN");
  Put(*s, "docs", {4});
  EXPECT_EQ(s->Delete("docs", {"r1"}), 1u);
  EXPECT_EQ(commits, 1);
  c.Exec("COMMIT");
  EXPECT_EQ(commits, 2);
  sqlite3_commit_hook(c.get(), nullptr, nullptr);
}

TEST(Attach, LeavesTheOwnersSettingsAlone) {
  TempDir dir;
  Connection c(dir.File("s.db"));
  c.Exec("PRAGMA journal_mode=TRUNCATE");
  c.Exec("PRAGMA secure_delete=0");  // Debian's build defaults to 1
  sqlite3_busy_timeout(c.get(), 1234);
  auto s = Attach(c);
  s->CreateCollection("docs", kDim, Metric::kL2);
  Put(*s, "docs", {1, 2});
  EXPECT_EQ(s->Delete("docs", {"r1"}), 1u);
  EXPECT_EQ(c.Text("PRAGMA journal_mode"), "truncate");
  EXPECT_EQ(c.Int("PRAGMA busy_timeout"), 1234);
  EXPECT_EQ(c.Int("PRAGMA secure_delete"), 0);
  // No extended result codes switched on: a constraint failure reads as the primary code.
  c.Exec("CREATE TABLE t (x INTEGER PRIMARY KEY)");
  c.Exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(sqlite3_exec(c.get(), "INSERT INTO t VALUES (1)", nullptr, nullptr, nullptr),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(sqlite3_extended_errcode(c.get()), SQLITE_CONSTRAINT_PRIMARYKEY);
  EXPECT_EQ(sqlite3_errcode(c.get()), SQLITE_CONSTRAINT);
}

TEST(Attach, OtherConnectionsCommitsReachItAndItsReachThem) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  Connection c(path);
  c.Exec("PRAGMA journal_mode=WAL");
  auto s = Attach(c);
  s->CreateCollection("docs", kDim, Metric::kL2, Hnsw());
  c.Exec("BEGIN");
  Put(*s, "docs", {1, 2});
  c.Exec("COMMIT");
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2}));  // warm copy loaded

  auto other = Open(path);
  EXPECT_EQ(Found(*other, "docs"), Names({1, 2}));
  Put(*other, "docs", {3});
  EXPECT_EQ(other->Delete("docs", {"r1"}), 1u);
  EXPECT_EQ(Found(*s, "docs"), Names({2, 3}));  // through PRAGMA data_version

  c.Exec("BEGIN");
  Put(*s, "docs", {4});
  EXPECT_EQ(Found(*other, "docs"), Names({2, 3}));  // not before the owner commits
  c.Exec("COMMIT");
  EXPECT_EQ(Found(*other, "docs"), Names({2, 3, 4}));
}

TEST(Attach, MakesAStoreBesideTheOwnersTables) {
  TempDir dir;
  Connection c(dir.File("app.db"));
  c.Exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
  auto s = Attach(c);
  EXPECT_EQ(c.Int("PRAGMA application_id"), 0x454B5354);
  EXPECT_EQ(c.Int("PRAGMA user_version"), 3);
  EXPECT_EQ(c.Text("SELECT body FROM notes"), "keep me");
  s->CreateCollection("docs", kDim, Metric::kL2);
  s->KvPut("app", "k", "v", kv::Kind::kBlob);
  s.reset();
  auto again = Attach(c);  // an embedkit store now: used as it is
  EXPECT_TRUE(again->FindCollection("docs"));
}

TEST(Attach, SchemaMadeInsideARolledBackTransactionIsMadeAgain) {
  TempDir dir;
  Connection c(dir.File("s.db"));
  c.Exec("BEGIN");
  auto s = Attach(c);
  s->CreateCollection("docs", kDim, Metric::kL2);
  c.Exec("ROLLBACK");
  EXPECT_EQ(c.Int("PRAGMA application_id"), 0);
  EXPECT_FALSE(s->FindCollection("docs"));  // noticed: schema made anew, empty
  EXPECT_EQ(c.Int("PRAGMA application_id"), 0x454B5354);
  s->CreateCollection("docs", kDim, Metric::kL2);
  Put(*s, "docs", {1});
  EXPECT_EQ(Found(*s, "docs"), Names({1}));
}

// A database that cannot become a store is refused with the reason, and nothing in it
// changes.
struct Refusal {
  const char* setup;
  const char* message;
};

class AttachRefuses : public ::testing::TestWithParam<Refusal> {};

TEST_P(AttachRefuses, NamesWhatDisqualifiesTheDatabase) {
  TempDir dir;
  Connection c(dir.File("app.db"));
  c.Exec(GetParam().setup);
  const int64_t app_id = c.Int("PRAGMA application_id");
  const int64_t version = c.Int("PRAGMA user_version");
  const int64_t objects = c.Int("SELECT count(*) FROM sqlite_schema");
  const std::string message =
      ErrorOf([&] { Attach(c); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(message, "cannot hold an embedkit store: ");
  EXPECT_CONTAINS(message, GetParam().message);
  EXPECT_CONTAINS(message, "store file of their own");
  EXPECT_EQ(c.Int("PRAGMA application_id"), app_id);
  EXPECT_EQ(c.Int("PRAGMA user_version"), version);
  EXPECT_EQ(c.Int("SELECT count(*) FROM sqlite_schema"), objects);
}

INSTANTIATE_TEST_SUITE_P(
    Databases, AttachRefuses,
    ::testing::Values(
        Refusal{"PRAGMA application_id=1234", "its application_id is 0x000004D2, so it belongs "
                                              "to another application"},
        Refusal{"PRAGMA user_version=7", "its user_version is 7, set by its own application"},
        Refusal{"CREATE TABLE vectors (x)", "its own table 'vectors' has a name embedkit's store uses"},
        Refusal{"CREATE TABLE Collections (x)", "its own table 'Collections' has a name"},
        Refusal{"CREATE TABLE t (x); CREATE INDEX vectors_slot ON t (x)",
                "its own index 'vectors_slot' has a name"},
        Refusal{"CREATE VIEW ek_things AS SELECT 1", "its own view 'ek_things' has a name"}));

TEST(Attach, RefusesANewerSchema) {
  TempDir dir;
  {
    auto made = Open(dir.File("s.db"));
  }
  Connection c(dir.File("s.db"));
  c.Exec("PRAGMA user_version=99");
  EXPECT_CONTAINS(ErrorOf([&] { Attach(c); }, EK_ERR_UNSUPPORTED), "schema version 99");
}

// A store from an earlier release is upgraded on an idle connection only: the upgrade's
// ALTER TABLE reloads the schema, which SQLite cannot survive inside a running
// statement (a virtual table's xCreate).
TEST(Attach, UpgradesAnOlderStoreOnlyOnAnIdleConnection) {
  TempDir dir;
  const std::string path = dir.File("v2.ekdb");
  std::filesystem::copy_file(EK_STORE_V2_FIXTURE, path);
  Connection c(path);
  c.Exec("BEGIN");
  EXPECT_CONTAINS(ErrorOf([&] { Attach(c); }, EK_ERR_UNSUPPORTED),
                  "has schema version 2 and needs an upgrade to version 3 (ALTER TABLE), which "
                  "cannot run while a statement runs or a transaction is open");
  c.Exec("COMMIT");
  EXPECT_EQ(c.Int("PRAGMA user_version"), 2);
  auto s = Attach(c);
  EXPECT_EQ(c.Int("PRAGMA user_version"), 3);
  EXPECT_FALSE(s->ListCollections().empty());
}

TEST(Attach, ReadOnlyConnectionReadsAStoreButMakesNone) {
  TempDir dir;
  {
    auto made = Open(dir.File("s.db"));
    made->CreateCollection("docs", kDim, Metric::kL2);
    Put(*made, "docs", {1});
  }
  sqlite3* ro = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir.File("s.db").c_str(), &ro, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  {
    auto s = Store::Attach(ro, nullptr, &CpuScan);
    EXPECT_EQ(Found(*s, "docs"), Names({1}));
    EXPECT_CONTAINS(ErrorOf([&] { Put(*s, "docs", {2}); }, EK_ERR_READ_ONLY),
                    "the connection it is attached to is read-only");
  }
  EXPECT_EQ(sqlite3_close(ro), SQLITE_OK);

  Connection empty(dir.File("empty.db"));
  empty.Exec("CREATE TABLE t (x)");
  sqlite3* ro_empty = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir.File("empty.db").c_str(), &ro_empty, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  EXPECT_CONTAINS(ErrorOf([&] { Store::Attach(ro_empty, nullptr, &CpuScan); }, EK_ERR_READ_ONLY),
                  "holds no embedkit store yet and the connection is read-only");
  EXPECT_EQ(sqlite3_close(ro_empty), SQLITE_OK);
}

TEST(Attach, StoreTransactionsAreRefused) {
  TempDir dir;
  Connection c(dir.File("s.db"));
  auto s = Attach(c);
  for (auto call : std::vector<std::function<void()>>{
           [&] { s->Begin(); }, [&] { s->Commit(); }, [&] { s->Rollback(); }}) {
    EXPECT_CONTAINS(ErrorOf(call, EK_ERR_UNSUPPORTED),
                    "use SQL's BEGIN, COMMIT and ROLLBACK on that connection");
  }
  for (auto call : std::vector<std::function<void()>>{[&] { s->CommitNested(); },
                                                      [&] { s->RollbackNested(); }}) {
    EXPECT_CONTAINS(ErrorOf(call, EK_ERR_INVALID_ARGUMENT), "no transaction is open");
  }
  EXPECT_EQ(sqlite3_get_autocommit(c.get()), 1);
}

// A plugin's request (BeginNested .. CommitNested/RollbackNested, as ek_host lends them):
// on an idle connection, and inside a read statement of the owner's (an SQL function in
// a SELECT), one transaction of its own that a rollback undoes; inside the owner's
// transaction, part of it (no savepoint, nothing committed), undone by the owner.
TEST(Attach, PluginRequestsAreTheirOwnTransactionOrJoinTheOwners) {
  TempDir dir;
  Connection c(dir.File("s.db"));
  auto s = Attach(c);
  s->CreateCollection("docs", kDim, Metric::kL2);
  int commits = 0;
  sqlite3_commit_hook(c.get(), &CountCommit, &commits);
  s->BeginNested();
  Put(*s, "docs", {1});
  Put(*s, "docs", {2});
  EXPECT_EQ(sqlite3_get_autocommit(c.get()), 0);
  s->CommitNested();
  EXPECT_EQ(commits, 1);  // both writes in one commit
  s->BeginNested();
  Put(*s, "docs", {3});
  s->RollbackNested();
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2}));
  EXPECT_EQ(sqlite3_get_autocommit(c.get()), 1);

  sqlite3_stmt* reading = nullptr;  // the owner's SELECT, still running
  ASSERT_EQ(sqlite3_prepare_v2(c.get(), "SELECT 1 UNION ALL SELECT 2", -1, &reading, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(reading), SQLITE_ROW);
  s->BeginNested();
  Put(*s, "docs", {4});
  s->CommitNested();
  EXPECT_EQ(commits, 2);
  sqlite3_finalize(reading);

  c.Exec("BEGIN");
  s->BeginNested();
  s->BeginNested();  // nested requests join as well
  Put(*s, "docs", {5});
  s->CommitNested();
  s->CommitNested();
  EXPECT_EQ(commits, 2);
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 4, 5}));
  c.Exec("ROLLBACK");
  EXPECT_EQ(Found(*s, "docs"), Names({1, 2, 4}));  // noticed through the write stamp
  sqlite3_commit_hook(c.get(), nullptr, nullptr);
}

TEST(Attach, CompactIndexRebuildsWithoutVacuum) {
  TempDir dir;
  Connection c(dir.File("s.db"));
  auto s = Attach(c);
  s->CreateCollection("docs", kDim, Metric::kL2, Hnsw());
  Put(*s, "docs", {1, 2, 3, 4});
  EXPECT_EQ(s->Delete("docs", {"r2"}), 1u);
  c.Exec("BEGIN");
  EXPECT_EQ(s->CompactIndex("docs", nullptr), 0u);  // inside the owner's transaction
  c.Exec("COMMIT");
  EXPECT_EQ(Found(*s, "docs"), Names({1, 3, 4}));
}

// ---- Rows by number ----------------------------------------------------------------

std::vector<std::string> IdsOf(const std::vector<Row>& rows) {
  std::vector<std::string> ids;
  for (const Row& r : rows) ids.push_back(r.id);
  return ids;
}

class AttachRows : public AttachWrites {};

TEST_P(AttachRows, ListAfterPagesByRowNumberAcrossADelete) {
  Connection c(dir_.File("s.db"));
  auto s = Attach(c);
  Create(*s);
  s->CreateCollection("other", kDim, Metric::kL2);
  Put(*s, "docs", {1, 2, 3});
  Put(*s, "other", {100});  // row numbers interleave across collections
  Put(*s, "docs", {4, 5, 6, 7});

  std::vector<Row> page = s->ListAfter("docs", 0, 3, false, false);
  ASSERT_EQ(IdsOf(page), (std::vector<std::string>{"r1", "r2", "r3"}));
  EXPECT_TRUE(page[0].vector.empty());
  EXPECT_FALSE(page[0].metadata);
  EXPECT_LT(page[0].row, page[1].row);
  // A row already read and the next one go between pages: nothing repeats or is skipped.
  EXPECT_EQ(s->Delete("docs", {"r2", "r4"}), 2u);
  page = s->ListAfter("docs", page.back().row, 2, true, true);
  ASSERT_EQ(IdsOf(page), (std::vector<std::string>{"r5", "r6"}));
  EXPECT_EQ(page[0].vector, VectorOf(5));
  EXPECT_EQ(page[0].metadata.value_or(""), "{\"n\":5}");
  page = s->ListAfter("docs", page.back().row, 2, false, false);
  EXPECT_EQ(IdsOf(page), (std::vector<std::string>{"r7"}));
  EXPECT_TRUE(s->ListAfter("docs", page.back().row, 2, false, false).empty());
  EXPECT_EQ(IdsOf(s->ListAfter("docs", 0, 0, false, false)),
            (std::vector<std::string>{"r1", "r3", "r5", "r6", "r7"}));
  EXPECT_EQ(IdsOf(s->ListAfter("other", 0, 0, false, false)), std::vector<std::string>{"r100"});
  EXPECT_CONTAINS(ErrorOf([&] { s->ListAfter("nope", 0, 0, false, false); }, EK_ERR_NOT_FOUND),
                  "no collection named 'nope'");
}

TEST_P(AttachRows, RowOfAndGetRow) {
  Connection c(dir_.File("s.db"));
  auto s = Attach(c);
  Create(*s);
  s->CreateCollection("other", kDim, Metric::kL2);
  Put(*s, "docs", {1, 2});
  Put(*s, "other", {3});
  const std::optional<int64_t> row = s->RowOf("docs", "r2");
  ASSERT_TRUE(row);
  std::optional<Row> got = s->GetRow("docs", *row, true, true);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->row, *row);
  EXPECT_EQ(got->id, "r2");
  EXPECT_EQ(got->vector, VectorOf(2));
  EXPECT_EQ(got->metadata.value_or(""), "{\"n\":2}");
  got = s->GetRow("docs", *row, false, false);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->vector.empty());
  EXPECT_FALSE(got->metadata);

  Put(*s, "docs", {2});  // an upsert of an existing id keeps its row number
  EXPECT_EQ(s->RowOf("docs", "r2"), row);
  EXPECT_FALSE(s->RowOf("docs", "r3"));  // another collection's id
  EXPECT_FALSE(s->RowOf("docs", ""));    // no row can have it
  const std::optional<int64_t> other_row = s->RowOf("other", "r3");
  ASSERT_TRUE(other_row);
  EXPECT_FALSE(s->GetRow("docs", *other_row, true, true));
  EXPECT_FALSE(s->GetRow("docs", *other_row + 1000, true, true));
  EXPECT_EQ(s->Delete("docs", {"r2"}), 1u);
  EXPECT_FALSE(s->GetRow("docs", *row, false, false));
  EXPECT_FALSE(s->RowOf("docs", "r2"));
}

INSTANTIATE_TEST_SUITE_P(ExactAndHnsw, AttachRows, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Hnsw" : "Exact"; });

}  // namespace
}  // namespace ek::store
