// Aligned plain-text tables for human output. Widths count UTF-8 code points;
// cells longer than a column's max_width are cut with "…"; control characters
// (newlines, tabs) in cells are shown as spaces so one row stays one line.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ek::cli {

class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align = Align::kLeft;
    size_t max_width = 0;  // 0 = unlimited
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void AddRow(std::vector<std::string> cells);
  void Print(std::ostream& out) const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Number of UTF-8 code points in `text`.
size_t DisplayWidth(std::string_view text);

// `text` cut to at most `width` code points, ending in "…" when cut.
std::string Truncate(std::string_view text, size_t width);

// A float with `decimals` digits after the point ("0.8123").
std::string FormatFixed(double value, int decimals);

}  // namespace ek::cli
