// vec_each(vector): one row per component, as vec0's table-valued function: rowid (the
// 0-based index), value (a real for float vectors, an integer for int8 and bit) and the
// hidden argument column `vector`. Bits are listed in the order every other function
// reads them (bit i = bit i % 8 of byte i / 8); vec0 0.1.9's vec_each lists each byte's
// bits from the most significant instead, unlike its own vec_to_json.
#include <new>

#include "base/error.h"

#include "sql/functions_internal.h"

namespace ek::sql::functions {

namespace {

constexpr int kValueColumn = 0;
constexpr int kVectorColumn = 1;  // HIDDEN: the function's argument

struct EachCursor : sqlite3_vtab_cursor {
  TypedVector vector;
  size_t index = 0;
};

int EachConnect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  const int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value, vector HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  auto* vtab = static_cast<sqlite3_vtab*>(sqlite3_malloc(sizeof(sqlite3_vtab)));
  if (vtab == nullptr) return SQLITE_NOMEM;
  *vtab = sqlite3_vtab{};
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *out = vtab;
  return SQLITE_OK;
}

int EachDisconnect(sqlite3_vtab* vtab) {
  sqlite3_free(vtab);
  return SQLITE_OK;
}

// The plan needs `vector = ?` (the argument); without it there is none, and SQLite says
// so ("no query solution") rather than scanning an unbounded table.
int EachBestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn == kVectorColumn && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
      if (!c.usable) return SQLITE_CONSTRAINT;
      info->aConstraintUsage[i].argvIndex = 1;
      info->aConstraintUsage[i].omit = 1;
      info->estimatedCost = 10;
      info->estimatedRows = 100;
      info->orderByConsumed = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == -1 &&
                              !info->aOrderBy[0].desc;  // rows come in rowid order
      return SQLITE_OK;
    }
  }
  return SQLITE_CONSTRAINT;
}

int EachOpen(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = new (std::nothrow) EachCursor();
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

int EachClose(sqlite3_vtab_cursor* cursor) {
  delete static_cast<EachCursor*>(cursor);
  return SQLITE_OK;
}

int EachFilter(sqlite3_vtab_cursor* base, int, const char*, int argc, sqlite3_value** argv) {
  auto* cursor = static_cast<EachCursor*>(base);
  try {
    if (argc != 1) Fail(EK_ERR_INVALID_ARGUMENT, "vec_each() takes one vector argument");
    cursor->vector = ReadVector(argv[0], "vec_each() argument 1");
    cursor->index = 0;
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(base->pVtab, e);
  }
}

int EachNext(sqlite3_vtab_cursor* base) {
  ++static_cast<EachCursor*>(base)->index;
  return SQLITE_OK;
}

int EachEof(sqlite3_vtab_cursor* base) {
  auto* cursor = static_cast<EachCursor*>(base);
  return cursor->index >= cursor->vector.dim();
}

int EachColumn(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int column) {
  auto* cursor = static_cast<EachCursor*>(base);
  if (column != kValueColumn) return SQLITE_OK;  // `vector` reads NULL, as in vec0
  const float x = cursor->vector.values[cursor->index];
  const ElementType type = cursor->vector.type;
  if (type == ElementType::kInt8 || type == ElementType::kBit)
    sqlite3_result_int(ctx, int(x));
  else
    sqlite3_result_double(ctx, x);
  return SQLITE_OK;
}

int EachRowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  *rowid = static_cast<sqlite3_int64>(static_cast<EachCursor*>(base)->index);
  return SQLITE_OK;
}

}  // namespace

namespace {

// Eponymous only (no xCreate): vec_each exists in every schema without CREATE. Built
// member by member so a newer SQLite's added members stay null.
sqlite3_module MakeEachModule() {
  sqlite3_module m{};
  m.xConnect = EachConnect;
  m.xBestIndex = EachBestIndex;
  m.xDisconnect = EachDisconnect;
  m.xOpen = EachOpen;
  m.xClose = EachClose;
  m.xFilter = EachFilter;
  m.xNext = EachNext;
  m.xEof = EachEof;
  m.xColumn = EachColumn;
  m.xRowid = EachRowid;
  return m;
}

}  // namespace

const sqlite3_module kVecEachModule = MakeEachModule();

}  // namespace ek::sql::functions
