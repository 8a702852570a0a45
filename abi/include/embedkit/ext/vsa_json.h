/* embedkit — extension "ek.vsa_probe/1" of the plugin "embedkit.vsa_json".
 *
 * The vsa_json plugin encodes any JSON document into one fixed-length vector with
 * MBAT binding by orthogonal matrices (Gallant 2022; docs/vsa_json.md). Its
 * "ek.encoder/1" table turns documents into vectors; this table reads them back:
 * unbinding along a key path with the matrices' transposes, ranking candidate values
 * by cosine, decoding numbers, and searching a store for similar documents.
 *
 * How a host reaches it (there are no typed wrappers in embedkit.h yet):
 *
 *     const ek_vsa_probe_ext* probe;
 *     ek_instance_get_extension(inst, EK_EXT_VSA_PROBE, (const void**)&probe);
 *     void* self = ek_instance_plugin_data(inst);
 *     ek_status s = probe->probe(self, vec, "name.common", cands, n, 5, idx, score, &got);
 *     if (s != EK_OK) fprintf(stderr, "%s\n", probe->last_error(self));
 *
 * Because these functions are called directly (not through the library), a failure
 * is reported by the returned status and by `last_error(instance)`, not by
 * ek_last_error().
 *
 * Paths: keys separated by '.', array positions as "[i]" (0-based):
 * "name.common", "capital[0]", "idd.suffixes[1]". A '\' escapes the next byte, so a
 * key containing '.', '[' or '\' is written "a\.b". "" is the document itself.
 *
 * Conventions as in plugin.h: C99, struct_size first, every function returns an
 * ek_status. [one thread at a time per instance] for every function, like the
 * instance itself (batch calls use the host's thread pool internally).
 */
#ifndef EMBEDKIT_EXT_VSA_JSON_H
#define EMBEDKIT_EXT_VSA_JSON_H

#include "../plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EK_EXT_VSA_PROBE "ek.vsa_probe/1"

/* Flags of ek_vsa_probe_ext::bind. */
#define EK_VSA_BIND_FORWARD   0u /* out = M_path x  (what encoding does) */
#define EK_VSA_BIND_TRANSPOSE 1u /* out = M_path^T x (unbinding) */

typedef struct ek_vsa_probe_ext {
  uint32_t struct_size; /* sizeof(ek_vsa_probe_ext) as built by the plugin */

  /* Message of the last failed call of this table on `instance` ("" if none). The
   * pointer stays valid until the next call on the instance. Never NULL. */
  const char* (*last_error)(void* instance);

  /* Applies the binding matrix of `path` (the product of the role matrices along it,
   * outermost first) or its transpose to `x` (dim floats); writes dim floats to
   * `out` (may equal x). No normalisation. Useful to inspect the binding itself:
   * for the orthogonal bindings ||M x|| = ||x||. */
  ek_status (*bind)(void* instance, const char* path, const float* x, float* out,
                    uint32_t flags);

  /* Encodes one JSON value exactly as it would be encoded as a field value (before
   * binding): the vector a probe compares against. Unit norm. */
  ek_status (*encode_value)(void* instance, const ek_string_view* value_json, float* out);

  /* Unbinds `vector` (dim floats, e.g. a document's encoding) along `path` and ranks
   * `count` candidate values (JSON texts: "\"Europe\"", "42", "true", "{...}") by the
   * cosine between the unbound vector and each candidate's encode_value. Writes the
   * best min(k, count) (k <= 1024) candidate indices and cosines to out_index /
   * out_score, best first (ties by lower index), and their number to *out_written. */
  ek_status (*probe)(void* instance, const float* vector, const char* path,
                     const ek_string_view* candidates, size_t count, size_t k,
                     uint32_t* out_index, float* out_score, size_t* out_written);

  /* Estimates the number stored at `path`: unbinds, correlates with the number level
   * atoms and fits the position on the number scale. *out_confidence is the cosine
   * between the unbound vector and the decoded number's encoding (near 0: there is
   * probably no number at that path). */
  ek_status (*decode_number)(void* instance, const float* vector, const char* path,
                             double* out_value, float* out_confidence);

  /* Encodes `count` documents and upserts them into `collection` of `store` (created
   * with the encoder's dim and cosine metric if missing) under `ids` (NULL: the
   * 0-based position as decimal text). If `store_documents` is non-zero, a document
   * that is a JSON object (up to 64 KiB) is also stored as the row's metadata, so
   * search filters and results can use its fields. Every scalar value seen at a path
   * is recorded once in the companion collection "<collection>.vsa_values" (its
   * metadata: {"path": "...", "value": ...}) so probe_collection can rank every value
   * seen. The instance's encoding configuration is recorded with the collection
   * (collection_config); a collection recorded with another one is refused
   * (EK_ERR_INVALID_ARGUMENT, naming the settings that differ), since its vectors
   * could not be compared. One call is one transaction (documents, values and
   * configuration, all or nothing); inside the caller's ek_store_begin it is part of
   * that transaction. Each document is parsed once. */
  ek_status (*index)(void* instance, ek_store* store, const char* collection,
                     const ek_string_view* documents, const char* const* ids, size_t count,
                     uint32_t store_documents);

  /* Like probe, with the candidates being every value index() recorded at `path` in
   * `collection`. The hits' ids are internal; their metadata_json is
   * {"path": "...", "value": <the value>} and their score the cosine. Free the
   * results with ek_results_free. EK_ERR_NOT_FOUND if nothing was recorded;
   * EK_ERR_INVALID_ARGUMENT if index() recorded another configuration with the
   * collection (as for index; similar likewise). */
  ek_status (*probe_collection)(void* instance, ek_store* store, const char* collection,
                                const float* vector, const char* path, size_t k,
                                ek_results** out_results);

  /* Encodes `document` and returns the k (1..1024) most similar rows of `collection`
   * (cosine), optionally filtered by `filter_json` (see ek_search_options), with
   * metadata. Free with ek_results_free. */
  ek_status (*similar)(void* instance, ek_store* store, const char* collection,
                       const ek_string_view* document, size_t k, const char* filter_json,
                       ek_results** out_results);

  /* Encodes a batch given as one text: NDJSON (one document per line; blank lines
   * skipped) or a JSON array of documents. Writes the number of documents to
   * *out_count and, when `out` holds count x dim floats (`capacity` in floats), the
   * vectors; otherwise EK_ERR_BUFFER_TOO_SMALL (call with out = NULL to count). */
  ek_status (*encode_batch)(void* instance, const char* text, size_t length, float* out,
                            size_t capacity, size_t* out_count);

  /* Added in ABI 1.1 (check struct_size before use). The encoding configuration
   * index() recorded with `collection`, as a JSON object with every setting that
   * decides the vectors written out: pass it to ek_instance_create for an instance
   * that searches, probes and extends the collection the way it was encoded (limits
   * and cache sizes are not part of it). The text and its NUL need capacity > length;
   * *out_length receives the length (out = NULL with capacity 0 asks for it only).
   * EK_ERR_NOT_FOUND if index() never wrote to the collection. A store written before
   * ABI 1.1 kept the configuration in another place; it is read from there and, when
   * the store takes writes, moved in one transaction. */
  ek_status (*collection_config)(void* instance, ek_store* store, const char* collection,
                                 char* out, size_t capacity, size_t* out_length);
} ek_vsa_probe_ext;

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_EXT_VSA_JSON_H */
