// The `embedkit` virtual table module (docs/design/sql_extension.md "The embedkit
// virtual table"): CREATE VIRTUAL TABLE docs USING embedkit(<vec0 column syntax>,
// [embedkit options]) makes or connects the collection `docs` of the store on the same
// connection; rows are read and written through Session::store().
#pragma once

#include <sqlite3.h>

#include "sql/session.h"

namespace ek::sql {

// Registers the `embedkit` module on `db`; the module owns `session` from here on (its
// destructor deletes it when the connection closes, or at once if registration fails).
int RegisterEmbedkitModule(sqlite3* db, Session* session);

}  // namespace ek::sql
