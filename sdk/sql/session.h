// One Session per sqlite3 connection that loaded the extension: the embedkit context
// and the store attached to that connection, both made on first use so that loading the
// extension costs nothing until a vector function or the vtab needs them. The vtab
// module owns it (RegisterEmbedkitModule: the module's destructor deletes it, which
// SQLite calls when the connection closes).
//
// Threads: SQLite holds the connection's mutex while it runs a statement or a vtab
// callback, and every call into a Session comes from inside one, so its members need
// no lock of their own.
#pragma once

#include <sqlite3.h>

#include "embedkit/embedkit.h"

namespace ek::store {
class Store;
}

namespace ek::sql {

class Session {
 public:
  explicit Session(sqlite3* db);
  ~Session();  // frees the store handle, then the context
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Whether a Session for `db` exists now (each registers itself while it lives): the
  // extension loaded twice into one connection keeps its first one.
  static bool ExistsFor(sqlite3* db);

  sqlite3* db() const { return db_; }
  // ek_context_create with the defaults on first use; throws ek::Error with the C
  // API's message.
  ek_context* context();
  // The store over this connection (ek_store_attach_connection) on first use: creates
  // or upgrades the schema in `main` then; throws ek::Error when the database cannot
  // be a store.
  ek_store* store_handle();
  store::Store& store();  // StoreOf(store_handle())

  // Tables hold the store while they are connected. The store caches prepared
  // statements on this connection, and SQLite will not close a connection that has
  // statements left (sqlite3_close fails with SQLITE_BUSY; sqlite3_close_v2 waits for
  // them, so the module's destructor, which would free them, never runs) — but it
  // disconnects every table first. So each table calls HoldStore() once connected and
  // ReleaseStore() when it disconnects; the last release frees the store (and its
  // statements), and the next store_handle() attaches again.
  void HoldStore();
  void ReleaseStore();

 private:
  sqlite3* db_;
  ek_context* context_ = nullptr;
  ek_store* store_ = nullptr;
  int store_holders_ = 0;
};

}  // namespace ek::sql
