#include "sql/vtab_values.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/error.h"
#include "json_quote.h"
#include "sql/vector_value.h"
#include "sql/vtab_table.h"

namespace ek::sql {
namespace {

const char* SqlTypeName(int type) {
  switch (type) {
    case SQLITE_INTEGER: return "an integer";
    case SQLITE_FLOAT: return "a float";
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "a blob";
    default: return "NULL";
  }
}

const char* ColumnTypeName(ValueType type) {
  switch (type) {
    case ValueType::kInteger: return "an integer";
    case ValueType::kFloat: return "a float";
    case ValueType::kText: return "a text";
    case ValueType::kBoolean: return "a boolean";
    case ValueType::kBlob: return "a blob";
  }
  return "?";
}

[[noreturn]] void RefuseValue(const TableSpec& spec, const ColumnSpec& column,
                              const std::string& why) {
  ek::Fail(EK_ERR_INVALID_ARGUMENT, spec.collection + "." + column.name + " is " +
                                        ColumnTypeName(column.type) + " column; " + why);
}

std::string HexOf(const unsigned char* bytes, int n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size_t(n) * 2);
  for (int i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

// The JSON of one column value, or "" for NULL (the key is left out).
std::string ValueJson(const TableSpec& spec, const ColumnSpec& column, sqlite3_value* v) {
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) return "";
  auto got = [&] { return std::string("got ") + SqlTypeName(type); };
  switch (column.type) {
    case ValueType::kInteger:
      if (type == SQLITE_INTEGER) return std::to_string(sqlite3_value_int64(v));
      if (type == SQLITE_FLOAT) {  // 2020.0 is the integer 2020; 2020.5 is not
        const double x = sqlite3_value_double(v);
        if (x == std::trunc(x) && std::fabs(x) < 9.2e18) return std::to_string(int64_t(x));
      }
      RefuseValue(spec, column, got());
    case ValueType::kFloat: {
      if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) RefuseValue(spec, column, got());
      if (type == SQLITE_INTEGER) return std::to_string(sqlite3_value_int64(v));
      const double x = sqlite3_value_double(v);
      if (!std::isfinite(x)) RefuseValue(spec, column, "got " + JsonNumber(x) + " (JSON has no infinity)");
      return JsonNumber(x);
    }
    case ValueType::kText: {
      if (type != SQLITE_TEXT) RefuseValue(spec, column, got());
      const char* text = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return ek_plugin::JsonQuote(std::string_view(text, size_t(sqlite3_value_bytes(v))));
    }
    case ValueType::kBoolean:
      if (type == SQLITE_INTEGER && (sqlite3_value_int64(v) == 0 || sqlite3_value_int64(v) == 1))
        return sqlite3_value_int64(v) ? "true" : "false";
      RefuseValue(spec, column, got() + (type == SQLITE_INTEGER ? " other than 0 or 1" : ""));
    case ValueType::kBlob: {
      if (type != SQLITE_BLOB) RefuseValue(spec, column, got());
      const auto* bytes = static_cast<const unsigned char*>(sqlite3_value_blob(v));
      return "\"" + HexOf(bytes, sqlite3_value_bytes(v)) + "\"";
    }
  }
  return "";
}

bool IsDeclaredColumn(const TableSpec& spec, std::string_view key) {
  for (const ColumnSpec& c : spec.columns)
    if (c.role != ColumnRole::kPrimaryKey && c.role != ColumnRole::kVector && c.name == key)
      return true;
  return false;
}

// The members of `previous` that are no declared column, as ",\"key\":value" each.
std::string UndeclaredMembers(const TableSpec& spec, const std::string& previous) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(previous).get(object) != simdjson::SUCCESS) return "";
  std::string out;
  for (auto field : object) {
    if (IsDeclaredColumn(spec, field.key)) continue;
    out += "," + ek_plugin::JsonQuote(field.key) + ":" + simdjson::minify(field.value);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void ResultBlobFromHex(sqlite3_context* ctx, std::string_view hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0 || hex.size() % 2) {  // not ours: show the text as it is
      sqlite3_result_text(ctx, hex.data(), int(hex.size()), SQLITE_TRANSIENT);
      return;
    }
    bytes += char(hi * 16 + lo);
  }
  sqlite3_result_blob(ctx, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
}

}  // namespace

std::string JsonNumber(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string MetadataJson(const TableSpec& spec, sqlite3_value** values,
                         const std::optional<std::string>& previous) {
  std::string json = "{";
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    const ColumnSpec& column = spec.columns[i];
    if (column.role == ColumnRole::kPrimaryKey || column.role == ColumnRole::kVector) continue;
    const std::string value = ValueJson(spec, column, values[i]);
    if (value.empty()) continue;
    if (json.size() > 1) json += ",";
    json += ek_plugin::JsonQuote(column.name) + ":" + value;
  }
  if (previous) {
    std::string kept = UndeclaredMembers(spec, *previous);
    if (json.size() == 1 && !kept.empty()) kept.erase(0, 1);
    json += kept;
  }
  return json + "}";
}

void MetadataView::Reset(const std::optional<std::string>& metadata) {
  object_.reset();
  if (!metadata) return;
  text_ = *metadata;
  simdjson::dom::object object;
  if (parser_.parse(text_).get(object) == simdjson::SUCCESS) object_ = object;
}

void MetadataView::Result(sqlite3_context* ctx, const ColumnSpec& column) {
  simdjson::dom::element e;
  if (!object_ || (*object_)[column.name].get(e) != simdjson::SUCCESS) return;  // NULL
  switch (e.type()) {
    case simdjson::dom::element_type::INT64: sqlite3_result_int64(ctx, int64_t(e)); return;
    case simdjson::dom::element_type::UINT64: sqlite3_result_double(ctx, double(uint64_t(e))); return;
    case simdjson::dom::element_type::DOUBLE: sqlite3_result_double(ctx, double(e)); return;
    case simdjson::dom::element_type::BOOL: sqlite3_result_int(ctx, bool(e) ? 1 : 0); return;
    case simdjson::dom::element_type::NULL_VALUE: return;
    case simdjson::dom::element_type::STRING: {
      const std::string_view s(e);
      if (column.type == ValueType::kBlob) ResultBlobFromHex(ctx, s);
      else sqlite3_result_text(ctx, s.data(), int(s.size()), SQLITE_TRANSIENT);
      return;
    }
    default: {  // an array or object written through the C API: its JSON text
      const std::string json = simdjson::minify(e);
      sqlite3_result_text(ctx, json.data(), int(json.size()), SQLITE_TRANSIENT);
    }
  }
}

std::vector<float> ReadColumnVector(sqlite3_value* value, const TableSpec& spec,
                                    std::string_view what) {
  std::vector<float> v;
  if (sqlite3_value_type(value) == SQLITE_BLOB && sqlite3_value_subtype(value) == 0 &&
      spec.vector.type != VectorType::kFloat32) {
    const auto type = spec.vector.type == VectorType::kInt8 ? ElementType::kInt8 : ElementType::kBit;
    v = ReadBlobAs(value, type, what).values;
  } else {
    v = ReadF32Vector(value, what);
  }
  if (v.size() != spec.vector.dim)
    ek::Fail(EK_ERR_DIMENSION_MISMATCH,
             std::string(what) + ": the vector has " + std::to_string(v.size()) +
                 " dimensions; the column has " + std::to_string(spec.vector.dim));
  return v;
}

void ResultColumnVector(sqlite3_context* ctx, const TableSpec& spec,
                        const std::vector<float>& vector) {
  ElementType type = ElementType::kF32;
  std::vector<float> values = vector;
  if (spec.vector.type == VectorType::kInt8) {
    type = ElementType::kInt8;
    for (float& x : values) x = std::fmax(-128.f, std::fmin(127.f, std::nearbyint(x)));
  } else if (spec.vector.type == VectorType::kBit) {
    type = ElementType::kBit;
    for (float& x : values) x = x > 0.5f ? 1.f : 0.f;
  }
  const std::vector<uint8_t> blob = EncodeBlob(type, values);
  sqlite3_result_blob(ctx, blob.data(), int(blob.size()), SQLITE_TRANSIENT);
}

namespace {

// vec0 measures in float32 and hands SQLite the float: a distance here is rounded to
// float32 too, so a cut copied from vec0's output (`distance > 1.83941268920898`) and
// ties between rows fall the same way on both.
double AsFloat32(double distance) { return double(static_cast<float>(distance)); }

double ExactDistanceOfScore(const TableSpec& spec, float score) {
  switch (spec.vector.metric) {
    case kernels::Metric::kL2:
      if (spec.vector.type == VectorType::kBit) return score;
      return std::sqrt(std::fmax(double(score), 0.0));
    case kernels::Metric::kCosine: return 1.0 - double(score);
    case kernels::Metric::kDot: return -double(score);
  }
  return score;
}

double ExactDistanceBetween(const TableSpec& spec, const std::vector<float>& a,
                            const std::vector<float>& b) {
  double dot = 0, aa = 0, bb = 0, sq = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    dot += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
    sq += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
  }
  switch (spec.vector.metric) {
    case kernels::Metric::kL2: return spec.vector.type == VectorType::kBit ? sq : std::sqrt(sq);
    case kernels::Metric::kCosine:
      return 1.0 - (aa > 0 && bb > 0 ? std::fmax(-1.0, std::fmin(1.0, dot / std::sqrt(aa * bb))) : 0.0);
    case kernels::Metric::kDot: return -dot;
  }
  return sq;
}

}  // namespace

double DistanceOfScore(const TableSpec& spec, float score) {
  return AsFloat32(ExactDistanceOfScore(spec, score));
}

double DistanceBetween(const TableSpec& spec, const std::vector<float>& a,
                       const std::vector<float>& b) {
  return AsFloat32(ExactDistanceBetween(spec, a, b));
}

}  // namespace ek::sql

namespace ek::sql {

bool RowidIsKey(const TableSpec& spec) {
  const ColumnSpec* pk = PrimaryKey(spec);
  return !pk || pk->type == ValueType::kInteger;
}

std::string IdOfInteger(int64_t key) { return std::to_string(key); }

int64_t IntegerOfId(const TableSpec& spec, const std::string& id) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (ec != std::errc() || end != id.data() + id.size() || IdOfInteger(value) != id)
    ek::Fail(EK_ERR_INVALID_ARGUMENT,
             "row id '" + id + "' of collection '" + spec.collection +
                 "' is not an integer; a table over ids like it declares 'id text primary key'");
  return value;
}

}  // namespace ek::sql
