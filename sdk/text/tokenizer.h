// The shared tokenizer (docs: abi/include/embedkit/text.h, "Tokenizer"). Plugins reach
// it through ek_host::text; SDK code calls ek::text::Tokenize directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "embedkit/text.h"

namespace ek::text {

struct TokenizeOptions {
  uint32_t flags = EK_TEXT_DEFAULT_FLAGS;
  uint32_t min_token_chars = 1;
  uint32_t max_token_bytes = 64;
};

// Reads the fields a caller's (possibly older, smaller) struct holds; NULL = defaults.
TokenizeOptions ReadOptions(const ek_tokenize_options* options);

// Calls sink(std::string_view token) for each token; sink returns true to continue.
// The view is valid during the call only. Returns false if the sink stopped early.
class Tokenizer {
 public:
  explicit Tokenizer(const TokenizeOptions& options) : o_(options) {}

  template <class Sink>
  bool Run(std::string_view text, Sink&& sink) {
    sink_ = &sink;
    call_ = [](void* s, std::string_view t) { return (*static_cast<Sink*>(s))(t); };
    return RunImpl(text);
  }

 private:
  bool RunImpl(std::string_view text);
  bool Line(std::string_view line);
  bool Flush();

  TokenizeOptions o_;
  void* sink_ = nullptr;
  bool (*call_)(void*, std::string_view) = nullptr;
  std::string token_;
  uint32_t chars_ = 0;
  bool all_digits_ = true;
};

// Lower-case mapping of one code point (ASCII, Latin-1, Latin Extended-A, Greek,
// Cyrillic; identity elsewhere).
uint32_t ToLower(uint32_t cp);
// True for code points that belong to tokens.
bool IsWordChar(uint32_t cp);
// Decodes one UTF-8 sequence at p (< end). Returns the code point and sets *len to the
// bytes consumed; an invalid sequence returns 0xFFFFFFFF with *len = 1.
uint32_t DecodeUtf8(const unsigned char* p, const unsigned char* end, size_t* len);

}  // namespace ek::text
