/* embedkit — shared types of the host API and the plugin ABI.
 *
 * C99. No C++ types, no `bool`, every enum is int32_t-sized. Every options or
 * info struct begins with `uint32_t struct_size` (set it to sizeof the struct you
 * were compiled with) so that fields can be appended in minor versions without
 * breaking old callers. Fields are never reordered or removed.
 */
#ifndef EMBEDKIT_TYPES_H
#define EMBEDKIT_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ABI version ------------------------------------------------------------------
 * major: incompatible changes (a plugin built for another major is refused).
 * minor: backward-compatible additions (new functions, appended struct fields). */
#define EK_ABI_VERSION_MAJOR 1
#define EK_ABI_VERSION_MINOR 2
#define EK_ABI_VERSION ((EK_ABI_VERSION_MAJOR << 16) | EK_ABI_VERSION_MINOR)

/* ---- Export / calling convention -------------------------------------------------- */
#if defined(_WIN32)
#  define EK_EXPORT_ATTR __declspec(dllexport)
#  define EK_IMPORT_ATTR __declspec(dllimport)
#else
#  define EK_EXPORT_ATTR __attribute__((visibility("default")))
#  define EK_IMPORT_ATTR
#endif
#if defined(EK_BUILDING_LIBRARY)
#  define EK_API EK_EXPORT_ATTR
#else
#  define EK_API EK_IMPORT_ATTR
#endif

/* ---- Status ------------------------------------------------------------------------
 * Every fallible function returns an ek_status; EK_OK is 0. On failure the calling
 * thread's message is available from ek_last_error(). */
typedef int32_t ek_status;
#define EK_OK                      0
#define EK_ERR_INVALID_ARGUMENT    1  /* NULL where not allowed, bad option value, bad id */
#define EK_ERR_NOT_FOUND           2  /* unknown collection, id, plugin, extension */
#define EK_ERR_ALREADY_EXISTS      3  /* duplicate plugin id, collection exists with another shape */
#define EK_ERR_DIMENSION_MISMATCH  4  /* vector length differs from the collection's dim */
#define EK_ERR_PARSE               5  /* malformed JSON (config, metadata, filter) */
#define EK_ERR_IO                  6  /* file missing or unreadable */
#define EK_ERR_STORAGE             7  /* SQLite failure (locked, full, ...) */
#define EK_ERR_CORRUPT             8  /* the file is not a store or fails its checks */
#define EK_ERR_READ_ONLY           9  /* write to a store opened read-only or a read-only file */
#define EK_ERR_ABI_MISMATCH       10  /* plugin built for another ABI major / bad struct_size */
#define EK_ERR_NOT_A_PLUGIN       11  /* not loadable, or no ek_plugin_entry symbol */
#define EK_ERR_UNSUPPORTED        12  /* backend not available, extension not provided */
#define EK_ERR_BUFFER_TOO_SMALL   13  /* caller buffer too small; the size needed is reported */
#define EK_ERR_OUT_OF_MEMORY      14
#define EK_ERR_CANCELLED          15  /* cancelled through ek_context_cancel or a progress callback */
#define EK_ERR_LIMIT              16  /* input beyond a configured limit */
#define EK_ERR_INTERNAL           17  /* a bug: please report with the message */
#define EK_ERR_PLUGIN             18  /* a plugin call failed; the message says why */

/* ---- Log levels --------------------------------------------------------------------- */
typedef int32_t ek_log_level;
#define EK_LOG_ERROR 0
#define EK_LOG_WARN  1
#define EK_LOG_INFO  2
#define EK_LOG_DEBUG 3

/* ---- Distance metrics ---------------------------------------------------------------
 * Scores returned by searches: COSINE = cosine similarity (higher is closer),
 * DOT = inner product (higher is closer), L2 = squared Euclidean distance
 * (lower is closer). */
typedef int32_t ek_metric;
#define EK_METRIC_COSINE 0
#define EK_METRIC_DOT    1
#define EK_METRIC_L2     2

/* A UTF-8 string that need not be NUL-terminated (webgpu.h style). */
typedef struct ek_string_view {
  const char* data;
  size_t length;
} ek_string_view;

/* ---- Callbacks ---------------------------------------------------------------------- */

/* [callback][any thread] Receives log lines. `message` is valid during the call only. */
typedef void (*ek_log_fn)(void* user_data, ek_log_level level, const char* message);

/* [callback][any thread] Reports progress of a long operation (training, bulk import).
 * `total` is 0 when unknown. Return non-zero to cancel: the operation then stops at
 * the next safe point and returns EK_ERR_CANCELLED with nothing half-written. */
typedef int32_t (*ek_progress_fn)(void* user_data, const char* task, uint64_t done,
                                  uint64_t total);

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_TYPES_H */
