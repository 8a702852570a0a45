// The benchmark's files (written by run.py, read here), little-endian:
//   vectors: char[8] "EKANNV1\0", u32 rows, u32 dim, rows x dim float32 row-major
//   ids:     char[8] "EKANNI1\0", u32 rows, u32 k,   rows x k uint32 (best first)
// Base rows, queries and ground truth use these two layouts; nothing else is stored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ek::annbench {

struct Matrix {
  uint32_t rows = 0;
  uint32_t cols = 0;
  std::vector<float> values;  // rows x cols
  const float* Row(size_t r) const { return values.data() + r * cols; }
};

struct IdMatrix {
  uint32_t rows = 0;
  uint32_t cols = 0;
  std::vector<uint32_t> ids;  // rows x cols
};

// Throw std::runtime_error naming the file for a bad magic, size or short read.
Matrix ReadVectors(const std::string& path);
IdMatrix ReadIds(const std::string& path);
void WriteIds(const std::string& path, const IdMatrix& ids);

}  // namespace ek::annbench
