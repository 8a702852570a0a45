// Stores written by earlier releases (tests/fixture/store_v1, tests/fixture/store_v2),
// read through store::Store: as they are when opened read-only, upgraded in place when
// opened for writing (schema version 3: docs/storage.md). The fixtures themselves are
// never opened: each test copies one.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "kernels/kernels.h"
#include "store/store.h"
#include "../error_of.h"
#include "test_util.h"

#ifndef EK_STORE_V2_DIR
#error "EK_STORE_V2_DIR (tests/fixture/store_v2) must be defined by the build"
#endif

namespace ek::store {
namespace {

namespace fs = std::filesystem;
using ek::test::TempDir;

void CpuScan(const kernels::ScanRequest& request, uint64_t /*content_key*/, ThreadPool* pool,
             uint32_t* out_rows, float* out_scores, size_t* out_counts) {
  kernels::ScanTopK(request, pool, out_rows, out_scores, out_counts);
}

std::unique_ptr<Store> OpenStore(const std::string& path, bool read_only = false) {
  return Store::Open(path, OpenOptions{.read_only = read_only, .must_exist = true}, nullptr,
                     &CpuScan);
}

std::string FixtureFile(const std::string& name) { return std::string(EK_STORE_V2_DIR) + "/" + name; }

// A copy of the v2 fixture store in `dir`.
std::string CopyOfV2(const TempDir& dir) {
  const std::string path = dir.File("store_v2.ekdb");
  fs::copy_file(FixtureFile("store_v2.ekdb"), path);
  return path;
}

// One line of inputs/reads.tsv with the hits expected.jsonl records for it.
struct Read {
  std::string collection;
  std::vector<float> query;
  size_t k = 0;
  std::string filter;
  std::vector<std::pair<std::string, float>> hits;  // (id, score) by rank
};

std::vector<float> ParseFloats(const std::string& csv) {
  std::vector<float> out;
  std::stringstream in(csv);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stof(item));
  return out;
}

std::vector<Read> RecordedReads() {
  std::ifstream reads(FixtureFile("inputs/reads.tsv"));
  std::ifstream expected(FixtureFile("expected.jsonl"));
  // The CLI's --json hit: {"rank":N,"id":"...","score":S,"metadata":...}.
  const std::regex hit(R"re("rank":\d+,"id":"([^"]*)","score":([-+0-9.eE]+))re");
  std::vector<Read> out;
  for (std::string line, json; std::getline(reads, line);) {
    Read r;
    std::stringstream fields(line);
    std::string query, k;
    std::getline(fields, r.collection, '\t');
    std::getline(fields, query, '\t');
    std::getline(fields, k, '\t');
    std::getline(fields, r.filter, '\t');
    r.query = ParseFloats(query);
    r.k = std::stoul(k);
    EXPECT_TRUE(std::getline(expected, json)) << "expected.jsonl has fewer lines than reads.tsv";
    for (std::sregex_iterator m(json.begin(), json.end(), hit), end; m != end; ++m)
      r.hits.emplace_back((*m)[1].str(), std::stof((*m)[2].str()));
    out.push_back(std::move(r));
  }
  EXPECT_EQ(out.size(), 5u);
  return out;
}

// Every recorded read answers on `s` as the release that wrote the fixture printed it.
// Scores within 1e-5: the recorded ones went through the CLI's shortest float printing
// on one machine, and another SIMD target may round the last bit differently.
void ExpectRecordedReads(Store& s) {
  for (const Read& r : RecordedReads()) {
    SCOPED_TRACE(r.collection + " k=" + std::to_string(r.k) + " filter=" + r.filter);
    const auto got = s.Search(r.collection, r.query.data(), 1, r.query.size(), r.k, r.filter,
                              false)[0];
    ASSERT_EQ(got.size(), r.hits.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, r.hits[i].first) << "rank " << i + 1;
      EXPECT_NEAR(got[i].score, r.hits[i].second, 1e-5) << "rank " << i + 1;
    }
  }
}

// "name dim count" for every collection, in name order.
std::vector<std::string> Collections(Store& s) {
  std::vector<std::string> out;
  for (const CollectionInfo& c : s.ListCollections())
    out.push_back(c.name + " " + std::to_string(c.dim) + " " + std::to_string(c.count));
  return out;
}

// What tests/fixture/store_v2/store_v2.ekdb holds (make.sh there).
const std::vector<std::string> kV2Collections = {"docs 8 40", "empty 4 0", "points 8 30"};

std::string KvValue(Store& s, std::string_view ns, std::string_view key) {
  std::string out = "<missing>";
  s.KvGet(ns, key, [&](kv::Kind, std::string_view bytes) { out = bytes; });
  return out;
}

TEST(StoreV2Fixture, OpensReadOnlyAndAnswersAsRecorded) {
  TempDir dir;
  const std::string path = CopyOfV2(dir);
  auto s = OpenStore(path, /*read_only=*/true);
  EXPECT_EQ(Collections(*s), kV2Collections);
  EXPECT_EQ(KvValue(*s, "app", "settings"), R"({"fixture":"store_v2"})");
  ExpectRecordedReads(*s);
}

// ---- Upgrades ------------------------------------------------------------------------------

// One SQL statement's rows on the file at `path` (its own read-only connection), each row
// its columns joined by '|'.
std::vector<std::string> Query(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
      row += (c ? "|" : "") + std::string(text ? text : "NULL");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

int64_t UserVersion(const std::string& path) {
  return std::stoll(Query(path, "PRAGMA user_version").at(0));
}

// Every table and index with its SQL, in name order.
std::vector<std::string> Schema(const std::string& path) {
  return Query(path, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
}

// The schema of a store created by this library.
std::vector<std::string> NewStoreSchema(const TempDir& dir) {
  const std::string path = dir.File("new.ekdb");
  Store::Open(path, OpenOptions{}, nullptr, &CpuScan);
  return Schema(path);
}

// Every row of every collection: "collection|id|vector components|metadata".
std::vector<std::string> Contents(Store& s) {
  std::vector<std::string> out;
  for (const CollectionInfo& c : s.ListCollections()) {
    for (const Hit& h : s.List(c.name, 0, c.count, /*include_metadata=*/true)) {
      std::vector<float> v;
      std::optional<std::string> meta;
      EXPECT_TRUE(s.Get(c.name, h.id, &v, &meta));
      std::string row = c.name + "|" + h.id + "|";
      for (float x : v) row += std::to_string(x) + ",";
      out.push_back(row + "|" + meta.value_or("NULL"));
    }
  }
  return out;
}

TEST(Upgrade, V2ToV3InPlace) {
  TempDir dir;
  const std::string path = CopyOfV2(dir);
  std::vector<std::string> before;
  {
    auto ro = OpenStore(path, /*read_only=*/true);
    before = Contents(*ro);
  }
  ASSERT_EQ(before.size(), 70u);
  auto s = OpenStore(path);
  EXPECT_EQ(UserVersion(path), 3);
  // The same tables and indexes, with the same SQL, as a store created at version 3.
  EXPECT_EQ(Schema(path), NewStoreSchema(dir));
  EXPECT_EQ(Query(path, "SELECT count(*) FROM vectors WHERE slot IS NOT NULL"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(Query(path, "PRAGMA integrity_check"), std::vector<std::string>{"ok"});
  EXPECT_EQ(Collections(*s), kV2Collections);
  EXPECT_EQ(Contents(*s), before);
  EXPECT_EQ(KvValue(*s, "app", "settings"), R"({"fixture":"store_v2"})");
  ExpectRecordedReads(*s);
  s.reset();
  // Opened again (read-only this time): nothing left to upgrade, the same answers.
  auto again = OpenStore(path, /*read_only=*/true);
  EXPECT_EQ(UserVersion(path), 3);
  ExpectRecordedReads(*again);
}

TEST(Upgrade, V1ToV3) {
  TempDir dir;
  const std::string path = dir.File("store_v1.ekdb");
  fs::copy_file(EK_STORE_V1_FIXTURE, path);
  std::vector<std::string> before;
  {
    auto ro = OpenStore(path, /*read_only=*/true);
    before = Contents(*ro);
  }
  ASSERT_EQ(UserVersion(path), 1);
  auto s = OpenStore(path);
  EXPECT_EQ(UserVersion(path), 3);
  EXPECT_EQ(Schema(path), NewStoreSchema(dir));
  EXPECT_EQ(Contents(*s), before);
  s->KvPut("app", "k", "1", kv::Kind::kJson);
  EXPECT_EQ(KvValue(*s, "app", "k"), "1");
}

TEST(Upgrade, V2ReadOnlyIsReadAsIs) {
  TempDir dir;
  const std::string path = CopyOfV2(dir);
  const std::vector<std::string> schema = Schema(path);
  auto ro = OpenStore(path, /*read_only=*/true);
  ExpectRecordedReads(*ro);
  const std::string why = ErrorOf([&] { ro->CreateCollection("new", 2, Metric::kDot); },
                                  EK_ERR_READ_ONLY);
  EXPECT_CONTAINS(why, "read-only");
  EXPECT_EQ(UserVersion(path), 2);
  EXPECT_EQ(Schema(path), schema);
  // Another handle upgrades it meanwhile: the first one still reads it.
  auto rw = OpenStore(path);
  EXPECT_EQ(UserVersion(path), 3);
  ExpectRecordedReads(*ro);
  EXPECT_EQ(Collections(*ro), kV2Collections);
}

// Handles on separate connections open one version 1 store for writing at the same
// moment: each upgrade step is done once, under the write lock, and every open succeeds.
TEST(Upgrade, ConcurrentOpensUpgradeOnce) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  GTEST_SKIP() << "needs threads (WASM build without pthreads)";
#endif
  TempDir dir;
  const std::vector<std::string> want = NewStoreSchema(dir);
  for (int round = 0; round < 3; ++round) {
    const std::string path = dir.File("race" + std::to_string(round) + ".ekdb");
    fs::copy_file(EK_STORE_V1_FIXTURE, path);
    std::atomic<int> ready{0};
    std::vector<std::string> errors(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < errors.size(); ++t) {
      threads.emplace_back([&, t] {
        ++ready;
        while (ready.load() < int(errors.size())) std::this_thread::yield();
        try {
          auto s = OpenStore(path);
          if (!s->FindCollection("countries")) errors[t] = "no collection 'countries'";
        } catch (const Error& e) {
          errors[t] = e.what();
        }
      });
    }
    for (std::thread& t : threads) t.join();
    for (const std::string& e : errors) EXPECT_EQ(e, "");
    EXPECT_EQ(UserVersion(path), 3);
    EXPECT_EQ(Schema(path), want);
  }
}

}  // namespace
}  // namespace ek::store
