// One-row distances for the HNSW graph (issue 19, docs/design/index_in_store.md §2.1):
// the graph asks for one slot at a time, so the query is prepared once
// (PrepareQuery) and each visited row costs one call with no allocation and no dispatch
// (PreparedDistance); Build compares stored row with stored row (PairDistance, prepared
// likewise once by PreparePair). Scalar twins in kernels/quantized_reference.h.
//
// Values are "smaller is closer", as index::HnswGraph wants them:
//   kCosine  1 - cosine      kDot  -dot      kL2  squared L2 distance
//   kBit rows always score the Hamming distance of the sign bits (as a float), whatever
//   the metric.
// Rows are laid out as the encoders write them (kernels/quantize.h): f32 the raw floats,
// f16 EncodeF16, int8 EncodeInt8 with the collection's scale, bit EncodeBits (whole
// 64-bit words); BytesPerVector(type, dim) bytes, any alignment.
//
// The cosine convention the store follows: it normalises every vector to unit length
// BEFORE encoding it, for every element type. So the f32 and f16 cosine distance is
// 1 - dot(q / ||q||, row): no row norm is computed per call (an f16 row's norm is 1 only
// up to its rounding, which the distance then carries). int8 cosine keeps the exact
// int8 formula instead (detail::Int8Score: norms from the integer sums), so rounding to
// codes, which moves the norm by up to a step per component, does not bias it.
//
// How each type sums (the same per-target code serves PreparedDistance and PairDistance,
// so PairDistance(a, b) == PreparedDistance(PrepareQuery(decode(a)), b) exactly for
// f32/f16 dot and L2, for bit, and for int8 when decode(a) encoded as a query gives back
// a's codes and scale, e.g. a power-of-two scale and a code of +-127 in a):
//   f32, f16  f32 multiply-adds in four accumulators; f16 promoted to f32 (both rows for
//             a pair); the last partial vector re-reads the row's final whole vector with
//             the lanes already summed zeroed, so nothing past the row is read.
//   int8      exact int32 sums of int8 x int8 products (q.x; ||x||^2 unless kDot), then
//             detail::Int8Score with the query's and the rows' scales.
//   bit       popcount of XOR, word by word (a row is a few words; POPCNT or i64.popcnt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/quantize.h"

namespace ek::kernels {

struct PreparedQuery;
struct PreparedPair;

namespace detail {
using PreparedDistanceFn = float (*)(const PreparedQuery& q, const uint8_t* row);
using PairDistanceFn = float (*)(const PreparedPair& p, const uint8_t* a, const uint8_t* b);
// What a PreparedQuery (PreparedPair) that PrepareQuery (PreparePair) did not build scores
// with: they throw ek::Error(EK_ERR_INVALID_ARGUMENT) instead of calling through NULL.
float UnpreparedDistance(const PreparedQuery& q, const uint8_t* row);
float UnpreparedPair(const PreparedPair& p, const uint8_t* a, const uint8_t* b);
}  // namespace detail

// Everything needed to score stored rows against one query. Built by PrepareQuery;
// read-only afterwards, so any number of threads may score with one query at once.
struct PreparedQuery {
  ElementType type = ElementType::kF32;
  Metric metric = Metric::kDot;
  size_t dim = 0;
  std::vector<float> f32;        // kF32, kF16: the query (unit length for kCosine)
  std::vector<int8_t> int8;      // kInt8: its codes (EncodeInt8Query)
  float int8_query_scale = 0.0f; // kInt8: the codes' scale (0 for an all-zero query)
  float int8_rows_scale = 0.0f;  // kInt8: the collection's scale the rows were encoded with
  int32_t int8_sq_norm = 0;      // kInt8: ||codes||^2
  std::vector<uint64_t> bits;    // kBit: its sign bits (EncodeBits)
  // The scorer for this type and metric on the SIMD target dispatch chose when the
  // query was prepared (one choice per query, none per row).
  detail::PreparedDistanceFn distance = &detail::UnpreparedDistance;
};

// Throws ek::Error(EK_ERR_INVALID_ARGUMENT) for an unknown type or metric (kBit takes
// any of the three and ignores it), dim = 0, a NULL q or a NaN/Inf component, and for
// kInt8 an int8_scale (the rows' collection scale) that is not finite and > 0 or a dim
// above kMaxInt8Dim. int8_scale is ignored by the other types.
PreparedQuery PrepareQuery(ElementType type, Metric metric, const float* q, size_t dim,
                           float int8_scale);

// The distance from q to one row of q.type and q.dim. [hot path] no checks of the row.
inline float PreparedDistance(const PreparedQuery& q, const uint8_t* row) {
  return q.distance(q, row);
}

// Row against row of the same type, for building the graph: f32 exact float sums, f16
// both promoted, int8 exact int32 sums (both rows share the collection's int8_scale),
// bit popcount(a ^ b). kCosine assumes unit rows (1 - a.b) except int8 (exact formula),
// as above. PreparePair checks and chooses the scorer once, so Build's millions of pairs
// pay neither; PairDistance(type, ...) does both per call, about 12 ns more a call
// (OneRow/pair_free vs OneRow/pair in tests/bench/bench_kernels.cc: bit at dim 100,
// 17.5 vs 5.7 ns, AVX2, one run on a shared 2-core host).
// Both throw as PrepareQuery does for the type, metric, dim and scale, and the latter
// for NULL rows.
struct PreparedPair {
  ElementType type = ElementType::kF32;
  Metric metric = Metric::kDot;
  size_t dim = 0;
  float int8_scale = 0.0f;
  detail::PairDistanceFn distance = &detail::UnpreparedPair;
};

PreparedPair PreparePair(ElementType type, Metric metric, size_t dim, float int8_scale);

// [hot path] no checks of the rows.
inline float PairDistance(const PreparedPair& p, const uint8_t* a, const uint8_t* b) {
  return p.distance(p, a, b);
}

float PairDistance(ElementType type, Metric metric, const uint8_t* a, const uint8_t* b,
                   size_t dim, float int8_scale);

}  // namespace ek::kernels
