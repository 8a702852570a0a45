// What the fuzz_index drivers share (tests/fuzz/fuzz_index.cc): the invariant check,
// the reader of fuzzed fields and the writer of seed inputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "kernels/quantize.h"

namespace fuzz_index {

// An invariant: abort (a libFuzzer finding) with `what` when it does not hold.
inline void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s\n", what);
  std::abort();
}

// Runs fn, which must throw ek::Error with `status` (and a message).
template <class Fn>
inline void ExpectError(ek_status status, Fn fn, const char* what) {
  try {
    fn();
  } catch (const ek::Error& e) {
    Check(e.status() == status && e.what()[0] != '\0', what);
    return;
  }
  Check(false, what);
}

// Little-endian fields from the input; zeros once it is used up.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t left() const { return size_ - pos_; }
  uint64_t Le(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes && pos_ < size_; ++i) v |= uint64_t{data_[pos_++]} << (8 * i);
    return v;
  }
  uint8_t U8() { return uint8_t(Le(1)); }
  std::span<const uint8_t> Bytes(size_t n) {
    n = std::min(n, left());
    pos_ += n;
    return {data_ + pos_ - n, n};
  }
  // One float in `format` (0..3): raw bits (NaN, Inf, subnormals); a byte / 16 (small,
  // many ties); a half's bits (Inf and NaN among them); int16 x 2^(exponent - 64).
  float Float(int format, int exponent) {
    switch (format & 3) {
      case 0: {
        const auto bits = uint32_t(Le(4));
        float x;
        std::memcpy(&x, &bits, sizeof x);
        return x;
      }
      case 1: return float(int8_t(U8())) / 16.0f;
      case 2: return ek::kernels::FloatFromF16(uint16_t(Le(2)));
      default: return std::ldexp(float(int16_t(Le(2))), exponent % 128 - 64);
    }
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// One seed input, written field by field in the layout its driver reads.
class Seed {
 public:
  explicit Seed(uint8_t mode) { bytes_.push_back(mode); }
  Seed& Le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) bytes_.push_back(uint8_t(v >> (8 * i)));
    return *this;
  }
  Seed& Bytes(const std::vector<uint8_t>& b) {
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  Seed& Text(std::string_view t) { return Bytes(std::vector<uint8_t>(t.begin(), t.end())); }
  Seed& F32(float x) {
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return Le(b, 4);
  }
  void Write(const std::string& dir, const std::string& name) const {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes_.data()), std::streamsize(bytes_.size()));
  }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace fuzz_index
