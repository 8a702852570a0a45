// fuzz_index driver 0: HNSW graph records (index/hnsw.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_index_input.h"
#include "index/hnsw.h"

namespace fuzz_index {

using ek::index::HnswGraph;

// Layout: u8 header length, header; u8 records (% 48), each u8 slot, u16 length,
// record; u8 k, u8 ef, u8 allowed-slot mask (bit slot % 8), u8 points (% 32 + 1),
// each i16 (/ 64: finite), f32 query (raw); u8 removals, each u8 slot; u8 inserts,
// each u8 slot. Slots are one byte: the graph is dense in its slots (the store hands
// them out lowest first), so a slot far above the row count is the store's bug.
struct Points {
  std::vector<float> at;
  float query = 0.0f;
  float Of(uint32_t slot) const { return at[slot % at.size()]; }
};

inline void CheckSearch(const HnswGraph& g, const Points& p, size_t k, size_t ef, uint8_t mask,
                        bool filtered) {
  const auto distance = [&](uint32_t slot) { return std::fabs(p.Of(slot) - p.query); };
  const auto allowed = [&](uint32_t slot) { return ((mask >> (slot % 8)) & 1) != 0; };
  const std::vector<ek::index::Neighbor> hits =
      filtered ? g.Search(distance, k, ef, allowed) : g.Search(distance, k, ef);
  Check(hits.size() <= k, "search: more hits than k");
  Check(filtered || g.size() == 0 || !hits.empty(), "search: no hit in a non-empty graph");
  for (size_t i = 0; i < hits.size(); ++i) {
    const float want = std::isnan(distance(hits[i].slot)) ? INFINITY : distance(hits[i].slot);
    Check(g.Contains(hits[i].slot), "search: a hit is not a node");
    Check(!filtered || allowed(hits[i].slot), "search: a hit the filter refuses");
    Check(hits[i].distance == want, "search: a hit's distance is not the query's");
    if (i == 0) continue;
    const auto& a = hits[i - 1];
    const auto& b = hits[i];
    Check(a.distance < b.distance || (a.distance == b.distance && a.slot < b.slot),
          "search: hits not sorted by (distance, slot)");
  }
}

// Both graphs hold the same nodes, links, entry point and max level.
inline void CheckSameGraph(const HnswGraph& a, const HnswGraph& b, const char* what) {
  Check(a.size() == b.size() && a.EncodeHeader() == b.EncodeHeader(), what);
  for (uint32_t slot = 0; slot < 256; ++slot) {
    Check(a.Contains(slot) == b.Contains(slot), what);
    if (a.Contains(slot)) Check(a.EncodeNode(slot) == b.EncodeNode(slot), what);
  }
}

// The graph's records, decoded into a new graph, must verify and encode the same bytes.
inline void CheckRoundTrip(const HnswGraph& g) {
  HnswGraph back = HnswGraph::DecodeHeader(g.EncodeHeader());
  for (uint32_t slot = 0; slot < 256; ++slot) {
    if (g.Contains(slot)) back.LoadNode(slot, g.EncodeNode(slot));
  }
  back.VerifyLoaded();
  CheckSameGraph(back, g, "round trip: the records decode to another graph");
}

using Records = std::vector<std::pair<uint32_t, std::span<const uint8_t>>>;

// Loads `records` one LoadNode each or in one LoadNodes, then verifies the graph;
// returns the error message ("" when it loaded). Damage must be EK_ERR_CORRUPT.
inline std::string Load(HnswGraph& g, const Records& records, bool bulk) {
  try {
    if (bulk) {
      std::vector<uint32_t> slots;
      std::vector<std::span<const uint8_t>> bytes;
      for (const auto& r : records) {
        slots.push_back(r.first);
        bytes.push_back(r.second);
      }
      g.LoadNodes(slots, bytes);
    } else {
      for (const auto& r : records) g.LoadNode(r.first, r.second);
    }
    g.VerifyLoaded();
  } catch (const ek::Error& e) {
    Check(e.status() == EK_ERR_CORRUPT && e.what()[0] != '\0', "graph: damage is not CORRUPT");
    return e.what();
  }
  return "";
}

// A reader that loaded the graph before an edit follows the writer's dirty records as
// another connection does (UnloadNode, LoadNode, ReloadHeader) and must match it.
inline void Follow(HnswGraph& reader, const HnswGraph& writer, const ek::index::HnswDirty& dirty) {
  for (uint32_t slot : dirty.removed) reader.UnloadNode(slot);
  for (uint32_t slot : dirty.written) reader.LoadNode(slot, writer.EncodeNode(slot));
  reader.ReloadHeader(writer.EncodeHeader());
  reader.VerifyLoaded();
  CheckSameGraph(reader, writer, "reader: differs from the writer after its dirty records");
}

// Removes and inserts fuzzed slots; returns what changed.
inline ek::index::HnswDirty EditGraph(HnswGraph& g, Input& in, const Points& p) {
  const auto pair = [&](uint32_t a, uint32_t b) { return std::fabs(p.Of(a) - p.Of(b)); };
  std::vector<uint32_t> remove, insert;
  for (int n = in.U8() % 8; n > 0; --n) {
    const uint32_t slot = in.U8();
    if (g.Contains(slot) && std::find(remove.begin(), remove.end(), slot) == remove.end())
      remove.push_back(slot);
  }
  for (int n = in.U8() % 8; n > 0; --n) {
    const uint32_t slot = in.U8();
    if (!g.Contains(slot) && std::find(insert.begin(), insert.end(), slot) == insert.end())
      insert.push_back(slot);
  }
  g.TakeDirty();
  g.Remove(remove, pair);
  g.Build(insert, pair, nullptr);
  g.VerifyLoaded();
  const ek::index::HnswDirty dirty = g.TakeDirty();
  for (uint32_t slot : remove) Check(!g.Contains(slot), "edit: a removed slot is still a node");
  for (uint32_t slot : dirty.removed) Check(!g.Contains(slot), "dirty: removed slot is a node");
  for (uint32_t slot : dirty.written) Check(g.Contains(slot), "dirty: written slot is no node");
  return dirty;
}

inline void FuzzGraph(Input& in) {
  const std::span<const uint8_t> header = in.Bytes(in.U8());
  Records records;
  for (int n = in.U8() % 48; n > 0; --n) {
    const uint32_t slot = in.U8();
    records.emplace_back(slot, in.Bytes(in.Le(2)));
  }
  HnswGraph g(ek::index::HnswParams{}), bulk(ek::index::HnswParams{});
  try {
    g = HnswGraph::DecodeHeader(header);
    bulk = HnswGraph::DecodeHeader(header);
  } catch (const ek::Error& e) {
    Check(e.status() == EK_ERR_CORRUPT && e.what()[0] != '\0', "header: damage is not CORRUPT");
    return;
  }
  const std::string error = Load(g, records, false);
  Check(Load(bulk, records, true) == error, "graph: LoadNodes and LoadNode fail differently");
  if (!error.empty()) return;
  CheckSameGraph(g, bulk, "graph: LoadNodes and LoadNode load different graphs");
  Check(std::vector<uint8_t>(header.begin(), header.end()) == g.EncodeHeader(),
        "graph: header does not re-encode to its bytes");
  for (const auto& record : records) {
    // A slot loaded twice keeps its last record.
    const uint32_t slot = record.first;
    const auto last = std::find_if(records.rbegin(), records.rend(),
                                   [&](const auto& r) { return r.first == slot; });
    const std::vector<uint8_t> encoded = g.EncodeNode(slot);
    Check(std::equal(last->second.begin(), last->second.end(), encoded.begin(), encoded.end()),
          "graph: node does not re-encode to its bytes");
  }
  const size_t k = 1 + in.U8() % 16, ef = in.U8() % 64;
  const uint8_t mask = in.U8();
  Points p;
  for (int n = in.U8() % 32 + 1; n > 0; --n) p.at.push_back(float(int16_t(in.Le(2))) / 64.0f);
  p.query = in.Float(0, 0);
  CheckSearch(g, p, k, ef, mask, false);
  CheckSearch(g, p, k, ef, mask, true);
  Follow(bulk, g, EditGraph(g, in, p));
  CheckSearch(g, p, k, ef, mask, false);
  CheckRoundTrip(g);
}

// A graph of `n` points i * 3 (mod 17) built with `m`, then the search and edit fields.
inline void GraphSeed(const std::string& dir, const std::string& name, uint32_t m, uint32_t n) {
  std::vector<float> x(n);
  for (uint32_t i = 0; i < n; ++i) x[i] = float(i * 3 % 17);
  HnswGraph g(ek::index::HnswParams{m, 16, 7});
  std::vector<uint32_t> slots(n);
  for (uint32_t i = 0; i < n; ++i) slots[i] = i;
  g.Build(
      slots, [&](uint32_t a, uint32_t b) { return std::fabs(x[a] - x[b]); }, nullptr);
  Seed s(0);
  s.Le(22, 1).Bytes(g.EncodeHeader()).Le(n, 1);
  for (uint32_t i = 0; i < n; ++i) {
    const std::vector<uint8_t> r = g.EncodeNode(i);
    s.Le(i, 1).Le(r.size(), 2).Bytes(r);
  }
  s.Le(3, 1).Le(8, 1).Le(0x55, 1).Le(16, 1);  // k, ef, mask, 17 points
  for (int i = 0; i <= 16; ++i) s.Le(uint16_t(int16_t(i * 3 % 17 * 64)), 2);
  s.F32(5.5f).Le(2, 1).Le(0, 1).Le(n / 2, 1).Le(2, 1).Le(n, 1).Le(n + 1, 1);
  s.Write(dir, name);
}

inline void WriteGraphSeeds(const std::string& dir) {
  GraphSeed(dir, "graph_m2", 2, 9);
  GraphSeed(dir, "graph_m4", 4, 24);
  GraphSeed(dir, "graph_m16", 16, 40);
  Seed(0)
      .Le(22, 1)
      .Bytes(HnswGraph(ek::index::HnswParams{}).EncodeHeader())
      .Le(0, 1)
      .Write(dir, "graph_empty");
}

}  // namespace fuzz_index
