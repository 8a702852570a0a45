// ek_context_*: creation, description, progress and cancellation.
#include "capi/guard.h"
#include "capi/handles.h"
#include "embedkit/embedkit.h"

using ek::capi::Guard;
using ek::capi::RequireNotNull;

namespace {
ek_context_options DefaultContextOptions() {
  ek_context_options o{};
  o.struct_size = sizeof(o);
  o.backend = "auto";
  o.num_threads = 0;
  o.log_level = EK_LOG_WARN;
  return o;
}

ek::Context& Ctx(ek_context* context) {
  RequireNotNull(context, "context");
  return *context->impl;
}
}  // namespace

extern "C" {

EK_API void ek_context_options_init(ek_context_options* options) {
  if (options) *options = DefaultContextOptions();
}

EK_API ek_status ek_context_create(const ek_context_options* options, ek_context** out_context) {
  return Guard("ek_context_create", [&] {
    RequireNotNull(out_context, "out_context");
    *out_context = nullptr;
    ek_context_options o = ek::capi::ReadOptions(options, DefaultContextOptions(), "options");
    ek::ContextOptions co;
    co.backend = o.backend ? o.backend : "auto";
    if (o.num_threads > 1024) {
      ek::Fail(EK_ERR_INVALID_ARGUMENT, "options->num_threads is " + std::to_string(o.num_threads) +
                                            "; use 0 (all cores) up to 1024");
    }
    if (o.log_level < EK_LOG_ERROR || o.log_level > EK_LOG_DEBUG) {
      ek::Fail(EK_ERR_INVALID_ARGUMENT, "options->log_level is " + std::to_string(o.log_level) +
                                            "; use EK_LOG_ERROR (0) .. EK_LOG_DEBUG (3)");
    }
    co.num_threads = o.num_threads;
    co.log_level = o.log_level;
    co.log_callback = o.log_callback;
    co.log_user_data = o.log_user_data;
    if (o.plugin_path) {
      co.plugin_path = o.plugin_path;
      co.plugin_path_set = true;
    }
    co.bundled_plugins = o.no_bundled_plugins == 0;
    auto handle = std::make_unique<ek_context>();
    handle->impl = std::make_shared<ek::Context>(co);
    *out_context = handle.release();
  });
}

EK_API void ek_context_free(ek_context* context) { delete context; }

EK_API ek_status ek_context_info_get(ek_context* context, ek_context_info* out_info) {
  return Guard("ek_context_info_get", [&] {
    ek::Context& c = Ctx(context);
    ek_context_info info{};
    info.struct_size = sizeof(info);
    info.backend = c.backend().kernels->backend;
    info.simd_target = c.backend().kernels->simd_target;
    info.num_threads = static_cast<uint32_t>(c.pool().size());
    info.abi_version = EK_ABI_VERSION;
    info.plugin_count = c.plugins().Count();
    ek::capi::WriteInfo(out_info, info, "out_info");
  });
}

EK_API ek_status ek_context_set_progress(ek_context* context, ek_progress_fn callback,
                                         void* user_data) {
  return Guard("ek_context_set_progress", [&] { Ctx(context).SetProgress(callback, user_data); });
}

EK_API ek_status ek_context_cancel(ek_context* context) {
  // Only an atomic store: safe from a signal handler.
  if (!context) return EK_ERR_INVALID_ARGUMENT;
  context->impl->Cancel();
  return EK_OK;
}

EK_API ek_status ek_context_reset_cancel(ek_context* context) {
  return Guard("ek_context_reset_cancel", [&] { Ctx(context).ResetCancel(); });
}

}  // extern "C"
