#include "capi/host_vtable.h"

#include <cstring>
#include <string>

#include "base/last_error.h"
#include "base/philox.h"
#include "capi/guard.h"
#include "capi/handles.h"
#include "json/json.h"
#include "text/text_api.h"

namespace ek::capi {
namespace {

ek_instance* Instance(const ek_host* host) {
  return static_cast<ek_instance*>(host->host_data);
}
std::string PluginId(const ek_host* host) { return Instance(host)->plugin->descriptor->id; }

void HostLog(const ek_host* host, ek_log_level level, const char* message) {
  if (!host || !message) return;
  Instance(host)->context->log().Log(level, "[" + PluginId(host) + "] " + message);
}

int32_t HostProgress(const ek_host* host, const char* task, uint64_t done, uint64_t total) {
  if (!host) return 1;
  return Instance(host)->context->ReportProgress(task, done, total) ? 1 : 0;
}

int32_t HostIsCancelled(const ek_host* host) {
  return !host || Instance(host)->context->Cancelled() ? 1 : 0;
}

void HostSetError(const ek_host*, const char* message) { SetPluginError(message); }

const char* HostLastError(const ek_host*) { return LastErrorMessage(); }

void HostParallelFor(const ek_host* host, size_t n, size_t grain, ek_parallel_body body,
                     void* user_data) {
  if (!host || !body) return;
  ParallelFor(&Instance(host)->context->pool(), n, grain,
              [&](size_t begin, size_t end) { body(user_data, begin, end); });
}

uint32_t HostThreadCount(const ek_host* host) {
  return host ? static_cast<uint32_t>(Instance(host)->context->pool().size()) : 1;
}

void HostRandom(const ek_host*, uint64_t key, uint64_t counter, uint32_t* out, size_t count) {
  if (out) PhiloxFill(key, counter, out, count);
}

// store_begin/commit/rollback as lent to plugins: inside a transaction already open
// on the handle they nest (a savepoint), so a plugin's request is all-or-nothing on
// its own and still part of the application's transaction (plugin.h, ABI 1.1).
ek_status HostStoreBegin(ek_store* store) {
  return Guard("store_begin", [&] {
    RequireNotNull(store, "store");
    store->impl->BeginNested();
  });
}

ek_status HostStoreCommit(ek_store* store) {
  return Guard("store_commit", [&] {
    RequireNotNull(store, "store");
    store->impl->CommitNested();
  });
}

ek_status HostStoreRollback(ek_store* store) {
  return Guard("store_rollback", [&] {
    RequireNotNull(store, "store");
    store->impl->RollbackNested();
  });
}

ek_status HostStoreOpen(const ek_host* host, const char* path, ek_store** out_store) {
  if (!host) return EK_ERR_INVALID_ARGUMENT;
  ek_context ctx{Instance(host)->context};
  return ek_store_open(&ctx, path, nullptr, out_store);
}

// Runs a config lookup, reporting failures both as the host's last error and as
// the plugin's error for the call in progress.
template <class F>
ek_status ConfigLookup(const char* fn, const char* json, size_t length, const char* key, F&& f) {
  ek_status s = Guard(fn, [&] {
    RequireNotNull(key, "key");
    std::string_view text = json ? std::string_view(json, length) : std::string_view("{}");
    if (text.empty()) text = "{}";
    ek::json::Config config(text);
    f(config);
  });
  if (s != EK_OK) SetPluginError(LastErrorMessage());
  return s;
}

ek_status HostConfigInt(const ek_host*, const char* json, size_t length, const char* key,
                        int64_t fallback, int64_t* out) {
  return ConfigLookup("config_int", json, length, key, [&](const ek::json::Config& c) {
    RequireNotNull(out, "out");
    *out = c.GetInt(key, fallback);
  });
}

ek_status HostConfigDouble(const ek_host*, const char* json, size_t length, const char* key,
                           double fallback, double* out) {
  return ConfigLookup("config_double", json, length, key, [&](const ek::json::Config& c) {
    RequireNotNull(out, "out");
    *out = c.GetDouble(key, fallback);
  });
}

ek_status HostConfigString(const ek_host*, const char* json, size_t length, const char* key,
                           const char* fallback, char* out, size_t capacity) {
  return ConfigLookup("config_string", json, length, key, [&](const ek::json::Config& c) {
    RequireNotNull(out, "out");
    std::string value = c.GetString(key, fallback ? fallback : "");
    if (value.size() + 1 > capacity) {
      Fail(EK_ERR_BUFFER_TOO_SMALL, std::string("value of '") + key + "' needs " +
                                        std::to_string(value.size() + 1) + " bytes, capacity is " +
                                        std::to_string(capacity));
    }
    std::memcpy(out, value.c_str(), value.size() + 1);
  });
}

ek_status HostConfigBool(const ek_host*, const char* json, size_t length, const char* key,
                         uint32_t fallback, uint32_t* out) {
  return ConfigLookup("config_bool", json, length, key, [&](const ek::json::Config& c) {
    RequireNotNull(out, "out");
    *out = c.GetBool(key, fallback != 0) ? 1 : 0;
  });
}

// The SDK's JSON diagnosis lent to plugins. The reason goes to the thread's last
// error as "byte 17: expected ':' after key", without a function prefix, so that a
// plugin can quote it inside its own message.
ek_status HostJsonCheck(const ek_host*, const char* text, size_t length, uint32_t max_depth,
                        size_t* out_offset) {
  ek_status verdict = EK_OK;
  const ek_status s = Guard("json_check", [&] {
    if (!text && length)
      Fail(EK_ERR_INVALID_ARGUMENT, "argument 'text' is NULL and length is " + std::to_string(length));
    const auto problem = ek::json::CheckValue(std::string_view(text ? text : "", length), max_depth);
    if (!problem) return;
    verdict = problem->too_deep ? EK_ERR_LIMIT : EK_ERR_PARSE;
    if (out_offset) *out_offset = problem->offset;
    SetLastError(verdict, "byte " + std::to_string(problem->offset) + ": " + problem->reason);
  });
  return s != EK_OK ? s : verdict;
}

}  // namespace

void InitHostVtable(ek_instance* instance) {
  ek_host& h = instance->host;
  h = ek_host{};
  h.struct_size = sizeof(ek_host);
  h.abi_version = EK_ABI_VERSION;
  h.host_data = instance;
  h.log = HostLog;
  h.progress = HostProgress;
  h.is_cancelled = HostIsCancelled;
  h.set_error = HostSetError;
  h.kernels = instance->context->backend().kernels;
  h.parallel_for = HostParallelFor;
  h.thread_count = HostThreadCount;
  h.random_u32 = HostRandom;
  h.store_open = HostStoreOpen;
  h.collection_create = ek_collection_create;
  h.collection_upsert = ek_collection_upsert;
  h.collection_get = ek_collection_get;
  h.collection_search = ek_collection_search;
  h.collection_free = ek_collection_free;
  h.store_free = ek_store_free;
  h.results_free = ek_results_free;
  h.config_int = HostConfigInt;
  h.config_double = HostConfigDouble;
  h.config_string = HostConfigString;
  h.text = ek::text::Api();
  h.collection_delete = ek_collection_delete;
  h.store_begin = HostStoreBegin;
  h.store_commit = HostStoreCommit;
  h.store_rollback = HostStoreRollback;
  h.collection_list = ek_collection_list;
  h.results_hit_count = ek_results_hit_count;
  h.results_hit = ek_results_hit;
  h.last_error = HostLastError;
  h.collection_open = ek_collection_open;
  h.string_free = ek_string_free;
  h.kv_put = ek_store_kv_put;
  h.kv_get = ek_store_kv_get;
  h.kv_delete = ek_store_kv_delete;
  h.kv_delete_prefix = ek_store_kv_delete_prefix;
  h.kv_list = ek_store_kv_list;
  h.json_check = HostJsonCheck;
  h.collection_drop = ek_collection_drop;
  h.config_bool = HostConfigBool;
}

}  // namespace ek::capi
