#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ek {
namespace {

// WebAssembly without pthreads: the pool is the calling thread alone (size 1).
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
constexpr bool kHasThreads = false;
#else
constexpr bool kHasThreads = true;
#endif

size_t ExpectedSize(size_t threads) { return kHasThreads ? threads : 1; }

TEST(ThreadPoolTest, CoversEveryIndexExactlyOnce) {
  for (size_t threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), ExpectedSize(threads));
    for (size_t n : {0, 1, 5, 100, 10007}) {
      for (size_t grain : {0, 1, 7, 1000}) {
        std::vector<std::atomic<int>> hits(n);
        pool.ParallelFor(n, grain, [&](size_t b, size_t e) {
          ASSERT_LE(b, e);
          ASSERT_LE(e, n);
          for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
        });
        for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST(ThreadPoolTest, ZeroPicksHardwareConcurrency) {
  ThreadPool pool(0);
  EXPECT_EQ(pool.size(), ExpectedSize(std::max(1u, std::thread::hardware_concurrency())));
}

TEST(ThreadPoolTest, SizeOneRunsInlineOnCaller) {
  ThreadPool pool(1);
  const auto caller = std::this_thread::get_id();
  size_t calls = 0;
  pool.ParallelFor(1000, 1, [&](size_t b, size_t e) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(b, 0u);
    EXPECT_EQ(e, 1000u);
    ++calls;
  });
  EXPECT_EQ(calls, 1u);
}

TEST(ThreadPoolTest, UsesWorkerThreads) {
  ThreadPool pool(2);
  std::mutex m;
  std::condition_variable seen;
  std::set<std::thread::id> ids;
  bool gave_up = false;
  // Each chunk waits (bounded) until a second thread has run one, so the worker
  // certainly picks some up however late a loaded machine schedules it; a pool that
  // never uses its worker fails after the bound instead of hanging.
  pool.ParallelFor(64, 1, [&](size_t, size_t) {
    std::unique_lock<std::mutex> lock(m);
    ids.insert(std::this_thread::get_id());
    seen.notify_all();
    if (!seen.wait_for(lock, std::chrono::seconds(10),
                       [&] { return gave_up || ids.size() >= ExpectedSize(2); }))
      gave_up = true;
  });
  EXPECT_EQ(ids.size(), ExpectedSize(2));
}

TEST(ThreadPoolTest, ExceptionsPropagateAndPoolStaysUsable) {
  ThreadPool pool(3);
  for (int round = 0; round < 20; ++round) {
    EXPECT_THROW(pool.ParallelFor(100, 1,
                                  [&](size_t b, size_t e) {
                                    if (b <= 42 && 42 < e) throw std::runtime_error("item 42");
                                  }),
                 std::runtime_error);
    std::atomic<size_t> sum{0};
    pool.ParallelFor(100, 1, [&](size_t b, size_t e) { sum += e - b; });
    EXPECT_EQ(sum.load(), 100u);
  }
  // Inline path (size 1) propagates too.
  ThreadPool one(1);
  EXPECT_THROW(one.ParallelFor(10, 1, [](size_t, size_t) { throw std::logic_error("x"); }),
               std::logic_error);
}

TEST(ThreadPoolTest, NestedCallsRunSeriallyWithoutDeadlock) {
  ThreadPool pool(2);
  std::atomic<size_t> total{0};
  pool.ParallelFor(16, 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      pool.ParallelFor(100, 1, [&](size_t ib, size_t ie) { total += ie - ib; });
      ParallelFor(&pool, 10, 1, [&](size_t ib, size_t ie) { total += ie - ib; });
    }
  });
  EXPECT_EQ(total.load(), 16u * 110u);
}

TEST(ThreadPoolTest, ConcurrentCallersAreSerialised) {
  if (!kHasThreads) GTEST_SKIP() << "no threads in this build";
  ThreadPool pool(3);
  std::atomic<size_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        pool.ParallelFor(1000, 10, [&](size_t b, size_t e) { total += e - b; });
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 4u * 50u * 1000u);
}

TEST(ThreadPoolTest, ManySmallCallsBackToBack) {
  ThreadPool pool(2);
  size_t expected = 0;
  std::atomic<size_t> total{0};
  for (size_t i = 0; i < 20000; ++i) {
    const size_t n = 2 + i % 7;
    expected += n;
    pool.ParallelFor(n, 1, [&](size_t b, size_t e) { total += e - b; });
  }
  EXPECT_EQ(total.load(), expected);
}

TEST(ThreadPoolTest, HelperRunsInlineWithoutPool) {
  size_t calls = 0;
  ParallelFor(nullptr, 50, 1, [&](size_t b, size_t e) {
    EXPECT_EQ(b, 0u);
    EXPECT_EQ(e, 50u);
    ++calls;
  });
  ParallelFor(nullptr, 0, 1, [&](size_t, size_t) { ++calls; });
  EXPECT_EQ(calls, 1u);
}

}  // namespace
}  // namespace ek
