#include "parallel_for.h"

#include <atomic>
#include <exception>
#include <mutex>

namespace ek_plugin {
namespace {

thread_local bool tls_in_body = false;

struct ParallelCtx {
  const std::function<void(size_t, size_t)>* body;
  std::mutex mutex;
  std::exception_ptr error;
  std::atomic<bool> failed{false};
};

void Trampoline(void* user, size_t begin, size_t end) {
  auto* ctx = static_cast<ParallelCtx*>(user);
  if (ctx->failed.load(std::memory_order_relaxed)) return;
  const bool previous = tls_in_body;
  tls_in_body = true;
  try {
    (*ctx->body)(begin, end);
  } catch (...) {
    std::lock_guard lock(ctx->mutex);
    if (!ctx->error) ctx->error = std::current_exception();
    ctx->failed = true;
  }
  tls_in_body = previous;
}

}  // namespace

void ParallelFor(const ek_host* host, size_t n, size_t grain,
                 const std::function<void(size_t, size_t)>& body) {
  if (n == 0) return;
  if (tls_in_body || n <= grain || host->thread_count(host) <= 1) {
    body(0, n);
    return;
  }
  ParallelCtx ctx;
  ctx.body = &body;
  host->parallel_for(host, n, grain, Trampoline, &ctx);
  if (ctx.error) std::rethrow_exception(ctx.error);
}

}  // namespace ek_plugin
