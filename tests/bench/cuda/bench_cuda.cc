// GPU benchmark driver (prints figures; never a timed test). Every GPU figure comes
// with the CPU's from the same run and their ratio:
//   search1   top-10 of one query over rows x dim f32, base resident on the GPU:
//             GB/s of base read, % of the GPU's peak memory bandwidth
//             (cudaDeviceGetAttribute clock x bus width), vs CPU ScanTopK on all cores
//   batch     1,000 queries top-10: TFLOP/s (2 x queries x rows x dim / time)
//   stream    the same single-query search with the base streamed from host memory
//             through the pinned double buffers (what collections larger than the
//             GPU's memory get): GB/s over the bus
//   upload    first-use upload of the collection (GB/s)
//   matmul    4096^3 SGEMM through cuda::MatMul (transfers included): TFLOP/s
//   fwht      batched FWHT (65,536 vectors of 1,024): vectors/s
//
// Options: --rows N (default 10,000,000) --dim D (384) --reps R (10) --cpu-rows N
// (rows for the CPU batch run, default 1,000,000: the CPU rate is measured on a
// subset to keep the run short; rates are per byte/flop so they compare).
// Without a GPU it says so and exits 0.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "cuda/cuda_backend.h"
#include "kernels/kernels.h"
#include "parallel/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Fast deterministic fill in parallel (10M x 384 floats is 15 GB).
void Fill(std::vector<float>& v, uint64_t seed, ek::ThreadPool& pool) {
  ek::ParallelFor(&pool, v.size(), 1 << 20, [&](size_t b, size_t e) {
    uint64_t s = seed ^ (0x9E3779B97F4A7C15ull * (b + 1));
    for (size_t i = b; i < e; ++i) {
      s ^= s << 13;
      s ^= s >> 7;
      s ^= s << 17;
      v[i] = static_cast<float>((s >> 40) & 0xFFFFFF) / 16777216.0f * 2.0f - 1.0f;
    }
  });
}

template <class F>
double Best(int reps, F&& f) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, Seconds(t0, Clock::now()));
  }
  return best;
}

struct Out {
  std::vector<uint32_t> rows;
  std::vector<float> scores;
  std::vector<size_t> counts;
  Out(size_t nq, size_t k) : rows(nq * k), scores(nq * k), counts(nq) {}
};

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 10000000, dim = 384, cpu_rows = 1000000;
  int reps = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--rows") rows = v;
    else if (a == "--dim") dim = v;
    else if (a == "--reps") reps = static_cast<int>(v);
    else if (a == "--cpu-rows") cpu_rows = v;
  }
  const ek::cuda::DeviceInfo& info = ek::cuda::Probe();
  if (!info.available) {
    std::printf("bench_cuda: no GPU: %s\n", info.reason.c_str());
    return 0;
  }
  ek::ThreadPool pool(0);
  cpu_rows = std::min(cpu_rows, rows);
  std::printf("device      %s\n", ek::cuda::Describe(info).c_str());
  std::printf("cpu         %s, %zu threads\n", ek::kernels::SimdTargetName(), pool.size());
  std::printf("collection  %zu x %zu f32 (%.2f GB)\n", rows, dim, rows * dim * 4 / 1e9);
  std::fflush(stdout);

  std::vector<float> base(rows * dim);
  Fill(base, 1, pool);
  const size_t nq_batch = 1000, k = 10;
  std::vector<float> queries(nq_batch * dim);
  Fill(queries, 2, pool);
  const double gb = rows * dim * 4 / 1e9;

  ek::kernels::ScanRequest req;
  req.queries = queries.data();
  req.n_queries = 1;
  req.base = base.data();
  req.rows = rows;
  req.dim = dim;
  req.metric = ek::kernels::Metric::kDot;
  req.k = k;
  Out o1(1, k);

  // Upload (first use of a content key) then resident single-query searches.
  auto t0 = Clock::now();
  ek::cuda::ScanTopK(req, 1, &pool, o1.rows.data(), o1.scores.data(), o1.counts.data());
  const double t_upload = Seconds(t0, Clock::now());
  const double t_gpu1 = Best(reps, [&] {
    ek::cuda::ScanTopK(req, 1, &pool, o1.rows.data(), o1.scores.data(), o1.counts.data());
  });
  const double t_cpu1 = Best(std::max(1, reps / 3), [&] {
    ek::kernels::ScanTopK(req, &pool, o1.rows.data(), o1.scores.data(), o1.counts.data());
  });
  const double gpu_gbs = gb / t_gpu1, cpu_gbs = gb / t_cpu1;
  std::printf("search1     top-%zu, 1 query: GPU %.3f ms = %.0f GB/s = %.1f%% of %.0f GB/s peak; "
              "CPU %.1f ms = %.1f GB/s; GPU/CPU %.1fx\n",
              k, t_gpu1 * 1e3, gpu_gbs, 100.0 * gpu_gbs / info.peak_bandwidth_gbs,
              info.peak_bandwidth_gbs, t_cpu1 * 1e3, cpu_gbs, t_cpu1 / t_gpu1);
  std::printf("upload      first use: %.2f s = %.1f GB/s host->device (incl. norms)\n", t_upload,
              gb / t_upload);
  std::fflush(stdout);

  // 1,000-query batch, resident.
  req.n_queries = nq_batch;
  Out ob(nq_batch, k);
  const double t_gpub = Best(std::max(1, reps / 3), [&] {
    ek::cuda::ScanTopK(req, 1, &pool, ob.rows.data(), ob.scores.data(), ob.counts.data());
  });
  const double flops = 2.0 * nq_batch * rows * dim;
  ek::kernels::ScanRequest creq = req;
  creq.rows = cpu_rows;
  const double t_cpub = Best(1, [&] {
    ek::kernels::ScanTopK(creq, &pool, ob.rows.data(), ob.scores.data(), ob.counts.data());
  });
  const double cpu_flops = 2.0 * nq_batch * cpu_rows * dim;
  std::printf("batch       %zu queries top-%zu: GPU %.1f ms = %.2f TFLOP/s; CPU (%zu rows) %.1f ms = "
              "%.3f TFLOP/s; GPU/CPU %.1fx\n",
              nq_batch, k, t_gpub * 1e3, flops / t_gpub / 1e12, cpu_rows, t_cpub * 1e3,
              cpu_flops / t_cpub / 1e12, (flops / t_gpub) / (cpu_flops / t_cpub));
  std::fflush(stdout);

  // Streaming: the same single query, nothing resident (content key 0).
  ek::cuda::ReleaseResident();
  req.n_queries = 1;
  const double t_stream = Best(std::max(1, reps / 5), [&] {
    ek::cuda::ScanTopK(req, 0, &pool, o1.rows.data(), o1.scores.data(), o1.counts.data());
  });
  const ek::cuda::ScanStats st = ek::cuda::LastScanStats();
  std::printf("stream      1 query, base streamed (%zu chunks, pinned double buffers): %.1f ms = "
              "%.1f GB/s; CPU %.1f GB/s; GPU/CPU %.2fx\n",
              st.chunks, t_stream * 1e3, gb / t_stream, cpu_gbs, t_cpu1 / t_stream);
  std::fflush(stdout);

  // SGEMM and FWHT through the host-buffer entry points (copies included).
  {
    const size_t n = 4096;
    std::vector<float> a(n * n), b(n * n), c(n * n);
    Fill(a, 3, pool);
    Fill(b, 4, pool);
    ek::cuda::MatMul(a.data(), b.data(), n, n, n, c.data());  // warm-up
    const double t_g = Best(3, [&] { ek::cuda::MatMul(a.data(), b.data(), n, n, n, c.data()); });
    const double t_c = Best(1, [&] { ek::kernels::MatMul(a.data(), b.data(), n, n, n, c.data(), &pool); });
    const double f = 2.0 * n * n * n;
    std::printf("matmul      %zu^3: GPU %.1f ms = %.2f TFLOP/s (copies included); CPU %.1f ms = "
                "%.3f TFLOP/s; GPU/CPU %.1fx\n",
                n, t_g * 1e3, f / t_g / 1e12, t_c * 1e3, f / t_c / 1e12, t_c / t_g);
  }
  {
    const size_t n = 1024, count = 65536;
    std::vector<float> v(n * count);
    Fill(v, 5, pool);
    const double t_g = Best(3, [&] { ek::cuda::Fwht(v.data(), count, n); });
    const double t_c = Best(1, [&] {
      ek::ParallelFor(&pool, count, 64, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) ek::kernels::Fwht(v.data() + i * n, n);
      });
    });
    std::printf("fwht        %zu x %zu: GPU %.0f vectors/s (copies included); CPU %.0f vectors/s; "
                "GPU/CPU %.2fx\n",
                count, n, count / t_g, count / t_c, t_c / t_g);
  }
  return 0;
}
