// Per-query top-k on the device, shared by the f32 search (search.cu) and the quantized
// scan (quantized.cu): a two-round selection over a chunk of scores, so only k hits per
// query ever come back to the host:
//
//   round 1  one block per (segment of 64Ki rows, query): radix-select the k best
//            scores of the segment (four 8-bit histogram passes over order-preserving
//            uint32 keys), collect them in row order, bitonic-sort them;
//   round 2  one block per query: the same selection over [running top-k | the
//            segments' top-k], written back as the running top-k.
//
// Ties are broken by lower row exactly like the CPU: candidates with equal keys are
// always taken in row order (rows ascend through a segment, segments ascend, and the
// running top-k holds earlier chunks), and the sort orders equal keys by row.
#include <cstring>

#include "cuda/internal.cuh"

namespace ek::cuda::detail {
namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kSelectThreads = 1024;
constexpr unsigned kSortCapacity = 1024;  // >= kMaxGpuTopK
constexpr size_t kSegmentRows = 65536;
constexpr uint32_t kNoRow = 0xffffffffu;

static_assert(kMaxGpuTopK <= kSortCapacity, "sort buffer smaller than k");

// Order-preserving key: a larger score gives a larger key; NaN gives 0 ("no hit");
// -0 ranks as +0 (the CPU compares them equal).
__device__ __forceinline__ uint32_t KeyOf(float s) {
  if (!(s == s)) return 0u;
  if (s == 0.0f) s = 0.0f;
  const uint32_t u = __float_as_uint(s);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Exclusive prefix sum over the block (blockDim.x a multiple of 32, <= 1024);
// *total gets the block's sum. Contains __syncthreads: call from uniform control flow.
__device__ unsigned BlockExclusiveSum(unsigned v, unsigned* total, unsigned* warp_sums) {
  const unsigned lane = threadIdx.x & 31u, wid = threadIdx.x >> 5;
  const unsigned n_warps = blockDim.x >> 5;
  unsigned x = v;
#pragma unroll
  for (unsigned o = 1; o < 32; o <<= 1) {
    const unsigned y = __shfl_up_sync(kFullMask, x, o);
    if (lane >= o) x += y;
  }
  if (lane == 31) warp_sums[wid] = x;
  __syncthreads();
  if (wid == 0) {
    unsigned w = lane < n_warps ? warp_sums[lane] : 0u;
#pragma unroll
    for (unsigned o = 1; o < 32; o <<= 1) {
      const unsigned y = __shfl_up_sync(kFullMask, w, o);
      if (lane >= o) w += y;
    }
    if (lane < n_warps) warp_sums[lane] = w;  // inclusive
  }
  __syncthreads();
  const unsigned before = wid > 0 ? warp_sums[wid - 1] : 0u;
  *total = warp_sums[n_warps - 1];
  __syncthreads();  // warp_sums is reused by the next call
  return before + x - v;
}

// Writes the min(k, valid) best (key, index) of src[0, n) to out (best first, equal
// keys by lower index); slots up to k past them get key 0 and index kNoRow. Elements
// must be offered in a order where equal keys come with ascending index. One block of
// kSelectThreads threads; out may overlap the input (everything is read first).
template <class Src>
__device__ void BlockSelect(const Src& src, size_t n, unsigned k, uint32_t* out_keys,
                            uint32_t* out_idx) {
  __shared__ unsigned hist[256];
  __shared__ unsigned warp_sums[32];
  __shared__ uint32_t s_keys[kSortCapacity];
  __shared__ uint32_t s_idx[kSortCapacity];
  __shared__ uint32_t s_prefix;
  __shared__ unsigned s_remaining, s_all, s_taken, s_eq_taken;
  const unsigned tid = threadIdx.x, lane = tid & 31u;

  if (tid == 0) {
    s_prefix = 0;
    s_remaining = k;
    s_all = 0;
    s_taken = 0;
    s_eq_taken = 0;
  }
  // Radix select of the k-th largest key, 8 bits at a time from the top.
  uint32_t mask = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (unsigned b = tid; b < 256; b += blockDim.x) hist[b] = 0;
    __syncthreads();
    const uint32_t prefix = s_prefix;
    for (size_t base = 0; base < n; base += blockDim.x) {  // uniform trip count
      const size_t i = base + tid;
      const uint32_t key = i < n ? src.key(i) : 0u;
      const bool match = key != 0u && (key & mask) == prefix;
      const unsigned bin = match ? ((key >> shift) & 255u) : 256u;
      const unsigned peers = __match_any_sync(kFullMask, bin);
      if (match && lane == static_cast<unsigned>(__ffs(peers) - 1)) {
        atomicAdd(&hist[bin], static_cast<unsigned>(__popc(peers)));
      }
    }
    __syncthreads();
    if (tid == 0) {
      const unsigned remaining = s_remaining;
      if (shift == 24) {
        unsigned total = 0;
        for (int b = 0; b < 256; ++b) total += hist[b];
        if (total <= remaining) s_all = 1;  // k or fewer valid keys: take them all
      }
      if (!s_all) {
        unsigned above = 0;
        int digit = 0;
        for (int b = 255; b >= 0; --b) {
          if (above + hist[b] >= remaining) {
            digit = b;
            break;
          }
          above += hist[b];
        }
        s_remaining = remaining - above;
        s_prefix = prefix | (static_cast<uint32_t>(digit) << shift);
      }
    }
    __syncthreads();
    if (s_all) break;
    mask |= 255u << shift;
  }
  __syncthreads();
  const bool all = s_all != 0;
  const uint32_t threshold = all ? 0u : s_prefix;  // the k-th key
  const unsigned need_eq = all ? 0u : s_remaining;  // how many keys == threshold to take

  // Collect in offer order: every key above the threshold, and the first need_eq keys
  // equal to it (lowest indices).
  for (size_t base = 0; base < n; base += blockDim.x) {
    const size_t i = base + tid;
    const uint32_t key = i < n ? src.key(i) : 0u;
    const bool gt = key != 0u && key > threshold;
    const bool eq = !all && key != 0u && key == threshold;
    unsigned eq_total = 0, take_total = 0;
    const unsigned eq_rank = s_eq_taken + BlockExclusiveSum(eq ? 1u : 0u, &eq_total, warp_sums);
    const bool take = gt || (eq && eq_rank < need_eq);
    const unsigned pos = s_taken + BlockExclusiveSum(take ? 1u : 0u, &take_total, warp_sums);
    if (take && pos < kSortCapacity) {
      s_keys[pos] = key;
      s_idx[pos] = src.index(i);
    }
    __syncthreads();
    if (tid == 0) {
      s_taken += take_total;
      s_eq_taken += eq_total;
    }
    __syncthreads();
  }
  const unsigned count = min(s_taken, kSortCapacity);
  unsigned sort_n = 1;
  while (sort_n < count) sort_n <<= 1;
  for (unsigned i = count + tid; i < sort_n; i += blockDim.x) {
    s_keys[i] = 0u;
    s_idx[i] = kNoRow;
  }
  __syncthreads();
  // Bitonic sort, best first: a before b when a.key > b.key, or equal and a.idx < b.idx.
  for (unsigned size = 2; size <= sort_n; size <<= 1) {
    for (unsigned stride = size >> 1; stride > 0; stride >>= 1) {
      for (unsigned t = tid; t < sort_n; t += blockDim.x) {
        const unsigned p = t ^ stride;
        if (p > t) {
          const uint32_t ka = s_keys[t], kb = s_keys[p];
          const uint32_t ia = s_idx[t], ib = s_idx[p];
          const bool b_better = kb > ka || (kb == ka && ib < ia);
          const bool a_better = ka > kb || (ka == kb && ia < ib);
          if ((t & size) == 0 ? b_better : a_better) {
            s_keys[t] = kb;
            s_keys[p] = ka;
            s_idx[t] = ib;
            s_idx[p] = ia;
          }
        }
      }
      __syncthreads();
    }
  }
  for (unsigned j = tid; j < k; j += blockDim.x) {
    const bool hit = j < count;
    out_keys[j] = hit ? s_keys[j] : 0u;
    out_idx[j] = hit ? s_idx[j] : kNoRow;
  }
  __syncthreads();
}

// Scores of one query over one segment, as keys: dot/cosine s = q.x; L2 (ranked by
// 2 q.x - ||x||^2, like the CPU). Filtered-out rows give key 0.
struct ScoreSource {
  const float* scores;
  const float* sq_norms;   // L2 only
  const uint8_t* allowed;  // nullable
  uint32_t row0;
  __device__ uint32_t key(size_t i) const {
    if (allowed && !allowed[i]) return 0u;
    float s = scores[i];
    if (sq_norms) s = 2.0f * s - sq_norms[i];
    return KeyOf(s);
  }
  __device__ uint32_t index(size_t i) const { return row0 + static_cast<uint32_t>(i); }
};

struct PairSource {
  const uint32_t* keys;
  const uint32_t* idx;
  __device__ uint32_t key(size_t i) const { return keys[i]; }
  __device__ uint32_t index(size_t i) const { return idx[i]; }
};

// Candidate layout per query (stride `cand_stride` entries): slot 0 = running top-k,
// slot 1 + s = segment s of the current chunk; each slot k entries.
__global__ void __launch_bounds__(kSelectThreads)
    SelectSegmentsKernel(const float* __restrict__ scores, size_t ld,
                         const float* __restrict__ sq_norms, const uint8_t* __restrict__ allowed,
                         size_t rows, uint32_t row0, unsigned k, uint32_t* cand_keys,
                         uint32_t* cand_idx, size_t cand_stride) {
  const size_t seg = blockIdx.x, q = blockIdx.y;
  const size_t s0 = seg * kSegmentRows;
  if (s0 >= rows) return;  // uniform per block
  const size_t n = rows - s0 < kSegmentRows ? rows - s0 : kSegmentRows;
  ScoreSource src{scores + q * ld + s0, sq_norms ? sq_norms + s0 : nullptr,
                  allowed ? allowed + s0 : nullptr, row0 + static_cast<uint32_t>(s0)};
  const size_t out = q * cand_stride + (1 + seg) * k;
  BlockSelect(src, n, k, cand_keys + out, cand_idx + out);
}

__global__ void __launch_bounds__(kSelectThreads)
    MergeKernel(uint32_t* cand_keys, uint32_t* cand_idx, size_t cand_stride, size_t n,
                unsigned k) {
  const size_t q = blockIdx.x;
  PairSource src{cand_keys + q * cand_stride, cand_idx + q * cand_stride};
  BlockSelect(src, n, k, cand_keys + q * cand_stride, cand_idx + q * cand_stride);
}

}  // namespace

size_t CandidateStride(size_t chunk_rows, size_t k) {
  return (1 + CeilDiv(chunk_rows, kSegmentRows)) * k;
}

void LaunchSelectChunk(const float* scores, size_t ld, const float* sq_norms,
                       const uint8_t* allowed, size_t rows, uint32_t row0, size_t n_queries,
                       size_t k, uint32_t* cand_keys, uint32_t* cand_idx, size_t cand_stride,
                       cudaStream_t stream) {
  const size_t segments = CeilDiv(rows, kSegmentRows);
  SelectSegmentsKernel<<<dim3(static_cast<unsigned>(segments), static_cast<unsigned>(n_queries)),
                         kSelectThreads, 0, stream>>>(scores, ld, sq_norms, allowed, rows, row0,
                                                      static_cast<unsigned>(k), cand_keys,
                                                      cand_idx, cand_stride);
  CheckLaunch("SelectSegmentsKernel");
  MergeKernel<<<static_cast<unsigned>(n_queries), kSelectThreads, 0, stream>>>(
      cand_keys, cand_idx, cand_stride, (1 + segments) * k, static_cast<unsigned>(k));
  CheckLaunch("MergeKernel");
}

void DownloadTopK(const uint32_t* cand_keys, const uint32_t* cand_idx, size_t cand_stride,
                  size_t n_queries, size_t k, uint32_t* keys, uint32_t* rows,
                  cudaStream_t stream) {
  Check(cudaMemcpy2DAsync(keys, k * sizeof(uint32_t), cand_keys, cand_stride * sizeof(uint32_t),
                          k * sizeof(uint32_t), n_queries, cudaMemcpyDeviceToHost, stream),
        "cudaMemcpy2DAsync(top-k keys)");
  Check(cudaMemcpy2DAsync(rows, k * sizeof(uint32_t), cand_idx, cand_stride * sizeof(uint32_t),
                          k * sizeof(uint32_t), n_queries, cudaMemcpyDeviceToHost, stream),
        "cudaMemcpy2DAsync(top-k rows)");
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(top-k)");
}

float ScoreOfKey(uint32_t key) {
  const uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace ek::cuda::detail
