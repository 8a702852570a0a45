// Hashing, the pool helper, atoms, the three bindings and paths.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "vsa_core.h"

namespace vsaj {

// ---- Hashing -------------------------------------------------------------------------
uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashBytes(const void* data, size_t n, uint64_t salt) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 1469598103934665603ull ^ Mix64(salt);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return Mix64(h ^ n);
}

uint64_t SymbolKey(uint64_t seed, uint64_t kind, uint64_t symbol_hash) {
  return Mix64(Mix64(seed ^ (kind * 0xD6E8FEB86659FD93ull)) ^ symbol_hash);
}

uint64_t RoleOfKey(std::string_view key) { return HashBytes(key.data(), key.size(), kKindRole); }
uint64_t SequenceRole() { return HashBytes("[]", 2, kKindSequence); }

// ---- Random numbers ----------------------------------------------------------------------
void GaussianFromWords(const uint32_t* words, size_t n_out, double* out) {
  // Box-Muller in double precision: u1 in (0, 1], u2 in [0, 1). The only platform
  // dependence is libm's log/cos/sin (correct to an ulp or so in double), which the
  // float results we keep absorb.
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (size_t i = 0; i < n_out; i += 2) {
    const double u1 = (static_cast<double>(words[i]) + 1.0) / 4294967296.0;
    const double u2 = static_cast<double>(words[i + 1]) / 4294967296.0;
    const double r = std::sqrt(-2.0 * std::log(u1));
    out[i] = r * std::cos(kTwoPi * u2);
    if (i + 1 < n_out) out[i + 1] = r * std::sin(kTwoPi * u2);
  }
}

void PermutationFromKey(const Env& env, uint64_t key, uint64_t counter, uint32_t* perm,
                        size_t n) {
  std::vector<uint32_t> words(n);
  env.host->random_u32(env.host, key, counter, words.data(), n);
  for (size_t i = 0; i < n; ++i) perm[i] = static_cast<uint32_t>(i);
  for (size_t i = n; i-- > 1;) {
    const size_t j = static_cast<size_t>((uint64_t{words[i]} * (i + 1)) >> 32);
    std::swap(perm[i], perm[j]);
  }
}

// ---- Atoms ---------------------------------------------------------------------------------
void Atoms::Generate(const Env& env, uint64_t key, AtomKind kind, float* out) {
  const size_t d = env.cfg.dim;
  if (kind == AtomKind::kSign) {
    const float s = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
    std::vector<uint32_t> words((d + 31) / 32);
    env.host->random_u32(env.host, key, 0, words.data(), words.size());
    for (size_t i = 0; i < d; ++i) out[i] = ((words[i >> 5] >> (i & 31)) & 1u) ? s : -s;
  } else {
    const size_t n = d + (d & 1);
    std::vector<uint32_t> words(n);
    std::vector<double> g(n);
    env.host->random_u32(env.host, key, 0, words.data(), n);
    GaussianFromWords(words.data(), n, g.data());
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    for (size_t i = 0; i < d; ++i) out[i] = static_cast<float>(g[i] * scale);
  }
}

Atoms::Atoms(const Env& env) : env_(env), cache_(env.cfg.atom_cache_bytes) {
  // Number levels: a "flip chain". Level 0 is a random +-1/sqrt(D) vector; level j has
  // the first round(j * (D/2) / (L-1)) positions of a random permutation negated. So
  // cos(level i, level j) = 1 - |i-j| / (L-1): similarity falls linearly with the
  // distance on the number scale, from 1 to 0 across the configured range.
  const size_t d = env.cfg.dim;
  const size_t levels = static_cast<size_t>(env.cfg.number_levels);
  std::vector<float> base(d);
  Generate(env, SymbolKey(env.cfg.seed, kKindLevels, 0), AtomKind::kSign, base.data());
  std::vector<uint32_t> perm(d);
  PermutationFromKey(env, SymbolKey(env.cfg.seed, kKindLevels, 1), 0, perm.data(), d);
  levels_.resize(levels * d);
  const size_t half = d / 2;
  for (size_t j = 0; j < levels; ++j) {
    float* row = levels_.data() + j * d;
    std::memcpy(row, base.data(), d * sizeof(float));
    const size_t flips = (j * half + (levels - 1) / 2) / (levels - 1);
    for (size_t f = 0; f < flips; ++f) row[perm[f]] = -row[perm[f]];
  }
}

std::shared_ptr<const std::vector<float>> Atoms::Get(uint64_t kind, uint64_t hash) {
  const uint64_t key = SymbolKey(env_.cfg.seed, kind, hash);
  if (auto v = cache_.Find(key)) return v;
  auto v = std::make_shared<std::vector<float>>(env_.cfg.dim);
  Generate(env_, key, env_.cfg.atoms, v->data());
  return cache_.Insert(key, std::move(v), env_.cfg.dim * sizeof(float) + 96);
}

void Atoms::Add(uint64_t kind, uint64_t hash, float weight, float* acc, AtomSlots* local) {
  const size_t d = env_.cfg.dim;
  if (local) {
    const uint64_t key = SymbolKey(env_.cfg.seed, kind, hash);
    const std::vector<float>* v = local->Find(key);
    if (!v) v = local->Put(key, Get(kind, hash));
    env_.k->axpy(weight, v->data(), acc, d);
    return;
  }
  auto v = Get(kind, hash);
  env_.k->axpy(weight, v->data(), acc, d);
}

// ---- Bindings --------------------------------------------------------------------------------
// Every role is applied through the host's kernel table (bind_structured / bind_dense):
// one binder for the plugin, the SDK's tests and the CUDA backend.
namespace {

// A failed binding means arguments the binder made itself are wrong: a bug.
void CheckBind(ek_status s) {
  if (s != EK_OK) Fail(s, "vsa_json: the host refused a role binding (internal error)");
}

template <class Role>
class CachedBinder : public Binder {
 public:
  CachedBinder(const Env& env, size_t budget) : env_(env), cache_(budget) {}
  std::shared_ptr<const void> Handle(uint64_t role) override { return Get(role); }

 protected:
  std::shared_ptr<const Role> Get(uint64_t role) {
    if (auto r = cache_.Find(role)) return r;
    // One generator at a time: a dense role at D = 4096 takes seconds, and two
    // threads must not both build it.
    std::lock_guard lock(generate_mutex_);
    if (auto r = cache_.Find(role)) return r;
    size_t bytes = 0;
    auto made = Make(SymbolKey(env_.cfg.seed, kKindRole, role), &bytes);
    return cache_.Insert(role, std::move(made), bytes);
  }
  virtual std::shared_ptr<const Role> Make(uint64_t key, size_t* bytes) = 0;

  const Env& env_;
  LruCache<Role> cache_;
  std::mutex generate_mutex_;
};

// structured: M = P (H S_R) ... (H S_1), H the Walsh-Hadamard matrix, S_r random sign
// diagonals with the 1/sqrt(D) normalisation of H folded in, P a random permutation.
// Exactly orthogonal (up to float rounding), O(R D log D), D + R*D/32 random words.
struct StructuredRole {
  std::vector<float> signs;  // rounds x D, entries +-1/sqrt(D)
  std::vector<uint32_t> perm;
};

class StructuredBinder final : public CachedBinder<StructuredRole> {
 public:
  explicit StructuredBinder(const Env& env)
      : CachedBinder(env, std::max<size_t>(env.cfg.matrix_cache_bytes, size_t{1} << 20)) {}

  bool LocallyCacheable() const override { return true; }
  void ApplyHandle(const void* state, float* v, bool transpose, float* scratch) override {
    (void)scratch;  // the kernel keeps its own
    const auto* r = static_cast<const StructuredRole*>(state);
    const size_t rounds = static_cast<size_t>(env_.cfg.structured_rounds);
    CheckBind(env_.k->bind_structured(r->signs.data(), rounds, r->perm.data(), v, 1, env_.cfg.dim,
                                      transpose ? 1 : 0));
  }
  void AddBoundHandle(const void* state, const float* x, float w, float* acc, float* scratch) override {
    (void)scratch;
    const auto* r = static_cast<const StructuredRole*>(state);
    const size_t rounds = static_cast<size_t>(env_.cfg.structured_rounds);
    CheckBind(env_.k->bind_structured_add(r->signs.data(), rounds, r->perm.data(), x, w, acc, env_.cfg.dim));
  }

 private:
  std::shared_ptr<const StructuredRole> Make(uint64_t key, size_t* bytes) override {
    const size_t d = env_.cfg.dim;
    const size_t rounds = static_cast<size_t>(env_.cfg.structured_rounds);
    auto r = std::make_shared<StructuredRole>();
    r->signs.resize(rounds * d);
    r->perm.resize(d);
    const float s = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
    std::vector<uint32_t> words((rounds * d + 31) / 32);
    env_.host->random_u32(env_.host, key, 0, words.data(), words.size());
    for (size_t i = 0; i < rounds * d; ++i) {
      r->signs[i] = ((words[i >> 5] >> (i & 31)) & 1u) ? s : -s;
    }
    // The permutation's words start at block 2^32 so they never overlap the signs'.
    PermutationFromKey(env_, key, uint64_t{1} << 32, r->perm.data(), d);
    *bytes = rounds * d * sizeof(float) + d * sizeof(uint32_t) + 128;
    return r;
  }
};

// dense and gaussian: an explicit D x D float matrix, row-major.
struct DenseRole {
  std::vector<float> m;
};

class MatrixBinder : public CachedBinder<DenseRole> {
 public:
  explicit MatrixBinder(const Env& env) : CachedBinder(env, env.cfg.matrix_cache_bytes) {}

  bool LocallyCacheable() const override { return false; }
  void ApplyHandle(const void* state, float* v, bool transpose, float* scratch) override {
    const auto* r = static_cast<const DenseRole*>(state);
    const size_t d = env_.cfg.dim;
    CheckBind(env_.k->bind_dense(r->m.data(), d, v, 1, scratch, transpose ? 1 : 0));
    std::memcpy(v, scratch, d * sizeof(float));
  }
  void AddBoundHandle(const void* state, const float* x, float w, float* acc, float* scratch) override {
    const auto* r = static_cast<const DenseRole*>(state);
    const size_t d = env_.cfg.dim;
    CheckBind(env_.k->bind_dense(r->m.data(), d, x, 1, scratch, 0));
    env_.k->axpy(w, x, scratch, d);  // acc += (M x + w x), in that order
    env_.k->axpy(1.0f, scratch, acc, d);
  }
};

// gaussian: entries N(0, 1/D) (so E||Mx||^2 = ||x||^2), for reproducing the paper's
// instability of repeated binding only.
class GaussianBinder final : public MatrixBinder {
 public:
  using MatrixBinder::MatrixBinder;

 private:
  std::shared_ptr<const DenseRole> Make(uint64_t key, size_t* bytes) override {
    const size_t d = env_.cfg.dim;
    auto r = std::make_shared<DenseRole>();
    r->m.resize(d * d);
    const size_t chunk = 2 * d;
    std::vector<uint32_t> words(chunk);
    std::vector<double> g(chunk);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    for (size_t row = 0; row < d; row += 2) {
      // Rows (row, row+1) come from blocks [row/2 * d/2 ...): each row pair 2D words.
      env_.host->random_u32(env_.host, key, static_cast<uint64_t>(row) * d, words.data(), chunk);
      GaussianFromWords(words.data(), chunk, g.data());
      const size_t rows_here = std::min<size_t>(2, d - row);
      for (size_t i = 0; i < rows_here * d; ++i) {
        r->m[row * d + i] = static_cast<float>(g[i] * scale);
      }
    }
    *bytes = d * d * sizeof(float) + 128;
    return r;
  }
};

// dense: a Haar-distributed orthogonal matrix, i.e. the Q of the QR decomposition of a
// Gaussian matrix with R's diagonal made positive. Generated with Stewart's algorithm
// (SIAM J. Numer. Anal. 17(3), 1980): the Householder vectors of that QR are themselves
// independent Gaussian vectors of lengths D, D-1, ..., 2, so they are drawn directly
// (O(D^2) random numbers) and accumulated into the explicit matrix (4/3 D^3 flops in
// double, on the host's threads), then rounded to float.
class DenseBinder final : public MatrixBinder {
 public:
  using MatrixBinder::MatrixBinder;

 private:
  std::shared_ptr<const DenseRole> Make(uint64_t key, size_t* bytes) override {
    const size_t n = env_.cfg.dim;
    std::vector<double> q(n * n, 0.0);
    std::vector<uint32_t> words(n + 2);
    std::vector<double> x(n + 2), w(n);
    // The last diagonal sign: one more normal.
    env_.host->random_u32(env_.host, key, uint64_t{n} * n, words.data(), 2);
    GaussianFromWords(words.data(), 2, x.data());
    q[(n - 1) * n + (n - 1)] = x[0] >= 0 ? 1.0 : -1.0;
    const ek_host* host = env_.host;
    for (size_t k = n - 1; k-- > 0;) {
      // Each reflector costs O((n - k)^2): report and poll once per reflector, so a
      // matrix that takes seconds shows progress and stops within milliseconds.
      if (host->progress(host, "vsa_json dense role matrix", n - 1 - k, n - 1) != 0) {
        Fail(EK_ERR_CANCELLED, "cancelled while generating a dense role matrix");
      }
      const size_t m = n - k;  // reflector length
      const size_t nw = m + (m & 1);
      env_.host->random_u32(env_.host, key, uint64_t{k} * n, words.data(), nw);
      GaussianFromWords(words.data(), nw, x.data());
      double norm2 = 0;
      for (size_t i = 0; i < m; ++i) norm2 += x[i] * x[i];
      const double alpha = std::sqrt(norm2);
      const double sign0 = x[0] >= 0 ? 1.0 : -1.0;
      // R_kk = -sign0 * alpha; the Haar correction multiplies column k by sign(R_kk).
      q[k * n + k] = -sign0;
      x[0] += sign0 * alpha;  // v
      double vv = norm2 - (x[0] - sign0 * alpha) * (x[0] - sign0 * alpha) + x[0] * x[0];
      if (vv <= 0) continue;
      const double beta = 2.0 / vv;
      // B = Q[k:, k:] <- (I - beta v v^T) B, column stripes in parallel.
      const double* v = x.data();
      double* qb = q.data();
      double* wp = w.data();
      ParallelFor(env_, m, 64, [&](size_t c0, size_t c1) {
        for (size_t c = c0; c < c1; ++c) wp[c] = 0;
        for (size_t r = 0; r < m; ++r) {
          const double vr = v[r];
          if (vr == 0) continue;
          const double* row = qb + (k + r) * n + k;
          for (size_t c = c0; c < c1; ++c) wp[c] += vr * row[c];
        }
        for (size_t r = 0; r < m; ++r) {
          const double f = beta * v[r];
          if (f == 0) continue;
          double* row = qb + (k + r) * n + k;
          for (size_t c = c0; c < c1; ++c) row[c] -= f * wp[c];
        }
      });
    }
    host->progress(host, "vsa_json dense role matrix", n - 1, n - 1);  // closes the bar
    auto r = std::make_shared<DenseRole>();
    r->m.resize(n * n);
    for (size_t i = 0; i < n * n; ++i) r->m[i] = static_cast<float>(q[i]);
    *bytes = n * n * sizeof(float) + 128;
    return r;
  }
};

}  // namespace

std::unique_ptr<Binder> MakeBinder(const Env& env) {
  // The binding and element-wise entries came with ABI 1.1 (after bpr_step).
  if (env.k->struct_size < offsetof(ek_kernels, bind_structured_add) + sizeof(env.k->bind_structured_add)) {
    Fail(EK_ERR_ABI_MISMATCH, "vsa_json needs the kernel table of ABI 1.1 or later (bind_structured, "
                              "bind_dense, bind_structured_add, axpy); this host's is older");
  }
  switch (env.cfg.binding) {
    case BindingKind::kStructured: return std::make_unique<StructuredBinder>(env);
    case BindingKind::kDense: return std::make_unique<DenseBinder>(env);
    case BindingKind::kGaussian: return std::make_unique<GaussianBinder>(env);
  }
  return nullptr;
}

// ---- Paths ---------------------------------------------------------------------------------
std::vector<PathStep> ParsePath(std::string_view path) {
  std::vector<PathStep> steps;
  size_t total_repeats = 0;
  std::string key;
  bool have_key = false;
  auto flush = [&] {
    if (have_key) steps.push_back({RoleOfKey(key), 1});
    key.clear();
    have_key = false;
  };
  for (size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '\\') {
      if (i + 1 >= path.size()) Fail(EK_ERR_INVALID_ARGUMENT, "path ends with a lone '\\'");
      key += path[++i];
      have_key = true;
    } else if (c == '.') {
      if (!have_key && (i == 0 || path[i - 1] != ']')) {
        Fail(EK_ERR_INVALID_ARGUMENT, "path '" + std::string(path) + "' has an empty key at byte " +
                                          std::to_string(i));
      }
      flush();
    } else if (c == '[') {
      flush();
      size_t j = i + 1;
      size_t index = 0;
      while (j < path.size() && path[j] >= '0' && path[j] <= '9' && j - i <= 9) {
        index = index * 10 + static_cast<size_t>(path[j] - '0');
        ++j;
      }
      if (j == i + 1 || j >= path.size() || path[j] != ']') {
        Fail(EK_ERR_INVALID_ARGUMENT, "path '" + std::string(path) +
                                          "': expected an array position like [3] at byte " +
                                          std::to_string(i));
      }
      steps.push_back({SequenceRole(), index + 1});
      // Unbinding position p applies the sequence matrix p + 1 times, so the work of a
      // path grows with its positions: bound it (a hostile "[999999999]" would spin).
      total_repeats += index + 1;
      if (total_repeats > kMaxPathTransforms) {
        Fail(EK_ERR_LIMIT, "path '" + std::string(path.substr(0, 64)) + "' applies more than " +
                               std::to_string(kMaxPathTransforms) +
                               " role matrices (array positions sum to more than that)");
      }
      i = j;
    } else {
      key += c;
      have_key = true;
    }
  }
  flush();
  return steps;
}

std::string EscapeKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '.' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace vsaj
