// The cursor of the `embedkit` table: full scans page through the store by row number
// (ListAfter), point lookups read rows by rowid or key, KNN asks the store's Search (or,
// restricted to given rows, measures those rows here). Vectors are read only when the
// query uses the vector column; a KNN hit's vector only when its column is read.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <optional>
#include <set>
#include <vector>

#include "base/error.h"
#include "json/filter.h"
#include "sql/sql_error.h"
#include "sql/vtab_filter.h"
#include "sql/vtab_plan.h"
#include "sql/vtab_table.h"
#include "sql/vtab_values.h"

namespace ek::sql {
namespace {

constexpr size_t kScanPage = 256;

struct CursorRow {
  int64_t row = 0;  // the store's row number; 0 until known (KNN hits)
  std::string id;
  std::optional<std::vector<float>> vector;
  std::optional<std::string> metadata;
  double distance = 0;
};

CursorRow FromStoreRow(store::Row&& r) {
  return {r.row, std::move(r.id), r.vector.empty() ? std::nullopt : std::optional(std::move(r.vector)),
          std::move(r.metadata), 0};
}

// distance < / <= (the range search) and distance > / >= (vec0's paging: the rows past
// the last one seen). Bounds are float32 and distances are float32 values, so rows
// fall on the side of a bound they fall on in vec0, which compares in float.
struct DistanceBounds {
  std::optional<float> below, above;
  bool below_inclusive = false, above_inclusive = false;

  bool UnderUpper(double d) const {
    return !below || d < *below || (below_inclusive && d == *below);
  }
  bool OverLower(double d) const {
    return !above || d > *above || (above_inclusive && d == *above);
  }
  bool Contain(double d) const { return UnderUpper(d) && OverLower(d); }
};

// A KNN query's inputs, read from xFilter's arguments.
struct KnnQuery {
  std::vector<float> vector;
  std::optional<int64_t> k;     // k = ? or LIMIT (+ OFFSET); nullopt: range search only
  std::optional<int64_t> ef;
  DistanceBounds bounds;
  PushedFilter filter;
};

struct Cursor {
  sqlite3_vtab_cursor base{};  // first: SQLite sees a sqlite3_vtab_cursor*
  PlanKind kind = PlanKind::kFullScan;
  bool needs_vector = false;
  std::vector<CursorRow> rows;
  size_t at = 0;
  int64_t after_row = 0;  // full scan: the last row number read
  bool more = false;      // full scan: another page may follow
  std::optional<int64_t> k, ef;
  // KNN without k: the query, the k of the next store search, the ids returned so far.
  std::optional<KnnQuery> open_knn;
  size_t next_k = 0;
  std::set<std::string> returned;
  MetadataView view;
  size_t view_at = SIZE_MAX;  // the row `view` holds

  EmbedkitTable& table() { return TableOf(base.pVtab); }
};

Cursor& CursorOf(sqlite3_vtab_cursor* c) { return *reinterpret_cast<Cursor*>(c); }

int64_t IntegerArgument(sqlite3_value* v, const char* what, int64_t min) {
  if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER || sqlite3_value_int64(v) < min)
    ek::Fail(EK_ERR_INVALID_ARGUMENT, std::string(what) + " must be an integer >= " +
                                          std::to_string(min));
  return sqlite3_value_int64(v);
}

// The row numbers a rowid / key term names (IN lists included); values no row can have
// are skipped.
void RowsOfTerm(EmbedkitTable& t, const PlanTerm& term, sqlite3_value* arg, std::set<int64_t>* rows) {
  auto add = [&](sqlite3_value* v) {
    const bool text_key = !RowidIsKey(t.spec) && term.role == TermRole::kKey;
    if (text_key) {
      if (sqlite3_value_type(v) == SQLITE_NULL) return;
      const char* s = reinterpret_cast<const char*>(sqlite3_value_text(v));
      if (auto row = t.store().RowOf(t.collection(), std::string_view(s, size_t(sqlite3_value_bytes(v)))))
        rows->insert(*row);
      return;
    }
    if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER) return;
    const int64_t n = sqlite3_value_int64(v);
    if (!RowidIsKey(t.spec)) {
      rows->insert(n);  // a text-key table's rowid is the row number itself
    } else if (auto row = t.store().RowOf(t.collection(), IdOfInteger(n))) {
      rows->insert(*row);
    }
  };
  if (term.op == TermOp::kIn) {
    sqlite3_value* v = nullptr;
    for (int rc = sqlite3_vtab_in_first(arg, &v); rc == SQLITE_OK && v;
         rc = sqlite3_vtab_in_next(arg, &v))
      add(v);
  } else {
    add(arg);
  }
}

// The rows the plan's rowid and key terms allow (both given: those named by both);
// nullopt when the plan has neither.
std::optional<std::set<int64_t>> KeyedRows(EmbedkitTable& t, const Plan& plan, sqlite3_value** argv) {
  std::optional<std::set<int64_t>> result;
  for (size_t i = 0; i < plan.terms.size(); ++i) {
    const PlanTerm& term = plan.terms[i];
    if (term.role != TermRole::kRowid && term.role != TermRole::kKey) continue;
    std::set<int64_t> rows;
    RowsOfTerm(t, term, argv[i], &rows);
    if (result) {
      std::set<int64_t> both;
      std::set_intersection(result->begin(), result->end(), rows.begin(), rows.end(),
                            std::inserter(both, both.begin()));
      rows = std::move(both);
    }
    result = std::move(rows);
  }
  return result;
}

std::vector<CursorRow> ReadRows(EmbedkitTable& t, const std::set<int64_t>& rows, bool vectors) {
  std::vector<CursorRow> out;
  for (int64_t row : rows)
    if (auto r = t.store().GetRow(t.collection(), row, vectors, true)) out.push_back(FromStoreRow(std::move(*r)));
  return out;
}

void ReadDistanceBound(TermOp op, sqlite3_value* v, DistanceBounds* bounds) {
  const bool upper = op == TermOp::kLt || op == TermOp::kLe;
  const bool inclusive = op == TermOp::kLe || op == TermOp::kGe;
  if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER && sqlite3_value_numeric_type(v) != SQLITE_FLOAT)
    ek::Fail(EK_ERR_INVALID_ARGUMENT, std::string("distance ") + (upper ? "<" : ">") +
                                          (inclusive ? "=" : "") + " ?: the bound must be a number");
  const float bound = static_cast<float>(sqlite3_value_double(v));
  (upper ? bounds->below : bounds->above) = bound;
  (upper ? bounds->below_inclusive : bounds->above_inclusive) = inclusive;
}

KnnQuery ReadKnnQuery(const TableSpec& spec, const Plan& plan, sqlite3_value** argv) {
  KnnQuery q;
  int64_t offset = 0;
  for (size_t i = 0; i < plan.terms.size(); ++i) {
    sqlite3_value* v = argv[i];
    switch (plan.terms[i].role) {
      case TermRole::kMatch:
        q.vector = ReadColumnVector(v, spec, spec.vector.name + " MATCH");
        break;
      case TermRole::kK: q.k = IntegerArgument(v, "k", 0); break;
      case TermRole::kLimit: {
        const int64_t limit = sqlite3_value_int64(v);  // negative: no limit
        if (limit >= 0) q.k = limit;
        break;
      }
      case TermRole::kOffset: offset = std::max<int64_t>(0, sqlite3_value_int64(v)); break;
      case TermRole::kEf: q.ef = IntegerArgument(v, "ef", 1); break;
      case TermRole::kDistance: ReadDistanceBound(plan.terms[i].op, v, &q.bounds); break;
      default: break;
    }
  }
  if (q.k) *q.k += offset;
  q.filter = BuildFilter(spec, plan, argv);
  return q;
}

// KNN among given rows: distances measured here, the filter checked here.
std::vector<CursorRow> KnnAmong(EmbedkitTable& t, const KnnQuery& q, const std::set<int64_t>& rows) {
  std::optional<json::Filter> filter;
  if (!q.filter.json.empty()) filter = json::Filter::Compile(q.filter.json);
  std::vector<CursorRow> out;
  for (CursorRow& r : ReadRows(t, rows, true)) {
    if (filter && !filter->Matches(r.metadata ? *r.metadata : std::string_view())) continue;
    r.distance = DistanceBetween(t.spec, q.vector, *r.vector);
    if (q.bounds.Contain(r.distance)) out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const CursorRow& a, const CursorRow& b) { return a.distance < b.distance; });
  if (q.k && out.size() > size_t(*q.k)) out.resize(size_t(*q.k));
  return out;
}

std::vector<CursorRow> SearchStore(EmbedkitTable& t, const KnnQuery& q, size_t k) {
  store::SearchOptions options;
  if (q.ef) options.ef = size_t(*q.ef);
  auto hits = t.store().Search(t.collection(), q.vector.data(), 1, q.vector.size(), k,
                               q.filter.json, true, options);
  std::vector<CursorRow> out;
  for (store::Hit& h : hits[0])
    out.push_back({0, std::move(h.id), std::nullopt, std::move(h.metadata), DistanceOfScore(t.spec, h.score)});
  return out;
}

// KNN without k (SQLite reads until its LIMIT, or `distance <` ends the rows): each
// page asks the store for 4x more hits and keeps those not returned yet, until a search
// comes back short or reaches beyond the distance bound.
void FetchKnnPage(Cursor& c) {
  c.rows.clear();
  c.at = 0;
  c.view_at = SIZE_MAX;
  while (c.open_knn && c.rows.empty()) {
    const KnnQuery& q = *c.open_knn;
    std::vector<CursorRow> hits = SearchStore(c.table(), q, c.next_k);
    const bool exhausted = hits.size() < c.next_k || !q.bounds.UnderUpper(hits.back().distance);
    for (CursorRow& h : hits)
      if (q.bounds.Contain(h.distance) && c.returned.insert(h.id).second) c.rows.push_back(std::move(h));
    c.next_k *= 4;
    if (exhausted) c.open_knn.reset();
  }
}

// The k nearest within the bounds. A lower bound passes over the nearest rows: the
// search goes 4x deeper each time until k rows pass it, the collection runs out, or the
// hits reach past the upper bound.
std::vector<CursorRow> KnnWithK(EmbedkitTable& t, const KnnQuery& q, size_t k) {
  if (k == 0) return {};
  const auto deeper = [](size_t depth) { return depth > SIZE_MAX / 4 ? SIZE_MAX : depth * 4; };
  for (size_t depth = q.bounds.above ? std::max<size_t>(k, 64) : k;; depth = deeper(depth)) {
    std::vector<CursorRow> hits = SearchStore(t, q, depth);
    const bool last = hits.size() < depth || !q.bounds.above ||
                      !q.bounds.UnderUpper(hits.back().distance);
    std::vector<CursorRow> out;
    for (CursorRow& h : hits) {
      if (!q.bounds.Contain(h.distance)) continue;
      out.push_back(std::move(h));
      if (out.size() == k) return out;
    }
    if (last) return out;
  }
}

void StartKnn(Cursor& c, KnnQuery q) {
  if (q.k) {
    c.rows = KnnWithK(c.table(), q, size_t(*q.k));
    return;
  }
  c.open_knn = std::move(q);
  c.next_k = 64;
  FetchKnnPage(c);
}

void FetchScanPage(Cursor& c) {
  EmbedkitTable& t = c.table();
  auto page = t.store().ListAfter(t.collection(), c.after_row, kScanPage, c.needs_vector, true);
  c.more = page.size() == kScanPage;
  c.rows.clear();
  for (store::Row& r : page) c.rows.push_back(FromStoreRow(std::move(r)));
  if (!c.rows.empty()) c.after_row = c.rows.back().row;
  c.at = 0;
  c.view_at = SIZE_MAX;
}

void Filter(Cursor& c, int idx_num, const char* idx_str, sqlite3_value** argv) {
  EmbedkitTable& t = c.table();
  const Plan plan = DecodePlan(idx_str ? idx_str : "");
  c.kind = plan.kind;
  c.needs_vector = (idx_num & kPlanNeedsVector) != 0;
  c.rows.clear();
  c.at = 0;
  c.more = false;
  c.after_row = 0;
  c.view_at = SIZE_MAX;
  c.k.reset();
  c.ef.reset();
  c.open_knn.reset();
  c.returned.clear();
  if (plan.kind == PlanKind::kFullScan) return FetchScanPage(c);
  const auto keyed = KeyedRows(t, plan, argv);
  if (plan.kind == PlanKind::kPoint) {
    c.rows = ReadRows(t, *keyed, c.needs_vector);
    return;
  }
  KnnQuery q = ReadKnnQuery(t.spec, plan, argv);
  c.k = q.k;
  c.ef = q.ef;
  if (q.filter.nothing || (q.k && *q.k == 0)) return;
  if (keyed) c.rows = KnnAmong(t, q, *keyed);
  else StartKnn(c, std::move(q));
}

CursorRow& Current(Cursor& c) { return c.rows[c.at]; }

void ResultColumn(Cursor& c, sqlite3_context* ctx, int column) {
  EmbedkitTable& t = c.table();
  const TableSpec& spec = t.spec;
  CursorRow& r = Current(c);
  const bool knn = c.kind == PlanKind::kKnn;
  if (column == DistanceColumn(spec)) {
    if (knn) sqlite3_result_double(ctx, r.distance);
    return;
  }
  if (column == KColumn(spec) || column == EfColumn(spec)) {
    const auto& value = column == KColumn(spec) ? c.k : c.ef;
    if (knn && value) sqlite3_result_int64(ctx, *value);
    return;
  }
  const ColumnSpec& col = spec.columns.at(size_t(column));
  if (col.role == ColumnRole::kPrimaryKey) {
    if (col.type == ValueType::kInteger) sqlite3_result_int64(ctx, IntegerOfId(spec, r.id));
    else sqlite3_result_text(ctx, r.id.data(), int(r.id.size()), SQLITE_TRANSIENT);
  } else if (col.role == ColumnRole::kVector) {
    if (sqlite3_vtab_nochange(ctx)) return;  // an UPDATE that keeps the vector: not read
    if (!r.vector) {
      std::vector<float> v;
      if (!t.store().Get(t.collection(), r.id, &v, nullptr))
        ek::Fail(EK_ERR_NOT_FOUND, "row '" + r.id + "' of " + t.collection() + " is gone");
      r.vector = std::move(v);
    }
    ResultColumnVector(ctx, spec, *r.vector);
  } else {
    if (c.view_at != c.at) {
      c.view.Reset(r.metadata);
      c.view_at = c.at;
    }
    c.view.Result(ctx, col);
  }
}

}  // namespace

int OpenCursor(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = &(new (std::nothrow) Cursor())->base;
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

int CloseCursor(sqlite3_vtab_cursor* cursor) {
  delete &CursorOf(cursor);
  return SQLITE_OK;
}

int FilterCursor(sqlite3_vtab_cursor* cursor, int idx_num, const char* idx_str, int,
                 sqlite3_value** argv) {
  try {
    ApplyPendingDeletes(TableOf(cursor->pVtab));  // a read sees every DELETE before it
    Filter(CursorOf(cursor), idx_num, idx_str, argv);
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(cursor->pVtab, e);
  }
}

int NextRow(sqlite3_vtab_cursor* cursor) {
  try {
    Cursor& c = CursorOf(cursor);
    if (++c.at < c.rows.size()) return SQLITE_OK;
    if (c.kind == PlanKind::kFullScan && c.more) FetchScanPage(c);
    else if (c.open_knn) FetchKnnPage(c);
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(cursor->pVtab, e);
  }
}

int AtEnd(sqlite3_vtab_cursor* cursor) {
  Cursor& c = CursorOf(cursor);
  return c.at >= c.rows.size() ? 1 : 0;
}

int ColumnValue(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int column) {
  try {
    ResultColumn(CursorOf(cursor), ctx, column);
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(cursor->pVtab, e);
  }
}

int RowidOf(sqlite3_vtab_cursor* cursor, sqlite3_int64* rowid) {
  try {
    Cursor& c = CursorOf(cursor);
    EmbedkitTable& t = c.table();
    CursorRow& r = Current(c);
    if (RowidIsKey(t.spec)) {
      *rowid = IntegerOfId(t.spec, r.id);
      return SQLITE_OK;
    }
    if (r.row == 0) {
      const auto row = t.store().RowOf(t.collection(), r.id);
      if (!row) ek::Fail(EK_ERR_NOT_FOUND, "row '" + r.id + "' of " + t.collection() + " is gone");
      r.row = *row;
    }
    *rowid = r.row;
    return SQLITE_OK;
  } catch (const std::exception& e) {
    return VtabError(cursor->pVtab, e);
  }
}

}  // namespace ek::sql
