/* samples/plugin_template run through the public C API, as an application runs a
 * plugin: load the module, create instances, encode, reopen the store. Each path the
 * template shows is exercised: the kernel (unit vectors), errors (set_error, and the
 * host's reason passed on), JSON input checked by ek_host::json_check, and the state
 * pinned with kv_put/kv_get, seen again after the store is reopened.
 * Usage: template_plugin_test <module> <scratch folder> */
#include <embedkit/embedkit.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, \
              #cond, ek_last_error());                                                 \
      ++failures;                                                                      \
    }                                                                                  \
  } while (0)

static int last_error_has(const char* part) { return strstr(ek_last_error(), part) != NULL; }

static ek_context* context;
static const char* plugin_id;

/* Encodes `count` texts with an instance made from `config`; the call's status. */
static ek_status encode(const char* config, const char* const* texts, size_t count, float* out,
                        size_t capacity) {
  ek_instance* instance = NULL;
  ek_string_view views[4];
  ek_status s = ek_instance_create(context, plugin_id, config, &instance);
  size_t i;
  if (s != EK_OK) return s;
  for (i = 0; i < count; ++i) {
    views[i].data = texts[i];
    views[i].length = strlen(texts[i]);
  }
  s = ek_encode(instance, views, count, out, capacity, NULL);
  ek_instance_free(instance);
  return s;
}

static ek_status create(const char* config) {
  ek_instance* instance = NULL;
  ek_status s = ek_instance_create(context, plugin_id, config, &instance);
  ek_instance_free(instance);
  return s;
}

static void test_kernel_gives_unit_vectors(void) {
  const char* texts[2] = {"a database of embedding vectors", "a database of embedding vectors"};
  float out[2 * 64];
  double norm = 0;
  size_t k;
  CHECK(encode("{\"dim\": 64}", texts, 2, out, 2 * 64) == EK_OK);
  for (k = 0; k < 64; ++k) norm += (double)out[k] * out[k];
  CHECK(fabs(norm - 1.0) < 1e-5);
  CHECK(memcmp(out, out + 64, 64 * sizeof(float)) == 0);
}

static void test_errors_reach_the_application(void) {
  CHECK(create("{\"dim\": 0}") == EK_ERR_INVALID_ARGUMENT);
  CHECK(last_error_has("config \"dim\" is 0; use 1..4096"));
  CHECK(create("{\"input\": \"xml\"}") == EK_ERR_INVALID_ARGUMENT);
  CHECK(last_error_has("config \"input\" must be \"text\" or \"json\""));
}

static void test_json_input_is_checked_by_the_host(void) {
  const char* texts[2] = {"{\"a\": [1, 2]}", "{\"a\" 1}"};
  float out[2 * 16];
  CHECK(encode("{\"dim\": 16, \"input\": \"json\"}", texts, 1, out, 16) == EK_OK);
  CHECK(encode("{\"dim\": 16, \"input\": \"json\"}", texts, 2, out, 2 * 16) == EK_ERR_PARSE);
  CHECK(last_error_has("item 1: byte 5: expected ':' after key"));
}

/* Removes a store file and the journal files SQLite may leave beside it. */
static void remove_store(const char* path) {
  char side[1100];
  remove(path);
  snprintf(side, sizeof side, "%s-wal", path);
  remove(side);
  snprintf(side, sizeof side, "%s-shm", path);
  remove(side);
}

static void test_state_survives_the_store(const char* scratch) {
  char path[1024], config[1200], value[128];
  ek_store* store = NULL;
  size_t length = 0;
  ek_value_kind kind = EK_VALUE_BLOB;
  snprintf(path, sizeof path, "%s/template_state.ekdb", scratch);
  remove_store(path);
  snprintf(config, sizeof config, "{\"dim\": 32, \"seed\": 7, \"store\": \"%s\"}", path);
  CHECK(create(config) == EK_OK);
  /* The application reopens the store and sees what the plugin pinned. */
  CHECK(ek_store_open(context, path, NULL, &store) == EK_OK);
  if (store) {
    CHECK(ek_store_kv_get(store, "embedkit.sample.trigram_hash", "config", value, sizeof value,
                          &length, &kind) == EK_OK);
    CHECK(kind == EK_VALUE_JSON);
    CHECK(length == strlen("{\"dim\":32,\"seed\":7}") && strcmp(value, "{\"dim\":32,\"seed\":7}") == 0);
    ek_store_free(store);
  }
  /* A later instance with the same values opens; other values are refused. */
  CHECK(create(config) == EK_OK);
  snprintf(config, sizeof config, "{\"dim\": 64, \"seed\": 7, \"store\": \"%s\"}", path);
  CHECK(create(config) == EK_ERR_INVALID_ARGUMENT);
  CHECK(last_error_has("the store was written with \"dim\" 32 and \"seed\" 7"));
  remove_store(path);
}

static void test_host_failures_carry_the_hosts_reason(const char* scratch) {
  char config[1200];
  snprintf(config, sizeof config, "{\"store\": \"%s/no/such/folder/x.ekdb\"}", scratch);
  CHECK(create(config) != EK_OK);
  CHECK(last_error_has("opening store '"));
  CHECK(last_error_has("/no/such/folder/x.ekdb' failed: ek_store_open: "));
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <plugin module> <scratch folder>\n", argv[0]);
    return 2;
  }
  if (ek_context_create(NULL, &context) != EK_OK || ek_plugin_load(context, argv[1], &plugin_id) != EK_OK) {
    fprintf(stderr, "cannot load %s: %s\n", argv[1], ek_last_error());
    return 1;
  }
  test_kernel_gives_unit_vectors();
  test_errors_reach_the_application();
  test_json_input_is_checked_by_the_host();
  test_state_survives_the_store(argv[2]);
  test_host_failures_carry_the_hosts_reason(argv[2]);
  ek_context_free(context);
  if (failures) return 1;
  printf("ok\n");
  return 0;
}
