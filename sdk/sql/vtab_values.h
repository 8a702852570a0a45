// Column values of the `embedkit` table and the store's row: the non-vector columns
// (metadata, partition keys, auxiliary columns) are the keys of one metadata JSON
// object, and the vector column is the store's f32 vector in the column's layout.
//
// Metadata as written: integer -> JSON integer, float -> JSON number, text -> JSON
// string, boolean -> true/false, blob (auxiliary) -> a string of hex digits; NULL -> the
// key is left out. The object is always written, "{}" included, so IS NULL finds rows
// whose columns are all NULL.
#pragma once

#include <simdjson.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sql/vec0_columns.h"

namespace ek::sql {

// The metadata object for a row whose virtual-table column i has `values[i]` (the
// primary key and vector entries are ignored). Refuses a value of the wrong type
// ("docs.year is an integer column; got text '2020'"). `previous` (an UPDATE's stored
// metadata) keeps its keys that are no declared column, so a row written through the C
// API keeps what the table does not show.
std::string MetadataJson(const TableSpec& spec, sqlite3_value** values,
                         const std::optional<std::string>& previous);

// A double as JSON text that reads back as the same double ("%.17g").
std::string JsonNumber(double x);

// One row's metadata, parsed once for all its columns.
class MetadataView {
 public:
  void Reset(const std::optional<std::string>& metadata);
  // Sets the result to the column's value (NULL when the key is absent or null).
  void Result(sqlite3_context* ctx, const ColumnSpec& column);

 private:
  simdjson::dom::parser parser_;
  std::string text_;
  std::optional<simdjson::dom::object> object_;
};

// A vector value for the vector column: JSON text or a blob in the column's layout
// (an untagged blob of an int8[N] / bit[N] column is read as int8 / bits, as vec0
// does), checked against the column's dimensions. `what` starts the messages.
std::vector<float> ReadColumnVector(sqlite3_value* value, const TableSpec& spec,
                                    std::string_view what);

// Sets the result to `vector` as a blob in the column's layout (f32, int8 or bits).
void ResultColumnVector(sqlite3_context* ctx, const TableSpec& spec,
                        const std::vector<float>& vector);

// vec0's distance from the store's score: l2 -> sqrt of the squared distance (bit
// columns: the squared distance of 0/1 components, i.e. the Hamming distance), cosine
// -> 1 - similarity, dot -> -dot. Rounded to float32, as vec0 returns distances.
double DistanceOfScore(const TableSpec& spec, float score);

// The same distance computed here between two vectors (point-restricted KNN), rounded
// to float32 the same way.
double DistanceBetween(const TableSpec& spec, const std::vector<float>& a,
                       const std::vector<float>& b);

}  // namespace ek::sql
