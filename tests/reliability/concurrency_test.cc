// Concurrency through the public C API (run under TSan in build-tsan, label
// "concurrency"): many threads searching and writing on one context and one store,
// two store handles on one file in one process, processes creating one new store
// file together, and two writer processes on one store file while this process
// searches it.
#include <embedkit/embedkit.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store_check.h"
#include "scratch.h"
#include "subprocess.h"

namespace {

using namespace ek::test;

struct Api {
  ek_context* ctx = nullptr;
  ek_store* store = nullptr;
  ek_store* store2 = nullptr;  // second connection on the same file (not for :memory:)
  ek_collection* col = nullptr;
  ek_collection* col2 = nullptr;
  ~Api() {
    // Free in an order the API allows (handles keep what they need alive).
    ek_context_free(ctx);
    ek_collection_free(col2);
    ek_store_free(store);
    ek_collection_free(col);
    ek_store_free(store2);
  }
};

constexpr uint32_t kDim = 16;
constexpr int kWriters = 4, kReaders = 4, kBatches = 40, kRows = 10;

void FillBatch(int t, int b, std::vector<std::string>* ids, std::vector<std::string>* meta,
               std::vector<float>* vecs) {
  ids->clear();
  meta->clear();
  vecs->assign(kRows * kDim, 0.f);
  for (int i = 0; i < kRows; ++i) {
    ids->push_back("t" + std::to_string(t) + "-" + std::to_string(b) + "-" + std::to_string(i));
    meta->push_back("{\"t\":" + std::to_string(t) + ",\"b\":" + std::to_string(b) + "}");
    for (uint32_t j = 0; j < kDim; ++j)
      (*vecs)[i * kDim + j] = float((t * 131 + b * 17 + i * 7 + int(j)) % 23) - 11.f + 0.5f;
  }
}

// Writers upsert kBatches batches each and delete every 5th; readers search (with and
// without a filter), list, get, count and provoke errors until the writers are done.
// Returns the number of rows that must remain.
uint64_t Hammer(Api& api, bool two_handles) {
  std::atomic<int> writers_left{kWriters};
  std::atomic<long> searches{0}, bad_hits{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> ids, meta;
      std::vector<float> vecs;
      for (int b = 0; b < kBatches; ++b) {
        FillBatch(t, b, &ids, &meta, &vecs);
        std::vector<const char*> ip, mp;
        for (int i = 0; i < kRows; ++i) {
          ip.push_back(ids[i].c_str());
          mp.push_back(meta[i].c_str());
        }
        ek_upsert_batch batch{};
        batch.struct_size = sizeof batch;
        batch.count = kRows;
        batch.ids = ip.data();
        batch.vectors = vecs.data();
        batch.dim = kDim;
        batch.metadata_json = mp.data();
        if (ek_collection_upsert(api.col, &batch) != EK_OK) {
          ADD_FAILURE() << ek_last_error();
          ++errors;
        }
        if (b % 5 == 4) {
          size_t deleted = 0;
          if (ek_collection_delete(api.col, ip.data(), kRows, &deleted) != EK_OK ||
              deleted != kRows) {
            ADD_FAILURE() << "delete: " << ek_last_error();
            ++errors;
          }
        }
      }
      --writers_left;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      ek_collection* col = (two_handles && r % 2) ? api.col2 : api.col;
      std::mt19937 rng(r);
      std::uniform_real_distribution<float> u(-1, 1);
      std::vector<float> q(2 * kDim);
      do {
        for (float& x : q) x = u(rng);
        ek_search_options so;
        ek_search_options_init(&so);
        so.k = 7;
        so.include_metadata = 1;
        const int want_t = r % kWriters;
        const std::string filter = "{\"t\":" + std::to_string(want_t) + "}";
        if (r % 2) so.filter_json = filter.c_str();
        ek_results* res = nullptr;
        if (ek_collection_search(col, q.data(), 2, kDim, &so, &res) != EK_OK) {
          ADD_FAILURE() << ek_last_error();
          ++errors;
          continue;
        }
        ++searches;
        for (size_t qi = 0; qi < ek_results_query_count(res); ++qi) {
          for (size_t h = 0; h < ek_results_hit_count(res, qi); ++h) {
            ek_hit hit{};
            hit.struct_size = sizeof hit;
            if (ek_results_hit(res, qi, h, &hit) != EK_OK || !hit.metadata_json) {
              ++bad_hits;
              continue;
            }
            const std::string needle = "{\"t\":" + std::to_string(want_t) + ",";
            if (r % 2 && std::strncmp(hit.metadata_json, needle.c_str(), needle.size()) != 0)
              ++bad_hits;
          }
        }
        ek_results_free(res);
        // Reads that race with writers: present or not, never anything else.
        const std::string id = "t" + std::to_string(rng() % kWriters) + "-" +
                               std::to_string(rng() % kBatches) + "-0";
        float v[kDim];
        size_t dim = 0;
        char* meta = nullptr;
        const ek_status gs = ek_collection_get(col, id.c_str(), v, kDim, &dim, &meta);
        if (gs != EK_OK && gs != EK_ERR_NOT_FOUND) {
          ADD_FAILURE() << ek_last_error();
          ++errors;
        }
        ek_string_free(meta);
        ek_results* list = nullptr;
        if (ek_collection_list(col, rng() % 50, 20, 1, &list) != EK_OK) ++errors;
        ek_results_free(list);
        uint64_t count = 0;
        if (ek_collection_count(col, &count) != EK_OK) ++errors;
        // The last error is per thread: a wrong dim names this thread's dim.
        const size_t bad_dim = kDim + 1 + r;
        ek_results* none = nullptr;
        std::vector<float> bad(bad_dim, 0.f);
        if (ek_collection_search(col, bad.data(), 1, bad_dim, nullptr, &none) == EK_OK) ++errors;
        if (std::strstr(ek_last_error(), std::to_string(bad_dim).c_str()) == nullptr) {
          ADD_FAILURE() << "thread " << r << " sees another thread's error: " << ek_last_error();
          ++errors;
        }
      } while (writers_left.load() > 0);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(bad_hits.load(), 0);
  EXPECT_GT(searches.load(), 0);
  return uint64_t{kWriters} * (kBatches - kBatches / 5) * kRows;
}

void OpenApi(Api& api, const std::string& path, bool second_handle) {
  ek_context_options co;
  ek_context_options_init(&co);
  co.num_threads = 4;
  ASSERT_EQ(ek_context_create(&co, &api.ctx), EK_OK) << ek_last_error();
  ASSERT_EQ(ek_store_open(api.ctx, path.c_str(), nullptr, &api.store), EK_OK) << ek_last_error();
  ASSERT_EQ(ek_collection_create(api.store, "docs", kDim, EK_METRIC_COSINE, &api.col), EK_OK)
      << ek_last_error();
  if (second_handle) {
    ASSERT_EQ(ek_store_open(api.ctx, path.c_str(), nullptr, &api.store2), EK_OK);
    ASSERT_EQ(ek_collection_open(api.store2, "docs", &api.col2), EK_OK) << ek_last_error();
  }
}

TEST(Concurrency, ThreadsSearchAndWriteOneInMemoryStore) {
  Api api;
  OpenApi(api, ":memory:", false);
  const uint64_t expected = Hammer(api, false);
  uint64_t count = 0;
  ASSERT_EQ(ek_collection_count(api.col, &count), EK_OK);
  EXPECT_EQ(count, expected);
}

TEST(Concurrency, ThreadsOnTwoHandlesOfOneStoreFile) {
  Api api;
  OpenApi(api, FreshScratchFile("concurrency.ekdb"), true);
  const uint64_t expected = Hammer(api, true);
  uint64_t c1 = 0, c2 = 0;
  ASSERT_EQ(ek_collection_count(api.col, &c1), EK_OK);
  ASSERT_EQ(ek_collection_count(api.col2, &c2), EK_OK);
  EXPECT_EQ(c1, expected);
  EXPECT_EQ(c2, expected);
}

TEST(Concurrency, ContextSharedByThreadsCreatingStoresAndCancelling) {
  ek_context* ctx = nullptr;
  ASSERT_EQ(ek_context_create(nullptr, &ctx), EK_OK);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        ek_store* s = nullptr;
        ek_collection* c = nullptr;
        if (ek_store_open(ctx, ":memory:", nullptr, &s) != EK_OK) ++errors;
        if (ek_collection_create(s, "c", 4, EK_METRIC_DOT, &c) != EK_OK) ++errors;
        ek_context_info info{};
        info.struct_size = sizeof info;
        if (ek_context_info_get(ctx, &info) != EK_OK) ++errors;
        size_t n = 0;
        if (ek_plugin_count(ctx, &n) != EK_OK) ++errors;
        if (t == 0) {
          ek_context_cancel(ctx);
          ek_context_reset_cancel(ctx);
        }
        ek_collection_free(c);
        ek_store_free(s);
      }
    });
  }
  for (auto& th : threads) th.join();
  ek_context_free(ctx);
  EXPECT_EQ(errors.load(), 0);
}

// Processes that open one not-yet-existing store file at the same moment: one
// creates the schema, the others must see either nothing or the whole store, never a
// half-read header ("application_id 0 but tables present" was misreported as a
// foreign SQLite database in 23 of 300 runs of the test below).
TEST(Concurrency, ProcessesCreatingOneNewStoreFileAllOpenIt) {
  constexpr int kRounds = 25, kProcs = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string path = FreshScratchFile("created_together.ekdb");
    std::vector<Child> children;
    for (int p = 1; p <= kProcs; ++p)
      children.push_back(
          Spawn({EK_STORE_WRITER, path, std::to_string(p), "1", "1", "4"}, /*merge_stderr=*/true));
    std::string failures;
    for (Child& c : children) {
      const std::string out = ReadOut(c, true);
      if (Wait(c).code() != 0) failures += out;
    }
    ASSERT_EQ(failures, "") << "round " << round;
  }
}

TEST(Concurrency, TwoWriterProcessesOnOneStoreFile) {
  const std::string path = FreshScratchFile("two_processes.ekdb");
  constexpr long kProcBatches = 30;
  constexpr size_t kProcRows = 8, kProcDim = 4;
  Child a = Spawn({EK_STORE_WRITER, path, "1", std::to_string(kProcBatches),
                   std::to_string(kProcRows), std::to_string(kProcDim)});
  Child b = Spawn({EK_STORE_WRITER, path, "2", std::to_string(kProcBatches),
                   std::to_string(kProcRows), std::to_string(kProcDim)});
  // Meanwhile this process reads the same file through a third connection.
  ek_context* ctx = nullptr;
  ASSERT_EQ(ek_context_create(nullptr, &ctx), EK_OK);
  std::atomic<bool> done{false};
  std::atomic<long> searches{0};
  std::thread reader([&] {
    ek_store* s = nullptr;
    ek_store_options so;
    ek_store_options_init(&so);
    so.busy_timeout_ms = 20000;
    while (!done && ek_store_open(ctx, path.c_str(), &so, &s) != EK_OK) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ek_collection* c = nullptr;
    while (!done && s && ek_collection_open(s, "crash", &c) != EK_OK) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const float q[kProcDim] = {1, 0, 0, 0};
    while (!done && c) {
      ek_results* r = nullptr;
      if (ek_collection_search(c, q, 1, kProcDim, nullptr, &r) == EK_OK) ++searches;
      else ADD_FAILURE() << ek_last_error();
      ek_results_free(r);
    }
    ek_collection_free(c);
    ek_store_free(s);
  });
  const std::string out_a = ReadOut(a, true), out_b = ReadOut(b, true);
  const Exit ea = Wait(a), eb = Wait(b);
  done = true;
  reader.join();
  ek_context_free(ctx);
  ASSERT_EQ(ea.code(), 0) << out_a;
  ASSERT_EQ(eb.code(), 0) << out_b;
  const std::vector<Op> ops = WriterOps(kProcBatches);
  ASSERT_EQ(CountAcks(out_a, ops), static_cast<long>(ops.size()));
  ASSERT_EQ(CountAcks(out_b, ops), static_cast<long>(ops.size()));
  const FileState fs = ReadStoreFile(path, kProcRows);
  ASSERT_EQ(fs.error, "");
  for (long run : {1L, 2L}) {
    auto it = fs.runs.find(run);
    ASSERT_NE(it, fs.runs.end());
    EXPECT_EQ(CompareRun(it->second, ops, static_cast<long>(ops.size()), false), "");
  }
  std::printf("[concurrency] two writer processes done, %ld searches meanwhile\n",
              searches.load());
}

}  // namespace
