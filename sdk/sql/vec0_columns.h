// The arguments of `CREATE VIRTUAL TABLE t USING embedkit(...)`: sqlite-vec's vec0
// column syntax verbatim plus embedkit's index options (docs/design/sql_extension.md
// "The embedkit virtual table"). A pure parser, so every form is tested without SQLite.
//
//   embedding float[384] [distance_metric=l2|cosine|dot]   the one vector column
//                                                          (also f32[N], int8[N], i8[N], bit[N])
//   id integer primary key | id text primary key           optional, at most one
//   genre text, year integer, score float, ok boolean      metadata (filterable in KNN)
//   user_id integer partition key                          a metadata key too
//   +title text                                            auxiliary: returned, not filtered
//   chunk_size=N                                           vec0's; accepted and ignored
//   index=exact|hnsw m= ef_construction= ef_search= element=f32|f16|int8|bit rescore=
//   collection=NAME                                        embedkit's options
//
// Keywords and type names match case-insensitively and in full (vec0 also takes a
// prefix such as `t` for text; that is refused here). Errors are ek::Error
// EK_ERR_INVALID_ARGUMENT naming the argument: "argument 3 'year integr': ...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/kernels.h"
#include "store/index_options.h"

namespace ek::sql {

enum class ColumnRole { kPrimaryKey, kVector, kMetadata, kPartitionKey, kAuxiliary };

// The SQL type of a non-vector column (metadata keys hold it as JSON).
enum class ValueType { kInteger, kFloat, kText, kBoolean, kBlob };

// How a vector column's values are written (vec0's element types): the store keeps
// f32 whatever this is; it decides the blob layout and the distance convention.
enum class VectorType { kFloat32, kInt8, kBit };

struct ColumnSpec {
  std::string name;
  ColumnRole role = ColumnRole::kMetadata;
  ValueType type = ValueType::kText;  // unused for kVector
};

struct VectorSpec {
  std::string name;
  VectorType type = VectorType::kFloat32;
  uint32_t dim = 0;
  kernels::Metric metric = kernels::Metric::kL2;  // vec0's default
};

struct TableSpec {
  std::string collection;            // collection= or the table name
  std::vector<ColumnSpec> columns;   // declared order; a primary key is moved first
  VectorSpec vector;
  store::IndexOptions index;
  bool index_options_given = false;  // any of index= m= ... rescore= was written
};

// Parses the arguments after the module name (SQLite's argv[3..]) of table `table_name`.
TableSpec ParseTableArguments(const std::vector<std::string_view>& args,
                              std::string_view table_name);

// The declaration for sqlite3_declare_vtab: the columns in order, then the hidden
// `distance`, `k` and `ef`. Column i of the virtual table is columns[i].
std::string DeclareTableSql(const TableSpec& spec);

// Indexes of the hidden columns in the declaration above.
inline int DistanceColumn(const TableSpec& spec) { return int(spec.columns.size()); }
inline int KColumn(const TableSpec& spec) { return int(spec.columns.size()) + 1; }
inline int EfColumn(const TableSpec& spec) { return int(spec.columns.size()) + 2; }

// The primary key column, if one was declared (always columns[0] then).
const ColumnSpec* PrimaryKey(const TableSpec& spec);

// The index of the vector column in `columns`.
int VectorColumn(const TableSpec& spec);

}  // namespace ek::sql
