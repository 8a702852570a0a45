// Vector kernels: Highway SIMD with run-time dispatch (native) or the static
// SIMD128 target (WASM), each with a scalar reference in kernels/reference.h that
// the tests compare against. All pointers may be unaligned; n = 0 is allowed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "embedkit/plugin.h"  // ek_kernels

namespace ek {
class ThreadPool;
}

namespace ek::kernels {

// Name of the SIMD target chosen at run time ("AVX3_DL", "AVX2", "WASM", ...).
const char* SimdTargetName();

// Bit mask (HWY_* target bits) of the targets compiled into the kernels; tests
// intersect it with hwy::SupportedTargets() and pin each with
// hwy::SetSupportedTargetsForTest to compare every target with the reference.
int64_t CompiledSimdTargets();

float Dot(const float* a, const float* b, size_t n);
float L2Sq(const float* a, const float* b, size_t n);
// Within [-1, 1] for every finite input, however large or small its components (sums
// of squares that overflow or underflow float are redone in double); 0 if either
// vector is all zeros.
float Cosine(const float* a, const float* b, size_t n);
float SquaredNorm(const float* a, size_t n);

// one-vs-many: out[r] = f(q, base + r*dim)
void DotMany(const float* q, const float* base, size_t rows, size_t dim, float* out);
void L2SqMany(const float* q, const float* base, size_t rows, size_t dim, float* out);
void CosineMany(const float* q, const float* base, size_t rows, size_t dim, float* out);

// many-vs-many: out[i*rows + r] = Dot(queries + i*dim, base + r*dim)
void DotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                 size_t dim, float* out, ThreadPool* pool = nullptr);

// Scales v to unit length; every finite nonzero v works (extreme magnitudes go through
// double). Returns the old norm (+inf when beyond float range); all-zero v is left as
// is and returns 0; v with a NaN/Inf component is left as is.
float Normalize(float* v, size_t n);
void MatVec(const float* m, size_t rows, size_t cols, const float* x, float* y);
void MatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c,
            ThreadPool* pool = nullptr);
void Fwht(float* v, size_t n);  // n a power of two or 0 (throws ek::Error otherwise)

// Top-k of a score array (largest first, ties by lower index); any k.
// Returns min(k, n) and writes that many entries.
size_t TopK(const float* scores, size_t n, size_t k, uint32_t* out_index, float* out_score);

// ---- Exact search with top-k fused into the distance pass ------------------------------
enum class Metric : int32_t { kCosine = 0, kDot = 1, kL2 = 2 };

struct ScanRequest {
  const float* queries = nullptr;  // n_queries x dim
  size_t n_queries = 0;
  const float* base = nullptr;     // rows x dim, row-major
  size_t rows = 0;
  size_t dim = 0;
  Metric metric = Metric::kDot;
  // For kCosine the caller passes unit-normalised base rows and queries are
  // normalised inside; for kL2 `base_sq_norms` (rows floats, ||x||^2) may be given
  // to use ||q||^2 - 2 q.x + ||x||^2.
  const float* base_sq_norms = nullptr;
  const uint8_t* row_allowed = nullptr;  // optional filter: rows with 0 are skipped
  size_t k = 10;                         // >= 1 (no upper limit)
};

// Results per query, best first (highest similarity; lowest L2), ties by lower row:
// out_rows[q*k + i], out_scores[q*k + i]; out_counts[q] = hits for query q
// (min(k, allowed rows)); slots past out_counts[q] get row UINT32_MAX and score NaN.
// Scores: kDot the dot product, kCosine the cosine similarity, kL2 the squared L2
// distance. Throws ek::Error(EK_ERR_INVALID_ARGUMENT) for k = 0, NULL
// buffers where data is needed, or rows >= 2^32. Without a pool (or a pool of 1)
// everything runs on the calling thread.
void ScanTopK(const ScanRequest& request, ThreadPool* pool, uint32_t* out_rows,
              float* out_scores, size_t* out_counts);

// A backend's search (core/backend.h chooses one per context and hands it to the
// store): the contract of ScanTopK plus `content_key`, which names the contents of
// request.base (equal non-zero keys promise identical rows, so a GPU backend may keep
// them resident); 0 promises nothing. Every change to a collection's in-memory copy
// gives it a new key.
using ScanFn = void (*)(const ScanRequest& request, uint64_t content_key, ThreadPool* pool,
                        uint32_t* out_rows, float* out_scores, size_t* out_counts);

// ek_kernels::bpr_step (bpr.cc): one block of BPR triples, fused score + loss + SGD or
// Adam update of the rows; NaN (nothing written) for bad params. See plugin.h.
double BprStep(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n, uint64_t* out_reverse);
// The argument check every backend's bpr_step makes first (plugin.h lists the refusals):
// false for bad params or triples.
bool BprArgsValid(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n);
// True when params carry all four Adam moments (false: SGD). Only after BprArgsValid.
inline bool BprUsesAdam(const ek_bpr_params& a) { return a.m_p != nullptr; }

// ---- Element-wise operations (elementwise.cc; ek_kernels::axpy .. scatter) -------------
// One IEEE multiply and one add per element, never fused: every target writes the bits
// of the plain loops in kernels/reference.h. n = 0 does nothing. x may be y itself but
// must not otherwise overlap it; gather and scatter need indices below 2^31 and a dst
// that overlaps neither src nor index; with repeated scatter indices the last wins.
void Axpy(float a, const float* x, float* y, size_t n);            // y[i] += a * x[i]
void Axpby(float a, const float* x, float b, float* y, size_t n);  // y[i] = a x[i] + b y[i]
void Mul(const float* x, float* y, size_t n);                      // y[i] *= x[i]
void Gather(const float* src, const uint32_t* index, float* dst, size_t n);   // dst[i] = src[index[i]]
void Scatter(const float* src, const uint32_t* index, float* dst, size_t n);  // dst[index[i]] = src[i]
void MulTo(const float* a, const float* b, float* out, size_t n);          // out[i] = a[i] * b[i]
// acc[i] += src[index[i]] + w * x[i]; acc overlaps none of the others.
void GatherAdd(const float* src, const uint32_t* index, const float* x, float w, float* acc, size_t n);
// e[i] += g * y[i], then y[i] += g * x[i] (ek_kernels::pair_update); no overlaps.
void PairUpdate(float g, const float* x, float* y, float* e, size_t n);

// Sets the table's element-wise entries to the chosen target's functions (no dispatch
// per call); only once a target has been chosen.
void LendElementwise(ek_kernels* table);

// ---- MBAT binding of a batch (mbat.cc) ----------------------------------------------------
// The two orthogonal role kinds of plugins/vsa_json, applied to `count` vectors of
// length n at once (the CUDA backend has the same functions; these are the CPU ones
// its parity tests and benchmarks compare with).
//
// Structured role: `rounds` sign diagonals (rounds x n, entries +-1/sqrt(n), so each
// H S_r is orthogonal) and a permutation perm of 0..n-1. Forward:
//   v <- P (H S_rounds) ... (H S_1) v, with (P v)[i] = v[perm[i]];
// transpose (the inverse): v <- (S_1 H) ... (S_rounds H) P^T v. n a power of two
// (ek::Error EK_ERR_INVALID_ARGUMENT otherwise). In place; vectors on the pool's threads.
struct StructuredRole {
  const float* signs = nullptr;     // rounds x n
  size_t rounds = 0;
  const uint32_t* perm = nullptr;   // n entries, a permutation (not checked)
};
void BindStructured(const StructuredRole& role, float* v, size_t count, size_t n, bool transpose,
                    ThreadPool* pool = nullptr);
// Dense role M (n x n, row-major): out[j] = M v[j] (transpose: M^T v[j]) for j < count,
// i.e. out = V M^T (V M); out must not overlap v.
void BindDense(const float* m, size_t n, const float* v, size_t count, float* out, bool transpose,
               ThreadPool* pool = nullptr);

// ek_kernels::bind_structured / bind_dense: the refusals of plugin.h as a status, then
// the functions above on the caller's thread (no pool: plugins parallelise over their
// own items). Small dense batches (< kDenseBatchMinCount vectors) take one matrix-vector
// product per vector, as a plugin binding one vector at a time always did.
ek_status TableBindStructured(const float* signs, size_t rounds, const uint32_t* perm, float* v,
                              size_t count, size_t n, uint32_t transpose);
ek_status TableBindDense(const float* m, size_t n, const float* v, size_t count, float* out,
                         uint32_t transpose);
// ek_kernels::bind_structured_add: acc += (forward role) x + w x in one pass over acc,
// bit for bit the copy, bind_structured, axpy(w, x), axpy(1, ., acc) it replaces.
ek_status TableBindStructuredAdd(const float* signs, size_t rounds, const uint32_t* perm, const float* x,
                                 float w, float* acc, size_t n);
inline constexpr size_t kDenseBatchMinCount = 8;

// The ek_kernels table of the CPU backend (pointers to the functions above).
const ek_kernels* CpuKernelTable();

}  // namespace ek::kernels
