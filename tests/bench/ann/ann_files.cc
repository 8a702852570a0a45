#include "ann_files.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace ek::annbench {
namespace {

constexpr char kVectorMagic[8] = {'E', 'K', 'A', 'N', 'N', 'V', '1', '\0'};
constexpr char kIdMagic[8] = {'E', 'K', 'A', 'N', 'N', 'I', '1', '\0'};

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

File Open(const std::string& path, const char* mode) {
  File file(std::fopen(path.c_str(), mode), &std::fclose);
  if (!file) throw std::runtime_error(path + ": cannot open");
  return file;
}

// Reads the header and returns (rows, cols) after checking the magic.
void ReadHeader(FILE* file, const std::string& path, const char* magic, uint32_t* rows,
                uint32_t* cols) {
  char got[8];
  if (std::fread(got, 1, 8, file) != 8 || std::memcmp(got, magic, 8) != 0 ||
      std::fread(rows, 4, 1, file) != 1 || std::fread(cols, 4, 1, file) != 1) {
    throw std::runtime_error(path + ": not an ann benchmark file (bad header)");
  }
}

template <typename T>
void ReadBody(FILE* file, const std::string& path, std::vector<T>& out, size_t count) {
  out.resize(count);
  if (std::fread(out.data(), sizeof(T), count, file) != count) {
    throw std::runtime_error(path + ": truncated");
  }
}

}  // namespace

Matrix ReadVectors(const std::string& path) {
  File file = Open(path, "rb");
  Matrix m;
  ReadHeader(file.get(), path, kVectorMagic, &m.rows, &m.cols);
  if (m.cols == 0) throw std::runtime_error(path + ": dim 0");
  ReadBody(file.get(), path, m.values, size_t{m.rows} * m.cols);
  return m;
}

IdMatrix ReadIds(const std::string& path) {
  File file = Open(path, "rb");
  IdMatrix m;
  ReadHeader(file.get(), path, kIdMagic, &m.rows, &m.cols);
  ReadBody(file.get(), path, m.ids, size_t{m.rows} * m.cols);
  return m;
}

void WriteIds(const std::string& path, const IdMatrix& ids) {
  File file = Open(path, "wb");
  const size_t count = size_t{ids.rows} * ids.cols;
  if (std::fwrite(kIdMagic, 1, 8, file.get()) != 8 ||
      std::fwrite(&ids.rows, 4, 1, file.get()) != 1 ||
      std::fwrite(&ids.cols, 4, 1, file.get()) != 1 ||
      std::fwrite(ids.ids.data(), 4, count, file.get()) != count) {
    throw std::runtime_error(path + ": write failed");
  }
}

}  // namespace ek::annbench
