// embedkit.rec_unlearn: the text modality (hashed title vectors) and SHA-256 for the
// ledger's digest of a forget set.
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "model.h"

namespace rec {
namespace {

uint64_t Fnv1a(std::string_view s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void AddFeature(std::string_view feature, uint64_t seed, float weight, uint32_t dim, float* out) {
  const uint64_t h = Fnv1a(feature, seed);
  const float sign = (h >> 63) ? -1.0f : 1.0f;
  out[(h & 0x7fffffffffffffffull) % dim] += sign * weight;
}

// A word adds itself (weight 1) and its character 3-grams with boundary marks
// (weight 0.5 each, shared between "Star" and "Stars").
void AddWord(std::string_view w, uint32_t dim, float* out) {
  AddFeature(w, 1, 1.0f, dim, out);
  std::string b;
  b.reserve(w.size() + 2);
  b.push_back('<');
  b.append(w.data(), w.size());
  b.push_back('>');
  for (size_t p = 0; p + 3 <= b.size(); ++p) AddFeature(std::string_view(b).substr(p, 3), 2, 0.5f, dim, out);
}

struct TokenCtx {
  uint32_t dim;
  float* out;
};

int32_t OnToken(void* user, const char* token, size_t length) {
  auto* ctx = static_cast<TokenCtx*>(user);
  AddWord(std::string_view(token, length), ctx->dim, ctx->out);
  return 0;
}

}  // namespace

void EmbedText(const Env& env, std::string_view text, uint32_t dim, float* out) {
  std::memset(out, 0, dim * sizeof(float));
  if (dim == 0 || text.empty()) return;
  const ek_host* h = env.host;
  const bool has_text = h->struct_size >= offsetof(ek_host, text) + sizeof(h->text) && h->text;
  bool done = false;
  if (has_text) {
    ek_tokenize_options opt;
    h->text->tokenize_options_init(&opt);
    opt.flags = EK_TEXT_LOWERCASE;
    TokenCtx ctx{dim, out};
    done = h->text->tokenize_each(text.data(), text.size(), &opt, OnToken, &ctx) == EK_OK;
    if (!done) std::memset(out, 0, dim * sizeof(float));
  }
  if (!done) {
    // Older host: ASCII letters/digits runs, lower-cased.
    std::string w;
    for (size_t p = 0; p <= text.size(); ++p) {
      const unsigned char c = p < text.size() ? static_cast<unsigned char>(text[p]) : ' ';
      if (std::isalnum(c) || c >= 0x80) {
        w += static_cast<char>(std::tolower(c));
      } else if (!w.empty()) {
        AddWord(w, dim, out);
        w.clear();
      }
    }
  }
  double n2 = 0;
  for (uint32_t k = 0; k < dim; ++k) n2 += double(out[k]) * out[k];
  if (n2 > 0) {
    const float s = float(1.0 / std::sqrt(n2));
    for (uint32_t k = 0; k < dim; ++k) out[k] *= s;
  }
}

// ---- SHA-256 (FIPS 180-4) ---------------------------------------------------------------

std::string Sha256Hex(std::string_view data) {
  static const uint32_t K[64] = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  uint32_t H[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string msg(data);
  const uint64_t bits = uint64_t(data.size()) * 8;
  msg += static_cast<char>(0x80);
  while (msg.size() % 64 != 56) msg += '\0';
  for (int s = 56; s >= 0; s -= 8) msg += static_cast<char>((bits >> s) & 0xff);
  auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t off = 0; off < msg.size(); off += 64) {
    uint32_t w[64];
    for (int t = 0; t < 16; ++t) {
      const auto* p = reinterpret_cast<const unsigned char*>(msg.data() + off + 4 * t);
      w[t] = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    }
    for (int t = 16; t < 64; ++t) {
      const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (int t = 0; t < 64; ++t) {
      const uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const uint32_t ch = (e & f) ^ (~e & g);
      const uint32_t t1 = h + S1 + ch + K[t] + w[t];
      const uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
      const uint32_t t2 = S0 + maj;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (uint32_t v : H)
    for (int s = 28; s >= 0; s -= 4) out += hex[(v >> s) & 0xf];
  return out;
}

}  // namespace rec
