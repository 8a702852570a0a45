// Test data shared by the CPU and CUDA tests of batched MBAT binding and the BPR step,
// and by tests/bench/cuda/emulate_bpr_waves (which must draw the same planted world
// as the GPU parity test it explains).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "embedkit/plugin.h"
#include "kernels/kernels.h"

namespace ek::test_fixtures {

// n floats uniform in [lo, hi) from mt19937(seed).
inline std::vector<float> Uniform(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// A structured MBAT role as plugins/vsa_json makes one: sign diagonals of
// +-1/sqrt(n) and a random permutation.
struct Role {
  std::vector<float> signs;
  std::vector<uint32_t> perm;
  size_t rounds = 0;
  kernels::StructuredRole view() const { return {signs.data(), rounds, perm.data()}; }
};

inline Role MakeRole(size_t n, size_t rounds, uint32_t seed) {
  std::mt19937 rng(seed);
  Role r;
  r.rounds = rounds;
  const float s = static_cast<float>(1.0 / std::sqrt(double(n)));
  r.signs.resize(rounds * n);
  for (float& x : r.signs) x = (rng() & 1u) ? s : -s;
  r.perm.resize(n);
  std::iota(r.perm.begin(), r.perm.end(), 0u);
  std::shuffle(r.perm.begin(), r.perm.end(), rng);
  return r;
}

// BPR triples of a planted preference: user u prefers item a over b when hidden
// 8-dimensional tastes say so.
struct Planted {
  std::vector<float> taste_u, taste_i;
  size_t users, items;
  Planted(size_t u, size_t i) : taste_u(Uniform(u * 8, 71)), taste_i(Uniform(i * 8, 72)), users(u), items(i) {}
  std::vector<ek_bpr_triple> Draw(size_t n, uint32_t seed) const {
    std::mt19937 rng(seed);
    std::vector<ek_bpr_triple> t;
    t.reserve(n);
    while (t.size() < n) {
      const uint32_t u = rng() % users, a = rng() % items, b = rng() % items;
      if (a == b) continue;
      float sa = 0, sb = 0;
      for (int k = 0; k < 8; ++k) {
        sa += taste_u[u * 8 + k] * taste_i[a * 8 + k];
        sb += taste_u[u * 8 + k] * taste_i[b * 8 + k];
      }
      t.push_back(sa >= sb ? ek_bpr_triple{u, a, b, 1.0f, 1.0f} : ek_bpr_triple{u, b, a, 1.0f, 1.0f});
    }
    return t;
  }
};

}  // namespace ek::test_fixtures
