// The warm copy of a collection that has an ek_index row (docs/storage.md "Indexes"):
// per slot its code (f32 unit rows for cosine, or f16 / int8 / sign-bit codes), id,
// metadata, vectors.row and a live byte, plus the HNSW graph for kind hnsw. Slots never
// move (a delete leaves a hole that a later insert reuses), so the graph can name rows
// by slot.
//
// Thread-safety: `mu` shared for searches, exclusive for writes; the store's db mutex
// is always taken before `mu`, never while holding it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "index/hnsw.h"
#include "json/filter.h"
#include "kernels/kernels.h"
#include "kernels/prepared_distance.h"
#include "store/index_table.h"
#include "store/mask_cache.h"

namespace ek {
class ThreadPool;
}

namespace ek::store {

struct IndexedCopy {
  mutable std::shared_mutex mu;
  int64_t cid = 0;
  int64_t generation = 0;  // collections.generation this copy reflects
  uint32_t dim = 0;
  kernels::Metric metric = kernels::Metric::kCosine;
  IndexSettings settings;
  size_t code_bytes = 0;            // BytesPerVector(element, dim)
  std::vector<uint8_t> codes;       // slot-major; a free slot's bytes are zero
  std::vector<uint8_t> live;        // 1 where the slot holds a row
  uint64_t live_count = 0;
  std::vector<std::string> ids;     // per slot ("" when free)
  // Per slot its vectors.row (0 when free): the rescore reads the f32 original by the
  // table's own key instead of the (collection_id, id) index. A hint checked on use
  // (RescoreWithOriginals compares the row's id), never trusted alone.
  std::vector<int64_t> rows;
  std::vector<std::optional<std::string>> metadata;
  std::optional<index::HnswGraph> graph;  // kind hnsw
  uint64_t content_key = 0;         // renewed by every change (ScanFn's content_key)

  size_t slots() const { return live.size(); }
  const uint8_t* Code(uint32_t slot) const { return codes.data() + size_t{slot} * code_bytes; }
  bool Hnsw() const { return settings.options.kind == IndexKind::kHnsw; }
  // The graph answers only when it holds every live row.
  bool GraphReady() const { return Hnsw() && !settings.building && graph.has_value(); }

  // Room for slots [0, n).
  void Grow(uint32_t n);
  // The code of `v` as stored: normalised first for cosine, then encoded (int8 with
  // settings.int8_scale, which must be set).
  void Encode(const float* v, uint8_t* out) const;
  void Place(uint32_t slot, int64_t row, std::string id, std::optional<std::string> meta,
             const uint8_t* code);
  void Clear(uint32_t slot);  // zero the code, free the slot
  // The row-against-row distance of the graph's builds and repairs ("smaller is
  // closer"), its SIMD scorer chosen once per call site rather than once per pair.
  kernels::PreparedPair Pair() const;

  void ContentsChanged();
  // live && metadata matches `filter`, per slot; cached per filter text until the next
  // change. Caller holds `mu` (shared is enough).
  MaskCache::Mask Mask(std::string_view text, const json::Filter& filter, ThreadPool* pool) const;

 private:
  MaskCache masks_;
};

// The collection's copy from its tables (caller holds a read or write transaction).
// Throws EK_ERR_CORRUPT for rows, codes or graph records that do not fit together.
std::shared_ptr<IndexedCopy> LoadIndexedCopy(sql::Db& db, int64_t cid, uint32_t dim,
                                             kernels::Metric metric, int64_t generation,
                                             const std::string& label);

// Places every row of vectors (slots already assigned) into `c`: with `encode`, the
// code is computed from the f32 vector (a build); otherwise only f32 collections are
// (codes come from ek_code). Part of LoadIndexedCopy; BuildIndexed calls it too.
void LoadRows(sql::Db& db, IndexedCopy& c, const std::string& label, bool encode);

// Graph parameters of the settings (seed fixed: levels are reproducible everywhere).
index::HnswParams GraphParams(const IndexSettings& settings);

// Resident bytes per row: code + live byte + id slot + vectors.row + layer-0 links (+
// upper levels on average) for hnsw. The figure ek_collection_info_get reports.
uint64_t BytesPerRow(const IndexSettings& settings, uint32_t dim);

}  // namespace ek::store
