// The HNSW graph core against brute force on small clustered data (2,000-3,000
// vectors of dim 32, L2): recall, determinism, removal with repair, filters, the
// byte records and cancellation.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <numeric>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/philox.h"
#include "base/thread_pool.h"
#include "index/hnsw.h"

namespace ek::index {
namespace {

constexpr size_t kDim = 32;

// Squared L2 as a plain loop: the graph only needs some distance, and the test then
// depends on nothing but the graph.
float L2Sq(const float* a, const float* b) {
  float sum = 0;
  for (size_t d = 0; d < kDim; ++d) sum += (a[d] - b[d]) * (a[d] - b[d]);
  return sum;
}

// Gaussian-ish clusters (sum of four uniforms) from Philox: the same data everywhere.
struct Dataset {
  std::vector<float> rows;
  size_t count = 0;

  Dataset(size_t n, uint64_t seed) : rows(n * kDim), count(n) {
    constexpr size_t kClusters = 24;
    std::vector<uint32_t> bits(4 * (kClusters * kDim + n * kDim));
    PhiloxFill(seed, 0, bits.data(), bits.size());
    size_t next = 0;
    const auto uniform = [&] { return float(bits[next++]) / 4294967296.0f; };
    std::vector<float> centers(kClusters * kDim);
    for (float& c : centers) c = 2 * uniform() - 1;
    for (size_t i = 0; i < n; ++i) {
      const float* center = &centers[(i % kClusters) * kDim];
      for (size_t d = 0; d < kDim; ++d) {
        const float noise = uniform() + uniform() + uniform() - 1.5f;
        rows[i * kDim + d] = center[d] + 0.25f * noise;
      }
    }
  }
  const float* Row(uint32_t slot) const { return &rows[size_t{slot} * kDim]; }
  float Between(uint32_t a, uint32_t b) const { return L2Sq(Row(a), Row(b)); }
};

HnswParams SmallParams(uint64_t seed = 7) {
  HnswParams params;
  params.m = 12;
  params.ef_construction = 64;
  params.seed = seed;
  return params;
}

std::vector<uint32_t> Slots(size_t n) {
  std::vector<uint32_t> slots(n);
  std::iota(slots.begin(), slots.end(), 0u);
  return slots;
}

HnswGraph BuildGraph(const Dataset& data, const HnswParams& params, ThreadPool* pool = nullptr) {
  HnswGraph graph(params);
  const std::vector<uint32_t> slots = Slots(data.count);
  graph.Build(slots, [&](uint32_t a, uint32_t b) { return data.Between(a, b); }, pool);
  return graph;
}

// Header then every node record in slot order: the whole persisted graph.
std::vector<uint8_t> GraphBytes(const HnswGraph& graph, size_t slots) {
  std::vector<uint8_t> bytes = graph.EncodeHeader();
  for (uint32_t slot = 0; slot < slots; ++slot) {
    if (!graph.Contains(slot)) continue;
    const std::vector<uint8_t> node = graph.EncodeNode(slot);
    bytes.insert(bytes.end(), node.begin(), node.end());
  }
  return bytes;
}

// Exact top-k by L2 among allowed slots (ties by lower slot).
std::vector<uint32_t> BruteForce(const Dataset& data, const float* query, size_t k,
                                 const std::function<bool(uint32_t)>& allowed) {
  std::vector<std::pair<float, uint32_t>> all;
  for (uint32_t slot = 0; slot < data.count; ++slot) {
    if (allowed(slot)) all.emplace_back(L2Sq(query, data.Row(slot)), slot);
  }
  const size_t keep = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end());
  std::vector<uint32_t> out;
  for (size_t i = 0; i < keep; ++i) out.push_back(all[i].second);
  return out;
}

std::vector<Neighbor> SearchRow(const HnswGraph& graph, const Dataset& data, const float* query,
                                size_t k, size_t ef) {
  return graph.Search([&](uint32_t s) { return L2Sq(query, data.Row(s)); }, k, ef);
}

// Live nodes that layer 0 does not reach from the entry point.
size_t Unreachable(const HnswGraph& graph, size_t slots) {
  std::vector<uint8_t> seen(slots, 0);
  std::deque<uint32_t> queue{graph.entry_point()};
  seen[graph.entry_point()] = 1;
  for (; !queue.empty(); queue.pop_front()) {
    for (uint32_t n : graph.Neighbors(queue.front(), 0)) {
      if (!seen[n]) {
        seen[n] = 1;
        queue.push_back(n);
      }
    }
  }
  size_t missing = 0;
  for (uint32_t slot = 0; slot < slots; ++slot) missing += graph.Contains(slot) && !seen[slot];
  return missing;
}

ek_status StatusOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.status();
  }
  return EK_OK;
}

TEST(HnswTest, RecallAt10MatchesBruteForce) {
  const Dataset data(3000, 1), queries(100, 2);
  const HnswGraph graph = BuildGraph(data, SmallParams());
  size_t hits = 0;
  for (uint32_t q = 0; q < queries.count; ++q) {
    const std::vector<uint32_t> truth = BruteForce(data, queries.Row(q), 10, [](uint32_t) { return true; });
    const std::vector<Neighbor> found = SearchRow(graph, data, queries.Row(q), 10, 64);
    ASSERT_EQ(found.size(), 10u);
    for (size_t i = 1; i < found.size(); ++i) {
      ASSERT_LE(found[i - 1].distance, found[i].distance) << "not best first";
    }
    for (const Neighbor& n : found) hits += std::count(truth.begin(), truth.end(), n.slot);
  }
  EXPECT_GE(double(hits) / (10.0 * queries.count), 0.95);
}

TEST(HnswTest, SameSeedGivesTheSameBytesForAnyThreadCount) {
  const Dataset data(1500, 3);
  ThreadPool pool(3);
  const std::vector<uint8_t> serial = GraphBytes(BuildGraph(data, SmallParams()), data.count);
  EXPECT_EQ(serial, GraphBytes(BuildGraph(data, SmallParams()), data.count));
  EXPECT_EQ(serial, GraphBytes(BuildGraph(data, SmallParams(), &pool), data.count));
  EXPECT_NE(serial, GraphBytes(BuildGraph(data, SmallParams(8)), data.count));
}

// FNV-1a, 64-bit: a fingerprint of the persisted graph.
uint64_t Fingerprint(const std::vector<uint8_t>& bytes) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (uint8_t byte : bytes) hash = (hash ^ byte) * 0x100000001b3ull;
  return hash;
}

// The same bytes on every platform (this test runs natively and under WASM): levels
// come from Philox, distances are IEEE sums in a fixed order, ties go to the lower slot.
// The value was printed by the native and the WASM build alike; a deliberate change to
// how the graph is built changes it (graphs already stored stay valid: they are read,
// not rebuilt).
TEST(HnswTest, GraphBytesAreTheSameOnEveryPlatform) {
  const Dataset data(600, 12);
  const std::vector<uint8_t> bytes = GraphBytes(BuildGraph(data, SmallParams()), data.count);
  EXPECT_EQ(Fingerprint(bytes), 5645527461580256028ull);
}

TEST(HnswTest, LevelsArePureAndGeometric) {
  const HnswGraph a(SmallParams(5)), b(SmallParams(5)), c(SmallParams(6));
  size_t upper = 0, differs = 0;
  for (uint32_t slot = 0; slot < 24000; ++slot) {
    ASSERT_EQ(a.LevelOf(slot), b.LevelOf(slot));
    upper += a.LevelOf(slot) > 0;
    differs += a.LevelOf(slot) != c.LevelOf(slot);
  }
  EXPECT_NEAR(double(upper) / 24000, 1.0 / 12, 0.01);  // P(level >= 1) = 1/m
  EXPECT_GT(differs, 0u);
}

TEST(HnswTest, RemoveRepairsLinksAndKeepsEveryNodeReachable) {
  const Dataset data(2000, 4);
  const auto distance = [&](uint32_t a, uint32_t b) { return data.Between(a, b); };
  HnswGraph graph = BuildGraph(data, SmallParams());
  graph.TakeDirty();
  std::vector<uint32_t> removed{graph.entry_point()};
  for (uint32_t slot = 0; slot < data.count; slot += 4) {
    if (slot != graph.entry_point()) removed.push_back(slot);
  }
  const uint32_t old_entry = graph.entry_point();
  graph.Remove(removed, distance);
  const std::set<uint32_t> gone(removed.begin(), removed.end());

  EXPECT_EQ(graph.size(), data.count - removed.size());
  EXPECT_NE(graph.entry_point(), old_entry);
  EXPECT_EQ(graph.LevelOf(graph.entry_point()), graph.max_level());
  EXPECT_EQ(Unreachable(graph, data.count), 0u);
  for (uint32_t slot = 0; slot < data.count; ++slot) {
    for (int level = 0; level <= graph.max_level(); ++level) {
      for (uint32_t n : graph.Neighbors(slot, level)) ASSERT_FALSE(gone.count(n)) << slot;
    }
  }
  const HnswDirty dirty = graph.TakeDirty();
  EXPECT_TRUE(dirty.header);
  EXPECT_EQ(dirty.removed, std::vector<uint32_t>(gone.begin(), gone.end()));
  EXPECT_FALSE(dirty.written.empty());
  // Searching right at a removed vector finds its live neighbours, never it.
  size_t hits = 0;
  for (uint32_t slot : removed) {
    const std::vector<uint32_t> truth =
        BruteForce(data, data.Row(slot), 10, [&](uint32_t s) { return !gone.count(s); });
    for (const Neighbor& n : SearchRow(graph, data, data.Row(slot), 10, 64)) {
      ASSERT_FALSE(gone.count(n.slot));
      hits += std::count(truth.begin(), truth.end(), n.slot);
    }
  }
  EXPECT_GE(double(hits) / (10.0 * removed.size()), 0.95);
}

// A node record written here from the documented layout (hnsw_codec.cc), which pins it.
std::vector<uint8_t> NodeRecord(const std::vector<std::vector<uint32_t>>& links) {
  std::vector<uint8_t> out{1, uint8_t(links.size() - 1)};
  for (const std::vector<uint32_t>& level : links) {
    out.push_back(uint8_t(level.size()));
    out.push_back(uint8_t(level.size() >> 8));
    for (uint32_t slot : level) {
      for (int i = 0; i < 4; ++i) out.push_back(uint8_t(slot >> (8 * i)));
    }
  }
  return out;
}

TEST(HnswTest, RemoveLinksInANodeNothingReached) {
  const Dataset data(300, 11);
  const auto distance = [&](uint32_t a, uint32_t b) { return data.Between(a, b); };
  const HnswGraph built = BuildGraph(data, SmallParams());
  uint32_t orphan = 0;
  while (orphan == built.entry_point() || built.LevelOf(orphan) != 0) ++orphan;
  // The same graph with every link to `orphan` dropped: nothing reaches it.
  HnswGraph graph = HnswGraph::DecodeHeader(built.EncodeHeader());
  for (uint32_t slot = 0; slot < data.count; ++slot) {
    std::vector<std::vector<uint32_t>> links;
    bool dropped = false;
    for (int level = 0; level <= built.LevelOf(slot); ++level) {
      links.emplace_back();
      for (uint32_t n : built.Neighbors(slot, level)) {
        if (n == orphan) {
          dropped = true;
        } else {
          links.back().push_back(n);
        }
      }
    }
    if (!dropped) {
      ASSERT_EQ(NodeRecord(links), built.EncodeNode(slot));
    }
    graph.LoadNode(slot, NodeRecord(links));
  }
  graph.VerifyLoaded();
  ASSERT_EQ(Unreachable(graph, data.count), 1u);

  uint32_t other = orphan + 1;
  while (other == graph.entry_point()) ++other;
  const std::vector<uint32_t> removed{other};
  graph.Remove(removed, distance);
  EXPECT_EQ(Unreachable(graph, data.count), 0u);
  const HnswDirty dirty = graph.TakeDirty();
  size_t linkers = 0;
  for (uint32_t slot : dirty.written) {
    const auto links = graph.Neighbors(slot, 0);
    linkers += std::count(links.begin(), links.end(), orphan);
  }
  EXPECT_GE(linkers, 1u);  // the new in-link is in a record the store will write
}

TEST(HnswTest, FilteredSearchReturnsKAllowedHitsAtOnePercent) {
  const Dataset data(3000, 1), queries(20, 2);
  const HnswGraph graph = BuildGraph(data, SmallParams());
  const auto allowed = [](uint32_t slot) { return slot % 100 == 37; };  // 30 of 3000
  size_t hits = 0;
  for (uint32_t q = 0; q < queries.count; ++q) {
    const auto to_query = [&](uint32_t s) { return L2Sq(queries.Row(q), data.Row(s)); };
    const std::vector<Neighbor> found = graph.Search(to_query, 10, 10, allowed);
    ASSERT_EQ(found.size(), 10u);
    const std::vector<uint32_t> truth = BruteForce(data, queries.Row(q), 10, allowed);
    for (const Neighbor& n : found) {
      ASSERT_TRUE(allowed(n.slot));
      hits += std::count(truth.begin(), truth.end(), n.slot);
    }
  }
  EXPECT_GE(double(hits) / (10.0 * queries.count), 0.95);
  // Fewer allowed nodes than k: all of them, nothing else.
  const auto few = [](uint32_t slot) { return slot % 1000 == 5; };
  const auto to_first = [&](uint32_t s) { return data.Between(0, s); };
  const std::vector<Neighbor> three = graph.Search(to_first, 10, 10, few);
  ASSERT_EQ(three.size(), 3u);
  for (const Neighbor& n : three) EXPECT_TRUE(few(n.slot));
}

TEST(HnswTest, RecordsRoundTripAndReopenSearchesTheSame) {
  const Dataset data(800, 5);
  HnswGraph graph = BuildGraph(data, SmallParams());
  const HnswDirty dirty = graph.TakeDirty();
  EXPECT_TRUE(dirty.header);
  EXPECT_EQ(dirty.written, Slots(data.count));

  HnswGraph loaded = HnswGraph::DecodeHeader(graph.EncodeHeader());
  for (uint32_t slot = 0; slot < data.count; ++slot) loaded.LoadNode(slot, graph.EncodeNode(slot));
  loaded.VerifyLoaded();
  EXPECT_EQ(GraphBytes(loaded, data.count), GraphBytes(graph, data.count));
  EXPECT_TRUE(loaded.TakeDirty().written.empty());  // loading writes nothing back
  const Dataset queries(10, 6);
  for (uint32_t q = 0; q < queries.count; ++q) {
    const auto a = SearchRow(graph, data, queries.Row(q), 5, 32);
    const auto b = SearchRow(loaded, data, queries.Row(q), 5, 32);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].slot, b[i].slot);
  }
}

TEST(HnswTest, InsertDirtiesOnlyTheNewNodeAndItsNeighbours) {
  const Dataset data(1001, 7);
  const auto distance = [&](uint32_t a, uint32_t b) { return data.Between(a, b); };
  HnswGraph graph(SmallParams());
  const std::vector<uint32_t> first = Slots(1000);
  graph.Build(first, distance, nullptr);
  graph.TakeDirty();
  graph.Insert(1000, distance);
  const HnswDirty dirty = graph.TakeDirty();
  std::set<uint32_t> expected{1000};
  for (int level = 0; level <= graph.LevelOf(1000); ++level) {
    for (uint32_t n : graph.Neighbors(1000, level)) expected.insert(n);
  }
  EXPECT_EQ(dirty.written, std::vector<uint32_t>(expected.begin(), expected.end()));
  EXPECT_TRUE(dirty.removed.empty());
  EXPECT_TRUE(graph.TakeDirty().written.empty());
}

TEST(HnswTest, DamagedRecordsAreCorruptNeverUndefined) {
  const Dataset data(300, 8);
  const HnswGraph graph = BuildGraph(data, SmallParams());
  const std::vector<uint8_t> header = graph.EncodeHeader();
  const std::vector<uint8_t> node = graph.EncodeNode(graph.entry_point());
  HnswGraph target = HnswGraph::DecodeHeader(header);
  // Every truncation, and every byte set to 0x00, 0x7F and 0xFF: loads or says CORRUPT.
  for (size_t cut = 0; cut < node.size(); ++cut) {
    const std::vector<uint8_t> shorter(node.begin(), node.begin() + cut);
    EXPECT_EQ(StatusOf([&] { target.LoadNode(graph.entry_point(), shorter); }), EK_ERR_CORRUPT);
  }
  for (size_t at = 0; at < node.size(); ++at) {
    for (uint8_t value : {0x00, 0x7F, 0xFF}) {
      std::vector<uint8_t> damaged = node;
      damaged[at] = value;
      const ek_status status = StatusOf([&] { target.LoadNode(graph.entry_point(), damaged); });
      EXPECT_TRUE(status == EK_OK || status == EK_ERR_CORRUPT) << at;
    }
  }
  std::vector<uint8_t> longer = node;
  longer.push_back(0);
  EXPECT_EQ(StatusOf([&] { target.LoadNode(graph.entry_point(), longer); }), EK_ERR_CORRUPT);
  std::vector<uint8_t> wrong_level = node;
  wrong_level[1] ^= 1;
  EXPECT_EQ(StatusOf([&] { target.LoadNode(graph.entry_point(), wrong_level); }), EK_ERR_CORRUPT);
  for (size_t cut = 0; cut < header.size(); ++cut) {
    const std::vector<uint8_t> shorter(header.begin(), header.begin() + cut);
    EXPECT_EQ(StatusOf([&] { HnswGraph::DecodeHeader(shorter); }), EK_ERR_CORRUPT);
  }
  std::vector<uint8_t> other_entry = header;
  other_entry[17] ^= 1;  // entry point's low byte: its level no longer matches
  EXPECT_EQ(StatusOf([&] { HnswGraph::DecodeHeader(other_entry); }), EK_ERR_CORRUPT);
  // A node whose links name nodes never loaded fails the final check.
  HnswGraph partial = HnswGraph::DecodeHeader(header);
  partial.LoadNode(graph.entry_point(), node);
  EXPECT_EQ(StatusOf([&] { partial.VerifyLoaded(); }), EK_ERR_CORRUPT);
}

// Every slot below `slots` in both graphs, record by record.
void ExpectSameNodes(const HnswGraph& expected, const HnswGraph& actual, size_t slots) {
  EXPECT_EQ(actual.size(), expected.size());
  EXPECT_EQ(actual.EncodeHeader(), expected.EncodeHeader());
  for (uint32_t slot = 0; slot < slots; ++slot) {
    ASSERT_EQ(actual.Contains(slot), expected.Contains(slot)) << slot;
    if (expected.Contains(slot)) {
      ASSERT_EQ(actual.EncodeNode(slot), expected.EncodeNode(slot)) << slot;
    }
  }
}

void ExpectSameSearches(const HnswGraph& expected, const HnswGraph& actual, const Dataset& data) {
  const Dataset queries(10, 6);
  for (uint32_t q = 0; q < queries.count; ++q) {
    const auto a = SearchRow(expected, data, queries.Row(q), 10, 32);
    const auto b = SearchRow(actual, data, queries.Row(q), 10, 32);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].slot, b[i].slot);
      EXPECT_EQ(a[i].distance, b[i].distance);
    }
  }
}

struct Records {
  std::vector<uint32_t> slots;
  std::vector<std::vector<uint8_t>> bytes;
  std::vector<std::span<const uint8_t>> views() const {
    return std::vector<std::span<const uint8_t>>(bytes.begin(), bytes.end());
  }
};

Records RecordsOf(const HnswGraph& graph, size_t slots) {
  Records records;
  for (uint32_t slot = 0; slot < slots; ++slot) {
    if (!graph.Contains(slot)) continue;
    records.slots.push_back(slot);
    records.bytes.push_back(graph.EncodeNode(slot));
  }
  return records;
}

TEST(HnswTest, LoadNodesGivesTheGraphLoadNodeGives) {
  const Dataset data(2000, 13);
  HnswGraph built = BuildGraph(data, SmallParams());
  std::vector<uint32_t> holes;  // removed slots: the loaders meet gaps, as after deletes
  for (uint32_t slot = 3; slot < data.count; slot += 7) {
    if (slot != built.entry_point()) holes.push_back(slot);
  }
  built.Remove(holes, [&](uint32_t a, uint32_t b) { return data.Between(a, b); });
  const Records records = RecordsOf(built, data.count);

  HnswGraph one_by_one = HnswGraph::DecodeHeader(built.EncodeHeader());
  for (size_t i = 0; i < records.slots.size(); ++i) {
    one_by_one.LoadNode(records.slots[i], records.bytes[i]);
  }
  HnswGraph bulk = HnswGraph::DecodeHeader(built.EncodeHeader());
  bulk.LoadNodes(records.slots, records.views());
  bulk.VerifyLoaded();
  ExpectSameNodes(one_by_one, bulk, data.count);
  ExpectSameNodes(built, bulk, data.count);
  ExpectSameSearches(built, bulk, data);
  const HnswDirty dirty = bulk.TakeDirty();
  EXPECT_FALSE(dirty.header);
  EXPECT_TRUE(dirty.written.empty());

  // Any order loads the same graph (the store reads in key order; nothing relies on it).
  Records reversed = records;
  std::reverse(reversed.slots.begin(), reversed.slots.end());
  std::reverse(reversed.bytes.begin(), reversed.bytes.end());
  HnswGraph backwards = HnswGraph::DecodeHeader(built.EncodeHeader());
  backwards.LoadNodes(reversed.slots, reversed.views());
  ExpectSameNodes(built, backwards, data.count);
}

// What loading `records` after `header` gives: the error (status and message) and the
// nodes loaded, whichever loader ran.
struct LoadOutcome {
  ek_status status = EK_OK;
  std::string message;
  std::vector<uint8_t> bytes;
  bool operator==(const LoadOutcome&) const = default;
};

LoadOutcome Load(const std::vector<uint8_t>& header, const Records& records, bool bulk) {
  HnswGraph graph = HnswGraph::DecodeHeader(header);
  LoadOutcome outcome;
  try {
    if (bulk) {
      graph.LoadNodes(records.slots, records.views());
    } else {
      for (size_t i = 0; i < records.slots.size(); ++i) graph.LoadNode(records.slots[i], records.bytes[i]);
    }
  } catch (const Error& e) {
    outcome.status = e.status();
    outcome.message = e.what();
  }
  outcome.bytes = GraphBytes(graph, 2000);
  return outcome;
}

TEST(HnswTest, LoadNodesRefusesWhatLoadNodeRefusesWithTheSameError) {
  const Dataset data(300, 8);
  const HnswGraph graph = BuildGraph(data, SmallParams());
  const std::vector<uint8_t> header = graph.EncodeHeader();
  const uint32_t entry = graph.entry_point();
  const uint32_t first = entry == 0 ? 1 : 0, second = entry == 2 ? 3 : 2;
  const std::vector<uint8_t> node = graph.EncodeNode(entry);
  const auto with_last = [&](const std::vector<uint8_t>& last) {
    Records records{{first, second, entry}, {graph.EncodeNode(first), graph.EncodeNode(second), last}};
    const LoadOutcome single = Load(header, records, false), bulk = Load(header, records, true);
    EXPECT_EQ(single, bulk) << single.message << " | " << bulk.message;
    return bulk;
  };
  for (size_t cut = 0; cut < node.size(); ++cut) {
    EXPECT_EQ(with_last({node.begin(), node.begin() + cut}).status, EK_ERR_CORRUPT);
  }
  for (size_t at = 0; at < node.size(); ++at) {
    for (uint8_t value : {0x00, 0x7F, 0xFF}) {
      std::vector<uint8_t> damaged = node;
      damaged[at] = value;
      with_last(damaged);
    }
  }
  std::vector<uint8_t> longer = node;
  longer.push_back(0);
  EXPECT_EQ(with_last(longer).message, "hnsw node record has trailing bytes");
  // Repeated links: a loaded slot, and a slot past every loaded one.
  std::vector<std::vector<uint32_t>> links;
  for (int level = 0; level <= graph.LevelOf(entry); ++level) {
    const auto span = graph.Neighbors(entry, level);
    links.emplace_back(span.begin(), span.end());
  }
  ASSERT_GE(links[0].size(), 2u);
  for (uint32_t repeated : {first, 1000000u}) {
    std::vector<std::vector<uint32_t>> twice = links;
    twice[0][1] = repeated;
    twice[0][0] = repeated;
    const LoadOutcome outcome = with_last(NodeRecord(twice));
    EXPECT_EQ(outcome.message, "hnsw node record has a bad link") << repeated;
    EXPECT_EQ(outcome.bytes, Load(header, Records{{first, second}, {graph.EncodeNode(first),
                                                                     graph.EncodeNode(second)}},
                                  false).bytes)
        << "the damaged record loaded nothing, the two before it loaded";
  }
  // The longest list (2m = 510 links): no false repeat among hash collisions, a real one found.
  HnswParams widest = SmallParams();
  widest.m = 255;
  HnswGraph wide(widest);
  uint32_t slot = 0;
  while (wide.LevelOf(slot) != 0) ++slot;
  std::vector<std::vector<uint32_t>> full(1);
  for (uint32_t i = 1; full[0].size() < 510; ++i) full[0].push_back(slot + i * 4096);
  wide.LoadNode(slot, NodeRecord(full));
  EXPECT_EQ(wide.Neighbors(slot, 0).size(), 510u);
  full[0].back() = full[0].front();
  EXPECT_EQ(StatusOf([&] { wide.LoadNode(slot, NodeRecord(full)); }), EK_ERR_CORRUPT);

  HnswGraph target = HnswGraph::DecodeHeader(header);
  const std::vector<uint32_t> two{first, second};
  const std::vector<std::span<const uint8_t>> one{node};
  EXPECT_EQ(StatusOf([&] { target.LoadNodes(two, one); }), EK_ERR_INVALID_ARGUMENT);
  const std::vector<uint32_t> reserved{HnswGraph::kNone};
  EXPECT_EQ(StatusOf([&] { target.LoadNodes(reserved, one); }), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(target.size(), 0u);
}

TEST(HnswTest, UnloadNodeAndReloadHeaderFollowAnotherWriter) {
  const Dataset data(2000, 14);
  const auto distance = [&](uint32_t a, uint32_t b) { return data.Between(a, b); };
  HnswGraph writer(SmallParams());
  const std::vector<uint32_t> first = Slots(1900);
  writer.Build(first, distance, nullptr);
  writer.TakeDirty();
  const Records records = RecordsOf(writer, data.count);
  HnswGraph reader = HnswGraph::DecodeHeader(writer.EncodeHeader());
  reader.LoadNodes(records.slots, records.views());

  // The writer removes its entry point and every ninth node, then adds 100 nodes.
  std::vector<uint32_t> removed{writer.entry_point()};
  for (uint32_t slot = 5; slot < 1900; slot += 9) {
    if (slot != writer.entry_point()) removed.push_back(slot);
  }
  writer.Remove(removed, distance);
  std::vector<uint32_t> added(100);
  std::iota(added.begin(), added.end(), 1900u);
  writer.Build(added, distance, nullptr);
  const HnswDirty dirty = writer.TakeDirty();
  ASSERT_TRUE(dirty.header);

  // The reader follows with exactly the records the writer rewrote.
  for (uint32_t slot : dirty.removed) reader.UnloadNode(slot);
  for (uint32_t slot : dirty.written) reader.LoadNode(slot, writer.EncodeNode(slot));
  reader.ReloadHeader(writer.EncodeHeader());
  reader.VerifyLoaded();
  ExpectSameNodes(writer, reader, data.count);
  ExpectSameSearches(writer, reader, data);
  const HnswDirty followed = reader.TakeDirty();
  EXPECT_FALSE(followed.header);
  EXPECT_TRUE(followed.written.empty());
  EXPECT_TRUE(followed.removed.empty());
  reader.UnloadNode(removed[0]);  // not in the graph: nothing happens
  reader.UnloadNode(HnswGraph::kNone);
  EXPECT_EQ(reader.size(), writer.size());

  // Headers that do not fit leave the reader as it was.
  const uint32_t entry = reader.entry_point();
  const std::vector<uint8_t> header = writer.EncodeHeader();
  const std::vector<uint8_t> truncated(header.begin(), header.end() - 1);
  const std::vector<uint8_t> other_seed = BuildGraph(Dataset(50, 15), SmallParams(8)).EncodeHeader();
  const std::vector<uint8_t> empty = HnswGraph(SmallParams()).EncodeHeader();
  for (const auto& bad : {truncated, other_seed, empty}) {
    EXPECT_EQ(StatusOf([&] { reader.ReloadHeader(bad); }), EK_ERR_CORRUPT);
    EXPECT_EQ(reader.entry_point(), entry);
  }
  HnswGraph unloaded = HnswGraph::DecodeHeader(empty);
  EXPECT_EQ(StatusOf([&] { unloaded.ReloadHeader(header); }), EK_ERR_CORRUPT);  // entry not loaded
  unloaded.ReloadHeader(empty);
  EXPECT_EQ(unloaded.entry_point(), HnswGraph::kNone);
}

TEST(HnswTest, ProgressCanCancelABuildBetweenBatches) {
  const Dataset data(1000, 9);
  HnswGraph graph(SmallParams());
  const std::vector<uint32_t> slots = Slots(data.count);
  std::vector<size_t> reports;
  const size_t inserted = graph.Build(
      slots, [&](uint32_t a, uint32_t b) { return data.Between(a, b); }, nullptr,
      [&](size_t done, size_t total) {
        EXPECT_EQ(total, data.count);
        reports.push_back(done);
        return done >= 200 ? 1 : 0;
      });
  EXPECT_GE(inserted, 200u);
  EXPECT_LT(inserted, data.count);
  EXPECT_EQ(reports.back(), inserted);
  EXPECT_TRUE(std::is_sorted(reports.begin(), reports.end()));
  EXPECT_EQ(graph.size(), inserted);
  for (uint32_t slot = 0; slot < data.count; ++slot) EXPECT_EQ(graph.Contains(slot), slot < inserted);
  EXPECT_EQ(Unreachable(graph, data.count), 0u);
}

TEST(HnswTest, RefusesBadArguments) {
  EXPECT_EQ(StatusOf([] { HnswGraph graph(HnswParams{1, 10, 0}); }), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([] { HnswGraph graph(HnswParams{16, 0, 0}); }), EK_ERR_INVALID_ARGUMENT);
  const Dataset data(10, 10);
  const auto distance = [&](uint32_t a, uint32_t b) { return data.Between(a, b); };
  HnswGraph graph(SmallParams());
  const std::vector<uint32_t> twice{1, 2, 1};
  EXPECT_EQ(StatusOf([&] { graph.Build(twice, distance, nullptr); }), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(graph.size(), 0u);
  graph.Insert(3, distance);
  EXPECT_EQ(StatusOf([&] { graph.Insert(3, distance); }), EK_ERR_INVALID_ARGUMENT);
  const std::vector<uint32_t> absent{4};
  EXPECT_EQ(StatusOf([&] { graph.Remove(absent, distance); }), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([&] { graph.EncodeNode(4); }), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf([&] { SearchRow(graph, data, data.Row(0), 0, 10); }), EK_ERR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ek::index
