// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11): a counter-based generator. Output depends only on (key, counter), so
// atoms derived from it are identical on x86, ARM, WASM and CUDA, and nothing needs
// to be stored. Verified against the Random123 known-answer vectors in the tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ek {

inline std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t{kM0} * ctr[0];
    uint64_t p1 = uint64_t{kM1} * ctr[2];
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
    key[0] += kW0;
    key[1] += kW1;
  }
  return ctr;
}

// Fills `count` words from block `counter` on (4 words per block) under a 64-bit key.
inline void PhiloxFill(uint64_t key, uint64_t counter, uint32_t* out, size_t count) {
  const std::array<uint32_t, 2> k = {uint32_t(key), uint32_t(key >> 32)};
  size_t i = 0;
  while (i < count) {
    auto block = Philox4x32({uint32_t(counter), uint32_t(counter >> 32), 0, 0}, k);
    for (size_t j = 0; j < 4 && i < count; ++j) out[i++] = block[j];
    ++counter;
  }
}

}  // namespace ek
