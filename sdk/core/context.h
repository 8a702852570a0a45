// A context owns what every handle shares: the backend (kernel table), the thread
// pool, the plugin registry, logging, progress and cancellation. Handles made from
// a context keep it alive (shared_ptr), so freeing the context first is safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "base/log.h"
#include "base/thread_pool.h"
#include "core/backend.h"
#include "core/plugin_registry.h"

namespace ek {

struct ContextOptions {
  std::string backend = "auto";
  uint32_t num_threads = 0;  // 0 = all cores
  ek_log_level log_level = EK_LOG_WARN;
  ek_log_fn log_callback = nullptr;
  void* log_user_data = nullptr;
  std::string plugin_path;   // empty: EMBEDKIT_PLUGIN_PATH
  bool plugin_path_set = false;
  bool bundled_plugins = true;
};

class Context {
 public:
  explicit Context(const ContextOptions& options);

  const Logger& log() const { return log_; }
  const Backend& backend() const { return backend_; }
  ThreadPool& pool() { return pool_; }
  PluginRegistry& plugins() { return plugins_; }

  void SetProgress(ek_progress_fn fn, void* user_data);
  // Calls the progress callback; returns true when the work must stop.
  bool ReportProgress(const char* task, uint64_t done, uint64_t total);
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  void ResetCancel() { cancelled_.store(false, std::memory_order_relaxed); }
  bool Cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  Logger log_;
  Backend backend_;
  ThreadPool pool_;
  PluginRegistry plugins_;
  std::mutex progress_mutex_;
  ek_progress_fn progress_ = nullptr;
  void* progress_user_ = nullptr;
  std::atomic<bool> cancelled_{false};
};

}  // namespace ek
