// vec_f32, vec_int8, vec_bit (vec0's) and vec_f16 (embedkit's): a vector value of one
// element type. An untagged blob is read in the constructor's own layout (vec_int8(X'0102')
// is two int8 components); JSON text and blobs tagged with another type are converted
// component by component, and refused where a component does not fit the new type
// (vec0 instead reinterprets the bytes of a tagged blob).
#include <cmath>

#include "sql/functions_internal.h"

namespace ek::sql::functions {

namespace {

// The argument as a vector of `type`'s components (still floats, see TypedVector).
TypedVector ReadAs(sqlite3_context* ctx, sqlite3_value** argv, ElementType type) {
  const std::string what = ArgWhat(ctx, 0);
  const bool untagged_blob = sqlite3_value_type(argv[0]) == SQLITE_BLOB &&
                             sqlite3_value_subtype(argv[0]) == 0;
  if (untagged_blob) return ReadBlobAs(argv[0], type, what);
  TypedVector v = ReadVector(argv[0], what);
  v.type = type;
  v.bits.clear();
  return v;
}

void VecF32(sqlite3_context* ctx, int, sqlite3_value** argv) {
  ResultVector(ctx, ElementType::kF32, ReadAs(ctx, argv, ElementType::kF32).values);
}

// Beyond +-65504 halves saturate, as the store's f16 encoding does (kernels/quantize.h).
void VecF16(sqlite3_context* ctx, int, sqlite3_value** argv) {
  ResultVector(ctx, ElementType::kF16, ReadAs(ctx, argv, ElementType::kF16).values);
}

void VecInt8(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const TypedVector v = ReadAs(ctx, argv, ElementType::kInt8);
  for (size_t i = 0; i < v.dim(); ++i) {
    const float x = v.values[i];
    if (x != std::trunc(x) || x < -128 || x > 127)
      RefuseCall(ctx, "component " + std::to_string(i) + " (" + Number(x) +
                          ") is not an integer in [-128, 127]; vec_quantize_int8() maps floats");
  }
  ResultVector(ctx, ElementType::kInt8, v.values);
}

// Only packed bits: a float or int8 vector becomes bits by vec_quantize_binary().
void VecBit(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const bool blob = sqlite3_value_type(argv[0]) == SQLITE_BLOB;
  const unsigned tag = blob ? sqlite3_value_subtype(argv[0]) : 0;
  if (!blob || (tag != 0 && tag != kSubtypeBit)) {
    const std::string got = blob ? std::string("a ") + TypeName(TaggedType(argv[0])) + " vector"
                                 : std::string(ValueKind(argv[0]));
    RefuseCall(ctx, "expects a blob of packed bits, got " + got +
                        "; vec_quantize_binary() turns a float or int8 vector into bits");
  }
  ResultVector(ctx, ElementType::kBit, ReadBlobAs(argv[0], ElementType::kBit, ArgWhat(ctx, 0)).values);
}

constexpr ScalarFunction kConstructors[] = {
    {"vec_f32", 1, kVectorFlags, Guarded<VecF32>},
    {"vec_f16", 1, kVectorFlags, Guarded<VecF16>},
    {"vec_int8", 1, kVectorFlags, Guarded<VecInt8>},
    {"vec_bit", 1, kVectorFlags, Guarded<VecBit>},
};

}  // namespace

std::span<const ScalarFunction> ConstructorFunctions() { return kConstructors; }

}  // namespace ek::sql::functions
