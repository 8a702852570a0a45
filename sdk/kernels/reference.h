// Plain scalar reference of every kernel in kernels/kernels.h (same contracts). The
// tests compare each SIMD target against these. Sums are accumulated in double, so
// the reference is at least as accurate as any float kernel; it is slow by design.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace ek::kernels::reference {

float Dot(const float* a, const float* b, size_t n);
float L2Sq(const float* a, const float* b, size_t n);
float Cosine(const float* a, const float* b, size_t n);
float SquaredNorm(const float* a, size_t n);

void DotMany(const float* q, const float* base, size_t rows, size_t dim, float* out);
void L2SqMany(const float* q, const float* base, size_t rows, size_t dim, float* out);
void CosineMany(const float* q, const float* base, size_t rows, size_t dim, float* out);
void DotManyMany(const float* queries, size_t n_queries, const float* base, size_t rows,
                 size_t dim, float* out);

float Normalize(float* v, size_t n);
void MatVec(const float* m, size_t rows, size_t cols, const float* x, float* y);
void MatMul(const float* a, const float* b, size_t m, size_t k, size_t n, float* c);
void Fwht(float* v, size_t n);  // throws ek::Error(EK_ERR_INVALID_ARGUMENT) unless n = 2^j

// Element-wise: the plain loops the SIMD versions must match bit for bit.
void Axpy(float a, const float* x, float* y, size_t n);
void Axpby(float a, const float* x, float b, float* y, size_t n);
void Mul(const float* x, float* y, size_t n);
void Gather(const float* src, const uint32_t* index, float* dst, size_t n);
void Scatter(const float* src, const uint32_t* index, float* dst, size_t n);
// e += g y, then y += g x (ek_kernels::pair_update).
void PairUpdate(float g, const float* x, float* y, float* e, size_t n);
// acc += (forward structured role) x + w x (ek_kernels::bind_structured_add), step by
// step through the twins above; n a power of two.
void BindStructuredAdd(const float* signs, size_t rounds, const uint32_t* perm, const float* x, float w,
                       float* acc, size_t n);

// The BPR step (ek_kernels::bpr_step) in double, triple after triple: same refusals
// (NaN, nothing written), same updates; out_reverse may be NULL.
double BprStep(const ek_bpr_params* params, const ek_bpr_triple* triples, size_t n,
               uint64_t* out_reverse);

size_t TopK(const float* scores, size_t n, size_t k, uint32_t* out_index, float* out_score);

// Brute force: every score in double, full sort by (score, row). Same output layout
// and argument checks as ek::kernels::ScanTopK (the pool is not needed).
void ScanTopK(const ScanRequest& request, uint32_t* out_rows, float* out_scores,
              size_t* out_counts);

}  // namespace ek::kernels::reference
