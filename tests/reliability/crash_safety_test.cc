// Crash safety: a writer process (ek_store_writer) doing batched upserts, whole-batch
// replacements and deletes is killed with SIGKILL at random moments, again and again
// on the same store file. After every kill:
//   - SQLite's PRAGMA integrity_check is "ok";
//   - every batch is complete or absent (no partial batch is visible);
//   - every acknowledged operation is there (only the one in flight may be either);
//   - embedkit opens the store and its count and search agree with the file.
#include <embedkit/embedkit.h>
#include <gtest/gtest.h>


#include <chrono>
#include <filesystem>
#include <random>

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
    for (const auto& [r, n_acked] : acked) {
      auto it = fs.runs.find(r);
      const RunState actual = it == fs.runs.end() ? RunState{} : it->second;
      // Only the run just killed may have one unacknowledged operation applied.
      ASSERT_EQ(CompareRun(actual, ops, n_acked, r == run), "")
          << "run " << r << ", after kill " << run;
      if (r == run) {
        // Resolve the in-flight operation: from now on this run's state is fixed.
        RunState expected;
        for (long i = 0; i < n_acked; ++i) Apply(&expected, ops[static_cast<size_t>(i)]);
        if (actual != expected) acked[r] = n_acked + 1;
      }
    }
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

}  // namespace
