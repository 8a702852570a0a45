#include "json/json.h"

#include <gtest/gtest.h>

#include <string>

#include "base/error.h"
#include "../error_of.h"

namespace ek::json {
namespace {

std::string ParseError(std::string_view text) {
  return ErrorOf([&] { ValidateObject(text, "metadata of row 3 ('doc-7')"); }, EK_ERR_PARSE);
}

TEST(ValidateObject, AcceptsObjects) {
  EXPECT_NO_THROW(ValidateObject("{}", "x"));
  EXPECT_NO_THROW(ValidateObject("  {\"a\": [1, 2.5, -3e2, true, false, null, \"s\\u00e9\\n\"],"
                                 " \"b\": {\"c\": {}}}  \n",
                                 "x"));
  EXPECT_NO_THROW(ValidateObject("{\"emoji\":\"\\ud83d\\ude00 \xF0\x9F\x98\x80\"}", "x"));
}

struct Malformed {
  const char* text;
  const char* reason;  // expected words in the message
  size_t offset;
};

class MalformedTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedTest, NamesReasonAndOffset) {
  const Malformed& m = GetParam();
  const std::string msg = ParseError(m.text);
  EXPECT_EQ(msg.rfind("metadata of row 3 ('doc-7'): ", 0), 0u) << msg;
  EXPECT_NE(msg.find(m.reason), std::string::npos) << msg;
  EXPECT_NE(msg.find("at byte " + std::to_string(m.offset)), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Json, MalformedTest,
    ::testing::Values(
        Malformed{"{\"title\" \"x\"}", "expected ':' after key", 9},
        Malformed{"{\"a\":1,}", "expected a string key after ','", 7},
        Malformed{"{\"a\":1 \"b\":2}", "expected ',' or '}'", 7},
        Malformed{"{\"a\":tru}", "invalid literal, expected 'true'", 5},
        Malformed{"{\"a\":01}", "leading zeros", 5},
        Malformed{"{\"a\":-}", "expected a digit after '-'", 5},
        Malformed{"{\"a\":1.}", "expected a digit after '.'", 5},
        Malformed{"{\"a\":\"abc", "unterminated string: the input ends inside the string opened at byte 5", 9},
        Malformed{"{\"a\":\"\\x\"}", "invalid escape", 6},
        Malformed{"{\"a\":\"\\u12g4\"}", "4 hex digits", 10},
        Malformed{"{\"a\":\"a\tb\"}", "control character U+0009", 7},
        Malformed{"{\"a\":\"\xC3\x28\"}", "invalid UTF-8 in a string: byte 0xC3 starts a 2-byte character that is cut short", 6},
        Malformed{"{\"a\":1}x", "after the end of the JSON value", 7},
        Malformed{"{\"a\":1} {}", "after the end of the JSON value", 8},
        Malformed{"{\"a\":[1,2}", "expected ',' or ']'", 9},
        Malformed{"{\"a\":", "unexpected end of input, expected a value", 5},
        Malformed{"{\"a\":1", "unexpected end of input inside the object opened at byte 0", 6},
        Malformed{"", "empty input", 0},
        Malformed{"   ", "empty input", 3},
        Malformed{"[1,2]", "expected a JSON object, got an array", 0},
        Malformed{" \"str\"", "expected a JSON object, got a string", 1},
        Malformed{"42", "expected a JSON object, got a number", 0},
        Malformed{"{\"a\":1e999}", "out of the range of a double", 5},
        Malformed{"{\"a\":{\"b\":nul}}", "expected 'null'", 10}));

TEST(ValidateObject, DeepNestingIsRejectedWithOffset) {
  std::string text = "{\"a\":";
  for (int i = 0; i < 1100; ++i) text += "[";
  for (int i = 0; i < 1100; ++i) text += "]";
  text += "}";
  const std::string msg = ParseError(text);
  EXPECT_NE(msg.find("at byte "), std::string::npos) << msg;
}

TEST(ValidateObject, BigIntegers) {
  // simdjson accepts integers up to 2^64-1; past that we must report where.
  EXPECT_NO_THROW(ValidateObject("{\"a\":18446744073709551615}", "x"));
  const std::string msg = ParseError("{\"a\":184467440737095516160}");
  EXPECT_NE(msg.find("at byte 5"), std::string::npos) << msg;
}

TEST(ValidateObject, ObjectProblemReportsWithoutThrowing) {
  EXPECT_EQ(ObjectProblem("{\"a\":1}"), "");
  EXPECT_EQ(ObjectProblem("{\"a\" 1}"), "expected ':' after key at byte 5");
  EXPECT_EQ(ObjectProblem("null"), "expected a JSON object, got null at byte 0");
}

TEST(Utf8, Validates) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9"));
  EXPECT_FALSE(IsValidUtf8("bad \xC3\x28"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // encoded surrogate
}

TEST(Config, TypedGetters) {
  Config c("{\"name\":\"x\",\"threads\":4,\"ratio\":0.25,\"on\":true,\"big\":1e3,\"none\":null,"
           "\"huge\":18446744073709551615,\"frac\":1.5}",
           "context config");
  EXPECT_TRUE(c.Has("name"));
  EXPECT_TRUE(c.Has("none"));
  EXPECT_FALSE(c.Has("absent"));
  EXPECT_EQ(c.GetString("name", "d"), "x");
  EXPECT_EQ(c.GetString("absent", "d"), "d");
  EXPECT_EQ(c.GetString("none", "d"), "d");
  EXPECT_EQ(c.GetInt("threads", 1), 4);
  EXPECT_EQ(c.GetInt("big", 1), 1000);
  EXPECT_EQ(c.GetInt("absent", -5), -5);
  EXPECT_DOUBLE_EQ(c.GetDouble("ratio", 0), 0.25);
  EXPECT_DOUBLE_EQ(c.GetDouble("threads", 0), 4.0);
  EXPECT_DOUBLE_EQ(c.GetDouble("absent", 9.5), 9.5);
  EXPECT_TRUE(c.GetBool("on", false));
  EXPECT_FALSE(c.GetBool("absent", false));
  EXPECT_EQ(c.Keys(), (std::vector<std::string>{"name", "threads", "ratio", "on", "big", "none",
                                                "huge", "frac"}));
}

TEST(Config, WrongTypesThrowWithKeyAndTypes) {
  Config c("{\"name\":\"x\",\"threads\":4,\"on\":true,\"list\":[1],\"huge\":18446744073709551615,"
           "\"frac\":1.5}",
           "context config");
  std::string msg = ErrorOf([&] { c.GetInt("name", 0); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("context config: 'name' must be an integer, got a string"), std::string::npos)
      << msg;
  msg = ErrorOf([&] { c.GetInt("frac", 0); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("'frac' must be an integer"), std::string::npos) << msg;
  msg = ErrorOf([&] { c.GetInt("huge", 0); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("'huge'"), std::string::npos) << msg;
  msg = ErrorOf([&] { c.GetString("threads", ""); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("'threads' must be a string, got a number"), std::string::npos) << msg;
  msg = ErrorOf([&] { c.GetDouble("on", 0); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("'on' must be a number, got a boolean"), std::string::npos) << msg;
  msg = ErrorOf([&] { c.GetBool("threads", false); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("'threads' must be a boolean, got a number"), std::string::npos) << msg;
  msg = ErrorOf([&] { c.GetString("list", ""); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("got an array"), std::string::npos) << msg;
}

TEST(Config, MalformedTextThrowsParseWithOffset) {
  const std::string msg =
      ErrorOf([] { Config c("{\"a\":1,,}", "plugin config"); }, EK_ERR_PARSE);
  EXPECT_NE(msg.find("plugin config: expected a string key after ','"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at byte 7"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ek::json
