// xUpdate of the `embedkit` table: INSERT (OR REPLACE / OR IGNORE), UPDATE, DELETE,
// through store calls on the caller's connection, so they are part of the caller's
// statement and transaction (a rollback undoes them; vtab_module.cc tells the store).
//
// DELETE reaches the store in batches. The store takes a row out of an hnsw graph with
// one pass over the whole graph (hnsw_remove.cc relinks every node that pointed at it),
// so a Store::Delete per row made a DELETE of n rows cost n passes. SQLite deletes from
// a virtual table in two passes (sqlite3DeleteFrom; this table never claims
// SQLITE_INDEX_SCAN_UNIQUE, so never one-pass): it collects every rowid first, then
// calls xUpdate for each, and nothing reads the table in between. So xUpdate only
// records the row's id, and ApplyPendingDeletes hands the ids to the store as one batch
// before anything could observe the rows:
//   - when the statement ends: in a transaction SQLite runs such a DELETE under a
//     statement savepoint (it may abort midway), whose release is xRelease; in autocommit
//     mode the statement's commit calls xSync first (as FTS5 flushes its pending terms);
//   - before a read of the table (xFilter) or an INSERT or UPDATE of it: what a DELETE
//     from a trigger leaves pending while the statement that fired it goes on;
//   - at xSavepoint, DROP TABLE and xDisconnect, where nothing should be pending;
//   - when kMaxPendingDeletes ids wait, which bounds the memory they take.
// A rollback drops them instead (vtab_module.cc says why that is exact). A DELETE of a
// row that is gone meanwhile is still nothing: the store skips ids it does not have.
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "sql/sql_error.h"
#include "sql/vtab_table.h"
#include "sql/vtab_values.h"

namespace ek::sql {
namespace {

// Deletes held before they are applied anyway: one graph pass per this many rows.
constexpr size_t kMaxPendingDeletes = 4096;

// The id of the row a rowid names (the old row of an UPDATE or DELETE).
std::optional<std::string> IdOfRowid(EmbedkitTable& t, sqlite3_value* rowid) {
  const int64_t n = sqlite3_value_int64(rowid);
  if (RowidIsKey(t.spec)) return IdOfInteger(n);
  auto row = t.store().GetRow(t.collection(), n, false, false);
  if (!row) return std::nullopt;
  return std::move(row->id);
}

bool IsNull(sqlite3_value* v) { return sqlite3_value_type(v) == SQLITE_NULL; }

int64_t IntegerKey(const EmbedkitTable& t, sqlite3_value* v, const char* what) {
  if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
    ek::Fail(EK_ERR_INVALID_ARGUMENT, t.collection() + ": the " + what + " must be an integer");
  return sqlite3_value_int64(v);
}

// The id a new row gets from its rowid (argv[1]) and its primary key column.
std::string NewRowId(EmbedkitTable& t, sqlite3_value* rowid, sqlite3_value** values) {
  const ColumnSpec* pk = PrimaryKey(t.spec);
  if (pk && pk->type == ValueType::kText) {
    if (!IsNull(rowid))
      ek::Fail(EK_ERR_INVALID_ARGUMENT,
               t.collection() + ": the rowid of a table with a text primary key is the store's "
                                "row number; it cannot be set");
    if (sqlite3_value_type(values[0]) != SQLITE_TEXT)
      ek::Fail(EK_ERR_INVALID_ARGUMENT, t.collection() + "." + pk->name +
                                            " (text primary key) must be text, not NULL or a number");
    const char* s = reinterpret_cast<const char*>(sqlite3_value_text(values[0]));
    return std::string(s, size_t(sqlite3_value_bytes(values[0])));
  }
  const bool have_key = pk && !IsNull(values[0]);
  if (!have_key && IsNull(rowid))
    ek::Fail(EK_ERR_INVALID_ARGUMENT,
             t.collection() + ": an INSERT gives the row's " + (pk ? pk->name : std::string("rowid")) +
                 " (the collection's id of the row)");
  const int64_t key = have_key ? IntegerKey(t, values[0], "primary key") : IntegerKey(t, rowid, "rowid");
  if (have_key && !IsNull(rowid) && IntegerKey(t, rowid, "rowid") != key)
    ek::Fail(EK_ERR_INVALID_ARGUMENT, t.collection() + ": rowid and " + pk->name + " differ");
  return IdOfInteger(key);
}

void Write(EmbedkitTable& t, const std::string& id, const std::vector<float>& vector,
           const std::string& metadata) {
  const char* ids[] = {id.c_str()};
  const char* metas[] = {metadata.c_str()};
  store::UpsertBatch batch;
  batch.count = 1;
  batch.ids = ids;
  batch.vectors = vector.data();
  batch.dim = vector.size();
  batch.metadata = metas;
  t.store().Upsert(t.collection(), batch);
}

std::vector<float> VectorOf(EmbedkitTable& t, sqlite3_value* v) {
  const std::string what = t.collection() + "." + t.spec.vector.name;
  if (IsNull(v)) ek::Fail(EK_ERR_INVALID_ARGUMENT, what + ": a row needs a vector, not NULL");
  return ReadColumnVector(v, t.spec, what);
}

int64_t Insert(EmbedkitTable& t, sqlite3_value** argv) {
  sqlite3_value** values = argv + 2;
  const std::string id = NewRowId(t, argv[1], values);
  const std::vector<float> vector = VectorOf(t, values[VectorColumn(t.spec)]);
  const std::string metadata = MetadataJson(t.spec, values, std::nullopt);
  const int conflict = sqlite3_vtab_on_conflict(t.session->db());
  if (conflict != SQLITE_REPLACE && t.store().RowOf(t.collection(), id)) {
    if (conflict == SQLITE_IGNORE) return 0;
    ek::Fail(EK_ERR_ALREADY_EXISTS, "UNIQUE constraint failed: " + t.collection() + " already has row '" +
                                        id + "' (INSERT OR REPLACE replaces it)");
  }
  Write(t, id, vector, metadata);
  if (RowidIsKey(t.spec)) return IntegerOfId(t.spec, id);
  const auto row = t.store().RowOf(t.collection(), id);
  return row ? *row : 0;
}

// Whether an UPDATE gives the row another rowid or primary key.
bool KeyChanged(const EmbedkitTable& t, sqlite3_value** argv, const std::string& old_id) {
  if (IsNull(argv[1]) || sqlite3_value_int64(argv[1]) != sqlite3_value_int64(argv[0])) return true;
  const ColumnSpec* pk = PrimaryKey(t.spec);
  if (!pk) return false;
  sqlite3_value* key = argv[2];
  if (pk->type == ValueType::kText) {
    if (sqlite3_value_type(key) != SQLITE_TEXT) return true;
    const char* s = reinterpret_cast<const char*>(sqlite3_value_text(key));
    return std::string_view(s, size_t(sqlite3_value_bytes(key))) != old_id;
  }
  return sqlite3_value_numeric_type(key) != SQLITE_INTEGER ||
         IdOfInteger(sqlite3_value_int64(key)) != old_id;
}

// UPDATE: the row is read first, so a vector SQLite did not change (sqlite3_value_nochange)
// and metadata keys no column declares are kept. (The store changes only the row when the
// vector is byte-identical: a metadata UPDATE leaves the graph and codes alone.)
void UpdateRow(EmbedkitTable& t, sqlite3_value** argv) {
  sqlite3_value** values = argv + 2;
  const auto old_id = IdOfRowid(t, argv[0]);
  if (!old_id) ek::Fail(EK_ERR_NOT_FOUND, t.collection() + ": the row to update is gone");
  if (KeyChanged(t, argv, *old_id)) {
    const ColumnSpec* pk = PrimaryKey(t.spec);
    ek::Fail(EK_ERR_INVALID_ARGUMENT, t.collection() + ": an UPDATE cannot change the " +
                                          (pk ? pk->name : std::string("rowid")) +
                                          " (DELETE the row and INSERT it anew)");
  }
  sqlite3_value* vector_value = values[VectorColumn(t.spec)];
  const bool keep_vector = sqlite3_value_nochange(vector_value);
  std::vector<float> stored;
  std::optional<std::string> previous;
  if (!t.store().Get(t.collection(), *old_id, keep_vector ? &stored : nullptr, &previous))
    ek::Fail(EK_ERR_NOT_FOUND, t.collection() + ": row '" + *old_id + "' is gone");
  const std::vector<float> vector = keep_vector ? stored : VectorOf(t, vector_value);
  Write(t, *old_id, vector, MetadataJson(t.spec, values, previous));
}

// DELETE: the row's id joins the pending deletes (the opening comment says why).
void DeleteRow(EmbedkitTable& t, sqlite3_value* rowid) {
  std::optional<std::string> id = IdOfRowid(t, rowid);
  if (!id) return;  // a text-keyed row that is gone: nothing to delete, as ever
  t.pending_deletes.push_back(std::move(*id));
  if (t.pending_deletes.size() >= kMaxPendingDeletes) ApplyPendingDeletes(t);
}

}  // namespace

void ApplyPendingDeletes(EmbedkitTable& t) {
  if (t.pending_deletes.empty()) return;
  // Taken out first: the store's own statements may open statement savepoints, and
  // SQLite then calls this table's xSavepoint and xRelease from inside Store::Delete;
  // they must find nothing to apply (the store is busy: applying again would deadlock).
  std::vector<std::string> ids = std::move(t.pending_deletes);
  t.pending_deletes.clear();
  try {
    t.store().Delete(t.collection(), ids);
  } catch (...) {
    t.pending_deletes = std::move(ids);  // for a retry (the store skips ids it has not)
    throw;
  }
}

void DropPendingDeletes(EmbedkitTable& t) { t.pending_deletes.clear(); }

int Update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64* rowid) {
  try {
    EmbedkitTable& t = TableOf(vtab);
    if (argc == 1) {
      DeleteRow(t, argv[0]);
      return SQLITE_OK;
    }
    ApplyPendingDeletes(t);  // an INSERT may reuse a deleted key; an UPDATE reads the store
    if (IsNull(argv[0])) {
      *rowid = Insert(t, argv);
    } else {
      UpdateRow(t, argv);
    }
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(vtab, e);
  }
}

}  // namespace ek::sql
