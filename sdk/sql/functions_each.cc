// vec_each(vector): one row per component, as vec0's table-valued function: rowid (the
// 0-based index), value (a real for float vectors, an integer for int8 and bit) and the
// hidden argument column `vector`, which reads NULL as in vec0. Bits are listed in the
// order every other function reads them (bit i = bit i % 8 of byte i / 8); vec0 0.1.9's
// vec_each lists each byte's bits from the most significant instead, unlike its own
// vec_to_json.
#include <variant>
#include <vector>

#include "sql/functions_internal.h"
#include "sql/table_function.h"

namespace ek::sql::functions {
namespace {

Rows EachRows(Session*, sqlite3_value* const* args) {
  const TypedVector vector = ReadVector(args[0], "vec_each() argument 1");
  const bool integral = vector.type == ElementType::kInt8 || vector.type == ElementType::kBit;
  Rows rows;
  rows.reserve(vector.values.size());
  for (const float x : vector.values) {
    std::vector<Cell>& row = rows.emplace_back();
    if (integral) {
      row.emplace_back(std::in_place_type<int64_t>, int64_t(x));
    } else {
      row.emplace_back(std::in_place_type<double>, double(x));
    }
  }
  return rows;
}

}  // namespace

const TableFunction kVecEach{
    .name = "vec_each",
    .columns = "value",
    .arguments = "vector",
    .result_columns = 1,
    .argument_count = 1,
    .required = 1,
    .run = EachRows,
    .first_rowid = 0,
    .echo_arguments = false,
    .innocuous = true,
};

}  // namespace ek::sql::functions
