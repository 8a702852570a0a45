/* Flat-argument helpers for the plugin extensions (wasm/js/index.js: Classifier,
 * Matcher, Recommender).
 *
 * Extension tables are structs of C function pointers; calling them from JS would
 * mean reading the wasm32 layout of each table and going through the function table
 * by index. These helpers look the table up by its id, call it with plain numbers and
 * pointers, and fill the option/report structs here, so struct_size and field offsets
 * always come from the headers. Extension calls report failures through the
 * extension's own last_error(instance) (not ek_last_error()); the helpers copy that
 * message into one buffer the JS side reads with ekw_ext_error(). Only public headers
 * are used. */
#include <embedkit/embedkit.h>
#include <embedkit/ext/classifier.h>
#include <embedkit/ext/matcher.h>
#include <embedkit/ext/recommender.h>
#include <emscripten.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EKW_EXPORT EMSCRIPTEN_KEEPALIVE

/* ---- errors ------------------------------------------------------------------------- */

static char g_ext_error[2048];

static ek_status ext_fail(ek_status status, const char* message) {
  snprintf(g_ext_error, sizeof g_ext_error, "%s", message ? message : "");
  return status;
}

/* The message of the last failed helper call of this file ("" after a success). */
EKW_EXPORT const char* ekw_ext_error(void) { return g_ext_error; }

/* Looks up extension `id` of `instance`; on failure the message is ek_last_error()'s. */
static ek_status ext_table(ek_instance* instance, const char* id, const void** out) {
  g_ext_error[0] = '\0';
  if (!instance) return ext_fail(EK_ERR_INVALID_ARGUMENT, "instance is NULL (freed?)");
  ek_status s = ek_instance_get_extension(instance, id, out);
  if (s != EK_OK) return ext_fail(s, ek_last_error());
  return EK_OK;
}

/* Records the extension's own message when `status` is a failure. */
#define EXT_CHECK(ext, self, call)                          \
  do {                                                      \
    ek_status s_ = (call);                                  \
    if (s_ != EK_OK) return ext_fail(s_, (ext)->last_error(self)); \
  } while (0)

#define GET_EXT(type, var, instance, id)                         \
  const type* var = NULL;                                        \
  do {                                                           \
    ek_status s_ = ext_table((instance), (id), (const void**)&var); \
    if (s_ != EK_OK) return s_;                                  \
  } while (0);                                                   \
  void* self = ek_instance_plugin_data(instance)

/* A malloc'd copy of `text` into *out (the JS side frees it with _free). */
static ek_status copy_out(const char* text, char** out) {
  size_t n = strlen(text) + 1;
  *out = (char*)malloc(n);
  if (!*out) return ext_fail(EK_ERR_OUT_OF_MEMORY, "out of wasm memory copying a result");
  memcpy(*out, text, n);
  return EK_OK;
}

/* ---- ek.classifier/1 ---------------------------------------------------------------- */

EKW_EXPORT ek_status ekw_cls_set_labels_json(ek_instance* instance, const char* json,
                                             size_t length) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  EXT_CHECK(c, self, c->set_labels_json(self, json, length));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_cls_fit(ek_instance* instance, const ek_string_view* documents,
                                 size_t count) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  EXT_CHECK(c, self, c->fit(self, documents, count));
  return EK_OK;
}

/* out[0] = label count, out[1] = dim */
EKW_EXPORT ek_status ekw_cls_shape(ek_instance* instance, uint32_t* out) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  size_t labels = 0, dim = 0;
  EXT_CHECK(c, self, c->label_count(self, &labels));
  EXT_CHECK(c, self, c->dim(self, &dim));
  out[0] = (uint32_t)labels;
  out[1] = (uint32_t)dim;
  return EK_OK;
}

/* *out_name = the label's name (owned by the instance); out[0..3] = known_keywords,
 * total_keywords, documents, active. */
EKW_EXPORT ek_status ekw_cls_label_info(ek_instance* instance, size_t index,
                                        const char** out_name, uint32_t* out) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  ek_classifier_label_info info;
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  EXT_CHECK(c, self, c->label_info(self, index, &info));
  *out_name = info.name;
  out[0] = info.known_keywords;
  out[1] = info.total_keywords;
  out[2] = info.documents;
  out[3] = info.active;
  return EK_OK;
}

EKW_EXPORT ek_status ekw_cls_predict(ek_instance* instance, const ek_string_view* documents,
                                     size_t count, int32_t* out_label, float* out_confidence,
                                     float* out_scores) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  EXT_CHECK(c, self, c->predict(self, documents, count, out_label, out_confidence, out_scores));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_cls_embed(ek_instance* instance, const ek_string_view* documents,
                                   size_t count, float* out) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  EXT_CHECK(c, self, c->embed(self, documents, count, out));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_cls_label_vectors(ek_instance* instance, float* out_labels,
                                           float* out_seeds) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  EXT_CHECK(c, self, c->label_vectors(self, out_labels, out_seeds));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_cls_info_json(ek_instance* instance, char** out_json) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  size_t needed = 0;
  ek_status s = c->info_json(self, NULL, 0, &needed);
  if (s != EK_OK && s != EK_ERR_BUFFER_TOO_SMALL) return ext_fail(s, c->last_error(self));
  char* text = (char*)malloc(needed + 1);
  if (!text) return ext_fail(EK_ERR_OUT_OF_MEMORY, "out of wasm memory for the info JSON");
  s = c->info_json(self, text, needed + 1, &needed);
  if (s != EK_OK) {
    free(text);
    return ext_fail(s, c->last_error(self));
  }
  *out_json = text;
  return EK_OK;
}

EKW_EXPORT ek_status ekw_cls_save(ek_instance* instance, ek_store* store, const char* model) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  EXT_CHECK(c, self, c->save(self, store, model));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_cls_load(ek_instance* instance, ek_store* store, const char* model) {
  GET_EXT(ek_classifier_ext, c, instance, EK_EXT_CLASSIFIER);
  EXT_CHECK(c, self, c->load(self, store, model));
  return EK_OK;
}

/* ---- ek.matcher/1 ------------------------------------------------------------------- */

EKW_EXPORT ek_status ekw_match_load(ek_instance* instance, uint32_t side, const char* text,
                                    size_t length, uint32_t format) {
  GET_EXT(ek_matcher_ext, m, instance, EK_EXT_MATCHER);
  EXT_CHECK(m, self, m->load(self, side, text, length, format));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_match_clear(ek_instance* instance, uint32_t side) {
  GET_EXT(ek_matcher_ext, m, instance, EK_EXT_MATCHER);
  EXT_CHECK(m, self, m->clear(self, side));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_match_count(ek_instance* instance, uint32_t side, uint32_t* out) {
  GET_EXT(ek_matcher_ext, m, instance, EK_EXT_MATCHER);
  size_t n = 0;
  EXT_CHECK(m, self, m->count(self, side, &n));
  *out = (uint32_t)n;
  return EK_OK;
}

EKW_EXPORT ek_status ekw_match_add_abbreviations(ek_instance* instance, const char* json,
                                                 size_t length) {
  GET_EXT(ek_matcher_ext, m, instance, EK_EXT_MATCHER);
  EXT_CHECK(m, self, m->add_abbreviations(self, json, length));
  return EK_OK;
}

/* Runs a match and returns the whole result as JSON (docs/table_match.md) in a
 * malloc'd string. top_k/max_matches 0 and threshold < 0 keep the defaults. */
EKW_EXPORT ek_status ekw_match_run_json(ek_instance* instance, uint32_t top_k, uint32_t mode,
                                        float threshold, uint32_t max_matches,
                                        char** out_json) {
  GET_EXT(ek_matcher_ext, m, instance, EK_EXT_MATCHER);
  ek_matcher_options o;
  m->options_init(&o);
  o.top_k = top_k;
  o.mode = mode;
  o.threshold = threshold;
  o.max_matches = max_matches;
  ek_matcher_result* result = NULL;
  EXT_CHECK(m, self, m->match(self, &o, &result));
  char* text = NULL;
  ek_status s = m->result_json(result, &text);
  if (s != EK_OK) {
    m->result_free(result);
    return ext_fail(s, "could not serialise the match result");
  }
  s = copy_out(text, out_json);
  m->free_text(text);
  m->result_free(result);
  return s;
}

/* ---- ek.recommender/1 and ek.unlearner/1 -------------------------------------------- */

EKW_EXPORT ek_status ekw_rec_add_interactions(ek_instance* instance, size_t count,
                                              const char* const* users,
                                              const char* const* items,
                                              const float* weights) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  ek_rec_interactions in;
  memset(&in, 0, sizeof in);
  in.struct_size = sizeof in;
  in.count = count;
  in.users = users;
  in.items = items;
  in.weights = weights;
  EXT_CHECK(r, self, r->add_interactions(self, &in));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_rec_set_items(ek_instance* instance, size_t count,
                                       const char* const* ids, const float* categorical,
                                       size_t categorical_dim, const ek_string_view* texts) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  ek_rec_items items;
  memset(&items, 0, sizeof items);
  items.struct_size = sizeof items;
  items.count = count;
  items.ids = ids;
  items.categorical = categorical;
  items.categorical_dim = categorical_dim;
  items.texts = texts;
  EXT_CHECK(r, self, r->set_items(self, &items));
  return EK_OK;
}

/* out[0..3] = epochs, samples, seconds, last_loss */
EKW_EXPORT ek_status ekw_rec_train(ek_instance* instance, const char* options_json,
                                   double* out) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  ek_rec_train_report report;
  memset(&report, 0, sizeof report);
  report.struct_size = sizeof report;
  EXT_CHECK(r, self, r->train(self, options_json, &report));
  out[0] = report.epochs;
  out[1] = (double)report.samples;
  out[2] = report.seconds;
  out[3] = report.last_loss;
  return EK_OK;
}

EKW_EXPORT ek_status ekw_rec_recommend(ek_instance* instance, const char* user, size_t k,
                                       uint32_t exclude_seen, const char** out_items,
                                       float* out_scores, uint32_t* out_written) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  size_t written = 0;
  EXT_CHECK(r, self, r->recommend(self, user, k, exclude_seen, out_items, out_scores, &written));
  *out_written = (uint32_t)written;
  return EK_OK;
}

EKW_EXPORT ek_status ekw_rec_score(ek_instance* instance, const char* user,
                                   const char* const* items, size_t count, float* out_scores) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  EXT_CHECK(r, self, r->score(self, user, items, count, out_scores));
  return EK_OK;
}

/* out[0..6] = recall, ndcg, hit_rate, mean_rank, users, pairs, pairs_skipped */
EKW_EXPORT ek_status ekw_rec_evaluate(ek_instance* instance, size_t count,
                                      const char* const* users, const char* const* items,
                                      size_t k, uint32_t exclude_seen, double* out) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  ek_rec_interactions pairs;
  memset(&pairs, 0, sizeof pairs);
  pairs.struct_size = sizeof pairs;
  pairs.count = count;
  pairs.users = users;
  pairs.items = items;
  ek_rec_metrics m;
  memset(&m, 0, sizeof m);
  m.struct_size = sizeof m;
  EXT_CHECK(r, self, r->evaluate(self, &pairs, k, exclude_seen, &m));
  out[0] = m.recall;
  out[1] = m.ndcg;
  out[2] = m.hit_rate;
  out[3] = m.mean_rank;
  out[4] = (double)m.users;
  out[5] = (double)m.pairs;
  out[6] = (double)m.pairs_skipped;
  return EK_OK;
}

/* out[0..6] = users, items, interactions, dim, layers, trained, pending_requests */
EKW_EXPORT ek_status ekw_rec_stats(ek_instance* instance, double* out) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  ek_rec_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  EXT_CHECK(r, self, r->stats(self, &st));
  out[0] = (double)st.users;
  out[1] = (double)st.items;
  out[2] = (double)st.interactions;
  out[3] = st.dim;
  out[4] = st.layers;
  out[5] = st.trained;
  out[6] = st.pending_requests;
  return EK_OK;
}

EKW_EXPORT ek_status ekw_rec_save(ek_instance* instance, ek_store* store, const char* name) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  EXT_CHECK(r, self, r->save(self, store, name));
  return EK_OK;
}

EKW_EXPORT ek_status ekw_rec_load(ek_instance* instance, ek_store* store, const char* name) {
  GET_EXT(ek_recommender_ext, r, instance, EK_EXT_RECOMMENDER);
  EXT_CHECK(r, self, r->load(self, store, name));
  return EK_OK;
}

/* out_numbers[0..4] = interactions_removed, users_removed, items_removed, epochs,
 * seconds; out_request_id (64 bytes) and out_digest (65 bytes) NUL-terminated. */
EKW_EXPORT ek_status ekw_rec_forget(ek_instance* instance, int32_t kind, int32_t method,
                                    uint32_t flags, size_t count, const char* const* users,
                                    const char* const* items, const char* options_json,
                                    const char* request_id, double* out_numbers,
                                    char* out_request_id, char* out_digest) {
  GET_EXT(ek_unlearner_ext, u, instance, EK_EXT_UNLEARNER);
  ek_forget_request req;
  memset(&req, 0, sizeof req);
  req.struct_size = sizeof req;
  req.kind = kind;
  req.method = method;
  req.flags = flags;
  req.count = count;
  req.users = users;
  req.items = items;
  req.options_json = options_json;
  req.request_id = request_id;
  ek_forget_report rep;
  memset(&rep, 0, sizeof rep);
  rep.struct_size = sizeof rep;
  EXT_CHECK(u, self, u->forget(self, &req, &rep));
  out_numbers[0] = (double)rep.interactions_removed;
  out_numbers[1] = (double)rep.users_removed;
  out_numbers[2] = (double)rep.items_removed;
  out_numbers[3] = rep.epochs;
  out_numbers[4] = rep.seconds;
  memcpy(out_request_id, rep.request_id, sizeof rep.request_id);
  memcpy(out_digest, rep.digest, sizeof rep.digest);
  return EK_OK;
}

EKW_EXPORT ek_status ekw_rec_purge(ek_instance* instance, double* out_removed) {
  GET_EXT(ek_unlearner_ext, u, instance, EK_EXT_UNLEARNER);
  uint64_t removed = 0;
  EXT_CHECK(u, self, u->purge(self, &removed));
  *out_removed = (double)removed;
  return EK_OK;
}
