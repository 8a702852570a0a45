// Owning wrappers for the C API's handles, status checking, and the context a
// command runs in (threads, backend, log level, Ctrl-C -> ek_context_cancel).
// Everything here goes through the public C API only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"
#include "embedkit/embedkit.h"

namespace ek::cli {

struct ContextFree {
  void operator()(ek_context* p) const { ek_context_free(p); }
};
struct StoreFree {
  void operator()(ek_store* p) const { ek_store_free(p); }
};
struct CollectionFree {
  void operator()(ek_collection* p) const { ek_collection_free(p); }
};
struct ResultsFree {
  void operator()(ek_results* p) const { ek_results_free(p); }
};
struct StringFree {
  void operator()(char* p) const { ek_string_free(p); }
};
using ContextPtr = std::unique_ptr<ek_context, ContextFree>;
using StorePtr = std::unique_ptr<ek_store, StoreFree>;
using CollectionPtr = std::unique_ptr<ek_collection, CollectionFree>;
using ResultsPtr = std::unique_ptr<ek_results, ResultsFree>;
using LibString = std::unique_ptr<char, StringFree>;

// Throws LibraryError(status, ek_last_error()) unless status is EK_OK. `call`
// names the function, used only if the library left no message.
void Check(ek_status status, std::string_view call);

// The context a command runs in. While it lives, SIGINT cancels the context's
// long operations (they return EK_ERR_CANCELLED) and sets CancelRequested();
// a second SIGINT kills the process the default way.
class Session {
 public:
  explicit Session(const GlobalOptions& global);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ek_context* context() const { return context_.get(); }

  // How a command opens its store.
  enum class StoreAccess {
    kRead,    // read-only; the store must exist
    kWrite,   // read-write; the store must exist (commands that update a model)
    kCreate,  // read-write, created if missing (kept even when the command fails)
    // Created if missing, and removed again (with its -wal/-shm/-journal) when the
    // command fails or is cancelled, so that a failed command leaves no empty store
    // behind. A store that existed before is never removed.
    kCreateOrUndo,
  };
  StorePtr OpenStore(const std::string& path, StoreAccess access);
  // Opens a store. `read_only` stores must already exist (EK_ERR_IO otherwise);
  // writable ones are created if missing (StoreAccess::kCreate).
  StorePtr OpenStore(const std::string& path, bool read_only) {
    return OpenStore(path, read_only ? StoreAccess::kRead : StoreAccess::kCreate);
  }
  // Opens an existing collection (EK_ERR_NOT_FOUND otherwise).
  static CollectionPtr OpenCollection(ek_store* store, const std::string& name);
  static ek_collection_info Info(ek_collection* collection);

  // True once the user pressed Ctrl-C.
  static bool CancelRequested();
  // Throws Cancelled if the user pressed Ctrl-C.
  static void ThrowIfCancelled();

 private:
  void RemoveCreatedStores() noexcept;

  ContextPtr context_;
  // Stores this session created with kCreateOrUndo: removed by ~Session when it runs
  // during stack unwinding (the command threw), i.e. after the command's StorePtrs
  // (declared after the Session) have closed them.
  std::vector<std::string> created_stores_;
  int uncaught_at_start_ = 0;
  struct LibraryProgress;  // the bar of the library's current task (session.cc)
  std::unique_ptr<LibraryProgress> progress_;
};

// "cosine" | "dot" | "l2" <-> ek_metric.
std::string_view MetricName(ek_metric metric);
// Throws UsageError naming `command` for an unknown name.
ek_metric ParseMetric(std::string_view name, const std::string& command);
// "1.0" from (major << 16) | minor.
std::string AbiText(uint32_t abi);
// "higher is closer" / "lower is closer".
std::string_view MetricOrder(ek_metric metric);

}  // namespace ek::cli
