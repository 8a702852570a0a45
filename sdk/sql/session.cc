#include "sql/session.h"

#include <mutex>
#include <set>
#include <string>

#include "base/error.h"
#include "capi/store_attach.h"

namespace ek::sql {
namespace {

// The C API reports a failure as a status plus the thread's last error (which names the
// entry point): turn both into the ek::Error the SQL layer throws.
[[noreturn]] void ThrowLastError(ek_status status) {
  const char* message = ek_last_error();
  Fail(status, message && *message ? message : ek_status_name(status));
}

// The connections that have a Session now. Process-wide: each connection that loads
// the extension runs its init in this one copy of the library. Never destroyed: a
// connection may close during the program's exit, after static destructors ran.
std::mutex registry_mutex;
std::set<sqlite3*>& Registry() {
  static auto* connections = new std::set<sqlite3*>;
  return *connections;
}

}  // namespace

Session::Session(sqlite3* db) : db_(db) {
  std::lock_guard lock(registry_mutex);
  Registry().insert(db);
}

Session::~Session() {
  ek_store_free(store_);
  ek_context_free(context_);
  std::lock_guard lock(registry_mutex);
  Registry().erase(db_);
}

bool Session::ExistsFor(sqlite3* db) {
  std::lock_guard lock(registry_mutex);
  return Registry().count(db) != 0;
}

ek_context* Session::context() {
  if (!context_) {
    ek_status status = ek_context_create(nullptr, &context_);
    if (status != EK_OK) ThrowLastError(status);
  }
  return context_;
}

ek_store* Session::store_handle() {
  if (!store_) {
    ek_status status = ek_store_attach_connection(context(), db_, &store_);
    if (status != EK_OK) ThrowLastError(status);
  }
  return store_;
}

store::Store& Session::store() { return StoreOf(store_handle()); }

void Session::HoldStore() { ++store_holders_; }

void Session::ReleaseStore() {
  if (store_holders_ > 0 && --store_holders_ == 0) {
    ek_store_free(store_);
    store_ = nullptr;
  }
}

}  // namespace ek::sql
