// vec_normalize, vec_add, vec_sub and vec_slice. Results keep the element type of their
// input. Where vec0 wraps around (int8 sums) or returns NaN (an all-zero vector
// normalized), these refuse with a message instead.
#include <cmath>

#include "kernels/kernels.h"
#include "sql/functions_internal.h"

namespace ek::sql::functions {

namespace {

bool IsFloat(ElementType type) { return type == ElementType::kF32 || type == ElementType::kF16; }

void VecNormalize(sqlite3_context* ctx, int, sqlite3_value** argv) {
  TypedVector v = ReadArg(ctx, argv, 0);
  if (!IsFloat(v.type))
    RefuseCall(ctx, std::string("only float32 and float16 vectors can be normalized, got ") +
                        TypeName(v.type));
  if (kernels::Normalize(v.values.data(), v.dim()) == 0)
    RefuseCall(ctx, "an all-zero vector has no direction to normalize");
  ResultVector(ctx, v.type, v.values);
}

// a + sign * b, component by component, checked against the type's range.
void AddScaled(sqlite3_context* ctx, sqlite3_value** argv, float sign) {
  VectorPair p = ReadMatchingPair(ctx, argv);
  if (p.a.type == ElementType::kBit) RefuseCall(ctx, "bit vectors cannot be added or subtracted");
  for (size_t i = 0; i < p.a.dim(); ++i) {
    const float x = p.a.values[i] + sign * p.b.values[i];
    const bool fits = p.a.type == ElementType::kInt8 ? x >= -128 && x <= 127 : std::isfinite(x);
    if (!fits)
      RefuseCall(ctx, "component " + std::to_string(i) + " (" + Number(p.a.values[i]) +
                          (sign > 0 ? " + " : " - ") + Number(p.b.values[i]) + ") overflows " +
                          TypeName(p.a.type));
    p.a.values[i] = x;
  }
  ResultVector(ctx, p.a.type, p.a.values);
}

void VecAdd(sqlite3_context* ctx, int, sqlite3_value** argv) { AddScaled(ctx, argv, 1.0f); }
void VecSub(sqlite3_context* ctx, int, sqlite3_value** argv) { AddScaled(ctx, argv, -1.0f); }

// An integer argument (vec0 coerces anything, so vec_slice(v, '1', 2.7) ran there).
int64_t IndexArg(sqlite3_context* ctx, sqlite3_value** argv, int index, const char* name) {
  if (sqlite3_value_type(argv[index]) != SQLITE_INTEGER)
    RefuseCall(ctx, std::string(name) + " must be an integer, got " + ValueKind(argv[index]));
  return sqlite3_value_int64(argv[index]);
}

// Components [start, end) of v; bit vectors slice at whole bytes, as vec0's do.
void VecSlice(sqlite3_context* ctx, int, sqlite3_value** argv) {
  TypedVector v = ReadArg(ctx, argv, 0);
  const int64_t start = IndexArg(ctx, argv, 1, "start");
  const int64_t end = IndexArg(ctx, argv, 2, "end");
  const auto dim = static_cast<int64_t>(v.dim());
  if (start < 0) RefuseCall(ctx, "start (" + std::to_string(start) + ") must be >= 0");
  if (end > dim)
    RefuseCall(ctx, "end (" + std::to_string(end) + ") is beyond the vector's " + std::to_string(dim) +
                        " dimensions");
  if (start >= end)
    RefuseCall(ctx, "start (" + std::to_string(start) + ") must be less than end (" +
                        std::to_string(end) + "): a vector needs at least one component");
  if (v.type == ElementType::kBit && (start % 8 != 0 || end % 8 != 0))
    RefuseCall(ctx, "a bit vector slices at whole bytes: start and end must be multiples of 8");
  const std::vector<float> slice(v.values.begin() + start, v.values.begin() + end);
  ResultVector(ctx, v.type, slice);
}

constexpr ScalarFunction kArithmetic[] = {
    {"vec_normalize", 1, kVectorFlags, Guarded<VecNormalize>},
    {"vec_add", 2, kVectorFlags, Guarded<VecAdd>},
    {"vec_sub", 2, kVectorFlags, Guarded<VecSub>},
    {"vec_slice", 3, kVectorFlags, Guarded<VecSlice>},
};

}  // namespace

std::span<const ScalarFunction> ArithmeticFunctions() { return kArithmetic; }

}  // namespace ek::sql::functions
