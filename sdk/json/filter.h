// Metadata filters (ek_search_options.filter_json): compiled once, evaluated per row.
//
// Grammar and semantics are documented in docs/storage.md, section "Filters": a JSON
// object whose keys are top-level metadata fields mapped to a value (equality) or an
// operator object ($eq $ne $lt $lte $gt $gte $in $nin $prefix $iprefix $null), plus $and,
// $or and $not. Compile checks the whole filter up front, so a malformed filter fails
// before any row is read, with a message naming the place ("filter: $or[1].year: $gte
// needs a number or a string, got an array"). Matches then costs one simdjson parse of
// the row's metadata text (this thread's parser, no copy of the text into a string)
// and one key lookup per field test.
//
// Thread-safety: a Filter is immutable; Matches may run on several threads at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ek::json {

// $and/$or/$not nested deeper than this are refused (EK_ERR_LIMIT): evaluation recurses.
inline constexpr size_t kMaxFilterDepth = 32;

// A filter with more terms than this (fields, operators, $and/$or/$not and $in/$nin
// values together) is refused (EK_ERR_LIMIT): each row pays for every term.
inline constexpr size_t kMaxFilterTerms = 100000;

class Filter {
 public:
  // Throws EK_ERR_PARSE for malformed JSON or a non-object (with the byte offset),
  // EK_ERR_LIMIT for a text over kMaxDocumentBytes or a filter over kMaxFilterDepth or
  // kMaxFilterTerms, EK_ERR_INVALID_ARGUMENT for an unknown operator or a wrong
  // operand; every message starts with "filter: " and names where the problem is.
  static Filter Compile(std::string_view text);

  // True for {}: every row with metadata passes, so a caller may skip evaluation.
  bool MatchesEverything() const;

  // True if `metadata_json` (one JSON object) passes. Malformed or non-object metadata
  // passes nothing; this never throws.
  bool Matches(std::string_view metadata_json) const;

  // The top-level metadata fields the filter reads, sorted, each once (what an index
  // planner needs to know which indexes could serve it).
  const std::vector<std::string>& Fields() const { return fields_; }

  struct Node;  // the compiled tree (filter.cc)

 private:
  Filter(std::shared_ptr<const Node> root, std::vector<std::string> fields);

  std::shared_ptr<const Node> root_;
  std::vector<std::string> fields_;
};

}  // namespace ek::json
