// Reads a JSONL records file for `store import`: one JSON object per line, row i
// of the vectors file belongs to the i-th non-blank line. Each record yields an id
// (from a string or integer field) and the metadata JSON to store with it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jsonl_reader.h"

namespace ek::cli {

struct RecordOptions {
  std::string id_field = "id";
  enum class Metadata { kAll, kNone, kFields } metadata = Metadata::kAll;
  std::vector<std::string> fields;  // for kFields
};

// Throws RuntimeError "<where>id <quoted> contains a NUL character ..." if `id` holds
// U+0000 (JSON allows "c\u0000d"): the C API takes ids as NUL-terminated strings, so
// it would silently become another id ("c").
void RequireIdWithoutNul(std::string_view id, const std::string& where);

class RecordReader {
 public:
  // Throws RuntimeError if the file cannot be opened.
  RecordReader(const std::string& path, RecordOptions options);
  ~RecordReader();

  // Non-blank lines in `path` (the last line needs no trailing newline). Throws for a
  // line longer than kMaxJsonLineBytes, before any work is done with the file.
  static size_t CountRecords(const std::string& path);

  // Reads the next record. Returns false at the end of the file. `metadata` is
  // left empty when the mode is kNone. Throws RuntimeError "FILE:LINE: reason" for
  // malformed JSON, a non-object line or a missing/invalid id.
  bool Next(std::string* id, std::string* metadata);

 private:
  RecordOptions options_;
  std::unique_ptr<JsonLinesReader> lines_;
};

}  // namespace ek::cli
