/* embedkit — plugin ABI: what a plugin module exports and what the host gives it.
 *
 * A plugin module exports exactly one symbol:
 *
 *     EK_PLUGIN_EXPORT const ek_plugin_descriptor* ek_plugin_entry(void);
 *
 * The descriptor names the plugin, the ABI it was built for and its extensions
 * (capabilities identified by versioned strings such as "ek.encoder/1"; each is a
 * struct of function pointers whose layout never changes once published). The host
 * creates instances through the descriptor and hands each one an ek_host vtable:
 * logging, progress and cancellation, errors, the kernel table (SIMD or CUDA), a
 * thread pool, a counter-based RNG and store access. A plugin links none of SQLite,
 * Highway or CUDA itself and starts no threads of its own.
 *
 * Plugin functions must not let C++ exceptions escape; the host also guards every
 * call. See samples/plugin_template/ for a complete minimal plugin.
 */
#ifndef EMBEDKIT_PLUGIN_H
#define EMBEDKIT_PLUGIN_H

#include "types.h"
#include "embedkit.h"
#include "text.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EK_PLUGIN_ENTRY_SYMBOL "ek_plugin_entry"

/* A bundled plugin is compiled twice: as a module exporting ek_plugin_entry, and
 * into libembedkit (and the WASM module) where the build defines
 * EK_PLUGIN_STATIC_ENTRY to a unique name listed in the generated registry table.
 * Write the entry as
 *     EK_PLUGIN_EXPORT const ek_plugin_descriptor* EK_PLUGIN_ENTRY_NAME(void) { ... }
 * and both builds work. Third-party plugins may simply write ek_plugin_entry. */
#ifdef EK_PLUGIN_STATIC_ENTRY
#  define EK_PLUGIN_EXPORT
#  define EK_PLUGIN_ENTRY_NAME EK_PLUGIN_STATIC_ENTRY
#else
#  define EK_PLUGIN_EXPORT EK_EXPORT_ATTR
#  define EK_PLUGIN_ENTRY_NAME ek_plugin_entry
#endif

/* BPR (Bayesian personalised ranking) steps for recommenders (bpr_step below).
 * One triple: user u, positive item i, sampled negative item j. sign +1 is the forward
 * term -ln sigmoid(y_ui - y_uj), -1 the reverse term -ln sigmoid(y_uj - y_ui) that
 * unlearning uses; weight scales the term. y_ui = p_u . (q_i + c_i). */
typedef struct ek_bpr_triple {
  uint32_t u, i, j;
  float sign;
  float weight;
} ek_bpr_triple;

/* What one block of BPR steps updates in place: rows of `dim` floats. p: `users` user
 * rows; q: `items` item rows; c: optional item content added to q in the score, held
 * fixed (NULL: none), and g: its gradient, accumulated (required with c); m_p, v_p,
 * m_q, v_q: Adam moments shaped like p and q (all four NULL: SGD). The update is
 * SGD w -= lr (grad + reg w), or Adam with step = lr sqrt(1 - beta2^t) / (1 - beta1^t)
 * and beta1, beta2, eps; reg is L2 on the rows a triple touches. */
typedef struct ek_bpr_params {
  uint32_t struct_size;  /* sizeof(ek_bpr_params) */
  uint32_t dim;
  uint32_t users;
  uint32_t items;
  float* p;
  float* q;
  const float* c;
  float* g;
  float* m_p;
  float* v_p;
  float* m_q;
  float* v_q;
  float lr, reg, step, beta1, beta2, eps;
} ek_bpr_params;

/* ---- Kernel table ----------------------------------------------------------------
 * Vector kernels of the backend in use (CPU: Highway SIMD picked at run time; CUDA
 * when available). All pointers may be unaligned; n = 0 is allowed everywhere.
 * [thread-safe] every function. */
typedef struct ek_kernels {
  uint32_t struct_size;
  const char* backend;      /* "cpu" | "cuda" */
  const char* simd_target;  /* e.g. "AVX3_DL" */
  float (*dot)(const float* a, const float* b, size_t n);
  float (*l2sq)(const float* a, const float* b, size_t n);
  /* cosine similarity; 0 when either vector is all zeros */
  float (*cosine)(const float* a, const float* b, size_t n);
  /* one-vs-many: out[r] = f(q, base[r*dim .. r*dim+dim)) for r < rows */
  void (*dot_many)(const float* q, const float* base, size_t rows, size_t dim, float* out);
  void (*l2sq_many)(const float* q, const float* base, size_t rows, size_t dim, float* out);
  void (*cosine_many)(const float* q, const float* base, size_t rows, size_t dim, float* out);
  /* many-vs-many: out[i*rows + r] = dot(queries[i], base[r]) */
  void (*dot_many_many)(const float* queries, size_t n_queries, const float* base,
                        size_t rows, size_t dim, float* out);
  /* scales v to unit L2 norm in place and returns the old norm (0: left unchanged) */
  float (*normalize)(float* v, size_t n);
  /* y[rows] = M[rows x cols] * x[cols] */
  void (*matvec)(const float* m, size_t rows, size_t cols, const float* x, float* y);
  /* c[m x n] = a[m x k] * b[k x n] */
  void (*matmul)(const float* a, const float* b, size_t m, size_t k, size_t n, float* c);
  /* in-place unnormalised fast Walsh-Hadamard transform; n must be a power of two */
  void (*fwht)(float* v, size_t n);
  /* the k largest scores of n: writes min(k, n) indices and scores, best first, ties
   * by lower index; returns how many were written. Any k (older hosts clamp k
   * to 1024: a plugin that asks for more relies on the return value) */
  size_t (*top_k)(const float* scores, size_t n, size_t k, uint32_t* out_index,
                  float* out_score);
  /* Added in ABI 1.0 after top_k (check struct_size before use): one block of BPR
   * steps, triples in order; callers may run blocks on several threads over the same
   * rows (Hogwild). Backend "cuda" runs large blocks (>= 65,536 triples) on the GPU,
   * the triples concurrently, and writes the rows the block touched back on return:
   * what other threads wrote to those rows meanwhile is lost, so pass large blocks
   * one at a time there. Returns the summed weighted loss, each term taken before its step;
   * out_reverse (may be NULL) gets [0] += the reverse-term triples and [1] += those
   * whose item i still scored above j. Bad params (NULL rows, dim 0, c without g, some
   * but not all Adam moments, a row index out of range, a triple with i == j) return
   * NaN and change nothing. */
  double (*bpr_step)(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n,
                     uint64_t* out_reverse);
  /* Added in ABI 1.1 after bpr_step (check struct_size before use): element-wise
   * operations for a plugin's own inner loops. Each element gets one IEEE multiply and
   * one add, never fused, in the order written, so every SIMD target and backend gives
   * the bits of the plain C loop (NaN and Inf propagate as there). n = 0 does
   * nothing. x may be y itself but must not otherwise overlap it. [thread-safe] */
  /* y[i] += a * x[i] */
  void (*axpy)(float a, const float* x, float* y, size_t n);
  /* y[i] = a * x[i] + b * y[i] */
  void (*axpby)(float a, const float* x, float b, float* y, size_t n);
  /* y[i] *= x[i] */
  void (*mul)(const float* x, float* y, size_t n);
  /* dst[i] = src[index[i]] and dst[index[i]] = src[i]: every index below 2^31 and inside
   * the array it indexes (not checked); dst overlaps neither src nor index; scatter
   * with a repeated index keeps the last (highest i) value. */
  void (*gather)(const float* src, const uint32_t* index, float* dst, size_t n);
  void (*scatter)(const float* src, const uint32_t* index, float* dst, size_t n);
  /* MBAT binding of `count` vectors of length n, v[j*n .. j*n+n). The structured role
   * is `rounds` sign diagonals (signs: rounds x n) and a permutation perm of 0..n-1
   * (not checked): forward v <- P (H S_rounds) ... (H S_1) v with H the unnormalised
   * Walsh-Hadamard transform and (P v)[i] = v[perm[i]]; transpose (non-zero) applies
   * (S_1 H) ... (S_rounds H) P^T, the inverse when the signs are +-1/sqrt(n). In place;
   * n a power of two. Each step is exact float arithmetic in a fixed order, so the
   * result does not depend on the target, the backend or count. The dense role m
   * (n x n, row-major): out[j] = m v[j] (transpose: m^T v[j]); out must not overlap
   * v; a batch of 8 or more vectors may round differently from one vector at a time
   * (within float rounding of the sums). count = 0 or n = 0 do nothing. Both return
   * EK_OK, or EK_ERR_INVALID_ARGUMENT (nothing written) for n not a power of two
   * (structured), NULL arrays where data is needed, or count * n above SIZE_MAX.
   * Backend "cuda" binds large batches on the GPU (CPU on any GPU failure). [thread-safe] */
  ek_status (*bind_structured)(const float* signs, size_t rounds, const uint32_t* perm,
                               float* v, size_t count, size_t n, uint32_t transpose);
  ek_status (*bind_dense)(const float* m, size_t n, const float* v, size_t count, float* out,
                          uint32_t transpose);
  /* Added in ABI 1.1 after bind_dense (check struct_size before use): fused passes for
   * the hot loops of vsa_json and doc2vec, the bits of the separate entries they replace.
   * bind_structured_add: acc[i] += (M x)[i] + w * x[i] with M the forward structured
   * role of bind_structured, i.e. the bits of copying x to b, bind_structured(b),
   * axpy(w, x, b), axpy(1, b, acc); x is left unchanged and must not overlap acc; the
   * same refusals as bind_structured (nothing written). [thread-safe] */
  ek_status (*bind_structured_add)(const float* signs, size_t rounds, const uint32_t* perm,
                                   const float* x, float w, float* acc, size_t n);
  /* pair_update: e[i] += g * y[i], then y[i] += g * x[i] (from the old y[i]): the bits
   * of axpy(g, y, e) followed by axpy(g, x, y); no two of x, y, e overlap. */
  void (*pair_update)(float g, const float* x, float* y, float* e, size_t n);
} ek_kernels;

/* ---- Host vtable -------------------------------------------------------------------
 * Given to every instance at creation; valid until the instance is destroyed.
 * [thread-safe] every function unless noted. */
typedef struct ek_host ek_host;
typedef void (*ek_parallel_body)(void* user_data, size_t begin, size_t end);

struct ek_host {
  uint32_t struct_size;
  uint32_t abi_version;        /* EK_ABI_VERSION of the host */
  void* host_data;             /* private to the host */
  void (*log)(const ek_host* host, ek_log_level level, const char* message);
  /* Reports progress; returns non-zero when the work must stop (cancelled). */
  int32_t (*progress)(const ek_host* host, const char* task, uint64_t done, uint64_t total);
  int32_t (*is_cancelled)(const ek_host* host);
  /* Sets the message the host reports for the failing call (copied). */
  void (*set_error)(const ek_host* host, const char* message);
  const ek_kernels* kernels;
  /* Runs body over [0, n) split into chunks of at least `grain` items on the host's
   * thread pool; returns when all chunks are done. Not re-entrant from a body. */
  void (*parallel_for)(const ek_host* host, size_t n, size_t grain, ek_parallel_body body,
                       void* user_data);
  uint32_t (*thread_count)(const ek_host* host);
  /* Counter-based generator (Philox-4x32-10): the same (key, counter) gives the same
   * numbers on every platform and backend. Fills `count` uint32 words from block
   * `counter` on. */
  void (*random_u32)(const ek_host* host, uint64_t key, uint64_t counter, uint32_t* out,
                     size_t count);
  /* Store access: a plugin persists its state through these, never through SQLite. */
  ek_status (*store_open)(const ek_host* host, const char* path, ek_store** out_store);
  ek_status (*collection_create)(ek_store* store, const char* name, uint32_t dim,
                                 ek_metric metric, ek_collection** out);
  ek_status (*collection_upsert)(ek_collection* collection, const ek_upsert_batch* batch);
  ek_status (*collection_get)(ek_collection* collection, const char* id, float* out_vector,
                              size_t capacity, size_t* out_dim, char** out_metadata_json);
  ek_status (*collection_search)(ek_collection* collection, const float* queries,
                                 size_t n_queries, size_t dim, const ek_search_options* options,
                                 ek_results** out_results);
  void (*collection_free)(ek_collection* collection);
  void (*store_free)(ek_store* store);
  void (*results_free)(ek_results* results);
  /* Configuration lookups in a JSON object (parsed by the host with simdjson), so a
   * plugin needs no JSON parser of its own. A missing key yields `fallback`; a value
   * of the wrong type fails with EK_ERR_INVALID_ARGUMENT and sets the error.
   * config_string copies a NUL-terminated value into `out` (EK_ERR_BUFFER_TOO_SMALL
   * if `capacity` is too small). */
  ek_status (*config_int)(const ek_host* host, const char* config_json, size_t length,
                          const char* key, int64_t fallback, int64_t* out);
  ek_status (*config_double)(const ek_host* host, const char* config_json, size_t length,
                             const char* key, double fallback, double* out);
  ek_status (*config_string)(const ek_host* host, const char* config_json, size_t length,
                             const char* key, const char* fallback, char* out,
                             size_t capacity);
  /* Added in ABI 1.0 after the fields above (check host->struct_size before use):
   * the shared tokenizer and word-vector tables (embedkit/text.h). Never NULL. */
  const ek_text_api* text;
  /* Added in ABI 1.0 after `text` (check host->struct_size before use): deleting and
   * listing rows, so a plugin can forget data it stored (the store runs with
   * secure_delete) and read back what it saved. Same contracts as the host API
   * functions of the same names (embedkit.h). */
  ek_status (*collection_delete)(ek_collection* collection, const char* const* ids,
                                 size_t count, size_t* out_deleted);
  ek_status (*collection_list)(ek_collection* collection, size_t offset, size_t limit,
                               uint32_t include_metadata, ek_results** out_results);
  size_t (*results_hit_count)(const ek_results* results, size_t query);
  ek_status (*results_hit)(const ek_results* results, size_t query, size_t rank,
                           ek_hit* out_hit);
  /* Added in ABI 1.0 after results_hit (check host->struct_size before use): one
   * transaction over several store calls, so that a request that writes several
   * collections is all-or-nothing (ek_store_begin/commit/rollback, embedkit.h).
   * Since ABI 1.1, store_begin while a transaction is open on the handle (the
   * application's own, or the plugin's) nests: it opens a savepoint, store_commit
   * releases it and store_rollback undoes only it, so a plugin's request is one
   * transaction of its own and part of the caller's. */
  ek_status (*store_begin)(ek_store* store);
  ek_status (*store_commit)(ek_store* store);
  ek_status (*store_rollback)(ek_store* store);
  /* Added in ABI 1.0 after store_rollback (check host->struct_size before use): the
   * message of the host call that failed last on this thread (never NULL; "" if
   * none), so a plugin can pass the host's reason on with its own. Valid until the
   * next host call on this thread. [thread-safe] */
  const char* (*last_error)(const ek_host* host);
  /* Added in ABI 1.1 after last_error (check host->struct_size before use). */
  ek_status (*collection_open)(ek_store* store, const char* name, ek_collection** out);
  /* frees strings the host returned (collection_get's metadata) */
  void (*string_free)(char* s);
  /* Key/value state in the store (embedkit.h, "Key/value state"): a plugin keeps its
   * configuration, ledgers and parameters here under its own id as the namespace,
   * never as fake vector rows. Writes join the transaction of store_begin. */
  ek_status (*kv_put)(ek_store* store, const char* name_space, const char* key,
                      const void* value, size_t length, ek_value_kind kind);
  ek_status (*kv_get)(ek_store* store, const char* name_space, const char* key, void* out,
                      size_t capacity, size_t* out_length, ek_value_kind* out_kind);
  ek_status (*kv_delete)(ek_store* store, const char* name_space, const char* key,
                         size_t* out_deleted);
  ek_status (*kv_delete_prefix)(ek_store* store, const char* name_space,
                                const char* key_prefix, size_t* out_deleted);
  ek_status (*kv_list)(ek_store* store, const char* name_space, const char* key_prefix,
                       const char* after_key, size_t limit, uint32_t include_values,
                       ek_results** out_results);
  /* Checks that text[0, length) is one JSON value nested at most max_depth deep
   * (0 = 1024). EK_OK if so; otherwise EK_ERR_PARSE (EK_ERR_LIMIT for the depth),
   * *out_offset (optional) = the offending byte, and last_error(host) explains it:
   * "byte 17: expected ':' after key". The same diagnosis the host gives
   * for its own JSON inputs, so a plugin needs no JSON grammar of its own. */
  ek_status (*json_check)(const ek_host* host, const char* text, size_t length,
                          uint32_t max_depth, size_t* out_offset);
  /* Deletes a collection and its rows (ek_collection_drop), joining the open
   * transaction like every write: how a plugin retires a layout it has upgraded. */
  ek_status (*collection_drop)(ek_store* store, const char* name);
  /* Added in ABI 1.1 after collection_drop (check host->struct_size before use): the
   * boolean lookup beside config_int/config_double/config_string, same contract: a
   * missing key or null yields `fallback` (non-zero: true); any other non-boolean
   * value fails with EK_ERR_INVALID_ARGUMENT and sets the error ("'k' must be a
   * boolean, got a number"). *out is 1 for true, 0 for false. */
  ek_status (*config_bool)(const ek_host* host, const char* config_json, size_t length,
                           const char* key, uint32_t fallback, uint32_t* out);
};

/* ---- Descriptor ---------------------------------------------------------------------- */
typedef struct ek_plugin_descriptor {
  uint32_t struct_size;          /* sizeof(ek_plugin_descriptor) as built */
  uint32_t abi_version;          /* EK_ABI_VERSION the plugin was built against */
  const char* id;                /* reverse-DNS style, unique: "embedkit.vsa_json" */
  const char* name;
  const char* version;
  const char* vendor;
  const char* description;
  const char* const* extensions; /* NULL-terminated list of extension ids */
  /* Creates an instance from a JSON config (never NULL; "{}" at least). On failure
   * return a status and call host->set_error with the reason. */
  ek_status (*create)(const ek_host* host, const char* config_json, size_t config_length,
                      void** out_instance);
  void (*destroy)(void* instance);
  /* Returns the extension's function table, or NULL if not provided. */
  const void* (*get_extension)(void* instance, const char* extension_id);
} ek_plugin_descriptor;

typedef const ek_plugin_descriptor* (*ek_plugin_entry_fn)(void);

/* ---- Extension "ek.encoder/1" ------------------------------------------------------ */
#define EK_EXT_ENCODER "ek.encoder/1"
typedef struct ek_encoder_ext {
  uint32_t struct_size;
  ek_status (*dim)(void* instance, size_t* out_dim);
  /* writes count x dim floats into out (capacity checked by the host) */
  ek_status (*encode)(void* instance, const ek_string_view* items, size_t count, float* out);
} ek_encoder_ext;

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_PLUGIN_H */
