/* embedkit — extension "ek.classifier/1": unsupervised text classification from label
 * keywords (Lbl2Vec family), provided by the plugin "embedkit.text_classify".
 *
 * The user gives labels (a name plus keywords and/or a description) and a corpus with
 * no labels. fit() embeds the corpus (training Doc2Vec on it, or gathering the word
 * statistics of the other embedders), turns each label's keywords into a seed vector,
 * keeps the documents most similar to each seed and makes their mean the label
 * vector. predict() assigns each document the label whose vector has the highest
 * cosine, with a softmax confidence. docs/text_classify.md describes the procedure,
 * every configuration key and the figures.
 *
 * How a host reaches it (no typed wrappers in embedkit.h yet):
 *
 *     const ek_classifier_ext* cls;
 *     ek_instance_get_extension(inst, EK_EXT_CLASSIFIER, (const void**)&cls);
 *     void* self = ek_instance_plugin_data(inst);
 *     if (cls->set_labels_json(self, json, strlen(json)) != EK_OK ||
 *         cls->fit(self, docs, n) != EK_OK)
 *       fprintf(stderr, "%s\n", cls->last_error(self));
 *
 * Failures are reported by the returned status and by last_error(instance) (these
 * functions are called directly, not through the library, so ek_last_error() is not
 * set by them). Conventions as in plugin.h: C99, struct_size first.
 * Threading: [one thread at a time per instance] for every function; fit, predict and
 * embed use the host's thread pool internally. After fit or load, predict/embed/
 * label_* only read the model. Long calls (fit, predict of many documents) report
 * progress and stop with EK_ERR_CANCELLED when the host cancels.
 *
 * Bad input never crashes:
 *  - no labels, or a label without a name, or with neither keywords nor description:
 *    EK_ERR_INVALID_ARGUMENT naming the label;
 *  - a label none of whose keywords is known to the embedder (out of the Doc2Vec or
 *    GloVe vocabulary): EK_ERR_INVALID_ARGUMENT naming the label and its keywords,
 *    unless the config says "unknown_keywords": "skip" (the label is kept but never
 *    predicted; label_info reports it);
 *  - empty documents, or documents with no known word: their vector is zero; they
 *    are predicted as label -1 with confidence 0 (and all-zero scores);
 *  - invalid UTF-8: the bytes are separators to the tokenizer (embedkit/text.h);
 *  - fit on zero documents: EK_ERR_INVALID_ARGUMENT.
 */
#ifndef EMBEDKIT_EXT_CLASSIFIER_H
#define EMBEDKIT_EXT_CLASSIFIER_H

#include "../plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EK_EXT_CLASSIFIER "ek.classifier/1"

/* [callback][called only on the thread that called fit/predict/embed, never
 * concurrently] The "host" embedder: writes `count` x `dim` floats (row-major) for
 * the texts (UTF-8 views valid during the call). Return EK_OK, or a status to abort
 * the calling function (it returns EK_ERR_PLUGIN with the status in its message).
 * This is how a host plugs in any sentence transformer (the Lbl2TransformerVec
 * path); keywords are embedded one keyword per text. */
typedef ek_status (*ek_embed_batch_fn)(void* user_data, const ek_string_view* texts,
                                       size_t count, uint32_t dim, float* out);

/* A label given as data (set_labels). */
typedef struct ek_classifier_label {
  uint32_t struct_size;          /* sizeof(ek_classifier_label) */
  const char* name;              /* non-empty UTF-8, unique */
  const char* const* keywords;   /* keyword_count NUL-terminated strings (may be NULL if 0) */
  size_t keyword_count;
  const char* description;       /* NULL or a text; its words join the keywords */
} ek_classifier_label;

/* What is known about one label after fit/load (label_info). */
typedef struct ek_classifier_label_info {
  uint32_t struct_size;          /* sizeof(ek_classifier_label_info), set by the caller */
  const char* name;              /* owned by the instance */
  uint32_t known_keywords;       /* keywords found in the embedder's vocabulary */
  uint32_t total_keywords;
  uint32_t documents;            /* documents averaged into the label vector */
  uint32_t active;               /* 0: skipped (no known keyword), never predicted */
} ek_classifier_label_info;

typedef struct ek_classifier_ext {
  uint32_t struct_size; /* sizeof(ek_classifier_ext) as built by the plugin */

  /* Message of the last failed call on `instance` ("" if none). The pointer stays
   * valid until the next call on the instance. Never NULL. */
  const char* (*last_error)(void* instance);

  /* Sets the callback of the "host" embedder and the dim it writes (1..65536).
   * Required before fit when the config says "embedder": "host". */
  ek_status (*set_embedder)(void* instance, ek_embed_batch_fn fn, void* user_data,
                            uint32_t dim);

  /* Sets the labels (replacing any), as structs or as JSON: either
   * {"labels": {"name": ["kw", ...], ...}} (the ../shared/data/text/labels format),
   * {"name": ["kw", ...], ...}, or values {"keywords": [...], "description": "..."}.
   * Labels keep the order given. Takes effect at the next fit; after a fit or load
   * it re-derives the label vectors from the fitted documents at once when the
   * fitted vectors are still held (fit in this instance), else fails with
   * EK_ERR_UNSUPPORTED. */
  ek_status (*set_labels)(void* instance, const ek_classifier_label* labels, size_t count);
  ek_status (*set_labels_json)(void* instance, const char* json, size_t length);

  /* Fits the embedder on the unlabelled `documents` and derives the label vectors.
   * Document i of this call is "fitted document i" below. */
  ek_status (*fit)(void* instance, const ek_string_view* documents, size_t count);

  /* Number of labels, vector length of the embedder. */
  ek_status (*label_count)(void* instance, size_t* out_count);
  ek_status (*dim)(void* instance, size_t* out_dim);
  ek_status (*label_info)(void* instance, size_t index, ek_classifier_label_info* out_info);

  /* Classifies `count` new documents (Doc2Vec infers their vectors). Writes the label
   * index (-1: empty document) and the confidence (max of softmax(cos * scale)) of
   * each; `out_scores` (NULL, or count x label_count floats) receives the cosines. */
  ek_status (*predict)(void* instance, const ek_string_view* documents, size_t count,
                       int32_t* out_label, float* out_confidence, float* out_scores);

  /* Same for fitted documents [first, first + count), from their fitted vectors
   * (Lbl2Vec's predict on model documents). EK_ERR_UNSUPPORTED after load (the
   * fitted vectors are not stored), EK_ERR_INVALID_ARGUMENT out of range. */
  ek_status (*predict_fitted)(void* instance, size_t first, size_t count,
                              int32_t* out_label, float* out_confidence, float* out_scores);

  /* Vectors: of new documents (count x dim), of fitted documents, and the label
   * vectors and keyword seeds (label_count x dim each; either pointer may be NULL). */
  ek_status (*embed)(void* instance, const ek_string_view* documents, size_t count,
                     float* out);
  ek_status (*fitted_vectors)(void* instance, size_t first, size_t count, float* out);
  ek_status (*label_vectors)(void* instance, float* out_labels, float* out_seeds);

  /* Saves the fitted model (config, vocabulary, embedder weights, label and seed
   * vectors) to `store` under collections named "<model>.*", replacing an older
   * model of that name; load() restores it into an instance of any config (the
   * stored config wins). A model fitted natively classifies in WASM. */
  ek_status (*save)(void* instance, ek_store* store, const char* model);
  ek_status (*load)(void* instance, ek_store* store, const char* model);

  /* The effective configuration and fit statistics as a JSON object, NUL-terminated,
   * into `out` (capacity bytes); EK_ERR_BUFFER_TOO_SMALL with *out_needed otherwise. */
  ek_status (*info_json)(void* instance, char* out, size_t capacity, size_t* out_needed);
} ek_classifier_ext;

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_EXT_CLASSIFIER_H */
