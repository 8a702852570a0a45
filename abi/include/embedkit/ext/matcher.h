/* embedkit — extension "ek.matcher/1": match table metadata (columns of a schema) to
 * a business glossary or to the columns of a second schema, ranked and explained.
 * Provided by the plugin "embedkit.table_match" (docs/table_match.md).
 *
 * Sources are columns (table, name, type, description) read from JSON or SQL DDL;
 * targets are glossary entries (id, label, description, synonyms) read from JSON or
 * CSV, or the columns of another schema. For every source column the matcher ranks
 * the targets by a score in [0, 1] (a logistic model over lexical, semantic and
 * structural signals), marks the ones above a calibrated threshold as matches, and
 * reports what each signal contributed. An application may plug in a large language
 * model through two optional callbacks (ek_matcher_llm_hooks): one adds generated
 * context to a column before matching, the other judges candidate pairs.
 *
 * How a host reaches it (there are no typed wrappers in embedkit.h):
 *
 *     ek_instance* inst;
 *     ek_instance_create(ctx, "embedkit.table_match", "{}", &inst);
 *     const ek_matcher_ext* m;
 *     ek_instance_get_extension(inst, EK_EXT_MATCHER, (const void**)&m);
 *     void* self = ek_instance_plugin_data(inst);
 *     m->load(self, EK_MATCHER_SOURCE, ddl, ddl_len, EK_MATCHER_FORMAT_AUTO);
 *     m->load(self, EK_MATCHER_TARGET, csv, csv_len, EK_MATCHER_FORMAT_GLOSSARY_CSV);
 *     ek_matcher_options o; m->options_init(&o); o.top_k = 5;
 *     ek_matcher_result* r;
 *     if (m->match(self, &o, &r) != EK_OK) fprintf(stderr, "%s\n", m->last_error(self));
 *     ... m->result_candidate(r, column, rank, &cand) ...
 *     m->result_free(r);
 *
 * Because these functions are called directly (not through the library), a failure
 * is reported by the returned status and by last_error(instance), not by
 * ek_last_error().
 *
 * Conventions as in plugin.h: C99, struct_size first in every struct, every fallible
 * function returns an ek_status. Threading: [one thread at a time per instance] for
 * every function taking an instance (match itself uses the host's thread pool);
 * result accessors are [thread-safe] on a result nobody frees concurrently.
 */
#ifndef EMBEDKIT_EXT_MATCHER_H
#define EMBEDKIT_EXT_MATCHER_H

#include "../plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EK_EXT_MATCHER "ek.matcher/1"

/* Sides of a match (ek_matcher_ext::load, clear, count). */
#define EK_MATCHER_SOURCE 0u
#define EK_MATCHER_TARGET 1u

/* Input formats (ek_matcher_ext::load).
 * SCHEMA_JSON:   {"tables":[{"name","description"?,"columns":[{"name","type"?,
 *                "description"?,"primary_key"?}]}]} or the LLMatch layout
 *                {"<table>":{"table","table_description","columns":{"<col>":
 *                {"name","description","is_primary_key"?,"foreign_keys"?}}}}.
 * SQL_DDL:       CREATE TABLE (types, PRIMARY KEY/REFERENCES, COMMENT '...', and a
 *                "-- comment" on a column's line as its description) and
 *                COMMENT ON TABLE/COLUMN ... IS '...'; other statements are skipped.
 * GLOSSARY_JSON: [{"id","label","description"?,"synonyms"?}] or {"entries":[...]};
 *                synonyms: an array of strings or one '|'-separated string.
 * GLOSSARY_CSV:  RFC 4180 with a header naming columns id, label, description,
 *                synonyms (optional), table (optional), type (optional); the OMOP
 *                CDM field-level CSV is read as well (cdmTableName, cdmFieldName,
 *                cdmDatatype, userGuidance + etlConventions).
 * AUTO:          JSON when the text starts with '{' or '[' (glossary for an array or
 *                an "entries" key), CSV when the first line is a header with a
 *                comma and no '(' , SQL DDL otherwise. */
#define EK_MATCHER_FORMAT_AUTO          0u
#define EK_MATCHER_FORMAT_SCHEMA_JSON   1u
#define EK_MATCHER_FORMAT_SQL_DDL       2u
#define EK_MATCHER_FORMAT_GLOSSARY_JSON 3u
#define EK_MATCHER_FORMAT_GLOSSARY_CSV  4u

/* Modes (ek_matcher_options::mode). */
#define EK_MATCHER_MODE_ONE_TO_MANY 0u /* each column: candidates above the threshold,
                                          up to max_matches (a target may serve many) */
#define EK_MATCHER_MODE_ONE_TO_ONE  1u /* optimal assignment (Hungarian method) over
                                          the scores: each target matched at most once */

/* One column (source) or one glossary entry / target column. Strings are UTF-8,
 * NUL-terminated, never NULL ("" when absent), owned by whoever passes the struct
 * and valid during the call (callbacks) or as long as the result (accessors). */
typedef struct ek_matcher_column {
  uint32_t struct_size;          /* sizeof(ek_matcher_column), set by the caller */
  const char* id;                /* "table.column", or the glossary entry's id */
  const char* table;             /* table name; "" for glossary entries without one */
  const char* name;              /* column name or glossary label */
  const char* type;              /* declared type ("VARCHAR(50)") or "" */
  const char* description;       /* column comment / entry description, or "" */
  const char* table_description; /* "" if none */
  const char* synonyms;          /* '|'-separated synonyms, or "" */
} ek_matcher_column;

/* ---- LLM hooks (optional) --------------------------------------------------------------
 * [callback][the thread that called match, one call at a time] Both may be NULL.
 *
 * generate_context: the paper's first method. Writes extra text describing `column`
 * (e.g. an LLM's answer to "what does column X of table T contain?") into out_text
 * (capacity bytes, no NUL needed) and its length into *out_length. The text is added
 * to the column's description before matching. Return EK_OK, or any other status to
 * abort the match (it then fails with EK_ERR_PLUGIN and the hook's status named).
 * A length above capacity is truncated to capacity.
 *
 * judge: the paper's second method. Writes the probability in [0, 1] that `column`
 * and `candidate` mean the same thing. Called for the judge_top_n best candidates of
 * each column (by the offline score); their score becomes
 *     (1 - judge_weight) * offline score + judge_weight * probability
 * and the list is re-ranked. A NaN or out-of-range probability fails the match. */
typedef ek_status (*ek_matcher_context_fn)(void* user_data, const ek_matcher_column* column,
                                           char* out_text, size_t capacity,
                                           size_t* out_length);
typedef ek_status (*ek_matcher_judge_fn)(void* user_data, const ek_matcher_column* column,
                                         const ek_matcher_column* candidate,
                                         float* out_probability);

typedef struct ek_matcher_llm_hooks {
  uint32_t struct_size;                   /* sizeof(ek_matcher_llm_hooks) */
  void* user_data;                        /* passed to both callbacks */
  ek_matcher_context_fn generate_context; /* NULL: not used */
  ek_matcher_judge_fn judge;              /* NULL: not used */
  uint32_t judge_top_n;                   /* candidates judged per column; 0 = 5 */
  float judge_weight;                     /* in (0, 1]; 0 = 0.5 */
  uint32_t context_capacity;              /* bytes offered to generate_context; 0 = 4096 */
} ek_matcher_llm_hooks;

/* ---- Options and results ------------------------------------------------------------ */
typedef struct ek_matcher_options {
  uint32_t struct_size;  /* sizeof(ek_matcher_options) */
  uint32_t top_k;        /* candidates kept per column, 1..1024; 0 = 5 */
  uint32_t mode;         /* EK_MATCHER_MODE_*; default ONE_TO_MANY */
  float threshold;       /* decision threshold on the score; < 0 = the model's
                            calibrated one (default -1) */
  uint32_t max_matches;  /* ONE_TO_MANY: at most this many matches per column;
                            0 = the model's default */
  uint32_t use_llm;      /* non-zero: call the hooks set with set_llm_hooks (default 1) */
} ek_matcher_options;

typedef struct ek_matcher_result ek_matcher_result; /* owned by the caller */

typedef struct ek_matcher_candidate {
  uint32_t struct_size;       /* sizeof(ek_matcher_candidate), set by the caller */
  size_t target_index;        /* index of the target (see result_target) */
  float score;                /* final score in [0, 1] */
  float model_score;          /* the offline model's score (before any judge) */
  float judge_probability;    /* the judge's answer, or -1 when not judged */
  uint32_t is_match;          /* non-zero: above the threshold (and assigned, 1:1) */
  size_t signal_count;        /* entries of signals / contributions */
  const float* signals;       /* raw signal values (names: signal_name) */
  const float* contributions; /* each signal's share of the model's logit */
} ek_matcher_candidate;

typedef struct ek_matcher_ext {
  uint32_t struct_size; /* sizeof(ek_matcher_ext) as built by the plugin */

  /* Message of the last failed call on `instance` ("" if none); valid until the next
   * call on the instance. Never NULL. */
  const char* (*last_error)(void* instance);

  /* Fills `options` with the defaults (and struct_size). */
  void (*options_init)(ek_matcher_options* options);

  /* Parses `text` and adds its columns/entries to `side` (several loads accumulate,
   * e.g. a DDL file and a file of COMMENT ON statements). Malformed input fails with
   * EK_ERR_PARSE and "line L, column C: ..."; duplicate columns of one table or
   * duplicate glossary ids with EK_ERR_ALREADY_EXISTS; inputs beyond the configured
   * limits (max_input_bytes, max_columns) with EK_ERR_LIMIT. A failed load leaves the
   * side as it was. */
  ek_status (*load)(void* instance, uint32_t side, const char* text, size_t length,
                    uint32_t format);
  /* Empties `side`. */
  ek_status (*clear)(void* instance, uint32_t side);
  /* Number of columns/entries loaded on `side`. */
  ek_status (*count)(void* instance, uint32_t side, size_t* out_count);
  /* Describes entry `index` of `side` (strings owned by the instance, valid until the
   * side changes). */
  ek_status (*column)(void* instance, uint32_t side, size_t index,
                      ek_matcher_column* out_column);

  /* Adds user abbreviations, a JSON object {"abbr": "expansion words", ...}; they take
   * precedence over the built-in dictionary. */
  ek_status (*add_abbreviations)(void* instance, const char* json, size_t length);

  /* Registers the LLM hooks (copied); NULL clears them. */
  ek_status (*set_llm_hooks)(void* instance, const ek_matcher_llm_hooks* hooks);

  /* Matches every source column against every target. Fails with EK_ERR_INVALID_ARGUMENT
   * when a side is empty, EK_ERR_LIMIT when sources x targets exceeds max_pairs,
   * EK_ERR_CANCELLED when the host cancels. */
  ek_status (*match)(void* instance, const ek_matcher_options* options,
                     ek_matcher_result** out_result);

  /* The signals the model combines, in the order of ek_matcher_candidate::signals.
   * Names are static strings ("name_char", "desc_desc", ...). */
  size_t (*signal_count)(void* instance);
  const char* (*signal_name)(void* instance, size_t index);

  /* ---- Result accessors ---- */
  size_t (*result_column_count)(const ek_matcher_result* result);
  /* Source column `index` and the number of its candidates (<= top_k). */
  ek_status (*result_column)(const ek_matcher_result* result, size_t index,
                             ek_matcher_column* out_column, size_t* out_candidate_count);
  /* Candidate `rank` (0 = best) of source column `index`. */
  ek_status (*result_candidate)(const ek_matcher_result* result, size_t index, size_t rank,
                                ek_matcher_candidate* out_candidate);
  /* Target `target_index` as it was when the match ran. */
  ek_status (*result_target)(const ek_matcher_result* result, size_t target_index,
                             ek_matcher_column* out_column);
  /* The whole result as JSON (docs/table_match.md); free with free_text. */
  ek_status (*result_json)(const ek_matcher_result* result, char** out_json);
  void (*free_text)(char* text);
  void (*result_free)(ek_matcher_result* result);
} ek_matcher_ext;

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_EXT_MATCHER_H */
