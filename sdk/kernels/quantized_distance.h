// Distances between an f32 query and quantized rows (kernels/quantize.h encodes them),
// one query against many rows and the exact top-k scan over them. Highway SIMD with
// run-time dispatch (native) or the static SIMD128 target (WASM); scalar twins in
// kernels/quantized_reference.h. Rows are row-major, BytesPerVector(type, dim) bytes
// each, any alignment; rows = 0 is allowed.
//
// How each type scores (metric values as in ScanTopK: kDot the dot product, kCosine the
// cosine similarity, kL2 the squared L2 distance):
//   f16   halves promoted to f32, products accumulated in f32 against the f32 query;
//         cosine scales the query to unit length first (in double: the f32 sums would
//         overflow or underflow for an extreme |q|), then divides by both norms, the
//         row's computed in the same pass (rows need not be unit).
//   int8  the query is encoded with its own scale (EncodeInt8Query); q.x, ||x||^2 are
//         exact int32 sums of int8 x int8 products (widened to int16, pairwise
//         multiply-add into int32), then scaled back: dot = sq sx q.x, L2 = ||sq q - sx x||^2
//         from the three integer sums, cosine = q.x / sqrt(||q||^2 ||x||^2) (scales cancel).
//   bit   Hamming distance between the sign bits (popcount of XOR over 64-bit words).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/quantize.h"

namespace ek::kernels {

// out[r] = metric(query, decoded row r). Throw ek::Error(EK_ERR_INVALID_ARGUMENT) for an
// unknown metric, NULL buffers where data is needed, a NaN/Inf query component, an int8
// scale that is not finite and > 0, or an int8 dim above kMaxInt8Dim.
void F16ScoreMany(Metric metric, const float* query, const uint16_t* rows_f16, size_t rows,
                  size_t dim, float* out);
void Int8ScoreMany(Metric metric, const float* query, const int8_t* rows_int8, float rows_scale,
                   size_t rows, size_t dim, float* out);
// out[r] = Hamming distance between the sign bits of query and row r (EncodeBits).
void HammingMany(const float* query, const uint64_t* rows_bits, size_t rows, size_t dim,
                 uint32_t* out);

// ---- Exact top-k over quantized rows -----------------------------------------------------
struct QuantizedScanRequest {
  ElementType type = ElementType::kF16;  // kF16, kInt8 or kBit
  const float* queries = nullptr;        // n_queries x dim, f32 (encoded inside)
  size_t n_queries = 0;
  const void* base = nullptr;  // rows x BytesPerVector(type, dim)
  size_t rows = 0;
  size_t dim = 0;
  Metric metric = Metric::kDot;  // kF16 and kInt8; kBit always ranks by Hamming distance
  float int8_scale = 0.0f;       // kInt8: the rows' scale (CalibrateInt8Scale)
  const uint8_t* row_allowed = nullptr;  // optional filter: rows with 0 are skipped
  size_t k = 10;                         // >= 1, as ScanTopK
};

// ScanTopK's contract over quantized rows: results per query best first (highest
// similarity; lowest L2 or Hamming distance), ties by lower row, in out_rows[q*k + i],
// out_scores[q*k + i]; out_counts[q] = min(k, allowed rows); slots past it get row
// UINT32_MAX and score NaN. Scores as the *Many functions give them (kBit: the Hamming
// distance as a float). Throws ek::Error(EK_ERR_INVALID_ARGUMENT) for k = 0,
// an unknown type (kF32 included: that is ScanTopK) or metric, NULL buffers where data is
// needed, rows >= 2^32, and the refusals of the *Many functions. Rows are split across the
// pool's threads (each part its own heaps, merged at the end); without a pool everything
// runs on the calling thread.
void QuantizedScanTopK(const QuantizedScanRequest& request, ThreadPool* pool, uint32_t* out_rows,
                       float* out_scores, size_t* out_counts);

// A backend's quantized search (core/backend.h gives one per context; the store calls
// it): QuantizedScanTopK's contract plus `content_key`, which names the contents of
// request.base as ScanFn's does (equal non-zero keys promise identical rows).
using QuantizedScanFn = void (*)(const QuantizedScanRequest& request, uint64_t content_key,
                                 ThreadPool* pool, uint32_t* out_rows, float* out_scores,
                                 size_t* out_counts);

namespace detail {
// The int8 score from the integer sums (q.x, ||q||^2, ||x||^2) and the two scales, in
// double; shared by the kernels and their scalar twin, which must agree exactly.
float Int8Score(Metric metric, int32_t dot, int32_t qq, int32_t xx, float q_scale, float x_scale);
}  // namespace detail

}  // namespace ek::kernels
