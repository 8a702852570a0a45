// The values fuzz_sql puts into its statements: vectors in every form the extension
// reads (JSON text, f32 blobs, vec_int8()/vec_bit()/vec_f16() results, a row's own
// vector through a subquery), mostly well-formed for the table at hand and otherwise
// malformed in the ways a caller can get wrong (length, syntax, NaN, type), and
// metadata values of every SQLite type.
#pragma once

#include <algorithm>
#include <string>

#include "fuzz_sql_input.h"

namespace fuzz_sql {

// What fuzz_sql knows about a table it created (what the CREATE statement said).
struct TableSpec {
  bool live = false;
  std::string name;                // t0, t1, t2
  std::string vector_column = "v";
  char element = 'f';              // f float, i int8, b bit
  int dim = 4;
  int id_kind = 0;                 // 0 rowid only, 1 id integer primary key, 2 id text pk
  struct Column {
    std::string name;
    char type;                     // t text, i integer, f float, b boolean
  };
  std::vector<Column> metadata;    // metadata, partition key and +auxiliary columns
  bool cheap_bulk = true;          // no graph, or one small enough for 4,000+ rows
  bool big = false;                // a bulk insert of 4,000+ rows ran on it
};

// A number of vector components: the table's, or near it, or anything.
inline int64_t Dim(Input& in, const TableSpec& t) {
  switch (in.Byte() % 8) {
    case 0: return t.dim + 1;
    case 1: return std::max(0, t.dim - 1);
    case 2: return std::min<int64_t>(in.Count(64), 66000);  // 65536 is the limit
    default: return t.dim;
  }
}

inline std::string Number(float f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "1e999" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(f));
  return buf;
}

// '[1, 2.5, ...]' with n components, sometimes broken.
inline std::string JsonVector(Input& in, int64_t n, bool integers) {
  std::string s = "[";
  for (int64_t i = 0; i < std::max<int64_t>(n, 0); ++i) {
    if (i) s += in.Byte() % 16 ? "," : " , ";
    s += integers ? std::to_string(int8_t(in.Byte())) : Number(in.Float());
  }
  s += "]";
  switch (in.Byte() % 24) {
    case 0: s.pop_back(); break;                              // unterminated
    case 1: s.insert(s.size() - 1, ","); break;               // trailing comma
    case 2: s.insert(1, "\"1\","); break;                     // a string element
    case 3: s = "[" + s + "]"; break;                         // nested
    case 4: s = in.Bytes(in.Byte() % 40); break;              // anything
    case 5: s.insert(1, "1e999,"); break;                     // out of float range
    case 6: s = "{\"v\": " + s + "}"; break;
    case 7: s.insert(1, "300,-129,"); break;                  // out of int8 range
    default: break;
  }
  return s;
}

inline Blob F32Blob(Input& in, int64_t n) {
  Blob b;
  for (int64_t i = 0; i < std::max<int64_t>(n, 0); ++i) {
    const float f = in.Float();
    b.bytes.append(reinterpret_cast<const char*>(&f), sizeof f);
  }
  if (in.Byte() % 16 == 0 && !b.bytes.empty()) b.bytes.pop_back();  // not a multiple of 4
  return b;
}

// A vector for table `t` as an SQL expression appended to `st`.
inline void VectorExpr(Statement& st, Input& in, const TableSpec& t, int depth = 0) {
  int form = in.Byte() % 16;
  if (form < 8) form = t.element == 'i' ? 2 : t.element == 'b' ? 3 : form % 2;
  const int64_t n = Dim(in, t);
  switch (form) {
    case 0: st.Param(JsonVector(in, n, false)); break;
    case 1: st.Param(F32Blob(in, n)); break;
    case 2: st.Text("vec_int8(").Param(JsonVector(in, n, true)).Text(")"); break;
    case 3: st.Text("vec_bit(").Param(Blob{in.Bytes((n + 7) / 8)}).Text(")"); break;
    case 8: st.Text("vec_f16(").Param(JsonVector(in, n, false)).Text(")"); break;
    case 9: st.Param(Blob{in.Bytes(in.Byte())}); break;
    case 10: st.Param(Value{}); break;
    case 11: st.Param(int64_t(in.Count(9))); break;
    case 12: st.Text("(SELECT " + t.vector_column + " FROM " + t.name + " WHERE rowid = ")
                 .Param(int64_t(in.Count(20))).Text(")");
             break;
    case 13:
      if (depth > 2) {
        st.Param(Value{});
        break;
      }
      st.Text("vec_normalize(");
      VectorExpr(st, in, t, depth + 1);
      st.Text(")");
      break;
    case 14:
      if (depth > 2) {
        st.Param(Value{});
        break;
      }
      st.Text("vec_slice(");
      VectorExpr(st, in, t, depth + 1);
      st.Text(", ").Param(int64_t(in.Count(8))).Text(", ").Param(int64_t(in.Count(8))).Text(")");
      break;
    default: st.Param(in.Bytes(in.Byte() % 32)); break;
  }
}

inline std::string Text(Input& in) {
  static const char* dict[] = {"",  "a",   "ab", "ab%", "A%", "%",   "_",   "a_c",    "\xff\xfe",
                               "x", "b*",  "[a-z]*", "NULL", "1", "\xc3\xbcn", "\"q\"", "a'b"};
  const uint8_t sel = in.Byte();
  if (sel < 200) return dict[sel % (sizeof dict / sizeof *dict)];
  if (sel == 255) return std::string(300 + in.Byte(), 'n');
  return in.Bytes(in.Byte() % 24);
}

// A metadata / id value: mostly of `type` (t, i, f, b), sometimes of any type.
inline Value Scalar(Input& in, char type) {
  const uint8_t sel = in.Byte();
  if (sel % 8 == 0) type = "tifbnx"[sel / 8 % 6];
  switch (type) {
    case 't': return Text(in);
    case 'i': return int64_t(sel % 3 == 1 ? int64_t(in.U64()) : in.Count(6));
    case 'f': return double(in.Float());
    case 'b': return int64_t(in.Byte() % 3);
    case 'n': return Value{};
    default: return Blob{in.Bytes(in.Byte() % 8)};
  }
}

}  // namespace fuzz_sql
