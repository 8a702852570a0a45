/* Deliberately defective (or deliberately duplicated) plugins for the host's loader
 * tests. One source, several modules: the build defines which defect each one has.
 *   FIXTURE_ABI       ABI version written into the descriptor
 *   FIXTURE_SIZE      descriptor struct_size
 *   FIXTURE_ID        plugin id
 *   FIXTURE_NO_ENTRY  export no ek_plugin_entry at all
 *   FIXTURE_NO_CREATE leave create NULL
 *   FIXTURE_LEND_HOST the instance is the ek_host the library lent, so a test reads it
 *                     back with ek_instance_plugin_data and calls the host table as a
 *                     plugin would (tests/sdk/store/kv_test.cc) */
#include <embedkit/plugin.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_ABI
#define FIXTURE_ABI EK_ABI_VERSION
#endif
#ifndef FIXTURE_SIZE
#define FIXTURE_SIZE sizeof(ek_plugin_descriptor)
#endif
#ifndef FIXTURE_ID
#define FIXTURE_ID "test.fixture"
#endif

#ifndef FIXTURE_NO_CREATE
#ifndef FIXTURE_LEND_HOST
static int fixture_token;
#endif

static ek_status fixture_create(const ek_host* host, const char* config, size_t length,
                                void** out_instance) {
  int64_t fail = 0;
  ek_status s = host->config_int(host, config, length, "fail_with", 0, &fail);
  if (s != EK_OK) return s;
  if (fail != 0) {
    host->set_error(host, "asked to fail by config");
    return (ek_status)fail;
  }
#ifdef FIXTURE_LEND_HOST
  *out_instance = (void*)(uintptr_t)host; /* handed back read-only to the test */
#else
  *out_instance = &fixture_token;
#endif
  return EK_OK;
}
#endif

static void fixture_destroy(void* instance) { (void)instance; }

static const void* fixture_get_extension(void* instance, const char* id) {
  (void)instance;
  (void)id;
  return NULL;
}

static const char* const fixture_extensions[] = {NULL};

static const ek_plugin_descriptor fixture_descriptor = {
    FIXTURE_SIZE,
    FIXTURE_ABI,
    FIXTURE_ID,
    "Loader test fixture",
    "0.0.1",
    "embedkit tests",
    "A plugin with a defect chosen at build time",
    fixture_extensions,
#ifdef FIXTURE_NO_CREATE
    NULL,
#else
    fixture_create,
#endif
    fixture_destroy,
    fixture_get_extension,
};

#ifndef FIXTURE_NO_ENTRY
EK_PLUGIN_EXPORT const ek_plugin_descriptor* ek_plugin_entry(void) { return &fixture_descriptor; }
#else
EK_PLUGIN_EXPORT const ek_plugin_descriptor* not_the_entry(void) { return &fixture_descriptor; }
#endif
