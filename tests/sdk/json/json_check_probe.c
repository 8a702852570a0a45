/* A plugin module that only forwards to ek_host::json_check, so the test can call the
 * host table through the public C API: each encoded item is checked with the config's
 * "max_depth"; a rejected item fails the call with "item I (offset O): <host reason>". */
#include <embedkit/plugin.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct probe {
  const ek_host* host;
  uint32_t max_depth;
} probe;

static ek_status probe_create(const ek_host* host, const char* config, size_t length,
                              void** out_instance) {
  int64_t max_depth = 0;
  probe* self;
  ek_status s;
  if (host->struct_size < offsetof(ek_host, json_check) + sizeof host->json_check)
    return EK_ERR_ABI_MISMATCH;
  s = host->config_int(host, config, length, "max_depth", 0, &max_depth);
  if (s != EK_OK) return s;
  self = (probe*)calloc(1, sizeof *self);
  if (!self) return EK_ERR_OUT_OF_MEMORY;
  self->host = host;
  self->max_depth = (uint32_t)max_depth;
  *out_instance = self;
  return EK_OK;
}

static void probe_destroy(void* instance) { free(instance); }

static ek_status probe_dim(void* instance, size_t* out_dim) {
  (void)instance;
  *out_dim = 1;
  return EK_OK;
}

static ek_status probe_encode(void* instance, const ek_string_view* items, size_t count,
                              float* out) {
  const probe* self = (const probe*)instance;
  const ek_host* host = self->host;
  size_t i;
  for (i = 0; i < count; ++i) {
    size_t offset = (size_t)-1;
    ek_status s = host->json_check(host, items[i].data, items[i].length, self->max_depth, &offset);
    if (s != EK_OK) {
      char message[512];
      snprintf(message, sizeof message, "item %lu (offset %lu): %s", (unsigned long)i,
               (unsigned long)offset, host->last_error(host));
      host->set_error(host, message);
      return s;
    }
    out[i] = 1.0f;
  }
  return EK_OK;
}

static const ek_encoder_ext probe_encoder = {sizeof(ek_encoder_ext), probe_dim, probe_encode};

static const void* probe_get_extension(void* instance, const char* id) {
  (void)instance;
  return strcmp(id, EK_EXT_ENCODER) == 0 ? &probe_encoder : NULL;
}

static const char* const probe_extensions[] = {EK_EXT_ENCODER, NULL};

static const ek_plugin_descriptor probe_descriptor = {
    sizeof(ek_plugin_descriptor), EK_ABI_VERSION, "test.json_check_probe", "json_check probe",
    "1.0.0", "embedkit tests", "forwards each item to ek_host::json_check", probe_extensions,
    probe_create, probe_destroy, probe_get_extension};

EK_PLUGIN_EXPORT const ek_plugin_descriptor* ek_plugin_entry(void) { return &probe_descriptor; }
