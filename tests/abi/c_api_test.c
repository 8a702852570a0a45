/* Drives the whole host API end to end from plain C99, compiled against the public
 * headers alone with -std=c99 -pedantic -Wall -Wextra -Werror: context, plugins
 * (loading, discovery, every refusal), instances and the encoder extension, the
 * store and collections, search and results, and the failure path of each call.
 *
 * usage: c_api_test TEMPLATE_PLUGIN FIXTURE_DIR SCRATCH_DIR */
#include <embedkit/embedkit.h>
#include <embedkit/plugin.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                         \
  do {                                                                      \
    ++checks;                                                               \
    if (!(cond)) {                                                          \
      ++failures;                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n  last error: %s\n",        \
              __FILE__, __LINE__, #cond, ek_last_error());                  \
    }                                                                       \
  } while (0)

#define OK(call) CHECK((call) == EK_OK)

/* The call fails with `status` and ek_last_error() contains `needle`. */
#define FAILS(call, status, needle)                                          \
  do {                                                                       \
    ek_status s_ = (call);                                                   \
    ++checks;                                                                \
    if (s_ != (status) || !strstr(ek_last_error(), (needle)) ||              \
        ek_last_status() != (status)) {                                      \
      ++failures;                                                            \
      fprintf(stderr, "%s:%d: expected %s containing \"%s\" from %s\n"       \
                      "  got %s: %s\n", __FILE__, __LINE__,                  \
              ek_status_name(status), (needle), #call, ek_status_name(s_),   \
              ek_last_error());                                              \
    }                                                                        \
  } while (0)

static const char* template_path;
static const char* fixture_dir;
static const char* scratch_dir;

static void fixture(char* out, size_t n, const char* name) {
  snprintf(out, n, "%s/%s", fixture_dir, name);
}

static int log_lines = 0;
static void count_log(void* user, ek_log_level level, const char* message) {
  (void)user;
  (void)level;
  (void)message;
  ++log_lines;
}

static void test_version_and_errors(void) {
  CHECK(ek_version() != NULL && strlen(ek_version()) > 0);
  CHECK(ek_abi_version() == EK_ABI_VERSION);
  CHECK(strcmp(ek_status_name(EK_ERR_NOT_FOUND), "EK_ERR_NOT_FOUND") == 0);
  CHECK(strcmp(ek_status_name(9999), "EK_ERR_UNKNOWN") == 0);
  CHECK(ek_last_error() != NULL);
  ek_string_free(NULL);
}

static void test_context(void) {
  int have_gpu = 0;
  ek_context* ctx = NULL;
  ek_context_options o;
  ek_context_info info;

  FAILS(ek_context_create(NULL, NULL), EK_ERR_INVALID_ARGUMENT, "out_context");

  ek_context_options_init(&o);
  o.backend = "tpu";
  FAILS(ek_context_create(&o, &ctx), EK_ERR_INVALID_ARGUMENT, "backend 'tpu'");
  CHECK(ctx == NULL);

  /* "cuda" works where a GPU answers (a CUDA build on a GPU machine); elsewhere it
   * fails with EK_ERR_UNSUPPORTED and the reason, and "auto" below picks the CPU. */
  ek_context_options_init(&o);
  o.backend = "cuda";
  if (ek_context_create(&o, &ctx) == EK_OK) {
    have_gpu = 1;
    ek_context_free(ctx);
    ctx = NULL;
  } else {
    FAILS(ek_context_create(&o, &ctx), EK_ERR_UNSUPPORTED, "cuda");
  }

  ek_context_options_init(&o);
  o.struct_size = 0;
  FAILS(ek_context_create(&o, &ctx), EK_ERR_INVALID_ARGUMENT, "struct_size");

  ek_context_options_init(&o);
  o.num_threads = 100000;
  FAILS(ek_context_create(&o, &ctx), EK_ERR_INVALID_ARGUMENT, "num_threads");

  /* auto picks the GPU if one answers, else the CPU, and says so in the log */
  ek_context_options_init(&o);
  o.log_level = EK_LOG_INFO;
  o.log_callback = count_log;
  o.num_threads = 2;
  o.plugin_path = "";
  OK(ek_context_create(&o, &ctx));
  CHECK(log_lines > 0);

  memset(&info, 0, sizeof info);
  FAILS(ek_context_info_get(ctx, &info), EK_ERR_INVALID_ARGUMENT, "struct_size");
  info.struct_size = sizeof info;
  OK(ek_context_info_get(ctx, &info));
  CHECK(strcmp(info.backend, have_gpu ? "cuda" : "cpu") == 0);
  CHECK(info.simd_target != NULL && strlen(info.simd_target) > 0);
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  CHECK(info.num_threads == 1); /* WebAssembly without pthreads: the calling thread only */
#else
  CHECK(info.num_threads == 2);
#endif
  CHECK(info.abi_version == EK_ABI_VERSION);
  FAILS(ek_context_info_get(NULL, &info), EK_ERR_INVALID_ARGUMENT, "context");

  OK(ek_context_cancel(ctx));
  OK(ek_context_reset_cancel(ctx));
  OK(ek_context_set_progress(ctx, NULL, NULL));
  ek_context_free(ctx);
  ek_context_free(NULL);
}

static ek_context* new_context(void) {
  ek_context* ctx = NULL;
  ek_context_options o;
  ek_context_options_init(&o);
  o.plugin_path = ""; /* ignore EMBEDKIT_PLUGIN_PATH of the environment */
  o.num_threads = 2;
  if (ek_context_create(&o, &ctx) != EK_OK) {
    fprintf(stderr, "cannot create context: %s\n", ek_last_error());
    exit(1);
  }
  return ctx;
}

static void test_plugin_loading(void) {
  ek_context* ctx = new_context();
  char path[1024];
  const char* id = NULL;
  size_t count = 0, before = 0, i;
  ek_plugin_info info;

  OK(ek_plugin_count(ctx, &before));

  FAILS(ek_plugin_load(ctx, "/nonexistent/plugin.so", NULL), EK_ERR_IO, "no such file");
  FAILS(ek_plugin_load(ctx, NULL, NULL), EK_ERR_INVALID_ARGUMENT, "path");
  fixture(path, sizeof path, "not_a_plugin.so");
  FAILS(ek_plugin_load(ctx, path, NULL), EK_ERR_NOT_A_PLUGIN, "not a loadable module");
  fixture(path, sizeof path, "fixture_no_entry.so");
  FAILS(ek_plugin_load(ctx, path, NULL), EK_ERR_NOT_A_PLUGIN, "ek_plugin_entry");
  fixture(path, sizeof path, "fixture_abi2.so");
  FAILS(ek_plugin_load(ctx, path, NULL), EK_ERR_ABI_MISMATCH, "built for ABI 2.0");
  fixture(path, sizeof path, "fixture_small_struct.so");
  FAILS(ek_plugin_load(ctx, path, NULL), EK_ERR_ABI_MISMATCH, "struct_size 8");
  fixture(path, sizeof path, "fixture_no_create.so");
  FAILS(ek_plugin_load(ctx, path, NULL), EK_ERR_NOT_A_PLUGIN, "lacks create");

  OK(ek_plugin_count(ctx, &count));
  CHECK(count == before); /* nothing half-registered */

  fixture(path, sizeof path, "fixture_ok.so");
  OK(ek_plugin_load(ctx, path, &id));
  CHECK(id && strcmp(id, "test.fixture") == 0);
  fixture(path, sizeof path, "fixture_duplicate.so");
  FAILS(ek_plugin_load(ctx, path, NULL), EK_ERR_ALREADY_EXISTS, "already registered");

  OK(ek_plugin_load(ctx, template_path, &id));
  CHECK(strcmp(id, "embedkit.sample.trigram_hash") == 0);
  OK(ek_plugin_count(ctx, &count));
  CHECK(count == before + 2);

  info.struct_size = sizeof info;
  OK(ek_plugin_info_find(ctx, "embedkit.sample.trigram_hash", &info));
  CHECK(strcmp(info.version, "1.1.0") == 0);
  CHECK(info.path && strstr(info.path, "trigram_hash"));
  CHECK(info.extensions[0] && strcmp(info.extensions[0], EK_EXT_ENCODER) == 0);
  CHECK(info.extensions[1] == NULL);
  CHECK(info.abi_version == EK_ABI_VERSION);
  FAILS(ek_plugin_info_find(ctx, "no.such.plugin", &info), EK_ERR_NOT_FOUND, "no.such.plugin");
  FAILS(ek_plugin_info_at(ctx, 999, &info), EK_ERR_NOT_FOUND, "out of range");
  for (i = 0; i < count; ++i) OK(ek_plugin_info_at(ctx, i, &info));

  /* instance creation failures */
  {
    ek_instance* inst = NULL;
    FAILS(ek_instance_create(ctx, "no.such.plugin", NULL, &inst), EK_ERR_NOT_FOUND, "no.such.plugin");
    FAILS(ek_instance_create(ctx, "test.fixture", "{\"a\": ", &inst), EK_ERR_PARSE, "config_json");
    FAILS(ek_instance_create(ctx, "test.fixture", "[1,2]", &inst), EK_ERR_PARSE, "config_json");
    FAILS(ek_instance_create(ctx, "test.fixture", "{\"fail_with\": 16}", &inst), EK_ERR_LIMIT,
          "asked to fail by config");
    FAILS(ek_instance_create(ctx, "test.fixture", "{\"fail_with\": \"x\"}", &inst),
          EK_ERR_INVALID_ARGUMENT, "fail_with");
    CHECK(inst == NULL);
    OK(ek_instance_create(ctx, "test.fixture", NULL, &inst));
    CHECK(ek_instance_has_extension(inst, EK_EXT_ENCODER) == 0);
    {
      size_t dim = 0;
      FAILS(ek_encoder_dim(inst, &dim), EK_ERR_UNSUPPORTED, "does not provide extension");
    }
    ek_instance_free(inst);
  }
  ek_context_free(ctx);
}

static void test_plugin_discovery(void) {
  ek_context* ctx = NULL;
  ek_context_options o;
  size_t loaded = 0, count = 0;
  ek_plugin_info info;

  /* Scanning the fixture folder registers the good modules and skips the rest. */
  ek_context_options_init(&o);
  o.plugin_path = fixture_dir;
  o.log_level = EK_LOG_ERROR; /* the skipped modules are logged as warnings */
  OK(ek_context_create(&o, &ctx));
  info.struct_size = sizeof info;
  OK(ek_plugin_info_find(ctx, "test.fixture", &info));
  OK(ek_plugin_info_find(ctx, "test.throwing", &info));
  OK(ek_plugin_count(ctx, &count));
  OK(ek_plugin_load_dir(ctx, "/nonexistent-folder", &loaded));
  CHECK(loaded == 0);
  ek_context_free(ctx);
}

static void test_encoder(void) {
  ek_context* ctx = new_context();
  ek_instance* inst = NULL;
  ek_string_view items[3];
  float out[3 * 32];
  size_t dim = 0, needed = 0, i;
  float same = 0, different = 0;

  OK(ek_plugin_load(ctx, template_path, NULL));
  FAILS(ek_instance_create(ctx, "embedkit.sample.trigram_hash", "{\"dim\": 0}", &inst),
        EK_ERR_INVALID_ARGUMENT, "\"dim\" is 0");
  OK(ek_instance_create(ctx, "embedkit.sample.trigram_hash", "{\"dim\": 32, \"seed\": 7}", &inst));
  CHECK(ek_instance_has_extension(inst, EK_EXT_ENCODER) == 1);
  OK(ek_encoder_dim(inst, &dim));
  CHECK(dim == 32);

  items[0].data = "the quick brown fox";
  items[0].length = strlen(items[0].data);
  items[1].data = "the quick brown foxes";
  items[1].length = strlen(items[1].data);
  items[2].data = "zzzz 1234 ####";
  items[2].length = strlen(items[2].data);

  FAILS(ek_encode(inst, items, 3, out, 10, &needed), EK_ERR_BUFFER_TOO_SMALL, "need 96");
  CHECK(needed == 96);
  FAILS(ek_encode(inst, NULL, 3, out, 96, NULL), EK_ERR_INVALID_ARGUMENT, "items");
  OK(ek_encode(inst, items, 3, out, 96, &needed));
  for (i = 0; i < 32; ++i) {
    same += out[i] * out[32 + i];
    different += out[i] * out[64 + i];
  }
  CHECK(same > 0.7f);          /* near-duplicate texts */
  CHECK(fabsf(different) < same);
  {
    float norm = 0;
    for (i = 0; i < 32; ++i) norm += out[i] * out[i];
    CHECK(fabsf(norm - 1.0f) < 1e-5f);
  }
  ek_instance_free(inst);

  /* a plugin that throws, returns a foreign status or fails with a message */
  {
    char path[1024];
    float buf[8];
    fixture(path, sizeof path, "fixture_throwing.so");
    OK(ek_plugin_load(ctx, path, NULL));
    OK(ek_instance_create(ctx, "test.throwing", "{\"mode\": \"throw\"}", &inst));
    FAILS(ek_encode(inst, items, 1, buf, 8, NULL), EK_ERR_PLUGIN, "encoder exploded");
    ek_instance_free(inst);
    OK(ek_instance_create(ctx, "test.throwing", "{\"mode\": \"bad_status\"}", &inst));
    FAILS(ek_encode(inst, items, 1, buf, 8, NULL), EK_ERR_PLUGIN, "test.throwing");
    ek_instance_free(inst);
    OK(ek_instance_create(ctx, "test.throwing", "{\"mode\": \"message\"}", &inst));
    FAILS(ek_encode(inst, items, 1, buf, 8, NULL), EK_ERR_INVALID_ARGUMENT, "refusing on purpose");
    ek_instance_free(inst);
    /* "succeeds" with NaN / -inf in the last component: the host refuses the output */
    OK(ek_instance_create(ctx, "test.throwing", "{\"mode\": \"nan\"}", &inst));
    FAILS(ek_encode(inst, items, 2, buf, 8, NULL), EK_ERR_PLUGIN, "item 1, component 3 is nan");
    ek_instance_free(inst);
    OK(ek_instance_create(ctx, "test.throwing", "{\"mode\": \"inf\"}", &inst));
    FAILS(ek_encode(inst, items, 1, buf, 8, NULL), EK_ERR_PLUGIN, "item 0, component 3 is -inf");
    ek_instance_free(inst);
  }
  ek_context_free(ctx);
}

static void make_vectors(float* v, size_t rows, size_t dim, unsigned seed) {
  size_t i;
  for (i = 0; i < rows * dim; ++i) {
    seed = seed * 1103515245u + 12345u;
    v[i] = (float)((seed >> 8) & 0xFFFF) / 65536.0f - 0.5f;
  }
}

static void test_store(const char* store_path) {
  enum { DIM = 8, ROWS = 50 };
  ek_context* ctx = new_context();
  ek_store* store = NULL;
  ek_collection* coll = NULL;
  ek_collection* other = NULL;
  ek_upsert_batch batch;
  ek_search_options so;
  ek_results* results = NULL;
  ek_hit hit;
  ek_collection_info cinfo;
  ek_collection_info* infos = NULL;
  static float vectors[ROWS * DIM];
  char ids_buf[ROWS][16];
  const char* ids[ROWS];
  const char* metadata[ROWS];
  float got[DIM];
  size_t dim = 0, n = 0, i;
  uint64_t count = 0;
  char* meta = NULL;

  FAILS(ek_store_open(ctx, NULL, NULL, &store), EK_ERR_INVALID_ARGUMENT, "path");
  FAILS(ek_store_open(ctx, "", NULL, &store), EK_ERR_INVALID_ARGUMENT, "path");
  {
    ek_store_options oo;
    ek_store_options_init(&oo);
    oo.must_exist = 1;
    FAILS(ek_store_open(ctx, "/nonexistent-dir/x.db", &oo, &store), EK_ERR_IO, "x.db");
  }
  OK(ek_store_open(ctx, store_path, NULL, &store));

  FAILS(ek_collection_create(store, "docs", 0, EK_METRIC_COSINE, &coll), EK_ERR_INVALID_ARGUMENT, "dim");
  FAILS(ek_collection_create(store, "docs", DIM, 7, &coll), EK_ERR_INVALID_ARGUMENT, "metric");
  FAILS(ek_collection_create(store, "", DIM, EK_METRIC_COSINE, &coll), EK_ERR_INVALID_ARGUMENT, "name");
  OK(ek_collection_create(store, "docs", DIM, EK_METRIC_COSINE, &coll));
  FAILS(ek_collection_create(store, "docs", DIM + 1, EK_METRIC_COSINE, &other),
        EK_ERR_ALREADY_EXISTS, "docs");
  OK(ek_collection_create(store, "docs", DIM, EK_METRIC_COSINE, &other)); /* same shape: opens */
  ek_collection_free(other);
  FAILS(ek_collection_open(store, "nope", &other), EK_ERR_NOT_FOUND, "nope");

  make_vectors(vectors, ROWS, DIM, 1);
  for (i = 0; i < ROWS; ++i) {
    snprintf(ids_buf[i], sizeof ids_buf[i], "doc-%u", (unsigned)i);
    ids[i] = ids_buf[i];
    metadata[i] = (i % 2) ? "{\"parity\": \"odd\", \"n\": 1}" : "{\"parity\": \"even\"}";
  }
  memset(&batch, 0, sizeof batch);
  batch.struct_size = sizeof batch;
  batch.count = ROWS;
  batch.ids = ids;
  batch.vectors = vectors;
  batch.dim = DIM;
  batch.metadata_json = metadata;
  OK(ek_collection_upsert(coll, &batch));
  OK(ek_collection_count(coll, &count));
  CHECK(count == ROWS);

  /* bad batches: nothing from them is stored */
  batch.dim = DIM - 1;
  FAILS(ek_collection_upsert(coll, &batch), EK_ERR_DIMENSION_MISMATCH, "dim");
  batch.dim = DIM;
  {
    float bad[DIM] = {0};
    const char* bad_id[1] = {"nan-row"};
    const char* bad_meta[1] = {"{\"x\": "};
    ek_upsert_batch b = batch;
    b.count = 1;
    b.ids = bad_id;
    b.vectors = bad;
    b.metadata_json = NULL;
    bad[3] = NAN;
    FAILS(ek_collection_upsert(coll, &b), EK_ERR_INVALID_ARGUMENT, "nan-row");
    bad[3] = INFINITY;
    FAILS(ek_collection_upsert(coll, &b), EK_ERR_INVALID_ARGUMENT, "nan-row");
    bad[3] = 0;
    b.metadata_json = bad_meta;
    FAILS(ek_collection_upsert(coll, &b), EK_ERR_PARSE, "nan-row");
    b.metadata_json = NULL;
    b.ids = NULL;
    FAILS(ek_collection_upsert(coll, &b), EK_ERR_INVALID_ARGUMENT, "ids");
  }
  FAILS(ek_collection_upsert(coll, NULL), EK_ERR_INVALID_ARGUMENT, "batch");
  OK(ek_collection_count(coll, &count));
  CHECK(count == ROWS);

  /* get */
  OK(ek_collection_get(coll, "doc-3", NULL, 0, &dim, NULL));
  CHECK(dim == DIM);
  FAILS(ek_collection_get(coll, "doc-3", got, 2, &dim, NULL), EK_ERR_BUFFER_TOO_SMALL, "8");
  OK(ek_collection_get(coll, "doc-3", got, DIM, &dim, &meta));
  CHECK(memcmp(got, vectors + 3 * DIM, sizeof got) == 0);
  CHECK(meta && strstr(meta, "odd"));
  ek_string_free(meta);
  FAILS(ek_collection_get(coll, "missing", got, DIM, &dim, NULL), EK_ERR_NOT_FOUND, "missing");

  /* search: a stored vector finds itself first */
  ek_search_options_init(&so);
  so.k = 5;
  so.include_metadata = 1;
  OK(ek_collection_search(coll, vectors + 7 * DIM, 1, DIM, &so, &results));
  CHECK(ek_results_query_count(results) == 1);
  CHECK(ek_results_hit_count(results, 0) == 5);
  hit.struct_size = sizeof hit;
  OK(ek_results_hit(results, 0, 0, &hit));
  CHECK(strcmp(hit.id, "doc-7") == 0);
  CHECK(fabsf(hit.score - 1.0f) < 1e-5f);
  CHECK(hit.metadata_json && strstr(hit.metadata_json, "odd"));
  {
    ek_hit h2;
    h2.struct_size = sizeof h2;
    OK(ek_results_hit(results, 0, 1, &h2));
    CHECK(h2.score <= hit.score);
  }
  FAILS(ek_results_hit(results, 0, 5, &hit), EK_ERR_INVALID_ARGUMENT, "rank 5");
  FAILS(ek_results_hit(results, 1, 0, &hit), EK_ERR_INVALID_ARGUMENT, "query 1");
  ek_results_free(results);

  /* filter and batched queries */
  so.filter_json = "{\"parity\": \"even\"}";
  so.k = 100;
  OK(ek_collection_search(coll, vectors, 2, DIM, &so, &results));
  CHECK(ek_results_query_count(results) == 2);
  CHECK(ek_results_hit_count(results, 1) == ROWS / 2);
  for (i = 0; i < ek_results_hit_count(results, 1); ++i) {
    OK(ek_results_hit(results, 1, i, &hit));
    CHECK(strstr(hit.metadata_json, "even") != NULL);
  }
  ek_results_free(results);
  so.filter_json = "{\"parity\": ";
  FAILS(ek_collection_search(coll, vectors, 1, DIM, &so, &results), EK_ERR_PARSE, "filter");
  so.filter_json = NULL;
  /* no cap on k: a query gets every row it may see, best first */
  so.k = 2000;
  OK(ek_collection_search(coll, vectors, 1, DIM, &so, &results));
  CHECK(ek_results_hit_count(results, 0) == ROWS);
  {
    ek_hit before_last;
    before_last.struct_size = sizeof before_last;
    OK(ek_results_hit(results, 0, ROWS - 2, &before_last));
    OK(ek_results_hit(results, 0, ROWS - 1, &hit));
    CHECK(before_last.score >= hit.score);
  }
  ek_results_free(results);
  so.k = 0xFFFFFFFFu;
  OK(ek_collection_search(coll, vectors, 1, DIM, &so, &results));
  CHECK(ek_results_hit_count(results, 0) == ROWS);
  ek_results_free(results);
  so.k = 3;
  FAILS(ek_collection_search(coll, vectors, 1, DIM + 1, &so, &results), EK_ERR_DIMENSION_MISMATCH, "dim");
  FAILS(ek_collection_search(coll, NULL, 1, DIM, &so, &results), EK_ERR_INVALID_ARGUMENT, "queries");

  /* delete, list, info */
  {
    const char* del[2] = {"doc-0", "never-there"};
    OK(ek_collection_delete(coll, del, 2, &n));
    CHECK(n == 1);
    OK(ek_collection_count(coll, &count));
    CHECK(count == ROWS - 1);
    FAILS(ek_collection_get(coll, "doc-0", got, DIM, &dim, NULL), EK_ERR_NOT_FOUND, "doc-0");
  }
  /* one transaction over several calls: rolled back, then committed */
  {
    const char* del[1] = {"doc-1"};
    FAILS(ek_store_begin(NULL), EK_ERR_INVALID_ARGUMENT, "store");
    FAILS(ek_store_commit(store), EK_ERR_INVALID_ARGUMENT, "no transaction");
    FAILS(ek_store_rollback(store), EK_ERR_INVALID_ARGUMENT, "no transaction");
    OK(ek_store_begin(store));
    FAILS(ek_store_begin(store), EK_ERR_INVALID_ARGUMENT, "already open");
    OK(ek_collection_delete(coll, del, 1, &n));
    CHECK(n == 1);
    OK(ek_collection_count(coll, &count));
    CHECK(count == ROWS - 2);
    OK(ek_store_rollback(store));
    OK(ek_collection_count(coll, &count));
    CHECK(count == ROWS - 1);
    OK(ek_collection_get(coll, "doc-1", got, DIM, &dim, NULL));
    /* committed: a new row and a replaced one, then the new row deleted again so the
     * checks below see the collection as before */
    {
      const char* txn_ids[2] = {"txn-row", "doc-1"};
      const char* gone[1] = {"txn-row"};
      ek_upsert_batch tb;
      memset(&tb, 0, sizeof tb);
      tb.struct_size = sizeof tb;
      tb.count = 2;
      tb.ids = txn_ids;
      tb.vectors = vectors; /* rows 0 and 1 */
      tb.dim = DIM;
      OK(ek_store_begin(store));
      OK(ek_collection_upsert(coll, &tb));
      OK(ek_store_commit(store));
      OK(ek_collection_count(coll, &count));
      CHECK(count == ROWS);
      OK(ek_collection_delete(coll, gone, 1, &n));
      CHECK(n == 1);
    }
  }
  OK(ek_collection_list(coll, 0, 3, 0, &results));
  CHECK(ek_results_hit_count(results, 0) == 3);
  OK(ek_results_hit(results, 0, 0, &hit));
  CHECK(strcmp(hit.id, "doc-1") == 0);
  ek_results_free(results);
  cinfo.struct_size = sizeof cinfo;
  OK(ek_collection_info_get(coll, &cinfo));
  CHECK(strcmp(cinfo.name, "docs") == 0 && cinfo.dim == DIM && cinfo.metric == EK_METRIC_COSINE);
  CHECK(cinfo.count == ROWS - 1);

  OK(ek_collection_create(store, "l2", 3, EK_METRIC_L2, &other));
  OK(ek_store_list_collections(store, &infos, &n));
  CHECK(n == 2);
  ek_collection_infos_free(infos, n);
  ek_collection_free(other);
  OK(ek_collection_drop(store, "l2"));
  FAILS(ek_collection_drop(store, "l2"), EK_ERR_NOT_FOUND, "l2");

  /* free the store before the collection: the handle keeps working */
  ek_store_free(store);
  OK(ek_collection_count(coll, &count));
  CHECK(count == ROWS - 1);
  ek_collection_free(coll);
  ek_context_free(ctx);

  if (strcmp(store_path, ":memory:") == 0) return;

  /* reopen: everything committed is there. Free the context first (embedkit.h: any
   * free order): the store and collection keep it, and its thread pool, alive. */
  ctx = new_context();
  OK(ek_store_open(ctx, store_path, NULL, &store));
  ek_context_free(ctx);
  OK(ek_collection_open(store, "docs", &coll));
  OK(ek_collection_count(coll, &count));
  CHECK(count == ROWS - 1);
  ek_search_options_init(&so);
  so.k = 3;
  OK(ek_collection_search(coll, vectors + DIM, 1, DIM, &so, &results));
  CHECK(ek_results_hit_count(results, 0) == 3);
  ek_results_free(results);
  results = NULL;
  ek_collection_free(coll);
  ek_store_free(store);
  ctx = new_context();

  /* read-only */
  {
    ek_store_options oo;
    ek_store_options_init(&oo);
    oo.read_only = 1;
    OK(ek_store_open(ctx, store_path, &oo, &store));
    OK(ek_collection_open(store, "docs", &coll));
    batch.count = 1;
    FAILS(ek_collection_upsert(coll, &batch), EK_ERR_READ_ONLY, "read-only");
    ek_collection_free(coll);
    ek_store_free(store);
  }
  ek_context_free(ctx);
}

static void test_corrupt_store(void) {
  char path[1024];
  FILE* f;
  ek_context* ctx = new_context();
  ek_store* store = NULL;
  snprintf(path, sizeof path, "%s/garbage.db", scratch_dir);
  f = fopen(path, "wb");
  CHECK(f != NULL);
  if (f) {
    size_t i;
    for (i = 0; i < 4096; ++i) fputc((int)(i * 7 % 251), f);
    fclose(f);
  }
  FAILS(ek_store_open(ctx, path, NULL, &store), EK_ERR_CORRUPT, "garbage.db");
  CHECK(store == NULL);
  ek_context_free(ctx);
}

int main(int argc, char** argv) {
  char store_path[1024];
  if (argc != 4) {
    fprintf(stderr, "usage: %s TEMPLATE_PLUGIN FIXTURE_DIR SCRATCH_DIR\n", argv[0]);
    return 2;
  }
  template_path = argv[1];
  fixture_dir = argv[2];
  scratch_dir = argv[3];
  snprintf(store_path, sizeof store_path, "%s/c_api_test.db", scratch_dir);
  remove(store_path);

  test_version_and_errors();
  test_context();
  test_plugin_loading();
  test_plugin_discovery();
  test_encoder();
  test_store(":memory:");
  test_store(store_path);
  test_corrupt_store();

  printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
