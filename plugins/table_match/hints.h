// table_match: the user's hints file (config "hints", CLI --hints FILE): knowledge the
// signals lack, given as evidence the matcher uses and the explanation names.
//
//   {"synonyms": [["subject", "person", "patient"], ["admission", "visit"]],
//    "table_links": [["admissions", "visit_occurrence"], ["patients", "person"]]}
//
// A synonym group makes its words interchangeable in names (each name word gains the
// other words of its groups). A table link (source table, target table) puts that
// target table first for the source table in the table stage (tables.h). Both are
// lower-cased; unknown keys are an error so a misspelt key is not silently ignored.
#pragma once

#include <embedkit/plugin.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tmatch {

struct Hints {
  std::vector<std::vector<std::string>> synonyms;
  std::vector<std::pair<std::string, std::string>> table_links;
  bool empty() const { return synonyms.empty() && table_links.empty(); }
  // The other words of every group holding `word`.
  std::vector<std::string> SynonymsOf(const std::string& word) const;
};

// Malformed JSON is explained by the host ("hints: byte 12: expected ':' after key").
Hints ParseHints(const ek_host* host, std::string_view json);    // throws Error (EK_ERR_PARSE)
Hints ReadHintsFile(const ek_host* host, const std::string& path);  // throws Error (EK_ERR_IO, EK_ERR_PARSE)

}  // namespace tmatch
