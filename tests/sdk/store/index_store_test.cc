// Collections with an index (issue 19): HNSW graphs and quantized codes kept in the
// store's tables, changed in the transaction of the rows they index, loaded on reopen.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "store/indexed_search.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "../error_of.h"
#include "test_util.h"

namespace ek::store {
namespace {

using ek::test::TempDir;

void CpuScan(const kernels::ScanRequest& request, uint64_t, ThreadPool* pool, uint32_t* rows,
             float* scores, size_t* counts) {
  kernels::ScanTopK(request, pool, rows, scores, counts);
}

std::unique_ptr<Store> Open(const std::string& path, ThreadPool* pool = nullptr) {
  return Store::Open(path, OpenOptions{}, pool, &CpuScan);
}

// Clustered vectors (a few Gaussian blobs): graphs and quantization behave as on real
// embeddings, unlike uniform noise.
std::vector<float> Clustered(size_t n, size_t dim, uint32_t seed, float spread = 0.5f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> centres(16 * dim);
  for (float& c : centres) c = normal(rng);
  std::vector<float> out(n * dim);
  for (size_t i = 0; i < n; ++i) {
    const float* c = centres.data() + (rng() % 16) * dim;
    for (size_t d = 0; d < dim; ++d) out[i * dim + d] = c[d] + spread * normal(rng);
  }
  return out;
}

void Put(Store& s, const std::string& name, const std::vector<float>& v, size_t dim,
         size_t first_id = 0, bool with_group = false) {
  const size_t n = v.size() / dim;
  std::vector<std::string> ids(n), meta(n);
  std::vector<const char*> id_ptrs(n), meta_ptrs(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = "r" + std::to_string(first_id + i);
    meta[i] = "{\"g\":" + std::to_string((first_id + i) % 100) + "}";
    id_ptrs[i] = ids[i].c_str();
    meta_ptrs[i] = meta[i].c_str();
  }
  UpsertBatch b;
  b.count = n;
  b.ids = id_ptrs.data();
  b.vectors = v.data();
  b.dim = dim;
  b.metadata = with_group ? meta_ptrs.data() : nullptr;
  s.Upsert(name, b);
}

std::vector<std::vector<std::string>> Ids(const std::vector<std::vector<Hit>>& hits) {
  std::vector<std::vector<std::string>> out;
  for (const auto& q : hits) {
    out.emplace_back();
    for (const Hit& h : q) out.back().push_back(h.id);
  }
  return out;
}

double Recall(const std::vector<std::vector<Hit>>& got, const std::vector<std::vector<Hit>>& truth) {
  size_t found = 0, total = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    std::set<std::string> want;
    for (const Hit& h : truth[q]) want.insert(h.id);
    for (const Hit& h : got[q]) found += want.count(h.id);
    total += want.size();
  }
  return total ? double(found) / double(total) : 1.0;
}

IndexOptions Hnsw(ElementType element = ElementType::kF32) {
  IndexOptions o;
  o.kind = IndexKind::kHnsw;
  o.m = 12;
  o.ef_construction = 100;
  o.ef_search = 128;
  o.element = element;
  return o;
}

constexpr size_t kDim = 24;
constexpr size_t kRows = 5000;  // above the planner's kMinLiveForGraph: the graph answers

struct Fixture {
  TempDir dir;
  std::string path = dir.File("s.ekdb");
  std::vector<float> base = Clustered(kRows, kDim, 1);
  std::vector<float> queries = Clustered(20, kDim, 2);
  std::vector<std::vector<Hit>> Search(Store& s, size_t k, SearchOptions o = {},
                                       std::string_view filter = "") {
    return s.Search("c", queries.data(), 20, kDim, k, filter, false, o);
  }
};

SearchOptions Exact() {
  SearchOptions o;
  o.exact = true;
  return o;
}

TEST(IndexedStore, HnswAnswersWithHighRecallAndReopensToTheSameAnswers) {
  Fixture f;
  std::vector<std::vector<Hit>> before;
  {
    auto s = Open(f.path);
    const CollectionInfo info = s->CreateCollection("c", kDim, kernels::Metric::kCosine, Hnsw());
    EXPECT_EQ(info.index.kind, IndexKind::kHnsw);
    Put(*s, "c", f.base, kDim);
    before = f.Search(*s, 10);
    EXPECT_GE(Recall(before, f.Search(*s, 10, Exact())), 0.95);
    const auto listed = s->FindCollection("c");
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->index.m, 12u);
    EXPECT_GT(listed->bytes_per_vector, kDim * 4);
  }
  auto again = Open(f.path);
  const auto after = f.Search(*again, 10);
  EXPECT_EQ(Ids(after), Ids(before));  // the graph was loaded, not rebuilt differently
}

TEST(IndexedStore, ReplacedAndDeletedRowsKeepTheGraphEqualToItsTables) {
  Fixture f;
  auto s = Open(f.path);
  s->CreateCollection("c", kDim, kernels::Metric::kL2, Hnsw());
  Put(*s, "c", f.base, kDim);
  // Replace 200 rows with other vectors, delete 300 others.
  std::vector<float> moved(f.base.begin() + 1000 * kDim, f.base.begin() + 1200 * kDim);
  std::reverse(moved.begin(), moved.end());
  Put(*s, "c", moved, kDim, /*first_id=*/0);
  std::vector<std::string> gone;
  for (size_t i = 2000; i < 2300; ++i) gone.push_back("r" + std::to_string(i));
  EXPECT_EQ(s->Delete("c", gone), 300u);
  const auto live = f.Search(*s, 10);
  for (const auto& q : live)
    for (const Hit& h : q) EXPECT_EQ(std::find(gone.begin(), gone.end(), h.id), gone.end()) << h.id;
  EXPECT_GE(Recall(live, f.Search(*s, 10, Exact())), 0.9);
  s.reset();
  auto again = Open(f.path);  // loads graph and slots from the tables written above
  EXPECT_EQ(Ids(f.Search(*again, 10)), Ids(live));
  EXPECT_EQ(again->Count("c"), kRows - 300);
  // A freed slot is reused by the next insert.
  Put(*again, "c", std::vector<float>(f.base.begin(), f.base.begin() + kDim), kDim, 9999);
  EXPECT_EQ(again->Count("c"), kRows - 299);
}

TEST(IndexedStore, RollbackLeavesNoGraphChange) {
  Fixture f;
  auto s = Open(f.path);
  s->CreateCollection("c", kDim, kernels::Metric::kCosine, Hnsw());
  Put(*s, "c", f.base, kDim);
  const auto before = f.Search(*s, 10);
  s->Begin();
  Put(*s, "c", f.queries, kDim, 100000);  // the queries themselves: they would rank first
  EXPECT_EQ(f.Search(*s, 1)[0][0].id, "r100000");
  s->Rollback();
  EXPECT_EQ(Ids(f.Search(*s, 10)), Ids(before));
  EXPECT_EQ(s->Count("c"), kRows);
}

TEST(IndexedStore, QuantizedExactScansReachTheirRecall) {
  Fixture f;
  auto s = Open(f.path);
  struct Case {
    const char* name;
    ElementType element;
    uint32_t rescore;
    double min_recall;
  };
  // Sign bits rank well only with many dimensions whose signs vary between neighbours
  // (as in embeddings): their case has 256, with clusters wider than their spacing.
  constexpr size_t kWide = 256;
  const std::vector<float> wide = Clustered(2000, kWide, 3, 2.0f);
  const std::vector<float> wide_queries = Clustered(20, kWide, 4, 2.0f);
  for (const Case c : {Case{"f16", ElementType::kF16, 1, 0.99}, Case{"int8", ElementType::kInt8, 4, 0.99},
                       Case{"bit", ElementType::kBit, 40, 0.9}}) {
    IndexOptions o;
    o.element = c.element;
    o.rescore = c.rescore;
    const bool is_bit = c.element == ElementType::kBit;
    const size_t dim = is_bit ? kWide : kDim;
    const float* queries = is_bit ? wide_queries.data() : f.queries.data();
    s->CreateCollection(c.name, dim, kernels::Metric::kCosine, o);
    Put(*s, c.name, is_bit ? wide : f.base, dim);
    const auto got = s->Search(c.name, queries, 20, dim, 10, "", false, {});
    const auto truth = s->Search(c.name, queries, 20, dim, 10, "", false, Exact());
    EXPECT_GE(Recall(got, truth), c.min_recall) << c.name;
    if (c.rescore > 1) {  // re-ranked with the originals: exact scores
      for (size_t q = 0; q < got.size(); ++q) {
        for (const Hit& h : got[q]) {
          for (const Hit& t : truth[q]) {
            if (t.id == h.id) {
              EXPECT_NEAR(h.score, t.score, 1e-5) << c.name;
            }
          }
        }
      }
    }
  }
}

TEST(IndexedStore, FilteredSearchNeverReturnsFewerHitsThanExist) {
  Fixture f;
  auto s = Open(f.path);
  s->CreateCollection("c", kDim, kernels::Metric::kCosine, Hnsw());
  Put(*s, "c", f.base, kDim, 0, /*with_group=*/true);
  // Half the rows: the graph with the filter; 1% of them: the masked scan.
  const auto wide = f.Search(*s, 10, {}, R"({"g": {"$lt": 50}})");
  const auto wide_truth = f.Search(*s, 10, Exact(), R"({"g": {"$lt": 50}})");
  EXPECT_GE(Recall(wide, wide_truth), 0.9);
  for (const auto& q : wide) EXPECT_EQ(q.size(), 10u);
  const auto narrow = f.Search(*s, 10, {}, R"({"g": 7})");
  for (const auto& q : narrow) EXPECT_EQ(q.size(), 10u);  // 50 rows have g = 7
  EXPECT_EQ(Ids(narrow), Ids(f.Search(*s, 10, Exact(), R"({"g": 7})")));
}

TEST(IndexedStore, BuildIndexConvertsACollectionAndACancelKeepsTheOldOne) {
  Fixture f;
  ThreadPool pool(2);
  auto s = Open(f.path, &pool);
  s->CreateCollection("c", kDim, kernels::Metric::kCosine);
  Put(*s, "c", f.base, kDim);
  const auto exact = f.Search(*s, 10);
  IndexOptions o = Hnsw(ElementType::kInt8);
  o.rescore = 4;
  ErrorOf([&] { s->BuildIndex("c", &o, [](uint64_t, uint64_t) { return 1; }); },
          EK_ERR_CANCELLED);
  EXPECT_EQ(s->FindCollection("c")->index.kind, IndexKind::kExact);
  EXPECT_EQ(Ids(f.Search(*s, 10)), Ids(exact));
  uint64_t last_done = 0, last_total = 0;
  s->BuildIndex("c", &o, [&](uint64_t done, uint64_t total) {
    last_done = done;
    last_total = total;
    return 0;
  });
  EXPECT_EQ(last_done, kRows);
  EXPECT_EQ(last_total, kRows);
  const auto info = s->FindCollection("c");
  EXPECT_EQ(info->index.kind, IndexKind::kHnsw);
  EXPECT_EQ(info->index.element, ElementType::kInt8);
  EXPECT_GE(Recall(f.Search(*s, 10), exact), 0.9);
  // Back to exact f32: the plain scan again, identical to before.
  IndexOptions plain;
  s->BuildIndex("c", &plain, nullptr);
  EXPECT_EQ(Ids(f.Search(*s, 10)), Ids(exact));
}

TEST(IndexedStore, DeferredBuildScansExactlyUntilBuilt) {
  Fixture f;
  auto s = Open(f.path);
  IndexOptions o = Hnsw();
  o.defer_build = true;
  s->CreateCollection("c", kDim, kernels::Metric::kCosine, o);
  Put(*s, "c", f.base, kDim);
  EXPECT_TRUE(s->FindCollection("c")->building);
  EXPECT_EQ(Ids(f.Search(*s, 10)), Ids(f.Search(*s, 10, Exact())));
  s->BuildIndex("c", nullptr, nullptr);
  EXPECT_FALSE(s->FindCollection("c")->building);
  EXPECT_GE(Recall(f.Search(*s, 10), f.Search(*s, 10, Exact())), 0.95);
}

TEST(IndexedStore, CreateRefusesOtherOptionsAndBadOnes) {
  Fixture f;
  auto s = Open(f.path);
  s->CreateCollection("c", kDim, kernels::Metric::kCosine, Hnsw());
  s->CreateCollection("c", kDim, kernels::Metric::kCosine, Hnsw());  // same: opened
  IndexOptions other = Hnsw();
  other.m = 20;
  EXPECT_CONTAINS(ErrorOf([&] { s->CreateCollection("c", kDim, kernels::Metric::kCosine, other); },
                          EK_ERR_ALREADY_EXISTS),
                  "m 12 vs 20");
  IndexOptions bad = Hnsw();
  bad.m = 1;
  EXPECT_CONTAINS(ErrorOf([&] { s->CreateCollection("d", kDim, kernels::Metric::kCosine, bad); },
                          EK_ERR_INVALID_ARGUMENT),
                  "m is 1");
  s->Begin();
  EXPECT_CONTAINS(ErrorOf([&] { s->BuildIndex("c", nullptr, nullptr); }, EK_ERR_INVALID_ARGUMENT),
                  "transaction");
  s->Rollback();
}

TEST(IndexedStore, CompactGivesUpFreedSlotsAndKeepsAnswers) {
  Fixture f;
  auto s = Open(f.path);
  s->CreateCollection("c", kDim, kernels::Metric::kCosine, Hnsw(ElementType::kF16));
  Put(*s, "c", f.base, kDim);
  std::vector<std::string> gone;
  for (size_t i = 0; i < kRows; i += 2) gone.push_back("r" + std::to_string(i));
  s->Delete("c", gone);
  const auto truth = f.Search(*s, 10, Exact());
  s->CompactIndex("c", nullptr);
  EXPECT_EQ(s->Count("c"), kRows / 2);
  EXPECT_GE(Recall(f.Search(*s, 10), truth), 0.9);
}

// The rescore reads originals by the row each candidate was picked from, and falls back
// to its id where that row was deleted or now holds another id (a write between the
// pick and the read): the answer must be the by-id answer in every case.
TEST(IndexedStore, RescoreReadsByRowAndFallsBackToTheIdWhereTheRowChanged) {
  TempDir dir;
  const std::string path = dir.File("s.ekdb");
  constexpr size_t kN = 150, kD = 4;  // 150 rows: three reads of up to 64 rows
  const std::vector<float> v = Clustered(kN, kD, 5);  // no ties: one order for every path
  auto s = Open(path);
  s->CreateCollection("c", kD, kernels::Metric::kL2);
  Put(*s, "c", v, kD);
  s->Delete("c", {"r5"});
  sql::Db db(path, SQLITE_OPEN_READWRITE, 1000);
  int64_t cid = 0;
  {
    sql::Stmt::Use q(db.Prepare("SELECT id FROM collections WHERE name = 'c'"));
    ASSERT_TRUE(q.Step());
    cid = q.Int(0);
  }
  auto row_of = [&](const std::string& id) {
    sql::Stmt::Use q(db.Prepare("SELECT row FROM vectors WHERE id = ?1"));
    q.Bind(1, id);
    return q.Step() ? q.Int(0) : int64_t{0};
  };
  const int64_t row_of_r4 = row_of("r4");
  // Two queries; each candidate list holds every row but r5 (deleted, still listed with
  // the row it had) plus, in query 1, r7 listed with r8's row (its row "reused").
  const std::vector<float> queries = {1, 2, 3, 4, 9, 1, 0, 5};
  CandidateLists by_row, by_id;
  by_row.resize(2);
  by_row.rows.resize(2);
  for (size_t q = 0; q < 2; ++q) {
    for (size_t i = 0; i < kN; ++i) {
      const std::string id = "r" + std::to_string(i);
      Hit h;
      h.id = id;
      by_row[q].push_back(h);
      const int64_t row = i == 5 ? row_of_r4 + 1 : q == 1 && i == 7 ? row_of("r8") : row_of(id);
      by_row.rows[q].push_back(row);
    }
  }
  by_id.assign(by_row.begin(), by_row.end());  // no rows: every original read by id
  {
    sql::Txn txn(db, sql::Txn::kRead);
    // k = every row: each candidate's score is compared, not only the top ones.
    RescoreWithOriginals(db, cid, kD, kernels::Metric::kL2, queries.data(), kN, &by_row);
    RescoreWithOriginals(db, cid, kD, kernels::Metric::kL2, queries.data(), kN, &by_id);
    txn.Commit();
  }
  const auto exact = s->Search("c", queries.data(), 2, kD, kN, "", false, {});
  ASSERT_EQ(Ids(by_row), Ids(exact));
  ASSERT_EQ(Ids(by_id), Ids(exact));
  for (size_t q = 0; q < 2; ++q) {
    ASSERT_EQ(by_row[q].size(), kN - 1);  // r5 dropped
    for (size_t j = 0; j < kN - 1; ++j) {
      EXPECT_EQ(by_row[q][j].score, by_id[q][j].score);
      EXPECT_NEAR(by_row[q][j].score, exact[q][j].score, 1e-4);
    }
  }
}

}  // namespace
}  // namespace ek::store
