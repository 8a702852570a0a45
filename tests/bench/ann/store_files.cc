#include "store_files.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "base/thread_pool.h"

namespace ek::annbench {
namespace {

constexpr size_t kUpsertBatch = 10'000;

void CpuScan(const kernels::ScanRequest& request, uint64_t, ThreadPool* pool, uint32_t* rows,
             float* scores, size_t* counts) {
  kernels::ScanTopK(request, pool, rows, scores, counts);
}

}  // namespace

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TempFolder::TempFolder() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/ek-ann-store-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern);
  path_ = pattern;
}

TempFolder::~TempFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::unique_ptr<store::Store> OpenBenchStore(const std::string& path, ThreadPool* pool) {
  return store::Store::Open(path, store::OpenOptions{}, pool, &CpuScan);
}

double UpsertBase(store::Store& s, std::string_view collection, const Matrix& base,
                  const IdMatrix* labels) {
  if (labels != nullptr && (labels->rows != base.rows || labels->cols != 1)) {
    throw std::runtime_error("labels shape: one column, one row per base row");
  }
  std::vector<std::string> ids(base.rows), metadata(labels ? base.rows : 0);
  for (uint32_t r = 0; r < base.rows; ++r) ids[r] = std::to_string(r);
  for (uint32_t r = 0; r < metadata.size(); ++r) {
    metadata[r] = "{\"a\":" + std::to_string(labels->ids[r]) + "}";
  }
  std::vector<const char*> id_ptrs(base.rows), metadata_ptrs(metadata.size());
  for (uint32_t r = 0; r < base.rows; ++r) id_ptrs[r] = ids[r].c_str();
  for (uint32_t r = 0; r < metadata.size(); ++r) metadata_ptrs[r] = metadata[r].c_str();
  const auto start = std::chrono::steady_clock::now();
  for (size_t first = 0; first < base.rows; first += kUpsertBatch) {
    store::UpsertBatch batch;
    batch.count = std::min<size_t>(kUpsertBatch, base.rows - first);
    batch.ids = id_ptrs.data() + first;
    batch.vectors = base.Row(first);
    batch.dim = base.cols;
    if (labels != nullptr) batch.metadata = metadata_ptrs.data() + first;
    s.Upsert(collection, batch);
  }
  return Seconds(start);
}

size_t Hits(const uint32_t* truth, size_t k, const std::vector<store::Hit>& found) {
  size_t hits = 0;
  for (const store::Hit& hit : found) {
    const uint32_t row = static_cast<uint32_t>(std::stoul(hit.id));
    hits += std::find(truth, truth + k, row) != truth + k;
  }
  return hits;
}

}  // namespace ek::annbench
