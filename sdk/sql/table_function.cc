#include "sql/table_function.h"

#include <memory>
#include <new>
#include <string>

#include "base/error.h"
#include "sql/sql_error.h"

namespace ek::sql {
namespace {

// The module's pAux: which function, and the connection's Session (owned by the embedkit
// module; used only inside xFilter, never at teardown) or nullptr.
struct Aux {
  const TableFunction* function;
  Session* session;
};

struct Table : sqlite3_vtab {
  const Aux* aux = nullptr;
};

struct ValueFree {
  void operator()(sqlite3_value* v) const { sqlite3_value_free(v); }
};

struct Cursor : sqlite3_vtab_cursor {
  Rows rows;
  size_t index = 0;
  // The arguments as given (read back through the hidden columns).
  std::vector<std::unique_ptr<sqlite3_value, ValueFree>> args;
};

const TableFunction& FunctionOf(sqlite3_vtab* vtab) { return *static_cast<Table*>(vtab)->aux->function; }

int Connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char** err) {
  const auto* a = static_cast<const Aux*>(aux);
  std::string schema = std::string("CREATE TABLE x(") + a->function->columns;
  // Each argument a HIDDEN column after the results, in the function's argument order.
  std::string names = a->function->arguments;
  for (size_t begin = 0; begin < names.size();) {
    size_t end = names.find(',', begin);
    if (end == std::string::npos) end = names.size();
    schema += ", " + names.substr(begin, end - begin) + " HIDDEN";
    begin = end + 1;
    while (begin < names.size() && names[begin] == ' ') ++begin;
  }
  schema += ")";
  const int rc = sqlite3_declare_vtab(db, schema.c_str());
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("embedkit: %s(): declaring its columns failed", a->function->name);
    return rc;
  }
  if (a->function->innocuous) sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  auto* table = new (std::nothrow) Table();
  if (table == nullptr) return SQLITE_NOMEM;
  table->aux = a;
  *out = table;
  return SQLITE_OK;
}

int Disconnect(sqlite3_vtab* vtab) {
  delete static_cast<Table*>(vtab);
  return SQLITE_OK;
}

// The plan passes every argument given as `arg = value` (idxNum: a bit per argument, in
// argument order); without all required ones there is no plan, so SQLite reports that
// the function lacks arguments rather than scanning an unbounded table.
int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  const TableFunction& f = FunctionOf(vtab);
  std::vector<int> constraint_of(size_t(f.argument_count), -1);
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    const int arg = c.iColumn - f.result_columns;
    if (arg < 0 || arg >= f.argument_count || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) return SQLITE_CONSTRAINT;
    constraint_of[size_t(arg)] = i;
  }
  int mask = 0, next_argv = 1;
  for (int arg = 0; arg < f.argument_count; ++arg) {
    const int i = constraint_of[size_t(arg)];
    if (i < 0) {
      if (arg < f.required) return SQLITE_CONSTRAINT;
      continue;
    }
    mask |= 1 << arg;
    info->aConstraintUsage[i].argvIndex = next_argv++;
    info->aConstraintUsage[i].omit = 1;
  }
  info->idxNum = mask;
  info->estimatedCost = 1000;
  info->estimatedRows = 10;
  info->orderByConsumed = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == -1 &&
                          !info->aOrderBy[0].desc;  // rows come in rowid order
  return SQLITE_OK;
}

int Open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = new (std::nothrow) Cursor();
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

int Close(sqlite3_vtab_cursor* cursor) {
  delete static_cast<Cursor*>(cursor);
  return SQLITE_OK;
}

int Filter(sqlite3_vtab_cursor* base, int mask, const char*, int argc, sqlite3_value** argv) {
  auto* cursor = static_cast<Cursor*>(base);
  const auto* aux = static_cast<Table*>(base->pVtab)->aux;
  const TableFunction& f = *aux->function;
  try {
    cursor->rows.clear();
    cursor->index = 0;
    cursor->args.clear();
    std::vector<sqlite3_value*> args(size_t(f.argument_count), nullptr);
    int next = 0;
    for (int arg = 0; arg < f.argument_count; ++arg) {
      if (!(mask & (1 << arg))) continue;
      if (next >= argc) Fail(EK_ERR_INTERNAL, std::string(f.name) + "(): the plan lost an argument");
      args[size_t(arg)] = argv[next++];
    }
    for (sqlite3_value* v : args) cursor->args.emplace_back(v ? sqlite3_value_dup(v) : nullptr);
    cursor->rows = f.run(aux->session, args.data());
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(base->pVtab, e);
  }
}

int Next(sqlite3_vtab_cursor* base) {
  ++static_cast<Cursor*>(base)->index;
  return SQLITE_OK;
}

int Eof(sqlite3_vtab_cursor* base) {
  auto* cursor = static_cast<Cursor*>(base);
  return cursor->index >= cursor->rows.size();
}

void ResultCell(sqlite3_context* ctx, const Cell& cell) {
  if (const auto* i = std::get_if<int64_t>(&cell)) {
    sqlite3_result_int64(ctx, *i);
  } else if (const auto* d = std::get_if<double>(&cell)) {
    sqlite3_result_double(ctx, *d);
  } else if (const auto* s = std::get_if<std::string>(&cell)) {
    sqlite3_result_text64(ctx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else {
    sqlite3_result_null(ctx);
  }
}

int Column(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int column) {
  auto* cursor = static_cast<Cursor*>(base);
  const TableFunction& f = FunctionOf(base->pVtab);
  if (column < f.result_columns) {
    ResultCell(ctx, cursor->rows[cursor->index][size_t(column)]);
  } else {
    const size_t arg = size_t(column - f.result_columns);
    if (f.echo_arguments && arg < cursor->args.size() && cursor->args[arg])
      sqlite3_result_value(ctx, cursor->args[arg].get());
  }
  return SQLITE_OK;
}

int Rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  const auto* cursor = static_cast<Cursor*>(base);
  *rowid = FunctionOf(base->pVtab).first_rowid + static_cast<sqlite3_int64>(cursor->index);
  return SQLITE_OK;
}

// Eponymous only (no xCreate): the function exists in every schema without CREATE.
// Built member by member so a newer SQLite's added members stay null.
sqlite3_module MakeModule() {
  sqlite3_module m{};
  m.xConnect = Connect;
  m.xBestIndex = BestIndex;
  m.xDisconnect = Disconnect;
  m.xOpen = Open;
  m.xClose = Close;
  m.xFilter = Filter;
  m.xNext = Next;
  m.xEof = Eof;
  m.xColumn = Column;
  m.xRowid = Rowid;
  return m;
}

const sqlite3_module kModule = MakeModule();

void FreeAux(void* aux) { delete static_cast<Aux*>(aux); }

}  // namespace

int RegisterTableFunction(sqlite3* db, const TableFunction& function, Session* session) {
  auto* aux = new (std::nothrow) Aux{&function, session};
  if (aux == nullptr) return SQLITE_NOMEM;
  // SQLite calls FreeAux itself when registration fails.
  return sqlite3_create_module_v2(db, function.name, &kModule, aux, FreeAux);
}

}  // namespace ek::sql
