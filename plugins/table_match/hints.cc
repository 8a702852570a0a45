// table_match: parsing the hints file (hints.h).
#include "hints.h"

#include <simdjson.h>

#include "json_syntax.h"
#include "read_file.h"
#include "schema.h"

namespace tmatch {

namespace {

// An array of arrays of strings, each inner array lower-cased.
std::vector<std::vector<std::string>> StringRows(simdjson::dom::element v, const char* key) {
  simdjson::dom::array rows;
  if (v.get(rows)) Fail(EK_ERR_PARSE, std::string("hints: \"") + key + "\" must be an array of arrays of strings");
  std::vector<std::vector<std::string>> out;
  for (auto row : rows) {
    simdjson::dom::array words;
    if (row.get(words)) Fail(EK_ERR_PARSE, std::string("hints: each entry of \"") + key + "\" must be an array of strings");
    std::vector<std::string> r;
    for (auto w : words) {
      std::string_view s;
      if (w.get(s)) Fail(EK_ERR_PARSE, std::string("hints: \"") + key + "\" holds a non-string");
      r.push_back(Lower(s));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::vector<std::string> Hints::SynonymsOf(const std::string& word) const {
  std::vector<std::string> out;
  for (const auto& group : synonyms) {
    bool in = false;
    for (const auto& w : group) in = in || w == word;
    if (!in) continue;
    for (const auto& w : group)
      if (w != word) out.push_back(w);
  }
  return out;
}

Hints ParseHints(const ek_host* host, std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::object root;
  if (auto err = parser.parse(padded).get(root))
    Fail(EK_ERR_PARSE, "hints: " + (err == simdjson::INCORRECT_TYPE
                                         ? std::string("not a JSON object")
                                         : ek_plugin::JsonSyntaxError(host, json, simdjson::error_message(err))));
  Hints h;
  for (auto [key, value] : root) {
    if (key == "synonyms") {
      h.synonyms = StringRows(value, "synonyms");
      for (const auto& g : h.synonyms)
        if (g.size() < 2) Fail(EK_ERR_PARSE, "hints: a synonym group needs at least two words");
    } else if (key == "table_links") {
      for (auto& row : StringRows(value, "table_links")) {
        if (row.size() != 2) Fail(EK_ERR_PARSE, "hints: a table link is [source table, target table]");
        h.table_links.emplace_back(row[0], row[1]);
      }
    } else {
      Fail(EK_ERR_PARSE, "hints: unknown key '" + std::string(key) + "' (synonyms, table_links)");
    }
  }
  return h;
}

Hints ReadHintsFile(const ek_host* host, const std::string& path) {
  return ParseHints(host, ek_plugin::ReadWholeFile(path, "hints"));
}

}  // namespace tmatch
