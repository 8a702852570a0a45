// xBestIndex of the `embedkit` table: the plan (vtab_plan.h) from the constraints
// SQLite offers. A constraint is omitted (not checked again by SQLite) only where the
// store answers it exactly; GLOB and LIKE are pushed as a prefix (a necessary condition,
// decided in xFilter from the pattern: vtab_filter.cc) and checked again; comparisons
// of text under a collation other than BINARY and auxiliary columns stay with SQLite.
#include "sql/vtab_plan.h"

#include <cstdlib>
#include <exception>

#include "base/error.h"
#include "sql/sql_error.h"
#include "sql/vtab_table.h"

namespace ek::sql {
namespace {

// The constraints a plan may use, by what they are (indexes into aConstraint).
struct Offered {
  int match = -1;
  bool match_unusable = false;
  int k = -1;
  bool k_unusable = false;
  int limit = -1, offset = -1, ef = -1, rowid = -1, key = -1;
  int below = -1, above = -1;  // distance < / <= and distance > / >= (one of each)
  std::vector<int> columns;  // pushable metadata constraints
};

std::optional<TermOp> PushableOp(const ColumnSpec& column, unsigned char op) {
  const bool boolean = column.type == ValueType::kBoolean;
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: return TermOp::kEq;
    case SQLITE_INDEX_CONSTRAINT_NE: return TermOp::kNe;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: return TermOp::kIsNull;
    case SQLITE_INDEX_CONSTRAINT_ISNOTNULL: return TermOp::kIsNotNull;
    // Booleans are JSON true/false in the metadata: ranges over them have no filter form.
    case SQLITE_INDEX_CONSTRAINT_LT: return boolean ? std::nullopt : std::optional(TermOp::kLt);
    case SQLITE_INDEX_CONSTRAINT_LE: return boolean ? std::nullopt : std::optional(TermOp::kLe);
    case SQLITE_INDEX_CONSTRAINT_GT: return boolean ? std::nullopt : std::optional(TermOp::kGt);
    case SQLITE_INDEX_CONSTRAINT_GE: return boolean ? std::nullopt : std::optional(TermOp::kGe);
    // LIKE and GLOB read a number as its text; the store's prefixes match strings only.
    case SQLITE_INDEX_CONSTRAINT_GLOB:
      return column.type == ValueType::kText ? std::optional(TermOp::kGlob) : std::nullopt;
    case SQLITE_INDEX_CONSTRAINT_LIKE:
      return column.type == ValueType::kText ? std::optional(TermOp::kLike) : std::nullopt;
    default: return std::nullopt;
  }
}

// The store compares text bytewise (BINARY). A comparison under another collation
// (`title = 'x' COLLATE NOCASE`, or the `title >= 'ABC' COLLATE NOCASE AND title < 'abd'`
// SQLite adds beside `title LIKE 'abc%'`) is left to SQLite. Numbers ignore collations,
// and GLOB, LIKE and IS [NOT] NULL have none.
bool StoreCanCompare(const ColumnSpec& column, const sqlite3_index_info* info, int i) {
  if (column.type != ValueType::kText) return true;
  const char* collation = sqlite3_vtab_collation(const_cast<sqlite3_index_info*>(info), i);
  return !collation || sqlite3_stricmp(collation, "BINARY") == 0;
}

// A prefix pushed for GLOB or LIKE only narrows the rows: SQLite checks the pattern.
bool PushedExactly(TermOp op) { return op != TermOp::kGlob && op != TermOp::kLike; }

Offered Collect(const TableSpec& spec, const sqlite3_index_info* info) {
  Offered o;
  const int vector = VectorColumn(spec);
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    const bool eq = c.op == SQLITE_INDEX_CONSTRAINT_EQ;
    if (c.op == SQLITE_INDEX_CONSTRAINT_MATCH && c.iColumn == vector) {
      if (c.usable) o.match = i;
      else o.match_unusable = true;
    }
    if (eq && c.iColumn == KColumn(spec) && !c.usable) o.k_unusable = true;
    if (!c.usable) continue;
    if (c.op == SQLITE_INDEX_CONSTRAINT_LIMIT) o.limit = i;
    else if (c.op == SQLITE_INDEX_CONSTRAINT_OFFSET) o.offset = i;
    else if (eq && c.iColumn == KColumn(spec)) o.k = i;
    else if (eq && c.iColumn == EfColumn(spec)) o.ef = i;
    else if (c.iColumn == DistanceColumn(spec) && o.below < 0 &&
             (c.op == SQLITE_INDEX_CONSTRAINT_LT || c.op == SQLITE_INDEX_CONSTRAINT_LE))
      o.below = i;
    else if (c.iColumn == DistanceColumn(spec) && o.above < 0 &&
             (c.op == SQLITE_INDEX_CONSTRAINT_GT || c.op == SQLITE_INDEX_CONSTRAINT_GE))
      o.above = i;
    else if (eq && c.iColumn == -1 && o.rowid < 0) o.rowid = i;
    else if (eq && PrimaryKey(spec) && c.iColumn == 0 && o.key < 0) o.key = i;
    else if (c.iColumn >= 0 && c.iColumn < int(spec.columns.size())) {
      const ColumnSpec& column = spec.columns[size_t(c.iColumn)];
      if ((column.role == ColumnRole::kMetadata || column.role == ColumnRole::kPartitionKey) &&
          PushableOp(column, c.op) && StoreCanCompare(column, info, i))
        o.columns.push_back(i);
    }
  }
  return o;
}

// Hands constraint `i` to xFilter as the next argument, described by `term`.
class PlanBuilder {
 public:
  explicit PlanBuilder(sqlite3_index_info* info) : info_(info) {}

  void Add(int i, PlanTerm term, bool omit) {
    if (term.op == TermOp::kEq && sqlite3_vtab_in(info_, i, -1)) {
      sqlite3_vtab_in(info_, i, 1);  // all values at once (sqlite3_vtab_in_first/next)
      term.op = TermOp::kIn;
    }
    plan_.terms.push_back(term);
    info_->aConstraintUsage[i].argvIndex = int(plan_.terms.size());
    info_->aConstraintUsage[i].omit = omit ? 1 : 0;
  }
  Plan& plan() { return plan_; }

 private:
  sqlite3_index_info* info_;
  Plan plan_;
};

void AddKeyTerms(const Offered& o, PlanBuilder& b) {
  if (o.rowid >= 0) b.Add(o.rowid, {TermRole::kRowid, TermOp::kEq, -1}, true);
  if (o.key >= 0) b.Add(o.key, {TermRole::kKey, TermOp::kEq, 0}, true);
}

// The KNN plan; false when this combination of usable constraints cannot be one (SQLite
// then tries another).
bool PlanKnn(const TableSpec& spec, const Offered& o, sqlite3_index_info* info, PlanBuilder& b) {
  const bool by_distance = info->nOrderBy == 1 &&
                           info->aOrderBy[0].iColumn == DistanceColumn(spec) &&
                           !info->aOrderBy[0].desc;
  const bool limit_is_k = info->nOrderBy == 0 || by_distance;
  b.Add(o.match, {TermRole::kMatch, TermOp::kEq, VectorColumn(spec)}, true);
  if (o.k >= 0) {
    b.Add(o.k, {TermRole::kK, TermOp::kEq, KColumn(spec)}, true);
  } else if (o.limit >= 0 && limit_is_k) {
    // SQLite still applies LIMIT and OFFSET to what we return: not omitted.
    b.Add(o.limit, {TermRole::kLimit, TermOp::kEq, -1}, false);
    if (o.offset >= 0) b.Add(o.offset, {TermRole::kOffset, TermOp::kEq, -1}, false);
  } else if (o.k_unusable) {
    return false;  // SQLite also offers the plan where k is known
  }
  // Neither k nor a usable LIMIT (SQLite before 3.41 offers no LIMIT beside MATCH): the
  // cursor returns rows by distance, asking the store for more as SQLite reads on.
  if (o.ef >= 0) b.Add(o.ef, {TermRole::kEf, TermOp::kEq, EfColumn(spec)}, true);
  // Distance bounds are the cursor's, compared in float32 as vec0 does: omitted, so
  // SQLite's double comparison does not undo a bound vec0 would let through.
  if (o.below >= 0) {
    const bool le = info->aConstraint[o.below].op == SQLITE_INDEX_CONSTRAINT_LE;
    b.Add(o.below, {TermRole::kDistance, le ? TermOp::kLe : TermOp::kLt, DistanceColumn(spec)}, true);
  }
  if (o.above >= 0) {
    const bool ge = info->aConstraint[o.above].op == SQLITE_INDEX_CONSTRAINT_GE;
    b.Add(o.above, {TermRole::kDistance, ge ? TermOp::kGe : TermOp::kGt, DistanceColumn(spec)}, true);
  }
  AddKeyTerms(o, b);
  for (int i : o.columns) {
    const auto& c = info->aConstraint[i];
    const TermOp op = *PushableOp(spec.columns[size_t(c.iColumn)], c.op);
    b.Add(i, {TermRole::kColumn, op, c.iColumn}, PushedExactly(op));
  }
  info->orderByConsumed = by_distance ? 1 : 0;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return true;
}

bool ColumnUsed(const sqlite3_index_info* info, int column) {
  return (info->colUsed & (sqlite3_uint64(1) << (column < 63 ? column : 63))) != 0;
}

}  // namespace

std::string EncodePlan(const Plan& plan) {
  std::string s(1, static_cast<char>(plan.kind));
  for (const PlanTerm& t : plan.terms) {
    s += static_cast<char>(t.role);
    s += static_cast<char>(t.op);
    s += std::to_string(t.column) + ";";
  }
  return s;
}

Plan DecodePlan(std::string_view text) {
  Plan plan;
  if (text.empty()) ek::Fail(EK_ERR_INTERNAL, "embedkit vtab: empty plan");
  plan.kind = static_cast<PlanKind>(text[0]);
  size_t i = 1;
  while (i < text.size()) {
    const size_t end = text.find(';', i);
    if (end == std::string_view::npos || end < i + 3)
      ek::Fail(EK_ERR_INTERNAL, "embedkit vtab: malformed plan '" + std::string(text) + "'");
    PlanTerm t{static_cast<TermRole>(text[i]), static_cast<TermOp>(text[i + 1]),
               std::atoi(std::string(text.substr(i + 2, end - i - 2)).c_str())};
    plan.terms.push_back(t);
    i = end + 1;
  }
  return plan;
}

int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  try {
    const TableSpec& spec = TableOf(vtab).spec;
    const Offered o = Collect(spec, info);

    PlanBuilder b(info);
    if (o.match >= 0) {
      b.plan().kind = PlanKind::kKnn;
      if (!PlanKnn(spec, o, info, b)) return SQLITE_CONSTRAINT;
    } else if (o.match_unusable) {
      return SQLITE_CONSTRAINT;  // wait for a plan where the query vector is known
    } else if (o.rowid >= 0 || o.key >= 0) {
      b.plan().kind = PlanKind::kPoint;
      AddKeyTerms(o, b);
      info->estimatedCost = 1;
      info->estimatedRows = 1;
    } else {
      b.plan().kind = PlanKind::kFullScan;
      info->estimatedCost = 1e6;
      info->estimatedRows = 100000;
    }
    info->idxNum = ColumnUsed(info, VectorColumn(spec)) ? kPlanNeedsVector : 0;
    const std::string encoded = EncodePlan(b.plan());
    info->idxStr = sqlite3_mprintf("%s", encoded.c_str());
    if (!info->idxStr) return SQLITE_NOMEM;
    info->needToFreeIdxStr = 1;
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(vtab, e);
  }
}

}  // namespace ek::sql
