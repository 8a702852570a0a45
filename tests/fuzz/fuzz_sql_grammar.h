// The statements fuzz_sql runs: a small grammar over the `embedkit` virtual table and
// the vec_* functions (docs/design/sql_extension.md), each built from input bytes as
// SQL text with `?` parameters (fuzz_sql_values.h). Mostly statements the extension
// should accept for the table at hand; the fuzzed parts make the rest.
#pragma once

#include <string>

#include "fuzz_sql_values.h"

namespace fuzz_sql {

inline const char* Pick(Input& in, std::initializer_list<const char*> words) {
  return words.begin()[in.Byte() % words.size()];
}

// CREATE VIRTUAL TABLE with vec0's column syntax and embedkit's options; `spec` is what
// the table will be if the statement succeeds.
inline Statement CreateTable(Input& in, TableSpec& spec) {
  Statement st;
  const uint8_t shape = in.Byte();
  spec.element = "fffib"[shape % 5];
  spec.dim = shape & 0x80 ? int(in.Count(40)) : 1 + in.Byte() % 8;
  spec.vector_column = Pick(in, {"v", "embedding", "\"v v\""});
  spec.id_kind = in.Byte() % 3;
  spec.metadata.clear();
  spec.big = false;
  std::vector<std::string> parts;
  if (spec.id_kind) parts.push_back(spec.id_kind == 1 ? "id integer primary key" : "id text primary key");
  std::string vec = spec.vector_column + " " +
                    (spec.element == 'f' ? Pick(in, {"float", "f32"}) : spec.element == 'i' ? "int8" : "bit") +
                    "[" + std::to_string(spec.dim) + "]";
  if (in.Bit()) vec += std::string(" distance_metric=") + Pick(in, {"l2", "cosine", "dot", "l1", "hamming"});
  parts.push_back(vec);
  static const TableSpec::Column kColumns[] = {
      {"genre", 't'}, {"year", 'i'}, {"score", 'f'}, {"ok", 'b'}, {"user_id", 'i'}, {"title", 't'}};
  const uint8_t columns = in.Byte();
  for (int c = 0; c < 6; ++c) {
    if (!(columns >> c & 1)) continue;
    const auto& col = kColumns[c];
    spec.metadata.push_back(col);
    const char* type = col.type == 't' ? "text" : col.type == 'i' ? "integer" : col.type == 'f' ? "float" : "boolean";
    std::string decl = std::string(col.name) + " " + type;
    if (col.name == std::string("user_id")) decl += " partition key";
    if (col.name == std::string("title")) decl = "+" + decl;
    parts.push_back(decl);
  }
  const uint8_t options = in.Byte();
  const char* index = options & 1 ? Pick(in, {"hnsw", "exact", "ivf"}) : "exact";
  if (options & 1) parts.push_back(std::string("index=") + index);
  const int64_t m = options & 2 ? in.Count(48) : 16;
  const int64_t ef_construction = options & 4 ? in.Count(64) : 200;
  if (options & 2) parts.push_back("m=" + std::to_string(m));
  if (options & 4) parts.push_back("ef_construction=" + std::to_string(ef_construction));
  // A graph over thousands of rows costs seconds under ASan unless it is small.
  spec.cheap_bulk = std::string(index) != "hnsw" || (m <= 16 && ef_construction <= 32);
  if (options & 8) parts.push_back("ef_search=" + std::to_string(in.Count(64)));
  if (options & 16) parts.push_back(std::string("element=") + Pick(in, {"f32", "f16", "int8", "bit", "f64"}));
  if (options & 32) parts.push_back("rescore=" + std::to_string(in.Count(8)));
  if (options & 64) parts.push_back(std::string("collection=") + Pick(in, {"shared", "t0", "vectors", "a b"}));
  if (options & 128) parts.push_back(in.Bytes(in.Byte() % 24));  // anything
  // Swap two parts now and then: order should not matter to the parser.
  if (parts.size() > 1 && in.Byte() % 4 == 0) std::swap(parts[0], parts[in.Byte() % parts.size()]);
  st.Text("CREATE VIRTUAL TABLE ");
  if (in.Byte() % 8 == 0) st.Text("IF NOT EXISTS ");
  st.Text(spec.name + " USING embedkit(");
  for (size_t i = 0; i < parts.size(); ++i) st.Text((i ? ", " : "") + parts[i]);
  st.Text(")");
  return st;
}

inline std::string KeyColumn(const TableSpec& t) { return t.id_kind ? "id" : "rowid"; }

inline void KeyValue(Statement& st, Input& in, const TableSpec& t) {
  st.Param(Scalar(in, t.id_kind == 2 ? 't' : 'i'));
}

// INSERT [OR ...] INTO t(key?, vector, metadata...) VALUES (...), ...
inline Statement Insert(Input& in, const TableSpec& t) {
  Statement st;
  st.Text("INSERT ").Text(Pick(in, {"", "", "OR REPLACE ", "OR IGNORE ", "OR FAIL ", "OR ROLLBACK "}));
  st.Text("INTO " + t.name + "(");
  const bool with_key = in.Byte() % 4 != 0;
  const uint8_t which = in.Byte();
  std::vector<const TableSpec::Column*> cols;
  for (size_t c = 0; c < t.metadata.size(); ++c)
    if (which >> c & 1) cols.push_back(&t.metadata[c]);
  st.Text(with_key ? KeyColumn(t) + ", " : "").Text(t.vector_column);
  for (auto* c : cols) st.Text(", " + c->name);
  if (in.Byte() % 16 == 0) st.Text(Pick(in, {", distance", ", k", ", ef", ", nope"})), cols.push_back(nullptr);
  st.Text(") VALUES ");
  const int rows = 1 + in.Byte() % 4;
  for (int r = 0; r < rows; ++r) {
    st.Text(r ? ", (" : "(");
    if (with_key) KeyValue(st, in, t), st.Text(", ");
    VectorExpr(st, in, t);
    for (auto* c : cols) st.Text(", ").Param(Scalar(in, c ? c->type : 'n'));
    st.Text(")");
  }
  return st;
}

// Many rows at once (up to past the store's graph threshold, 4,096, where the table's
// graph is small): a recursive CTE whose vectors are arithmetic on the row number.
inline Statement BulkInsert(Input& in, TableSpec& t) {
  Statement st;
  const int rows = in.Byte() % 4 == 0 && t.cheap_bulk ? 4000 + in.Byte() % 160 : 1 + in.Byte();
  if (rows >= 4000) t.big = true;  // whether or not it succeeds (kept on the safe side)
  st.Text("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < " +
          std::to_string(rows) + ") INSERT OR REPLACE INTO " + t.name + "(" + KeyColumn(t) +
          ", " + t.vector_column);
  for (auto& c : t.metadata) st.Text(", " + c.name);
  // Distinct vectors (component 0 is the row number): thousands of equal vectors make
  // every graph edit visit the whole tie (seconds under ASan), which is not the point.
  // int8 components are integers in -127..127.
  const int salt = 1 + in.Byte() % 13;
  const bool int8 = t.element == 'i';
  std::string vector = int8 ? "json_array(i % 255 - 127" : "json_array(i / 512.0";
  for (int d = 1; d < std::clamp(t.dim, 1, 64); ++d)
    vector += ", ((i * " + std::to_string(7919 * (d + salt)) + ") % " + (int8 ? "255) - 127" : "1009) / 64.0 - 8");
  vector += ")";
  if (int8) vector = "vec_int8(" + vector + ")";
  if (t.element == 'b') vector = "vec_quantize_binary(" + vector + ")";
  st.Text(") SELECT " + std::string(t.id_kind == 2 ? "'k' || i" : "i") + ", " + vector);
  for (auto& c : t.metadata)
    st.Text(c.type == 't' ? ", 'g' || (i % 5)" : c.type == 'b' ? ", i % 2" : ", i % 7");
  st.Text(" FROM c");
  return st;
}

// A metadata constraint (or a few, joined by AND / OR).
inline void Filter(Statement& st, Input& in, const TableSpec& t, int depth = 0) {
  std::string col = t.metadata.empty() ? KeyColumn(t) : t.metadata[in.Byte() % t.metadata.size()].name;
  if (in.Byte() % 16 == 0) col = Pick(in, {"rowid", "id", "distance", "k", "nope"});
  const char type = t.metadata.empty() ? 'i' : t.metadata[0].type;
  switch (in.Byte() % 14) {
    case 0: st.Text(col + " = ").Param(Scalar(in, type)); break;
    case 1: st.Text(col + " != ").Param(Scalar(in, type)); break;
    case 2: st.Text(col + " < ").Param(Scalar(in, type)); break;
    case 3: st.Text(col + " <= ").Param(Scalar(in, type)); break;
    case 4: st.Text(col + " > ").Param(Scalar(in, type)); break;
    case 5: st.Text(col + " >= ").Param(Scalar(in, type)); break;
    case 6:
    case 7: {
      st.Text(col + (in.Byte() % 4 ? " IN (" : " NOT IN ("));
      const int n = in.Byte() % 5;
      for (int i = 0; i < n; ++i) st.Text(i ? ", " : "").Param(Scalar(in, type));
      st.Text(n ? ")" : "SELECT 1 WHERE 0)");
      break;
    }
    case 8: st.Text(col + " LIKE ").Param(Text(in)); break;
    case 9: st.Text(col + " GLOB ").Param(Text(in)); break;
    case 10: st.Text(col + (in.Bit() ? " IS NULL" : " IS NOT NULL")); break;
    case 11: st.Text(col + " BETWEEN ").Param(Scalar(in, type)).Text(" AND ").Param(Scalar(in, type)); break;
    default:
      if (depth > 2) {
        st.Text(col + " IS ").Param(Scalar(in, type));
        break;
      }
      st.Text("(");
      Filter(st, in, t, depth + 1);
      st.Text(in.Bit() ? " OR " : " AND ");
      Filter(st, in, t, depth + 1);
      st.Text(")");
  }
}

// KNN: MATCH with k = / LIMIT, ef, filters, a distance range, ORDER BY distance.
inline Statement Knn(Input& in, const TableSpec& t) {
  Statement st;
  const uint8_t shape = in.Byte();
  const bool ordered = shape & 1;
  st.Text(ordered ? "SELECT distance, " : "SELECT ");
  const std::string outputs[] = {"rowid", "*", KeyColumn(t), "count(*)", "distance, " + t.vector_column};
  const int output = in.Byte() % 5;
  const bool one_row = output == 3;  // count(*): one row whatever k is
  st.Text(outputs[output]);
  st.Text(" FROM " + t.name + " WHERE " + t.vector_column + " MATCH ");
  VectorExpr(st, in, t);
  if (shape & 2) {
    const uint8_t kind = in.Byte();
    if (kind % 4) {
      const int64_t k = kind % 8 == 1 ? in.Count(1 << 20) : in.Byte() % 32;
      st.Text(" AND k = ").Param(k);
      if (k >= 0 && !one_row) st.max_rows = k;
    } else {
      st.Text(" AND k = ").Param(Scalar(in, 'x'));
    }
  }
  if (shape & 4) st.Text(" AND ef = ").Param(int64_t(in.Count(300)));
  for (int f = 0; f < (shape >> 3 & 3); ++f) st.Text(" AND "), Filter(st, in, t);
  if (shape & 32) st.Text(in.Bit() ? " AND distance < " : " AND distance <= ").Param(double(in.Float()));
  if (ordered) {
    st.Text(" ORDER BY distance");
    st.distance_ascending = !(shape & 64);
    if (shape & 64) st.Text(" DESC");
  }
  if (shape & 128) {
    const int64_t limit = in.Count(40);
    st.Text(" LIMIT ").Param(limit);
    if (in.Bit()) st.Text(" OFFSET ").Param(int64_t(in.Count(8)));
    if (!(shape & 2) && limit >= 0 && !one_row) st.max_rows = limit;
  }
  return st;
}

// Not KNN: a full scan or point lookups, with metadata constraints SQLite checks.
inline Statement Scan(Input& in, const TableSpec& t) {
  Statement st;
  const std::string outputs[] = {"*", "rowid, *", "count(*)", "vec_to_json(" + t.vector_column + ")"};
  st.Text("SELECT " + outputs[in.Byte() % 4] + " FROM " + t.name);
  switch (in.Byte() % 5) {
    case 0: break;
    case 1: st.Text(" WHERE " + KeyColumn(t) + " = "), KeyValue(st, in, t); break;
    case 2: st.Text(" WHERE rowid IN (").Param(int64_t(in.Count(9))).Text(", ").Param(int64_t(in.Count(9))).Text(")"); break;
    default: st.Text(" WHERE "), Filter(st, in, t);
  }
  if (in.Bit()) st.Text(" LIMIT ").Param(int64_t(in.Count(20)));
  return st;
}

// The WHERE of an UPDATE or DELETE: a key, a filter, the rows a KNN finds, or every row.
// On a table past the graph threshold at most kBigTableEdits rows: each row edited
// costs a pass over the whole graph (HnswGraph::Remove), so editing thousands of rows
// takes minutes under ASan.
inline constexpr int kBigTableEdits = 32;
inline void WhichRows(Statement& st, Input& in, const TableSpec& t, int which) {
  if (t.big) st.Text(" WHERE rowid IN (SELECT rowid FROM " + t.name);
  switch (which) {
    case 0: st.Text(" WHERE " + KeyColumn(t) + " = "), KeyValue(st, in, t); break;
    case 1: st.Text(" WHERE "), Filter(st, in, t); break;
    case 2:
      st.Text(" WHERE rowid IN (SELECT rowid FROM " + t.name + " WHERE " + t.vector_column + " MATCH ");
      VectorExpr(st, in, t);
      st.Text(" AND k = ").Param(int64_t(in.Count(5))).Text(")");
      break;
    default: break;
  }
  if (t.big) st.Text(" LIMIT " + std::to_string(kBigTableEdits) + ")");
}

inline Statement Update(Input& in, const TableSpec& t) {
  Statement st;
  st.Text(std::string("UPDATE ") + Pick(in, {"", "OR REPLACE ", "OR IGNORE "}) + t.name + " SET ");
  const uint8_t what = in.Byte();
  bool any = false;
  auto comma = [&] { st.Text(any ? ", " : ""); any = true; };
  if (what & 1 || t.metadata.empty()) comma(), st.Text(t.vector_column + " = "), VectorExpr(st, in, t);
  for (size_t c = 0; c < t.metadata.size(); ++c)
    if (what >> (c + 1) & 1) comma(), st.Text(t.metadata[c].name + " = ").Param(Scalar(in, t.metadata[c].type));
  if (what & 0x80) comma(), st.Text(KeyColumn(t) + " = "), KeyValue(st, in, t);
  if (in.Byte() % 32 == 0) comma(), st.Text(Pick(in, {"distance = 1", "k = 2", "rowid = rowid + 1"}));
  WhichRows(st, in, t, in.Byte() % 4);
  return st;
}

inline Statement Delete(Input& in, const TableSpec& t) {
  Statement st;
  st.Text("DELETE FROM " + t.name);
  WhichRows(st, in, t, in.Byte() % 4);
  return st;
}

inline Statement Transaction(Input& in) {
  Statement st;
  st.Text(Pick(in, {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT s", "ROLLBACK TO s",
                    "RELEASE s", "SAVEPOINT s2", "ROLLBACK TO s2"}));
  return st;
}

// A vec_* (or plugin) function with vectors and scalars as arguments, any count.
inline Statement Function(Input& in, const TableSpec& t) {
  static const char* kNames[] = {
      "vec_f32", "vec_f16", "vec_int8", "vec_bit", "vec_length", "vec_type", "vec_to_json",
      "vec_distance_l2", "vec_distance_cosine", "vec_distance_l1", "vec_distance_hamming",
      "vec_normalize", "vec_add", "vec_sub", "vec_slice", "vec_quantize_binary",
      "vec_quantize_int8", "vec_version", "embedkit_version", "ek_encode", "ek_classify"};
  Statement st;
  const char* name = kNames[in.Byte() % (sizeof kNames / sizeof *kNames)];
  if (in.Byte() % 4 == 0) {
    st.Text("SELECT value FROM vec_each(");
    VectorExpr(st, in, t);
    st.Text(")");
  return st;
  }
  const bool as_json = in.Bit();  // a vector result read back through vec_to_json
  st.Text(std::string("SELECT ") + (as_json ? "vec_to_json(" : "") + name + "(");
  const int argc = in.Byte() % 4;
  for (int a = 0; a < argc; ++a) {
    st.Text(a ? ", " : "");
    if (in.Byte() % 3) VectorExpr(st, in, t);
    else st.Param(Scalar(in, "itfx"[in.Byte() % 4]));
  }
  st.Text(as_json ? "))" : ")");
  return st;
}

}  // namespace fuzz_sql
