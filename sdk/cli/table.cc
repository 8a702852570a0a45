#include "table.h"

#include <algorithm>
#include <cstdio>

namespace ek::cli {
namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return out;
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(),
                                           [](char c) { return !IsContinuation(c); }));
}

std::string Truncate(std::string_view text, size_t width) {
  if (width == 0 || DisplayWidth(text) <= width) return std::string(text);
  size_t points = 0;
  size_t i = 0;
  // Keep width-1 code points, then the ellipsis.
  for (; i < text.size(); ++i) {
    if (!IsContinuation(text[i])) {
      if (points == width - 1) break;
      ++points;
    }
  }
  return std::string(text.substr(0, i)) + "\xE2\x80\xA6";
}

std::string FormatFixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (size_t c = 0; c < cells.size(); ++c) {
    cells[c] = Truncate(OneLine(cells[c]), columns_[c].max_width);
  }
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    width[c] = DisplayWidth(columns_[c].header);
    for (const auto& row : rows_) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      size_t pad = width[c] - DisplayWidth(cells[c]);
      bool last = c + 1 == cells.size();
      if (columns_[c].align == Align::kRight) {
        line += std::string(pad, ' ') + cells[c];
      } else {
        line += cells[c];
        if (!last) line += std::string(pad, ' ');
      }
      if (!last) line += "  ";
    }
    out << line << '\n';
  };
  std::vector<std::string> headers;
  for (const Column& col : columns_) headers.push_back(col.header);
  print_row(headers);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace ek::cli
