#include "json/filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "../error_of.h"
#include "json/json.h"

namespace ek::json {
namespace {

const char kRow[] =
    "{\"lang\":\"en\",\"year\":2021,\"score\":0.5,\"draft\":false,\"owner\":null,"
    "\"tags\":[\"a\"],\"big\":18446744073709551615,\"neg\":-7,\"title\":\"Fiori tools\"}";

bool Match(const std::string& filter, std::string_view row = kRow) {
  return Filter::Compile(filter).Matches(row);
}

TEST(Filter, EqualityByValueAsBefore) {
  EXPECT_TRUE(Match("{}"));
  EXPECT_TRUE(Match("{\"lang\":\"en\"}"));
  EXPECT_FALSE(Match("{\"lang\":\"de\"}"));
  EXPECT_TRUE(Match("{\"year\":2021}"));
  EXPECT_TRUE(Match("{\"year\":2.021e3}"));  // numbers compare as double
  EXPECT_FALSE(Match("{\"year\":\"2021\"}"));  // type differs: no match, no error
  EXPECT_TRUE(Match("{\"score\":0.5}"));
  EXPECT_TRUE(Match("{\"neg\":-7}"));
  EXPECT_TRUE(Match("{\"big\":18446744073709551615}"));
  EXPECT_TRUE(Match("{\"draft\":false}"));
  EXPECT_FALSE(Match("{\"draft\":0}"));
  EXPECT_TRUE(Match("{\"owner\":null}"));
  EXPECT_FALSE(Match("{\"missing\":null}"));  // absent is not null for equality
  EXPECT_FALSE(Match("{\"lang\":null}"));
  EXPECT_TRUE(Match("{\"lang\":\"en\",\"year\":2021}"));  // keys AND
  EXPECT_FALSE(Match("{\"lang\":\"en\",\"year\":1999}"));
  EXPECT_FALSE(Match("{\"lang\":\"en\",\"lang\":\"de\"}"));  // a key twice: both must hold
  EXPECT_FALSE(Match("{\"tags\":\"a\"}"));
  // Escapes are compared after unescaping, on both sides.
  EXPECT_TRUE(Match("{\"k\xC3\xA9y\":\"v\xC3\xA9\"}", "{\"k\\u00e9y\":\"v\\u00e9\"}"));
}

TEST(Filter, BadMetadataMatchesNothing) {
  EXPECT_FALSE(Match("{}", "{broken"));
  EXPECT_FALSE(Match("{}", "[1]"));
  EXPECT_FALSE(Match("{}", ""));
  EXPECT_TRUE(Match("{}", "{}"));
}

TEST(Filter, EqAndNe) {
  EXPECT_TRUE(Match("{\"lang\":{\"$eq\":\"en\"}}"));
  EXPECT_TRUE(Match("{\"owner\":{\"$eq\":null}}"));
  EXPECT_FALSE(Match("{\"year\":{\"$eq\":2022}}"));
  EXPECT_FALSE(Match("{\"lang\":{\"$ne\":\"en\"}}"));
  EXPECT_TRUE(Match("{\"lang\":{\"$ne\":\"de\"}}"));
  // $ne is the exact complement of $eq: a missing field or another type passes.
  EXPECT_TRUE(Match("{\"missing\":{\"$ne\":1}}"));
  EXPECT_TRUE(Match("{\"year\":{\"$ne\":\"2021\"}}"));
  EXPECT_FALSE(Match("{\"owner\":{\"$ne\":null}}"));
  // SQL's `lang != 'de'` (NULL and missing excluded) is $ne with $null: false.
  EXPECT_FALSE(Match("{\"missing\":{\"$ne\":1,\"$null\":false}}"));
}

TEST(Filter, RangesOnNumbersAndStrings) {
  EXPECT_TRUE(Match("{\"year\":{\"$gte\":2021}}"));
  EXPECT_FALSE(Match("{\"year\":{\"$gt\":2021}}"));
  EXPECT_TRUE(Match("{\"year\":{\"$lte\":2021.0}}"));
  EXPECT_FALSE(Match("{\"year\":{\"$lt\":2021}}"));
  EXPECT_TRUE(Match("{\"year\":{\"$gt\":2000,\"$lt\":2030}}"));  // operators of one field AND
  EXPECT_FALSE(Match("{\"year\":{\"$gt\":2000,\"$lt\":2010}}"));
  EXPECT_TRUE(Match("{\"neg\":{\"$lt\":-6.5}}"));
  EXPECT_TRUE(Match("{\"big\":{\"$gt\":1e19}}"));
  // Strings compare bytewise: "Fiori tools" < "a" (uppercase first), "é" after "z".
  EXPECT_TRUE(Match("{\"title\":{\"$lt\":\"a\"}}"));
  EXPECT_TRUE(Match("{\"lang\":{\"$gte\":\"en\",\"$lt\":\"eo\"}}"));
  EXPECT_TRUE(Match("{\"e\":{\"$gt\":\"z\"}}", "{\"e\":\"\xC3\xA9\"}"));
  // Another type or a missing field never satisfies a range.
  EXPECT_FALSE(Match("{\"year\":{\"$gt\":\"1\"}}"));
  EXPECT_FALSE(Match("{\"lang\":{\"$gt\":0}}"));
  EXPECT_FALSE(Match("{\"draft\":{\"$lt\":1}}"));
  EXPECT_FALSE(Match("{\"missing\":{\"$lt\":1}}"));
  EXPECT_FALSE(Match("{\"tags\":{\"$gt\":\"\"}}"));
}

TEST(Filter, InAndNin) {
  EXPECT_TRUE(Match("{\"lang\":{\"$in\":[\"de\",\"en\",\"fr\"]}}"));
  EXPECT_FALSE(Match("{\"lang\":{\"$in\":[\"de\",\"fr\"]}}"));
  EXPECT_FALSE(Match("{\"lang\":{\"$in\":[]}}"));
  EXPECT_TRUE(Match("{\"year\":{\"$in\":[1999,2021.0,\"x\"]}}"));
  EXPECT_FALSE(Match("{\"year\":{\"$in\":[\"2021\"]}}"));
  EXPECT_TRUE(Match("{\"owner\":{\"$in\":[1,null]}}"));
  EXPECT_TRUE(Match("{\"draft\":{\"$in\":[false]}}"));
  EXPECT_FALSE(Match("{\"draft\":{\"$in\":[true,0]}}"));
  EXPECT_FALSE(Match("{\"missing\":{\"$in\":[null]}}"));
  EXPECT_FALSE(Match("{\"tags\":{\"$in\":[\"a\"]}}"));  // an array is in no set
  EXPECT_FALSE(Match("{\"lang\":{\"$nin\":[\"en\"]}}"));
  EXPECT_TRUE(Match("{\"lang\":{\"$nin\":[\"de\"]}}"));
  EXPECT_TRUE(Match("{\"missing\":{\"$nin\":[\"de\"]}}"));  // the complement of $in
}

TEST(Filter, Prefix) {
  EXPECT_TRUE(Match("{\"title\":{\"$prefix\":\"Fiori\"}}"));
  EXPECT_TRUE(Match("{\"title\":{\"$prefix\":\"\"}}"));
  EXPECT_TRUE(Match("{\"title\":{\"$prefix\":\"Fiori tools\"}}"));
  EXPECT_FALSE(Match("{\"title\":{\"$prefix\":\"fiori\"}}"));  // bytewise, case matters
  EXPECT_FALSE(Match("{\"title\":{\"$prefix\":\"Fiori tools!\"}}"));
  EXPECT_FALSE(Match("{\"year\":{\"$prefix\":\"20\"}}"));
  EXPECT_FALSE(Match("{\"missing\":{\"$prefix\":\"\"}}"));
}

// $iprefix is SQLite's default LIKE 'prefix%': ASCII letters fold, every other byte
// compares as itself (so UTF-8 letters keep their case).
TEST(Filter, IPrefixFoldsAsciiLettersOnly) {
  EXPECT_TRUE(Match("{\"title\":{\"$iprefix\":\"fiori\"}}"));
  EXPECT_TRUE(Match("{\"title\":{\"$iprefix\":\"FIORI TOOLS\"}}"));
  EXPECT_TRUE(Match("{\"title\":{\"$iprefix\":\"fIoRi t\"}}"));
  EXPECT_TRUE(Match("{\"title\":{\"$iprefix\":\"\"}}"));  // every string
  EXPECT_FALSE(Match("{\"title\":{\"$iprefix\":\"fiori tools!\"}}"));  // longer than the value
  EXPECT_FALSE(Match("{\"title\":{\"$iprefix\":\"fiore\"}}"));
  EXPECT_FALSE(Match("{\"title\":{\"$iprefix\":\"iori\"}}"));  // a prefix, not a substring
  // Only A-Z/a-z fold: '@' (0x40) and '`' (0x60) differ by 0x20 as letters do, and stay apart.
  EXPECT_FALSE(Match("{\"t\":{\"$iprefix\":\"@\"}}", "{\"t\":\"`x\"}"));
  EXPECT_FALSE(Match("{\"t\":{\"$iprefix\":\"[\"}}", "{\"t\":\"{x\"}"));
  // Non-ASCII bytes compare exactly: \u00e9 (C3 A9) and \u00c9 (C3 89) are not folded.
  const std::string row = "{\"t\":\"\xC3\xA9t\xC3\xA9 Ab\"}";
  EXPECT_TRUE(Match("{\"t\":{\"$iprefix\":\"\xC3\xA9T\"}}", row));
  EXPECT_TRUE(Match("{\"t\":{\"$iprefix\":\"\\u00e9T\\u00c3\"}}", "{\"t\":\"\\u00e9t\\u00c3x\"}"));
  EXPECT_FALSE(Match("{\"t\":{\"$iprefix\":\"\xC3\x89t\"}}", row));
  EXPECT_TRUE(Match("{\"t\":{\"$iprefix\":\"\xC3\xA9T\xC3\xA9 aB\"}}", row));
  // Only strings match: numbers, booleans, null, arrays, objects and absent fields do not.
  EXPECT_FALSE(Match("{\"year\":{\"$iprefix\":\"20\"}}"));
  EXPECT_FALSE(Match("{\"draft\":{\"$iprefix\":\"f\"}}"));
  EXPECT_FALSE(Match("{\"owner\":{\"$iprefix\":\"\"}}"));
  EXPECT_FALSE(Match("{\"tags\":{\"$iprefix\":\"\"}}"));
  EXPECT_FALSE(Match("{\"t\":{\"$iprefix\":\"\"}}", "{\"t\":{\"a\":1}}"));
  EXPECT_FALSE(Match("{\"missing\":{\"$iprefix\":\"\"}}"));
  // With $prefix on one field: both hold.
  EXPECT_TRUE(Match("{\"title\":{\"$prefix\":\"Fi\",\"$iprefix\":\"fiori\"}}"));
  EXPECT_FALSE(Match("{\"title\":{\"$prefix\":\"fi\",\"$iprefix\":\"fiori\"}}"));
}

TEST(Filter, NullAndMissing) {
  EXPECT_TRUE(Match("{\"owner\":{\"$null\":true}}"));
  EXPECT_TRUE(Match("{\"missing\":{\"$null\":true}}"));
  EXPECT_FALSE(Match("{\"lang\":{\"$null\":true}}"));
  EXPECT_TRUE(Match("{\"lang\":{\"$null\":false}}"));
  EXPECT_FALSE(Match("{\"owner\":{\"$null\":false}}"));
  EXPECT_FALSE(Match("{\"missing\":{\"$null\":false}}"));
}

TEST(Filter, AndOrNot) {
  EXPECT_TRUE(Match("{\"$or\":[{\"lang\":\"de\"},{\"year\":2021}]}"));
  EXPECT_FALSE(Match("{\"$or\":[{\"lang\":\"de\"},{\"year\":2020}]}"));
  EXPECT_TRUE(Match("{\"$and\":[{\"lang\":\"en\"},{\"year\":{\"$gt\":2000}}]}"));
  EXPECT_FALSE(Match("{\"$and\":[{\"lang\":\"en\"},{\"year\":{\"$gt\":2030}}]}"));
  EXPECT_FALSE(Match("{\"$not\":{\"lang\":\"en\"}}"));
  EXPECT_TRUE(Match("{\"$not\":{\"lang\":\"en\",\"year\":1999}}"));  // NOT of the AND
  EXPECT_TRUE(Match("{\"$not\":{\"$not\":{\"lang\":\"en\"}}}"));
  EXPECT_TRUE(Match("{\"$and\":[{}]}"));
  // Keys beside $or are ANDed with it.
  EXPECT_FALSE(Match("{\"lang\":\"de\",\"$or\":[{\"year\":2021},{\"draft\":false}]}"));
  EXPECT_TRUE(Match(
      "{\"$or\":[{\"$and\":[{\"lang\":\"en\"},{\"$not\":{\"draft\":true}}]},{\"missing\":1}]}"));
}

TEST(Filter, MatchesEverythingAndFields) {
  EXPECT_TRUE(Filter::Compile("{}").MatchesEverything());
  EXPECT_TRUE(Filter::Compile(" { } ").Fields().empty());
  EXPECT_FALSE(Filter::Compile("{\"$and\":[{}]}").MatchesEverything());
  const Filter f = Filter::Compile(
      "{\"year\":{\"$gt\":1},\"$or\":[{\"lang\":\"en\"},{\"$not\":{\"year\":3,\"a\":null}}]}");
  EXPECT_FALSE(f.MatchesEverything());
  EXPECT_EQ(f.Fields(), (std::vector<std::string>{"a", "lang", "year"}));
}

struct BadFilter {
  const char* text;
  ek_status status;
  const char* message;  // the whole message
};

class FilterErrorTest : public ::testing::TestWithParam<BadFilter> {};

TEST_P(FilterErrorTest, SaysExactlyWhatAndWhere) {
  const BadFilter& b = GetParam();
  EXPECT_EQ(ErrorOf([&] { Filter::Compile(b.text); }, b.status), b.message);
}

constexpr ek_status kInvalid = EK_ERR_INVALID_ARGUMENT;

INSTANTIATE_TEST_SUITE_P(
    Json, FilterErrorTest,
    ::testing::Values(
        BadFilter{"{\"a\" 1}", EK_ERR_PARSE, "filter: expected ':' after key at byte 5"},
        BadFilter{"[]", EK_ERR_PARSE, "filter: expected a JSON object, got an array at byte 0"},
        BadFilter{"{\"tags\":[1]}", kInvalid,
                  "filter: tags: an array can't be matched as a value; only strings, numbers, booleans "
                  "and null can be matched (for one of several values: {\"$in\": [...]})"},
        BadFilter{"{\"o\":{}}", kInvalid,
                  "filter: o: an empty operator object; give a value or at least one of $eq, $ne, $lt, "
                  "$lte, $gt, $gte, $in, $nin, $prefix, $iprefix, $null"},
        BadFilter{"{\"year\":{\"$gt3\":1}}", kInvalid,
                  "filter: year: unknown operator '$gt3' (known: $eq, $ne, $lt, $lte, $gt, $gte, $in, "
                  "$nin, $prefix, $iprefix, $null)"},
        BadFilter{"{\"a\":{\"b\":1}}", kInvalid,
                  "filter: a: unknown operator 'b' (known: $eq, $ne, $lt, $lte, $gt, $gte, $in, $nin, "
                  "$prefix, $iprefix, $null)"},
        BadFilter{"{\"$xor\":[]}", kInvalid, "filter: unknown operator '$xor' (known: $and, $or, $not)"},
        BadFilter{"{\"$gt\":1}", kInvalid,
                  "filter: unknown operator '$gt' (known: $and, $or, $not; $gt applies to a field: "
                  "{\"field\": {\"$gt\": ...}})"},
        BadFilter{"{\"$or\":[{\"a\":1},{\"year\":{\"$gte\":[1]}}]}", kInvalid,
                  "filter: $or[1].year: $gte needs a number or a string, got an array"},
        BadFilter{"{\"a\":{\"$lt\":true}}", kInvalid, "filter: a: $lt needs a number or a string, got a boolean"},
        BadFilter{"{\"a\":{\"$eq\":{}}}", kInvalid,
                  "filter: a: $eq needs a string, number, boolean or null, got an object"},
        BadFilter{"{\"a\":{\"$ne\":[]}}", kInvalid,
                  "filter: a: $ne needs a string, number, boolean or null, got an array"},
        BadFilter{"{\"a\":{\"$in\":\"x\"}}", kInvalid,
                  "filter: a: $in needs an array of strings, numbers, booleans or nulls, got a string"},
        BadFilter{"{\"a\":{\"$nin\":[1,2,[3]]}}", kInvalid,
                  "filter: a: $nin[2] needs a string, number, boolean or null, got an array"},
        BadFilter{"{\"a\":{\"$prefix\":1}}", kInvalid, "filter: a: $prefix needs a string, got a number"},
        BadFilter{"{\"a\":{\"$iprefix\":null}}", kInvalid, "filter: a: $iprefix needs a string, got null"},
        BadFilter{"{\"$or\":[{\"a\":{\"$iprefix\":[\"x\"]}}]}", kInvalid,
                  "filter: $or[0].a: $iprefix needs a string, got an array"},
        BadFilter{"{\"a\":{\"$IPREFIX\":\"x\"}}", kInvalid,
                  "filter: a: unknown operator '$IPREFIX' (known: $eq, $ne, $lt, $lte, $gt, $gte, $in, "
                  "$nin, $prefix, $iprefix, $null)"},
        BadFilter{"{\"a\":{\"$null\":\"yes\"}}", kInvalid, "filter: a: $null needs true or false, got a string"},
        BadFilter{"{\"$and\":{}}", kInvalid, "filter: $and needs an array of filter objects, got an object"},
        BadFilter{"{\"$or\":[]}", kInvalid, "filter: $or needs at least one filter object, got an empty array"},
        BadFilter{"{\"$not\":{\"$or\":[{},2]}}", kInvalid, "filter: $not: $or[1] needs a filter object, got a number"},
        BadFilter{"{\"$not\":[]}", kInvalid, "filter: $not needs a filter object, got an array"},
        BadFilter{"{\"$and\":[{\"$not\":{\"k\\u0000\":[]}}]}", kInvalid,
                  "filter: $and[0].$not.k\\u0000: an array can't be matched as a value; only strings, "
                  "numbers, booleans and null can be matched (for one of several values: {\"$in\": "
                  "[...]})"}));

// {"$not": ... nested `levels` deep ... {"a": 1}}.
std::string NestedNot(size_t levels) {
  std::string s;
  for (size_t i = 0; i < levels; ++i) s += "{\"$not\":";
  s += "{\"a\":1}";
  s.append(levels, '}');
  return s;
}

TEST(Filter, DepthLimit) {
  EXPECT_TRUE(Filter::Compile(NestedNot(kMaxFilterDepth)).Matches("{\"a\":1}"));  // 32 NOTs: even
  std::string path = "$not";
  for (size_t i = 1; i <= kMaxFilterDepth; ++i) path += ".$not";
  EXPECT_EQ(ErrorOf([] { Filter::Compile(NestedNot(kMaxFilterDepth + 1)); }, EK_ERR_LIMIT),
            "filter: " + path + ": nested deeper than 32 levels of $and, $or and $not");
}

TEST(Filter, TermLimit) {
  // One field term, one $in term, then one term per value: kMaxFilterTerms - 2 values fit.
  auto in_list = [](size_t values) {  // [0,0,...,0,1]
    std::string s = "{\"a\":{\"$in\":[";
    for (size_t i = 1; i < values; ++i) s += "0,";
    return s + "1]}}";
  };
  const Filter f = Filter::Compile(in_list(kMaxFilterTerms - 2));
  EXPECT_TRUE(f.Matches("{\"a\":1}"));
  EXPECT_FALSE(f.Matches("{\"a\":2}"));
  EXPECT_EQ(ErrorOf([&] { Filter::Compile(in_list(kMaxFilterTerms - 1)); }, EK_ERR_LIMIT),
            "filter: a: more than 100000 terms (fields, operators and $in/$nin values)");
}

TEST(Filter, TextOverTheDocumentLimitIsRefusedBeforeParsing) {
  const std::string text(kMaxDocumentBytes + 1, ' ');
  EXPECT_EQ(ErrorOf([&] { Filter::Compile(text); }, EK_ERR_LIMIT),
            "filter: 16777217 bytes of JSON; the limit is 16777216 bytes");
}

}  // namespace
}  // namespace ek::json
