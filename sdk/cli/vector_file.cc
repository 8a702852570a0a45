#include "vector_file.h"

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "errors.h"

namespace ek::cli {

VectorFile::VectorFile(const std::string& path, size_t dim) : path_(path), dim_(dim) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw RuntimeError("cannot read vectors file '" + path + "': it is a directory");
  }
  in_.open(path, std::ios::binary);
  if (!in_) {
    throw RuntimeError("cannot open vectors file '" + path + "': " + std::strerror(errno));
  }
  uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (ec) throw RuntimeError("cannot read size of '" + path + "': " + ec.message());
  const uintmax_t row_bytes = static_cast<uintmax_t>(dim) * sizeof(float);
  if (dim == 0 || bytes % row_bytes != 0) {
    throw RuntimeError("vectors file '" + path + "' has " + std::to_string(bytes) +
                       " bytes, not a whole number of rows of dim " + std::to_string(dim) +
                       " (" + std::to_string(row_bytes) + " bytes of float32 each)");
  }
  rows_ = static_cast<size_t>(bytes / row_bytes);
}

void VectorFile::Read(size_t first, size_t count, float* out) {
  if (first + count > rows_) {
    throw RuntimeError("vectors file '" + path_ + "' has " + std::to_string(rows_) +
                       " rows; row " + std::to_string(first + count - 1) + " does not exist");
  }
  const auto offset = static_cast<std::streamoff>(first * dim_ * sizeof(float));
  const auto bytes = static_cast<std::streamsize>(count * dim_ * sizeof(float));
  in_.clear();
  in_.seekg(offset);
  in_.read(reinterpret_cast<char*>(out), bytes);
  if (in_.gcount() != bytes) {
    throw RuntimeError("short read from vectors file '" + path_ + "' at row " +
                       std::to_string(first));
  }
  if constexpr (std::endian::native == std::endian::big) {
    for (size_t i = 0; i < count * dim_; ++i) {
      uint32_t bits;
      std::memcpy(&bits, out + i, sizeof bits);
      bits = __builtin_bswap32(bits);
      std::memcpy(out + i, &bits, sizeof bits);
    }
  }
}

std::vector<float> ParseVectorList(std::string_view text, std::string_view option,
                                   const std::string& command) {
  std::vector<float> values;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size()) break;
    size_t end = i;
    while (end < text.size() && text[end] != ',' && text[end] != ' ' && text[end] != '\t') ++end;
    std::string item(text.substr(i, end - i));
    char* parsed_end = nullptr;
    errno = 0;
    float v = std::strtof(item.c_str(), &parsed_end);
    const std::string what = "--" + std::string(option) + ": item " + std::to_string(values.size()) +
                             " ('" + item + "') ";
    if (parsed_end != item.c_str() + item.size()) throw UsageError(what + "is not a number", command);
    // Overflow only: a value below the smallest float rounds to it (or 0), as stored.
    if (errno == ERANGE && std::isinf(v)) {
      throw UsageError(what + "is out of float range (largest magnitude 3.4e38)", command);
    }
    if (!std::isfinite(v)) throw UsageError(what + "is not a finite number", command);
    values.push_back(v);
    i = end;
  }
  if (values.empty()) throw UsageError("--" + std::string(option) + " has no numbers", command);
  return values;
}

}  // namespace ek::cli
