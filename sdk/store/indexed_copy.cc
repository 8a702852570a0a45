#include "store/indexed_copy.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/quantize.h"
#include "kernels/prepared_distance.h"
#include "store/quote.h"
#include "store/vector_blob.h"

namespace ek::store {
namespace {

uint64_t NextIndexedContentKey() {
  // High bit set: never equal to a Snapshot's key (those count up from 1).
  static std::atomic<uint64_t> next{1};
  return (uint64_t{1} << 63) | next.fetch_add(1, std::memory_order_relaxed);
}

[[noreturn]] void Corrupt(sql::Db& db, const std::string& label, const std::string& what) {
  Fail(EK_ERR_CORRUPT, "store '" + db.path() + "': " + label + ": " + what);
}

}  // namespace

void LoadRows(sql::Db& db, IndexedCopy& c, const std::string& label, bool encode) {
  const bool f32 = encode || c.settings.options.element == ElementType::kF32;
  sql::Stmt::Use q(db.Prepare(
      f32 ? "SELECT slot, id, metadata, row, vector FROM vectors WHERE collection_id = ?1"
          : "SELECT slot, id, metadata, row FROM vectors WHERE collection_id = ?1"));
  q.Bind(1, c.cid);
  std::vector<float> v(c.dim);
  std::vector<uint8_t> code(c.code_bytes);
  while (q.Step()) {
    const int64_t slot = q.IsNull(0) ? -1 : q.Int(0);
    if (slot < 0 || slot >= int64_t{c.settings.next_slot} || c.live[size_t(slot)])
      Corrupt(db, label, "row " + Quote(q.Text(1)) + " has no valid slot");
    std::optional<std::string> meta;
    if (!q.IsNull(2)) meta.emplace(q.Text(2));
    if (f32) {
      const std::string_view blob = q.Blob(4);
      if (blob.size() != size_t{c.dim} * sizeof(float))
        Corrupt(db, label, "row " + Quote(q.Text(1)) + " has a vector of " +
                               std::to_string(blob.size()) + " bytes");
      DecodeVector(blob, v.data());
      c.Encode(v.data(), code.data());
    }
    c.Place(uint32_t(slot), q.Int(3), std::string(q.Text(1)), std::move(meta),
            f32 ? code.data() : nullptr);
  }
}

namespace {

void LoadCodes(sql::Db& db, IndexedCopy& c, const std::string& label) {
  sql::Stmt::Use q(db.Prepare("SELECT key, code FROM ek_code WHERE key BETWEEN ?1 AND ?2"));
  q.Bind(1, FirstKey(c.cid)).Bind(2, LastKey(c.cid));
  uint64_t loaded = 0;
  while (q.Step()) {
    const uint32_t slot = KeySlot(q.Int(0));
    const std::string_view code = q.Blob(1);
    if (slot >= c.slots() || !c.live[slot] || code.size() != c.code_bytes)
      Corrupt(db, label, "the code of slot " + std::to_string(slot) + " has no row or a bad size");
    std::memcpy(c.codes.data() + size_t{slot} * c.code_bytes, code.data(), code.size());
    ++loaded;
  }
  if (loaded != c.live_count)
    Corrupt(db, label, std::to_string(c.live_count - loaded) + " rows have no code");
}

void LoadGraph(sql::Db& db, IndexedCopy& c, const std::vector<uint8_t>& header,
               const std::string& label) {
  if (header.empty()) {
    c.graph.emplace(GraphParams(c.settings));
    return;
  }
  c.graph.emplace(index::HnswGraph::DecodeHeader(header));
  const index::HnswParams& p = c.graph->params();
  if (p.m != c.settings.options.m || p.ef_construction != c.settings.options.ef_construction)
    Corrupt(db, label, "the graph header's m/ef_construction differ from the ek_index row");
  sql::Stmt::Use q(db.Prepare("SELECT key, record FROM ek_hnsw_node WHERE key BETWEEN ?1 AND ?2"));
  q.Bind(1, FirstKey(c.cid)).Bind(2, LastKey(c.cid));
  // All records first, then one bulk decode (LoadNodes: storage grown once).
  std::vector<uint32_t> slots;
  std::vector<uint8_t> bytes;
  std::vector<size_t> ends;
  while (q.Step()) {
    const uint32_t slot = KeySlot(q.Int(0));
    if (slot >= c.slots() || !c.live[slot])
      Corrupt(db, label, "graph node " + std::to_string(slot) + " has no row");
    const std::string_view r = q.Blob(1);
    slots.push_back(slot);
    bytes.insert(bytes.end(), r.begin(), r.end());
    ends.push_back(bytes.size());
  }
  std::vector<std::span<const uint8_t>> records(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    const size_t begin = i == 0 ? 0 : ends[i - 1];
    records[i] = {bytes.data() + begin, ends[i] - begin};
  }
  c.graph->LoadNodes(slots, records);
  c.graph->VerifyLoaded();
  if (!c.settings.building && c.graph->size() != c.live_count)
    Corrupt(db, label, "the graph holds " + std::to_string(c.graph->size()) + " of " +
                           std::to_string(c.live_count) + " rows");
}

}  // namespace

index::HnswParams GraphParams(const IndexSettings& s) {
  index::HnswParams p;
  p.m = s.options.m;
  p.ef_construction = s.options.ef_construction;
  return p;
}

uint64_t BytesPerRow(const IndexSettings& s, uint32_t dim) {
  uint64_t bytes =
      kernels::BytesPerVector(s.options.element, dim) + 1 + sizeof(std::string) + sizeof(int64_t);
  if (s.options.kind == IndexKind::kHnsw) {
    // layer 0: count + 2m links; upper levels: a fraction 1/m of nodes, count + m links.
    const uint64_t m = s.options.m;
    bytes += 4 * (1 + 2 * m) + 1 + (4 * (1 + m) + sizeof(std::vector<uint32_t>)) / (m - 1);
  }
  return bytes;
}

void IndexedCopy::Grow(uint32_t n) {
  if (n <= slots()) return;
  codes.resize(size_t{n} * code_bytes);
  live.resize(n);
  ids.resize(n);
  rows.resize(n);
  metadata.resize(n);
}

void IndexedCopy::Encode(const float* v, uint8_t* out) const {
  std::vector<float> unit;
  if (metric == kernels::Metric::kCosine) {
    unit.assign(v, v + dim);
    kernels::Normalize(unit.data(), dim);
    v = unit.data();
  }
  switch (settings.options.element) {
    case ElementType::kF32: std::memcpy(out, v, size_t{dim} * sizeof(float)); break;
    case ElementType::kF16: kernels::EncodeF16(v, dim, reinterpret_cast<uint16_t*>(out)); break;
    case ElementType::kInt8:
      kernels::EncodeInt8(v, dim, settings.int8_scale, reinterpret_cast<int8_t*>(out));
      break;
    case ElementType::kBit: kernels::EncodeBits(v, dim, reinterpret_cast<uint64_t*>(out)); break;
  }
}

void IndexedCopy::Place(uint32_t slot, int64_t row, std::string id,
                        std::optional<std::string> meta, const uint8_t* code) {
  Grow(slot + 1);
  if (!live[slot]) ++live_count;
  live[slot] = 1;
  rows[slot] = row;
  ids[slot] = std::move(id);
  metadata[slot] = std::move(meta);
  if (code) std::memcpy(codes.data() + size_t{slot} * code_bytes, code, code_bytes);
}

void IndexedCopy::Clear(uint32_t slot) {
  if (slot >= slots() || !live[slot]) return;
  live[slot] = 0;
  --live_count;
  ids[slot].clear();
  ids[slot].shrink_to_fit();
  rows[slot] = 0;
  metadata[slot].reset();
  std::memset(codes.data() + size_t{slot} * code_bytes, 0, code_bytes);
}

kernels::PreparedPair IndexedCopy::Pair() const {
  return kernels::PreparePair(settings.options.element, metric, dim, settings.int8_scale);
}

void IndexedCopy::ContentsChanged() {
  content_key = NextIndexedContentKey();
  masks_.Clear();
}

MaskCache::Mask IndexedCopy::Mask(std::string_view text, const json::Filter& filter, ThreadPool* pool) const {
  return masks_.Get(text, [&] {
    return MaskCache::Build(slots(), pool,
                            [&](size_t s) { return live[s] && metadata[s] && filter.Matches(*metadata[s]); });
  });
}

std::shared_ptr<IndexedCopy> LoadIndexedCopy(sql::Db& db, int64_t cid, uint32_t dim,
                                             kernels::Metric metric, int64_t generation,
                                             const std::string& label) {
  std::vector<uint8_t> header;
  std::optional<IndexSettings> settings = ReadIndexSettings(db, cid, &header);
  if (!settings) Fail(EK_ERR_INTERNAL, label + " has no ek_index row");
  // Every slot below next_slot holds a row or is free: checked before sizing the copy
  // by next_slot, so a forged counter cannot make it allocate what no row needs.
  {
    sql::Stmt::Use rows(db.Prepare("SELECT count(*) FROM vectors WHERE collection_id = ?1"));
    rows.Bind(1, cid).Step();
    sql::Stmt::Use free(db.Prepare("SELECT count(*) FROM ek_free_slot WHERE key BETWEEN ?1 AND ?2"));
    free.Bind(1, FirstKey(cid)).Bind(2, LastKey(cid)).Step();
    if (rows.Int(0) + free.Int(0) != int64_t{settings->next_slot})
      Corrupt(db, label, "next_slot " + std::to_string(settings->next_slot) + " is not rows (" +
                             std::to_string(rows.Int(0)) + ") + free slots (" +
                             std::to_string(free.Int(0)) + ")");
  }
  auto c = std::make_shared<IndexedCopy>();
  c->cid = cid;
  c->generation = generation;
  c->dim = dim;
  c->metric = metric;
  c->settings = *settings;
  c->code_bytes = kernels::BytesPerVector(settings->options.element, dim);
  c->Grow(settings->next_slot);
  LoadRows(db, *c, label, false);
  if (settings->options.element != ElementType::kF32) LoadCodes(db, *c, label);
  if (c->Hnsw()) LoadGraph(db, *c, header, label);
  c->ContentsChanged();
  return c;
}

}  // namespace ek::store
