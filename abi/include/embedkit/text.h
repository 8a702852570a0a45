/* embedkit — text services the host lends to plugins: the shared tokenizer and
 * memory-mapped word-vector tables (ek_host::text).
 *
 * One implementation (sdk/text) serves every plugin, so "the same text gives the
 * same tokens" holds across text_classify, table_match and any third-party plugin.
 * A plugin reaches it through `host->text` after checking that the host is new
 * enough:
 *
 *     const ek_text_api* text =
 *         host->struct_size >= offsetof(ek_host, text) + sizeof(host->text) ? host->text : NULL;
 *
 * C99, no allocation crosses the boundary except the opaque ek_wordvec handle,
 * released with wordvec_close. Every function is [thread-safe]; a word-vector table
 * is read-only once opened and may be shared by any number of threads.
 *
 * ---- Tokenizer -----------------------------------------------------------------------
 * A token is a maximal run of word characters: ASCII letters and digits, '_' and every
 * non-ASCII code point except the punctuation/symbol blocks U+00A0..U+00BF, U+00D7,
 * U+00F7, U+2000..U+206F, U+2190..U+2BFF, U+3000..U+303F and U+FE30..U+FE4F. An
 * apostrophe (' or U+2019) between two letters stays inside the token ("don't"),
 * anything else splits. Invalid UTF-8 bytes (overlong forms, surrogates, stray
 * continuation bytes, truncated sequences) are treated as separators: the tokenizer
 * never fails on bad bytes and never emits them.
 *
 * Lower-casing (EK_TEXT_LOWERCASE) maps ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic capitals to their simple lower-case forms (Unicode simple case mapping for
 * those blocks); other scripts are left as they are.
 *
 * E-mail/news header stripping (EK_TEXT_STRIP_HEADERS): when the text begins with a
 * block of "Name: value" lines (RFC 5322 style, continuation lines starting with
 * blanks allowed), the block up to the first empty line is skipped. With
 * EK_TEXT_KEEP_SUBJECT the value of a "Subject:" header is kept (minus "Re:"
 * prefixes). EK_TEXT_STRIP_QUOTES drops quoted lines (starting with '>' or '|') and
 * attribution lines ("In article <...> x writes:", "... wrote:").
 */
#ifndef EMBEDKIT_TEXT_H
#define EMBEDKIT_TEXT_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of ek_tokenize_options::flags. */
#define EK_TEXT_LOWERCASE      0x01u /* Unicode-aware lower-casing (see above) */
#define EK_TEXT_STRIP_HEADERS  0x02u /* skip a leading e-mail/news header block */
#define EK_TEXT_KEEP_SUBJECT   0x04u /* with STRIP_HEADERS: keep the Subject text */
#define EK_TEXT_STRIP_QUOTES   0x08u /* drop quoted and attribution lines */
#define EK_TEXT_DROP_NUMBERS   0x10u /* drop tokens made only of digits */
#define EK_TEXT_NUMBERS_AS_HASH 0x20u /* replace every digit by '#' ("1993" -> "####") */
#define EK_TEXT_DEFAULT_FLAGS  (EK_TEXT_LOWERCASE)

typedef struct ek_tokenize_options {
  uint32_t struct_size;       /* sizeof(ek_tokenize_options) */
  uint32_t flags;             /* EK_TEXT_* */
  uint32_t min_token_chars;   /* shorter tokens (in code points) are dropped; 0 = 1 */
  uint32_t max_token_bytes;   /* longer tokens (in bytes) are dropped; 0 = 64 */
} ek_tokenize_options;

/* A token of the normalised text: `length` bytes from `offset`. */
typedef struct ek_token {
  uint32_t offset;
  uint32_t length;
} ek_token;

/* [callback][the calling thread] Receives one token (UTF-8, not NUL-terminated, valid
 * during the call only). Return non-zero to stop early (tokenize_each then returns
 * EK_OK). */
typedef int32_t (*ek_token_fn)(void* user_data, const char* token, size_t length);

typedef struct ek_wordvec ek_wordvec; /* an open word-vector table (read-only) */

/* ---- Word-vector table file (".ekwv"), little-endian ----------------------------------
 *   0  char[8]  magic "EKWVEC1\0"
 *   8  u32 dim          12 u32 flags (0)
 *  16  u64 count        24 u64 slots (power of two >= 2 * count)
 *  32  u64 table_offset    slots x u32: word index + 1, 0 = empty; slot of a word =
 *                          FNV-1a-64(word bytes) & (slots - 1), linear probing
 *  40  u64 words_offset    (count + 1) x u64: byte offsets of each word in the string
 *                          area (word i = [off[i], off[i+1]))
 *  48  u64 strings_offset  the words' UTF-8 bytes, concatenated
 *  56  u64 vectors_offset  count x dim float32, row-major, 64-byte aligned
 *  64  u64 file_size    72..127 zero
 * Words are stored as given by the source (GloVe 6B: lower-case). */
#define EK_WORDVEC_MAGIC "EKWVEC1"

typedef struct ek_text_api {
  uint32_t struct_size; /* sizeof(ek_text_api) as built by the host */

  /* Fills `options` with the defaults (and struct_size). */
  void (*tokenize_options_init)(ek_tokenize_options* options);

  /* Tokenizes `text` (`length` bytes; NULL only with length 0) into caller buffers:
   * the normalised tokens' bytes go to `out_text` (tokens separated by one space)
   * and their positions in it to `out_tokens`. `*out_text_needed` and
   * `*out_token_count` always receive the full sizes; if `text_capacity` or
   * `token_capacity` is too small the call returns EK_ERR_BUFFER_TOO_SMALL (call with
   * capacities 0 to measure). `options` NULL = defaults. Texts over 4 GiB give
   * EK_ERR_LIMIT. */
  ek_status (*tokenize)(const char* text, size_t length, const ek_tokenize_options* options,
                        char* out_text, size_t text_capacity, ek_token* out_tokens,
                        size_t token_capacity, size_t* out_text_needed,
                        size_t* out_token_count);

  /* Tokenizes `text` and calls `fn` for each token in order, without allocating on
   * the caller's side. The hot path of embedders. */
  ek_status (*tokenize_each)(const char* text, size_t length,
                             const ek_tokenize_options* options, ek_token_fn fn,
                             void* user_data);

  /* Opens a word-vector table file (format above) by memory-mapping it (read into
   * memory where mapping is unavailable, e.g. WASM). On failure writes a message
   * ("...: not an ekwv file") into `error` (up to error_capacity bytes, NUL-
   * terminated; may be NULL) and returns EK_ERR_IO (missing/unreadable) or
   * EK_ERR_CORRUPT (bad magic, sizes or offsets). */
  ek_status (*wordvec_open)(const char* path, ek_wordvec** out_table, char* error,
                            size_t error_capacity);
  /* Closes the table; NULL is a no-op. Pointers from wordvec_vector die with it. */
  void (*wordvec_close)(ek_wordvec* table);
  uint32_t (*wordvec_dim)(const ek_wordvec* table);
  uint64_t (*wordvec_count)(const ek_wordvec* table);
  /* Index of `word` (exact bytes) or -1 when absent. */
  int64_t (*wordvec_find)(const ek_wordvec* table, const char* word, size_t length);
  /* The dim floats of word `index` (< count) inside the mapping, or NULL. */
  const float* (*wordvec_vector)(const ek_wordvec* table, uint64_t index);
  /* The bytes of word `index` (not NUL-terminated) and their length, or NULL. */
  const char* (*wordvec_word)(const ek_wordvec* table, uint64_t index, size_t* out_length);
} ek_text_api;

#ifdef __cplusplus
}
#endif
#endif /* EMBEDKIT_TEXT_H */
