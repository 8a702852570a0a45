// Vectors as SQL values, in sqlite-vec (vec0) 0.1.9's layouts so values pass between
// the two extensions: JSON text '[1, 2.5]' is float32; a blob is read by its subtype
// (sqlite3_value_subtype, set by the function that made it): 223 float32 (4 bytes a
// component, little endian), 224 bit (packed, bit i of the vector = bit i % 8 of byte
// i / 8, LSB first), 225 int8 (one byte a component), and embedkit's own 226 float16
// (IEEE half, little endian; vec0 does not know it). An untagged blob is float32.
//
// Every reader refuses, with an ek::Error(EK_ERR_INVALID_ARGUMENT) whose message starts
// with `what` ("vec_distance_l2() argument 2: ..."): NULL and numbers, empty vectors,
// blob sizes that do not fit the type, malformed JSON, NaN or Inf components (also
// halves and JSON numbers beyond float range), and more than kMaxDimensions components.
// (JSON text over json::kMaxDocumentBytes is EK_ERR_LIMIT.)
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kernels/quantize.h"

namespace ek::sql {

using kernels::ElementType;

// sqlite3_result_subtype tags (vec0's values; 226 is embedkit's).
inline constexpr unsigned kSubtypeF32 = 223;
inline constexpr unsigned kSubtypeBit = 224;
inline constexpr unsigned kSubtypeInt8 = 225;
inline constexpr unsigned kSubtypeF16 = 226;

// Most components a vector may have (bits count one each).
inline constexpr size_t kMaxDimensions = 65536;

// A vector argument, decoded. `values` holds one float per component whatever the
// type: float32/float16 values, int8 codes (-128..127) and bits (0 or 1), all exact;
// `bits` also keeps a bit vector's packed bytes (empty for the other types).
struct TypedVector {
  ElementType type = ElementType::kF32;
  std::vector<float> values;
  std::vector<uint8_t> bits;

  size_t dim() const { return values.size(); }
};

// "float32", "float16", "int8", "bit" (vec_type's answers).
const char* TypeName(ElementType type);

// Reads any vector value as described above.
TypedVector ReadVector(sqlite3_value* value, std::string_view what);

// Reads a blob (the caller checked the value is one) as `type`, whatever its tag: the
// constructors read an untagged blob in their own layout (vec_int8(X'0102')).
TypedVector ReadBlobAs(sqlite3_value* value, ElementType type, std::string_view what);

// The components as float: JSON text, a float32 blob, or a blob vec_int8()/vec_bit()/
// vec_f16() returned (int8 codes as their values, bits as 0/1).
std::vector<float> ReadF32Vector(sqlite3_value* value, std::string_view what);

// The element type a tagged blob claims, or kF32 for text and untagged blobs.
ElementType TaggedType(sqlite3_value* value);

// Refuses a component that is NaN or Inf, naming `what` and its index.
void RequireFiniteComponents(const float* x, size_t n, std::string_view what);

// The blob a vector of `type` is stored as (values as TypedVector holds them): float32
// and float16 little endian, int8 one byte per code, bits packed LSB first (dim must
// then be a multiple of 8).
std::vector<uint8_t> EncodeBlob(ElementType type, const std::vector<float>& values);

// Sets the function's result to EncodeBlob(type, values) tagged with type's subtype.
void ResultVector(sqlite3_context* ctx, ElementType type, const std::vector<float>& values);

}  // namespace ek::sql
