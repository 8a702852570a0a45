/* embedkit — host API: the functions libembedkit exports.
 *
 * Conventions (see docs/abi.md):
 *  - Every function returns ek_status (EK_OK = 0) unless documented otherwise; on
 *    failure ek_last_error() names the function, the argument and the reason, e.g.
 *    "ek_collection_upsert: vectors has dim 383, collection 'docs' has dim 384".
 *  - Opaque handles are created by *_create or *_open and released by the matching
 *    *_free. Freeing NULL is a no-op. Objects returned through `out` parameters
 *    belong to the caller; pointers into them stay valid until that object is freed.
 *  - Buffers cross as views: `const float* data, size_t rows, size_t dim`, rows
 *    contiguous, row-major. Hot paths write into caller-owned buffers.
 *  - Threading is tagged per function:
 *      [thread-safe]                    any thread, concurrently
 *      [one thread at a time per handle] callers serialise use of that handle
 *  - No function throws, aborts or longjmps on bad input.
 */
#ifndef EMBEDKIT_EMBEDKIT_H
#define EMBEDKIT_EMBEDKIT_H

#include <string.h> /* memset in the inline _init functions */

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Opaque handles --------------------------------------------------------------- */
typedef struct ek_context ek_context;       /* plugins, thread pool, backend: thread-safe */
typedef struct ek_instance ek_instance;     /* one configured plugin instance */
typedef struct ek_store ek_store;           /* one SQLite store file (or ":memory:") */
typedef struct ek_collection ek_collection; /* a named set of vectors in a store */
typedef struct ek_results ek_results;       /* hits of a search or a listing */

/* ---- Version and errors ------------------------------------------------------------ */

/* [thread-safe] The library's semantic version, e.g. "0.1.0". Never NULL. */
EK_API const char* ek_version(void);

/* [thread-safe] The ABI version the library was built with (EK_ABI_VERSION). */
EK_API uint32_t ek_abi_version(void);

/* [thread-safe] Message of the last failed call on this thread ("" if none). The
 * pointer stays valid until the next embedkit call on this thread. Never NULL. */
EK_API const char* ek_last_error(void);

/* [thread-safe] Status of the last failed call on this thread (EK_OK if none). */
EK_API ek_status ek_last_status(void);

/* [thread-safe] Short constant name of a status ("EK_ERR_NOT_FOUND"). Never NULL. */
EK_API const char* ek_status_name(ek_status status);

/* [thread-safe] Frees a string the library allocated for the caller. NULL is a no-op. */
EK_API void ek_string_free(char* s);

/* ---- Context ----------------------------------------------------------------------- */

typedef struct ek_context_options {
  uint32_t struct_size;     /* sizeof(ek_context_options) */
  const char* backend;      /* "auto" (default when NULL), "cpu" or "cuda" */
  uint32_t num_threads;     /* worker threads for kernels and search; 0 = all cores */
  ek_log_level log_level;   /* messages up to this level are delivered; default WARN */
  ek_log_fn log_callback;   /* NULL: log lines go to stderr */
  void* log_user_data;
  const char* plugin_path;  /* ':'-separated folders to scan for plugins; NULL: the
                               EMBEDKIT_PLUGIN_PATH environment variable */
  uint32_t no_bundled_plugins; /* non-zero: do not register the plugins built into the library */
} ek_context_options;

/* Fills `options` with the defaults (and struct_size). [thread-safe] */
EK_API void ek_context_options_init(ek_context_options* options);

/* Creates a context. `options` may be NULL for the defaults. Fails with
 * EK_ERR_UNSUPPORTED when backend "cuda" is asked for and no GPU answers.
 * [thread-safe] */
EK_API ek_status ek_context_create(const ek_context_options* options, ek_context** out_context);

/* Frees the context. Handles may be freed in any order: instances, stores and
 * collections created from the context keep it alive and stay usable; its worker
 * threads stop when the last of them is freed. [one thread at a time per handle] */
EK_API void ek_context_free(ek_context* context);

typedef struct ek_context_info {
  uint32_t struct_size;     /* sizeof(ek_context_info), set by the caller */
  const char* backend;      /* "cpu" or "cuda": the backend in use */
  const char* simd_target;  /* SIMD target picked at run time, e.g. "AVX3_DL", "WASM" */
  uint32_t num_threads;     /* worker threads in use (>= 1) */
  uint32_t abi_version;     /* EK_ABI_VERSION of the library */
  size_t plugin_count;      /* plugins registered so far */
} ek_context_info;

/* Describes the context. Strings are owned by the context. [thread-safe] */
EK_API ek_status ek_context_info_get(ek_context* context, ek_context_info* out_info);

/* Sets (or clears, with NULL) the progress callback for long operations started from
 * this context. [thread-safe] */
EK_API ek_status ek_context_set_progress(ek_context* context, ek_progress_fn callback,
                                         void* user_data);

/* Asks every running long operation of this context to stop; they return
 * EK_ERR_CANCELLED. Async-signal-safe (it only sets a flag), so a SIGINT handler may
 * call it; for the same reason a NULL context returns EK_ERR_INVALID_ARGUMENT
 * without setting ek_last_error(). Call ek_context_reset_cancel before starting new
 * work. [thread-safe] */
EK_API ek_status ek_context_cancel(ek_context* context);
EK_API ek_status ek_context_reset_cancel(ek_context* context);

/* ---- Plugins ----------------------------------------------------------------------- */

typedef struct ek_plugin_info {
  uint32_t struct_size;        /* sizeof(ek_plugin_info), set by the caller */
  const char* id;              /* "embedkit.vsa_json" */
  const char* name;
  const char* version;
  const char* vendor;
  const char* description;
  const char* const* extensions; /* NULL-terminated extension ids ("ek.encoder/1") */
  const char* path;            /* file it was loaded from; NULL if built in */
  uint32_t abi_version;        /* the ABI the plugin was built against */
} ek_plugin_info;

/* Loads a plugin module (a shared library exporting ek_plugin_entry) and registers it.
 * Refuses with a precise message: a missing file (EK_ERR_IO), a file that is not a
 * loadable module or lacks the entry symbol (EK_ERR_NOT_A_PLUGIN), another ABI major
 * or a bad struct_size (EK_ERR_ABI_MISMATCH), an id already registered
 * (EK_ERR_ALREADY_EXISTS). `out_id` (optional) receives the plugin id, owned by the
 * context. [thread-safe] */
EK_API ek_status ek_plugin_load(ek_context* context, const char* path, const char** out_id);

/* Loads every *.so in each folder of a ':'-separated list. Files that are not
 * plugins are skipped with a warning in the log; `out_loaded` (optional) receives the
 * number registered. [thread-safe] */
EK_API ek_status ek_plugin_load_dir(ek_context* context, const char* folders,
                                    size_t* out_loaded);

/* Number of registered plugins. [thread-safe] */
EK_API ek_status ek_plugin_count(ek_context* context, size_t* out_count);

/* Describes plugin number `index` (0 <= index < count) or the plugin with id `id`.
 * Strings are owned by the context. [thread-safe] */
EK_API ek_status ek_plugin_info_at(ek_context* context, size_t index, ek_plugin_info* out_info);
EK_API ek_status ek_plugin_info_find(ek_context* context, const char* id, ek_plugin_info* out_info);

/* ---- Instances --------------------------------------------------------------------- */

/* Creates an instance of plugin `plugin_id`, configured by a JSON object (NULL or ""
 * means "{}"). Malformed JSON gives EK_ERR_PARSE with the byte offset.
 * [thread-safe] */
EK_API ek_status ek_instance_create(ek_context* context, const char* plugin_id,
                                    const char* config_json, ek_instance** out_instance);

/* [one thread at a time per handle] */
EK_API void ek_instance_free(ek_instance* instance);

/* Returns non-zero if the instance provides extension `extension_id`. [thread-safe] */
EK_API int32_t ek_instance_has_extension(ek_instance* instance, const char* extension_id);

/* Raw access to an extension's function table, for extensions this library has no
 * typed wrappers for. The table is owned by the plugin and lives as long as the
 * instance; its functions take `ek_instance_plugin_data(instance)` as first
 * argument. Prefer the typed wrappers below. [thread-safe] */
EK_API ek_status ek_instance_get_extension(ek_instance* instance, const char* extension_id,
                                           const void** out_table);
EK_API void* ek_instance_plugin_data(ek_instance* instance);

/* ---- Extension "ek.encoder/1": items -> vectors ------------------------------------ */

/* Length of the vectors the instance produces. [one thread at a time per handle] */
EK_API ek_status ek_encoder_dim(ek_instance* instance, size_t* out_dim);

/* Encodes `count` items into `out` (count x dim floats, row-major). Fails with
 * EK_ERR_BUFFER_TOO_SMALL if out_capacity (in floats) < count * dim; then
 * `out_needed` (optional) receives count * dim. A plugin that writes NaN or
 * infinity gives EK_ERR_PLUGIN naming the item and component (`out` then holds
 * whatever the plugin wrote). [one thread at a time per handle] */
EK_API ek_status ek_encode(ek_instance* instance, const ek_string_view* items, size_t count,
                           float* out, size_t out_capacity, size_t* out_needed);

/* ---- Store ------------------------------------------------------------------------- */

typedef struct ek_store_options {
  uint32_t struct_size;      /* sizeof(ek_store_options) */
  uint32_t read_only;        /* non-zero: open read-only; writes fail with EK_ERR_READ_ONLY */
  uint32_t must_exist;       /* non-zero: fail with EK_ERR_IO instead of creating the file */
  uint32_t busy_timeout_ms;  /* wait this long on a lock held by another process; 0 = 5000 */
} ek_store_options;

EK_API void ek_store_options_init(ek_store_options* options);

/* Opens (creating if needed) the store at `path`, or a private in-memory store for
 * ":memory:". A file that is not an embedkit store gives EK_ERR_CORRUPT; a store
 * written by a newer schema version gives EK_ERR_UNSUPPORTED. Opened for writing, a
 * store whose pages are damaged gives EK_ERR_CORRUPT (SQLite's quick_check, stores up
 * to 256 MiB) and is not written. A store in a folder the caller cannot write can be
 * read (writes give EK_ERR_READ_ONLY); see docs/storage.md. [thread-safe] */
EK_API ek_status ek_store_open(ek_context* context, const char* path,
                               const ek_store_options* options, ek_store** out_store);

/* Frees the store handle. A transaction still open is rolled back. Collections
 * opened from it keep the store open and stay usable until they are freed too
 * (any free order is safe). [one thread at a time per handle] */
EK_API void ek_store_free(ek_store* store);

/* Groups the writes made through this store handle (and the collections opened from
 * it) into one transaction: after ek_store_commit they are all durable, after
 * ek_store_rollback, closing the handle or a crash none of them is. Every call in
 * between still validates and fails on its own (a failed call undoes only itself).
 * ek_store_begin waits for other writers up to the busy timeout (EK_ERR_STORAGE
 * after it) and fails with EK_ERR_INVALID_ARGUMENT if a transaction is already open
 * on the handle; commit/rollback without one likewise. Calls from other threads on
 * the same handle join the open transaction. Added in ABI 1.0 (2026).
 * [one thread at a time per handle] */
EK_API ek_status ek_store_begin(ek_store* store);
EK_API ek_status ek_store_commit(ek_store* store);
EK_API ek_status ek_store_rollback(ek_store* store);

/* Index kinds and element types (ABI 1.2, issue 19; docs/storage.md "Indexes"). */
typedef int32_t ek_index_kind;
#define EK_INDEX_EXACT 0 /* scan every row (default) */
#define EK_INDEX_HNSW 1  /* HNSW graph (Malkov & Yashunin), kept in the store's tables */
typedef int32_t ek_element_type;
#define EK_ELEMENT_F32 0  /* 4 bytes per component (default) */
#define EK_ELEMENT_F16 1  /* IEEE half: 2 bytes */
#define EK_ELEMENT_INT8 2 /* one symmetric scale per collection, calibrated on its first rows */
#define EK_ELEMENT_BIT 3  /* sign bits, Hamming distance; scores always from the f32 originals */

typedef struct ek_collection_info {
  uint32_t struct_size;  /* sizeof(ek_collection_info), set by the caller */
  const char* name;      /* owned by the handle or array it came from */
  uint32_t dim;
  ek_metric metric;
  uint64_t count;        /* vectors stored */
} ek_collection_info;

/* How a collection is indexed and stored in memory. Zero fields mean the default. The
 * f32 originals always stay in the store: quantized elements add a code per row. */
typedef struct ek_collection_options {
  uint32_t struct_size;      /* sizeof(ek_collection_options) */
  ek_index_kind index;       /* EK_INDEX_EXACT (default) or EK_INDEX_HNSW */
  uint32_t m;                /* hnsw links per node, 2..255; 0 = 16 */
  uint32_t ef_construction;  /* hnsw build beam, 1..65536; 0 = 200 */
  uint32_t ef_search;        /* hnsw default search beam, 1..65536; 0 = 64 */
  ek_element_type element;   /* EK_ELEMENT_F32 (default), _F16, _INT8 or _BIT */
  uint32_t rescore;          /* default oversampling factor re-ranked with the f32
                                originals, 1..1024; 0 or 1 = none (bit always re-ranks) */
  uint32_t defer_build;      /* hnsw: non-zero = rows only (state building, searches scan
                                exactly) until ek_collection_index_build: the fastest import */
} ek_collection_options;

/* Zero (every default) with struct_size set. Inline, not exported: an exported _init
 * writes the library's sizeof, which overruns a struct a caller built against an older,
 * smaller header allocated (docs/abi.md). */
static inline void ek_collection_options_init(ek_collection_options* options) {
  if (options) {
    memset(options, 0, sizeof(*options));
    options->struct_size = (uint32_t)sizeof(*options);
  }
}

/* Creates collection `name` (1..128 bytes of UTF-8, no NUL) with `dim` (1..65536)
 * and `metric` (exact f32: see ek_collection_create_with for an index). If it exists
 * with the same dim and metric it is opened, whatever its index; with another shape
 * the call fails with EK_ERR_ALREADY_EXISTS. [thread-safe] */
EK_API ek_status ek_collection_create(ek_store* store, const char* name, uint32_t dim,
                                      ek_metric metric, ek_collection** out_collection);

/* ek_collection_create with index options. An existing collection with the same dim,
 * metric and options is opened; with other options the call fails with
 * EK_ERR_ALREADY_EXISTS naming the first difference (change them with
 * ek_collection_index_build). NULL options = ek_collection_create: a new collection is
 * exact f32, an existing one of the same shape is opened whatever its index. Added in
 * ABI 1.2. [thread-safe] */
EK_API ek_status ek_collection_create_with(ek_store* store, const char* name, uint32_t dim,
                                           ek_metric metric, const ek_collection_options* options,
                                           ek_collection** out_collection);

/* (Re)builds the collection's index with `options` (NULL = rebuild with the current
 * ones; the kind, element and parameters may all change, EK_INDEX_EXACT with
 * EK_ELEMENT_F32 drops the index). One transaction: rows get dense slots in insertion
 * order, codes and graph are written anew, the int8 scale is calibrated again. Progress
 * goes to the context's progress callback (task "index build", rows linked / total);
 * ek_context_cancel or a non-zero callback return stops it with EK_ERR_CANCELLED, and
 * then, as after any failure, the collection keeps its previous index. Holds the
 * store's write lock for the whole build. Refused inside ek_store_begin
 * (EK_ERR_INVALID_ARGUMENT). Added in ABI 1.2. [thread-safe] */
EK_API ek_status ek_collection_index_build(ek_collection* collection,
                                           const ek_collection_options* options);

/* Rebuilds the index with its current options (slots renumbered densely, so the slots
 * of deleted rows are given up), then VACUUMs the store file to return free pages to
 * the file system. `out_bytes_freed` (optional) = file size before - after. Progress,
 * cancel and refusals as ek_collection_index_build. Added in ABI 1.2. [thread-safe] */
EK_API ek_status ek_collection_index_compact(ek_collection* collection,
                                             uint64_t* out_bytes_freed);

/* A collection's index and memory use. A struct of its own, not fields appended to
 * ek_collection_info: ek_store_list_collections returns an array of that struct, whose
 * stride callers built against ABI 1.1 fixed at its old size. */
typedef struct ek_index_info {
  uint32_t struct_size;       /* sizeof(ek_index_info), set by the caller */
  ek_index_kind index;        /* EK_INDEX_EXACT or EK_INDEX_HNSW */
  ek_element_type element;    /* what scans and the graph traverse */
  uint32_t m;                 /* hnsw links per node (0 for exact) */
  uint32_t ef_construction;   /* hnsw build beam (0 for exact) */
  uint32_t ef_search;         /* hnsw default search beam (0 for exact) */
  uint32_t rescore;           /* default oversampling re-ranked with the f32 originals */
  uint32_t index_state;       /* 0 ready; 1 building (rows not yet in the graph: searches
                                 scan exactly until ek_collection_index_build) */
  uint64_t bytes_per_vector;  /* resident bytes per row once loaded: the vector or code,
                                 the graph's links, fixed per-row overheads (not the id's or
                                 metadata's text) */
} ek_index_info;

/* Fills `out_info` (struct_size set by the caller). Added in ABI 1.2. [thread-safe] */
EK_API ek_status ek_collection_index_info_get(ek_collection* collection, ek_index_info* out_info);

/* Opens an existing collection; EK_ERR_NOT_FOUND if there is none. [thread-safe] */
EK_API ek_status ek_collection_open(ek_store* store, const char* name,
                                    ek_collection** out_collection);

/* Deletes a collection and its vectors. Handles opened on it fail afterwards with
 * EK_ERR_NOT_FOUND. [thread-safe] */
EK_API ek_status ek_collection_drop(ek_store* store, const char* name);

/* Lists the collections: an array of `*out_count` infos, freed with
 * ek_collection_infos_free. [thread-safe] */
EK_API ek_status ek_store_list_collections(ek_store* store, ek_collection_info** out_infos,
                                           size_t* out_count);
EK_API void ek_collection_infos_free(ek_collection_info* infos, size_t count);

/* [thread-safe] A collection handle may be used from several threads at once. */
EK_API void ek_collection_free(ek_collection* collection);

/* Current name, dim, metric and count (name owned by the handle). [thread-safe] */
EK_API ek_status ek_collection_info_get(ek_collection* collection, ek_collection_info* out_info);

typedef struct ek_upsert_batch {
  uint32_t struct_size;              /* sizeof(ek_upsert_batch) */
  size_t count;                      /* rows in this batch */
  const char* const* ids;            /* count ids, NUL-terminated UTF-8, 1..512 bytes */
  const float* vectors;              /* count x dim floats, row-major, all finite */
  size_t dim;                        /* must equal the collection's dim */
  const char* const* metadata_json;  /* NULL, or count entries each NULL or a JSON object */
} ek_upsert_batch;

/* Inserts or replaces the rows of `batch` in one transaction: either all rows are
 * stored or none (a NaN, a wrong dim, a duplicate id in the batch or bad metadata
 * rejects the whole batch and names the offending row). [thread-safe] */
EK_API ek_status ek_collection_upsert(ek_collection* collection, const ek_upsert_batch* batch);

/* Reads the vector (and optionally metadata) stored under `id`. `out_vector` may be
 * NULL to learn the dim; if `capacity` < dim, EK_ERR_BUFFER_TOO_SMALL and *out_dim
 * says how many floats are needed. `out_metadata_json` (optional) receives a string
 * to free with ek_string_free, or NULL if the row has none. EK_ERR_NOT_FOUND if no
 * such id. [thread-safe] */
EK_API ek_status ek_collection_get(ek_collection* collection, const char* id, float* out_vector,
                                   size_t capacity, size_t* out_dim, char** out_metadata_json);

/* Deletes rows by id in one transaction; unknown ids are not an error.
 * `out_deleted` (optional) receives how many rows existed. [thread-safe] */
EK_API ek_status ek_collection_delete(ek_collection* collection, const char* const* ids,
                                      size_t count, size_t* out_deleted);

/* Rows stored. [thread-safe] */
EK_API ek_status ek_collection_count(ek_collection* collection, uint64_t* out_count);

typedef struct ek_search_options {
  uint32_t struct_size;       /* sizeof(ek_search_options) */
  uint32_t k;                 /* hits per query; 0 means 10. No upper limit (older
                                 libraries refused k > 1024): a query gets min(k,
                                 rows the filter allows) hits */
  const char* filter_json;    /* NULL or "", or a JSON object selecting rows by top-level
                                 metadata fields (rows without metadata match only {}):
                                 {"key": value} equality (string, number, boolean, null);
                                 {"key": {op: operand, ...}} with $eq $ne $lt $lte $gt $gte
                                 (number or string) $in $nin ([values]) $prefix (string)
                                 $iprefix (string, ASCII letters folded as SQL's LIKE)
                                 $null (true: absent or null); "$and"/"$or": [filters],
                                 "$not": filter; keys AND. Numbers compare as double,
                                 strings bytewise; another type never matches; $ne/$nin
                                 match absent fields. Errors name the place:
                                 EK_ERR_INVALID_ARGUMENT, EK_ERR_PARSE, EK_ERR_LIMIT.
                                 Full grammar: docs/storage.md, "Filters" */
  uint32_t include_metadata;  /* non-zero: hits carry their metadata JSON */
} ek_search_options;

EK_API void ek_search_options_init(ek_search_options* options);

/* Top-k search of `n_queries` query vectors (n_queries x dim, row-major): exact for an
 * exact f32 collection; for an hnsw or quantized one as docs/storage.md "Indexes" says
 * (the graph, or an exact scan of the codes where the planner expects it to be
 * faster or a filter leaves too few rows; a filtered query never returns fewer hits
 * than rows the filter allows, up to k). Hits are ordered best first (highest
 * similarity, or lowest L2 distance); ties break by insertion order. `options` may be NULL for the defaults. The result is
 * freed with ek_results_free. [thread-safe] */
EK_API ek_status ek_collection_search(ek_collection* collection, const float* queries,
                                      size_t n_queries, size_t dim,
                                      const ek_search_options* options, ek_results** out_results);

/* The knobs of a search over an index (ABI 1.2, issue 19). A struct of its own rather
 * than fields appended to ek_search_options: ek_search_options_init (exported since
 * ABI 1.0) writes the library's sizeof, so that struct can never grow. */
typedef struct ek_index_search_options {
  uint32_t struct_size;  /* sizeof(ek_index_search_options) */
  uint32_t ef;           /* hnsw beam; 0 = the collection's ef_search; raised to k */
  uint32_t exact;        /* non-zero: exact scan of the f32 originals (the recall baseline
                            of an hnsw or quantized collection) */
  uint32_t rescore;      /* oversampling factor re-ranked with the f32 originals, 0..1024;
                            0 = the collection's, 1 = none */
} ek_index_search_options;

/* Zero (the collection's settings) with struct_size set; inline like
 * ek_collection_options_init. */
static inline void ek_index_search_options_init(ek_index_search_options* options) {
  if (options) {
    memset(options, 0, sizeof(*options));
    options->struct_size = (uint32_t)sizeof(*options);
  }
}

/* ek_collection_search with index knobs (`index_options` NULL = the collection's
 * settings, as ek_collection_search). Added in ABI 1.2. [thread-safe] */
EK_API ek_status ek_collection_search_with(ek_collection* collection, const float* queries,
                                           size_t n_queries, size_t dim,
                                           const ek_search_options* options,
                                           const ek_index_search_options* index_options,
                                           ek_results** out_results);

/* Lists rows in insertion order, `limit` (0 = all) from `offset`, as one result set
 * of one "query" whose scores are 0. [thread-safe] */
EK_API ek_status ek_collection_list(ek_collection* collection, size_t offset, size_t limit,
                                    uint32_t include_metadata, ek_results** out_results);

/* ---- Key/value state ----------------------------------------------------------------
 * Values that are not vectors (configuration, ledgers, model parameters) kept in the
 * same store file as the collections, so they change in the same transactions. A
 * value lives under a namespace and a key:
 *   namespace  1..128 bytes of UTF-8, no NUL; by convention the owner's id
 *              ("embedkit.vsa_json", "myapp"). Names starting "ek." are reserved for
 *              embedkit itself and refused (EK_ERR_INVALID_ARGUMENT).
 *   key        1..512 bytes of UTF-8, no NUL. Keys sort bytewise; a '/' in keys is
 *              only a convention ("countries/config") that key_prefix makes useful.
 *   value      0..EK_KV_MAX_VALUE bytes. EK_VALUE_JSON values must be one valid JSON
 *              text (checked: EK_ERR_PARSE with the byte offset); EK_VALUE_BLOB are
 *              any bytes.
 * Writes outside ek_store_begin/commit are one transaction each; inside, they join it
 * and are undone by ek_store_rollback. A store opened read-only refuses writes with
 * EK_ERR_READ_ONLY. Added in ABI 1.1. [thread-safe] */
typedef int32_t ek_value_kind;
#define EK_VALUE_BLOB 0
#define EK_VALUE_JSON 1
#define EK_KV_MAX_VALUE ((size_t)256 << 20) /* 256 MiB */

/* Inserts or replaces the value of (namespace, key). */
EK_API ek_status ek_store_kv_put(ek_store* store, const char* name_space, const char* key,
                                 const void* value, size_t length, ek_value_kind kind);

/* Reads the value of (namespace, key): EK_ERR_NOT_FOUND if there is none. *out_length
 * receives its length in bytes and *out_kind (optional) its kind. `out` may be NULL
 * with capacity 0 to learn the length; if 0 < capacity < length,
 * EK_ERR_BUFFER_TOO_SMALL and nothing is copied. When capacity > length a NUL is
 * written after the bytes, so a JSON value can be used as a C string. */
EK_API ek_status ek_store_kv_get(ek_store* store, const char* name_space, const char* key,
                                 void* out, size_t capacity, size_t* out_length,
                                 ek_value_kind* out_kind);

/* Deletes the value of (namespace, key); a missing key is not an error.
 * `out_deleted` (optional) receives 1 if it existed, else 0. */
EK_API ek_status ek_store_kv_delete(ek_store* store, const char* name_space, const char* key,
                                    size_t* out_deleted);

/* Deletes every key of `name_space` that starts with `key_prefix` ("" = the whole
 * namespace) in one transaction; `out_deleted` (optional) receives how many. */
EK_API ek_status ek_store_kv_delete_prefix(ek_store* store, const char* name_space,
                                           const char* key_prefix, size_t* out_deleted);

/* Lists the keys of `name_space` that start with `key_prefix` ("" = all) and sort
 * after `after_key` (NULL or "" = from the first), in byte order, at most `limit`
 * (0 = all), as one result set of one "query": each hit's id is a key, its score 0,
 * and its metadata_json the value when `include_values` is non-zero and the value is
 * JSON (NULL otherwise). Page by passing the last key seen as `after_key`. Free with
 * ek_results_free. */
EK_API ek_status ek_store_kv_list(ek_store* store, const char* name_space,
                                  const char* key_prefix, const char* after_key, size_t limit,
                                  uint32_t include_values, ek_results** out_results);

/* ---- Results ----------------------------------------------------------------------- */

typedef struct ek_hit {
  uint32_t struct_size;       /* sizeof(ek_hit), set by the caller */
  const char* id;             /* owned by the results object */
  float score;                /* see ek_metric */
  const char* metadata_json;  /* NULL unless requested and present */
} ek_hit;

/* Number of queries in the result set. [thread-safe] */
EK_API size_t ek_results_query_count(const ek_results* results);
/* Hits for query `query` (<= k; fewer when the collection is small). [thread-safe] */
EK_API size_t ek_results_hit_count(const ek_results* results, size_t query);
/* Reads hit number `rank` (0 = best) of query `query`. [thread-safe] */
EK_API ek_status ek_results_hit(const ek_results* results, size_t query, size_t rank,
                                ek_hit* out_hit);
EK_API void ek_results_free(ek_results* results);

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_EMBEDKIT_H */
