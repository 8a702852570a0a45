// ek_kernels::bpr_step on the GPU (cuda_backend.h): a warp per triple, the triples of
// a block concurrently, the same fused score + loss + SGD/Adam update as the CPU
// (sdk/kernels/bpr.cc), term for term:
//   diff = p_u . (e_i - e_j), e = q (+ c); x = sign * diff; ex = exp(min(-x, 80))
//   loss += weight * log1p(ex);  g = weight * sign * ex / (1 + ex)
//   content: g_i -= g p_u, g_j += g p_u (old p_u)
//   SGD: p_u += lr (g e - reg p_u), q_i += lr (g p_u - reg q_i), q_j += lr (-g p_u - reg q_j)
//   Adam: the same gradients through m, v and `step`.
// Every write is an atomicAdd of the change computed from the values the warp read.
// Plain stores (classic Hogwild) would lose all but one of the updates that concurrent
// triples make to a shared row. tests/bench/cuda/emulate_bpr_waves emulates the worst
// case on the CPU (waves of 8,448 triples, an H200's resident warps, that all read
// before any writes; 5,000 users x 5,000 items, 8 epochs of training + 3 of
// unlearning): stored rows end at a held-out rank accuracy of 0.834 (their last
// training epoch's loss 3.6x the sequential step's), added changes at 0.928
// (sequential: 0.930) and within 3% of its loss in every epoch. Without concurrency on a row the result is the CPU's:
// p + lr (..) is the same sum either way.
// Every lane owns the elements k = lane, lane + 32, ... of the three rows, so within a
// triple each element's old values are read before they are written, as on the CPU.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "cuda/internal.cuh"
#include "kernels/kernels.h"

namespace ek::cuda {
namespace detail {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kBprThreads = 256;  // 8 warps per block

// Device pointers of one call (ek_bpr_params with the host pointers replaced).
struct BprArgs {
  float* p;
  float* q;
  const float* c;  // nullable (no content)
  float* g;        // with c
  float *m_p, *v_p, *m_q, *v_q;  // Adam (kAdam)
  size_t dim;
  float lr, reg, step, beta1, beta2, eps;
};

// Sums of a call: the loss, the reverse-term triples and those where i still scored above j.
struct BprSums {
  double loss;
  unsigned long long reverse, above;
};

__device__ __forceinline__ float WarpSumF(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// Adam on one element as changes added to w, m and v (see the file comment).
__device__ __forceinline__ void AdamElement(float* w, float* m, float* v, float grad, const BprArgs& a) {
  const float m0 = *m, v0 = *v;
  const float mm = a.beta1 * m0 + (1 - a.beta1) * grad;
  const float vv = a.beta2 * v0 + (1 - a.beta2) * grad * grad;
  atomicAdd(m, mm - m0);
  atomicAdd(v, vv - v0);
  atomicAdd(w, -(a.step * mm / (sqrtf(vv) + a.eps)));
}

template <bool kAdam, bool kContent>
__global__ void __launch_bounds__(kBprThreads)
    BprKernel(BprArgs a, const ek_bpr_triple* __restrict__ t, size_t n, BprSums* __restrict__ sums) {
  const unsigned lane = threadIdx.x & 31u;
  const size_t warp = (static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const size_t n_warps = (static_cast<size_t>(gridDim.x) * blockDim.x) / 32;
  const size_t dim = a.dim;
  double loss = 0;
  unsigned long long reverse = 0, above = 0;
  for (size_t s = warp; s < n; s += n_warps) {
    const ek_bpr_triple tr = t[s];
    float* pu = a.p + static_cast<size_t>(tr.u) * dim;
    float* qi = a.q + static_cast<size_t>(tr.i) * dim;
    float* qj = a.q + static_cast<size_t>(tr.j) * dim;
    const float* ci = kContent ? a.c + static_cast<size_t>(tr.i) * dim : nullptr;
    const float* cj = kContent ? a.c + static_cast<size_t>(tr.j) * dim : nullptr;
    float acc = 0.f;
    for (size_t k = lane; k < dim; k += 32) {
      const float e = kContent ? (qi[k] + ci[k]) - (qj[k] + cj[k]) : qi[k] - qj[k];
      acc = fmaf(pu[k], e, acc);
    }
    const float diff = WarpSumF(acc);  // every lane holds the sum
    if (tr.sign < 0) {
      ++reverse;
      above += diff > 0.f;
    }
    const float x = tr.sign * diff;
    const float ex = expf(fminf(-x, 80.0f));
    loss += static_cast<double>(tr.weight * log1pf(ex));
    const float g = tr.weight * tr.sign * (ex / (1.0f + ex));
    for (size_t k = lane; k < dim; k += 32) {
      const float p = pu[k];
      const float e = kContent ? (qi[k] + ci[k]) - (qj[k] + cj[k]) : qi[k] - qj[k];
      if constexpr (kContent) {
        atomicAdd(a.g + static_cast<size_t>(tr.i) * dim + k, -g * p);
        atomicAdd(a.g + static_cast<size_t>(tr.j) * dim + k, g * p);
      }
      if constexpr (!kAdam) {
        const float qik = qi[k], qjk = qj[k];
        atomicAdd(pu + k, a.lr * (g * e - a.reg * p));
        atomicAdd(qi + k, a.lr * (g * p - a.reg * qik));
        atomicAdd(qj + k, a.lr * (-g * p - a.reg * qjk));
      } else {
        const float gp = -g * e + a.reg * p;
        const float gi = -g * p + a.reg * qi[k];
        const float gj = g * p + a.reg * qj[k];
        AdamElement(pu + k, a.m_p + static_cast<size_t>(tr.u) * dim + k,
                    a.v_p + static_cast<size_t>(tr.u) * dim + k, gp, a);
        AdamElement(qi + k, a.m_q + static_cast<size_t>(tr.i) * dim + k,
                    a.v_q + static_cast<size_t>(tr.i) * dim + k, gi, a);
        AdamElement(qj + k, a.m_q + static_cast<size_t>(tr.j) * dim + k,
                    a.v_q + static_cast<size_t>(tr.j) * dim + k, gj, a);
      }
    }
    __syncwarp();
  }
  // Lane 0 of each warp holds the warp's sums (all lanes computed the same values).
  if (lane == 0) {
    if (loss != 0) atomicAdd(&sums->loss, loss);
    if (reverse) atomicAdd(&sums->reverse, reverse);
    if (above) atomicAdd(&sums->above, above);
  }
}

template <bool kAdam, bool kContent>
void LaunchBpr(const BprArgs& a, const ek_bpr_triple* t, size_t n, BprSums* sums, cudaStream_t s) {
  const unsigned grid = GridFor(n, kBprThreads / 32);
  BprKernel<kAdam, kContent><<<grid, kBprThreads, 0, s>>>(a, t, n, sums);
  CheckLaunch("BprKernel");
}

// A device region carved out of one allocation, 256-byte aligned.
struct Carver {
  size_t offset = 0;
  size_t Take(size_t bytes) {
    const size_t at = offset;
    offset += (bytes + 255) / 256 * 256;
    return at;
  }
};

thread_local BprStats last_bpr_stats;

// Two events timing the kernel on the stream, destroyed with the object.
struct KernelTimer {
  cudaEvent_t start = nullptr, stop = nullptr;
  KernelTimer() {
    Check(cudaEventCreate(&start), "cudaEventCreate(BPR start)");
    if (cudaEventCreate(&stop) != cudaSuccess) {
      cudaEventDestroy(start);
      Check(cudaErrorMemoryAllocation, "cudaEventCreate(BPR stop)");
    }
  }
  ~KernelTimer() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  double Seconds() const {
    float ms = 0;
    Check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime(BPR)");
    return ms / 1e3;
  }
};

// Copies back only the rows the block touched: untouched rows of the host arrays are
// left alone, so a caller's other writers to them lose nothing.
void WriteBackRows(float* host, const float* staged, const std::vector<uint8_t>& touched, size_t dim) {
  for (size_t r = 0; r < touched.size(); ++r)
    if (touched[r]) std::copy(staged + r * dim, staged + (r + 1) * dim, host + r * dim);
}

}  // namespace
}  // namespace detail

double BprStep(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n,
               uint64_t* out_reverse) {
  if (!kernels::BprArgsValid(params, triples, n)) return std::numeric_limits<double>::quiet_NaN();
  if (n == 0) return 0.0;
  const ek_bpr_params& a = *params;
  const bool adam = kernels::BprUsesAdam(a), content = a.c != nullptr;
  using detail::CheckedMul;
  const size_t dim = a.dim;
  const size_t p_bytes = CheckedMul(CheckedMul(a.users, dim, "users x dim"), 4, "user rows");
  const size_t q_bytes = CheckedMul(CheckedMul(a.items, dim, "items x dim"), 4, "item rows");
  const size_t t_bytes = CheckedMul(n, sizeof(ek_bpr_triple), "triple bytes");

  // Which rows the block touches (for the write-back).
  std::vector<uint8_t> users(a.users, 0), items(a.items, 0);
  for (size_t s = 0; s < n; ++s) {
    users[triples[s].u] = 1;
    items[triples[s].i] = 1;
    items[triples[s].j] = 1;
  }

  detail::DeviceLock lock;
  detail::Device& d = lock.device();
  cudaStream_t s = d.compute;
  detail::Carver carve;
  const size_t o_p = carve.Take(p_bytes), o_q = carve.Take(q_bytes);
  const size_t o_c = content ? carve.Take(q_bytes) : 0, o_g = content ? carve.Take(q_bytes) : 0;
  const size_t o_mp = adam ? carve.Take(p_bytes) : 0, o_vp = adam ? carve.Take(p_bytes) : 0;
  const size_t o_mq = adam ? carve.Take(q_bytes) : 0, o_vq = adam ? carve.Take(q_bytes) : 0;
  const size_t o_sums = carve.Take(sizeof(detail::BprSums));
  char* base = static_cast<char*>(d.a.Reserve(carve.offset, "BPR rows"));
  auto at = [&](size_t offset) { return reinterpret_cast<float*>(base + offset); };
  auto* dt = static_cast<ek_bpr_triple*>(d.b.Reserve(t_bytes, "BPR triples"));
  auto* dsums = reinterpret_cast<detail::BprSums*>(base + o_sums);

  detail::BprArgs args{at(o_p), at(o_q), content ? at(o_c) : nullptr, content ? at(o_g) : nullptr,
                       adam ? at(o_mp) : nullptr, adam ? at(o_vp) : nullptr,
                       adam ? at(o_mq) : nullptr, adam ? at(o_vq) : nullptr,
                       dim, a.lr, a.reg, a.step, a.beta1, a.beta2, a.eps};
  detail::Upload(args.p, a.p, p_bytes, s, "cudaMemcpyAsync(BPR user rows)");
  detail::Upload(args.q, a.q, q_bytes, s, "cudaMemcpyAsync(BPR item rows)");
  if (content) {
    detail::Upload(at(o_c), a.c, q_bytes, s, "cudaMemcpyAsync(BPR item content)");
    detail::Upload(args.g, a.g, q_bytes, s, "cudaMemcpyAsync(BPR content gradient)");
  }
  if (adam) {
    detail::Upload(args.m_p, a.m_p, p_bytes, s, "cudaMemcpyAsync(BPR Adam m_p)");
    detail::Upload(args.v_p, a.v_p, p_bytes, s, "cudaMemcpyAsync(BPR Adam v_p)");
    detail::Upload(args.m_q, a.m_q, q_bytes, s, "cudaMemcpyAsync(BPR Adam m_q)");
    detail::Upload(args.v_q, a.v_q, q_bytes, s, "cudaMemcpyAsync(BPR Adam v_q)");
  }
  detail::Upload(dt, triples, t_bytes, s, "cudaMemcpyAsync(BPR triples)");
  detail::Check(cudaMemsetAsync(dsums, 0, sizeof(detail::BprSums), s), "cudaMemsetAsync(BPR sums)");
  detail::KernelTimer timer;
  detail::Check(cudaEventRecord(timer.start, s), "cudaEventRecord(BPR start)");
  if (adam) {
    content ? detail::LaunchBpr<true, true>(args, dt, n, dsums, s) : detail::LaunchBpr<true, false>(args, dt, n, dsums, s);
  } else {
    content ? detail::LaunchBpr<false, true>(args, dt, n, dsums, s) : detail::LaunchBpr<false, false>(args, dt, n, dsums, s);
  }
  detail::Check(cudaEventRecord(timer.stop, s), "cudaEventRecord(BPR stop)");

  // Everything comes back into host staging first, so that a failure part-way leaves
  // the caller's rows as they were; then only the touched rows are written.
  // Staging without zero-filling (the copies overwrite all of it): 300 MB and more at a
  // million users.
  auto staging = [](bool used, size_t floats) {
    return used ? std::make_unique_for_overwrite<float[]>(floats) : std::unique_ptr<float[]>();
  };
  const size_t pf = size_t{a.users} * dim, qf = size_t{a.items} * dim;
  auto p = staging(true, pf), q = staging(true, qf), g = staging(content, qf);
  auto mp = staging(adam, pf), vp = staging(adam, pf), mq = staging(adam, qf), vq = staging(adam, qf);
  detail::BprSums sums{};
  detail::Download(p.get(), args.p, p_bytes, s, "cudaMemcpyAsync(BPR user rows back)");
  detail::Download(q.get(), args.q, q_bytes, s, "cudaMemcpyAsync(BPR item rows back)");
  if (content) detail::Download(g.get(), args.g, q_bytes, s, "cudaMemcpyAsync(BPR content gradient back)");
  if (adam) {
    detail::Download(mp.get(), args.m_p, p_bytes, s, "cudaMemcpyAsync(BPR Adam m_p back)");
    detail::Download(vp.get(), args.v_p, p_bytes, s, "cudaMemcpyAsync(BPR Adam v_p back)");
    detail::Download(mq.get(), args.m_q, q_bytes, s, "cudaMemcpyAsync(BPR Adam m_q back)");
    detail::Download(vq.get(), args.v_q, q_bytes, s, "cudaMemcpyAsync(BPR Adam v_q back)");
  }
  detail::Download(&sums, dsums, sizeof(sums), s, "cudaMemcpyAsync(BPR sums)");
  detail::Finish(s, "cuda::BprStep");
  const size_t moved = (p_bytes + q_bytes) * (adam ? 3 : 1) + (content ? 2 * q_bytes : 0);
  detail::last_bpr_stats = BprStats{timer.Seconds(), moved + t_bytes, moved - (content ? q_bytes : 0)};

  detail::WriteBackRows(a.p, p.get(), users, dim);
  detail::WriteBackRows(a.q, q.get(), items, dim);
  if (content) detail::WriteBackRows(a.g, g.get(), items, dim);
  if (adam) {
    detail::WriteBackRows(a.m_p, mp.get(), users, dim);
    detail::WriteBackRows(a.v_p, vp.get(), users, dim);
    detail::WriteBackRows(a.m_q, mq.get(), items, dim);
    detail::WriteBackRows(a.v_q, vq.get(), items, dim);
  }
  if (out_reverse) {
    out_reverse[0] += sums.reverse;
    out_reverse[1] += sums.above;
  }
  return sums.loss;
}

BprStats LastBprStats() { return detail::last_bpr_stats; }

}  // namespace ek::cuda
