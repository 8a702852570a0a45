// ek_host::json_check through the host table, end to end: a probe plugin module
// (json_check_probe.c) forwards each encoded item to it and passes the host's reason
// on, so these tests see what a plugin sees: the status, the offset and last_error's
// "byte N: reason".
#include <embedkit/embedkit.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

class JsonCheckHost : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ek_context_create(nullptr, &context_), EK_OK) << ek_last_error();
    const char* id = nullptr;
    ASSERT_EQ(ek_plugin_load(context_, EK_JSON_CHECK_PROBE, &id), EK_OK) << ek_last_error();
  }
  void TearDown() override { ek_context_free(context_); }

  // Encodes one item with a probe created from `config`; the call's status.
  ek_status Check(const std::string& item, const char* config = "{}") {
    ek_instance* probe = nullptr;
    EXPECT_EQ(ek_instance_create(context_, "test.json_check_probe", config, &probe), EK_OK)
        << ek_last_error();
    if (!probe) return EK_ERR_INTERNAL;
    const ek_string_view view{item.data(), item.size()};
    float out = 0;
    const ek_status s = ek_encode(probe, &view, 1, &out, 1, nullptr);
    ek_instance_free(probe);
    return s;
  }

  ek_context* context_ = nullptr;
};

std::string LastError() { return ek_last_error(); }

TEST_F(JsonCheckHost, AcceptsAnyJsonValue) {
  for (const char* ok : {"{\"a\": [1, 2]}", "[]", "\"text\"", "-1.5e3", "null"})
    EXPECT_EQ(Check(ok), EK_OK) << ok << ": " << LastError();
}

TEST_F(JsonCheckHost, ReportsTheOffsetAndTheReasonAsByteColonReason) {
  EXPECT_EQ(Check("{\"title\" \"x\"}"), EK_ERR_PARSE);
  EXPECT_NE(LastError().find("item 0 (offset 9): byte 9: expected ':' after key"),
            std::string::npos)
      << LastError();
  EXPECT_EQ(Check(""), EK_ERR_PARSE);
  EXPECT_NE(LastError().find("(offset 0): byte 0: empty input, expected a JSON value"),
            std::string::npos)
      << LastError();
  // A NUL byte inside the text is data, not its end.
  EXPECT_EQ(Check(std::string("[1,\0 2]", 7)), EK_ERR_PARSE);
  EXPECT_NE(LastError().find("(offset 3): byte 3: unexpected byte 0x00, expected a value"),
            std::string::npos)
      << LastError();
}

TEST_F(JsonCheckHost, DepthBeyondTheLimitIsALimitError) {
  const std::string nine = std::string(9, '[') + std::string(9, ']');
  EXPECT_EQ(Check(nine, "{\"max_depth\": 9}"), EK_OK) << LastError();
  EXPECT_EQ(Check(nine, "{\"max_depth\": 8}"), EK_ERR_LIMIT);
  EXPECT_NE(LastError().find("(offset 8): byte 8: nesting deeper than 8 levels"),
            std::string::npos)
      << LastError();
  // 0 means the host's own limit, 1024.
  const std::string deep = std::string(1100, '[') + std::string(1100, ']');
  EXPECT_EQ(Check(deep), EK_ERR_LIMIT);
  EXPECT_NE(LastError().find("byte 1024: nesting deeper than 1024 levels"), std::string::npos)
      << LastError();
}

}  // namespace
