#include "session.h"

#include <atomic>
#include <csignal>
#include <exception>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>

#include "errors.h"
#include "progress.h"

namespace ek::cli {
namespace {

std::atomic<ek_context*> g_signal_context{nullptr};
volatile std::sig_atomic_t g_cancel_requested = 0;

extern "C" void OnSigint(int) {
  g_cancel_requested = 1;
  // ek_context_cancel is documented async-signal-safe (it only sets a flag).
  if (ek_context* ctx = g_signal_context.load()) ek_context_cancel(ctx);
}

struct sigaction g_previous_action;

}  // namespace

void Check(ek_status status, std::string_view call) {
  if (status == EK_OK) return;
  std::string message = ek_last_error();
  if (message.empty()) message = std::string(call) + " failed";
  throw LibraryError(status, message);
}

// One bar per task name; a new task finishes the previous bar. Reports may come from
// worker threads, hence the mutex.
struct Session::LibraryProgress {
  explicit LibraryProgress(bool enabled) : enabled(enabled) {}
  ~LibraryProgress() {
    if (bar) bar->Finish();
  }
  static int32_t Report(void* user, const char* task, uint64_t done, uint64_t total) {
    auto* self = static_cast<LibraryProgress*>(user);
    if (self->enabled && task) {
      std::lock_guard<std::mutex> lock(self->mu);
      if (!self->bar || self->task != task) {
        if (self->bar) self->bar->Finish();
        self->task = task;
        self->bar = std::make_unique<Progress>(std::cerr, self->task, total, true);
      }
      self->bar->Update(done);
      if (total > 0 && done >= total) {
        self->bar->Finish();
        self->bar.reset();
        self->task.clear();
      }
    }
    return g_cancel_requested ? 1 : 0;
  }
  bool enabled;
  std::mutex mu;
  std::string task;
  std::unique_ptr<Progress> bar;
};

Session::Session(const GlobalOptions& global) : uncaught_at_start_(std::uncaught_exceptions()) {
  ek_context_options options;
  ek_context_options_init(&options);
  options.backend = global.backend.c_str();
  options.num_threads = global.threads;
  options.log_level = global.quiet ? EK_LOG_ERROR : EK_LOG_WARN;
  ek_context* ctx = nullptr;
  Check(ek_context_create(&options, &ctx), "ek_context_create");
  context_.reset(ctx);

  // The library's own progress reports (long plugin work: training, fitting, encoding)
  // as a bar on a terminal; the callback also cancels on Ctrl-C.
  progress_ = std::make_unique<LibraryProgress>(global.json || global.quiet ? false : StderrIsTerminal());
  Check(ek_context_set_progress(ctx, &LibraryProgress::Report, progress_.get()), "ek_context_set_progress");

  g_cancel_requested = 0;
  g_signal_context.store(ctx);
  struct sigaction action = {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;  // a second Ctrl-C terminates at once
  sigaction(SIGINT, &action, &g_previous_action);
}

Session::~Session() {
  // Unwinding: the command failed or was cancelled after creating a store.
  if (std::uncaught_exceptions() > uncaught_at_start_) RemoveCreatedStores();
  sigaction(SIGINT, &g_previous_action, nullptr);
  g_signal_context.store(nullptr);
  if (context_) ek_context_set_progress(context_.get(), nullptr, nullptr);
}

StorePtr Session::OpenStore(const std::string& path, StoreAccess access) {
  const bool must_exist = access == StoreAccess::kRead || access == StoreAccess::kWrite;
  std::error_code ec;
  // symlink_status: a dangling link counts as existing, so it is never removed.
  const bool existed = path == ":memory:" || std::filesystem::exists(std::filesystem::symlink_status(path, ec));
  // Said here rather than by the library: a command that updates a store must not
  // make one (an empty file) when the path is mistyped.
  if (access == StoreAccess::kWrite && !existed) {
    throw RuntimeError("no such store '" + path + "' (check the path; this command updates an existing store)");
  }
  ek_store_options options;
  ek_store_options_init(&options);
  options.read_only = access == StoreAccess::kRead ? 1 : 0;
  options.must_exist = must_exist ? 1 : 0;
  // Registered before the open: a failed open (a bad schema in a file SQLite just
  // made, say) must not leave the file behind either.
  if (access == StoreAccess::kCreateOrUndo && !existed) created_stores_.push_back(path);
  ek_store* store = nullptr;
  Check(ek_store_open(context_.get(), path.c_str(), &options, &store), "ek_store_open");
  return StorePtr(store);
}

void Session::RemoveCreatedStores() noexcept {
  for (const std::string& path : created_stores_) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path + suffix, ec);
  }
  created_stores_.clear();
}

CollectionPtr Session::OpenCollection(ek_store* store, const std::string& name) {
  ek_collection* collection = nullptr;
  Check(ek_collection_open(store, name.c_str(), &collection), "ek_collection_open");
  return CollectionPtr(collection);
}

ek_collection_info Session::Info(ek_collection* collection) {
  ek_collection_info info = {};
  info.struct_size = sizeof info;
  Check(ek_collection_info_get(collection, &info), "ek_collection_info_get");
  return info;
}

bool Session::CancelRequested() { return g_cancel_requested != 0; }

void Session::ThrowIfCancelled() {
  if (CancelRequested()) throw Cancelled();
}

std::string_view MetricName(ek_metric metric) {
  switch (metric) {
    case EK_METRIC_COSINE: return "cosine";
    case EK_METRIC_DOT: return "dot";
    case EK_METRIC_L2: return "l2";
    default: return "unknown";
  }
}

ek_metric ParseMetric(std::string_view name, const std::string& command) {
  if (name == "cosine") return EK_METRIC_COSINE;
  if (name == "dot") return EK_METRIC_DOT;
  if (name == "l2") return EK_METRIC_L2;
  throw UsageError("--metric must be cosine, dot or l2, got '" + std::string(name) + "'",
                   command);
}

std::string AbiText(uint32_t abi) {
  return std::to_string(abi >> 16) + "." + std::to_string(abi & 0xFFFF);
}

std::string_view MetricOrder(ek_metric metric) {
  return metric == EK_METRIC_L2 ? "squared L2 distance, lower is closer"
                                : metric == EK_METRIC_DOT ? "inner product, higher is closer"
                                                          : "cosine similarity, higher is closer";
}

}  // namespace ek::cli
