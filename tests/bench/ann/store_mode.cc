// The store path of ek_ann_bench (store_mode.h). Every figure comes from store::Store
// calls alone: rows go in through Upsert (ids "0".."n-1", batches of 10,000) into a
// collection created with defer_build, BuildIndex builds the graph in one transaction
// (its threads are the store's pool), and searches are one query per Search call on a
// handle opened without a pool (one thread), so they pay what a user's call pays: the
// planner, the id lookup of every hit, the string ids. The reopen figure is what a
// process starting on an existing file pays before its first answer: Open plus the
// first Search, which loads rows and graph from the tables instead of rebuilding.
#include "store_mode.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "base/thread_pool.h"
#include "store/store.h"
#include "store_files.h"

namespace ek::annbench {
namespace {

constexpr const char* kCollection = "ann";

std::string SystemName(const StoreModeOptions& o) {
  std::string name = "embedkit-store";
  if (o.element != kernels::ElementType::kF32) {
    name += std::string("-") + store::ElementTypeName(o.element);
  }
  if (o.rescore > 1) name += "-r" + std::to_string(o.rescore);
  return name;
}

std::vector<std::vector<store::Hit>> SearchOne(store::Store& s, const StoreModeOptions& o,
                                               const float* query, size_t dim, size_t ef,
                                               std::string_view filter = "",
                                               bool exact = false) {
  store::SearchOptions search;
  search.ef = ef;
  search.rescore = o.rescore;
  search.exact = exact;
  return s.Search(kCollection, query, 1, dim, o.k, filter, false, search);
}

// The filter allowing the rows whose attribute is below `percent` (store_files.h).
std::string FilterJson(uint32_t percent) {
  return "{\"a\":{\"$lt\":" + std::to_string(percent) + "}}";
}

// ,"filter":P for a filtered figure, nothing for an unfiltered one.
std::string FilterField(uint32_t percent) {
  return percent == 0 ? std::string() : ",\"filter\":" + std::to_string(percent);
}

// Builds the index in a fresh store whose pool has `threads` threads; prints the build
// line and returns the BuildIndex seconds. The store file stays in `folder`.
double BuildIn(const TempFolder& folder, const StoreModeOptions& o, const Matrix& base,
               size_t threads) {
  std::filesystem::remove(folder.File());
  std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
  auto s = OpenBenchStore(folder.File(), pool.get());
  store::IndexOptions index;
  index.kind = store::IndexKind::kHnsw;
  index.element = o.element;
  index.m = o.m;
  index.ef_construction = o.ef_construction;
  index.rescore = o.rescore;
  index.defer_build = true;
  s->CreateCollection(kCollection, base.cols,
                      o.angular ? store::Metric::kCosine : store::Metric::kL2, index);
  const double upsert_seconds = UpsertBase(*s, kCollection, base, o.labels);
  const auto start = std::chrono::steady_clock::now();
  const store::CollectionInfo info =
      s->BuildIndex(kCollection, nullptr, [](uint64_t, uint64_t) { return 0; });
  const double seconds = Seconds(start);
  if (info.building || info.count != base.rows) throw std::runtime_error("store build incomplete");
  s.reset();  // closes the file: its size is what a reopen reads
  std::printf("{\"system\":\"%s\",\"event\":\"build\",\"threads\":%zu,\"seconds\":%.3f,"
              "\"upsert_seconds\":%.3f,\"file_bytes\":%ju,\"bytes_per_vector\":%ju}\n",
              SystemName(o).c_str(), threads, seconds, upsert_seconds,
              static_cast<uintmax_t>(std::filesystem::file_size(folder.File())),
              static_cast<uintmax_t>(info.bytes_per_vector));
  std::fflush(stdout);
  return seconds;
}

// Recall@k and queries/s per ef; filtered (percent > 0) through FilterJson(percent).
void SweepEf(store::Store& s, const StoreModeOptions& o, const Matrix& queries,
             const IdMatrix& truth, uint32_t percent = 0) {
  const std::string filter = percent == 0 ? std::string() : FilterJson(percent);
  for (size_t ef : o.efs) {
    size_t hits = 0;
    const auto start = std::chrono::steady_clock::now();
    for (size_t q = 0; q < queries.rows; ++q) {
      const auto found = SearchOne(s, o, queries.Row(q), queries.cols, ef, filter);
      hits += Hits(truth.ids.data() + q * truth.cols, o.k, found[0]);
    }
    const double seconds = Seconds(start);
    std::printf("{\"system\":\"%s\"%s,\"param\":\"ef=%zu\",\"recall\":%.4f,\"qps\":%.1f}\n",
                SystemName(o).c_str(), FilterField(percent).c_str(), ef,
                double(hits) / double(queries.rows * o.k), queries.rows / seconds);
    std::fflush(stdout);
  }
}

// The masked exact scan of the f32 originals (SearchOptions::exact with the filter), one
// query per call on the first exact_queries queries: what the filtered graph must beat.
void MaskedScan(store::Store& s, const StoreModeOptions& o, const Matrix& queries,
                const StoreFilter& filter) {
  const std::string json = FilterJson(filter.percent);
  const size_t n = std::min(o.exact_queries, size_t{queries.rows});
  size_t hits = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t q = 0; q < n; ++q) {
    const auto found = SearchOne(s, o, queries.Row(q), queries.cols, 0, json, true);
    hits += Hits(filter.truth->ids.data() + q * filter.truth->cols, o.k, found[0]);
  }
  const double seconds = Seconds(start);
  std::printf("{\"system\":\"embedkit-store-scan\",\"filter\":%u,\"param\":\"scan\","
              "\"recall\":%.4f,\"qps\":%.1f,\"queries\":%zu}\n",
              filter.percent, double(hits) / double(n * o.k), n / seconds, n);
  std::fflush(stdout);
}

}  // namespace

void RunStoreMode(const StoreModeOptions& o, const Matrix& base, const Matrix& queries,
                  const IdMatrix& truth) {
  if (o.efs.empty() || o.build_threads.empty()) throw std::runtime_error("--store: no ef or threads");
  if (!o.filters.empty() && o.labels == nullptr) {
    throw std::runtime_error("--filter needs --labels");
  }
  TempFolder folder;
  double one_thread_build = 0;
  for (size_t threads : o.build_threads) {
    const double seconds = BuildIn(folder, o, base, threads);
    if (threads == 1 || one_thread_build == 0) one_thread_build = seconds;
  }
  // The file the last build left, opened as a new process would: no pool, one thread.
  const auto start = std::chrono::steady_clock::now();
  auto s = OpenBenchStore(folder.File(), nullptr);
  SearchOne(*s, o, queries.Row(0), queries.cols, o.efs.front());
  const double reopen = Seconds(start);
  std::printf("{\"system\":\"%s\",\"event\":\"reopen\",\"seconds\":%.3f,"
              "\"build_seconds\":%.3f}\n",
              SystemName(o).c_str(), reopen, one_thread_build);
  std::fflush(stdout);
  SweepEf(*s, o, queries, truth);
  for (const StoreFilter& filter : o.filters) {
    SweepEf(*s, o, queries, *filter.truth, filter.percent);
    MaskedScan(*s, o, queries, filter);
  }
}

}  // namespace ek::annbench
