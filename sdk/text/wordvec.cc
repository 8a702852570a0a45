#include "text/wordvec.h"

#include <cstdio>
#include <cstring>
#include <fstream>

#include "base/error.h"

#if !defined(__EMSCRIPTEN__) && !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#define EK_HAVE_MMAP 1
#endif

namespace ek::text {
namespace {

constexpr char kMagic[8] = {'E', 'K', 'W', 'V', 'E', 'C', '1', '\0'};
constexpr size_t kHeader = 128;

template <class T>
T ReadLe(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // the format is little-endian, as are all targets
  return v;
}

}  // namespace

WordVectors::WordVectors(const std::string& path) {
#ifdef EK_HAVE_MMAP
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Fail(EK_ERR_IO, "cannot open word-vector file '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    Fail(EK_ERR_IO, "cannot stat '" + path + "'");
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ < kHeader) {
    ::close(fd);
    Fail(EK_ERR_CORRUPT, "'" + path + "' is not an ekwv file (" + std::to_string(size_) + " bytes)");
  }
  void* m = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) Fail(EK_ERR_IO, "cannot map '" + path + "': " + std::strerror(errno));
  base_ = static_cast<const unsigned char*>(m);
  mapped_ = true;
#else
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(EK_ERR_IO, "cannot open word-vector file '" + path + "'");
  owned_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  base_ = owned_.data();
  size_ = owned_.size();
#endif
  try {
    Validate(path);
  } catch (...) {
#ifdef EK_HAVE_MMAP
    if (mapped_) ::munmap(const_cast<unsigned char*>(base_), size_);
#endif
    mapped_ = false;
    throw;
  }
}

WordVectors::~WordVectors() {
#ifdef EK_HAVE_MMAP
  if (mapped_) ::munmap(const_cast<unsigned char*>(base_), size_);
#endif
}

void WordVectors::Validate(const std::string& path) {
  auto bad = [&](const std::string& why) {
    Fail(EK_ERR_CORRUPT, "'" + path + "' is not a valid ekwv file: " + why);
  };
  if (size_ < kHeader || std::memcmp(base_, kMagic, 8) != 0) bad("bad magic");
  dim_ = ReadLe<uint32_t>(base_ + 8);
  count_ = ReadLe<uint64_t>(base_ + 16);
  slots_ = ReadLe<uint64_t>(base_ + 24);
  const uint64_t table = ReadLe<uint64_t>(base_ + 32), words = ReadLe<uint64_t>(base_ + 40),
                 strings = ReadLe<uint64_t>(base_ + 48), vectors = ReadLe<uint64_t>(base_ + 56),
                 file_size = ReadLe<uint64_t>(base_ + 64);
  if (file_size != size_) bad("header says " + std::to_string(file_size) + " bytes, file has " + std::to_string(size_));
  if (dim_ == 0 || dim_ > 65536) bad("dim " + std::to_string(dim_));
  if (count_ == 0 || count_ > (1ull << 32)) bad("count " + std::to_string(count_));
  if (slots_ < count_ * 2 || (slots_ & (slots_ - 1)) != 0) bad("slots " + std::to_string(slots_));
  auto fits = [&](uint64_t off, uint64_t bytes, uint64_t align) {
    return off % align == 0 && off >= kHeader && off <= size_ && bytes <= size_ - off;
  };
  if (!fits(table, slots_ * 4, 4)) bad("hash table out of bounds");
  if (!fits(words, (count_ + 1) * 8, 8)) bad("word offsets out of bounds");
  if (!fits(vectors, count_ * dim_ * 4, 4)) bad("vectors out of bounds");
  table_ = reinterpret_cast<const uint32_t*>(base_ + table);
  word_offsets_ = reinterpret_cast<const uint64_t*>(base_ + words);
  if (strings < kHeader || strings > size_ || word_offsets_[count_] > size_ - strings) bad("strings out of bounds");
  for (uint64_t i = 0; i < count_; ++i) {
    if (word_offsets_[i] > word_offsets_[i + 1]) bad("word offsets not increasing at " + std::to_string(i));
  }
  strings_ = reinterpret_cast<const char*>(base_ + strings);
  vectors_ = reinterpret_cast<const float*>(base_ + vectors);
}

int64_t WordVectors::Find(std::string_view word) const {
  const uint64_t mask = slots_ - 1;
  uint64_t slot = Fnv1a64(word.data(), word.size()) & mask;
  for (uint64_t probes = 0; probes < slots_; ++probes, slot = (slot + 1) & mask) {
    const uint32_t e = table_[slot];
    if (e == 0) return -1;
    const uint64_t i = e - 1;
    if (i >= count_) return -1;
    if (Word(i) == word) return static_cast<int64_t>(i);
  }
  return -1;
}

std::string_view WordVectors::Word(uint64_t index) const {
  if (index >= count_) return {};
  return std::string_view(strings_ + word_offsets_[index],
                          word_offsets_[index + 1] - word_offsets_[index]);
}

void WriteWordVectors(const std::string& path, const std::vector<std::string>& words,
                      const float* vectors, uint32_t dim) {
  const uint64_t count = words.size();
  uint64_t slots = 16;
  while (slots < count * 2) slots <<= 1;
  std::vector<uint32_t> table(slots, 0);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t s = Fnv1a64(words[i].data(), words[i].size()) & (slots - 1);
    while (table[s] != 0) s = (s + 1) & (slots - 1);
    table[s] = static_cast<uint32_t>(i + 1);
  }
  std::vector<uint64_t> offsets(count + 1, 0);
  for (uint64_t i = 0; i < count; ++i) offsets[i + 1] = offsets[i] + words[i].size();
  const uint64_t table_off = kHeader;
  const uint64_t words_off = table_off + slots * 4;
  const uint64_t strings_off = words_off + (count + 1) * 8;
  const uint64_t vectors_off = (strings_off + offsets[count] + 63) / 64 * 64;
  const uint64_t file_size = vectors_off + count * dim * 4;
  std::vector<unsigned char> header(kHeader, 0);
  std::memcpy(header.data(), kMagic, 8);
  auto put = [&](size_t at, auto v) { std::memcpy(header.data() + at, &v, sizeof v); };
  put(8, dim);
  put(12, uint32_t{0});
  put(16, count);
  put(24, slots);
  put(32, table_off);
  put(40, words_off);
  put(48, strings_off);
  put(56, vectors_off);
  put(64, file_size);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) Fail(EK_ERR_IO, "cannot write '" + path + "'");
  out.write(reinterpret_cast<const char*>(header.data()), kHeader);
  out.write(reinterpret_cast<const char*>(table.data()), static_cast<std::streamsize>(slots * 4));
  out.write(reinterpret_cast<const char*>(offsets.data()), static_cast<std::streamsize>((count + 1) * 8));
  for (const auto& w : words) out.write(w.data(), static_cast<std::streamsize>(w.size()));
  const std::vector<char> pad(vectors_off - strings_off - offsets[count], 0);
  out.write(pad.data(), static_cast<std::streamsize>(pad.size()));
  out.write(reinterpret_cast<const char*>(vectors), static_cast<std::streamsize>(count * dim * 4));
  if (!out) Fail(EK_ERR_IO, "write to '" + path + "' failed");
}

}  // namespace ek::text
