#include "jsonl_reader.h"

#include <cerrno>
#include <cstring>

#include "errors.h"

namespace ek::cli {

std::string FormatBytes(size_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double v = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) v /= 1024, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, "%.3g %s", v, kUnits[unit]);
  return text;
}

JsonLinesReader::JsonLinesReader(std::string path, std::string kind, size_t max_line_bytes)
    : path_(std::move(path)), kind_(std::move(kind)), max_line_bytes_(max_line_bytes),
      buffer_(size_t{1} << 16) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (!file_) throw RuntimeError("cannot open " + kind_ + " '" + path_ + "': " + std::strerror(errno));
}

JsonLinesReader::~JsonLinesReader() {
  if (file_) std::fclose(file_);
}

std::string JsonLinesReader::Where() const { return path_ + ":" + std::to_string(line_) + ": "; }

bool JsonLinesReader::ReadLine(std::string* line) {
  line->clear();
  bool any = false;
  while (true) {
    if (pos_ == end_) {
      if (eof_) break;
      end_ = std::fread(buffer_.data(), 1, buffer_.size(), file_);
      pos_ = 0;
      if (end_ == 0) {
        if (std::ferror(file_)) throw RuntimeError("error reading " + kind_ + " '" + path_ + "'");
        eof_ = true;
        break;
      }
    }
    if (!any) ++line_;
    any = true;
    const char* start = buffer_.data() + pos_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
    const size_t n = newline ? static_cast<size_t>(newline - start) : end_ - pos_;
    if (line->size() + n > max_line_bytes_) {
      throw RuntimeError(Where() + "the line is longer than " + FormatBytes(max_line_bytes_) +
                         ", the limit for one line of a " + kind_ + " (one document or record per line)");
    }
    line->append(start, n);
    pos_ += n;
    if (newline) {
      ++pos_;
      return true;
    }
  }
  return any;
}

bool JsonLinesReader::NextLine(std::string* line) {
  while (ReadLine(line)) {
    if (line->find_first_not_of(" \t\r") != std::string::npos) return true;
  }
  return false;
}

bool JsonLinesReader::NextObject(simdjson::dom::object* object) {
  if (!NextLine(&text_)) return false;
  simdjson::dom::element doc;
  if (auto error = parser_.parse(text_).get(doc)) {
    throw RuntimeError(Where() + "malformed JSON (" + simdjson::error_message(error) + ")" +
                       (eof_ && pos_ == end_ ? "; the file may be truncated" : ""));
  }
  if (doc.get_object().get(*object)) throw RuntimeError(Where() + "the line is not a JSON object");
  return true;
}

}  // namespace ek::cli
