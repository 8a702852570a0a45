// What a collection's index is (issue 19): its kind, the element type its scans and
// graph traverse, the HNSW parameters, and the per-query knobs of a search. The
// default, exact f32, is the plain scan over an f32 copy; anything else keeps a row in
// ek_index plus slots, codes and graph records (docs/storage.md "Indexes").
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "kernels/quantize.h"

namespace ek::store {

enum class IndexKind : int32_t { kExact = 0, kHnsw = 1 };
using kernels::ElementType;

struct IndexOptions {
  IndexKind kind = IndexKind::kExact;
  ElementType element = ElementType::kF32;  // what scans and the graph traverse
  uint32_t m = 16;                 // hnsw: links per node, 2..255
  uint32_t ef_construction = 200;  // hnsw: build beam, >= 1
  uint32_t ef_search = 64;         // hnsw: default search beam, >= 1
  uint32_t rescore = 1;            // default oversampling re-ranked with f32 originals; 1 = none
  bool defer_build = false;        // hnsw: rows only (state building) until BuildIndex
};

// Per-query knobs of Search (0 = the collection's setting).
struct SearchOptions {
  size_t ef = 0;        // hnsw beam (raised to k)
  bool exact = false;   // exact scan of the f32 originals: the recall baseline
  size_t rescore = 0;   // oversampling factor re-ranked with the f32 originals; 1 = none
};

// Index builds report (rows done, rows total) and stop when this returns non-zero.
using BuildProgressFn = std::function<int(uint64_t done, uint64_t total)>;

// Range checks (ek::Error EK_ERR_INVALID_ARGUMENT naming the field and its range).
void ValidateIndexOptions(const IndexOptions& options);
// True unless the options are the plain exact f32 scan (which keeps no ek_index row).
bool NeedsIndexRow(const IndexOptions& options);
const char* IndexKindName(IndexKind kind);
const char* ElementTypeName(ElementType type);
// "hnsw m=16 ef_construction=200 ef_search=64 element=int8 rescore=4": messages and logs.
std::string DescribeIndexOptions(const IndexOptions& options);
// The first field where a and b differ, as "m 16 vs 32"; "" when equal (defer_build
// is not compared: it is a state, not an option).
std::string IndexOptionsDifference(const IndexOptions& a, const IndexOptions& b);

}  // namespace ek::store
