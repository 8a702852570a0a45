// plugins/common as the bundled plugins use it, seen through the public C API: the
// config reader's range messages (integers printed as integers), host failures passed
// on with the host's words, the entry-point guard's "<function>: <reason>" in both
// error channels, a plugin's JSON error explained by the host (json_syntax.h); and
// the JSON quoter directly; ek_host::config_bool and ConfigReader::Bool through the
// host a plugin gets; the matcher's words (matcher_text.h) with table_match's signals.
#include <embedkit/embedkit.h>
#include <embedkit/ext/classifier.h>
#include <embedkit/ext/matcher.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>

#include "config_reader.h"
#include "error.h"
#include "json_quote.h"
#include "matcher_text.h"

namespace {

ek_context* Shared() {
  static ek_context* context = [] {
    ek_context* c = nullptr;
    EXPECT_EQ(ek_context_create(nullptr, &c), EK_OK) << ek_last_error();
    return c;
  }();
  return context;
}

// Creates an instance of `plugin` from `config`: its status; ek_last_error() has the reason.
ek_status Create(const char* plugin, const std::string& config) {
  ek_instance* instance = nullptr;
  const ek_status s = ek_instance_create(Shared(), plugin, config.c_str(), &instance);
  ek_instance_free(instance);
  return s;
}

std::string LastError() { return ek_last_error(); }

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

TEST(ConfigReader, RangesArePrintedAsTheirKind) {
  EXPECT_EQ(Create("embedkit.text_classify", R"({"hash_bits": 8})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(LastError(), "config \"hash_bits\" is 8; use 10..24");
  EXPECT_EQ(Create("embedkit.text_classify", R"({"scale": 0})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(LastError(), "config \"scale\" is 0; use 0.001..10000");
  EXPECT_EQ(Create("embedkit.table_match", R"({"max_columns": 0})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(LastError(), "config \"max_columns\" is 0; use 1..10000000");
}

TEST(ConfigReader, WrongTypesCarryTheHostsReason) {
  EXPECT_EQ(Create("embedkit.text_classify", R"({"hash_bits": "x"})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(LastError(), "reading config \"hash_bits\" failed: ");
  EXPECT_CONTAINS(LastError(), "'hash_bits' must be an integer, got a string");
}

TEST(ConfigReader, BooleansAreReadByTheHost) {
  // text_classify reads its booleans through ek_host::config_bool now: the host's reason.
  EXPECT_EQ(Create("embedkit.text_classify", R"({"lowercase": 1})"), EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(LastError(), "reading config \"lowercase\" failed: ");
  EXPECT_CONTAINS(LastError(), "'lowercase' must be a boolean, got a number");
  EXPECT_EQ(Create("embedkit.text_classify", R"({"lowercase": false, "word_bigrams": null})"), EK_OK)
      << LastError();
}

#ifdef EK_HOST_PROBE_PLUGIN  // native only: the probe is a dlopen()ed module
// ek_host::config_bool itself, and ConfigReader::Bool over it, through the host a
// plugin gets (fixture_host_probe lends it).
class HostConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ek_context_create(nullptr, &context_), EK_OK) << LastError();
    ASSERT_EQ(ek_plugin_load(context_, EK_HOST_PROBE_PLUGIN, nullptr), EK_OK) << LastError();
    ASSERT_EQ(ek_instance_create(context_, "test.host_probe", nullptr, &instance_), EK_OK) << LastError();
    host_ = static_cast<const ek_host*>(ek_instance_plugin_data(instance_));
    ASSERT_GE(host_->struct_size, offsetof(ek_host, config_bool) + sizeof host_->config_bool);
  }
  void TearDown() override {
    ek_instance_free(instance_);
    ek_context_free(context_);
  }
  // config_bool's status; *out starts at 7 so that an untouched value shows.
  ek_status Lookup(const std::string& json, uint32_t fallback, uint32_t* out) const {
    *out = 7;
    return host_->config_bool(host_, json.data(), json.size(), "flag", fallback, out);
  }
  ek_context* context_ = nullptr;
  ek_instance* instance_ = nullptr;
  const ek_host* host_ = nullptr;
};

TEST_F(HostConfig, ConfigBoolReadsTrueFalseAndFallsBackWhenMissing) {
  uint32_t v = 0;
  ASSERT_EQ(Lookup(R"({"flag": true})", 0, &v), EK_OK);
  EXPECT_EQ(v, 1u);
  ASSERT_EQ(Lookup(R"({"flag": false})", 1, &v), EK_OK);
  EXPECT_EQ(v, 0u);
  ASSERT_EQ(Lookup(R"({"other": true})", 1, &v), EK_OK);
  EXPECT_EQ(v, 1u);
  ASSERT_EQ(Lookup(R"({"flag": null})", 0, &v), EK_OK);
  EXPECT_EQ(v, 0u);
  ASSERT_EQ(Lookup("", 5, &v), EK_OK);  // no config: the fallback, as a 0/1 value
  EXPECT_EQ(v, 1u);
  EXPECT_EQ(host_->config_bool(host_, "{}", 2, "flag", 0, nullptr), EK_ERR_INVALID_ARGUMENT);
}

TEST_F(HostConfig, ConfigBoolRefusesOtherTypesWithTheHostsReason) {
  uint32_t v = 0;
  EXPECT_EQ(Lookup(R"({"flag": "true"})", 0, &v), EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(host_->last_error(host_), "'flag' must be a boolean, got a string");
  EXPECT_EQ(v, 7u);
  EXPECT_EQ(Lookup(R"({"flag": 1})", 0, &v), EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(host_->last_error(host_), "'flag' must be a boolean, got a number");
  const std::string config = R"({"flag": true, "n": 0})";
  const ek_plugin::ConfigReader reader(host_, config.data(), config.size());
  EXPECT_TRUE(reader.Bool("flag", false));
  EXPECT_FALSE(reader.Bool("missing", false));
  try {
    reader.Bool("n", true);
    ADD_FAILURE() << "a number was read as a boolean";
  } catch (const ek_plugin::Error& e) {
    EXPECT_EQ(e.status, EK_ERR_INVALID_ARGUMENT);
    EXPECT_CONTAINS(e.message, "reading config \"n\" failed: ");
    EXPECT_CONTAINS(e.message, "'n' must be a boolean, got a number");
  }
}
#endif

TEST(ConfigReader, StringsOfAnyLengthAreReadWhole) {
  // The model path is read whole (table_match capped strings at 4095 bytes before).
  const std::string path = "/nonexistent/" + std::string(5000, 'm') + ".json";
  EXPECT_EQ(Create("embedkit.table_match", "{\"model\": \"" + path + "\"}"), EK_ERR_IO);
  EXPECT_CONTAINS(LastError(), "cannot read model file '" + path + "'");
}

TEST(Guard, EntryPointFailuresNameTheFunctionInBothChannels) {
  ek_instance* instance = nullptr;
  ASSERT_EQ(ek_instance_create(Shared(), "embedkit.table_match", "{}", &instance), EK_OK)
      << LastError();
  const void* table = nullptr;
  ASSERT_EQ(ek_instance_get_extension(instance, EK_EXT_MATCHER, &table), EK_OK);
  const auto* matcher = static_cast<const ek_matcher_ext*>(table);
  void* self = ek_instance_plugin_data(instance);
  size_t count = 0;
  EXPECT_EQ(matcher->count(self, 7, &count), EK_ERR_INVALID_ARGUMENT);
  const std::string reason = "count: side must be EK_MATCHER_SOURCE (0) or EK_MATCHER_TARGET (1)";
  EXPECT_EQ(std::string(matcher->last_error(self)), reason);
  EXPECT_EQ(matcher->count(self, EK_MATCHER_SOURCE, &count), EK_OK);
  EXPECT_EQ(std::string(matcher->last_error(self)), "");  // cleared by a success
  ek_instance_free(instance);
}

TEST(JsonSyntaxError, APluginsMalformedJsonIsExplainedByTheHost) {
  ek_instance* instance = nullptr;
  ASSERT_EQ(ek_instance_create(Shared(), "embedkit.text_classify", "{}", &instance), EK_OK)
      << LastError();
  const void* table = nullptr;
  ASSERT_EQ(ek_instance_get_extension(instance, EK_EXT_CLASSIFIER, &table), EK_OK);
  const auto* classifier = static_cast<const ek_classifier_ext*>(table);
  void* self = ek_instance_plugin_data(instance);
  const std::string labels = R"({"spam" ["win"]})";
  EXPECT_EQ(classifier->set_labels_json(self, labels.data(), labels.size()), EK_ERR_PARSE);
  EXPECT_EQ(std::string(classifier->last_error(self)),
            "set_labels_json: labels are not valid JSON: byte 8: expected ':' after key");
  ek_instance_free(instance);
}

TEST(JsonQuote, EscapesWhatJsonRequiresAndKeepsUtf8) {
  EXPECT_EQ(ek_plugin::JsonQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(ek_plugin::JsonQuote("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(ek_plugin::JsonQuote(std::string("\x01\0x", 3)), "\"\\u0001\\u0000x\"");
  EXPECT_EQ(ek_plugin::JsonQuote("caf\xC3\xA9 /"), "\"caf\xC3\xA9 /\"");
  EXPECT_EQ(ek_plugin::JsonQuote("\b\f"), "\"\\b\\f\"");
  // Bytes outside well-formed UTF-8 (a Latin-1 byte, a cut sequence, an encoded
  // surrogate) become U+FFFD, so the result is always valid JSON.
  EXPECT_EQ(ek_plugin::JsonQuote("a\xE9" "b"), "\"a\xEF\xBF\xBD" "b\"");
  EXPECT_EQ(ek_plugin::JsonQuote("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(ek_plugin::JsonQuote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(MatcherText, FormatNamesAndTheirShortForms) {
  EXPECT_EQ(ek_plugin::MatcherFormatNamed("auto"), EK_MATCHER_FORMAT_AUTO);
  EXPECT_EQ(ek_plugin::MatcherFormatNamed("schema-json"), EK_MATCHER_FORMAT_SCHEMA_JSON);
  EXPECT_EQ(ek_plugin::MatcherFormatNamed("ddl"), EK_MATCHER_FORMAT_SQL_DDL);
  EXPECT_EQ(ek_plugin::MatcherFormatNamed("sql"), EK_MATCHER_FORMAT_SQL_DDL);
  EXPECT_EQ(ek_plugin::MatcherFormatNamed("glossary-json"), EK_MATCHER_FORMAT_GLOSSARY_JSON);
  EXPECT_EQ(ek_plugin::MatcherFormatNamed("glossary-csv"), EK_MATCHER_FORMAT_GLOSSARY_CSV);
  EXPECT_EQ(ek_plugin::MatcherFormatNamed("csv"), EK_MATCHER_FORMAT_GLOSSARY_CSV);
  for (const char* other : {"", "DDL", "json", "glossary"}) {
    EXPECT_EQ(ek_plugin::MatcherFormatNamed(other), std::nullopt) << other;
  }
}

TEST(MatcherText, TopSignalsAreThePositiveContributionsBestFirst) {
  ek_instance* instance = nullptr;
  ASSERT_EQ(ek_instance_create(Shared(), "embedkit.table_match", R"({"wordvec": "none"})", &instance), EK_OK)
      << LastError();
  const void* table = nullptr;
  ASSERT_EQ(ek_instance_get_extension(instance, EK_EXT_MATCHER, &table), EK_OK);
  const auto& matcher = *static_cast<const ek_matcher_ext*>(table);
  void* self = ek_instance_plugin_data(instance);
  ASSERT_GE(matcher.signal_count(self), 5u);
  auto name = [&](size_t q) { return std::string(matcher.signal_name(self, q)); };
  const float contributions[5] = {0.1f, 0.524f, -0.3f, 0.0f, 0.2f};
  ek_matcher_candidate c{};
  c.struct_size = sizeof c;
  c.signal_count = 5;
  c.contributions = contributions;
  EXPECT_EQ(ek_plugin::MatcherTopSignals(matcher, self, c),
            name(1) + " +0.52, " + name(4) + " +0.20, " + name(0) + " +0.10");
  EXPECT_EQ(ek_plugin::MatcherTopSignals(matcher, self, c, 1), name(1) + " +0.52");
  c.signal_count = 4;  // 0.1, 0.524, -0.3, 0: the negative and the zero say nothing
  EXPECT_EQ(ek_plugin::MatcherTopSignals(matcher, self, c, 4), name(1) + " +0.52, " + name(0) + " +0.10");
  const float none[2] = {-0.5f, 0.0f};
  c.signal_count = 2;
  c.contributions = none;
  EXPECT_EQ(ek_plugin::MatcherTopSignals(matcher, self, c), "");
  ek_instance_free(instance);
}

}  // namespace
