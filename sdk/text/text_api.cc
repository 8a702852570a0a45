#include "text/text_api.h"

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <string>

#include "base/error.h"
#include "text/tokenizer.h"
#include "text/wordvec.h"

struct ek_wordvec {
  explicit ek_wordvec(const std::string& path) : table(path) {}
  ek::text::WordVectors table;
};

namespace ek::text {
namespace {

void OptionsInit(ek_tokenize_options* options) {
  if (!options) return;
  *options = ek_tokenize_options{};
  options->struct_size = sizeof(ek_tokenize_options);
  options->flags = EK_TEXT_DEFAULT_FLAGS;
  options->min_token_chars = 1;
  options->max_token_bytes = 64;
}

template <class F>
ek_status Guarded(F&& f) {
  try {
    return f();
  } catch (const ek::Error& e) {
    return e.status();
  } catch (const std::bad_alloc&) {
    return EK_ERR_OUT_OF_MEMORY;
  } catch (...) {
    return EK_ERR_INTERNAL;
  }
}

ek_status Tokenize(const char* text, size_t length, const ek_tokenize_options* options,
                   char* out_text, size_t text_capacity, ek_token* out_tokens,
                   size_t token_capacity, size_t* out_text_needed, size_t* out_token_count) {
  return Guarded([&]() -> ek_status {
    if (!text && length > 0) return EK_ERR_INVALID_ARGUMENT;
    if (length > std::numeric_limits<uint32_t>::max()) return EK_ERR_LIMIT;
    size_t bytes = 0, tokens = 0;
    Tokenizer tok(ReadOptions(options));
    tok.Run(std::string_view(text ? text : "", length), [&](std::string_view t) {
      const size_t at = bytes + (tokens > 0 ? 1 : 0);
      if (out_text && at + t.size() <= text_capacity) {
        if (tokens > 0) out_text[at - 1] = ' ';
        std::memcpy(out_text + at, t.data(), t.size());
      }
      if (out_tokens && tokens < token_capacity) {
        out_tokens[tokens] = ek_token{static_cast<uint32_t>(at), static_cast<uint32_t>(t.size())};
      }
      bytes = at + t.size();
      ++tokens;
      return true;
    });
    if (out_text_needed) *out_text_needed = bytes;
    if (out_token_count) *out_token_count = tokens;
    if ((bytes > 0 && (!out_text || bytes > text_capacity)) ||
        (tokens > 0 && (!out_tokens || tokens > token_capacity))) {
      return EK_ERR_BUFFER_TOO_SMALL;
    }
    return EK_OK;
  });
}

ek_status TokenizeEach(const char* text, size_t length, const ek_tokenize_options* options,
                       ek_token_fn fn, void* user_data) {
  return Guarded([&]() -> ek_status {
    if ((!text && length > 0) || !fn) return EK_ERR_INVALID_ARGUMENT;
    Tokenizer tok(ReadOptions(options));
    tok.Run(std::string_view(text ? text : "", length),
            [&](std::string_view t) { return fn(user_data, t.data(), t.size()) == 0; });
    return EK_OK;
  });
}

void CopyError(const std::string& message, char* error, size_t capacity) {
  if (!error || capacity == 0) return;
  const size_t n = std::min(message.size(), capacity - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

ek_status WordvecOpen(const char* path, ek_wordvec** out, char* error, size_t capacity) {
  if (out) *out = nullptr;
  if (!path || !out) {
    CopyError("wordvec_open: path or out_table is NULL", error, capacity);
    return EK_ERR_INVALID_ARGUMENT;
  }
  try {
    *out = new ek_wordvec(path);
    CopyError("", error, capacity);
    return EK_OK;
  } catch (const ek::Error& e) {
    CopyError(std::string("wordvec_open: ") + e.what(), error, capacity);
    return e.status();
  } catch (const std::bad_alloc&) {
    CopyError("wordvec_open: out of memory", error, capacity);
    return EK_ERR_OUT_OF_MEMORY;
  } catch (...) {
    CopyError("wordvec_open: internal error", error, capacity);
    return EK_ERR_INTERNAL;
  }
}

void WordvecClose(ek_wordvec* t) { delete t; }
uint32_t WordvecDim(const ek_wordvec* t) { return t ? t->table.dim() : 0; }
uint64_t WordvecCount(const ek_wordvec* t) { return t ? t->table.count() : 0; }
int64_t WordvecFind(const ek_wordvec* t, const char* word, size_t length) {
  if (!t || (!word && length > 0)) return -1;
  return t->table.Find(std::string_view(word ? word : "", length));
}
const float* WordvecVector(const ek_wordvec* t, uint64_t index) {
  return t ? t->table.Vector(index) : nullptr;
}
const char* WordvecWord(const ek_wordvec* t, uint64_t index, size_t* out_length) {
  if (!t || index >= t->table.count()) {
    if (out_length) *out_length = 0;
    return nullptr;
  }
  std::string_view w = t->table.Word(index);
  if (out_length) *out_length = w.size();
  return w.data();
}

const ek_text_api kApi = {
    sizeof(ek_text_api), OptionsInit,  Tokenize,     TokenizeEach,  WordvecOpen,  WordvecClose,
    WordvecDim,          WordvecCount, WordvecFind,  WordvecVector, WordvecWord,
};

}  // namespace

const ek_text_api* Api() { return &kApi; }

}  // namespace ek::text
