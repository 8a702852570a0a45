// An ek_store handle over a SQLite connection its caller owns (the SQL extension's):
// internal to the SDK, not part of the C ABI (no EK_API; libembedkit.so does not export
// it). The store's semantics on such a connection: store::Store::Attach (store/store.h).
#pragma once

#include <sqlite3.h>

#include "embedkit/embedkit.h"
#include "store/store.h"

// Attaches a store to `db`, using the context's thread pool and its backend's searches
// as ek_store_open does. The store never closes `db`: the caller keeps it open until the
// handle and every collection handle made from it are freed (ek_store_free,
// ek_collection_free). Errors as every entry point: the status, and ek_last_error()
// "ek_store_attach_connection: <reason>".
ek_status ek_store_attach_connection(ek_context* context, sqlite3* db, ek_store** out);

// The handle's store, for the SQL layer (which sits above capi). Throws ek::Error
// (EK_ERR_INVALID_ARGUMENT) for a NULL handle.
ek::store::Store& StoreOf(ek_store* store);
