// fuzz_index driver 2: metadata filters (json/filter.h).
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_index_input.h"
#include "json/filter.h"

namespace fuzz_index {

// Layout: the filter text, then up to four metadata documents, separated by 0x00.
inline bool IsObject(std::string_view doc) {
  static const ek::json::Filter kAll = ek::json::Filter::Compile("{}");
  return kAll.Matches(doc);
}

// Compiles `text` into *out; false when it is refused (the documented way: else abort).
inline bool TryCompile(const std::string& text, ek::json::Filter* out) {
  try {
    *out = ek::json::Filter::Compile(text);
    return true;
  } catch (const ek::Error& e) {
    const ek_status s = e.status();
    Check(s == EK_ERR_PARSE || s == EK_ERR_LIMIT || s == EK_ERR_INVALID_ARGUMENT,
          "filter: unexpected status");
    Check(std::string_view(e.what()).rfind("filter: ", 0) == 0,
          "filter: message without 'filter: '");
    return false;
  }
}

inline void FuzzFilter(Input& in) {
  const std::span<const uint8_t> rest = in.Bytes(in.left());
  std::vector<std::string> parts(1);
  for (uint8_t b : rest) {
    if (b != 0)
      parts.back() += char(b);
    else if (parts.size() < 5)
      parts.emplace_back();
    else
      break;
  }
  ek::json::Filter f = ek::json::Filter::Compile("{}");
  if (!TryCompile(parts[0], &f)) return;
  const std::vector<std::string>& fields = f.Fields();
  Check(std::adjacent_find(fields.begin(), fields.end(), std::greater_equal<>()) == fields.end(),
        "filter: Fields() not sorted and unique");
  ek::json::Filter negated = f;
  const bool has_negated = TryCompile("{\"$not\":" + parts[0] + "}", &negated);
  for (size_t i = 1; i < parts.size(); ++i) {
    const bool object = IsObject(parts[i]);
    const bool match = f.Matches(parts[i]);
    Check(object || !match, "filter: a non-object document matched");
    Check(!f.MatchesEverything() || match == object, "filter: MatchesEverything but no match");
    if (has_negated)
      Check(negated.Matches(parts[i]) == (object && !match), "filter: $not is no complement");
  }
}

inline void WriteFilterSeeds(const std::string& dir) {
  static const char kDocs[] = "\0{\"a\":1,\"s\":\"xy\"}\0{\"a\":2,\"b\":null}\0[1]\0{}";
  const std::string docs(kDocs, sizeof kDocs - 1);
  const auto seed = [&](std::string_view filter, const std::string& name) {
    Seed(2).Text(filter).Text(docs).Write(dir, name);
  };
  seed(R"({"a":{"$gte":1,"$lt":2}})", "filter_range");
  seed(R"({"$or":[{"a":2},{"s":{"$prefix":"x"}}]})", "filter_or");
  seed(R"({"$not":{"b":{"$null":true}},"a":{"$in":[1,2,"x",null]}})", "filter_not_in");
  seed(R"({"a":{"$nin":[true]},"s":{"$ne":"xy"}})", "filter_ne_nin");
  seed(R"({"a":{"$bad":1}})", "filter_bad_operator");
  seed(R"({"a":[1]})", "filter_array_value");
}

}  // namespace fuzz_index
