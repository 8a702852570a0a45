// sdk/text: tokenizer rules (abi/include/embedkit/text.h) and .ekwv tables, through
// the C table plugins receive (ek_text_api) so the ABI path is what is tested.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "text/text_api.h"
#include "text/tokenizer.h"
#include "text/wordvec.h"

namespace {

const ek_text_api* T() { return ek::text::Api(); }

std::vector<std::string> Tok(const std::string& text, uint32_t flags = EK_TEXT_LOWERCASE,
                             uint32_t min_chars = 0, uint32_t max_bytes = 0) {
  ek_tokenize_options o;
  T()->tokenize_options_init(&o);
  o.flags = flags;
  o.min_token_chars = min_chars;
  o.max_token_bytes = max_bytes;
  std::vector<std::string> out;
  EXPECT_EQ(T()->tokenize_each(text.data(), text.size(), &o,
                               [](void* u, const char* t, size_t n) -> int32_t {
                                 static_cast<std::vector<std::string>*>(u)->emplace_back(t, n);
                                 return 0;
                               },
                               &out),
            EK_OK);
  return out;
}

using V = std::vector<std::string>;

TEST(Tokenizer, SplitsOnPunctuationAndLowercases) {
  EXPECT_EQ(Tok("Hello, World! It's 3D-rendering_v2; x11."),
            (V{"hello", "world", "it's", "3d", "rendering_v2", "x11"}));
  EXPECT_EQ(Tok("Hello World", 0), (V{"Hello", "World"}));
  EXPECT_EQ(Tok(""), V{});
  EXPECT_EQ(Tok("  ,;:!  "), V{});
  EXPECT_EQ(Tok("'quoted' rock'n'roll o'"), (V{"quoted", "rock'n'roll", "o"}));
}

TEST(Tokenizer, UnicodeLowercaseAndPunctuation) {
  // Ä Ö Ü É -> ä ö ü é; Greek and Cyrillic capitals; Ł (Latin Extended-A).
  EXPECT_EQ(Tok("ÄÖÜ Écrit ΑΘΗΝΑ МОСКВА ŁÓDŹ"),
            (V{"äöü", "écrit", "αθηνα", "москва", "łódź"}));
  // General punctuation (em dash, curly quotes, ellipsis) splits; U+2019 apostrophe stays.
  EXPECT_EQ(Tok("a\xE2\x80\x94" "b \xE2\x80\x9C" "c\xE2\x80\x9D d\xE2\x80\xA6 don\xE2\x80\x99t"),
            (V{"a", "b", "c", "d", "don't"}));
  EXPECT_EQ(Tok("日本語 テスト"), (V{"日本語", "テスト"}));
}

TEST(Tokenizer, InvalidUtf8IsASeparatorNeverAToken) {
  const std::string bad = std::string("ab\xFF" "cd\xC0\xAF" "ef\xED\xA0\x80gh\xE2\x82") + "";
  EXPECT_EQ(Tok(bad), (V{"ab", "cd", "ef", "gh"}));
  EXPECT_EQ(Tok("\x80\x80\x80"), V{});
  // Every output token is valid UTF-8 for random bytes.
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 2654435761u) >> 13));
  for (const auto& t : Tok(junk)) {
    const auto* p = reinterpret_cast<const unsigned char*>(t.data());
    for (size_t i = 0; i < t.size();) {
      size_t len;
      ASSERT_NE(ek::text::DecodeUtf8(p + i, p + t.size(), &len), 0xFFFFFFFFu);
      i += len;
    }
  }
}

TEST(Tokenizer, NumbersAndLengthLimits) {
  EXPECT_EQ(Tok("in 1993 the x11 r5", EK_TEXT_LOWERCASE | EK_TEXT_DROP_NUMBERS),
            (V{"in", "the", "x11", "r5"}));
  EXPECT_EQ(Tok("in 1993 the x11", EK_TEXT_LOWERCASE | EK_TEXT_NUMBERS_AS_HASH),
            (V{"in", "####", "the", "x##"}));
  EXPECT_EQ(Tok("a an the aaaaaaaaaa", EK_TEXT_LOWERCASE, 2, 5), (V{"an", "the"}));
}

TEST(Tokenizer, EmailHeadersAndQuotes) {
  const std::string post =
      "From: someone@example.com (Some One)\n"
      "Subject: Re: Re: Clipper chip\n"
      "Organization: Example\n"
      "  continued organisation line\n"
      "Lines: 5\n"
      "\n"
      "In article <abc@x.org>, bob@x.org writes:\n"
      "> quoted text here\n"
      "| also quoted\n"
      "The encryption key is escrowed.\n";
  const uint32_t base = EK_TEXT_LOWERCASE;
  V all = Tok(post, base);
  EXPECT_EQ(all.front(), "from");
  EXPECT_EQ(Tok(post, base | EK_TEXT_STRIP_HEADERS | EK_TEXT_STRIP_QUOTES),
            (V{"the", "encryption", "key", "is", "escrowed"}));
  EXPECT_EQ(Tok(post, base | EK_TEXT_STRIP_HEADERS | EK_TEXT_KEEP_SUBJECT | EK_TEXT_STRIP_QUOTES),
            (V{"clipper", "chip", "the", "encryption", "key", "is", "escrowed"}));
  V no_quotes = Tok(post, base | EK_TEXT_STRIP_HEADERS);
  EXPECT_EQ(no_quotes.front(), "in");
  // A text without headers is untouched by the option.
  EXPECT_EQ(Tok("Note: this is text\nmore", base | EK_TEXT_STRIP_HEADERS).size(), 5u);
  EXPECT_EQ(Tok("plain text", base | EK_TEXT_STRIP_HEADERS), (V{"plain", "text"}));
  // Only headers, no body.
  EXPECT_EQ(Tok("From: a\nSubject: b\n", base | EK_TEXT_STRIP_HEADERS), V{});
}

TEST(Tokenizer, BufferVariantReportsSizes) {
  const std::string text = "Alpha, beta GAMMA";
  size_t need_text = 0, need_tokens = 0;
  EXPECT_EQ(T()->tokenize(text.data(), text.size(), nullptr, nullptr, 0, nullptr, 0, &need_text,
                          &need_tokens),
            EK_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(need_text, 16u);  // "alpha beta gamma"
  EXPECT_EQ(need_tokens, 3u);
  std::string buf(need_text, '?');
  std::vector<ek_token> toks(need_tokens);
  ASSERT_EQ(T()->tokenize(text.data(), text.size(), nullptr, buf.data(), buf.size(), toks.data(),
                          toks.size(), &need_text, &need_tokens),
            EK_OK);
  EXPECT_EQ(buf, "alpha beta gamma");
  EXPECT_EQ(toks[2].offset, 11u);
  EXPECT_EQ(toks[2].length, 5u);
  EXPECT_EQ(T()->tokenize(nullptr, 3, nullptr, nullptr, 0, nullptr, 0, nullptr, nullptr),
            EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(T()->tokenize(nullptr, 0, nullptr, nullptr, 0, nullptr, 0, &need_text, &need_tokens),
            EK_OK);
  EXPECT_EQ(need_tokens, 0u);
}

TEST(Tokenizer, EarlyStop) {
  int seen = 0;
  EXPECT_EQ(T()->tokenize_each("a b c d", 7, nullptr,
                               [](void* u, const char*, size_t) -> int32_t {
                                 return ++*static_cast<int*>(u) == 2 ? 1 : 0;
                               },
                               &seen),
            EK_OK);
  EXPECT_EQ(seen, 2);
}

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string(name) + "_" + std::to_string(::getpid()) + ".ekwv"))
      .string();
}

TEST(WordVectors, RoundTripThroughTheCTable) {
  std::vector<std::string> words;
  std::vector<float> m;
  const uint32_t dim = 7;
  for (int i = 0; i < 1000; ++i) {
    words.push_back("w" + std::to_string(i * 7919 % 100003));
    for (uint32_t d = 0; d < dim; ++d) m.push_back(static_cast<float>(i) + 0.125f * d);
  }
  words.push_back("ünïcödé");
  for (uint32_t d = 0; d < dim; ++d) m.push_back(-1.0f);
  const std::string path = TempPath("wv");
  ek::text::WriteWordVectors(path, words, m.data(), dim);
  ek_wordvec* t = nullptr;
  char err[256];
  ASSERT_EQ(T()->wordvec_open(path.c_str(), &t, err, sizeof err), EK_OK) << err;
  EXPECT_EQ(T()->wordvec_dim(t), dim);
  EXPECT_EQ(T()->wordvec_count(t), words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    int64_t idx = T()->wordvec_find(t, words[i].data(), words[i].size());
    ASSERT_EQ(idx, static_cast<int64_t>(i)) << words[i];
    const float* v = T()->wordvec_vector(t, static_cast<uint64_t>(idx));
    EXPECT_EQ(v[3], m[i * dim + 3]);
    size_t len = 0;
    const char* w = T()->wordvec_word(t, i, &len);
    EXPECT_EQ(std::string(w, len), words[i]);
  }
  EXPECT_EQ(T()->wordvec_find(t, "absent", 6), -1);
  EXPECT_EQ(T()->wordvec_find(t, "", 0), -1);
  EXPECT_EQ(T()->wordvec_vector(t, words.size()), nullptr);
  T()->wordvec_close(t);
  std::filesystem::remove(path);
}

TEST(WordVectors, BadFilesGiveClearErrors) {
  ek_wordvec* t = nullptr;
  char err[256];
  EXPECT_EQ(T()->wordvec_open("/nonexistent/x.ekwv", &t, err, sizeof err), EK_ERR_IO);
  EXPECT_NE(std::string(err).find("cannot open"), std::string::npos) << err;
  const std::string path = TempPath("bad");
  {
    std::ofstream f(path, std::ios::binary);
    f << std::string(200, 'x');
  }
  EXPECT_EQ(T()->wordvec_open(path.c_str(), &t, err, sizeof err), EK_ERR_CORRUPT);
  EXPECT_NE(std::string(err).find("bad magic"), std::string::npos) << err;
  // A valid file truncated: the header's size check catches it.
  std::vector<std::string> words = {"a", "b"};
  std::vector<float> m = {1, 2, 3, 4};
  ek::text::WriteWordVectors(path, words, m.data(), 2);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4);
  EXPECT_EQ(T()->wordvec_open(path.c_str(), &t, err, sizeof err), EK_ERR_CORRUPT);
  EXPECT_EQ(t, nullptr);
  std::filesystem::remove(path);
}

TEST(WordVectors, GloveTableFromSetup) {
  if (!std::filesystem::exists(EK_GLOVE_FILE)) {
    GTEST_SKIP() << "no " << EK_GLOVE_FILE << " (run scripts/setup.sh to convert GloVe)";
  }
  ek_wordvec* t = nullptr;
  char err[256];
  ASSERT_EQ(T()->wordvec_open(EK_GLOVE_FILE, &t, err, sizeof err), EK_OK) << err;
  EXPECT_EQ(T()->wordvec_dim(t), 100u);
  EXPECT_EQ(T()->wordvec_count(t), 341479u);
  EXPECT_EQ(T()->wordvec_find(t, "the", 3), 0);
  auto cos = [&](const char* a, const char* b) {
    const float* x = T()->wordvec_vector(t, T()->wordvec_find(t, a, strlen(a)));
    const float* y = T()->wordvec_vector(t, T()->wordvec_find(t, b, strlen(b)));
    double d = 0, nx = 0, ny = 0;
    for (int i = 0; i < 100; ++i) d += x[i] * y[i], nx += x[i] * x[i], ny += y[i] * y[i];
    return d / std::sqrt(nx * ny);
  };
  // GloVe 6B: "the" starts -0.038194 -0.24487 0.72812.
  EXPECT_NEAR(T()->wordvec_vector(t, 0)[2], 0.72812f, 1e-6);
  EXPECT_GT(cos("hockey", "nhl"), cos("hockey", "encryption") + 0.3);
  T()->wordvec_close(t);
}

}  // namespace
