// Scalar twins of kernels/quantized_distance.h (same contracts, valid arguments only),
// written from the definitions rather than from the SIMD code: f16 rows decoded one
// component at a time and summed in double; int8 sums as plain int32 loops; Hamming
// distance counted bit by bit against the query's signs. The int8 sums go through the
// same detail::Int8Score, so int8 and Hamming results must match every target exactly.
// The one-row distances of kernels/prepared_distance.h likewise: f32/f16 in double
// (within rounding of the kernels), int8 and bit exactly.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/prepared_distance.h"
#include "kernels/quantized_distance.h"

namespace ek::kernels::reference {

void F16ScoreMany(Metric metric, const float* query, const uint16_t* rows_f16, size_t rows,
                  size_t dim, float* out);
void Int8ScoreMany(Metric metric, const float* query, const int8_t* rows_int8, float rows_scale,
                   size_t rows, size_t dim, float* out);
void HammingMany(const float* query, const uint64_t* rows_bits, size_t rows, size_t dim,
                 uint32_t* out);
// Every allowed row scored, then sorted (best first, ties by lower row); no pool.
void QuantizedScanTopK(const QuantizedScanRequest& request, uint32_t* out_rows, float* out_scores,
                       size_t* out_counts);

// PreparedDistance(PrepareQuery(type, metric, q, dim, int8_scale), row), preparing the
// query from its definition (cosine: q divided by its norm, in double).
float PreparedDistance(ElementType type, Metric metric, const float* q, size_t dim,
                       float int8_scale, const uint8_t* row);
// PairDistance: both rows decoded (f16, int8 codes as integers) and summed in double.
float PairDistance(ElementType type, Metric metric, const uint8_t* a, const uint8_t* b,
                   size_t dim, float int8_scale);

}  // namespace ek::kernels::reference
