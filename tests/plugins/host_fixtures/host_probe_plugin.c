/* A plugin whose instance is the ek_host the library lent it: a test reads it back
 * with ek_instance_plugin_data and calls the host table exactly as a plugin would
 * (tests/sdk/store/kv_test.cc: key/value state and nested store_begin). */
#include <embedkit/plugin.h>

#include <stdint.h>

static ek_status probe_create(const ek_host* host, const char* config, size_t length,
                              void** out_instance) {
  (void)config;
  (void)length;
  *out_instance = (void*)(uintptr_t)host; /* handed back read-only to the test */
  return EK_OK;
}

static void probe_destroy(void* instance) { (void)instance; }

static const void* probe_get_extension(void* instance, const char* id) {
  (void)instance;
  (void)id;
  return NULL;
}

static const char* const probe_extensions[] = {NULL};

static const ek_plugin_descriptor probe_descriptor = {
    sizeof(ek_plugin_descriptor), EK_ABI_VERSION, "test.host_probe", "Host probe", "0.0.1",
    "embedkit tests", "Lends its ek_host to the test that loads it", probe_extensions,
    probe_create, probe_destroy, probe_get_extension,
};

EK_PLUGIN_EXPORT const ek_plugin_descriptor* ek_plugin_entry(void) { return &probe_descriptor; }
