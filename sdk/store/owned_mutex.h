// A mutex that can tell whether the calling thread holds it.
//
// Why: SQLite calls a virtual table's rollback callbacks (xRollback, xRollbackTo) from
// inside the statement that failed. That statement can be one of the store's own — a
// user's trigger on `vectors` that RAISEs aborts the store's INSERT — and then the
// callback runs on the thread that already holds the store's lock. Such a callback must
// not wait for the lock (it would wait forever); with this mutex it can see that case.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>

namespace ek::store {

class OwnedMutex {
 public:
  void lock() {
    mu_.lock();
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  }
  void unlock() {
    owner_.store(std::thread::id(), std::memory_order_relaxed);
    mu_.unlock();
  }
  // Relaxed is enough: only this thread ever writes its own id here, and it clears it
  // before letting go, so another thread's stale value never equals this thread's id.
  bool HeldByThisThread() const {
    return owner_.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

 private:
  std::mutex mu_;
  std::atomic<std::thread::id> owner_{};
};

}  // namespace ek::store
