// Configuration, hashing, the pool helper, atoms, the three bindings and paths.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

#include "vsa_core.h"

namespace vsaj {

void Fail(ek_status status, std::string message) { throw Error{status, std::move(message)}; }

// ---- Configuration -------------------------------------------------------------------
namespace {

struct ConfigReader {
  const ek_host* host;
  const char* json;
  size_t length;

  int64_t Int(const char* key, int64_t fallback) {
    int64_t v = 0;
    ek_status s = host->config_int(host, json, length, key, fallback, &v);
    if (s != EK_OK) Fail(s, "");  // the host has set the message
    return v;
  }
  double Double(const char* key, double fallback) {
    double v = 0;
    ek_status s = host->config_double(host, json, length, key, fallback, &v);
    if (s != EK_OK) Fail(s, "");
    return v;
  }
  std::string String(const char* key, const char* fallback) {
    char buf[128];
    ek_status s = host->config_string(host, json, length, key, fallback, buf, sizeof buf);
    if (s == EK_ERR_BUFFER_TOO_SMALL) {
      Fail(EK_ERR_INVALID_ARGUMENT, std::string("config \"") + key + "\" is too long");
    }
    if (s != EK_OK) Fail(s, "");
    return buf;
  }
};

[[noreturn]] void BadConfig(const std::string& what) {
  Fail(EK_ERR_INVALID_ARGUMENT, "config " + what);
}

}  // namespace

Config ReadConfig(const ek_host* host, const char* json, size_t length) {
  ConfigReader r{host, json, length};
  Config c;
  const int64_t dim = r.Int("dim", 1024);
  if (dim < 2 || dim > 65536) {
    BadConfig("\"dim\" is " + std::to_string(dim) + "; use 2..65536");
  }
  c.dim = static_cast<size_t>(dim);
  c.seed = static_cast<uint64_t>(r.Int("seed", 42));

  const std::string binding = r.String("binding", "structured");
  if (binding == "structured") {
    c.binding = BindingKind::kStructured;
  } else if (binding == "dense") {
    c.binding = BindingKind::kDense;
  } else if (binding == "gaussian") {
    c.binding = BindingKind::kGaussian;
  } else {
    BadConfig("\"binding\" is '" + binding + "'; use structured, dense or gaussian");
  }
  if (c.binding == BindingKind::kStructured && (c.dim & (c.dim - 1)) != 0) {
    BadConfig("\"dim\" is " + std::to_string(c.dim) +
              "; binding 'structured' needs a power of two (e.g. 256, 1024, 4096)");
  }
  if (c.binding != BindingKind::kStructured && c.dim > 16384) {
    BadConfig("\"dim\" is " + std::to_string(c.dim) + "; binding '" + binding +
              "' stores D x D matrices and allows at most 16384");
  }
  const int64_t rounds = r.Int("structured_rounds", 3);
  if (rounds < 1 || rounds > 8) BadConfig("\"structured_rounds\" is " + std::to_string(rounds) + "; use 1..8");
  c.structured_rounds = static_cast<int>(rounds);

  const std::string mode = r.String("mode", "soft");
  if (mode == "soft") {
    c.soft = true;
  } else if (mode == "strict") {
    c.soft = false;
  } else {
    BadConfig("\"mode\" is '" + mode + "'; use soft or strict");
  }
  c.soft_weight = r.Double("soft_weight", 0.25);
  if (!(c.soft_weight >= 0 && c.soft_weight <= 10)) BadConfig("\"soft_weight\" must be in 0..10");

  const std::string atoms = r.String("atoms", "sign");
  if (atoms == "sign") {
    c.atoms = AtomKind::kSign;
  } else if (atoms == "gaussian") {
    c.atoms = AtomKind::kGaussian;
  } else {
    BadConfig("\"atoms\" is '" + atoms + "'; use sign or gaussian");
  }
  const std::string arrays = r.String("arrays", "ordered");
  if (arrays == "ordered") {
    c.ordered_arrays = true;
  } else if (arrays == "bag") {
    c.ordered_arrays = false;
  } else {
    BadConfig("\"arrays\" is '" + arrays + "'; use ordered or bag");
  }
  const int64_t ngram = r.Int("ngram", 0);
  if (ngram < 0 || ngram > 8) BadConfig("\"ngram\" is " + std::to_string(ngram) + "; use 0 (off) or 1..8");
  c.ngram = static_cast<int>(ngram);
  c.ngram_weight = r.Double("ngram_weight", 0.5);
  c.exact_weight = r.Double("exact_weight", 0.5);
  if (!(c.ngram_weight >= 0 && c.ngram_weight <= 100)) BadConfig("\"ngram_weight\" must be in 0..100");
  if (!(c.exact_weight >= 0 && c.exact_weight <= 100)) BadConfig("\"exact_weight\" must be in 0..100");

  const std::string scale = r.String("number_scale", "log");
  if (scale == "log") {
    c.number_scale = NumberScale::kLog;
  } else if (scale == "linear") {
    c.number_scale = NumberScale::kLinear;
  } else {
    BadConfig("\"number_scale\" is '" + scale + "'; use log or linear");
  }
  c.number_min = r.Double("number_min", -1e9);
  c.number_max = r.Double("number_max", 1e9);
  if (!(std::isfinite(c.number_min) && std::isfinite(c.number_max) && c.number_min < c.number_max)) {
    BadConfig("\"number_min\" must be finite and below \"number_max\"");
  }
  const int64_t levels = r.Int("number_levels", 65);
  if (levels < 2 || levels > 4096) BadConfig("\"number_levels\" is " + std::to_string(levels) + "; use 2..4096");
  c.number_levels = static_cast<int>(levels);

  const int64_t max_bytes = r.Int("max_document_bytes", int64_t{16} << 20);
  if (max_bytes < 1 || max_bytes > (int64_t{1} << 32)) BadConfig("\"max_document_bytes\" must be in 1..4294967296");
  c.max_document_bytes = static_cast<size_t>(max_bytes);
  const int64_t max_values = r.Int("max_values_per_document", 4096);
  if (max_values < 0 || max_values > (int64_t{1} << 20)) {
    BadConfig("\"max_values_per_document\" is " + std::to_string(max_values) + "; use 0..1048576");
  }
  c.max_values_per_document = static_cast<size_t>(max_values);
  const int64_t depth = r.Int("max_depth", 128);
  if (depth < 1 || depth > 4096) BadConfig("\"max_depth\" is " + std::to_string(depth) + "; use 1..4096");
  c.max_depth = static_cast<int>(depth);
  const int64_t atom_mb = r.Int("atom_cache_mb", 64);
  const int64_t matrix_mb = r.Int("matrix_cache_mb", 1024);
  if (atom_mb < 0 || matrix_mb < 0 || atom_mb > (1 << 20) || matrix_mb > (1 << 20)) {
    BadConfig("\"atom_cache_mb\" and \"matrix_cache_mb\" must be in 0..1048576");
  }
  c.atom_cache_bytes = static_cast<size_t>(atom_mb) << 20;
  c.matrix_cache_bytes = static_cast<size_t>(matrix_mb) << 20;
  return c;
}

std::string ConfigSummary(const Config& c) {
  const char* b = c.binding == BindingKind::kStructured ? "structured"
                  : c.binding == BindingKind::kDense    ? "dense"
                                                        : "gaussian";
  return "{\"dim\":" + std::to_string(c.dim) + ",\"binding\":\"" + b + "\",\"mode\":\"" +
         (c.soft ? "soft" : "strict") + "\"}";
}

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

// ---- Thread pool helper ----------------------------------------------------------------
namespace {
thread_local bool tls_in_body = false;

struct ParallelCtx {
  const std::function<void(size_t, size_t)>* body;
  std::mutex mutex;
  std::exception_ptr error;
  std::atomic<bool> failed{false};
};

void ParallelTrampoline(void* user, size_t begin, size_t end) {
  auto* ctx = static_cast<ParallelCtx*>(user);
  if (ctx->failed.load(std::memory_order_relaxed)) return;
  const bool previous = tls_in_body;
  tls_in_body = true;
  try {
    (*ctx->body)(begin, end);
  } catch (...) {
    std::lock_guard lock(ctx->mutex);
    if (!ctx->error) ctx->error = std::current_exception();
    ctx->failed = true;
  }
  tls_in_body = previous;
}
}  // namespace

void ParallelFor(const Env& env, size_t n, size_t grain,
                 const std::function<void(size_t, size_t)>& body) {
  if (n == 0) return;
  const ek_host* h = env.host;
  if (tls_in_body || n <= grain || h->thread_count(h) <= 1) {
    body(0, n);
    return;
  }
  ParallelCtx ctx;
  ctx.body = &body;
  h->parallel_for(h, n, grain, ParallelTrampoline, &ctx);
  if (ctx.error) std::rethrow_exception(ctx.error);
}

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

// ---- Element-wise loops --------------------------------------------------------------------
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__EMSCRIPTEN__) && \
    !defined(EK_NO_TARGET_CLONES)
#define VSAJ_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VSAJ_CLONES
#endif

VSAJ_CLONES void AddScaled(float* __restrict acc, const float* __restrict a, float w, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] += w * a[i];
}
VSAJ_CLONES void AddBoundAndSoft(float* __restrict acc, const float* __restrict b,
                                 const float* __restrict c, float w, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] += b[i] + w * c[i];
}
VSAJ_CLONES void MulInPlace(float* __restrict v, const float* __restrict s, size_t n) {
  for (size_t i = 0; i < n; ++i) v[i] *= s[i];
}
VSAJ_CLONES void Gather(float* __restrict dst, const float* __restrict src,
                        const uint32_t* __restrict idx, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = src[idx[i]];
}
VSAJ_CLONES void Scatter(float* __restrict dst, const float* __restrict src,
                         const uint32_t* __restrict idx, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[idx[i]] = src[i];
}
VSAJ_CLONES void Lerp(float* __restrict out, const float* __restrict a, const float* __restrict b,
                      float t, size_t n) {
  const float u = 1.0f - t;
  for (size_t i = 0; i < n; ++i) out[i] = u * a[i] + t * b[i];
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
    AddScaled(acc, v->data(), weight, d);
    return;
  }
  auto v = Get(kind, hash);
  AddScaled(acc, v->data(), weight, d);
}

// ---- Bindings --------------------------------------------------------------------------------
namespace {

template <class Role>
class CachedBinder : public Binder {
 public:
  CachedBinder(const Env& env, size_t budget) : env_(env), cache_(budget) {}
  size_t CachedRoles() override { return cache_.Entries(); }
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
    const auto* r = static_cast<const StructuredRole*>(state);
    const size_t d = env_.cfg.dim;
    const size_t rounds = static_cast<size_t>(env_.cfg.structured_rounds);
    const float* s = r->signs.data();
    const uint32_t* p = r->perm.data();
    if (!transpose) {
      for (size_t k = 0; k < rounds; ++k) {
        MulInPlace(v, s + k * d, d);
        env_.k->fwht(v, d);
      }
      Gather(scratch, v, p, d);
      std::memcpy(v, scratch, d * sizeof(float));
    } else {
      Scatter(scratch, v, p, d);
      std::memcpy(v, scratch, d * sizeof(float));
      for (size_t k = rounds; k-- > 0;) {
        env_.k->fwht(v, d);
        MulInPlace(v, s + k * d, d);
      }
    }
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
    const float* m = r->m.data();
    if (!transpose) {
      env_.k->matvec(m, d, d, v, scratch);
    } else {
      std::fill(scratch, scratch + d, 0.0f);
      for (size_t row = 0; row < d; ++row) AddScaled(scratch, m + row * d, v[row], d);
    }
    std::memcpy(v, scratch, d * sizeof(float));
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
