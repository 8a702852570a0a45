// ek_store_attach_connection: an ek_store over a borrowed connection (store_attach.h).
#include "capi/store_attach.h"

#include <memory>

#include "capi/guard.h"
#include "capi/handles.h"

using ek::capi::Guard;
using ek::capi::RequireNotNull;

ek_status ek_store_attach_connection(ek_context* context, sqlite3* db, ek_store** out) {
  return Guard("ek_store_attach_connection", [&] {
    RequireNotNull(context, "context");
    RequireNotNull(db, "db");
    RequireNotNull(out, "out");
    *out = nullptr;
    auto store = std::make_unique<ek_store>();
    store->context = context->impl;
    // "" for an in-memory or temporary database, as ek_store_open's ":memory:".
    const char* file = sqlite3_db_filename(db, "main");
    store->path = file && *file ? file : ":memory:";
    store->impl = ek::store::Store::Attach(db, &context->impl->pool(),
                                           context->impl->backend().scan,
                                           context->impl->backend().quantized_scan);
    *out = store.release();
  });
}

ek::store::Store& StoreOf(ek_store* store) {
  RequireNotNull(store, "store");
  return *store->impl;
}
