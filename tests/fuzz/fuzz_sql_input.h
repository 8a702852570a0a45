// What fuzz_sql (tests/fuzz/fuzz_sql.cc) reads its statements from: fuzzed fields, and a
// statement under construction (SQL text plus the values its `?` parameters get).
#pragma once

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace fuzz_sql {

// An invariant: abort (a libFuzzer finding) with `what` when it does not hold.
inline void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s %s\n", what, detail.c_str());
  std::abort();
}

// Fields from the input; zeros once it is used up.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{Byte()} << (8 * i);
    return v;
  }
  uint64_t U64() { return uint64_t{U32()} | uint64_t{U32()} << 32; }
  bool Bit() { return Byte() & 1; }
  // Up to `n` raw bytes (NULs included).
  std::string Bytes(size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  // A count: mostly small, sometimes 0 or far past anything sensible.
  int64_t Count(int64_t small_max) {
    switch (Byte() % 10) {
      case 0: return 0;
      case 1: return -1 - Byte();
      case 2: return int64_t{1} << (Byte() % 63);
      case 3: return int64_t(U32());
      default: return Byte() % (small_max + 1);
    }
  }
  // A float: mostly small values with ties, sometimes raw bits (NaN, Inf, subnormals)
  // or huge magnitudes.
  float Float() {
    switch (Byte() % 8) {
      case 0: {
        const uint32_t bits = U32();
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
      }
      case 1: return float(int8_t(Byte())) * 1e30f;
      default: return float(int8_t(Byte())) / 16.0f;
    }
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

struct Blob {
  std::string bytes;
};
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

// A statement being built: text with `?` parameters and their values in order.
struct Statement {
  std::string sql;
  std::vector<Value> values;
  // What the result must satisfy when the statement runs (-1 / false: nothing).
  int64_t max_rows = -1;            // at most this many rows (k = K with K >= 0)
  bool distance_ascending = false;  // column 0 is `distance`, rows best first

  Statement& Text(const std::string& s) {
    sql += s;
    return *this;
  }
  Statement& Param(Value v) {
    sql += '?';
    values.push_back(std::move(v));
    return *this;
  }
};

inline int Bind(sqlite3_stmt* stmt, const std::vector<Value>& values) {
  const int n = std::min<int>(int(values.size()), sqlite3_bind_parameter_count(stmt));
  for (int i = 0; i < n; ++i) {
    const Value& v = values[i];
    int rc = SQLITE_OK;
    if (auto* x = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(stmt, i + 1, *x);
    else if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(stmt, i + 1, *d);
    else if (auto* t = std::get_if<std::string>(&v))
      rc = sqlite3_bind_text(stmt, i + 1, t->data(), int(t->size()), SQLITE_TRANSIENT);
    else if (auto* b = std::get_if<Blob>(&v))
      rc = sqlite3_bind_blob(stmt, i + 1, b->bytes.data(), int(b->bytes.size()), SQLITE_TRANSIENT);
    else rc = sqlite3_bind_null(stmt, i + 1);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace fuzz_sql
