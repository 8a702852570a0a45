// The one reader of line-oriented input files of the CLI (JSON Lines records for
// `store import`, documents for `classify`, NDJSON for `json encode`): lines are read
// through a fixed buffer, so a line longer than the limit fails as soon as that many
// bytes have been read (never buffered whole), and every failure names the file and
// the 1-based line: "FILE:LINE: reason". The last line needs no trailing newline, and
// one cut short (a truncated file) fails like any other malformed line.
#pragma once

#include <simdjson.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace ek::cli {

// Default longest line of a JSON Lines input: one document or record, not a file.
inline constexpr size_t kMaxJsonLineBytes = size_t{64} << 20;

// "16 MiB", "1.5 KiB", "100 bytes": sizes in messages, short.
std::string FormatBytes(size_t bytes);

class JsonLinesReader {
 public:
  // Throws RuntimeError "cannot open <kind> '<path>': <reason>". `kind` names the file
  // in messages ("records file").
  JsonLinesReader(std::string path, std::string kind, size_t max_line_bytes = kMaxJsonLineBytes);
  ~JsonLinesReader();
  JsonLinesReader(const JsonLinesReader&) = delete;
  JsonLinesReader& operator=(const JsonLinesReader&) = delete;

  // The next line that is not blank (spaces, tabs, CR), without its newline; false at
  // the end of the file. Throws RuntimeError for a read error or a line over the limit.
  bool NextLine(std::string* line);
  // NextLine, parsed as a JSON object (valid until the next call). Throws RuntimeError
  // "FILE:LINE: malformed JSON (...)" or "...: the line is not a JSON object".
  bool NextObject(simdjson::dom::object* object);

  size_t line() const { return line_; }        // 1-based number of the last line read
  std::string Where() const;                   // "FILE:LINE: "
  const std::string& path() const { return path_; }

 private:
  bool ReadLine(std::string* line);  // any line, blank or not

  std::string path_, kind_;
  size_t max_line_bytes_;
  std::FILE* file_ = nullptr;
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  size_t line_ = 0;
  std::string text_;  // the current line (NextObject parses it)
  simdjson::dom::parser parser_;
};

}  // namespace ek::cli
