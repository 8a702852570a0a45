/* A complete minimal embedkit plugin, in plain C99: the living example of the plugin
 * ABI (docs/abi.md walks through it). It provides "ek.encoder/1": each text becomes
 * a `dim`-long vector by feature hashing of its byte trigrams, each trigram adding
 * +1 or -1 (a sign drawn from the host's counter-based RNG) to one bucket, then the
 * vector is normalised with the host's kernel table. Texts sharing many trigrams get
 * a high cosine; the same text gives the same vector on every platform.
 *
 * Config (JSON object): {"dim": 64, "seed": 42}.
 * Build: a shared library exporting only ek_plugin_entry (see CMakeLists.txt). */
#include <embedkit/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct template_instance {
  const ek_host* host;
  size_t dim;
  uint64_t seed;
} template_instance;

static ek_status template_create(const ek_host* host, const char* config, size_t length,
                                 void** out_instance) {
  int64_t dim = 0, seed = 0;
  template_instance* self;
  ek_status s;
  if (host->struct_size < sizeof(ek_host)) {
    /* A host older than the header we were built with: refuse rather than guess. */
    return EK_ERR_ABI_MISMATCH;
  }
  s = host->config_int(host, config, length, "dim", 64, &dim);
  if (s != EK_OK) return s; /* the host already set the message */
  s = host->config_int(host, config, length, "seed", 42, &seed);
  if (s != EK_OK) return s;
  if (dim < 1 || dim > 4096) {
    char message[96];
    snprintf(message, sizeof message, "config \"dim\" is %lld; use 1..4096", (long long)dim);
    host->set_error(host, message);
    return EK_ERR_INVALID_ARGUMENT;
  }
  self = (template_instance*)calloc(1, sizeof *self);
  if (!self) return EK_ERR_OUT_OF_MEMORY;
  self->host = host;
  self->dim = (size_t)dim;
  self->seed = (uint64_t)seed;
  *out_instance = self;
  return EK_OK;
}

static void template_destroy(void* instance) { free(instance); }

static ek_status template_dim(void* instance, size_t* out_dim) {
  *out_dim = ((template_instance*)instance)->dim;
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

static ek_status template_encode(void* instance, const ek_string_view* items, size_t count,
                                 float* out) {
  template_instance* self = (template_instance*)instance;
  const ek_host* host = self->host;
  size_t i, j;
  for (i = 0; i < count; ++i) {
    const unsigned char* text = (const unsigned char*)items[i].data;
    size_t n = items[i].length;
    float* v = out + i * self->dim;
    memset(v, 0, self->dim * sizeof(float));
    if ((i & 1023) == 0 && host->is_cancelled(host)) return EK_ERR_CANCELLED;
    for (j = 0; j + 3 <= n || (j == 0 && n > 0); ++j) {
      size_t len = n < 3 ? n : 3;
      uint64_t h = hash_bytes(text + j, len);
      uint32_t sign_word;
      host->random_u32(host, self->seed, h, &sign_word, 1);
      v[h % self->dim] += (sign_word & 1u) ? 1.0f : -1.0f;
      if (n < 3) break;
    }
    host->kernels->normalize(v, self->dim);
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
    "embedkit.sample.trigram_hash",
    "Trigram hashing encoder (sample)",
    "1.0.0",
    "embedkit",
    "Feature-hashes byte trigrams into a signed, normalised vector",
    template_extensions,
    template_create,
    template_destroy,
    template_get_extension,
};

EK_PLUGIN_EXPORT const ek_plugin_descriptor* ek_plugin_entry(void) { return &template_descriptor; }
