#include "kernels/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/error.h"

namespace ek::kernels {
namespace {

uint32_t FloatBits(float x) {
  uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

float BitsToFloat(uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

}  // namespace

void RequireFinite(const char* fn, const float* x, size_t n) {
  if (n > 0 && x == nullptr) Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": input is NULL");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      Fail(EK_ERR_INVALID_ARGUMENT, std::string(fn) + ": component " + std::to_string(i) +
                                        " is NaN or Inf (quantized vectors must be finite)");
    }
  }
}

namespace {

// In double: 1 / scale stays finite even for a subnormal scale.
int8_t Int8Code(float x, double inv_scale) {
  const double c = std::nearbyint(double(x) * inv_scale);
  return static_cast<int8_t>(std::clamp(c, -127.0, 127.0));
}

}  // namespace

size_t BytesPerVector(ElementType type, size_t dim) {
  switch (type) {
    case ElementType::kF32: return 4 * dim;
    case ElementType::kF16: return 2 * dim;
    case ElementType::kInt8: return dim;
    case ElementType::kBit: return 8 * BitWords(dim);
  }
  Fail(EK_ERR_INVALID_ARGUMENT,
       "BytesPerVector: unknown element type " + std::to_string(static_cast<int32_t>(type)));
}

uint16_t F16FromFloat(float x) {
  const uint32_t b = FloatBits(x);
  const auto sign = static_cast<uint16_t>((b >> 16) & 0x8000u);
  const uint32_t abs = b & 0x7FFFFFFFu;
  if (abs >= 0x477FF000u) return sign | 0x7BFFu;  // |x| >= 65520 would round to Inf
  if (abs >= 0x38800000u) {                       // normal half (|x| >= 2^-14)
    // Round the 13 dropped mantissa bits to nearest, ties to even; a carry moves into
    // the exponent as it should.
    const uint32_t rounded = abs + 0xFFFu + ((abs >> 13) & 1u);
    return sign | static_cast<uint16_t>((rounded - 0x38000000u) >> 13);
  }
  // Subnormal half: the value in units of 2^-24 (exact scaling; nearbyint rounds to
  // even). 1024 units is the smallest normal half, whose encoding is the same number.
  const float units = std::nearbyint(BitsToFloat(abs) * 16777216.0f);
  return sign | static_cast<uint16_t>(units);
}

float FloatFromF16(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  if (exp == 0) {
    const float v = static_cast<float>(mant) * (1.0f / 16777216.0f);  // exact
    return BitsToFloat(FloatBits(v) | sign);
  }
  if (exp == 31) return BitsToFloat(sign | 0x7F800000u | (mant << 13));
  return BitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

void EncodeF16(const float* x, size_t n, uint16_t* out) {
  RequireFinite("EncodeF16", x, n);
  for (size_t i = 0; i < n; ++i) out[i] = F16FromFloat(x[i]);
}

void DecodeF16(const uint16_t* h, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = FloatFromF16(h[i]);
}

float CalibrateInt8Scale(const float* sample, size_t count) {
  if (count == 0) Fail(EK_ERR_INVALID_ARGUMENT, "CalibrateInt8Scale: the sample is empty");
  RequireFinite("CalibrateInt8Scale", sample, count);
  std::vector<float> mag(count);
  for (size_t i = 0; i < count; ++i) mag[i] = std::fabs(sample[i]);
  const auto at = static_cast<size_t>(kInt8CalibrationQuantile * double(count - 1));
  std::nth_element(mag.begin(), mag.begin() + at, mag.end());
  float range = mag[at];
  if (range == 0.0f) range = *std::max_element(mag.begin(), mag.end());
  if (range == 0.0f) range = 1.0f;
  // A subnormal range would give scale 0, which EncodeInt8 refuses.
  return std::max(range / 127.0f, std::numeric_limits<float>::min());
}

void EncodeInt8(const float* x, size_t n, float scale, int8_t* out) {
  if (!std::isfinite(scale) || !(scale > 0.0f)) {
    Fail(EK_ERR_INVALID_ARGUMENT, "EncodeInt8: scale " + std::to_string(scale) +
                                      " is not a finite positive number");
  }
  RequireFinite("EncodeInt8", x, n);
  const double inv = 1.0 / scale;
  for (size_t i = 0; i < n; ++i) out[i] = Int8Code(x[i], inv);
}

void DecodeInt8(const int8_t* codes, size_t n, float scale, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = scale * static_cast<float>(codes[i]);
}

float EncodeInt8Query(const float* q, size_t n, int8_t* codes) {
  RequireFinite("EncodeInt8Query", q, n);
  float max_abs = 0.0f;
  for (size_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(q[i]));
  if (max_abs == 0.0f) {
    std::fill(codes, codes + n, int8_t{0});
    return 0.0f;
  }
  // max |q| / 127 underflows to 0 for max |q| below 63.5 x the smallest float: the
  // smallest float is the step then (|q| / step <= 64, nothing clips). The codes are
  // taken against the scale returned, so scale x code stays within half a step of q.
  const float scale = std::max(max_abs / 127.0f, std::numeric_limits<float>::denorm_min());
  const double inv = 1.0 / scale;
  for (size_t i = 0; i < n; ++i) codes[i] = Int8Code(q[i], inv);
  return scale;
}

void EncodeBits(const float* x, size_t dim, uint64_t* out) {
  RequireFinite("EncodeBits", x, dim);
  std::fill(out, out + BitWords(dim), uint64_t{0});
  for (size_t i = 0; i < dim; ++i) {
    if (x[i] > 0.0f) out[i / 64] |= uint64_t{1} << (i % 64);
  }
}

void DecodeBits(const uint64_t* bits, size_t dim, float* out) {
  for (size_t i = 0; i < dim; ++i) out[i] = (bits[i / 64] >> (i % 64)) & 1u ? 1.0f : -1.0f;
}

}  // namespace ek::kernels
