// The third-party libraries of the WASM build, compiled from Debian's sources by
// wasm/cmake/deps.cmake, do what the SDK needs from them under node:
// SQLite on a real file (NODERAWFS), simdjson's fallback parser, Highway's SIMD128
// target, and C++ exceptions that can be caught (-fwasm-exceptions).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "simdjson.h"

namespace hn = hwy::HWY_NAMESPACE;

TEST(WasmDeps, SqliteVersionAndFile) {
  EXPECT_STREQ(sqlite3_libversion(), "3.40.1");
  EXPECT_EQ(sqlite3_threadsafe(), 0);
  const char* path = "wasm_deps_smoke.db";
  std::remove(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA journal_mode=WAL; CREATE TABLE t(x INTEGER);"
                         "INSERT INTO t VALUES (41),(1);",
                         nullptr, nullptr, &err),
            SQLITE_OK)
      << (err ? err : "");
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT sum(x), json_object('a', 1) FROM t", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 42);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), "{\"a\":1}");
  sqlite3_finalize(st);
  sqlite3_close(db);
  // The file is really on disk: reopen and read it back.
  ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 2);
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::remove(path);
}

TEST(WasmDeps, SimdjsonParses) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string json(std::string(R"({"k": [1, 2.5, "x"], "b": true})"));
  auto doc = parser.iterate(json);
  double v = doc["k"].at(1).get_double();
  EXPECT_DOUBLE_EQ(v, 2.5);
  simdjson::dom::parser dom;
  auto bad = dom.parse(std::string_view("{\"a\": "));
  EXPECT_NE(bad.error(), simdjson::SUCCESS);
}

TEST(WasmDeps, HighwayIsSimd128) {
  EXPECT_STREQ(hwy::TargetName(HWY_TARGET), "WASM");
  const hn::ScalableTag<float> d;
  EXPECT_EQ(hn::Lanes(d), 4u);
  auto a = hwy::AllocateAligned<float>(16);
  for (int i = 0; i < 16; ++i) a[i] = static_cast<float>(i);
  auto sum = hn::Zero(d);
  for (size_t i = 0; i < 16; i += hn::Lanes(d)) sum = hn::Add(sum, hn::Load(d, a.get() + i));
  EXPECT_FLOAT_EQ(hn::GetLane(hn::SumOfLanes(d, sum)), 120.0f);
}

TEST(WasmDeps, ExceptionsAreCaught) {
  std::string what;
  try {
    throw std::runtime_error("caught in wasm");
  } catch (const std::exception& e) {
    what = e.what();
  }
  EXPECT_EQ(what, "caught in wasm");
}
