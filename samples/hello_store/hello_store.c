/* hello_store: the smallest useful embedkit host, in C99. Copy it.
 *
 * Opens (or creates) a store, turns a few JSON documents into vectors with the
 * bundled "embedkit.vsa_json" encoder, upserts them with their metadata, searches
 * for the documents most like a query document, and prints the hits.
 *
 *   hello_store [STORE_FILE]        default: hello.db (":memory:" keeps nothing)
 *
 * Build against an installed embedkit:
 *   cmake -S samples/hello_store -B hello -DCMAKE_PREFIX_PATH=/usr/local && cmake --build hello
 *   cc hello_store.c $(pkg-config --cflags --libs embedkit) -o hello_store
 */
#include <embedkit/embedkit.h>

#include <stdio.h>
#include <string.h>

/* Every embedkit call returns a status; on failure ek_last_error() says why. */
#define TRY(call)                                                              \
  do {                                                                         \
    ek_status s_ = (call);                                                     \
    if (s_ != EK_OK) {                                                         \
      fprintf(stderr, "hello_store: %s failed: %s (%s)\n", #call,              \
              ek_last_error(), ek_status_name(s_));                            \
      goto done;                                                               \
    }                                                                          \
  } while (0)

enum { DIM = 256, N_DOCS = 4 };

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "hello.db";
  static const char* docs[N_DOCS] = {
      "{\"name\": \"Ada Lovelace\", \"field\": \"mathematics\", \"born\": 1815}",
      "{\"name\": \"Grace Hopper\", \"field\": \"computing\", \"born\": 1906}",
      "{\"name\": \"Alan Turing\", \"field\": \"computing\", \"born\": 1912}",
      "{\"name\": \"Emmy Noether\", \"field\": \"mathematics\", \"born\": 1882}"};
  static const char* ids[N_DOCS] = {"ada", "grace", "alan", "emmy"};
  const char* query = "{\"name\": \"Grace Hopper\", \"field\": \"computing\"}";
  static float vectors[N_DOCS * DIM];
  static float qvec[DIM];
  ek_string_view items[N_DOCS], qitem;
  ek_context* ctx = NULL;
  ek_instance* enc = NULL;
  ek_store* store = NULL;
  ek_collection* coll = NULL;
  ek_results* results = NULL;
  ek_upsert_batch batch;
  ek_search_options so;
  ek_context_info info;
  uint64_t count = 0;
  size_t i;
  int rc = 1;

  TRY(ek_context_create(NULL, &ctx));
  info.struct_size = sizeof info;
  TRY(ek_context_info_get(ctx, &info));
  printf("embedkit %s: backend %s, SIMD %s, %u threads\n", ek_version(), info.backend,
         info.simd_target, (unsigned)info.num_threads);

  /* 1. documents -> vectors */
  TRY(ek_instance_create(ctx, "embedkit.vsa_json", "{\"dim\": 256}", &enc));
  for (i = 0; i < N_DOCS; ++i) {
    items[i].data = docs[i];
    items[i].length = strlen(docs[i]);
  }
  TRY(ek_encode(enc, items, N_DOCS, vectors, N_DOCS * DIM, NULL));

  /* 2. vectors + metadata -> store (one transaction) */
  TRY(ek_store_open(ctx, path, NULL, &store));
  TRY(ek_collection_create(store, "people", DIM, EK_METRIC_COSINE, &coll));
  memset(&batch, 0, sizeof batch);
  batch.struct_size = sizeof batch;
  batch.count = N_DOCS;
  batch.ids = ids;
  batch.vectors = vectors;
  batch.dim = DIM;
  batch.metadata_json = docs;
  TRY(ek_collection_upsert(coll, &batch));
  TRY(ek_collection_count(coll, &count));
  printf("stored %llu documents in %s (collection 'people')\n", (unsigned long long)count, path);

  /* 3. search: the three documents most like the query */
  qitem.data = query;
  qitem.length = strlen(query);
  TRY(ek_encode(enc, &qitem, 1, qvec, DIM, NULL));
  ek_search_options_init(&so);
  so.k = 3;
  so.include_metadata = 1;
  TRY(ek_collection_search(coll, qvec, 1, DIM, &so, &results));
  printf("most like %s:\n", query);
  for (i = 0; i < ek_results_hit_count(results, 0); ++i) {
    ek_hit hit;
    hit.struct_size = sizeof hit;
    TRY(ek_results_hit(results, 0, i, &hit));
    printf("  %zu. %-6s %.3f  %s\n", i + 1, hit.id, hit.score,
           hit.metadata_json ? hit.metadata_json : "");
  }
  rc = 0;

done:
  /* Free in any order; freeing NULL is a no-op. */
  ek_results_free(results);
  ek_collection_free(coll);
  ek_store_free(store);
  ek_instance_free(enc);
  ek_context_free(ctx);
  return rc;
}
