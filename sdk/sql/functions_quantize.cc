// vec_quantize_binary and vec_quantize_int8(v, 'unit'), byte for byte as vec0 0.1.9
// computes them, so quantized values pass between the two extensions.
#include <algorithm>
#include <cmath>

#include "kernels/quantize.h"
#include "sql/functions_internal.h"

namespace ek::sql::functions {

namespace {

// One sign bit per component, 1 where x > 0 (the SDK's EncodeBits, as the store's bit
// rows), packed LSB first.
void VecQuantizeBinary(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const TypedVector v = ReadArg(ctx, argv, 0);
  if (v.type == ElementType::kBit) RefuseCall(ctx, "the vector is already bits");
  if (v.dim() % 8 != 0)
    RefuseCall(ctx, "needs a number of dimensions divisible by 8, got " + std::to_string(v.dim()));
  std::vector<uint64_t> words(kernels::BitWords(v.dim()));
  kernels::EncodeBits(v.values.data(), v.dim(), words.data());
  std::vector<float> bits(v.dim());
  for (size_t i = 0; i < v.dim(); ++i) bits[i] = float((words[i / 64] >> (i % 64)) & 1u);
  ResultVector(ctx, ElementType::kBit, bits);
}

// 'unit' maps [-1, 1] onto the 256 codes in steps of 2/255: code = trunc((x + 1) / step
// - 128), computed as vec0 does (a float step, double arithmetic), clamped to
// [-128, 127] (vec0 leaves values outside [-1, 1] to an undefined cast, which clamps on
// the x86 build checked).
int8_t UnitCode(float x) {
  const float step = float((1.0 - (-1.0)) / 255);
  const double code = (double(x) + 1.0) / double(step) - 128;
  return static_cast<int8_t>(std::trunc(std::clamp(code, -128.0, 127.0)));
}

void VecQuantizeInt8(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const TypedVector v = ReadArg(ctx, argv, 0);
  const bool unit = sqlite3_value_type(argv[1]) == SQLITE_TEXT &&
                    sqlite3_stricmp(reinterpret_cast<const char*>(sqlite3_value_text(argv[1])), "unit") == 0;
  if (!unit)
    RefuseCall(ctx, "argument 2 must be 'unit' (the only range there is: [-1, 1])");
  if (v.type != ElementType::kF32 && v.type != ElementType::kF16)
    RefuseCall(ctx, std::string("quantizes float vectors, got ") + TypeName(v.type));
  std::vector<float> codes(v.dim());
  for (size_t i = 0; i < v.dim(); ++i) codes[i] = UnitCode(v.values[i]);
  ResultVector(ctx, ElementType::kInt8, codes);
}

constexpr ScalarFunction kQuantize[] = {
    {"vec_quantize_binary", 1, kVectorFlags, Guarded<VecQuantizeBinary>},
    {"vec_quantize_int8", 2, kVectorFlags, Guarded<VecQuantizeInt8>},
};

}  // namespace

std::span<const ScalarFunction> QuantizeFunctions() { return kQuantize; }

}  // namespace ek::sql::functions
