// The on-disk form of a vector in vectors.vector: dim little-endian IEEE f32 values.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ek::store {

inline void EncodeVector(const float* v, size_t dim, std::string* out) {
  out->resize(dim * sizeof(float));
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out->data(), v, dim * sizeof(float));
  } else {
    for (size_t i = 0; i < dim; ++i) {
      const uint32_t u = std::bit_cast<uint32_t>(v[i]);
      for (int b = 0; b < 4; ++b) (*out)[i * 4 + b] = static_cast<char>((u >> (8 * b)) & 0xff);
    }
  }
}

// blob.size() / 4 values into out.
inline void DecodeVector(std::string_view blob, float* out) {
  const size_t dim = blob.size() / sizeof(float);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, blob.data(), dim * sizeof(float));
  } else {
    for (size_t i = 0; i < dim; ++i) {
      uint32_t u = 0;
      for (int b = 0; b < 4; ++b)
        u |= uint32_t(static_cast<unsigned char>(blob[i * 4 + b])) << (8 * b);
      out[i] = std::bit_cast<float>(u);
    }
  }
}

}  // namespace ek::store
