#include "store/indexed_writes.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "kernels/quantize.h"
#include "store/index_table.h"
#include "store/quote.h"
#include "store/vector_blob.h"

namespace ek::store {
namespace {

// Rows that calibrate an int8 scale: the first of a batch or of a build.
constexpr size_t kCalibrationRows = 4096;

// The int8 scale from `rows` (as stored: unit length for cosine).
float Calibrate(const IndexedCopy& c, const std::vector<const float*>& rows) {
  std::vector<float> sample;
  sample.reserve(rows.size() * c.dim);
  for (const float* v : rows) {
    const size_t at = sample.size();
    sample.insert(sample.end(), v, v + c.dim);
    if (c.metric == kernels::Metric::kCosine) kernels::Normalize(sample.data() + at, c.dim);
  }
  return kernels::CalibrateInt8Scale(sample.data(), sample.size());
}

// The node records and header the graph changed since the last call.
void WriteGraphChanges(sql::Db& db, IndexedCopy& c) {
  if (!c.graph) return;
  const index::HnswDirty dirty = c.graph->TakeDirty();
  for (uint32_t slot : dirty.written) WriteNode(db, c.cid, slot, c.graph->EncodeNode(slot));
  for (uint32_t slot : dirty.removed) DeleteNode(db, c.cid, slot);
  if (dirty.header) WriteIndexHeader(db, c.cid, c.graph->EncodeHeader());
}

struct Existing {
  int64_t row = 0;
  uint32_t slot = 0;
  bool same_vector = false;
};

// The row holding `id`, if any, and whether its stored vector is `blob`.
std::optional<Existing> FindRow(sql::Db& db, const IndexedCopy& c, std::string_view id,
                                const std::string& blob) {
  sql::Stmt::Use q(db.Prepare(
      "SELECT row, slot, vector FROM vectors WHERE collection_id = ?1 AND id = ?2"));
  q.Bind(1, c.cid).Bind(2, id);
  if (!q.Step()) return std::nullopt;
  const int64_t slot = q.IsNull(1) ? -1 : q.Int(1);
  if (slot < 0 || size_t(slot) >= c.slots() || !c.live[size_t(slot)])
    Fail(EK_ERR_CORRUPT, "store '" + db.path() + "': row " + Quote(id) + " has no valid slot");
  return Existing{q.Int(0), uint32_t(slot), q.Blob(2) == blob};
}

}  // namespace

size_t UpsertIndexed(sql::Db& db, IndexedCopy& c, const std::vector<IndexedRow>& rows,
                     ThreadPool* pool) {
  const bool quantized = c.settings.options.element != ElementType::kF32;
  bool counters_changed = false;
  if (c.settings.options.element == ElementType::kInt8 && c.settings.int8_scale == 0) {
    std::vector<const float*> sample;
    for (size_t i = 0; i < rows.size() && i < kCalibrationRows; ++i) sample.push_back(rows[i].vector);
    c.settings.int8_scale = Calibrate(c, sample);
    counters_changed = true;
  }
  std::vector<size_t> fresh;      // batch rows with a new id
  std::vector<size_t> changed;    // batch rows replacing a stored vector
  std::vector<uint32_t> slot_of(rows.size());
  std::vector<int64_t> row_of(rows.size());  // vectors.row: the copy keeps it for the rescore
  std::string blob;
  for (size_t i = 0; i < rows.size(); ++i) {
    EncodeVector(rows[i].vector, c.dim, &blob);
    const std::optional<Existing> old = FindRow(db, c, rows[i].id, blob);
    if (!old) {
      fresh.push_back(i);
      continue;
    }
    slot_of[i] = old->slot;
    row_of[i] = old->row;
    sql::Stmt::Use q(db.Prepare(old->same_vector
                                    ? "UPDATE vectors SET metadata = ?2 WHERE row = ?1"
                                    : "UPDATE vectors SET metadata = ?2, vector = ?3 WHERE row = ?1"));
    q.Bind(1, old->row);
    if (rows[i].metadata) q.Bind(2, *rows[i].metadata);
    else q.BindNull(2);
    if (!old->same_vector) q.BindBlob(3, blob.data(), blob.size());
    q.Run();
    if (old->same_vector) {  // metadata only: the graph does not change
      c.metadata[old->slot] = rows[i].metadata ? std::optional<std::string>(*rows[i].metadata)
                                               : std::nullopt;
    } else {
      changed.push_back(i);
    }
  }
  if (!fresh.empty()) {
    const std::vector<uint32_t> slots = AllocateSlots(db, c.cid, c.settings, fresh.size());
    counters_changed = true;
    sql::Stmt& insert = db.Prepare(
        "INSERT INTO vectors (collection_id, id, vector, metadata, slot) VALUES (?1, ?2, ?3, ?4, ?5)");
    for (size_t j = 0; j < fresh.size(); ++j) {
      const IndexedRow& r = rows[fresh[j]];
      slot_of[fresh[j]] = slots[j];
      EncodeVector(r.vector, c.dim, &blob);
      sql::Stmt::Use q(insert);
      q.Bind(1, c.cid).Bind(2, r.id).BindBlob(3, blob.data(), blob.size());
      if (r.metadata) q.Bind(4, *r.metadata);
      else q.BindNull(4);
      q.Bind(5, int64_t{slots[j]}).Run();
      row_of[fresh[j]] = sqlite3_last_insert_rowid(db.handle());
    }
  }
  const kernels::PreparedPair pair = c.Pair();
  auto distance = [&](uint32_t a, uint32_t b) {
    return kernels::PairDistance(pair, c.Code(a), c.Code(b));
  };
  std::vector<uint32_t> moved;
  for (size_t i : changed) moved.push_back(slot_of[i]);
  std::sort(moved.begin(), moved.end());
  if (c.graph && !moved.empty()) {  // out of the graph while their codes are still the old ones
    std::vector<uint32_t> in_graph;
    for (uint32_t s : moved) if (c.graph->Contains(s)) in_graph.push_back(s);
    if (!in_graph.empty()) c.graph->Remove(in_graph, distance);
  }
  std::vector<uint32_t> to_link;
  std::vector<uint8_t> code(c.code_bytes);
  for (const std::vector<size_t>* group : {&changed, &fresh}) {
    for (size_t i : *group) {
      const IndexedRow& r = rows[i];
      c.Encode(r.vector, code.data());
      if (quantized) WriteCode(db, c.cid, slot_of[i], code);
      c.Place(slot_of[i], row_of[i], std::string(r.id),
              r.metadata ? std::optional<std::string>(*r.metadata) : std::nullopt, code.data());
      to_link.push_back(slot_of[i]);
    }
  }
  if (c.graph && !c.settings.building && !to_link.empty()) c.graph->Build(to_link, distance, pool);
  WriteGraphChanges(db, c);
  if (counters_changed) WriteIndexCounters(db, c.cid, c.settings);
  c.ContentsChanged();
  return changed.size();
}

size_t DeleteIndexed(sql::Db& db, IndexedCopy& c, const std::vector<std::string>& ids) {
  std::vector<uint32_t> gone;
  for (const std::string& id : ids) {
    int64_t row = 0, slot = -1;
    {
      sql::Stmt::Use q(db.Prepare("SELECT row, slot FROM vectors WHERE collection_id = ?1 AND id = ?2"));
      q.Bind(1, c.cid).Bind(2, id);
      if (!q.Step()) continue;
      row = q.Int(0);
      slot = q.IsNull(1) ? -1 : q.Int(1);
    }
    if (slot < 0 || size_t(slot) >= c.slots() || !c.live[size_t(slot)])
      Fail(EK_ERR_CORRUPT, "store '" + db.path() + "': row " + Quote(id) + " has no valid slot");
    sql::Stmt::Use(db.Prepare("DELETE FROM vectors WHERE row = ?1")).Bind(1, row).Run();
    if (c.settings.options.element != ElementType::kF32) DeleteCode(db, c.cid, uint32_t(slot));
    FreeSlot(db, c.cid, uint32_t(slot));
    gone.push_back(uint32_t(slot));
  }
  if (gone.empty()) return 0;
  std::sort(gone.begin(), gone.end());
  if (c.graph) {
    std::vector<uint32_t> in_graph;
    for (uint32_t s : gone) if (c.graph->Contains(s)) in_graph.push_back(s);
    const kernels::PreparedPair pair = c.Pair();
    auto distance = [&](uint32_t a, uint32_t b) {
      return kernels::PairDistance(pair, c.Code(a), c.Code(b));
    };
    if (!in_graph.empty()) c.graph->Remove(in_graph, distance);
  }
  for (uint32_t s : gone) c.Clear(s);
  WriteGraphChanges(db, c);
  c.ContentsChanged();
  return gone.size();
}

std::shared_ptr<IndexedCopy> BuildIndexed(sql::Db& db, int64_t cid, uint32_t dim,
                                          kernels::Metric metric, const IndexSettings& settings,
                                          const std::string& label, ThreadPool* pool,
                                          const std::function<int(uint64_t, uint64_t)>& progress) {
  // Dense slots in insertion order, in one statement.
  sql::Stmt::Use(db.Prepare(
                     "UPDATE vectors SET slot = n.s FROM (SELECT row, row_number() OVER (ORDER BY "
                     "row) - 1 AS s FROM vectors WHERE collection_id = ?1) AS n "
                     "WHERE vectors.row = n.row"))
      .Bind(1, cid)
      .Run();
  auto c = std::make_shared<IndexedCopy>();
  c->cid = cid;
  c->dim = dim;
  c->metric = metric;
  c->settings = settings;
  c->settings.building = false;
  c->settings.options.defer_build = false;
  c->code_bytes = kernels::BytesPerVector(settings.options.element, dim);
  {
    sql::Stmt::Use n(db.Prepare("SELECT count(*) FROM vectors WHERE collection_id = ?1"));
    n.Bind(1, cid).Step();
    c->settings.next_slot = static_cast<uint32_t>(n.Int(0));
  }
  c->settings.int8_scale = 0;
  if (settings.options.element == ElementType::kInt8) {
    std::vector<std::vector<float>> rows;
    sql::Stmt::Use q(db.Prepare(
        "SELECT vector FROM vectors WHERE collection_id = ?1 ORDER BY row LIMIT ?2"));
    q.Bind(1, cid).Bind(2, int64_t{kCalibrationRows});
    while (q.Step()) {
      rows.emplace_back(dim);
      DecodeVector(q.Blob(0).substr(0, size_t{dim} * sizeof(float)), rows.back().data());
    }
    std::vector<const float*> sample;
    for (const auto& r : rows) sample.push_back(r.data());
    c->settings.int8_scale = sample.empty() ? 0.0f : Calibrate(*c, sample);
  }
  c->Grow(c->settings.next_slot);
  LoadRows(db, *c, label, /*encode=*/true);
  if (settings.options.element != ElementType::kF32) {
    for (uint32_t s = 0; s < c->slots(); ++s) WriteCode(db, cid, s, {c->Code(s), c->code_bytes});
  }
  if (c->Hnsw()) c->graph.emplace(GraphParams(c->settings));
  if (c->Hnsw() && c->slots() > 0) {
    std::vector<uint32_t> all(c->slots());
    for (uint32_t s = 0; s < all.size(); ++s) all[s] = s;
    const kernels::PreparedPair pair = c->Pair();
    auto distance = [&](uint32_t a, uint32_t b) {
      return kernels::PairDistance(pair, c->Code(a), c->Code(b));
    };
    auto report = [&](size_t done, size_t total) { return progress ? progress(done, total) : 0; };
    const size_t built = c->graph->Build(all, distance, pool, report);
    if (built < all.size())
      Fail(EK_ERR_CANCELLED, "index build of " + label + " cancelled after " +
                                 std::to_string(built) + " of " + std::to_string(all.size()) +
                                 " rows; the collection keeps its previous index");
  }
  WriteIndexSettings(db, cid, c->settings,
                     c->graph ? c->graph->EncodeHeader() : std::vector<uint8_t>{});
  WriteGraphChanges(db, *c);
  c->ContentsChanged();
  return c;
}

}  // namespace ek::store
