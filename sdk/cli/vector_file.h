// Query and import vectors from outside the library: raw little-endian float32
// files (rows x dim, row-major, no header, like embeddings.bin) and inline
// "0.1,0.2,..." lists.
#pragma once

#include <cstddef>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace ek::cli {

class VectorFile {
 public:
  // Opens `path` as rows of `dim` floats. Throws RuntimeError if the file cannot be
  // read or its size is not a multiple of dim * 4 bytes.
  VectorFile(const std::string& path, size_t dim);

  size_t rows() const { return rows_; }
  size_t dim() const { return dim_; }
  const std::string& path() const { return path_; }

  // Reads rows [first, first + count) into `out` (count * dim floats), converting
  // from little-endian on big-endian hosts.
  void Read(size_t first, size_t count, float* out);

 private:
  std::string path_;
  size_t dim_;
  size_t rows_ = 0;
  std::ifstream in_;
};

// Parses "0.1, -2e-3, 4" (comma or space separated). Throws UsageError naming
// `option` and the offending item.
std::vector<float> ParseVectorList(std::string_view text, std::string_view option,
                                   const std::string& command);

}  // namespace ek::cli
