// table_match: the metadata model (columns / glossary entries) and its parsers.
//
// Why the SQL DDL and CSV readers are hand-written: plugins link no SQLite (the host
// owns it) and Debian packages no C/C++ SQL-DDL parser library that reads CREATE TABLE
// with comments across dialects (libpg_query is not packaged; sqlparser-style
// libraries are Rust/Python). What matching needs is small — table and column names,
// declared types, keys and comments — so a tokenizer plus a recursive-descent parser
// over that subset, with limits on size, nesting and counts, is less risk than a
// full dialect parser. Every other statement is skipped to its ';'. CSV is RFC 4180.
// JSON is parsed with simdjson.
#pragma once

#include <embedkit/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "error.h"

namespace tmatch {

// A failure with a status and a message (thrown inside the plugin, turned into a
// status at the ABI boundary by plugins/common's guard).
using Error = ek_plugin::Error;
using ek_plugin::Fail;

struct Column {
  std::string id;     // "table.column" or the glossary id
  std::string table;  // "" for glossary entries without a table
  std::string name;   // column name or glossary label
  std::string type;
  std::string description;
  std::string table_description;
  std::string synonyms;  // '|'-separated
  bool primary_key = false;
  bool foreign_key = false;
  std::string references;  // the table a foreign key refers to ("" = unknown / none)
};

struct Limits {
  size_t max_input_bytes = 64u << 20;
  size_t max_columns = 100000;     // per side
  size_t max_text_bytes = 1u << 20;  // one description / comment
  size_t max_depth = 64;           // parenthesis / JSON nesting
};

// One side of a match. Loads accumulate; COMMENT ON statements are applied when
// Finish() runs (so comments may come before or after their CREATE TABLE, or in
// another file).
class Side {
 public:
  // Parses `text` in `format` (EK_MATCHER_FORMAT_*) and appends. Throws Error; on a
  // throw the side is unchanged.
  void Load(std::string_view text, uint32_t format, const Limits& limits,
            std::vector<std::string>* warnings);
  void Clear();
  const std::vector<Column>& columns() const { return columns_; }
  size_t size() const { return columns_.size(); }

 private:
  std::vector<Column> columns_;
  std::unordered_map<std::string, size_t> by_key_;  // lower-case id -> index
};

// Detects the format of `text` (never returns AUTO).
uint32_t DetectFormat(std::string_view text);

// The parsers; each appends to `out` (plain vectors; Side checks duplicates).
struct Parsed {
  std::vector<Column> columns;
  // COMMENT ON targets: (table, column or "", text)
  struct Comment {
    std::string table, column, text;
    size_t line;
  };
  std::vector<Comment> comments;
};
void ParseDdl(std::string_view text, const Limits& limits, Parsed* out,
              std::vector<std::string>* warnings);
void ParseSchemaJson(std::string_view text, const Limits& limits, Parsed* out);
void ParseGlossaryJson(std::string_view text, const Limits& limits, Parsed* out);
void ParseGlossaryCsv(std::string_view text, const Limits& limits, Parsed* out);

std::string Lower(std::string_view s);

}  // namespace tmatch
