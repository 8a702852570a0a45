/* A complete minimal embedkit plugin, in plain C99: the living example of the plugin
 * ABI (docs/abi.md walks through it, section by section). It provides "ek.encoder/1":
 * each text becomes a `dim`-long vector by feature hashing of its byte trigrams, each
 * trigram adding +1 or -1 (a sign drawn from the host's counter-based RNG) to one
 * bucket, then the vector is normalised with the host's kernel table. Texts sharing
 * many trigrams get a high cosine; the same text gives the same vector everywhere.
 *
 * What it shows, each in its own function below:
 *   host_has / template_create   checking host->struct_size before using a field
 *                                added after the first ABI (1.1: kv_*, json_check)
 *   report, report_host_failure  errors through host->set_error, passing the host's
 *                                own reason (host->last_error) on
 *   pin_config                   state kept in the store with host->kv_get/kv_put:
 *                                the dim and seed the store's vectors were made with
 *   check_items                  JSON input validated with host->json_check
 *   template_encode              a kernel from host->kernels, cancellation
 *
 * Config (JSON object): {"dim": 64, "seed": 42, "store": "", "input": "text"}.
 *   store  path of a store in which to pin dim and seed: a later instance with other
 *          values is refused, so vectors in that store stay comparable (ABI 1.1)
 *   input  "text" (any bytes) or "json" (each item must be one JSON value, ABI 1.1)
 *
 * Plugins written in C++ may use plugins/common (a guard that turns exceptions into
 * statuses, a range-checked config reader, JSON quoting); the ABI itself is C, and
 * this file needs nothing but <embedkit/plugin.h>.
 * Build: a shared library exporting only ek_plugin_entry (see CMakeLists.txt). */
#include <embedkit/plugin.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_ID "embedkit.sample.trigram_hash"

/* True if the host's table reaches `field`: a host built for an older ABI has a
 * shorter ek_host, and the fields after its end must not be read. */
#define host_has(host, field) \
  ((host)->struct_size >= offsetof(ek_host, field) + sizeof((host)->field))

typedef struct template_instance {
  const ek_host* host;
  size_t dim;
  uint64_t seed;
  int json_input; /* "input": "json" */
} template_instance;

/* ---- Errors ------------------------------------------------------------------------
 * The host copies the message of set_error and reports it as the failing call's
 * reason (ek_last_error() for the application). */
static ek_status report(const ek_host* host, ek_status status, const char* message) {
  host->set_error(host, message);
  return status;
}

/* "<what> failed: <the host's reason>" for a host call that returned `status`. */
static ek_status report_host_failure(const ek_host* host, ek_status status, const char* what) {
  char message[2048];
  snprintf(message, sizeof message, "%s failed: %s", what, host->last_error(host));
  return report(host, status, message);
}

/* ---- State in the store --------------------------------------------------------------
 * The first instance that names a store writes {"dim":..,"seed":..} under the plugin's
 * id as namespace; later ones read it back and refuse other values. */
static ek_status compare_pinned(const template_instance* self, const char* pinned,
                                size_t length) {
  const ek_host* host = self->host;
  int64_t dim = 0, seed = 0;
  char message[256];
  ek_status s = host->config_int(host, pinned, length, "dim", 0, &dim);
  if (s == EK_OK) s = host->config_int(host, pinned, length, "seed", 0, &seed);
  if (s != EK_OK) return report_host_failure(host, s, "reading the pinned config");
  if ((size_t)dim == self->dim && (uint64_t)seed == self->seed) return EK_OK;
  snprintf(message, sizeof message,
           "the store was written with \"dim\" %lld and \"seed\" %lld; this config asks for "
           "%lu and %lld",
           (long long)dim, (long long)seed, (unsigned long)self->dim, (long long)self->seed);
  return report(host, EK_ERR_INVALID_ARGUMENT, message);
}

static ek_status pin_config(const template_instance* self, ek_store* store) {
  const ek_host* host = self->host;
  char value[128];
  size_t length = 0;
  ek_status s = host->kv_get(store, TEMPLATE_ID, "config", value, sizeof value, &length, NULL);
  if (s == EK_OK) return compare_pinned(self, value, length);
  if (s != EK_ERR_NOT_FOUND) return report_host_failure(host, s, "reading the pinned config");
  /* The seed as the signed integer the config gave (config_int reads it back). */
  snprintf(value, sizeof value, "{\"dim\":%lu,\"seed\":%lld}", (unsigned long)self->dim,
           (long long)self->seed);
  s = host->kv_put(store, TEMPLATE_ID, "config", value, strlen(value), EK_VALUE_JSON);
  return s == EK_OK ? EK_OK : report_host_failure(host, s, "pinning the config");
}

static ek_status open_and_pin(const template_instance* self, const char* path) {
  const ek_host* host = self->host;
  ek_store* store = NULL;
  char what[1100]; /* room for a whole store_path */
  ek_status s = host->store_open(host, path, &store);
  if (s != EK_OK) {
    snprintf(what, sizeof what, "opening store '%s'", path);
    return report_host_failure(host, s, what);
  }
  s = pin_config(self, store);
  host->store_free(store);
  return s;
}

/* ---- Creation ------------------------------------------------------------------------ */
static ek_status read_config(template_instance* self, const char* config, size_t length,
                             char* store_path, size_t capacity) {
  const ek_host* host = self->host;
  int64_t dim = 0, seed = 0;
  char input[8];
  ek_status s = host->config_int(host, config, length, "dim", 64, &dim);
  if (s == EK_OK) s = host->config_int(host, config, length, "seed", 42, &seed);
  if (s == EK_OK) s = host->config_string(host, config, length, "store", "", store_path, capacity);
  if (s == EK_OK) s = host->config_string(host, config, length, "input", "text", input, sizeof input);
  /* Booleans: host->config_bool (ABI 1.1, after collection_drop: check host_has first). */
  if (s != EK_OK) return s; /* the host has set the message */
  if (dim < 1 || dim > 4096) {
    char message[96];
    snprintf(message, sizeof message, "config \"dim\" is %lld; use 1..4096", (long long)dim);
    return report(host, EK_ERR_INVALID_ARGUMENT, message);
  }
  if (strcmp(input, "text") != 0 && strcmp(input, "json") != 0)
    return report(host, EK_ERR_INVALID_ARGUMENT, "config \"input\" must be \"text\" or \"json\"");
  self->dim = (size_t)dim;
  self->seed = (uint64_t)seed;
  self->json_input = strcmp(input, "json") == 0;
  return EK_OK;
}

static ek_status template_create(const ek_host* host, const char* config, size_t length,
                                 void** out_instance) {
  template_instance* self;
  char store_path[1024];
  ek_status s;
  /* Everything up to last_error (ABI 1.0) is needed; kv_* and json_check (ABI 1.1)
   * only for what asks for them, so the plugin still runs on a 1.0 host. */
  if (!host_has(host, last_error)) return EK_ERR_ABI_MISMATCH;
  self = (template_instance*)calloc(1, sizeof *self);
  if (!self) return EK_ERR_OUT_OF_MEMORY;
  self->host = host;
  s = read_config(self, config, length, store_path, sizeof store_path);
  if (s == EK_OK && (store_path[0] || self->json_input) && !host_has(host, json_check))
    s = report(host, EK_ERR_ABI_MISMATCH, "\"store\" and \"input\": \"json\" need a host of ABI 1.1");
  if (s == EK_OK && store_path[0]) s = open_and_pin(self, store_path);
  if (s != EK_OK) {
    free(self);
    return s;
  }
  *out_instance = self;
  return EK_OK;
}

static void template_destroy(void* instance) { free(instance); }

/* ---- ek.encoder/1 -------------------------------------------------------------------- */
static ek_status template_dim(void* instance, size_t* out_dim) {
  *out_dim = ((template_instance*)instance)->dim;
  return EK_OK;
}

/* With "input": "json", every item must be one JSON value: the host's diagnosis names
 * the offending byte ("item 1: byte 5: expected ':' after key"). */
static ek_status check_items(const template_instance* self, const ek_string_view* items,
                             size_t count) {
  const ek_host* host = self->host;
  size_t i;
  for (i = 0; i < count; ++i) {
    ek_status s = host->json_check(host, items[i].data, items[i].length, 0, NULL);
    if (s != EK_OK) {
      char message[640];
      snprintf(message, sizeof message, "item %lu: %s", (unsigned long)i, host->last_error(host));
      return report(host, s, message);
    }
  }
  return EK_OK;
}

/* FNV-1a over a trigram: the bucket and RNG counter of a feature. */
static uint64_t hash_bytes(const unsigned char* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  size_t i;
  for (i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

static void encode_one(const template_instance* self, const unsigned char* text, size_t n,
                       float* v) {
  const ek_host* host = self->host;
  size_t j;
  memset(v, 0, self->dim * sizeof(float));
  for (j = 0; j + 3 <= n || (j == 0 && n > 0); ++j) {
    size_t len = n < 3 ? n : 3;
    uint64_t h = hash_bytes(text + j, len);
    uint32_t sign_word;
    host->random_u32(host, self->seed, h, &sign_word, 1);
    v[h % self->dim] += (sign_word & 1u) ? 1.0f : -1.0f;
    if (n < 3) break;
  }
  host->kernels->normalize(v, self->dim); /* the backend's SIMD (or CUDA) kernel */
}

static ek_status template_encode(void* instance, const ek_string_view* items, size_t count,
                                 float* out) {
  const template_instance* self = (const template_instance*)instance;
  size_t i;
  if (self->json_input) {
    ek_status s = check_items(self, items, count);
    if (s != EK_OK) return s;
  }
  for (i = 0; i < count; ++i) {
    if ((i & 1023) == 0 && self->host->is_cancelled(self->host)) return EK_ERR_CANCELLED;
    encode_one(self, (const unsigned char*)items[i].data, items[i].length, out + i * self->dim);
  }
  return EK_OK;
}

static const ek_encoder_ext template_encoder = {
    sizeof(ek_encoder_ext),
    template_dim,
    template_encode,
};

static const void* template_get_extension(void* instance, const char* id) {
  (void)instance;
  if (strcmp(id, EK_EXT_ENCODER) == 0) return &template_encoder;
  return NULL;
}

static const char* const template_extensions[] = {EK_EXT_ENCODER, NULL};

static const ek_plugin_descriptor template_descriptor = {
    sizeof(ek_plugin_descriptor),
    EK_ABI_VERSION,
    TEMPLATE_ID,
    "Trigram hashing encoder (sample)",
    "1.1.0",
    "embedkit",
    "Feature-hashes byte trigrams into a signed, normalised vector",
    template_extensions,
    template_create,
    template_destroy,
    template_get_extension,
};

EK_PLUGIN_EXPORT const ek_plugin_descriptor* ek_plugin_entry(void) { return &template_descriptor; }
