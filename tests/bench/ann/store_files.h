// What the store modes of ek_ann_bench (store_mode.cc, exact_scan_mode.cc) share: a
// temp folder for the store file, the store opened as a user opens it, the base
// upserted in batches, and recall counting against the truth file's row numbers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ann_files.h"
#include "store/store.h"

namespace ek {
class ThreadPool;
}

namespace ek::annbench {

double Seconds(std::chrono::steady_clock::time_point since);

// A fresh folder for the store's file (and its -wal/-shm), removed with it.
class TempFolder {
 public:
  TempFolder();
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  std::string File() const { return path_ + "/store.db"; }

 private:
  std::string path_;
};

// The store on `path` with the CPU scan (ScanTopK) as its f32 scan; `pool` may be null.
std::unique_ptr<store::Store> OpenBenchStore(const std::string& path, ThreadPool* pool);

// Upserts every base row into `collection` (ids "0".."n-1") in batches of 10,000, with
// metadata {"a": label} from `labels` (one column, one row per base row) when given;
// returns the seconds it took.
double UpsertBase(store::Store& s, std::string_view collection, const Matrix& base,
                  const IdMatrix* labels = nullptr);

// How many of `found` (ids are base row numbers) are among the first k of `truth`.
size_t Hits(const uint32_t* truth, size_t k, const std::vector<store::Hit>& found);

}  // namespace ek::annbench
