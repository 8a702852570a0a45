#include "store/indexed_search.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/prepared_distance.h"
#include "kernels/quantized_distance.h"
#include "store/planner.h"
#include "store/vector_blob.h"

namespace ek::store {
namespace {

using kernels::Metric;

constexpr size_t kOriginalsBlockRows = 4096;

bool Better(Metric metric, float a, float b) { return metric == Metric::kL2 ? a < b : a > b; }

// The metric value (ScanTopK's score) of a "smaller is closer" graph distance.
float ScoreOfDistance(Metric metric, float d) {
  switch (metric) {
    case Metric::kCosine: return 1.0f - d;
    case Metric::kDot: return -d;
    case Metric::kL2: return d;
  }
  return d;
}

// Keeps the best `k` of `hits` in order, ties by their current order.
void KeepBest(Metric metric, size_t k, std::vector<Hit>* hits) {
  std::stable_sort(hits->begin(), hits->end(),
                   [&](const Hit& a, const Hit& b) { return Better(metric, a.score, b.score); });
  if (hits->size() > k) hits->resize(k);
}

// Appends slot's hit (and its vectors.row, for the rescore) to query i's candidates.
void AddHit(const IndexedCopy& c, uint32_t slot, float score, bool include_metadata, size_t i,
            CandidateLists* out) {
  Hit h;
  h.id = c.ids[slot];
  h.score = score;
  if (include_metadata) h.metadata = c.metadata[slot];
  (*out)[i].push_back(std::move(h));
  out->rows[i].push_back(c.rows[slot]);
}

// Exact top-k over the codes (f32 through the backend's scan, quantized through the
// quantized kernels), rows limited by `allowed`.
CandidateLists ScanCodes(const IndexedCopy& c, const IndexedQuery& q, const uint8_t* allowed,
                         size_t k_fetch, kernels::ScanFn scan,
                         kernels::QuantizedScanFn quantized_scan, ThreadPool* pool) {
  std::vector<uint32_t> rows(q.n_queries * k_fetch);
  std::vector<float> scores(q.n_queries * k_fetch);
  std::vector<size_t> counts(q.n_queries);
  if (c.settings.options.element == ElementType::kF32) {
    kernels::ScanRequest r;
    r.queries = q.queries;
    r.n_queries = q.n_queries;
    r.base = reinterpret_cast<const float*>(c.codes.data());
    r.rows = c.slots();
    r.dim = c.dim;
    r.metric = c.metric;
    r.row_allowed = allowed;
    r.k = k_fetch;
    scan(r, c.content_key, pool, rows.data(), scores.data(), counts.data());
  } else {
    kernels::QuantizedScanRequest r;
    r.type = c.settings.options.element;
    r.queries = q.queries;
    r.n_queries = q.n_queries;
    r.base = c.codes.data();
    r.rows = c.slots();
    r.dim = c.dim;
    r.metric = c.metric;
    r.int8_scale = c.settings.int8_scale;
    r.row_allowed = allowed;
    r.k = k_fetch;
    if (quantized_scan) quantized_scan(r, c.content_key, pool, rows.data(), scores.data(), counts.data());
    else kernels::QuantizedScanTopK(r, pool, rows.data(), scores.data(), counts.data());
  }
  CandidateLists out;
  out.resize(q.n_queries);
  out.rows.resize(q.n_queries);
  for (size_t i = 0; i < q.n_queries; ++i) {
    for (size_t j = 0; j < std::min(counts[i], k_fetch); ++j)
      AddHit(c, rows[i * k_fetch + j], scores[i * k_fetch + j], q.include_metadata, i, &out);
  }
  return out;
}

}  // namespace

IndexedAnswer SearchIndexedCopy(const IndexedCopy& c, const IndexedQuery& q, kernels::ScanFn scan,
                                kernels::QuantizedScanFn quantized_scan, ThreadPool* pool) {
  IndexedAnswer answer;
  answer.hits.resize(q.n_queries);
  answer.hits.rows.resize(q.n_queries);
  MaskCache::Mask mask;
  if (q.filter) mask = c.Mask(q.filter_text, *q.filter, pool);
  const uint8_t* allowed = mask ? mask->allowed.data() : c.live.data();
  const uint64_t n_allowed = mask ? mask->count : c.live_count;
  const size_t k = static_cast<size_t>(std::min<uint64_t>(q.k, n_allowed));
  if (k == 0 || q.n_queries == 0) return answer;

  const ElementType element = c.settings.options.element;
  PlanInput in;
  in.has_index_row = true;
  in.hnsw = c.Hnsw();
  in.building = !c.GraphReady();
  in.quantized = element != ElementType::kF32;
  in.live = c.live_count;
  in.k = k;
  in.ef = q.options.ef ? q.options.ef : c.settings.options.ef_search;
  in.exact = q.options.exact;
  in.rescore = q.options.rescore ? q.options.rescore : c.settings.options.rescore;
  if (element == ElementType::kBit) in.rescore = std::max<size_t>(in.rescore, 1);
  in.filtered = mask != nullptr;
  in.sample_size = static_cast<size_t>(c.live_count);
  in.sample_allowed = static_cast<size_t>(n_allowed);
  in.selectivity = c.live_count ? double(n_allowed) / double(c.live_count) : 0.0;
  const Plan plan = PlanSearch(in);
  // Bit codes only rank; their Hamming counts are never returned as scores.
  answer.rescore = in.quantized && (in.rescore > 1 || element == ElementType::kBit);
  answer.k = k;
  const size_t k_fetch = std::min<size_t>(answer.rescore ? plan.k_fetch : k, n_allowed);

  if (plan.kind == PlanKind::kExactF32 || plan.kind == PlanKind::kExactQuantized) {
    answer.hits = ScanCodes(c, q, allowed, k_fetch, scan, quantized_scan, pool);
    return answer;
  }
  ParallelFor(pool, q.n_queries, 1, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const kernels::PreparedQuery prepared = kernels::PrepareQuery(
          element, c.metric, q.queries + i * c.dim, c.dim, c.settings.int8_scale);
      auto distance = [&](uint32_t slot) { return kernels::PreparedDistance(prepared, c.Code(slot)); };
      std::vector<index::Neighbor> found;
      if (mask) {
        auto is_allowed = [&](uint32_t slot) { return mask->allowed[slot] != 0; };
        found = c.graph->Search(distance, k_fetch, std::max(plan.ef_eff, k_fetch), is_allowed);
      } else {
        found = c.graph->Search(distance, k_fetch, std::max(plan.ef_eff, k_fetch));
      }
      for (const index::Neighbor& n : found)
        AddHit(c, n.slot, ScoreOfDistance(c.metric, n.distance), q.include_metadata, i,
               &answer.hits);
    }
  });
  // The guarantee: never fewer hits than exist. A graph that could not reach k_fetch
  // allowed rows (a filter that cut it apart) is answered by the exact scan instead.
  std::vector<size_t> short_queries;
  for (size_t i = 0; i < q.n_queries; ++i)
    if (answer.hits[i].size() < k_fetch) short_queries.push_back(i);
  for (size_t i : short_queries) {
    IndexedQuery one = q;
    one.queries = q.queries + i * c.dim;
    one.n_queries = 1;
    CandidateLists scanned = ScanCodes(c, one, allowed, k_fetch, scan, quantized_scan, pool);
    answer.hits[i] = std::move(scanned[0]);
    answer.hits.rows[i] = std::move(scanned.rows[0]);
  }
  return answer;
}

namespace {

// Distinct rows bound per read of the originals: one statement per 64 rows instead of
// one per candidate (unused binds stay NULL, which no row matches).
constexpr int kRowsPerRead = 64;

const char* ReadByRowsSql() {
  static const std::string sql = [] {
    std::string text = "SELECT row, collection_id, id, vector FROM vectors WHERE row IN (";
    for (int i = 1; i <= kRowsPerRead; ++i) text += (i > 1 ? ", ?" : "?") + std::to_string(i);
    return text + ")";
  }();
  return sql.c_str();
}

// Candidate `rank` of query `query`, and the row it was picked from.
struct Pick {
  int64_t row;
  uint32_t query;
  uint32_t rank;
};

// The exact metric of the queries against one original at a time: queries normalised
// once (cosine), the original decoded into one reused buffer.
class ExactScorer {
 public:
  ExactScorer(Metric metric, uint32_t dim, const float* queries, size_t n)
      : metric_(metric), dim_(dim), queries_(queries, queries + n * dim), original_(dim) {
    if (metric == Metric::kCosine)
      for (size_t i = 0; i < n; ++i) kernels::Normalize(queries_.data() + i * dim, dim);
  }
  // false for a blob that is not dim floats (its candidates are dropped).
  bool Load(std::string_view blob) {
    if (blob.size() != size_t{dim_} * sizeof(float)) return false;
    DecodeVector(blob, original_.data());
    if (metric_ == Metric::kCosine) kernels::Normalize(original_.data(), dim_);
    return true;
  }
  float Score(size_t query) const {
    const float* q = queries_.data() + query * dim_;
    return metric_ == Metric::kL2 ? kernels::L2Sq(q, original_.data(), dim_)
                                  : kernels::Dot(q, original_.data(), dim_);
  }

 private:
  Metric metric_;
  uint32_t dim_;
  std::vector<float> queries_;
  std::vector<float> original_;
};

// Scores the picks (sorted by row) whose row still holds their candidate; marks them in
// `scored`. Each distinct row is read once, kRowsPerRead rows per statement.
void ScoreByRow(sql::Db& db, int64_t cid, const std::vector<Pick>& picks, ExactScorer& scorer,
                CandidateLists& lists, std::vector<std::vector<uint8_t>>& scored) {
  sql::Stmt& read = db.Prepare(ReadByRowsSql());
  size_t first = 0;  // picks [first, picks.size()) are not bound yet
  while (first < picks.size()) {
    sql::Stmt::Use q(read);
    int bound = 0;
    size_t end = first;
    for (; end < picks.size(); ++end) {
      if (end > first && picks[end].row == picks[end - 1].row) continue;
      if (bound == kRowsPerRead) break;
      q.Bind(++bound, picks[end].row);
    }
    const auto batch_begin = picks.begin() + std::ptrdiff_t(first);
    const auto batch_end = picks.begin() + std::ptrdiff_t(end);
    while (q.Step()) {
      const auto [from, to] = std::equal_range(
          batch_begin, batch_end, Pick{q.Int(0), 0, 0},
          [](const Pick& a, const Pick& b) { return a.row < b.row; });
      if (q.Int(1) != cid || !scorer.Load(q.Blob(3))) continue;
      const std::string_view id = q.Text(2);
      for (auto p = from; p != to; ++p) {
        Hit& hit = lists[p->query][p->rank];
        if (hit.id != id) continue;  // the row now holds another id: read by id below
        hit.score = scorer.Score(p->query);
        scored[p->query][p->rank] = 1;
      }
    }
    first = end;
  }
}

// The candidates ScoreByRow left: their row was deleted or reused since they were
// picked, so the id (if it still exists) is read through the (collection_id, id) index.
void ScoreLeftByID(sql::Db& db, int64_t cid, ExactScorer& scorer, CandidateLists& lists,
                   std::vector<std::vector<uint8_t>>& scored) {
  sql::Stmt& get = db.Prepare("SELECT vector FROM vectors WHERE collection_id = ?1 AND id = ?2");
  for (size_t i = 0; i < lists.size(); ++i) {
    for (size_t j = 0; j < lists[i].size(); ++j) {
      if (scored[i][j]) continue;
      sql::Stmt::Use q(get);
      q.Bind(1, cid).Bind(2, lists[i][j].id);
      if (!q.Step() || !scorer.Load(q.Blob(0))) continue;  // deleted since it was picked
      lists[i][j].score = scorer.Score(i);
      scored[i][j] = 1;
    }
  }
}

}  // namespace

void RescoreWithOriginals(sql::Db& db, int64_t cid, uint32_t dim, Metric metric,
                          const float* queries, size_t k, CandidateLists* hits) {
  CandidateLists& lists = *hits;
  ExactScorer scorer(metric, dim, queries, lists.size());
  std::vector<std::vector<uint8_t>> scored(lists.size());
  std::vector<Pick> picks;
  for (size_t i = 0; i < lists.size(); ++i) {
    scored[i].assign(lists[i].size(), 0);
    if (i >= lists.rows.size()) continue;  // no rows known: by id
    for (size_t j = 0; j < lists[i].size() && j < lists.rows[i].size(); ++j)
      picks.push_back(Pick{lists.rows[i][j], uint32_t(i), uint32_t(j)});
  }
  // Row order is the table's b-tree order: neighbouring reads share pages.
  std::sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) {
    return std::tie(a.row, a.query, a.rank) < std::tie(b.row, b.query, b.rank);
  });
  ScoreByRow(db, cid, picks, scorer, lists, scored);
  ScoreLeftByID(db, cid, scorer, lists, scored);
  for (size_t i = 0; i < lists.size(); ++i) {
    std::vector<Hit>& list = lists[i];
    size_t kept = 0;  // the scored candidates, in their order (KeepBest's ties)
    for (size_t j = 0; j < list.size(); ++j) {
      if (!scored[i][j]) continue;
      if (kept != j) list[kept] = std::move(list[j]);
      ++kept;
    }
    list.resize(kept);
    KeepBest(metric, k, &list);
  }
}

std::vector<std::vector<Hit>> ExactScanOfOriginals(sql::Db& db, int64_t cid, uint32_t dim,
                                                   Metric metric, const IndexedQuery& q,
                                                   ThreadPool* pool) {
  std::vector<std::vector<Hit>> best(q.n_queries);
  std::vector<float> block;
  std::vector<std::string> ids;
  std::vector<std::optional<std::string>> metas;
  std::vector<uint8_t> allowed;
  auto flush = [&] {
    const size_t rows = ids.size();
    const size_t k = std::min(q.k, rows);
    if (k == 0) return;
    std::vector<uint32_t> hit_rows(q.n_queries * k);
    std::vector<float> scores(q.n_queries * k);
    std::vector<size_t> counts(q.n_queries);
    kernels::ScanRequest r;
    r.queries = q.queries;
    r.n_queries = q.n_queries;
    r.base = block.data();
    r.rows = rows;
    r.dim = dim;
    r.metric = metric;
    r.row_allowed = q.filter ? allowed.data() : nullptr;
    r.k = k;
    kernels::ScanTopK(r, pool, hit_rows.data(), scores.data(), counts.data());
    for (size_t i = 0; i < q.n_queries; ++i) {
      for (size_t j = 0; j < std::min(counts[i], k); ++j) {
        const uint32_t row = hit_rows[i * k + j];
        Hit h;
        h.id = ids[row];
        h.score = scores[i * k + j];
        if (q.include_metadata) h.metadata = metas[row];
        best[i].push_back(std::move(h));
      }
      KeepBest(metric, q.k, &best[i]);
    }
    block.clear();
    ids.clear();
    metas.clear();
    allowed.clear();
  };
  sql::Stmt::Use s(db.Prepare(
      "SELECT id, vector, metadata FROM vectors WHERE collection_id = ?1 ORDER BY row"));
  s.Bind(1, cid);
  while (s.Step()) {
    const std::string_view blob = s.Blob(1);
    if (blob.size() != size_t{dim} * sizeof(float))
      Fail(EK_ERR_CORRUPT, "store '" + db.path() + "': a vector of " + std::to_string(blob.size()) +
                               " bytes in a collection of dim " + std::to_string(dim));
    const size_t at = block.size();
    block.resize(at + dim);
    DecodeVector(blob, block.data() + at);
    if (metric == Metric::kCosine) kernels::Normalize(block.data() + at, dim);
    ids.emplace_back(s.Text(0));
    std::optional<std::string> meta;
    if (!s.IsNull(2)) meta.emplace(s.Text(2));
    if (q.filter) allowed.push_back(meta && q.filter->Matches(*meta) ? 1 : 0);
    metas.push_back(std::move(meta));
    if (ids.size() == kOriginalsBlockRows) flush();
  }
  flush();
  return best;
}

}  // namespace ek::store
