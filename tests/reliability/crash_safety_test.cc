// Crash safety: a writer process (ek_store_writer) doing batched upserts, whole-batch
// replacements and deletes is killed with SIGKILL at random moments, again and again
// on the same store file. After every kill:
//   - SQLite's PRAGMA integrity_check is "ok";
//   - every batch is complete or absent (no partial batch is visible);
//   - every acknowledged operation is there (only the one in flight may be either);
//   - embedkit opens the store and its count and search agree with the file.
// The same with an hnsw collection of more than 4096 rows (so searches use the graph),
// where the killed runs alternate between writes and ek_collection_index_build: after
// every kill each sampled row is found by a k = 1 search for its own vector, both
// exactly and through the graph, and no search returns a row the file does not hold.
#include <embedkit/embedkit.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "scratch.h"
#include "store_check.h"
#include "subprocess.h"

namespace {

using namespace ek::test;

constexpr size_t kRows = 8;
constexpr size_t kDim = 4;
constexpr long kMaxBatches = 1000000;  // never reached: the writer is always killed

// Opens the store through the public API and checks count and a search against
// what SQLite itself reports.
void CheckThroughApi(const std::string& path, long rows_in_file) {
  ek_context_options co;
  ek_context_options_init(&co);
  co.num_threads = 1;
  ek_context* ctx = nullptr;
  ASSERT_EQ(ek_context_create(&co, &ctx), EK_OK) << ek_last_error();
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_open(ctx, path.c_str(), nullptr, &store), EK_OK) << ek_last_error();
  ek_collection* col = nullptr;
  const ek_status s = ek_collection_open(store, "crash", &col);
  if (s == EK_ERR_NOT_FOUND) {
    EXPECT_EQ(rows_in_file, 0);
  } else {
    ASSERT_EQ(s, EK_OK) << ek_last_error();
    uint64_t count = 0;
    ASSERT_EQ(ek_collection_count(col, &count), EK_OK) << ek_last_error();
    EXPECT_EQ(count, static_cast<uint64_t>(rows_in_file));
    float q[kDim] = {1, 2, 3, 4};
    ek_search_options so;
    ek_search_options_init(&so);
    so.k = 5;
    so.filter_json = "{\"v\":1}";
    ek_results* res = nullptr;
    ASSERT_EQ(ek_collection_search(col, q, 1, kDim, &so, &res), EK_OK) << ek_last_error();
    EXPECT_LE(ek_results_hit_count(res, 0), 5u);
    ek_results_free(res);
    ek_collection_free(col);
  }
  ek_store_free(store);
  ek_context_free(ctx);
}

// Checks every writer run's rows in `fs` against its acknowledged operations (only the
// run just killed may have its in-flight operation applied, which then counts as
// acknowledged from now on).
void CheckRuns(const FileState& fs, const std::vector<Op>& ops, long killed, std::map<long, long>* acked) {
  for (const auto& [r, n_acked] : *acked) {
    auto it = fs.runs.find(r);
    const RunState actual = it == fs.runs.end() ? RunState{} : it->second;
    ASSERT_EQ(CompareRun(actual, ops, n_acked, r == killed), "") << "run " << r;
    if (r == killed) {
      RunState expected;
      for (long i = 0; i < n_acked; ++i) Apply(&expected, ops[static_cast<size_t>(i)]);
      if (actual != expected) (*acked)[r] = n_acked + 1;
    }
  }
}

TEST(CrashSafety, SigkillDuringBatchedWritesNeverLosesOrTearsABatch) {
  const std::string path = FreshScratchFile("crash_safety.ekdb");
  const std::vector<Op> ops = WriterOps(2000);  // far more than a run gets through
  std::mt19937 rng(20240611);
  // Delays in ms: some kills land during startup/open, most during writes.
  std::uniform_int_distribution<int> delay_ms(1, 90);
  std::map<long, long> acked;  // run -> acknowledged operations
  const int kKills = 75;
  long total_acks = 0;
  int killed_during_writes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int run = 0; run < kKills; ++run) {
    Child c = Spawn({EK_STORE_WRITER, path, std::to_string(run), std::to_string(kMaxBatches),
                     std::to_string(kRows), std::to_string(kDim)});
    // Two runs in three first wait for the writer's first acknowledgement, so that
    // at least 50 kills land in the middle of writing; the rest are killed at any
    // moment from process start (library load, open, schema creation).
    const bool after_ack = run % 3 != 0;
    const int delay = after_ack ? delay_ms(rng) / 2 : delay_ms(rng);
    Exit e;
    const std::string out =
        SigkillAfter(c, after_ack, std::chrono::milliseconds(delay), std::chrono::seconds(20), &e);
    ASSERT_TRUE(e.signalled() && e.signal() == SIGKILL)
        << "writer run " << run << " ended on its own (status " << e.status << "): " << out;
    const long n = CountAcks(out, ops);
    ASSERT_GE(n, 0) << "writer output out of sequence: " << out;
    acked[run] = n;
    total_acks += n;
    if (n > 0) ++killed_during_writes;

    // Killed before the writer created the file (a slow start, e.g. under ASan):
    // nothing can have been acknowledged yet, and there is nothing to check.
    if (!std::filesystem::exists(path)) {
      ASSERT_EQ(total_acks, 0) << "the store file is gone after acknowledged writes (kill " << run << ")";
      continue;
    }
    const FileState fs = ReadStoreFile(path, kRows);
    ASSERT_EQ(fs.error, "") << "after kill " << run;
    {
      SCOPED_TRACE("after kill " + std::to_string(run));
      CheckRuns(fs, ops, run, &acked);
    }
    if (HasFatalFailure()) return;
    CheckThroughApi(path, fs.rows);
    if (HasFatalFailure()) return;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[crash-safety] %d SIGKILLs, %d during writes, %ld acknowledged operations "
              "verified, %.1f s\n",
              kKills, killed_during_writes, total_acks, secs);
  EXPECT_GE(killed_during_writes, 50) << "at least 50 kills must land during writes";
}

// --- hnsw collection: writes and index builds killed ---------------------------------

constexpr size_t kIndexedRows = 128;  // rows per batch
constexpr size_t kIndexedDim = 8;
constexpr size_t kSeedBatches = 42;  // 34 batches live at the end: 4,352 rows
constexpr size_t kMinRowsForGraph = 4096;  // below, the planner scans exactly
constexpr size_t kSampledRows = 50;
constexpr uint32_t kGraphEf = 256;  // a wide beam: a self-search must not miss by chance

struct StoredRow {
  std::string id;
  std::vector<float> vector;
};

// Every row of collection "crash" with its f32 vector, read with SQLite directly.
std::vector<StoredRow> ReadRows(const std::string& path) {
  std::vector<StoredRow> rows;
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db,
                         "SELECT v.id, v.vector FROM vectors v JOIN collections c "
                         "ON c.id = v.collection_id WHERE c.name = 'crash'",
                         -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      StoredRow r;
      r.id = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      r.vector.resize(static_cast<size_t>(sqlite3_column_bytes(st, 1)) / sizeof(float));
      std::memcpy(r.vector.data(), sqlite3_column_blob(st, 1), r.vector.size() * sizeof(float));
      rows.push_back(std::move(r));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

// The hit ids of every query (row-major, kIndexedDim each), k per query.
std::vector<std::vector<std::string>> SearchIds(ek_collection* col, const std::vector<float>& queries,
                                                uint32_t k, const ek_index_search_options& io) {
  std::vector<std::vector<std::string>> ids;
  ek_search_options so;
  ek_search_options_init(&so);
  so.k = k;
  ek_results* res = nullptr;
  const size_t n = queries.size() / kIndexedDim;
  EXPECT_EQ(ek_collection_search_with(col, queries.data(), n, kIndexedDim, &so, &io, &res), EK_OK)
      << ek_last_error();
  for (size_t q = 0; res && q < n; ++q) {
    ids.emplace_back();
    for (size_t i = 0; i < ek_results_hit_count(res, q); ++i) {
      ek_hit h;
      h.struct_size = sizeof h;
      EXPECT_EQ(ek_results_hit(res, q, i, &h), EK_OK);
      ids.back().push_back(h.id);
    }
  }
  ek_results_free(res);
  return ids;
}

// Opens the store through the public API: the count equals the file's rows, the index
// is a ready hnsw, and kSampledRows rows picked by `rng` are each their own nearest
// neighbour, exactly and through the graph; every id the graph returns (10 per query)
// is a row of the file, so no deleted row is ever returned.
void CheckIndexThroughApi(const std::string& path, std::mt19937* rng) {
  const std::vector<StoredRow> rows = ReadRows(path);
  ASSERT_GE(rows.size(), kMinRowsForGraph);
  std::set<std::string> live;
  for (const StoredRow& r : rows) live.insert(r.id);
  ek_context_options co;
  ek_context_options_init(&co);
  co.num_threads = 1;
  ek_context* ctx = nullptr;
  ASSERT_EQ(ek_context_create(&co, &ctx), EK_OK) << ek_last_error();
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_open(ctx, path.c_str(), nullptr, &store), EK_OK) << ek_last_error();
  ek_collection* col = nullptr;
  ASSERT_EQ(ek_collection_open(store, "crash", &col), EK_OK) << ek_last_error();
  uint64_t count = 0;
  EXPECT_EQ(ek_collection_count(col, &count), EK_OK) << ek_last_error();
  EXPECT_EQ(count, rows.size());
  ek_index_info info;
  info.struct_size = sizeof info;
  EXPECT_EQ(ek_collection_index_info_get(col, &info), EK_OK) << ek_last_error();
  EXPECT_EQ(info.index, EK_INDEX_HNSW);
  EXPECT_EQ(info.index_state, 0u) << "the graph must be ready, or searches would scan";

  std::vector<const StoredRow*> sample;
  std::vector<float> queries;
  std::uniform_int_distribution<size_t> pick(0, rows.size() - 1);
  for (size_t i = 0; i < kSampledRows; ++i) {
    sample.push_back(&rows[pick(*rng)]);
    queries.insert(queries.end(), sample.back()->vector.begin(), sample.back()->vector.end());
  }
  ek_index_search_options exact;
  ek_index_search_options_init(&exact);
  exact.exact = 1;
  ek_index_search_options graph;
  ek_index_search_options_init(&graph);
  graph.ef = kGraphEf;
  const auto exact_ids = SearchIds(col, queries, 1, exact);
  const auto graph_ids = SearchIds(col, queries, 10, graph);
  ASSERT_EQ(exact_ids.size(), kSampledRows);
  ASSERT_EQ(graph_ids.size(), kSampledRows);
  for (size_t q = 0; q < kSampledRows; ++q) {
    ASSERT_EQ(exact_ids[q].size(), 1u);
    EXPECT_EQ(exact_ids[q][0], sample[q]->id) << "exact self-search";
    ASSERT_EQ(graph_ids[q].size(), 10u);
    EXPECT_EQ(graph_ids[q][0], sample[q]->id) << "graph self-search";
    for (const std::string& id : graph_ids[q]) EXPECT_TRUE(live.count(id)) << id << " is not in the file";
  }
  ek_collection_free(col);
  ek_store_free(store);
  ek_context_free(ctx);
}

TEST(CrashSafety, SigkillDuringIndexedWritesAndBuildLeavesAConsistentIndex) {
  const std::string path = FreshScratchFile("crash_index.ekdb");
  const std::vector<Op> ops = WriterOps(2000);
  const std::string rows = std::to_string(kIndexedRows), dim = std::to_string(kIndexedDim);
  // Run 0 writes to the end: more than 4096 live rows, so later searches use the graph.
  std::string out;
  const Exit seeded = ek::test::Run({EK_STORE_WRITER, path, "0", std::to_string(kSeedBatches), rows, dim, "hnsw"}, &out);
  ASSERT_TRUE(seeded.exited() && seeded.code() == 0) << out;
  std::map<long, long> acked{{0, CountAcks(out, ops)}};
  ASSERT_GT(acked[0], 0) << out;

  std::mt19937 rng(20261207);
  const int kKills = 6;
  int builds_acked = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int run = 1; run <= kKills; ++run) {
    // Odd runs write (upserts, replacements, deletes); even runs rebuild the index
    // again and again. Runs 3 and 6 are killed at any moment from their start; the
    // others after their first acknowledgement, plus up to 60 ms for writes (a batch
    // takes a few ms), or up to the time that first build took for builds, so that
    // the kill lands anywhere in the middle of a later build.
    const bool build = run % 2 == 0;
    Child c = Spawn({EK_STORE_WRITER, path, std::to_string(run), std::to_string(kMaxBatches), rows, dim,
                     build ? "build" : "hnsw"});
    const auto started = std::chrono::steady_clock::now();
    std::string said;
    if (run % 3 != 0) said = ReadFirstLine(c, std::chrono::seconds(20));
    const auto first_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started).count();
    std::uniform_int_distribution<long> delay_ms(0, build ? std::max<long>(first_ms, 60) : 60);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    kill(c.pid, SIGKILL);
    said += ReadOut(c, true);
    const Exit e = Wait(c);
    ASSERT_TRUE(e.signalled() && e.signal() == SIGKILL)
        << "writer run " << run << " ended on its own (status " << e.status << "): " << said;
    if (build) {
      builds_acked += static_cast<int>(std::count(said.begin(), said.end(), '\n'));
    } else {
      acked[run] = CountAcks(said, ops);
      ASSERT_GE(acked[run], 0) << "writer output out of sequence: " << said;
    }
    const FileState fs = ReadStoreFile(path, kIndexedRows);
    ASSERT_EQ(fs.error, "") << "after kill " << run;
    SCOPED_TRACE("after kill " + std::to_string(run) + (build ? " (index build)" : " (writes)"));
    CheckRuns(fs, ops, run, &acked);
    if (HasFatalFailure()) return;
    CheckIndexThroughApi(path, &rng);
    if (HasFatalFailure()) return;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[crash-safety] hnsw: %d SIGKILLs (half during index builds, %d builds completed), %.1f s\n",
              kKills, builds_acked, secs);
}

}  // namespace
