// Quantized element types of stored vectors (issue 19): encode f32 to f16, int8 or
// sign bits and decode back. Scalar code: encoding runs once per stored vector, the
// distance kernels over the encoded rows are in kernels/quantized_distance.h.
//
// Input policy, the same for every encoder: a NaN or Inf component is refused
// (ek::Error EK_ERR_INVALID_ARGUMENT naming the index); nothing is written then. So no
// encoded row ever holds a NaN or Inf, and the kernels need not handle them (Highway's
// f16 promotion without F16C decodes only finite halves correctly).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ek::kernels {

enum class ElementType : int32_t { kF32 = 0, kF16 = 1, kInt8 = 2, kBit = 3 };

// Bytes one stored vector of `dim` components takes: f32 4 dim, f16 2 dim, int8 dim
// (the scale is one float per collection, not per vector), bit 8 * BitWords(dim)
// (whole 64-bit words). Throws ek::Error(EK_ERR_INVALID_ARGUMENT) for an unknown type.
size_t BytesPerVector(ElementType type, size_t dim);

// The refusal every encoder makes: throws ek::Error(EK_ERR_INVALID_ARGUMENT) naming `fn`
// and the first NaN/Inf index (or a NULL x with n > 0).
void RequireFinite(const char* fn, const float* x, size_t n);

// ---- f16 (IEEE binary16) -----------------------------------------------------------------
// Round to nearest, ties to even; finite values beyond the f16 range (|x| >= 65520,
// which would round to Inf) saturate to +-65504, the largest finite half.
uint16_t F16FromFloat(float x);  // x must be finite (not checked here)
float FloatFromF16(uint16_t h);  // exact for every half
void EncodeF16(const float* x, size_t n, uint16_t* out);
void DecodeF16(const uint16_t* h, size_t n, float* out);

// ---- int8, one symmetric scale per collection -------------------------------------------
// x ~= scale * code with code in [-127, 127]. Why one symmetric scale: the dot product
// of two int8 vectors is then an exact int32 sum of int8 x int8 products (|product| <=
// 127^2, so up to kMaxInt8Dim components never overflow) times the two scales, which is
// what integer SIMD (pmaddwd, and VNNI on CPUs that have it) computes. Per-dimension
// affine scales (x_i = a_i + b_i code_i) would weight every product by b_i and add offset
// terms: a float sum per row again. -128 is not used, so negation stays symmetric.
inline constexpr size_t kMaxInt8Dim = size_t(1) << 17;  // 2^17 * 127^2 < 2^31

// The fraction of |x| a calibrated scale represents without clipping: scale =
// quantile(|sample|, kInt8CalibrationQuantile) / 127. The top 0.1% of magnitudes clip to
// +-127, so a few outliers do not stretch the step for everyone (max-abs would).
inline constexpr double kInt8CalibrationQuantile = 0.999;

// The scale for a collection from a sample of its values (any count >= 1, usually some
// rows x dim). An all-zero quantile falls back to max |x|; an all-zero sample gives
// 1/127 (the range [-1, 1]). Throws for count = 0, a NULL sample or a NaN/Inf value.
float CalibrateInt8Scale(const float* sample, size_t count);
// code = clamp(round(x / scale), -127, 127) (round half to even). Throws for a scale
// that is not finite and > 0, or a NaN/Inf x.
void EncodeInt8(const float* x, size_t n, float scale, int8_t* out);
void DecodeInt8(const int8_t* codes, size_t n, float scale, float* out);
// A query gets its own scale, max |q| / 127 (nothing clips; never below the smallest
// float, so only an all-zero q gets 0, with every code 0), returned; code = round(q /
// scale). Throws for a NaN/Inf component.
float EncodeInt8Query(const float* q, size_t n, int8_t* codes);

// ---- binary: one sign bit per component ---------------------------------------------------
// Bit i % 64 of word i / 64 is 1 when x[i] > 0 (zero and -0 give 0); the padding bits of
// the last word are 0, so Hamming distances count only real components.
inline size_t BitWords(size_t dim) { return (dim + 63) / 64; }
void EncodeBits(const float* x, size_t dim, uint64_t* out);  // writes BitWords(dim) words
void DecodeBits(const uint64_t* bits, size_t dim, float* out);  // +1 or -1 per component

}  // namespace ek::kernels
