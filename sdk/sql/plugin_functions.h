// The bundled plugins in SQL (issue 20 item 3), each run through the C ABI on the
// connection's Session (its context; its attached store for models saved in this
// database), with the semantics of the CLI command that drives the same plugin:
//
//   ek_encode(json [, config])                   vsa_json: a float32 vector blob
//   ek_classify(model, text)                     text_classify: the label, or NULL
//   ek_classify_scores(model, text)              the same with confidence and scores (JSON)
//   ek_match(source, target [, options])         table_match: table-valued, ranked candidates
//   ek_recommend(model, user [, k [, include_seen]])  rec_unlearn: table-valued top k
//   ek_forget(model, kind, ids [, method [, options]])  rec_unlearn: forget, JSON report
//
// Each file's opening comment describes its functions; errors are SQLite errors with
// embedkit's message (sql_error.h).
#pragma once

#include <sqlite3.h>

#include "sql/session.h"

namespace ek::sql {

// Registers the functions above on `db`; `session` is the connection's (owned by the
// embedkit module, which SQLite destroys after these functions). SQLITE_OK or the error.
int RegisterPluginFunctions(sqlite3* db, Session* session);

}  // namespace ek::sql
