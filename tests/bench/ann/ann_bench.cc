// ek_ann_bench: the HNSW graph core (ek::index::HnswGraph) measured directly, with
// distances from ek::kernels, on files written by run.py (see ann_files.h). Prints
// JSON lines: build seconds per thread count, then recall@k and single-thread
// queries/s per ef, then the exact scan (ScanTopK, one thread) on the same queries.
// With --make-truth it instead writes the exact top-k of every query (ScanTopK on
// every core) to --truth: the ground truth every system in run.py is scored against.
//
// Filtered search: --labels names an ids file of one attribute per base row (run.py
// draws it uniformly from 0..99), and each --filter P:FILE allows the rows whose
// attribute is below P (P% selectivity). --make-truth also writes each filter's exact
// top-k (ScanTopK with row_allowed) to its FILE; the benchmark then measures
// HnswGraph::Search with that SlotFilter per ef, and the masked exact scan, against it.
//
// Angular data is normalised once here and compared as 1 - dot; l2 uses L2Sq.
//
// --store measures the same HNSW through store::Store instead (store_mode.h): upsert,
// BuildIndex per --build-threads, reopen, then recall and queries/s per ef, one query per
// Search call (and, with --labels/--filter, each filter through the store's planner
// beside its masked exact scan); --element f16|int8|bit and --rescore N pick its element
// type and re-rank.
// --store --exact-scan measures the exact scans of f32, f16, int8 and bit collections
// through the store instead (exact_scan_mode.h), on the first --exact-queries queries;
// --int8-rescore and --bit-rescore list the rescore factors it sweeps.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "ann_files.h"
#include "base/thread_pool.h"
#include "exact_scan_mode.h"
#include "index/hnsw.h"
#include "kernels/kernels.h"
#include "store/index_options.h"
#include "store_mode.h"

namespace ek::annbench {
namespace {

struct FilterSpec {
  uint32_t percent = 0;  // rows with attribute < percent are allowed
  std::string truth;
};

struct Options {
  std::string base, queries, truth, labels;
  std::vector<FilterSpec> filters;
  bool angular = true;
  bool make_truth = false;
  bool store = false;  // measure through store::Store (store_mode.h), not the core
  kernels::ElementType element = kernels::ElementType::kF32;  // --store only
  uint32_t rescore = 1;                                       // --store only
  bool exact_scan = false;  // --store: the exact scans per element, not the HNSW
  ExactScanOptions exact_scan_options;
  uint32_t m = 16, ef_construction = 200;
  size_t k = 10;
  std::vector<size_t> efs = {10, 20, 40, 80, 160, 320};
  std::vector<size_t> build_threads = {1, 2};
  size_t exact_queries = 500;  // the exact scan is slow: time it on a prefix
};

std::vector<size_t> ParseList(const char* text) {
  std::vector<size_t> values;
  for (const char* p = text; *p;) {
    char* end = nullptr;
    values.push_back(std::strtoull(p, &end, 10));
    if (end == p) throw std::runtime_error(std::string("bad number list: ") + text);
    p = *end == ',' ? end + 1 : end;
  }
  return values;
}

// "P:FILE" -> {P, FILE}.
FilterSpec ParseFilter(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw std::runtime_error("--filter wants PERCENT:FILE, got " + text);
  }
  const unsigned long percent = std::stoul(text.substr(0, colon));
  if (percent == 0 || percent > 100) throw std::runtime_error("--filter percent not in 1..100");
  return FilterSpec{static_cast<uint32_t>(percent), text.substr(colon + 1)};
}

kernels::ElementType ParseElement(const std::string& name) {
  for (auto type : {kernels::ElementType::kF32, kernels::ElementType::kF16,
                    kernels::ElementType::kInt8, kernels::ElementType::kBit}) {
    if (name == store::ElementTypeName(type)) return type;
  }
  throw std::runtime_error("--element wants f32, f16, int8 or bit, got " + name);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--make-truth") { o.make_truth = true; continue; }
    if (flag == "--store") { o.store = true; continue; }
    if (flag == "--exact-scan") { o.exact_scan = true; continue; }
    if (i + 1 >= argc) throw std::runtime_error("missing value after " + flag);
    const char* value = argv[++i];
    if (flag == "--base") o.base = value;
    else if (flag == "--queries") o.queries = value;
    else if (flag == "--truth") o.truth = value;
    else if (flag == "--metric") o.angular = std::strcmp(value, "l2") != 0;
    else if (flag == "--m") o.m = static_cast<uint32_t>(std::stoul(value));
    else if (flag == "--ef-construction") o.ef_construction = static_cast<uint32_t>(std::stoul(value));
    else if (flag == "--k") o.k = std::stoul(value);
    else if (flag == "--ef") o.efs = ParseList(value);
    else if (flag == "--build-threads") o.build_threads = ParseList(value);
    else if (flag == "--exact-queries") o.exact_queries = std::stoul(value);
    else if (flag == "--labels") o.labels = value;
    else if (flag == "--filter") o.filters.push_back(ParseFilter(value));
    else if (flag == "--element") o.element = ParseElement(value);
    else if (flag == "--rescore") o.rescore = static_cast<uint32_t>(std::stoul(value));
    else if (flag == "--int8-rescore") o.exact_scan_options.int8_rescore = ParseList(value);
    else if (flag == "--bit-rescore") o.exact_scan_options.bit_rescore = ParseList(value);
    else throw std::runtime_error("unknown flag " + flag);
  }
  if (!o.filters.empty() && o.labels.empty()) throw std::runtime_error("--filter needs --labels");
  if (o.exact_scan && !o.filters.empty()) {
    throw std::runtime_error("--exact-scan measures no filters");
  }
  if (o.exact_scan && !o.store) throw std::runtime_error("--exact-scan needs --store");
  if (o.base.empty() || o.queries.empty() || o.truth.empty()) {
    throw std::runtime_error("usage: ek_ann_bench --base F --queries F --truth F "
                             "[--make-truth] [--metric angular|l2] [--m N] "
                             "[--ef-construction N] [--ef a,b,..] [--build-threads 1,2] "
                             "[--labels F --filter PERCENT:TRUTH ...] "
                             "[--store [--element f32|f16|int8|bit] [--rescore N] "
                             "[--labels F --filter ...]] "
                             "[--store --exact-scan [--exact-queries N] [--int8-rescore a,b,..] "
                             "[--bit-rescore a,b,..]]");
  }
  return o;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

size_t ResidentBytes() {
  long pages = 0, resident = 0;
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(statm);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void NormalizeRows(Matrix& m) {
  for (size_t r = 0; r < m.rows; ++r) kernels::Normalize(m.values.data() + r * m.cols, m.cols);
}

// Rows whose attribute (labels file, one column) is below `percent`: 1, others 0.
std::vector<uint8_t> AllowedRows(const IdMatrix& labels, uint32_t rows, uint32_t percent) {
  if (labels.rows != rows || labels.cols != 1) throw std::runtime_error("labels shape");
  std::vector<uint8_t> allowed(rows);
  for (uint32_t r = 0; r < rows; ++r) allowed[r] = labels.ids[r] < percent;
  return allowed;
}

// The exact top-k of every query (only rows `allowed` marks, when given): the ground
// truth. A query with fewer than k allowed rows pads its tail with kNoRow.
constexpr uint32_t kNoRow = 0xFFFFFFFFu;
IdMatrix ExactTopK(const Matrix& base, const Matrix& queries, size_t k, bool angular,
                   ThreadPool* pool, const uint8_t* allowed = nullptr) {
  kernels::ScanRequest request;
  request.queries = queries.values.data();
  request.n_queries = queries.rows;
  request.base = base.values.data();
  request.rows = base.rows;
  request.dim = base.cols;
  request.metric = angular ? kernels::Metric::kCosine : kernels::Metric::kL2;
  request.row_allowed = allowed;
  request.k = k;
  IdMatrix out;
  out.rows = queries.rows;
  out.cols = static_cast<uint32_t>(k);
  out.ids.resize(size_t{queries.rows} * k);
  std::vector<float> scores(out.ids.size());
  std::vector<size_t> counts(queries.rows);
  kernels::ScanTopK(request, pool, out.ids.data(), scores.data(), counts.data());
  for (size_t q = 0; q < queries.rows; ++q) {
    std::fill(out.ids.begin() + q * k + counts[q], out.ids.begin() + (q + 1) * k, kNoRow);
  }
  return out;
}

// Fraction of the true top-k found among `found` for one query.
size_t Hits(const uint32_t* truth, size_t k, const std::vector<uint32_t>& found) {
  size_t hits = 0;
  for (uint32_t id : found) hits += std::find(truth, truth + k, id) != truth + k;
  return hits;
}

// ,"filter":P for a filtered figure, nothing for an unfiltered one.
std::string FilterField(uint32_t percent) {
  return percent == 0 ? std::string() : ",\"filter\":" + std::to_string(percent);
}

// The exact scan answering one query per call on one thread (masked when `allowed`).
void RunExact(const Options& o, const Matrix& base, const Matrix& queries,
              const IdMatrix& truth, const uint8_t* allowed = nullptr, uint32_t percent = 0) {
  Matrix prefix;
  prefix.cols = queries.cols;
  prefix.rows = static_cast<uint32_t>(std::min<size_t>(o.exact_queries, queries.rows));
  prefix.values.assign(queries.values.begin(),
                       queries.values.begin() + size_t{prefix.rows} * prefix.cols);
  size_t hits = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t q = 0; q < prefix.rows; ++q) {  // one query per call, as a user asks them
    Matrix one;
    one.rows = 1;
    one.cols = prefix.cols;
    one.values.assign(prefix.Row(q), prefix.Row(q) + prefix.cols);
    const IdMatrix found = ExactTopK(base, one, o.k, o.angular, nullptr, allowed);
    hits += Hits(truth.ids.data() + q * truth.cols, o.k, found.ids);
  }
  const double seconds = Seconds(start);
  std::printf("{\"system\":\"embedkit-exact\"%s,\"param\":\"scan\",\"recall\":%.4f,"
              "\"qps\":%.1f,\"queries\":%u}\n",
              FilterField(percent).c_str(), double(hits) / double(prefix.rows * o.k),
              prefix.rows / seconds, prefix.rows);
  std::fflush(stdout);
}

IdMatrix ReadTruth(const std::string& path, uint32_t queries, size_t k) {
  IdMatrix truth = ReadIds(path);
  if (truth.rows != queries || truth.cols < k) throw std::runtime_error(path + ": truth shape");
  return truth;
}

// Recall@k and single-thread queries/s of the graph per ef (only `allowed` rows
// returned, through a SlotFilter, when given).
void SweepEf(const Options& o, const index::HnswGraph& graph, const Matrix& base,
             const Matrix& queries, const IdMatrix& truth, const uint8_t* allowed,
             uint32_t percent) {
  const size_t dim = base.cols;
  const float* rows = base.values.data();
  auto is_allowed = [allowed](uint32_t slot) { return allowed[slot] != 0; };
  for (size_t ef : o.efs) {
    size_t hits = 0;
    std::vector<uint32_t> found;
    const auto start = std::chrono::steady_clock::now();
    for (size_t q = 0; q < queries.rows; ++q) {
      const float* query = queries.Row(q);
      auto distance = [&](uint32_t s) {
        return o.angular ? 1.0f - kernels::Dot(query, rows + s * dim, dim)
                         : kernels::L2Sq(query, rows + s * dim, dim);
      };
      const auto result = allowed ? graph.Search(distance, o.k, ef, is_allowed)
                                  : graph.Search(distance, o.k, ef);
      found.clear();
      for (const auto& n : result) found.push_back(n.slot);
      hits += Hits(truth.ids.data() + q * truth.cols, o.k, found);
    }
    const double seconds = Seconds(start);
    std::printf("{\"system\":\"embedkit-hnsw\"%s,\"param\":\"ef=%zu\",\"recall\":%.4f,"
                "\"qps\":%.1f}\n",
                FilterField(percent).c_str(), ef, double(hits) / double(queries.rows * o.k),
                queries.rows / seconds);
    std::fflush(stdout);
  }
}

int Run(const Options& o) {
  Matrix base = ReadVectors(o.base);
  Matrix queries = ReadVectors(o.queries);
  if (queries.cols != base.cols) throw std::runtime_error("queries and base differ in dim");
  if (o.angular) {
    NormalizeRows(base);
    NormalizeRows(queries);
  }
  const IdMatrix labels = o.labels.empty() ? IdMatrix{} : ReadIds(o.labels);
  if (o.make_truth) {
    ThreadPool pool(0);
    WriteIds(o.truth, ExactTopK(base, queries, o.k, o.angular, &pool));
    for (const FilterSpec& filter : o.filters) {
      const auto allowed = AllowedRows(labels, base.rows, filter.percent);
      WriteIds(filter.truth, ExactTopK(base, queries, o.k, o.angular, &pool, allowed.data()));
    }
    return 0;
  }
  const IdMatrix truth = ReadTruth(o.truth, queries.rows, o.k);
  if (o.exact_scan) {
    ExactScanOptions scan = o.exact_scan_options;
    scan.angular = o.angular;
    scan.k = o.k;
    scan.queries = o.exact_queries;
    RunExactScanMode(scan, base, queries, truth);
    return 0;
  }
  if (o.store) {
    StoreModeOptions store;
    store.angular = o.angular;
    store.m = o.m;
    store.ef_construction = o.ef_construction;
    store.k = o.k;
    store.efs = o.efs;
    store.build_threads = o.build_threads;
    store.element = o.element;
    store.rescore = o.rescore;
    std::vector<IdMatrix> filter_truths;
    filter_truths.reserve(o.filters.size());  // StoreFilter points into it
    for (const FilterSpec& filter : o.filters) {
      filter_truths.push_back(ReadTruth(filter.truth, queries.rows, o.k));
      store.filters.push_back(StoreFilter{filter.percent, &filter_truths.back()});
    }
    store.labels = o.labels.empty() ? nullptr : &labels;
    store.exact_queries = o.exact_queries;
    RunStoreMode(store, base, queries, truth);
    return 0;
  }

  const size_t dim = base.cols;
  const float* rows = base.values.data();
  auto pair = [&](uint32_t a, uint32_t b) {
    return o.angular ? 1.0f - kernels::Dot(rows + a * dim, rows + b * dim, dim)
                     : kernels::L2Sq(rows + a * dim, rows + b * dim, dim);
  };
  std::vector<uint32_t> slots(base.rows);
  std::iota(slots.begin(), slots.end(), 0u);

  std::unique_ptr<index::HnswGraph> graph;
  for (size_t threads : o.build_threads) {
    graph.reset();
    const size_t resident_before = ResidentBytes();
    auto built = std::make_unique<index::HnswGraph>(
        index::HnswParams{o.m, o.ef_construction, 0x5eed});
    std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
    const auto start = std::chrono::steady_clock::now();
    built->Build(slots, pair, pool.get());
    const double seconds = Seconds(start);
    // Graph memory: resident growth during the build, plus the f32 vectors the
    // caller keeps (hnswlib's figure includes its own copy of them).
    const size_t resident_after = ResidentBytes();
    const size_t graph_bytes = resident_after - std::min(resident_after, resident_before);
    std::printf("{\"system\":\"embedkit-hnsw\",\"event\":\"build\",\"threads\":%zu,"
                "\"seconds\":%.3f,\"graph_bytes\":%zu,\"vector_bytes\":%zu}\n",
                threads, seconds, graph_bytes, base.values.size() * sizeof(float));
    std::fflush(stdout);
    graph = std::move(built);
  }

  SweepEf(o, *graph, base, queries, truth, nullptr, 0);
  RunExact(o, base, queries, truth);
  for (const FilterSpec& filter : o.filters) {
    const auto allowed = AllowedRows(labels, base.rows, filter.percent);
    const IdMatrix filtered_truth = ReadTruth(filter.truth, queries.rows, o.k);
    SweepEf(o, *graph, base, queries, filtered_truth, allowed.data(), filter.percent);
    RunExact(o, base, queries, filtered_truth, allowed.data(), filter.percent);
  }
  return 0;
}

}  // namespace
}  // namespace ek::annbench

int main(int argc, char** argv) {
  try {
    return ek::annbench::Run(ek::annbench::ParseOptions(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ek_ann_bench: %s\n", e.what());
    return 1;
  }
}
