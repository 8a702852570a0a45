// The HNSW graph (Malkov & Yashunin, arXiv:1603.09320) over dense uint32 slots: the
// graph core of a collection's index, with no storage and no vectors in it. The caller
// owns the vectors and lends distances (smaller = closer; convert similarities, e.g.
// 1 - cosine or -dot); the store maps row ids <-> slots and persists the records this
// class encodes (one per node plus a header), writing only those TakeDirty() names.
//
// Determinism: a node's level is a pure function of (seed, slot) (Philox, integer
// thresholds: no libm), every ordering breaks distance ties by the lower slot, and a
// Build's result depends only on the graph before it and its slot list, never on the
// thread count (Build(all) and one Insert per slot batch differently, so their graphs
// differ). The same calls with the same distances give the same bytes natively and
// in WASM (HnswTest.GraphBytesAreTheSameOnEveryPlatform).
//
// Threads: Search is const and may run concurrently with other Searches; Build,
// Insert, Remove and Load* need exclusive access. Build parallelises internally on a
// ThreadPool (see Build); Insert is Build of one slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "index/function_ref.h"

namespace ek {
class ThreadPool;
}

namespace ek::index {

struct HnswParams {
  uint32_t m = 16;                 // 2..255 links per node on layers >= 1; layer 0 keeps 2m
  uint32_t ef_construction = 200;  // >= 1: candidates kept while linking a new node
  uint64_t seed = 0x5eed;          // levels derive from (seed, slot)
};

// Distance between two slots of the graph. [thread-safety] called from the pool's
// threads at once during Build with a pool.
using PairDistance = FunctionRef<float(uint32_t a, uint32_t b)>;
// Distance from the query to a slot.
using QueryDistance = FunctionRef<float(uint32_t slot)>;
// True where a slot may be returned by Search.
using SlotFilter = FunctionRef<bool(uint32_t slot)>;
// Called after each batch of a Build with (slots inserted, slots asked); a nonzero
// return stops the Build after that batch.
using BuildProgress = FunctionRef<int(size_t done, size_t total)>;

struct Neighbor {
  uint32_t slot;
  float distance;
};

// What changed since the last TakeDirty(): the store rewrites these rows in the
// transaction that changed the vectors, and nothing else.
struct HnswDirty {
  bool header = false;            // EncodeHeader() changed (entry point, max level)
  std::vector<uint32_t> written;  // ascending: slots whose EncodeNode() changed
  std::vector<uint32_t> removed;  // ascending: slots whose record must be deleted
};

class HnswGraph {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;  // no entry point (empty graph)
  static constexpr int kMaxLevel = 31;

  // Throws ek::Error(EK_ERR_INVALID_ARGUMENT) for params out of range.
  explicit HnswGraph(const HnswParams& params);
  ~HnswGraph();
  HnswGraph(HnswGraph&&) noexcept;
  HnswGraph& operator=(HnswGraph&&) noexcept;

  const HnswParams& params() const { return params_; }
  size_t size() const { return live_; }
  uint32_t entry_point() const { return entry_; }
  int max_level() const { return max_level_; }
  bool Contains(uint32_t slot) const { return slot < levels_.size() && levels_[slot] >= 0; }
  // The level a node in `slot` has (whether or not it is in the graph): a pure
  // function of (seed, slot), P(level >= L) = m^-L.
  int LevelOf(uint32_t slot) const;
  // The links of a node on `level` (empty when it is absent or below that level).
  std::span<const uint32_t> Neighbors(uint32_t slot, int level) const;

  // Inserts `slots` (none may be in the graph yet; no duplicates) in their order.
  // Work runs in batches whose size depends only on the graph's size: each batch
  // searches the graph as it was before the batch (in parallel on `pool`), compares
  // batch members with each other exactly, then adds the reverse links grouped by
  // target node (in parallel). Returns the number inserted: less than slots.size()
  // only when `progress` asked to stop (the graph is then valid, holding the batches
  // that completed). Throws ek::Error(EK_ERR_INVALID_ARGUMENT) for a bad slot list.
  size_t Build(std::span<const uint32_t> slots, PairDistance distance, ThreadPool* pool,
               BuildProgress progress);
  size_t Build(std::span<const uint32_t> slots, PairDistance distance, ThreadPool* pool);
  void Insert(uint32_t slot, PairDistance distance);

  // Removes `slots` (each must be in the graph) in one pass over the link lists (cost
  // O(nodes x m): batch the removals of a transaction). Every node that linked to a
  // removed one is relinked from its remaining links and the removed node's links
  // (FreshDiskANN's delete rule) with the neighbour heuristic; a removed entry point
  // is replaced by the lowest slot on the highest level left; finally every node that
  // layer 0 no longer reaches from the entry point is linked in from its nearest
  // reachable node, so all remaining nodes stay reachable (unless each of the
  // ef_construction nearest is full of links that are their target's only in-link).
  void Remove(std::span<const uint32_t> slots, PairDistance distance);

  // The k nodes nearest the query, best first, ties by lower slot; ef (raised to k)
  // is the beam width. With a filter, disallowed nodes are traversed but never
  // returned, and the search goes on past the usual stop until it holds ef allowed
  // nodes or has visited every node reachable from the entry point: it returns k hits
  // whenever k allowed nodes are reachable, at the cost of visiting about ef /
  // selectivity nodes (the planner prefers the masked exact scan for small
  // selectivities).
  std::vector<Neighbor> Search(QueryDistance distance, size_t k, size_t ef) const;
  std::vector<Neighbor> Search(QueryDistance distance, size_t k, size_t ef,
                               SlotFilter allowed) const;

  HnswDirty TakeDirty();

  // Records (little-endian, versioned; see hnsw_codec.cc for the layout). Decoding
  // checks every length, count and slot: damaged bytes give
  // ek::Error(EK_ERR_CORRUPT), never undefined behaviour.
  std::vector<uint8_t> EncodeHeader() const;
  std::vector<uint8_t> EncodeNode(uint32_t slot) const;  // slot must be in the graph
  // An empty graph with the header's params, entry point and max level; load the
  // nodes with LoadNodes (or LoadNode), then call VerifyLoaded.
  static HnswGraph DecodeHeader(std::span<const uint8_t> bytes);
  // Loads a node record into `slot`, replacing the node there; a damaged record
  // changes nothing. Loading marks nothing dirty. O(links): a repeated link is found
  // in a small hashed set, not by comparing it with the list's other links.
  void LoadNode(uint32_t slot, std::span<const uint8_t> bytes);
  // LoadNode of (slots[i], records[i]) for each i in order, with the same errors and
  // the same graph, but the storage grows once (to the largest slot) rather than as
  // larger slots arrive. After an error discard the graph (the records before a
  // damaged one are loaded). Throws EK_ERR_INVALID_ARGUMENT for lists of different
  // lengths.
  void LoadNodes(std::span<const uint32_t> slots,
                 std::span<const std::span<const uint8_t>> records);
  // Takes `slot` out of the graph (nothing if it is not there) without touching other
  // nodes' links and without marking anything dirty: its record was deleted by another
  // connection, whose Remove rewrote the records that linked to it. Reload those
  // records and the header before the next Search: until then links may name it.
  void UnloadNode(uint32_t slot);
  // Takes the entry point and max level from a header record (written by another
  // connection, after LoadNode/UnloadNode brought the nodes up to date). Throws
  // EK_ERR_CORRUPT, leaving the graph as it was, when the record is damaged, its
  // params are not this graph's, or its entry point is not a loaded node (an empty
  // header: unless the graph is empty).
  void ReloadHeader(std::span<const uint8_t> bytes);
  // Throws EK_ERR_CORRUPT unless the entry point is loaded at max level and every
  // link names a loaded node on that level.
  void VerifyLoaded() const;

 private:
  struct Candidate;
  class VisitedPool;
  struct BatchPlan;
  class LinkMarks;
  struct HeaderFields;

  // Storage (hnsw_graph.cc).
  void Grow(uint32_t slot);
  uint32_t* Links(uint32_t slot, int level);
  const uint32_t* Links(uint32_t slot, int level) const;
  uint32_t Capacity(int level) const { return level == 0 ? 2 * params_.m : params_.m; }
  void Place(uint32_t slot, int level);
  void Unplace(uint32_t slot);
  void SetLinks(uint32_t slot, int level, const std::vector<Candidate>& links);
  void MarkDirty(uint32_t slot);

  // Records (hnsw_codec.cc).
  static HeaderFields ReadHeader(std::span<const uint8_t> bytes);
  void CheckEntryLevel(const HeaderFields& header) const;

  // Search (hnsw_search.cc).
  uint32_t Descend(QueryDistance distance, int from_level, int to_level) const;
  std::vector<Candidate> SearchLayer(QueryDistance distance, uint32_t entry, size_t ef,
                                     int level, const SlotFilter* allowed) const;
  std::vector<Neighbor> SearchFiltered(QueryDistance distance, size_t k, size_t ef,
                                       const SlotFilter* allowed) const;

  // Linking (hnsw_insert.cc).
  std::vector<Candidate> SelectNeighbors(std::vector<Candidate> candidates, uint32_t keep,
                                         PairDistance distance) const;
  void PlanNode(BatchPlan& plan, size_t index, PairDistance distance) const;
  void LinkBatch(BatchPlan& plan, PairDistance distance, ThreadPool* pool);
  void AddReverseLinks(uint32_t target, int level, const std::vector<uint32_t>& sources,
                       PairDistance distance);

  // Removal (hnsw_remove.cc).
  void RelinkAround(const std::vector<uint8_t>& removed, int level, PairDistance distance);
  void ReplaceEntryPoint();
  void ReconnectUnreachable(PairDistance distance);
  bool LinkFrom(uint32_t from, uint32_t to, std::vector<uint32_t>& in_degree,
                PairDistance distance);

  HnswParams params_;
  std::vector<uint64_t> level_thresholds_;  // LevelOf: u < thresholds[L] <=> level > L
  std::vector<int8_t> levels_;               // per slot; -1: not in the graph
  std::vector<uint32_t> layer0_;             // per slot: count, then 2m slots
  std::vector<std::vector<uint32_t>> upper_; // per slot: levels 1.., each count + m slots
  uint32_t entry_ = kNone;
  int max_level_ = -1;
  size_t live_ = 0;
  bool header_dirty_ = false;
  std::vector<uint8_t> dirty_mark_;  // per slot: already listed in dirty_
  std::vector<uint32_t> dirty_;
  std::unique_ptr<VisitedPool> visited_;
  std::unique_ptr<LinkMarks> link_marks_;  // LoadNode(s)' scratch, made on first use
};

}  // namespace ek::index
