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
//   mbat      the binding stage of encoding flat JSON records with vsa_json's MBAT:
//             32,768 records x 8 fields, D = 1,024, each field's value vectors bound
//             by the field's role (structured: 3 rounds; dense: a D x D matrix) and
//             summed: documents/s, GPU (copies included) vs CPU on all cores
//   bpr       BPR-MF steps (dim 64, 1M users x 200k items, 8M random triples), SGD
//             and Adam: samples/s, GPU (rows copied both ways, included; and the
//             kernel alone, CUDA events) vs the CPU step on 1 thread and on all
//             threads (Hogwild blocks of 4,096, as rec_unlearn runs it)
//
// Options: --rows N (default 10,000,000) --dim D (384) --reps R (10) --cpu-rows N
// (rows for the CPU batch run, default 1,000,000: the CPU rate is measured on a
// subset to keep the run short; rates are per byte/flop so they compare);
// --mbat-docs N (32,768; 0 skips it), --bpr-users N (1,000,000), --bpr-items N (200,000),
// --bpr-triples N (8,000,000). Without a GPU it says so and exits 0; with --cpu-only
// it then prints the CPU side of mbat and bpr.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_pool.h"
#include "cuda/cuda_backend.h"
#include "kernels/kernels.h"

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

// ---- mbat --------------------------------------------------------------------------------------
// Without a GPU (gpu = false) only the CPU figures are printed.
void BenchMbat(ek::ThreadPool& pool, size_t docs, bool gpu) {
  if (docs == 0) return;
  const size_t n = 1024, fields = 8, rounds = 3;
  std::vector<float> values(docs * n), work(docs * n), out(docs * n), acc(docs * n);
  Fill(values, 6, pool);
  std::vector<float> signs(fields * rounds * n);
  std::vector<uint32_t> perms(fields * n);
  Fill(signs, 7, pool);
  for (float& x : signs) x = x >= 0 ? 1.0f / 32.0f : -1.0f / 32.0f;  // +-1/sqrt(D)
  for (size_t f = 0; f < fields; ++f) {
    uint64_t st = 0x9E3779B97F4A7C15ull * (f + 1);
    uint32_t* p = perms.data() + f * n;
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint32_t>(i);
    for (size_t i = n - 1; i > 0; --i) {  // Fisher-Yates with xorshift
      st ^= st << 13;
      st ^= st >> 7;
      st ^= st << 17;
      std::swap(p[i], p[st % (i + 1)]);
    }
  }
  std::vector<float> dense(fields * n * n);
  Fill(dense, 8, pool);
  auto add = [&](const std::vector<float>& v) {
    ek::ParallelFor(&pool, acc.size(), 1 << 16, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) acc[i] += v[i];
    });
  };
  auto role = [&](size_t f) {
    return ek::kernels::StructuredRole{signs.data() + f * rounds * n, rounds, perms.data() + f * n};
  };
  auto structured = [&](bool gpu) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t f = 0; f < fields; ++f) {
      work = values;
      if (gpu) ek::cuda::BindStructured(role(f), work.data(), docs, n, false);
      else ek::kernels::BindStructured(role(f), work.data(), docs, n, false, &pool);
      add(work);
    }
  };
  auto dense_bind = [&](bool gpu) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t f = 0; f < fields; ++f) {
      const float* m = dense.data() + f * n * n;
      if (gpu) ek::cuda::BindDense(m, n, values.data(), docs, out.data(), false);
      else ek::kernels::BindDense(m, n, values.data(), docs, out.data(), false, &pool);
      add(out);
    }
  };
  const double sc = Best(1, [&] { structured(false); });
  if (!gpu) {
    std::printf("mbat        structured (%zu rounds), %zu records x %zu fields, D %zu: CPU %.0f docs/s\n", rounds, docs,
                fields, n, docs / sc);
  } else {
    structured(true);  // warm-up (allocations)
    const double sg = Best(3, [&] { structured(true); });
    std::printf("mbat        structured (%zu rounds), %zu records x %zu fields, D %zu: GPU %.0f docs/s (copies "
                "included); CPU %.0f docs/s; GPU/CPU %.2fx\n",
                rounds, docs, fields, n, docs / sg, docs / sc, sc / sg);
  }
  std::fflush(stdout);
  const double dc = Best(1, [&] { dense_bind(false); });
  if (!gpu) {
    std::printf("mbat        dense, %zu records x %zu fields, D %zu: CPU %.0f docs/s\n", docs, fields, n, docs / dc);
  } else {
    dense_bind(true);
    const double dg = Best(3, [&] { dense_bind(true); });
    std::printf("mbat        dense, %zu records x %zu fields, D %zu: GPU %.0f docs/s (copies included); CPU %.0f "
                "docs/s; GPU/CPU %.2fx\n",
                docs, fields, n, docs / dg, docs / dc, dc / dg);
  }
  std::fflush(stdout);
}

// ---- bpr ---------------------------------------------------------------------------------------
void BenchBpr(ek::ThreadPool& pool, size_t users, size_t items, size_t n, bool gpu) {
  const size_t dim = 64;
  std::vector<ek_bpr_triple> t(n);
  uint64_t st = 42;
  auto next = [&] {
    st ^= st << 13;
    st ^= st >> 7;
    st ^= st << 17;
    return st;
  };
  for (auto& x : t) {
    const uint32_t i = static_cast<uint32_t>(next() % items);
    uint32_t j = static_cast<uint32_t>(next() % items);
    if (j == i) j = (j + 1) % items;
    x = ek_bpr_triple{static_cast<uint32_t>(next() % users), i, j, 1.0f, 1.0f};
  }
  for (bool adam : {false, true}) {
    std::vector<float> p(users * dim), q(items * dim), mp, vp, mq, vq;
    Fill(p, 9, pool);
    Fill(q, 10, pool);
    for (float& x : p) x *= 0.1f;
    for (float& x : q) x *= 0.1f;
    if (adam) {
      mp.assign(p.size(), 0.0f);
      vp.assign(p.size(), 0.0f);
      mq.assign(q.size(), 0.0f);
      vq.assign(q.size(), 0.0f);
    }
    ek_bpr_params a{sizeof(ek_bpr_params), uint32_t(dim), uint32_t(users), uint32_t(items), p.data(), q.data(),
                    nullptr, nullptr, adam ? mp.data() : nullptr, adam ? vp.data() : nullptr,
                    adam ? mq.data() : nullptr, adam ? vq.data() : nullptr, 0.01f, 1e-4f, 0.001f, 0.9f, 0.999f, 1e-8f};
    const size_t n1 = std::max<size_t>(1, n / 4);  // one thread: a quarter of the triples keeps the run short
    const double t1 = Best(1, [&] { ek::kernels::BprStep(&a, t.data(), n1, nullptr); });
    const double tp = Best(1, [&] {
      ek::ParallelFor(&pool, n, 4096, [&](size_t b, size_t e) { ek::kernels::BprStep(&a, t.data() + b, e - b, nullptr); });
    });
    const char* what = adam ? "Adam" : "SGD ";
    if (!gpu) {
      std::printf("bpr         %s dim %zu, %zu users x %zu items, %zu triples: CPU 1 thread %.1fM samples/s, %zu "
                  "threads %.1fM/s\n",
                  what, dim, users, items, n, n1 / t1 / 1e6, pool.size(), n / tp / 1e6);
    } else {
      ek::cuda::BprStep(&a, t.data(), n, nullptr);  // warm-up
      const double tg = Best(3, [&] { ek::cuda::BprStep(&a, t.data(), n, nullptr); });
      const ek::cuda::BprStats st = ek::cuda::LastBprStats();
      std::printf("bpr         %s dim %zu, %zu users x %zu items, %zu triples: GPU %.1fM samples/s (rows copied, "
                  "included; the kernel alone %.0fM/s, %.2f GB up + %.2f GB down per call); CPU 1 thread %.1fM/s, "
                  "%zu threads %.1fM/s; GPU/CPU %.1fx (all threads), %.1fx (1 thread)\n",
                  what, dim, users, items, n, n / tg / 1e6, n / st.kernel_seconds / 1e6, st.bytes_to_device / 1e9,
                  st.bytes_to_host / 1e9, n1 / t1 / 1e6, pool.size(), n / tp / 1e6, tp / tg, (t1 / n1) / (tg / n));
    }
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 10000000, dim = 384, cpu_rows = 1000000;
  size_t mbat_docs = 32768, bpr_users = 1000000, bpr_items = 200000, bpr_triples = 8000000;
  int reps = 10;
  bool cpu_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cpu-only") {
      cpu_only = true;
      continue;
    }
    if (i + 1 >= argc) break;  // an option without its value
    const size_t v = std::strtoull(argv[++i], nullptr, 10);
    if (a == "--rows") rows = v;
    else if (a == "--dim") dim = v;
    else if (a == "--reps") reps = static_cast<int>(v);
    else if (a == "--cpu-rows") cpu_rows = v;
    else if (a == "--mbat-docs") mbat_docs = v;  // 0: skip the section
    else if (a == "--bpr-users") bpr_users = std::max<size_t>(1, v);
    else if (a == "--bpr-items") bpr_items = std::max<size_t>(2, v);
    else if (a == "--bpr-triples") bpr_triples = std::max<size_t>(1, v);
  }
  const ek::cuda::DeviceInfo& info = ek::cuda::Probe();
  ek::ThreadPool pool(0);
  if (!info.available) {
    std::printf("bench_cuda: no GPU: %s\n", info.reason.c_str());
    if (!cpu_only) return 0;
    std::printf("cpu         %s, %zu threads (--cpu-only: the CPU side of mbat and bpr)\n",
                ek::kernels::SimdTargetName(), pool.size());
    BenchMbat(pool, mbat_docs, false);
    BenchBpr(pool, bpr_users, bpr_items, bpr_triples, false);
    return 0;
  }
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
    std::fflush(stdout);
  }
  BenchMbat(pool, mbat_docs, true);
  BenchBpr(pool, bpr_users, bpr_items, bpr_triples, true);
  return 0;
}
