// vec0-compatible SQL functions (docs/design/sql_extension.md "Functions"): the
// constructors vec_f32/vec_int8/vec_bit (+ embedkit's vec_f16), vec_length, vec_type,
// vec_to_json, the vec_distance_* family, vec_normalize, vec_add, vec_sub, vec_slice,
// vec_quantize_binary, vec_quantize_int8, vec_version and the table-valued vec_each
// (embedkit_version() is registered by extension.cc). Values use vec0's blob layouts
// and subtypes (vector_value.h).
#pragma once

#include <sqlite3.h>

namespace ek::sql {

// Registers every function and the vec_each module on `db`; SQLITE_OK or the first
// error SQLite reported.
int RegisterVectorFunctions(sqlite3* db);

}  // namespace ek::sql
