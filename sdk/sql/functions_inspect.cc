// vec_length, vec_type, vec_to_json and vec_version (embedkit_version() is extension.cc's).
#include <charconv>

#include "embedkit/embedkit.h"
#include "sql/functions_internal.h"

namespace ek::sql::functions {

namespace {

void VecLength(sqlite3_context* ctx, int, sqlite3_value** argv) {
  sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(ReadArg(ctx, argv, 0).dim()));
}

void VecType(sqlite3_context* ctx, int, sqlite3_value** argv) {
  sqlite3_result_text(ctx, TypeName(ReadArg(ctx, argv, 0).type), -1, SQLITE_STATIC);
}

// Floats in their shortest form that reads back as the same float ("0.1", "-3e-07"),
// integers for int8 and bit. vec0 prints "%f" instead ("0.100000", and "-0.000000"
// for -3e-07), which loses small components.
void VecToJson(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const TypedVector v = ReadArg(ctx, argv, 0);
  const bool integral = v.type == ElementType::kInt8 || v.type == ElementType::kBit;
  std::string json = "[";
  char buffer[32];
  for (size_t i = 0; i < v.dim(); ++i) {
    if (i > 0) json += ',';
    const auto [end, ec] = integral ? std::to_chars(buffer, buffer + sizeof buffer, int(v.values[i]))
                                    : std::to_chars(buffer, buffer + sizeof buffer, v.values[i]);
    json.append(buffer, end);
  }
  json += ']';
  sqlite3_result_text64(ctx, json.data(), json.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// "embedkit 0.1.0": code that asks vec_version() which vector extension answers learns
// it is not sqlite-vec.
void VecVersion(sqlite3_context* ctx, int, sqlite3_value**) {
  const std::string version = std::string("embedkit ") + ek_version();
  sqlite3_result_text(ctx, version.c_str(), static_cast<int>(version.size()), SQLITE_TRANSIENT);
}

constexpr ScalarFunction kInspect[] = {
    {"vec_length", 1, kVectorFlags, Guarded<VecLength>},
    {"vec_type", 1, kVectorFlags, Guarded<VecType>},
    {"vec_to_json", 1, kVectorFlags, Guarded<VecToJson>},
    {"vec_version", 0, kPureFlags, Guarded<VecVersion>},
};

}  // namespace

std::span<const ScalarFunction> InspectFunctions() { return kInspect; }

}  // namespace ek::sql::functions
