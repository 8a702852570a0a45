// The SQL side of an indexed collection (schema version 3, docs/storage.md "Indexes"):
// its ek_index row, and the key ranges of ek_hnsw_node, ek_code and ek_free_slot.
// Every function runs on the caller's connection inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "store/index_options.h"
#include "store/sqlite.h"

namespace ek::store {

// The ek_index row.
struct IndexSettings {
  IndexOptions options;
  bool building = false;      // state 'building': rows and codes only, searches scan exactly
  float int8_scale = 0;       // int8: the collection's scale; 0 until the first rows set it
  uint32_t next_slot = 0;     // slots ever handed out: [0, next_slot)
};

// key = collection_id * 2^32 + slot: one rowid b-tree per table, clustered by collection.
inline int64_t SlotKey(int64_t cid, uint32_t slot) {
  return static_cast<int64_t>((static_cast<uint64_t>(cid) << 32) | slot);
}
inline uint32_t KeySlot(int64_t key) { return static_cast<uint32_t>(static_cast<uint64_t>(key)); }
inline int64_t FirstKey(int64_t cid) { return SlotKey(cid, 0); }
inline int64_t LastKey(int64_t cid) { return SlotKey(cid, 0xFFFFFFFFu); }

// nullopt when the collection has no ek_index row (exact f32). `header` (optional) gets
// the graph header record (empty for exact). Throws EK_ERR_CORRUPT for a row the
// schema's CHECKs would refuse (a forged file).
std::optional<IndexSettings> ReadIndexSettings(sql::Db& db, int64_t cid,
                                               std::vector<uint8_t>* header);
// INSERT OR REPLACE of the whole row.
void WriteIndexSettings(sql::Db& db, int64_t cid, const IndexSettings& settings,
                        std::span<const uint8_t> header);
void WriteIndexHeader(sql::Db& db, int64_t cid, std::span<const uint8_t> header);
void WriteIndexCounters(sql::Db& db, int64_t cid, const IndexSettings& settings);
// Removes the row, the collection's nodes, codes and free slots, and clears vectors.slot.
void DeleteIndexData(sql::Db& db, int64_t cid);

// `n` slots for new rows: freed ones lowest first, then next_slot onwards (advanced).
std::vector<uint32_t> AllocateSlots(sql::Db& db, int64_t cid, IndexSettings& settings, size_t n);
void FreeSlot(sql::Db& db, int64_t cid, uint32_t slot);

void WriteCode(sql::Db& db, int64_t cid, uint32_t slot, std::span<const uint8_t> code);
void DeleteCode(sql::Db& db, int64_t cid, uint32_t slot);
void WriteNode(sql::Db& db, int64_t cid, uint32_t slot, std::span<const uint8_t> record);
void DeleteNode(sql::Db& db, int64_t cid, uint32_t slot);

}  // namespace ek::store
