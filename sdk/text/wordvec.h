// Read-only word-vector tables in the ".ekwv" format (abi/include/embedkit/text.h):
// memory-mapped, so opening the 341k x 100 GloVe table costs no parsing; lookups
// hash the word (FNV-1a 64) into an open-addressing table stored in the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ek::text {

inline uint64_t Fnv1a64(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64 offset basis
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

class WordVectors {
 public:
  // Throws ek::Error(EK_ERR_IO | EK_ERR_CORRUPT, message).
  explicit WordVectors(const std::string& path);
  ~WordVectors();
  WordVectors(const WordVectors&) = delete;
  WordVectors& operator=(const WordVectors&) = delete;

  uint32_t dim() const { return dim_; }
  uint64_t count() const { return count_; }
  int64_t Find(std::string_view word) const;
  const float* Vector(uint64_t index) const {
    return index < count_ ? vectors_ + index * dim_ : nullptr;
  }
  std::string_view Word(uint64_t index) const;

 private:
  void Validate(const std::string& path);

  const unsigned char* base_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::vector<unsigned char> owned_;  // where mmap is unavailable
  uint32_t dim_ = 0;
  uint64_t count_ = 0, slots_ = 0;
  const uint32_t* table_ = nullptr;
  const uint64_t* word_offsets_ = nullptr;
  const char* strings_ = nullptr;
  const float* vectors_ = nullptr;
};

// Writes a table (used by tests and tools): words[i] gets row i of `vectors`.
void WriteWordVectors(const std::string& path, const std::vector<std::string>& words,
                      const float* vectors, uint32_t dim);

}  // namespace ek::text
