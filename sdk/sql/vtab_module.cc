// The module object of the `embedkit` table: creating, connecting and dropping tables,
// and the transaction callbacks. The store runs on the caller's connection and never
// begins, commits or makes savepoints itself (store.h Attach), so the transaction work
// here is telling it about rollbacks (its warm copies, and graphs, may hold rows SQLite
// just undid) and settling the table's pending deletes (vtab_write.cc): applied at
// xSync, xSavepoint and xRelease, dropped at xRollback and xRollbackTo.
#include "sql/vtab.h"

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "sql/sql_error.h"
#include "sql/vtab_table.h"

namespace ek::sql {
namespace {

void CreateOrCheckCollection(EmbedkitTable& t) {
  const TableSpec& spec = t.spec;
  // Without index options an existing collection is connected whatever its index; a
  // different dim or metric is refused with the store's message.
  if (spec.index_options_given)
    t.store().CreateCollection(spec.collection, spec.vector.dim, spec.vector.metric, spec.index);
  else
    t.store().CreateCollection(spec.collection, spec.vector.dim, spec.vector.metric);
}

int Init(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
         char** err, bool create) {
  Session* session = static_cast<Session*>(aux);
  bool holding = false;
  try {
    auto table = std::make_unique<EmbedkitTable>();
    table->session = session;
    if (std::string_view(argv[1]) != "main")
      ek::Fail(EK_ERR_UNSUPPORTED, std::string("an embedkit table lives in the main database (the "
                                               "store's), not in '") + argv[1] + "'");
    const std::vector<std::string_view> args(argv + 3, argv + argc);
    table->spec = ParseTableArguments(args, argv[2]);
    // Declared before the store runs any statement (as vec0 declares before it makes its
    // shadow tables): SQLite is building this table's schema entry meanwhile.
    const int rc = sqlite3_declare_vtab(db, DeclareTableSql(table->spec).c_str());
    if (rc != SQLITE_OK)
      ek::Fail(EK_ERR_INTERNAL, std::string("declaring the table: ") + sqlite3_errmsg(db));
    // Held before the store is first used, so that a refused CREATE (a bad name, another
    // dim) releases the store it attached: otherwise nothing would free its statements
    // and the connection could not close. Released in Disconnect (session.h says why).
    session->HoldStore();
    holding = true;
    // xConnect does not look for the collection: a table whose collection was dropped
    // elsewhere must still be droppable; its reads report the store's message.
    if (create) CreateOrCheckCollection(*table);
    sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);  // INSERT OR REPLACE reaches us
    *out = &table.release()->base;
    return SQLITE_OK;
  } catch (const std::exception& e) {
    if (holding) session->ReleaseStore();
    return CreateError(err, e);
  }
}

int Create(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
           char** err) {
  return Init(db, aux, argc, argv, out, err, true);
}

int Connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
            char** err) {
  return Init(db, aux, argc, argv, out, err, false);
}

int Disconnect(sqlite3_vtab* vtab) {
  // Nothing is pending here in practice: SQLite keeps a table that is part of a
  // transaction connected until its xCommit or xRollback, and xSync applied or xRollback
  // dropped the deletes before. Applied anyway; a failure has nobody left to report to
  // (SQLite ignores what xDisconnect returns), and the owner's transaction is over.
  try {
    ApplyPendingDeletes(TableOf(vtab));
  } catch (const std::exception&) {
  }
  sqlite3_free(vtab->zErrMsg);
  Session* session = TableOf(vtab).session;
  delete &TableOf(vtab);
  session->ReleaseStore();
  return SQLITE_OK;
}

// DROP TABLE drops the collection (one already gone is fine). Pending deletes are
// applied first: a ROLLBACK TO a savepoint between them and the DROP keeps them.
int Destroy(sqlite3_vtab* vtab) {
  try {
    EmbedkitTable& t = TableOf(vtab);
    ApplyPendingDeletes(t);
    if (t.store().FindCollection(t.collection())) t.store().DropCollection(t.collection());
  } catch (const std::exception& e) {
    return VtabError(vtab, e);
  }
  return Disconnect(vtab);
}

int Rename(sqlite3_vtab* vtab, const char*) {
  return VtabError(vtab, ek::Error(EK_ERR_UNSUPPORTED,
                                   "an embedkit table is not renamed: its name is its "
                                   "collection's (CREATE another with collection=NAME)"));
}

int NoTransactionWork(sqlite3_vtab*) { return SQLITE_OK; }

// xSync (before a commit), xSavepoint and xRelease (a SAVEPOINT or RELEASE, and the
// statement savepoint around a DELETE in a transaction): the pending deletes reach the
// store. A failure fails the commit or the statement, and SQLite rolls back.
int ApplyDeletes(sqlite3_vtab* vtab) {
  try {
    ApplyPendingDeletes(TableOf(vtab));
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(vtab, e);
  }
}

int ApplyDeletesAtSavepoint(sqlite3_vtab* vtab, int) { return ApplyDeletes(vtab); }

// xRollback and xRollbackTo. Dropping every pending delete is exact for a ROLLBACK TO
// too: xSavepoint applies them, so those pending are younger than the table's latest
// savepoint, and SQLite calls xRollbackTo(n) on every table whose latest savepoint is n
// or newer (sqlite3VtabSavepoint; a table that joins the transaction later gets an
// xSavepoint at the current level as it joins): rolling back to n undoes the
// statements that made them.
int Forget(sqlite3_vtab* vtab) {
  try {
    DropPendingDeletes(TableOf(vtab));
    TableOf(vtab).store().ForgetUncommitted();
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(vtab, e);
  }
}

int RollbackTo(sqlite3_vtab* vtab, int) { return Forget(vtab); }

const sqlite3_module kModule = {
    /* iVersion */ 2,
    /* xCreate */ Create,
    /* xConnect */ Connect,
    /* xBestIndex */ BestIndex,
    /* xDisconnect */ Disconnect,
    /* xDestroy */ Destroy,
    /* xOpen */ OpenCursor,
    /* xClose */ CloseCursor,
    /* xFilter */ FilterCursor,
    /* xNext */ NextRow,
    /* xEof */ AtEnd,
    /* xColumn */ ColumnValue,
    /* xRowid */ RowidOf,
    /* xUpdate */ Update,
    /* xBegin */ NoTransactionWork,
    /* xSync */ ApplyDeletes,
    /* xCommit */ NoTransactionWork,
    /* xRollback */ Forget,
    /* xFindFunction */ nullptr,
    /* xRename */ Rename,
    /* xSavepoint */ ApplyDeletesAtSavepoint,
    /* xRelease */ ApplyDeletesAtSavepoint,
    /* xRollbackTo */ RollbackTo,
    /* xShadowName */ nullptr,
};

void DeleteSession(void* session) { delete static_cast<Session*>(session); }

}  // namespace

int RegisterEmbedkitModule(sqlite3* db, Session* session) {
  return sqlite3_create_module_v2(db, "embedkit", &kModule, session, DeleteSession);
}

}  // namespace ek::sql
