/* embedkit — extensions "ek.recommender/1" and "ek.unlearner/1".
 *
 * A recommender learns from implicit feedback (user, item[, weight, timestamp]) and
 * optional item side features of several modalities (categorical flags such as
 * genres, and a text such as the title), recommends items to users, and can persist
 * itself in an embedkit store. An unlearner removes interactions, users or items on
 * request: from the training data, from the store (deleted rows, secure_delete) and
 * from the model's parameters (e.g. MMRecUn: a reverse BPR objective on the forget
 * set and a forward one on the retain set), and records each request in a ledger.
 * The bundled plugin "embedkit.rec_unlearn" provides both (docs/rec_unlearn.md).
 *
 * How a host reaches them (there are no typed wrappers in embedkit.h):
 *
 *     const ek_recommender_ext* rec;
 *     ek_instance_get_extension(inst, EK_EXT_RECOMMENDER, (const void**)&rec);
 *     void* self = ek_instance_plugin_data(inst);
 *     if (rec->train(self, NULL, NULL) != EK_OK) fprintf(stderr, "%s\n", rec->last_error(self));
 *
 * These functions are called directly (not through the library): a failure is
 * reported by the returned status and by `last_error(instance)`, not by
 * ek_last_error(). Ids are NUL-terminated UTF-8 of 1..256 bytes without control
 * characters. Conventions as in plugin.h: C99, struct_size first in every struct
 * (set it to sizeof the struct you were compiled with), every function returns an
 * ek_status. [one thread at a time per instance] for every function, like the
 * instance itself (training and evaluation use the host's thread pool internally;
 * progress and cancellation come through ek_context_set_progress/ek_context_cancel).
 */
#ifndef EMBEDKIT_EXT_RECOMMENDER_H
#define EMBEDKIT_EXT_RECOMMENDER_H

#include "../plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EK_EXT_RECOMMENDER "ek.recommender/1"
#define EK_EXT_UNLEARNER "ek.unlearner/1"

/* A batch of interactions (or of (user, item) pairs to evaluate or forget). */
typedef struct ek_rec_interactions {
  uint32_t struct_size;       /* sizeof(ek_rec_interactions) */
  size_t count;
  const char* const* users;   /* count user ids */
  const char* const* items;   /* count item ids */
  const float* weights;       /* NULL (all 1), or count finite weights, e.g. ratings */
  const int64_t* timestamps;  /* NULL, or count timestamps (stored, not used by BPR) */
} ek_rec_interactions;

/* Item side features: one row per item, each modality optional. */
typedef struct ek_rec_items {
  uint32_t struct_size;         /* sizeof(ek_rec_items) */
  size_t count;
  const char* const* ids;       /* count item ids */
  const float* categorical;     /* NULL, or count x categorical_dim finite values
                                   (e.g. 19 genre flags of MovieLens) */
  size_t categorical_dim;       /* 0 when categorical is NULL; <= 4096 */
  const ek_string_view* texts;  /* NULL, or count texts (e.g. titles) */
} ek_rec_items;

typedef struct ek_rec_train_report {
  uint32_t struct_size;   /* sizeof(ek_rec_train_report), set by the caller */
  uint32_t epochs;        /* epochs run */
  uint64_t samples;       /* (user, positive, negative) triples processed */
  double seconds;         /* wall time of the training loop */
  double last_loss;       /* mean BPR loss of the last epoch */
} ek_rec_train_report;

typedef struct ek_rec_metrics {
  uint32_t struct_size;     /* sizeof(ek_rec_metrics), set by the caller */
  double recall;            /* mean over users of |top-k ∩ relevant| / |relevant| */
  double ndcg;              /* mean over users of NDCG@k (binary relevance) */
  double hit_rate;          /* fraction of pairs whose item is in its user's top-k */
  double mean_rank;         /* mean 1-based rank of each pair's item among the user's
                               candidates (all items, minus seen ones if excluded) */
  uint64_t users;           /* users evaluated */
  uint64_t pairs;           /* pairs evaluated */
  uint64_t pairs_skipped;   /* pairs with an unknown user or item (not evaluated) */
} ek_rec_metrics;

typedef struct ek_rec_stats {
  uint32_t struct_size;       /* sizeof(ek_rec_stats), set by the caller */
  uint64_t users;             /* users with an embedding */
  uint64_t items;             /* items with an embedding */
  uint64_t interactions;      /* training interactions held */
  uint32_t dim;               /* embedding dimension */
  uint32_t layers;            /* propagation layers (0 = plain BPR-MF) */
  uint32_t trained;           /* non-zero once trained or loaded */
  uint32_t pending_requests;  /* ledger entries of forget requests whose parameters were
                                 not updated (cancelled; or interrupted, from versions
                                 before requests were one store transaction) */
} ek_rec_stats;

typedef struct ek_recommender_ext {
  uint32_t struct_size; /* sizeof(ek_recommender_ext) as built by the plugin */

  /* Message of the last failed call on `instance` ("" if none). Valid until the next
   * call on the instance. Never NULL. */
  const char* (*last_error)(void* instance);

  /* Sets (replaces) the side features of items. Items not listed have none. Fails
   * with EK_ERR_INVALID_ARGUMENT when categorical_dim differs from an earlier call
   * after training. */
  ek_status (*set_items)(void* instance, const ek_rec_items* items);

  /* Adds interactions to the training data (duplicates of a (user, item) pair are
   * merged; the last weight wins). New users and items get embeddings at the next
   * train. Weights below the config's "min_weight" are ignored (count them as
   * negatives for nothing). */
  ek_status (*add_interactions)(void* instance, const ek_rec_interactions* interactions);

  /* Trains from scratch on the interactions held (BPR; config of the instance, keys
   * of `options_json` override it for this call: "epochs", "lr", "seed", ...).
   * `report` may be NULL. EK_ERR_CANCELLED leaves the previous model in place. */
  ek_status (*train)(void* instance, const char* options_json, ek_rec_train_report* report);

  /* The k (1..1024) best items for `user`, best first (ties by lower item index).
   * With exclude_seen, the user's training items are left out. Writes
   * min(k, candidates) item ids (owned by the instance, valid until the next call
   * that changes the model or the data) and scores; *out_written says how many.
   * An unknown user gives EK_ERR_NOT_FOUND. */
  ek_status (*recommend)(void* instance, const char* user, size_t k, uint32_t exclude_seen,
                         const char** out_items, float* out_scores, size_t* out_written);

  /* Scores of `count` items for `user` (EK_ERR_NOT_FOUND names an unknown id). */
  ek_status (*score)(void* instance, const char* user, const char* const* items, size_t count,
                     float* out_scores);

  /* Ranking quality on held-out pairs: recall@k and NDCG@k per user of `pairs`,
   * hit rate and mean rank per pair. Pairs naming unknown users or items are counted
   * in pairs_skipped. */
  ek_status (*evaluate)(void* instance, const ek_rec_interactions* pairs, size_t k,
                        uint32_t exclude_seen, ek_rec_metrics* out_metrics);

  /* Writes the model, the interactions and the item features to collections
   * "<name>.*" of `store` (replacing what was there) in one store transaction and
   * binds the instance to it: later trainings write the model there and forget
   * requests delete from it and update it, each in one transaction as well. */
  ek_status (*save)(void* instance, ek_store* store, const char* name);

  /* Reads a model saved by `save` and binds the instance to the store. A model
   * written by another format version gives EK_ERR_UNSUPPORTED; none gives
   * EK_ERR_NOT_FOUND. */
  ek_status (*load)(void* instance, ek_store* store, const char* name);

  ek_status (*stats)(void* instance, ek_rec_stats* out_stats);
} ek_recommender_ext;

/* ---- "ek.unlearner/1" -------------------------------------------------------------- */

/* ek_forget_request::kind */
#define EK_FORGET_INTERACTIONS 0 /* (users[i], items[i]) pairs */
#define EK_FORGET_USERS 1        /* users[i]: every interaction and the user itself */
#define EK_FORGET_ITEMS 2        /* items[i]: every interaction, features and the item */

/* ek_forget_request::method */
#define EK_UNLEARN_MMRECUN 0  /* reverse BPR on the forget set + forward on the retain set */
#define EK_UNLEARN_GOLD 1     /* retrain from scratch on the retain set */
#define EK_UNLEARN_FINETUNE 2 /* forward BPR on the retain set only */
#define EK_UNLEARN_NOOP 3     /* parameters unchanged (the data is still removed) */

/* ek_forget_request::flags */
/* Keep the embeddings (and store rows) of forgotten users/items until purge(), so that
 * an audit can measure how strongly the model still ties them to their interactions.
 * Their interactions are removed at once either way. */
#define EK_FORGET_KEEP_ROWS 0x1u
/* Pass over the users, items and pairs the model does not hold (never held, already
 * forgotten, or a pair that is not a training interaction) instead of failing with
 * EK_ERR_NOT_FOUND: what a request sent to several models (shards, replicas) needs.
 * The report, digest and ledger cover what was forgotten; a request that names nothing
 * held changes nothing, records nothing and reports zeros with an empty request_id.
 * Malformed ids (NULL, empty, too long) still fail. A plugin older than this flag
 * ignores it (unknown ids fail as before); bits other than these two are refused. */
#define EK_FORGET_SKIP_UNKNOWN 0x2u

typedef struct ek_forget_request {
  uint32_t struct_size;     /* sizeof(ek_forget_request) */
  int32_t kind;             /* EK_FORGET_* */
  int32_t method;           /* EK_UNLEARN_* */
  uint32_t flags;           /* EK_FORGET_* flags */
  size_t count;             /* pairs, users or items named */
  const char* const* users; /* INTERACTIONS, USERS: count ids; ITEMS: NULL */
  const char* const* items; /* INTERACTIONS, ITEMS: count ids; USERS: NULL */
  /* NULL, or a JSON object overriding the instance's unlearning config for this
   * request: "alpha", "beta", "lambda", "unlearn_epochs", "unlearn_lr",
   * "retain_ratio", "seed" (docs/rec_unlearn.md) */
  const char* options_json;
  const char* request_id;   /* NULL: "req-<n>"; recorded in the ledger */
} ek_forget_request;

typedef struct ek_forget_report {
  uint32_t struct_size;           /* sizeof(ek_forget_report), set by the caller */
  uint64_t interactions_removed;
  uint64_t users_removed;         /* 0 with EK_FORGET_KEEP_ROWS until purge */
  uint64_t items_removed;
  uint32_t epochs;                /* unlearning (or retraining) epochs run */
  double seconds;                 /* wall time of the parameter update (not the store) */
  char request_id[64];            /* NUL-terminated */
  char digest[65];                /* SHA-256 (hex) of the canonical forget set, as in the
                                     ledger */
} ek_forget_report;

typedef struct ek_unlearner_ext {
  uint32_t struct_size; /* sizeof(ek_unlearner_ext) as built by the plugin */
  const char* (*last_error)(void* instance);

  /* Forgets what `request` names. Unknown ids, an empty request, or a request that
   * would leave no interaction fail with EK_ERR_INVALID_ARGUMENT / EK_ERR_NOT_FOUND
   * before anything changes. When the instance is bound to a store (save/load), the
   * rows are deleted there (secure_delete), the model rows updated and the request
   * recorded in the "<name>.ledger" collection (kind, method, counts, times and
   * the digest; never the data). `report` may be NULL. */
  ek_status (*forget)(void* instance, const ek_forget_request* request,
                      ek_forget_report* report);

  /* Removes users/items kept by EK_FORGET_KEEP_ROWS (model and store). */
  ek_status (*purge)(void* instance, uint64_t* out_removed);
} ek_unlearner_ext;

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_EXT_RECOMMENDER_H */
