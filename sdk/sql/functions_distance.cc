// vec_distance_l2, _cosine, _l1 and _hamming between two vectors of one element type
// and dimension. L2 and cosine use the SDK's dispatched kernels (kernels/kernels.h), the
// ones the store scores with, so a vtab distance and these functions agree. L2 and
// cosine come back rounded to float32, as vec0 returns them (it measures in float); L1
// is a double in vec0 too, Hamming a whole number.
#include <bit>
#include <cmath>

#include "kernels/kernels.h"
#include "sql/functions_internal.h"

namespace ek::sql::functions {

namespace {

// L2, cosine and L1 are defined over numbers, not packed bits.
VectorPair ReadNumericPair(sqlite3_context* ctx, sqlite3_value** argv) {
  VectorPair pair = ReadMatchingPair(ctx, argv);
  if (pair.a.type == ElementType::kBit)
    RefuseCall(ctx, "bit vectors have no such distance; vec_distance_hamming() compares them");
  return pair;
}

bool AllZero(const std::vector<float>& v) {
  for (float x : v)
    if (x != 0) return false;
  return true;
}

void DistanceL2(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const VectorPair p = ReadNumericPair(ctx, argv);
  const float squared = kernels::L2Sq(p.a.values.data(), p.b.values.data(), p.a.dim());
  sqlite3_result_double(ctx, double(static_cast<float>(std::sqrt(double(squared)))));
}

// 1 - cosine similarity (vec0's convention). A zero vector has no direction: NULL, as
// vec0 answers (its 0/0 is NaN, which SQLite stores as NULL).
void DistanceCosine(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const VectorPair p = ReadNumericPair(ctx, argv);
  if (AllZero(p.a.values) || AllZero(p.b.values)) {
    sqlite3_result_null(ctx);
    return;
  }
  const float similarity = kernels::Cosine(p.a.values.data(), p.b.values.data(), p.a.dim());
  sqlite3_result_double(ctx, double(static_cast<float>(1.0 - double(similarity))));
}

// Sum of |a - b| in double (no kernel: one pair is a short loop); an integer for int8
// vectors, as vec0 returns.
void DistanceL1(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const VectorPair p = ReadNumericPair(ctx, argv);
  double sum = 0;
  for (size_t i = 0; i < p.a.dim(); ++i) sum += std::fabs(double(p.a.values[i]) - p.b.values[i]);
  if (p.a.type == ElementType::kInt8)
    sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(sum));
  else
    sqlite3_result_double(ctx, sum);
}

// Differing bits: popcount of XOR over the packed bytes; a real, as vec0 returns.
void DistanceHamming(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const VectorPair p = ReadMatchingPair(ctx, argv);
  if (p.a.type != ElementType::kBit)
    RefuseCall(ctx, std::string("needs bit vectors, got ") + TypeName(p.a.type) +
                        " ones; vec_quantize_binary() makes bits of them");
  size_t differing = 0;
  for (size_t i = 0; i < p.a.bits.size(); ++i)
    differing += std::popcount(unsigned(p.a.bits[i] ^ p.b.bits[i]));
  sqlite3_result_double(ctx, double(differing));
}

constexpr ScalarFunction kDistances[] = {
    {"vec_distance_l2", 2, kVectorFlags, Guarded<DistanceL2>},
    {"vec_distance_cosine", 2, kVectorFlags, Guarded<DistanceCosine>},
    {"vec_distance_l1", 2, kVectorFlags, Guarded<DistanceL1>},
    {"vec_distance_hamming", 2, kVectorFlags, Guarded<DistanceHamming>},
};

}  // namespace

std::span<const ScalarFunction> DistanceFunctions() { return kDistances; }

}  // namespace ek::sql::functions
