#include "core/context.h"

#include <cstdlib>

namespace ek {

Context::Context(const ContextOptions& o)
    : log_(o.log_level, o.log_callback, o.log_user_data),
      backend_(SelectBackend(o.backend, log_)),
      pool_(o.num_threads),
      plugins_(log_) {
  if (o.bundled_plugins) {
    for (size_t i = 0; i < BundledPluginCount(); ++i) plugins_.Register(BundledPlugin(i), "", nullptr);
  }
  std::string path = o.plugin_path;
  if (!o.plugin_path_set) {
    const char* env = std::getenv("EMBEDKIT_PLUGIN_PATH");
    if (env) path = env;
  }
  if (!path.empty()) plugins_.LoadFolders(path);
  log_.Log(EK_LOG_INFO, "context: backend " + backend_.name + ", SIMD " +
                            backend_.kernels->simd_target + ", " + std::to_string(pool_.size()) +
                            " threads, " + std::to_string(plugins_.Count()) + " plugins");
}

void Context::SetProgress(ek_progress_fn fn, void* user_data) {
  std::lock_guard<std::mutex> lock(progress_mutex_);
  progress_ = fn;
  progress_user_ = user_data;
}

bool Context::ReportProgress(const char* task, uint64_t done, uint64_t total) {
  ek_progress_fn fn;
  void* user;
  {
    std::lock_guard<std::mutex> lock(progress_mutex_);
    fn = progress_;
    user = progress_user_;
  }
  if (fn && fn(user, task ? task : "", done, total) != 0) Cancel();
  return Cancelled();
}

}  // namespace ek
