// The reliability tests' scratch files: EK_SCRATCH_DIR (the build tree) / name, with
// any earlier store file and its -wal/-shm/-journal companions removed first.
#pragma once

#include <filesystem>
#include <string>

namespace ek::test {

inline std::string FreshScratchFile(const char* name) {
  const auto dir = std::filesystem::path(EK_SCRATCH_DIR);
  std::filesystem::create_directories(dir);
  const std::string p = (dir / name).string();
  for (const char* ext : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(p + ext);
  return p;
}

}  // namespace ek::test
