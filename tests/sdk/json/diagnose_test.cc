// The one JSON diagnosis (diagnose.h) and CheckValue, the work of ek_host::json_check:
// offsets point at the first offending byte, depth limits are the caller's, any JSON
// value is accepted at the root. The first cases are vsa_json's, from when it had an
// explainer of its own.
#include "json/diagnose.h"

#include <gtest/gtest.h>

#include <string>

#include "json/json.h"

namespace ek::json {
namespace {

struct Case {
  std::string text;
  size_t offset;
  const char* reason;  // words the reason must contain
};

void ExpectDiagnosis(const Case& c, size_t max_depth = kMaxCheckDepth) {
  const auto d = CheckValue(c.text, max_depth);
  ASSERT_TRUE(d.has_value()) << c.text;
  EXPECT_EQ(d->offset, c.offset) << c.text << ": " << d->reason;
  EXPECT_NE(d->reason.find(c.reason), std::string::npos) << d->reason;
  EXPECT_FALSE(d->too_deep) << d->reason;
  // simdjson's verdict and the walk's agree: the walk alone finds the same byte.
  const auto walked = Diagnose(c.text, max_depth);
  ASSERT_TRUE(walked.has_value());
  EXPECT_EQ(walked->offset, c.offset);
}

TEST(Diagnose, NamesTheFirstOffendingByte) {
  const Case cases[] = {
      {R"({"a": 1,, "b": 2})", 8, "expected a string key after ','"},
      {R"({"a": [1, 2})", 11, "expected ',' or ']' after a value in an array, got '}'"},
      {"{\"a\": \"\xff\"}", 7, "invalid UTF-8 in a string: byte 0xFF cannot start a character"},
      {"", 0, "empty input, expected a JSON value"},
      {"tru", 0, "invalid literal, expected 'true'"},
      {"{\"x\" 1}", 5, "expected ':' after key"},
      {"\"\\u00zz\"", 5, "\\u must be followed by 4 hex digits"},
      {"\"\\u12", 5, "\\u must be followed by 4 hex digits"},
      {"\"abc", 4, "unterminated string: the input ends inside the string opened at byte 0"},
      {"\"\xE2\x82\"", 1, "starts a 3-byte character that is cut short"},
      {"\"\xED\xA0\x80\"", 1, "an encoded surrogate"},
      {"\"\\ud800\"", 1, "high surrogate \\u escape not followed by a low surrogate"},
      {"\"\\udc00\"", 1, "lone low surrogate"},
      {"[1, 184467440737095516160]", 4, "does not fit in 64 bits"},
      {"[1]]", 3, "unexpected ']' after the end of the JSON value"},
      {"[1 2]", 3, "expected ',' or ']'"},
      {"[\"a\"\x01]", 4, "expected ',' or ']' after a value in an array, got byte 0x01"},
  };
  for (const Case& c : cases) ExpectDiagnosis(c);
}

TEST(Diagnose, AcceptsEveryKindOfValueAtTheRoot) {
  for (const char* text : {"3", "-0.5e-3", "\"a\"", "[1, {\"b\": null}]", "true", " null ",
                           "{\"k\":\"\\ud83d\\ude00 \xF0\x9F\x98\x80\"}"}) {
    EXPECT_FALSE(CheckValue(text, 0).has_value()) << text;
    EXPECT_FALSE(Diagnose(text, kMaxCheckDepth).has_value()) << text;
  }
}

std::string Nested(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

TEST(Diagnose, DepthIsTheCallersLimit) {
  EXPECT_FALSE(CheckValue(Nested(8), 8).has_value());
  const auto d = CheckValue(Nested(9), 8);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->too_deep);
  EXPECT_EQ(d->offset, 8u);
  EXPECT_EQ(d->reason, "nesting deeper than 8 levels");
}

TEST(Diagnose, DepthAboveTheHostsLimitIsCapped) {
  EXPECT_FALSE(CheckValue(Nested(1000), 0).has_value());
  for (size_t asked : {size_t{0}, size_t{5000}}) {
    const auto d = CheckValue(Nested(1100), asked);
    ASSERT_TRUE(d.has_value()) << asked;
    EXPECT_TRUE(d->too_deep) << d->reason;
    EXPECT_EQ(d->offset, kMaxCheckDepth) << d->reason;
  }
}

TEST(Diagnose, TextsBeyondTheParserLimitAreWalked) {
  // 17 MiB: above kMaxDocumentBytes, checked by the grammar pass without a parser.
  std::string big = "\"" + std::string(kMaxDocumentBytes + (size_t{1} << 20), 'x');
  const auto d = CheckValue(big, 0);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->offset, big.size());
  big += "\"";
  EXPECT_FALSE(CheckValue(big, 0).has_value());
}

}  // namespace
}  // namespace ek::json
