// The two limits our kernel figures are fractions of, measured on the host that runs
// the benchmarks: the fp32 FMA peak (per core and with T threads) and the single-core
// read bandwidth. Hosts differ between sessions (read bandwidth was 21 GB/s on one and
// 40 GB/s on another; a constant 117 GFLOP/s peak once printed "137-143 % of peak"),
// so run_bench.sh measures both in the same run and divides by what it measured.
//
//   ek_machine_limits [--threads T]... [--bandwidth-mib M]
//
// Uses Highway's dynamic dispatch like the kernels, so the peak is the one of the SIMD
// target the kernels run on (printed). Prints lines run_bench.sh parses:
//   fp32 FMA peak threads=T: G GFLOP/s (best of 5, target AVX2)
//   single-core read bandwidth: B GB/s (best of 5, target AVX2)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "machine_limits.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "hwy/targets.h"

HWY_BEFORE_NAMESPACE();
namespace ek_bench::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// `iters` rounds of 10 independent FMA chains on registers only: 10 chains cover FMA
// latency x pipes (4 cycles x 2) on every x86 core we run on, and 10 accumulators +
// 2 operands fit AVX2's 16 registers, so the loop is bound by the FMA pipes alone.
// Returns the flops done (2 per lane per FMA); *sink keeps the loop alive.
double FmaChains(size_t iters, float* sink) {
  const hn::ScalableTag<float> d;
  const auto mul = hn::Set(d, 0.999999f), add = hn::Set(d, 1e-7f);
  auto a0 = hn::Set(d, 0.f), a1 = hn::Set(d, 1.f), a2 = hn::Set(d, 2.f), a3 = hn::Set(d, 3.f);
  auto a4 = hn::Set(d, 4.f), a5 = hn::Set(d, 5.f), a6 = hn::Set(d, 6.f), a7 = hn::Set(d, 7.f);
  auto a8 = hn::Set(d, 8.f), a9 = hn::Set(d, 9.f);
  for (size_t i = 0; i < iters; ++i) {
    a0 = hn::MulAdd(a0, mul, add); a1 = hn::MulAdd(a1, mul, add);
    a2 = hn::MulAdd(a2, mul, add); a3 = hn::MulAdd(a3, mul, add);
    a4 = hn::MulAdd(a4, mul, add); a5 = hn::MulAdd(a5, mul, add);
    a6 = hn::MulAdd(a6, mul, add); a7 = hn::MulAdd(a7, mul, add);
    a8 = hn::MulAdd(a8, mul, add); a9 = hn::MulAdd(a9, mul, add);
  }
  auto s = hn::Add(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)), hn::Add(hn::Add(a4, a5), a6));
  s = hn::Add(s, hn::Add(hn::Add(a7, a8), a9));
  *sink = hn::GetLane(hn::SumOfLanes(d, s));
  return 2.0 * 10.0 * double(hn::Lanes(d)) * double(iters);
}

// Sums n floats (n a multiple of 4 vectors) with 4 accumulators: a pure read stream.
float ReadStream(const float* HWY_RESTRICT p, size_t n) {
  const hn::ScalableTag<float> d;
  const size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  for (size_t i = 0; i + 4 * N <= n; i += 4 * N) {
    s0 = hn::Add(s0, hn::Load(d, p + i));
    s1 = hn::Add(s1, hn::Load(d, p + i + N));
    s2 = hn::Add(s2, hn::Load(d, p + i + 2 * N));
    s3 = hn::Add(s3, hn::Load(d, p + i + 3 * N));
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

}  // namespace ek_bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ek_bench {
HWY_EXPORT(FmaChains);
HWY_EXPORT(ReadStream);

namespace {
constexpr int kReps = 5;

double Seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// Best of kReps of T threads each running the FMA chains for ~0.1 s: GFLOP/s in all.
double FmaPeak(int threads) {
  constexpr size_t kIters = size_t{1} << 26;
  double best = 0;
  for (int r = 0; r < kReps; ++r) {
    std::vector<double> flops(threads);
    std::vector<float> sink(threads);
    std::vector<std::thread> pool;
    const double t0 = Seconds();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { flops[t] = HWY_DYNAMIC_DISPATCH(FmaChains)(kIters, &sink[t]); });
    for (auto& th : pool) th.join();
    const double dt = Seconds() - t0;
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / dt * 1e-9);
    if (sink[0] == 12345.f) std::fprintf(stderr, " ");  // uses the result
  }
  return best;
}

// Best of kReps single-thread passes over `mib` MiB (far larger than any cache).
double ReadBandwidth(size_t mib) {
  const size_t n = mib * (size_t{1} << 20) / sizeof(float);
  auto buf = hwy::AllocateAligned<float>(n);
  for (size_t i = 0; i < n; ++i) buf[i] = float(i & 7);
  double best = 0;
  float sink = 0;
  for (int r = 0; r < kReps; ++r) {
    const double t0 = Seconds();
    sink += HWY_DYNAMIC_DISPATCH(ReadStream)(buf.get(), n);
    best = std::max(best, double(n * sizeof(float)) / (Seconds() - t0) * 1e-9);
  }
  if (sink == 12345.f) std::fprintf(stderr, " ");
  return best;
}

int Usage(const char* why) {
  std::fprintf(stderr, "ek_machine_limits: %s\nusage: ek_machine_limits [--threads T]... [--bandwidth-mib M]\n", why);
  return 2;
}
}  // namespace
}  // namespace ek_bench

int main(int argc, char** argv) {
  std::vector<int> threads;
  long mib = 1024;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return ek_bench::Usage(("missing value after " + arg).c_str());
    const long v = std::strtol(argv[++i], nullptr, 10);
    if (arg == "--threads" && v >= 1 && v <= 1024) threads.push_back(int(v));
    else if (arg == "--bandwidth-mib" && v >= 0 && v <= 65536) mib = v;
    else return ek_bench::Usage(("bad option or value: " + arg + " " + argv[i]).c_str());
  }
  if (threads.empty()) threads = {1};
  const char* target = hwy::TargetName(hwy::SupportedAndGeneratedTargets()[0]);
  for (int t : threads)
    std::printf("fp32 FMA peak threads=%d: %.1f GFLOP/s (best of %d, target %s)\n", t,
                ek_bench::FmaPeak(t), ek_bench::kReps, target);
  if (mib > 0)
    std::printf("single-core read bandwidth: %.1f GB/s (best of %d, target %s, %ld MiB)\n",
                ek_bench::ReadBandwidth(size_t(mib)), ek_bench::kReps, target, mib);
  return 0;
}
#endif  // HWY_ONCE
