// The exact scans of issue 19's quantized targets, as a user of ek_collection_search_with
// gets them: one collection per element type in one store, the f32 one a plain
// collection (no index row: today's exact scan of the warm f32 copy), the others
// created with kind exact and element f16 / int8 / bit, so that a search scans the
// codes (QuantizedScanTopK) and, with rescore r > 1 (always for bit), re-ranks its k x r
// candidates with the f32 originals read from SQLite (RescoreWithOriginals). Not
// SearchOptions::exact: on a quantized collection that scans the f32 originals
// streamed from SQLite (the recall baseline), not the codes.
#include "exact_scan_mode.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "store/store.h"
#include "store_files.h"

namespace ek::annbench {
namespace {

using store::ElementType;

struct Scan {
  ElementType element;
  size_t rescore;  // 1: the codes' own scores
};

std::string Name(ElementType element) {
  return std::string("embedkit-store-exact-") + store::ElementTypeName(element);
}

// Creates the element's collection and upserts the base; prints its load line.
void Load(store::Store& s, const ExactScanOptions& o, ElementType element, const Matrix& base) {
  const std::string name = store::ElementTypeName(element);
  const store::Metric metric = o.angular ? store::Metric::kCosine : store::Metric::kL2;
  if (element == ElementType::kF32) {
    s.CreateCollection(name, base.cols, metric);
  } else {
    store::IndexOptions index;  // kind exact
    index.element = element;
    s.CreateCollection(name, base.cols, metric, index);
  }
  const double seconds = UpsertBase(s, name, base);
  const auto info = s.FindCollection(name);
  std::printf("{\"system\":\"%s\",\"event\":\"load\",\"upsert_seconds\":%.3f,"
              "\"bytes_per_vector\":%ju}\n",
              Name(element).c_str(), seconds,
              static_cast<uintmax_t>(info ? info->bytes_per_vector : 0));
  std::fflush(stdout);
}

void Measure(store::Store& s, const ExactScanOptions& o, const Scan& scan,
             const Matrix& queries, const IdMatrix& truth) {
  const std::string collection = store::ElementTypeName(scan.element);
  store::SearchOptions search;
  search.rescore = scan.rescore;
  const size_t n = std::min<size_t>(o.queries, queries.rows);
  s.Search(collection, queries.Row(0), 1, queries.cols, o.k, "", false, search);  // warm copy
  size_t hits = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t q = 0; q < n; ++q) {
    const auto found =
        s.Search(collection, queries.Row(q), 1, queries.cols, o.k, "", false, search);
    hits += Hits(truth.ids.data() + q * truth.cols, o.k, found[0]);
  }
  const double seconds = Seconds(start);
  std::string system = Name(scan.element);
  if (scan.rescore > 1) system += "-r" + std::to_string(scan.rescore);
  std::printf("{\"system\":\"%s\",\"param\":\"exact\",\"scan\":true,\"element\":\"%s\","
              "\"rescore\":%zu,\"recall\":%.4f,\"qps\":%.1f,\"queries\":%zu}\n",
              system.c_str(), collection.c_str(), scan.rescore,
              double(hits) / double(n * o.k), double(n) / seconds, n);
  std::fflush(stdout);
}

}  // namespace

void RunExactScanMode(const ExactScanOptions& o, const Matrix& base, const Matrix& queries,
                      const IdMatrix& truth) {
  TempFolder folder;
  auto s = OpenBenchStore(folder.File(), nullptr);  // one thread, as a user's call on no pool
  std::vector<Scan> scans = {{ElementType::kF32, 1}, {ElementType::kF16, 1}};
  for (size_t r : o.int8_rescore) scans.push_back({ElementType::kInt8, r});
  for (size_t r : o.bit_rescore) scans.push_back({ElementType::kBit, r});
  for (ElementType e :
       {ElementType::kF32, ElementType::kF16, ElementType::kInt8, ElementType::kBit}) {
    Load(*s, o, e, base);
  }
  for (const Scan& scan : scans) Measure(*s, o, scan, queries, truth);
}

}  // namespace ek::annbench
