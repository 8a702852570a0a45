// A small fixed-size thread pool owned by the context. Plugins reach it through
// ek_host::parallel_for, kernels and store searches through this class. A pool of
// size 1 runs everything on the calling thread (no worker is started).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ek {

class ThreadPool {
 public:
  // threads = 0 picks std::thread::hardware_concurrency().
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }

  // Runs fn(begin, end) over [0, n) in contiguous chunks of at least `grain` items,
  // on the workers and the calling thread; returns when every chunk is done. The
  // first exception thrown by a chunk is rethrown here. Calls from several threads
  // are serialised; a call from inside a body runs serially (no deadlock).
  void ParallelFor(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

 private:
  void WorkerLoop(size_t index);
  void RunChunks();

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one ParallelFor at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t job_n_ = 0, job_chunk_ = 0, next_chunk_ = 0, chunks_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

// Serial fallback helper: runs on `pool` if given, else inline.
inline void ParallelFor(ThreadPool* pool, size_t n, size_t grain,
                        const std::function<void(size_t, size_t)>& fn) {
  if (pool && pool->size() > 1 && n > grain) {
    pool->ParallelFor(n, grain, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace ek
