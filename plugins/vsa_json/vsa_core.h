// vsa_json internals: configuration, errors, hashing, caches, atoms, bindings and the
// JSON encoder. Everything here sees only the abi/ headers and the ek_host it is
// given (kernels, thread pool, Philox RNG); nothing of sdk/.
#pragma once

#include <embedkit/plugin.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "error.h"
#include "parallel_for.h"

namespace simdjson::dom {
class element;
class parser;
}  // namespace simdjson::dom

namespace vsaj {

// ---- Errors ------------------------------------------------------------------------
// Thrown inside the plugin only; every ABI entry's guard (plugins/common guard.h) turns
// it into the status and the reason.
using Error = ek_plugin::Error;
using ek_plugin::Fail;

// ---- Configuration (docs/vsa_json.md lists every key and its default) ---------------
enum class BindingKind { kStructured, kDense, kGaussian };
enum class AtomKind { kSign, kGaussian };
enum class NumberScale { kLog, kLinear };

struct Config {
  size_t dim = 1024;
  uint64_t seed = 42;
  BindingKind binding = BindingKind::kStructured;
  int structured_rounds = 3;
  bool soft = true;             // mode "soft" (default) | "strict"
  double soft_weight = 0.25;    // weight of the unbound value terms in soft mode
  AtomKind atoms = AtomKind::kSign;
  bool ordered_arrays = true;   // arrays "ordered" (default) | "bag"
  int ngram = 0;                // character n-gram length for strings (0 = off)
  double ngram_weight = 0.5;
  double exact_weight = 0.5;    // weight of the exact-string atom next to the tokens
  NumberScale number_scale = NumberScale::kLog;
  double number_min = -1e9, number_max = 1e9;
  int number_levels = 65;
  size_t max_document_bytes = size_t{16} << 20;
  // Scalar values per document recorded by index() for probe_collection: each is a
  // stored row of dim floats, so a document with 200k keys would otherwise write 200k
  // rows. The first ones (document order) are kept; the rest are logged as dropped.
  size_t max_values_per_document = 4096;
  int max_depth = 128;
  size_t atom_cache_bytes = size_t{64} << 20;
  size_t matrix_cache_bytes = size_t{1} << 30;
};

// Reads and validates the configuration (throws Error).
Config ReadConfig(const ek_host* host, const char* json, size_t length);
// The settings that decide the vectors (not limits, not cache sizes), every one written
// out, in a fixed order: what index() records with a collection and compares.
std::string EncodingConfigJson(const Config& c);
// How the settings of `stored` differ from `mine` ("" if they agree), for messages:
// "\"binding\" is \"dense\" there, \"structured\" here".
std::string EncodingDifference(const Config& stored, const Config& mine);

// ---- Hashing -----------------------------------------------------------------------
// FNV-1a over bytes, finished with the splitmix64 mixer: identical everywhere.
uint64_t HashBytes(const void* data, size_t n, uint64_t salt);
uint64_t Mix64(uint64_t x);

// Symbol kinds: part of every atom's key, so a key "a" and a token "a" differ.
enum SymbolKind : uint64_t {
  kKindToken = 1,
  kKindExact = 2,
  kKindNgram = 3,
  kKindLiteral = 4,
  kKindRole = 5,
  kKindSequence = 6,
  kKindLevels = 7,
};
// Philox key of a symbol: mixes (seed, kind, symbol hash).
uint64_t SymbolKey(uint64_t seed, uint64_t kind, uint64_t symbol_hash);

// ---- A sharded, memory-bounded LRU cache of immutable values -------------------------
template <class V>
class LruCache {
 public:
  explicit LruCache(size_t budget_bytes) : budget_(budget_bytes / kShards + 1) {}

  std::shared_ptr<const V> Find(uint64_t key) {
    Shard& s = shards_[key % kShards];
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(key);
    if (it == s.map.end()) return nullptr;
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return it->second->value;
  }

  // Inserts (or returns the existing) value; evicts least recently used entries of
  // the shard beyond its share of the budget (the newest entry always stays).
  std::shared_ptr<const V> Insert(uint64_t key, std::shared_ptr<const V> value, size_t bytes) {
    Shard& s = shards_[key % kShards];
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(key);
    if (it != s.map.end()) return it->second->value;
    s.lru.push_front(Entry{key, std::move(value), bytes});
    s.map[key] = s.lru.begin();
    s.bytes += bytes;
    while (s.bytes > budget_ && s.lru.size() > 1) {
      Entry& last = s.lru.back();
      s.bytes -= last.bytes;
      s.map.erase(last.key);
      s.lru.pop_back();
    }
    return s.lru.front().value;
  }

 private:
  static constexpr size_t kShards = 16;
  struct Entry {
    uint64_t key;
    std::shared_ptr<const V> value;
    size_t bytes;
  };
  struct Shard {
    std::mutex mutex;
    std::list<Entry> lru;
    std::unordered_map<uint64_t, typename std::list<Entry>::iterator> map;
    size_t bytes = 0;
  };
  size_t budget_;
  Shard shards_[kShards];
};

// Host services the core needs, bundled.
struct Env {
  const ek_host* host;
  const ek_kernels* k;
  Config cfg;
};

// Runs body(begin, end) over [0, n) on the host's pool (plugins/common/parallel_for.h).
inline void ParallelFor(const Env& env, size_t n, size_t grain,
                        const std::function<void(size_t, size_t)>& body) {
  ek_plugin::ParallelFor(env.host, n, grain, body);
}

// A small direct-mapped cache a thread keeps in front of a shared LruCache, so hot
// lookups take no lock and touch no shared reference count.
template <class V, size_t N>
struct LocalCache {
  uint64_t keys[N] = {};
  std::shared_ptr<const V> values[N];
  const V* Find(uint64_t key) const {
    const size_t s = key & (N - 1);
    return keys[s] == key && values[s] ? values[s].get() : nullptr;
  }
  const V* Put(uint64_t key, std::shared_ptr<const V> v) {
    const size_t s = key & (N - 1);
    keys[s] = key;
    values[s] = std::move(v);
    return values[s].get();
  }
};
using AtomSlots = LocalCache<std::vector<float>, 256>;

// ---- Atoms ---------------------------------------------------------------------------
// One vector per symbol, derived from Philox(SymbolKey(seed, kind, hash)): "sign" atoms
// are +-1/sqrt(D) from the bits of the words; "gaussian" atoms are Box-Muller normals
// scaled by 1/sqrt(D). Cached (LRU, bounded by atom_cache_bytes).
class Atoms {
 public:
  explicit Atoms(const Env& env);
  // acc += weight * atom(kind, hash); `local` (optional) is the caller's own cache.
  void Add(uint64_t kind, uint64_t hash, float weight, float* acc, AtomSlots* local = nullptr);
  std::shared_ptr<const std::vector<float>> Get(uint64_t kind, uint64_t hash);
  // Deterministic generation (no cache).
  static void Generate(const Env& env, uint64_t key, AtomKind kind, float* out);
  const std::vector<float>& levels() const { return levels_; }  // number_levels x D

 private:
  const Env& env_;
  LruCache<std::vector<float>> cache_;
  std::vector<float> levels_;
};

// Deterministic standard normal pairs from uint32 words (Box-Muller in double).
void GaussianFromWords(const uint32_t* words, size_t n_out, double* out);
// Deterministic permutation of [0, n) (Fisher-Yates; j = (word * (i+1)) >> 32).
void PermutationFromKey(const Env& env, uint64_t key, uint64_t counter, uint32_t* perm,
                        size_t n);

// ---- Bindings ------------------------------------------------------------------------
// One matrix per role (a key, or the sequence role). ApplyHandle computes v <- M v, or
// v <- M^T v, in place through the host's kernel table (bind_structured, bind_dense);
// `scratch` holds D floats. MakeBinder refuses a host whose table predates them.
class Binder {
 public:
  virtual ~Binder() = default;
  // The role's state (generated on first use, then cached) and its application.
  virtual std::shared_ptr<const void> Handle(uint64_t role) = 0;
  virtual void ApplyHandle(const void* state, float* v, bool transpose, float* scratch) = 0;
  // acc += M x + w x (a bound field and its soft term), x unchanged: one fused pass
  // where the kernel table has one, never a copy of x.
  virtual void AddBoundHandle(const void* state, const float* x, float w, float* acc, float* scratch) = 0;
  // Small enough for threads to keep references in a LocalCache (structured only:
  // a dense matrix must stay under the memory budget).
  virtual bool LocallyCacheable() const = 0;
};
std::unique_ptr<Binder> MakeBinder(const Env& env);

uint64_t RoleOfKey(std::string_view key);
uint64_t SequenceRole();

// ---- Paths ---------------------------------------------------------------------------
// A parsed probe path: each step a key role, or an array position (sequence role
// applied position + 1 times).
struct PathStep {
  uint64_t role;
  size_t repeat;
};
// At most this many role-matrix applications per path (sum of the array positions + 1
// and the keys); beyond it ParsePath fails with EK_ERR_LIMIT.
inline constexpr size_t kMaxPathTransforms = size_t{1} << 16;
// Flops one path may spend on role matrices (Encoder::ApplyPath; well under a second
// natively): 512 dense applications at D = 1024 (100 nested keys, as the stability
// test binds, cost 210 Mflop), the count limit above for structured bindings.
inline constexpr double kPathFlopBudget = 1073741824.0;  // 2^30
std::vector<PathStep> ParsePath(std::string_view path);
// Escapes a key for a path ('.', '[', ']', '\' get a backslash).
std::string EscapeKey(std::string_view key);

// ---- Encoder -------------------------------------------------------------------------
// What index() keeps of a document besides its vector, read from the same parse.
struct DocumentExtras {
  bool is_object = false;  // stored as the row's metadata when small enough
  // Scalar values (path, minified JSON up to 256 bytes; the first 64 items of an
  // array) for probe_collection: the first max_values_per_document in document order,
  // and how many there were.
  std::vector<std::pair<std::string, std::string>> values;
  size_t values_seen = 0;
};

class Encoder {
 public:
  explicit Encoder(Env env);
  ~Encoder();
  const Env& env() const { return env_; }
  size_t dim() const { return env_.cfg.dim; }

  // Encodes `count` documents into out (count x D), on the host's threads, each parsed
  // once; with `extras` (count entries) also what index() stores of each. Errors name
  // the document index (throws Error).
  void EncodeDocuments(const ek_string_view* docs, size_t count, float* out,
                       DocumentExtras* extras = nullptr);
  // Encodes one JSON value as a field value (unit norm), on the calling thread.
  void EncodeValue(std::string_view json, float* out);
  // Splits a batch text (NDJSON or a JSON array) into documents (views into `text` or
  // into `storage` for array elements).
  void SplitBatch(std::string_view text, std::vector<std::string>* storage,
                  std::vector<ek_string_view>* docs);

  // Applies the matrix of a path (forward: outermost first) or its transpose.
  void ApplyPath(const std::vector<PathStep>& path, float* v, bool transpose);
  // Number scale: value <-> position in [0, levels-1].
  double NumberPosition(double x) const;
  double NumberFromPosition(double p) const;
  // Estimates (value, fitted position) from an unbound vector.
  double DecodeNumber(const float* unbound, double* out_position);
  // The (unit) vector of a number, as a field value.
  void EncNumber(double x, float* out);

  Binder& binder() { return *binder_; }
  Atoms& atoms() { return *atoms_; }

  struct Workspace;

 private:
  std::unique_ptr<Workspace> Acquire();
  void Release(std::unique_ptr<Workspace> ws);
  // Parses and encodes; returns the parsed root (valid until ws.parser parses again).
  simdjson::dom::element EncodeOne(Workspace& ws, std::string_view text, float* out, bool document);
  void CollectValues(const simdjson::dom::element& e, std::string* path, DocumentExtras* extras);
  void Enc(Workspace& ws, const simdjson::dom::element& e, int depth, float* out);
  void EncString(Workspace& ws, std::string_view s, int depth, float* out);
  const void* RoleState(Workspace& ws, uint64_t role, std::shared_ptr<const void>* keep);
  void ApplyRole(Workspace& ws, uint64_t role, float* v, bool transpose);

  Env env_;
  std::unique_ptr<Atoms> atoms_;
  std::unique_ptr<Binder> binder_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Workspace>> pool_;
};

}  // namespace vsaj
