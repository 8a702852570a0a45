// Kernel benchmarks (Google Benchmark). Figures, not tests: run through
// tests/bench/run_bench.sh, which also runs the peer baselines and prints ratios.
//
//   OneVsMany/<metric>/<dim>          one query against a 150 MiB base: GB/s read
//   ScanSingle/rows:R/threads:T      exact top-10, one query, dim 384: queries/s, GB/s
//   ScanBatch/rows:R/threads:T       exact top-10, 100 queries, dim 384: GFLOP/s
//                                    (run_bench.sh divides by the fp32 FMA peak that
//                                    ek_machine_limits measures in the same run)
//   OneRow/<kind>/<type>/<metric>/<dim>  one distance per call over up to 65,536 encoded
//                                    rows in a random order, as a graph walk reads them:
//                                    rows/s. kind prepared (PreparedDistance), pair
//                                    (PreparePair's scorer, random pairs), pair_free
//                                    (PairDistance(type, ...): checks and dispatch per
//                                    call) or dot (kernels::Dot: what the ANN bench calls)
//
// --smoke shrinks the data to a few thousand rows (ctest runs it that way).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <ctime>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/kernels.h"
#include "kernels/prepared_distance.h"
#include "kernels/quantize.h"

namespace {

constexpr size_t kDim = 384;
bool g_smoke = false;

size_t MaxRows() { return g_smoke ? 4096 : 1000000; }

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// Uniform [-1, 1) from a xorshift generator: fast enough to fill 1.5 GB in seconds.
void Fill(float* p, size_t n, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    p[i] = float(int32_t(uint32_t(s >> 32))) * (1.0f / 2147483648.0f);
  }
}

// One shared base of MaxRows() x 384 floats (1.5 GB), written once so every page is
// resident before any timing.
const float* Base() {
  static std::unique_ptr<float, FreeDeleter> base = [] {
    const size_t n = MaxRows() * kDim;
    float* p = static_cast<float*>(std::aligned_alloc(64, n * sizeof(float)));
    Fill(p, n, 1);
    return std::unique_ptr<float, FreeDeleter>(p);
  }();
  return base.get();
}

const std::vector<float>& Queries() {
  static std::vector<float> q = [] {
    std::vector<float> v(128 * 1536);
    Fill(v.data(), v.size(), 2);
    return v;
  }();
  return q;
}

ek::ThreadPool* Pool(size_t threads) {
  static std::unique_ptr<ek::ThreadPool> pools[65];
  if (threads > 64) threads = 64;
  if (!pools[threads]) pools[threads] = std::make_unique<ek::ThreadPool>(threads);
  return pools[threads].get();
}

// CPU seconds of the calling thread: with one thread, rates over CPU time are less
// sensitive to other processes taking the core than rates over wall time.
// Returns a negative value where the clock is missing (some WASM runtimes).
double ThreadCpuSeconds() {
  timespec t;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return -1.0;
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

size_t AllThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

// ---- one-vs-many kernels ------------------------------------------------------------
template <int kMetric>
void OneVsMany(benchmark::State& state, size_t dim) {
  // 150 MiB of base (bigger than any cache), or what the smoke data holds.
  const size_t rows = std::min<size_t>((size_t(150) << 20) / (dim * 4), MaxRows() * kDim / dim);
  const float* base = Base();
  const float* q = Queries().data();
  std::vector<float> out(rows);
  const double cpu0 = ThreadCpuSeconds();
  for (auto _ : state) {
    if (kMetric == 0) ek::kernels::DotMany(q, base, rows, dim, out.data());
    if (kMetric == 1) ek::kernels::L2SqMany(q, base, rows, dim, out.data());
    if (kMetric == 2) ek::kernels::CosineMany(q, base, rows, dim, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double cpu = ThreadCpuSeconds() - cpu0;
  const double bytes = double(rows) * dim * sizeof(float);
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (cpu0 >= 0 && cpu > 0) state.counters["cpu_GB/s"] = bytes * 1e-9 * double(state.iterations()) / cpu;
  state.counters["rows"] = double(rows);
}

// ---- exact top-k scans --------------------------------------------------------------
void ScanSingle(benchmark::State& state, size_t rows, size_t threads) {
  rows = std::min(rows, MaxRows());
  ek::kernels::ScanRequest req;
  req.n_queries = 1;
  req.base = Base();
  req.rows = rows;
  req.dim = kDim;
  req.metric = ek::kernels::Metric::kDot;
  req.k = 10;
  uint32_t out_rows[10];
  float out_scores[10];
  size_t count;
  size_t qi = 0;
  const double cpu0 = ThreadCpuSeconds();
  for (auto _ : state) {
    req.queries = Queries().data() + (qi++ % 31) * kDim;
    ek::kernels::ScanTopK(req, Pool(threads), out_rows, out_scores, &count);
    benchmark::DoNotOptimize(out_rows);
  }
  const double cpu = ThreadCpuSeconds() - cpu0;
  const double bytes = double(rows) * kDim * sizeof(float);
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (threads == 1 && cpu0 >= 0 && cpu > 0) state.counters["cpu_GB/s"] = bytes * 1e-9 * double(state.iterations()) / cpu;
  state.counters["queries/s"] = benchmark::Counter(1, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = double(threads);
}

void ScanBatch(benchmark::State& state, size_t rows, size_t threads) {
  rows = std::min(rows, MaxRows());
  constexpr size_t kQueries = 100, kK = 10;
  ek::kernels::ScanRequest req;
  req.queries = Queries().data();
  req.n_queries = kQueries;
  req.base = Base();
  req.rows = rows;
  req.dim = kDim;
  req.metric = ek::kernels::Metric::kDot;
  req.k = kK;
  std::vector<uint32_t> out_rows(kQueries * kK);
  std::vector<float> out_scores(kQueries * kK);
  std::vector<size_t> counts(kQueries);
  const double cpu0 = ThreadCpuSeconds();
  for (auto _ : state) {
    ek::kernels::ScanTopK(req, Pool(threads), out_rows.data(), out_scores.data(), counts.data());
    benchmark::DoNotOptimize(out_rows.data());
  }
  const double cpu = ThreadCpuSeconds() - cpu0;
  const double flops = 2.0 * double(rows) * kDim * kQueries;
  if (threads == 1 && cpu0 >= 0 && cpu > 0) state.counters["cpu_GFLOP/s"] = flops * 1e-9 * double(state.iterations()) / cpu;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["queries/s"] = benchmark::Counter(double(kQueries), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = double(threads);
}

// ---- one-row distances (the HNSW graph's access pattern) -----------------------------
enum class OneRowKind { kPrepared, kPair, kPairFree, kDot };

// The first `rows` rows of Base() encoded as `type` (normalised first for cosine; int8
// with the scale of Base()'s range [-1, 1)).
std::vector<uint8_t> EncodedRows(ek::kernels::ElementType type, ek::kernels::Metric metric,
                                 size_t dim, size_t rows) {
  using ek::kernels::ElementType;
  const size_t bytes = ek::kernels::BytesPerVector(type, dim);
  std::vector<float> x(Base(), Base() + rows * dim);
  if (metric == ek::kernels::Metric::kCosine) {
    for (size_t r = 0; r < rows; ++r) ek::kernels::Normalize(x.data() + r * dim, dim);
  }
  std::vector<uint8_t> out(rows * bytes);
  if (type == ElementType::kF32) std::memcpy(out.data(), x.data(), out.size());
  if (type == ElementType::kF16) {
    ek::kernels::EncodeF16(x.data(), x.size(), reinterpret_cast<uint16_t*>(out.data()));
  }
  if (type == ElementType::kInt8) {
    ek::kernels::EncodeInt8(x.data(), x.size(), 1.0f / 127, reinterpret_cast<int8_t*>(out.data()));
  }
  if (type == ElementType::kBit) {
    for (size_t r = 0; r < rows; ++r) {
      ek::kernels::EncodeBits(x.data() + r * dim, dim,
                              reinterpret_cast<uint64_t*>(out.data() + r * bytes));
    }
  }
  return out;
}

void OneRow(benchmark::State& state, OneRowKind kind, ek::kernels::ElementType type,
            ek::kernels::Metric metric, size_t dim) {
  constexpr size_t kVisits = 4096;
  const size_t rows = std::min<size_t>(65536, MaxRows() * kDim / dim);
  const size_t bytes = ek::kernels::BytesPerVector(type, dim);
  const std::vector<uint8_t> data = EncodedRows(type, metric, dim, rows);
  std::vector<uint32_t> order(2 * kVisits);
  uint64_t s = 7;
  for (auto& o : order) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    o = uint32_t(s % rows);
  }
  const float* q = Queries().data();
  const ek::kernels::PreparedQuery prepared =
      ek::kernels::PrepareQuery(type, metric, q, dim, 1.0f / 127);
  const ek::kernels::PreparedPair pair = ek::kernels::PreparePair(type, metric, dim, 1.0f / 127);
  for (auto _ : state) {
    float sum = 0.0f;
    for (size_t i = 0; i < kVisits; ++i) {
      const uint8_t* row = data.data() + order[i] * bytes;
      if (kind == OneRowKind::kPrepared) sum += ek::kernels::PreparedDistance(prepared, row);
      const uint8_t* other = data.data() + order[kVisits + i] * bytes;
      if (kind == OneRowKind::kPair) sum += ek::kernels::PairDistance(pair, other, row);
      if (kind == OneRowKind::kPairFree) {
        sum += ek::kernels::PairDistance(type, metric, other, row, dim, 1.0f / 127);
      }
      if (kind == OneRowKind::kDot) {
        sum += ek::kernels::Dot(q, reinterpret_cast<const float*>(row), dim);
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["rows/s"] =
      benchmark::Counter(double(kVisits), benchmark::Counter::kIsIterationInvariantRate);
}

// Repetition aggregates: Google Benchmark adds mean/median/stddev/cv; "max" gives
// the best repetition of a rate counter (bw.c reports its best of 5 runs).
void AddStats(benchmark::internal::Benchmark* b) {
  b->ComputeStatistics("max", [](const std::vector<double>& v) {
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
  });
}

// f32, f16, int8 for dot and cosine (l2 costs what dot or int8 cosine cost) and bit, at
// GloVe's 100 and 384; pair_free (the per-call dispatch) for f32 dot and bit at 100 only.
void RegisterOneRow() {
  using ek::kernels::ElementType;
  using ek::kernels::Metric;
  const std::pair<ElementType, const char*> types[] = {{ElementType::kF32, "f32"},
                                                       {ElementType::kF16, "f16"},
                                                       {ElementType::kInt8, "int8"},
                                                       {ElementType::kBit, "bit"}};
  const std::pair<Metric, const char*> metrics[] = {{Metric::kDot, "dot"},
                                                    {Metric::kCosine, "cosine"}};
  auto add = [](const std::string& name, OneRowKind kind, ElementType type, Metric metric,
                size_t dim) {
    AddStats(benchmark::RegisterBenchmark(("OneRow/" + name).c_str(), OneRow, kind, type,
                                          metric, dim));
  };
  for (size_t dim : {100, 384}) {
    const std::string d = "/" + std::to_string(dim);
    add("dot/f32/dot" + d, OneRowKind::kDot, ElementType::kF32, Metric::kDot, dim);
    for (const auto& [type, tname] : types) {
      for (const auto& [metric, mname] : metrics) {
        if (type == ElementType::kBit && metric != Metric::kDot) continue;  // always Hamming
        const std::string name = std::string(tname) + "/" + mname + d;
        add("prepared/" + name, OneRowKind::kPrepared, type, metric, dim);
        add("pair/" + name, OneRowKind::kPair, type, metric, dim);
        const bool dispatch_probe = dim == 100 && metric == Metric::kDot &&
                                    (type == ElementType::kF32 || type == ElementType::kBit);
        if (dispatch_probe) add("pair_free/" + name, OneRowKind::kPairFree, type, metric, dim);
      }
    }
  }
}

void RegisterAll() {
  for (size_t dim : {128, 384, 768, 1536}) {
    const std::string d = std::to_string(dim);
    AddStats(benchmark::RegisterBenchmark(("OneVsMany/dot/" + d).c_str(), OneVsMany<0>, dim)->UseRealTime());
    AddStats(benchmark::RegisterBenchmark(("OneVsMany/l2/" + d).c_str(), OneVsMany<1>, dim)->UseRealTime());
    AddStats(benchmark::RegisterBenchmark(("OneVsMany/cosine/" + d).c_str(), OneVsMany<2>, dim)->UseRealTime());
  }
  for (size_t rows : {100000, 1000000}) {
    for (size_t threads : {size_t(1), AllThreads()}) {
      const std::string suffix = "/rows:" + std::to_string(rows) + "/threads:" + std::to_string(threads);
      AddStats(benchmark::RegisterBenchmark(("ScanSingle" + suffix).c_str(), ScanSingle, rows, threads)
                   ->Unit(benchmark::kMillisecond)
                   ->UseRealTime());
      AddStats(benchmark::RegisterBenchmark(("ScanBatch" + suffix).c_str(), ScanBatch, rows, threads)
                   ->Unit(benchmark::kMillisecond)
                   ->UseRealTime());
      if (threads == 1 && AllThreads() == 1) break;
    }
  }
  RegisterOneRow();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      g_smoke = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::AddCustomContext("simd_target", ek::kernels::SimdTargetName());
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
