#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "json/filter.h"
#include "json/json.h"
#include "../error_of.h"
#include "test_util.h"

namespace ek::store {
namespace {

namespace fs = std::filesystem;

// ---- Helpers -------------------------------------------------------------------------------

using ek::test::TempDir;

// The search the cpu backend gives the store (core/backend.cc).
void CpuScan(const kernels::ScanRequest& request, uint64_t /*content_key*/, ThreadPool* pool,
             uint32_t* out_rows, float* out_scores, size_t* out_counts) {
  kernels::ScanTopK(request, pool, out_rows, out_scores, out_counts);
}

std::unique_ptr<Store> OpenStore(const std::string& path, OpenOptions o = {},
                                 ThreadPool* pool = nullptr) {
  return Store::Open(path, o, pool, &CpuScan);
}

struct Rows {
  std::vector<std::string> ids;
  std::vector<float> vectors;
  std::vector<std::string> metadata;  // "" = none
  size_t dim = 0;

  void Add(std::string id, std::vector<float> v, std::string meta = "") {
    if (dim == 0) dim = v.size();
    ids.push_back(std::move(id));
    vectors.insert(vectors.end(), v.begin(), v.end());
    metadata.push_back(std::move(meta));
  }
  size_t size() const { return ids.size(); }
  const float* Row(size_t i) const { return vectors.data() + i * dim; }
};

// Keeps the pointer arrays alive for one Upsert call.
void Upsert(Store& s, std::string_view collection, const Rows& rows, size_t dim = 0) {
  std::vector<const char*> ids, meta;
  bool any_meta = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    ids.push_back(rows.ids[i].c_str());
    meta.push_back(rows.metadata[i].empty() ? nullptr : rows.metadata[i].c_str());
    any_meta |= !rows.metadata[i].empty();
  }
  UpsertBatch b;
  b.count = rows.size();
  b.ids = ids.data();
  b.vectors = rows.vectors.data();
  b.dim = dim ? dim : rows.dim;
  b.metadata = any_meta ? meta.data() : nullptr;
  s.Upsert(collection, b);
}

std::vector<float> RandomVector(std::mt19937& rng, size_t dim) {
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(dim);
  for (auto& x : v) x = d(rng);
  return v;
}

// Brute-force reference over `rows` (in insertion order), optional allow list.
struct RefHit {
  std::string id;
  double score;
};

std::vector<RefHit> BruteForce(const Rows& rows, Metric metric, const float* q, size_t k,
                               const std::vector<bool>* allowed = nullptr) {
  std::vector<std::pair<double, size_t>> scored;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (allowed && !(*allowed)[r]) continue;
    const float* x = rows.Row(r);
    double dot = 0, qq = 0, xx = 0, l2 = 0;
    for (size_t j = 0; j < rows.dim; ++j) {
      dot += double(q[j]) * x[j];
      qq += double(q[j]) * q[j];
      xx += double(x[j]) * x[j];
      l2 += (double(q[j]) - x[j]) * (double(q[j]) - x[j]);
    }
    double s = metric == Metric::kDot ? dot
               : metric == Metric::kL2 ? l2
                                       : (qq > 0 && xx > 0 ? dot / std::sqrt(qq * xx) : 0.0);
    scored.emplace_back(s, r);
  }
  std::stable_sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
    return metric == Metric::kL2 ? a.first < b.first : a.first > b.first;
  });
  std::vector<RefHit> out;
  for (size_t i = 0; i < scored.size() && i < k; ++i)
    out.push_back({rows.ids[scored[i].second], scored[i].first});
  return out;
}

void ExpectMatchesReference(const std::vector<Hit>& got, const std::vector<RefHit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i].score, want[i].score, 1e-4 * std::max(1.0, std::fabs(want[i].score)))
        << "rank " << i;
    // Random data has no near-ties, so the order must agree exactly.
    EXPECT_EQ(got[i].id, want[i].id) << "rank " << i;
  }
}

std::vector<std::string> IdsOf(const std::vector<Hit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(h.id);
  return out;
}

// ---- Round trips and search against a brute-force reference ---------------------------------

class MetricTest : public ::testing::TestWithParam<Metric> {};

TEST_P(MetricTest, RoundTripAndSearchMatchBruteForce) {
  const Metric metric = GetParam();
  const size_t dim = 24, n = 300;
  ThreadPool pool(2);
  auto s = OpenStore(":memory:", {}, &pool);
  CollectionInfo info = s->CreateCollection("docs", dim, metric);
  EXPECT_EQ(info.name, "docs");
  EXPECT_EQ(info.dim, dim);
  EXPECT_EQ(info.metric, metric);
  EXPECT_EQ(info.count, 0u);

  std::mt19937 rng(42 + static_cast<int>(metric));
  Rows rows;
  for (size_t i = 0; i < n; ++i)
    rows.Add("doc-" + std::to_string(i), RandomVector(rng, dim),
             i % 3 ? "{\"i\":" + std::to_string(i) + "}" : "");
  Upsert(*s, "docs", rows);
  EXPECT_EQ(s->Count("docs"), n);

  for (size_t i = 0; i < n; i += 37) {
    std::vector<float> v;
    std::optional<std::string> meta;
    ASSERT_TRUE(s->Get("docs", rows.ids[i], &v, &meta));
    ASSERT_EQ(v.size(), dim);
    EXPECT_EQ(0, std::memcmp(v.data(), rows.Row(i), dim * sizeof(float)));  // bit-exact
    if (rows.metadata[i].empty()) {
      EXPECT_FALSE(meta.has_value());
    } else {
      EXPECT_EQ(meta, rows.metadata[i]);
    }
  }
  EXPECT_FALSE(s->Get("docs", "nope", nullptr, nullptr));

  const size_t nq = 5, k = 7;
  std::vector<float> queries;
  for (size_t q = 0; q < nq; ++q) {
    auto v = RandomVector(rng, dim);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  auto results = s->Search("docs", queries.data(), nq, dim, k, "", false);
  ASSERT_EQ(results.size(), nq);
  for (size_t q = 0; q < nq; ++q) {
    SCOPED_TRACE("query " + std::to_string(q));
    ExpectMatchesReference(results[q], BruteForce(rows, metric, queries.data() + q * dim, k));
    for (const Hit& h : results[q]) EXPECT_FALSE(h.metadata.has_value());
  }

  // Searching for a stored vector finds it first (cosine/dot: own row scores highest
  // only for cosine and L2; check those).
  if (metric != Metric::kDot) {
    auto self = s->Search("docs", rows.Row(123), 1, dim, 1, "", true);
    ASSERT_EQ(self[0].size(), 1u);
    EXPECT_EQ(self[0][0].id, "doc-123");
    EXPECT_FALSE(self[0][0].metadata.has_value());  // row 123 has none (123 % 3 == 0)
    auto with_meta = s->Search("docs", rows.Row(124), 1, dim, 1, "", true);
    EXPECT_EQ(with_meta[0][0].id, "doc-124");
    EXPECT_EQ(with_meta[0][0].metadata, rows.metadata[124]);
  }
}

INSTANTIATE_TEST_SUITE_P(Store, MetricTest,
                         ::testing::Values(Metric::kCosine, Metric::kDot, Metric::kL2),
                         [](const auto& info) {
                           switch (info.param) {
                             case Metric::kCosine: return std::string("Cosine");
                             case Metric::kDot: return std::string("Dot");
                             default: return std::string("L2");
                           }
                         });

// Issue 17, item 2: [2e19, 0, 0, 0] (squared norm beyond float range) kept its length
// in the cosine copy and scored 2e19 against every query; [1e-25, 0, 0, 0] (squared
// norm below it) scored 0 against itself.
TEST(Store, CosineScoresStayWithinUnitRangeForExtremeMagnitudes) {
  auto s = OpenStore(":memory:");
  s->CreateCollection("c", 4, Metric::kCosine);
  Rows r;
  r.Add("one", {1, 0, 0, 0});
  r.Add("huge", {2e19f, 0, 0, 0});
  r.Add("tiny", {1e-25f, 0, 0, 0});
  r.Add("max", {3e38f, 3e38f, 0, 0});
  r.Add("y", {0, 1, 0, 0});
  r.Add("minus", {-1e-30f, 0, 0, 0});
  Upsert(*s, "c", r);
  const std::vector<std::vector<float>> queries = {
      {1, 0, 0, 0}, {2e19f, 0, 0, 0}, {1e-25f, 0, 0, 0}, {3e38f, 0, 0, 0}, {1e-45f, 0, 0, 0}};
  for (const auto& q : queries) {
    SCOPED_TRACE("query x = " + std::to_string(q[0]));
    const auto hits = s->Search("c", q.data(), 1, 4, 10, "", false)[0];
    ASSERT_EQ(hits.size(), 6u);
    for (const Hit& h : hits) EXPECT_TRUE(h.score >= -1.0f && h.score <= 1.0f) << h.id << " " << h.score;
    EXPECT_EQ(IdsOf(hits), (std::vector<std::string>{"one", "huge", "tiny", "max", "y", "minus"}));
    for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(hits[i].score, 1.0f, 1e-6);
    EXPECT_NEAR(hits[3].score, std::sqrt(0.5f), 1e-6);
    EXPECT_NEAR(hits[5].score, -1.0f, 1e-6);
  }
  // The file keeps the vectors as given.
  std::vector<float> v;
  ASSERT_TRUE(s->Get("c", "huge", &v, nullptr));
  EXPECT_EQ(v, (std::vector<float>{2e19f, 0, 0, 0}));
  // An all-zero row stays as it was: it scores 0 against everything.
  Rows zero;
  zero.Add("zero", {0, 0, 0, 0});
  Upsert(*s, "c", zero);
  const float q[4] = {0, 1, 0, 0};
  const auto with_zero = s->Search("c", q, 1, 4, 10, "", false);
  ASSERT_EQ(with_zero[0].size(), 7u);
  for (const Hit& h : with_zero[0]) {
    if (h.id == "zero") {
      EXPECT_EQ(h.score, 0.0f);
    }
  }
}

TEST(Store, CollectionsAreListedFoundAndDropped) {
  auto s = OpenStore(":memory:");
  s->CreateCollection("b", 3, Metric::kL2);
  s->CreateCollection("a", 2, Metric::kDot);
  // Idempotent for the same shape.
  EXPECT_EQ(s->CreateCollection("a", 2, Metric::kDot).dim, 2u);
  std::string msg = ErrorOf([&] { s->CreateCollection("a", 3, Metric::kDot); }, EK_ERR_ALREADY_EXISTS);
  EXPECT_CONTAINS(msg, "'a' exists with dim 2 and metric dot");
  msg = ErrorOf([&] { s->CreateCollection("a", 2, Metric::kCosine); }, EK_ERR_ALREADY_EXISTS);
  EXPECT_CONTAINS(msg, "asked for dim 2 and metric cosine");

  Rows r;
  r.Add("x", {1, 2});
  Upsert(*s, "a", r);
  auto list = s->ListCollections();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "a");
  EXPECT_EQ(list[0].count, 1u);
  EXPECT_EQ(list[1].name, "b");
  EXPECT_EQ(list[1].metric, Metric::kL2);
  auto found = s->FindCollection("a");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->count, 1u);
  EXPECT_FALSE(s->FindCollection("zzz"));

  s->DropCollection("a");
  EXPECT_FALSE(s->FindCollection("a"));
  msg = ErrorOf([&] { s->Count("a"); }, EK_ERR_NOT_FOUND);
  EXPECT_CONTAINS(msg, "no collection named 'a'");
  ErrorOf([&] { s->DropCollection("a"); }, EK_ERR_NOT_FOUND);
  // Re-created empty with another shape.
  s->CreateCollection("a", 5, Metric::kCosine);
  EXPECT_EQ(s->Count("a"), 0u);
  EXPECT_TRUE(s->List("a", 0, 0, false).empty());
}

// ---- Filters -------------------------------------------------------------------------------

TEST(Store, FilteredSearchMatchesBruteForceOverAllowedRows) {
  const size_t dim = 8, n = 200;
  auto s = OpenStore(":memory:");
  s->CreateCollection("c", dim, Metric::kCosine);
  std::mt19937 rng(7);
  Rows rows;
  const char* langs[] = {"en", "de", "fr"};
  for (size_t i = 0; i < n; ++i) {
    std::string meta = std::string("{\"lang\":\"") + langs[i % 3] + "\",\"year\":" +
                       std::to_string(2000 + i % 5) + ",\"draft\":" + (i % 2 ? "true" : "false") +
                       ",\"owner\":" + (i % 7 == 0 ? "null" : "\"u\"") + "}";
    rows.Add("r" + std::to_string(i), RandomVector(rng, dim), i == 5 ? "" : meta);
  }
  Upsert(*s, "c", rows);
  auto q = RandomVector(rng, dim);

  struct Case {
    const char* filter;
    std::function<bool(size_t)> allow;
  };
  std::vector<Case> cases = {
      {"{\"lang\":\"de\"}", [](size_t i) { return i != 5 && i % 3 == 1; }},
      {"{\"year\":2003}", [](size_t i) { return i != 5 && i % 5 == 3; }},
      {"{\"draft\":true,\"lang\":\"en\"}", [](size_t i) { return i != 5 && i % 2 == 1 && i % 3 == 0; }},
      {"{\"owner\":null}", [](size_t i) { return i != 5 && i % 7 == 0; }},
      {"{\"lang\":\"xx\"}", [](size_t) { return false; }},
      {"{}", [](size_t) { return true; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter);
    std::vector<bool> allowed(n);
    for (size_t i = 0; i < n; ++i) allowed[i] = c.allow(i);
    for (int repeat = 0; repeat < 2; ++repeat) {  // second time from the mask cache
      auto got = s->Search("c", q.data(), 1, dim, 15, c.filter, true);
      ExpectMatchesReference(got[0], BruteForce(rows, Metric::kCosine, q.data(), 15, &allowed));
      for (const Hit& h : got[0]) {
        ASSERT_TRUE(h.metadata.has_value());
        EXPECT_TRUE(json::Filter::Compile(c.filter).Matches(*h.metadata));
      }
    }
  }

  // The mask follows writes: move r1 from "de" to "en".
  Rows change;
  change.Add("r1", std::vector<float>(rows.Row(1), rows.Row(1) + dim), "{\"lang\":\"en\"}");
  Upsert(*s, "c", change);
  auto de = IdsOf(s->Search("c", q.data(), 1, dim, 1024, "{\"lang\":\"de\"}", false)[0]);
  auto en = IdsOf(s->Search("c", q.data(), 1, dim, 1024, "{\"lang\":\"en\"}", false)[0]);
  EXPECT_EQ(std::count(de.begin(), de.end(), "r1"), 0);
  EXPECT_EQ(std::count(en.begin(), en.end(), "r1"), 1);

  std::string msg = ErrorOf([&] { s->Search("c", q.data(), 1, dim, 3, "{\"lang\" \"de\"}", false); },
                            EK_ERR_PARSE);
  EXPECT_CONTAINS(msg, "expected ':' after key at byte 8");
  msg = ErrorOf([&] { s->Search("c", q.data(), 1, dim, 3, "{\"lang\":[\"de\"]}", false); },
                EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "filter: lang: an array can't be matched as a value");
}

// ---- k, ties, upsert, delete, list -----------------------------------------------------------

TEST(Store, KLargerThanCountAndKLimits) {
  auto s = OpenStore(":memory:");
  s->CreateCollection("c", 2, Metric::kDot);
  const float q[2] = {1, 0};
  EXPECT_TRUE(s->Search("c", q, 1, 2, 5, "", false)[0].empty());  // empty collection
  Rows r;
  r.Add("a", {1, 0});
  r.Add("b", {2, 0});
  r.Add("c", {3, 0});
  Upsert(*s, "c", r);
  auto hits = s->Search("c", q, 1, 2, 100, "", false)[0];
  EXPECT_EQ(IdsOf(hits), (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_FLOAT_EQ(hits[0].score, 3.f);
  EXPECT_EQ(s->Search("c", q, 1, 2, 0, "", false)[0].size(), 3u);  // 0 = default 10
  EXPECT_EQ(s->Search("c", q, 1, 2, 1025, "", false)[0].size(), 3u);  // no cap on k
  // Buffers follow the rows allowed, not k: k slots per query would be 32 GiB here.
  const float two_queries[4] = {1, 0, 1, 0};
  hits = s->Search("c", two_queries, 2, 2, UINT32_MAX, "", false)[1];
  EXPECT_EQ(IdsOf(hits), (std::vector<std::string>{"c", "b", "a"}));
  r = Rows();
  r.Add("d", {4, 0}, "{\"keep\":true}");
  Upsert(*s, "c", r);
  EXPECT_EQ(IdsOf(s->Search("c", q, 1, 2, UINT32_MAX, "{\"keep\":true}", false)[0]),
            (std::vector<std::string>{"d"}));
  EXPECT_TRUE(s->Search("c", q, 1, 2, UINT32_MAX, "{\"keep\":false}", false)[0].empty());
  EXPECT_TRUE(s->Search("c", q, 0, 2, 5, "", false).empty());
}

// k above the old 1024 cap and above the row count: every row, best first.
TEST(Store, KBeyondRowsReturnsEveryRowSorted) {
  const size_t dim = 4, n = 3000;
  auto s = OpenStore(":memory:");
  s->CreateCollection("c", dim, Metric::kL2);
  std::mt19937 rng(11);
  Rows rows;
  for (size_t i = 0; i < n; ++i) rows.Add("r" + std::to_string(i), RandomVector(rng, dim));
  Upsert(*s, "c", rows);
  const auto q = RandomVector(rng, dim);
  const auto got = s->Search("c", q.data(), 1, dim, 5000, "", false)[0];
  ExpectMatchesReference(got, BruteForce(rows, Metric::kL2, q.data(), 5000));
  EXPECT_EQ(got.size(), n);
}

TEST(Store, TiesBreakByInsertionOrder) {
  for (Metric m : {Metric::kCosine, Metric::kDot, Metric::kL2}) {
    auto s = OpenStore(":memory:");
    s->CreateCollection("t", 3, m);
    Rows r;
    // Same vector under ids whose alphabetical order differs from insertion order.
    for (const char* id : {"m", "z", "a", "k"}) r.Add(id, {0.5f, 1.f, -2.f});
    Upsert(*s, "t", r);
    Rows far;
    far.Add("far", {-5.f, 3.f, 9.f});
    Upsert(*s, "t", far);
    const float q[3] = {0.5f, 1.f, -2.f};
    EXPECT_EQ(IdsOf(s->Search("t", q, 1, 3, 4, "", false)[0]),
              (std::vector<std::string>{"m", "z", "a", "k"}));
    // Replacing 'm' with the same vector keeps its place; delete + re-insert moves 'z' last.
    Rows again;
    again.Add("m", {0.5f, 1.f, -2.f});
    Upsert(*s, "t", again);
    s->Delete("t", {"z"});
    Rows z;
    z.Add("z", {0.5f, 1.f, -2.f});
    Upsert(*s, "t", z);
    EXPECT_EQ(IdsOf(s->Search("t", q, 1, 3, 4, "", false)[0]),
              (std::vector<std::string>{"m", "a", "k", "z"}));
  }
}

TEST(Store, UpsertReplacesVectorAndMetadata) {
  auto s = OpenStore(":memory:");
  s->CreateCollection("c", 2, Metric::kL2);
  Rows r;
  r.Add("a", {0, 0}, "{\"v\":1}");
  r.Add("b", {10, 10}, "{\"v\":1}");
  Upsert(*s, "c", r);
  const float q[2] = {10, 10};
  // Warm the in-memory copy, so the replacement has to update it.
  EXPECT_EQ(s->Search("c", q, 1, 2, 1, "", false)[0][0].id, "b");
  Rows r2;
  r2.Add("a", {10, 9}, "{\"v\":2}");
  r2.Add("b", {-3, -3});  // metadata dropped
  Upsert(*s, "c", r2);
  EXPECT_EQ(s->Count("c"), 2u);
  auto hits = s->Search("c", q, 1, 2, 2, "", true)[0];
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, "a");
  EXPECT_FLOAT_EQ(hits[0].score, 1.f);
  EXPECT_EQ(hits[0].metadata, "{\"v\":2}");
  EXPECT_EQ(hits[1].id, "b");
  EXPECT_FALSE(hits[1].metadata.has_value());
  std::vector<float> v;
  std::optional<std::string> meta;
  ASSERT_TRUE(s->Get("c", "a", &v, &meta));
  EXPECT_EQ(v, (std::vector<float>{10, 9}));
  EXPECT_EQ(meta, "{\"v\":2}");
  ASSERT_TRUE(s->Get("c", "b", &v, &meta));
  EXPECT_FALSE(meta.has_value());
  EXPECT_EQ(s->Search("c", q, 1, 2, 1, "{\"v\":1}", false)[0].size(), 0u);
}

TEST(Store, DeleteRemovesRowsAndCountsOnlyExisting) {
  auto s = OpenStore(":memory:");
  s->CreateCollection("c", 2, Metric::kDot);
  Rows r;
  for (int i = 0; i < 6; ++i) r.Add("id" + std::to_string(i), {float(i), 1});
  Upsert(*s, "c", r);
  const float q[2] = {1, 0};
  EXPECT_EQ(s->Search("c", q, 1, 2, 1, "", false)[0][0].id, "id5");
  EXPECT_EQ(s->Delete("c", {"id5", "nope", "id2", "id5"}), 2u);
  EXPECT_EQ(s->Delete("c", {"nope"}), 0u);
  EXPECT_EQ(s->Delete("c", {}), 0u);
  EXPECT_EQ(s->Count("c"), 4u);
  EXPECT_FALSE(s->Get("c", "id5", nullptr, nullptr));
  EXPECT_EQ(IdsOf(s->Search("c", q, 1, 2, 10, "", false)[0]),
            (std::vector<std::string>{"id4", "id3", "id1", "id0"}));
  EXPECT_EQ(IdsOf(s->List("c", 0, 0, false)), (std::vector<std::string>{"id0", "id1", "id3", "id4"}));
  std::string msg = ErrorOf([&] { s->Delete("c", {"ok", ""}); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "ids[1]");
  EXPECT_EQ(s->Count("c"), 4u);
}

// The in-memory copy is updated in place by upserts (new rows appended, existing rows
// replaced) and compacted by deletes; its id index is keyed by rowid so a delete does
// not re-index later rows. A random mix of all three, with the copy warm throughout,
// must give the same search results and listing as a brute-force reference and as a
// second handle that loads the file afresh.
TEST(Store, WarmCopyFollowsMixedUpsertsAndDeletes) {
  TempDir dir;
  const std::string path = dir.File("mixed.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("c", 4, Metric::kL2);
  std::mt19937 rng(7);
  std::vector<std::string> order;          // reference ids in insertion order
  std::map<std::string, std::vector<float>> ref;
  int next_id = 0;
  const float q[4] = {0.5f, -0.25f, 1.f, 0.f};
  for (int step = 0; step < 60; ++step) {
    const int what = int(rng() % 3);
    if (what < 2 || ref.size() < 5) {  // upsert: new ids and some existing ones
      Rows r;
      std::set<std::string> in_batch;
      for (int i = 0; i < 1 + int(rng() % 20); ++i) {
        std::string id;
        if (!ref.empty() && rng() % 2) id = std::next(ref.begin(), long(rng() % ref.size()))->first;
        else id = "row" + std::to_string(next_id++);
        if (!in_batch.insert(id).second) continue;
        auto v = RandomVector(rng, 4);
        if (!ref.count(id)) order.push_back(id);
        ref[id] = v;
        r.Add(id, v);
      }
      Upsert(*s, "c", r);
    } else {  // delete a random subset (plus an unknown id)
      std::vector<std::string> ids = {"never-stored"};
      for (const auto& [id, v] : ref)
        if (rng() % 4 == 0) ids.push_back(id);
      EXPECT_EQ(s->Delete("c", ids), ids.size() - 1);
      for (size_t i = 1; i < ids.size(); ++i) {
        ref.erase(ids[i]);
        order.erase(std::find(order.begin(), order.end(), ids[i]));
      }
    }
    Rows want;
    for (const auto& id : order) want.Add(id, ref[id]);
    ASSERT_EQ(s->Count("c"), ref.size());
    ExpectMatchesReference(s->Search("c", q, 1, 4, 1000, "", false)[0],
                           BruteForce(want, Metric::kL2, q, 1000));
    ASSERT_EQ(IdsOf(s->List("c", 0, 0, false)), order) << "step " << step;
  }
  auto fresh = OpenStore(path);
  Rows want;
  for (const auto& id : order) want.Add(id, ref[id]);
  ExpectMatchesReference(fresh->Search("c", q, 1, 4, 1000, "", false)[0],
                         BruteForce(want, Metric::kL2, q, 1000));
  EXPECT_EQ(IdsOf(fresh->List("c", 0, 0, false)), order);
  // A loaded copy has no id index until an upsert needs one: deletes compact it by id.
  ASSERT_GE(order.size(), 3u);
  const std::vector<std::string> gone = {order[0], order[order.size() / 2]};
  EXPECT_EQ(fresh->Delete("c", gone), 2u);
  for (const auto& id : gone) order.erase(std::find(order.begin(), order.end(), id));
  EXPECT_EQ(IdsOf(fresh->List("c", 0, 0, false)), order);
  Rows again;
  again.Add(order.back(), {9, 9, 9, 9});
  Upsert(*fresh, "c", again);
  EXPECT_EQ(IdsOf(fresh->List("c", 0, 0, false)), order);
  // The far-away replacement is now the worst L2 hit, in the warm copy too.
  EXPECT_EQ(fresh->Search("c", q, 1, 4, 1000, "", false)[0].back().id, order.back());
}

TEST(Store, ListFollowsInsertionOrderWithOffsetAndLimit) {
  auto s = OpenStore(":memory:");
  s->CreateCollection("c", 1, Metric::kDot);
  Rows r;
  for (const char* id : {"q", "b", "x", "a", "m"}) r.Add(id, {1}, std::string("{\"id\":\"") + id + "\"}");
  Upsert(*s, "c", r);
  EXPECT_EQ(IdsOf(s->List("c", 0, 0, false)), (std::vector<std::string>{"q", "b", "x", "a", "m"}));
  EXPECT_EQ(IdsOf(s->List("c", 1, 2, false)), (std::vector<std::string>{"b", "x"}));
  EXPECT_EQ(IdsOf(s->List("c", 3, 10, false)), (std::vector<std::string>{"a", "m"}));
  EXPECT_TRUE(s->List("c", 5, 0, false).empty());
  EXPECT_TRUE(s->List("c", 99, 1, false).empty());
  auto with = s->List("c", 2, 1, true);
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(with[0].metadata, "{\"id\":\"x\"}");
  EXPECT_EQ(with[0].score, 0.f);
  EXPECT_FALSE(s->List("c", 2, 1, false)[0].metadata.has_value());
}

// ---- Bad input: status, message, and nothing lost --------------------------------------------

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s = OpenStore(dir.File("bad.ekdb"));
    s->CreateCollection("docs", 4, Metric::kCosine);
    Rows r;
    r.Add("keep-1", {1, 2, 3, 4}, "{\"k\":1}");
    r.Add("keep-2", {4, 3, 2, 1});
    Upsert(*s, "docs", r);
  }

  // The committed rows are intact and the store still takes writes and searches.
  void ExpectIntact() {
    EXPECT_EQ(s->Count("docs"), 2u);
    std::vector<float> v;
    std::optional<std::string> meta;
    ASSERT_TRUE(s->Get("docs", "keep-1", &v, &meta));
    EXPECT_EQ(v, (std::vector<float>{1, 2, 3, 4}));
    EXPECT_EQ(meta, "{\"k\":1}");
    EXPECT_FALSE(s->Get("docs", "new-0", nullptr, nullptr));
    const float q[4] = {1, 2, 3, 4};
    auto hits = s->Search("docs", q, 1, 4, 5, "", false)[0];
    EXPECT_EQ(IdsOf(hits), (std::vector<std::string>{"keep-1", "keep-2"}));
    Rows ok;
    ok.Add("probe", {0, 0, 0, 1});
    Upsert(*s, "docs", ok);
    EXPECT_EQ(s->Count("docs"), 3u);
    EXPECT_EQ(s->Delete("docs", {"probe"}), 1u);
    // And after a reopen, too.
    s.reset();
    s = OpenStore(dir.File("bad.ekdb"));
    EXPECT_EQ(s->Count("docs"), 2u);
  }

  // A 3-row batch whose row `bad` is replaced by `id`/`vec`/`meta`.
  std::string UpsertWithBadRow(size_t bad, const char* id, std::vector<float> vec,
                               const char* meta, ek_status status, size_t dim = 4) {
    std::vector<std::string> ids = {"new-0", "new-1", "new-2"};
    std::vector<const char*> id_ptrs = {ids[0].c_str(), ids[1].c_str(), ids[2].c_str()};
    std::vector<const char*> metas = {nullptr, "{\"ok\":true}", nullptr};
    std::vector<float> vectors(3 * dim, 0.5f);
    id_ptrs[bad] = id;
    metas[bad] = meta;
    if (!vec.empty()) std::copy(vec.begin(), vec.end(), vectors.begin() + bad * dim);
    UpsertBatch b;
    b.count = 3;
    b.ids = id_ptrs.data();
    b.vectors = vectors.data();
    b.dim = dim;
    b.metadata = metas.data();
    return ErrorOf([&] { s->Upsert("docs", b); }, status);
  }

  TempDir dir;
  std::unique_ptr<Store> s;
};

TEST_F(BadInputTest, NaNComponent) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto msg = UpsertWithBadRow(2, "doc-7", {0, 1, nan, 0}, nullptr, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "collection 'docs': row 2 ('doc-7'): vector component 2 is NaN");
  ExpectIntact();
}

TEST_F(BadInputTest, InfComponent) {
  const float inf = std::numeric_limits<float>::infinity();
  auto msg = UpsertWithBadRow(1, "doc-1", {-inf, 1, 1, 0}, nullptr, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "row 1 ('doc-1'): vector component 0 is -Inf");
  ExpectIntact();
}

TEST_F(BadInputTest, WrongDim) {
  auto msg = UpsertWithBadRow(0, "new-0", {}, nullptr, EK_ERR_DIMENSION_MISMATCH, 3);
  EXPECT_CONTAINS(msg, "collection 'docs' has dim 4, vectors have dim 3");
  ExpectIntact();
}

TEST_F(BadInputTest, DuplicateIdInBatch) {
  auto msg = UpsertWithBadRow(2, "new-0", {}, nullptr, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "row 2 ('new-0'): id repeats row 0 of the same batch");
  ExpectIntact();
}

TEST_F(BadInputTest, MalformedMetadata) {
  auto msg = UpsertWithBadRow(2, "doc-7", {}, "{\"title\" 1}", EK_ERR_PARSE);
  EXPECT_CONTAINS(msg, "metadata of collection 'docs': row 2 ('doc-7'): expected ':' after key at byte 9");
  ExpectIntact();
}

TEST_F(BadInputTest, MetadataNotAnObject) {
  auto msg = UpsertWithBadRow(0, "new-0", {}, "[1,2]", EK_ERR_PARSE);
  EXPECT_CONTAINS(msg, "row 0 ('new-0'): expected a JSON object, got an array at byte 0");
  ExpectIntact();
}

TEST_F(BadInputTest, EmptyId) {
  auto msg = UpsertWithBadRow(1, "", {}, nullptr, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "row 1 (''): id is empty");
  ExpectIntact();
}

TEST_F(BadInputTest, OversizedId) {
  const std::string big(513, 'x');
  auto msg = UpsertWithBadRow(2, big.c_str(), {}, nullptr, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "row 2 ('xxxx");
  EXPECT_CONTAINS(msg, "...'): id has 513 bytes; the limit is 512");
  ExpectIntact();
  // 512 bytes is fine.
  const std::string max(512, 'y');
  Rows r;
  r.Add(max, {1, 1, 1, 1});
  Upsert(*s, "docs", r);
  EXPECT_TRUE(s->Get("docs", max, nullptr, nullptr));
}

TEST_F(BadInputTest, NullAndNonUtf8Ids) {
  auto msg = UpsertWithBadRow(1, nullptr, {}, nullptr, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "row 1: id is NULL");
  msg = UpsertWithBadRow(0, "bad\xC3\x28", {}, nullptr, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "row 0 ('bad\xC3\x28'): id is not valid UTF-8");
  ExpectIntact();
}

TEST_F(BadInputTest, UnknownCollectionAndBadNames) {
  Rows r;
  r.Add("a", {1, 2, 3, 4});
  auto msg = ErrorOf([&] { Upsert(*s, "nope", r); }, EK_ERR_NOT_FOUND);
  EXPECT_CONTAINS(msg, "no collection named 'nope'");
  ErrorOf([&] { s->Get("nope", "a", nullptr, nullptr); }, EK_ERR_NOT_FOUND);
  ErrorOf([&] { s->Delete("nope", {"a"}); }, EK_ERR_NOT_FOUND);
  ErrorOf([&] { s->List("nope", 0, 0, false); }, EK_ERR_NOT_FOUND);
  msg = ErrorOf([&] { s->CreateCollection("", 4, Metric::kDot); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "collection name is empty");
  msg = ErrorOf([&] { s->CreateCollection(std::string(129, 'n'), 4, Metric::kDot); },
                EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "has 129 bytes; the limit is 128");
  EXPECT_EQ(s->CreateCollection(std::string(128, 'n'), 4, Metric::kDot).name.size(), 128u);
  msg = ErrorOf([&] { s->CreateCollection(std::string_view("a\0b", 3), 4, Metric::kDot); },
                EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "NUL");
  msg = ErrorOf([&] { s->CreateCollection("d0", 0, Metric::kDot); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "dim is 0; it must be 1..65536");
  ErrorOf([&] { s->CreateCollection("d1", 65537, Metric::kDot); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(s->CreateCollection("d2", 65536, Metric::kDot).dim, 65536u);
  msg = ErrorOf([&] { s->CreateCollection("m", 4, static_cast<Metric>(7)); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "metric 7");
  ExpectIntact();
}

TEST_F(BadInputTest, BadQueries) {
  const float q3[3] = {1, 2, 3};
  auto msg = ErrorOf([&] { s->Search("docs", q3, 1, 3, 5, "", false); }, EK_ERR_DIMENSION_MISMATCH);
  EXPECT_CONTAINS(msg, "collection 'docs' has dim 4, queries have dim 3");
  const float qn[8] = {1, 2, 3, 4, 1, std::nanf(""), 0, 0};
  msg = ErrorOf([&] { s->Search("docs", qn, 2, 4, 5, "", false); }, EK_ERR_INVALID_ARGUMENT);
  EXPECT_CONTAINS(msg, "query 1: component 1 is NaN");
  ErrorOf([&] { s->Search("docs", nullptr, 2, 4, 5, "", false); }, EK_ERR_INVALID_ARGUMENT);
  ExpectIntact();
}

// ---- Files: persistence, other connections, read-only, foreign files -----------------------

TEST(StoreFile, ReopenKeepsData) {
  TempDir dir;
  const std::string path = dir.File("s.ekdb");
  std::mt19937 rng(3);
  Rows rows;
  for (int i = 0; i < 50; ++i) rows.Add("p" + std::to_string(i), RandomVector(rng, 6), "{\"n\":1}");
  {
    auto s = OpenStore(path);
    s->CreateCollection("c", 6, Metric::kL2);
    s->CreateCollection("empty", 2, Metric::kDot);
    Upsert(*s, "c", rows);
    s->Delete("c", {"p0"});
  }
  auto s = OpenStore(path, OpenOptions{.must_exist = true});
  auto list = s->ListCollections();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "c");
  EXPECT_EQ(list[0].count, 49u);
  EXPECT_EQ(list[0].metric, Metric::kL2);
  EXPECT_EQ(list[1].count, 0u);
  Rows without0;
  for (size_t i = 1; i < rows.size(); ++i)
    without0.Add(rows.ids[i], std::vector<float>(rows.Row(i), rows.Row(i) + 6));
  auto q = RandomVector(rng, 6);
  ExpectMatchesReference(s->Search("c", q.data(), 1, 6, 10, "", false)[0],
                         BruteForce(without0, Metric::kL2, q.data(), 10));
  EXPECT_EQ(s->List("c", 0, 1, false)[0].id, "p1");
}

TEST(StoreFile, MustExistAndMissingFiles) {
  TempDir dir;
  auto msg = ErrorOf([&] { OpenStore(dir.File("missing.ekdb"), OpenOptions{.must_exist = true}); },
                     EK_ERR_IO);
  EXPECT_CONTAINS(msg, "does not exist");
  ErrorOf([&] { OpenStore(dir.File("missing.ekdb"), OpenOptions{.read_only = true}); }, EK_ERR_IO);
  EXPECT_FALSE(fs::exists(dir.File("missing.ekdb")));
  ErrorOf([&] { OpenStore(""); }, EK_ERR_INVALID_ARGUMENT);
  ErrorOf([&] { OpenStore(dir.File("no/such/folder/x.ekdb")); }, EK_ERR_IO);
}

TEST(StoreFile, InMemoryStoresArePrivate) {
  auto a = OpenStore(":memory:");
  auto b = OpenStore(":memory:");
  a->CreateCollection("c", 1, Metric::kDot);
  EXPECT_FALSE(b->FindCollection("c"));
}

TEST(StoreFile, GarbageFileIsCorrupt) {
  TempDir dir;
  const std::string path = dir.File("garbage.ekdb");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>((i * 7919) & 0xff));
  }
  auto msg = ErrorOf([&] { OpenStore(path); }, EK_ERR_CORRUPT);
  EXPECT_CONTAINS(msg, "not an SQLite database");
  ErrorOf([&] { OpenStore(path, OpenOptions{.read_only = true}); }, EK_ERR_CORRUPT);
  // Untouched.
  EXPECT_EQ(fs::file_size(path), 4096u);
}

TEST(StoreFile, OtherApplicationsDatabaseIsCorrupt) {
  TempDir dir;
  const std::string path = dir.File("other.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto msg = ErrorOf([&] { OpenStore(path); }, EK_ERR_CORRUPT);
  EXPECT_CONTAINS(msg, "not an embedkit store");
  // The foreign database was not modified (still a rollback-journal database with one table).
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(StoreFile, EmptyFileBecomesAStore) {
  TempDir dir;
  const std::string path = dir.File("empty.ekdb");
  { std::ofstream f(path); }
  ErrorOf([&] { OpenStore(path, OpenOptions{.read_only = true}); }, EK_ERR_READ_ONLY);
  auto s = OpenStore(path);
  s->CreateCollection("c", 2, Metric::kDot);
  EXPECT_TRUE(s->FindCollection("c"));
}

void SetUserVersion(const std::string& path, int v) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, ("PRAGMA user_version=" + std::to_string(v)).c_str(), nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

TEST(StoreFile, NewerSchemaVersionIsUnsupported) {
  TempDir dir;
  const std::string path = dir.File("v.ekdb");
  {
    auto s = OpenStore(path);
    s->CreateCollection("c", 2, Metric::kDot);
  }
  SetUserVersion(path, 4);
  auto msg = ErrorOf([&] { OpenStore(path); }, EK_ERR_UNSUPPORTED);
  EXPECT_CONTAINS(msg, "schema version 4; this library reads versions up to 3");
  ErrorOf([&] { OpenStore(path, OpenOptions{.read_only = true}); }, EK_ERR_UNSUPPORTED);
  SetUserVersion(path, 3);
  EXPECT_TRUE(OpenStore(path)->FindCollection("c"));
}

TEST(StoreFile, MissingTableIsCorrupt) {
  TempDir dir;
  const std::string path = dir.File("t.ekdb");
  OpenStore(path)->CreateCollection("c", 2, Metric::kDot);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE vectors", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto msg = ErrorOf([&] { OpenStore(path); }, EK_ERR_CORRUPT);
  EXPECT_CONTAINS(msg, "lacks the embedkit schema");
}

TEST(StoreFile, WalModeUserVersionAndBlobFormat) {
  TempDir dir;
  const std::string path = dir.File("fmt.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("c", 3, Metric::kL2);
  Rows r;
  r.Add("x", {1.5f, -2.f, 0.25f}, "{\"a\":1}");
  Upsert(*s, "c", r);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto one = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    std::string out;
    if (sqlite3_column_type(st, 0) == SQLITE_BLOB) {
      const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(st, 0));
      out.assign(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st, 0));
    } else {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_EQ(one("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(one("PRAGMA user_version"), "3");
  EXPECT_EQ(one("PRAGMA application_id"), std::to_string(0x454B5354));
  EXPECT_EQ(one("SELECT metric FROM collections WHERE name = 'c'"), "l2");
  EXPECT_EQ(one("SELECT metadata FROM vectors WHERE id = 'x'"), "{\"a\":1}");
  const std::string blob = one("SELECT vector FROM vectors WHERE id = 'x'");
  // 1.5f = 0x3FC00000, -2.f = 0xC0000000, 0.25f = 0x3E800000, little-endian.
  const unsigned char want[12] = {0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0, 0, 0, 0x80, 0x3E};
  ASSERT_EQ(blob.size(), 12u);
  EXPECT_EQ(0, std::memcmp(blob.data(), want, 12));
  sqlite3_close(db);
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// True when the bytes of the store file or its WAL contain `needle` (a byte scan).
bool FilesContain(const std::string& path, const std::string& needle) {
  std::string all = ReadAll(path);
  if (fs::exists(path + "-wal")) all += ReadAll(path + "-wal");
  return all.find(needle) != std::string::npos;
}

TEST(StoreFile, DeletedDataDoesNotLingerInTheFiles) {
  TempDir dir;
  const std::string path = dir.File("forget.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("c", 4, Metric::kDot);
  const std::string secret = "SECRET-MARKER-7f3a9c";
  Rows r;
  for (int i = 0; i < 20; ++i)
    r.Add("keep" + std::to_string(i), {1, 2, 3, float(i)}, "{\"pad\":\"" + std::string(100, 'p') + "\"}");
  r.Add("victim-id-" + secret, {1, 1, 1, 1}, "{\"note\":\"" + secret + "\"}");
  Upsert(*s, "c", r);
  auto contains_secret = [&] { return FilesContain(path, secret); };
  ASSERT_TRUE(contains_secret());  // the test can see the data while it is stored
  EXPECT_EQ(s->Delete("c", {"victim-id-" + secret}), 1u);
  EXPECT_FALSE(contains_secret());
  EXPECT_EQ(s->Count("c"), 20u);

  // Dropping a collection forgets its rows too.
  s->CreateCollection("d", 1, Metric::kDot);
  Rows d;
  d.Add("drop-" + secret, {1});
  Upsert(*s, "d", d);
  ASSERT_TRUE(contains_secret());
  s->DropCollection("d");
  EXPECT_FALSE(contains_secret());
}

// secure_delete zeroes a replaced row's old cell in the page, but in WAL mode the page
// image that held it stays in the -wal until a checkpoint: an upsert that replaced a
// row checkpoints, as a delete does. Checked with the handle open and after it closed.
TEST(StoreFile, ReplacedVectorDoesNotLinger) {
  TempDir dir;
  const std::string path = dir.File("replace.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("c", 16, Metric::kDot);
  const std::vector<float> old_vector(16, 1234.5678f);
  const std::string needle(reinterpret_cast<const char*>(old_vector.data()),
                           old_vector.size() * sizeof(float));
  Rows first;
  first.Add("a", old_vector, "{\"note\":\"OLD-METADATA-MARKER-2b7e\"}");
  Upsert(*s, "c", first);
  ASSERT_TRUE(FilesContain(path, needle));  // the test can see the vector while it is stored
  ASSERT_TRUE(FilesContain(path, "OLD-METADATA-MARKER-2b7e"));
  Rows second;
  second.Add("a", std::vector<float>(16, -2.5f), "{\"note\":\"new\"}");
  Upsert(*s, "c", second);
  EXPECT_FALSE(FilesContain(path, needle));
  EXPECT_FALSE(FilesContain(path, "OLD-METADATA-MARKER-2b7e"));
  std::vector<float> got;
  ASSERT_TRUE(s->Get("c", "a", &got, nullptr));
  EXPECT_EQ(got, std::vector<float>(16, -2.5f));
  s.reset();
  EXPECT_FALSE(FilesContain(path, needle));
}

// DropCollection empties the collection's key ranges of the index tables (key =
// collection id << 32 | slot) and its ek_index and ek_index_log rows, and the codes'
// bytes leave the files; the other collection's rows stay. No call writes these
// tables yet, so the rows are put there with SQL.
TEST(StoreFile, DropCollectionEmptiesItsIndexTableRanges) {
  TempDir dir;
  const std::string path = dir.File("drop_index.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("a", 2, Metric::kDot);
  s->CreateCollection("b", 2, Metric::kDot);
  const std::string secret = "CODE-SECRET-MARKER-9d41";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto exec = [&](const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
  };
  auto count = [&](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    const int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  };
  const int64_t a = count("SELECT id FROM collections WHERE name = 'a'");
  const int64_t b = count("SELECT id FROM collections WHERE name = 'b'");
  exec("BEGIN");
  for (const int64_t cid : {a, b}) {
    const std::string c = std::to_string(cid);
    exec("INSERT INTO ek_index (collection_id, kind, element, state) VALUES (" + c +
         ", 'hnsw', 'int8', 'ready')");
    exec("INSERT INTO ek_index_log VALUES (" + c + ", 1, x'00000000', 0)");
    for (const int64_t slot : {int64_t{0}, int64_t{7}, int64_t{0xFFFFFFFF}}) {
      const std::string key = std::to_string((cid << 32) | slot);
      exec("INSERT INTO ek_hnsw_node VALUES (" + key + ", x'01')");
      exec("INSERT INTO ek_code VALUES (" + key + ", CAST('" + secret + c + "' AS BLOB))");
      exec("INSERT INTO ek_free_slot VALUES (" + key + ")");
    }
  }
  exec("COMMIT");
  const std::string a_code = secret + std::to_string(a);
  ASSERT_TRUE(FilesContain(path, a_code));
  s->DropCollection("a");
  const std::string a_lo = std::to_string(a << 32), a_hi = std::to_string((a << 32) | 0xFFFFFFFF);
  for (const char* table : {"ek_hnsw_node", "ek_code", "ek_free_slot"}) {
    SCOPED_TRACE(table);
    EXPECT_EQ(count(std::string("SELECT count(*) FROM ") + table + " WHERE key BETWEEN " + a_lo +
                    " AND " + a_hi), 0);
    EXPECT_EQ(count(std::string("SELECT count(*) FROM ") + table), 3);
  }
  for (const char* table : {"ek_index", "ek_index_log"}) {
    SCOPED_TRACE(table);
    EXPECT_EQ(count(std::string("SELECT count(*) FROM ") + table + " WHERE collection_id = " +
                    std::to_string(a)), 0);
    EXPECT_EQ(count(std::string("SELECT count(*) FROM ") + table + " WHERE collection_id = " +
                    std::to_string(b)), 1);
  }
  sqlite3_close(db);
  EXPECT_FALSE(FilesContain(path, a_code));
  EXPECT_TRUE(FilesContain(path, secret + std::to_string(b)));
}

TEST(StoreFile, DeletedKeyValuesDoNotLingerInTheFiles) {
  TempDir dir;
  const std::string path = dir.File("forget_kv.ekdb");
  auto s = OpenStore(path);
  const std::string secret = "KV-SECRET-MARKER-51c2";
  s->KvPut("app", "pad", std::string(4000, 'p'), kv::Kind::kBlob);
  s->KvPut("app", "ledger/" + secret, "{\"who\":\"" + secret + "\"}", kv::Kind::kJson);
  ASSERT_TRUE(FilesContain(path, secret));
  EXPECT_EQ(s->KvDelete("app", "ledger/" + secret), 1u);
  EXPECT_FALSE(FilesContain(path, secret));
  s->KvPut("app", "blob", secret, kv::Kind::kBlob);
  ASSERT_TRUE(FilesContain(path, secret));
  EXPECT_EQ(s->KvDeletePrefix("app", "b"), 1u);
  EXPECT_FALSE(FilesContain(path, secret));
}

// ---- Transactions over several calls ----------------------------------------------------

TEST(StoreTransaction, RollbackUndoesEveryCallAndTheWarmCopies) {
  TempDir dir;
  const std::string path = dir.File("txn.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("a", 2, Metric::kDot);
  s->CreateCollection("b", 2, Metric::kDot);
  Rows r;
  for (int i = 0; i < 5; ++i) r.Add("r" + std::to_string(i), {float(i), 1});
  Upsert(*s, "a", r);
  const float q[2] = {1, 0};
  const auto before = IdsOf(s->Search("a", q, 1, 2, 10, "", false)[0]);  // warm copy

  s->Begin();
  Rows up;
  up.Add("r0", {100, 0});  // replaced: would become the best hit
  up.Add("new", {50, 0});
  Upsert(*s, "a", up);
  EXPECT_EQ(s->Delete("a", {"r4", "r3"}), 2u);
  Upsert(*s, "b", up);
  // Inside the transaction this handle sees its own writes.
  EXPECT_EQ(s->Search("a", q, 1, 2, 1, "", false)[0][0].id, "r0");
  EXPECT_EQ(s->Count("a"), 4u);
  s->Rollback();

  EXPECT_EQ(IdsOf(s->Search("a", q, 1, 2, 10, "", false)[0]), before);
  EXPECT_EQ(s->Count("a"), 5u);
  EXPECT_EQ(s->Count("b"), 0u);
  auto fresh = OpenStore(path);
  EXPECT_EQ(IdsOf(fresh->Search("a", q, 1, 2, 10, "", false)[0]), before);
  EXPECT_EQ(fresh->Count("b"), 0u);
}

TEST(StoreTransaction, CommitKeepsEverythingAndAFailedCallUndoesOnlyItself) {
  TempDir dir;
  const std::string path = dir.File("txn.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("a", 2, Metric::kDot);
  s->Begin();
  Rows r;
  r.Add("x", {1, 0});
  Upsert(*s, "a", r);
  Rows bad;
  bad.Add("y", {2, 0});
  bad.Add("z", {std::numeric_limits<float>::quiet_NaN(), 0});
  ErrorOf([&] { Upsert(*s, "a", bad); }, EK_ERR_INVALID_ARGUMENT);
  Rows wrong_dim;
  wrong_dim.Add("w", {1, 2, 3});
  ErrorOf([&] { Upsert(*s, "a", wrong_dim); }, EK_ERR_DIMENSION_MISMATCH);
  Rows more;
  more.Add("v", {0, 1});
  Upsert(*s, "a", more);
  // Nothing is visible to another handle before the commit.
  {
    OpenOptions o;
    o.read_only = true;
    auto reader = OpenStore(path, o);
    EXPECT_EQ(reader->Count("a"), 0u);
  }
  s->Commit();
  auto fresh = OpenStore(path);
  EXPECT_EQ(fresh->Count("a"), 2u);
  EXPECT_TRUE(fresh->Get("a", "x", nullptr, nullptr));
  EXPECT_TRUE(fresh->Get("a", "v", nullptr, nullptr));
  EXPECT_FALSE(fresh->Get("a", "y", nullptr, nullptr));
  EXPECT_EQ(IdsOf(s->List("a", 0, 0, false)), (std::vector<std::string>{"x", "v"}));
}

TEST(StoreTransaction, MisuseAndOtherWritersGetClearErrors) {
  TempDir dir;
  const std::string path = dir.File("txn.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("a", 1, Metric::kDot);
  EXPECT_CONTAINS(ErrorOf([&] { s->Commit(); }, EK_ERR_INVALID_ARGUMENT), "no transaction is open");
  EXPECT_CONTAINS(ErrorOf([&] { s->Rollback(); }, EK_ERR_INVALID_ARGUMENT), "no transaction is open");
  s->Begin();
  EXPECT_CONTAINS(ErrorOf([&] { s->Begin(); }, EK_ERR_INVALID_ARGUMENT), "already open");
  OpenOptions o;
  o.busy_timeout_ms = 50;
  auto other = OpenStore(path, o);
  Rows r;
  r.Add("x", {1});
  ErrorOf([&] { Upsert(*other, "a", r); }, EK_ERR_STORAGE);  // the write lock is held
  ErrorOf([&] { other->Begin(); }, EK_ERR_STORAGE);
  s->Commit();
  Upsert(*other, "a", r);
  EXPECT_EQ(s->Count("a"), 1u);
  OpenOptions ro;
  ro.read_only = true;
  auto reader = OpenStore(path, ro);
  ErrorOf([&] { reader->Begin(); }, EK_ERR_READ_ONLY);
}

TEST(StoreTransaction, ClosingTheHandleRollsBack) {
  TempDir dir;
  const std::string path = dir.File("txn.ekdb");
  {
    auto s = OpenStore(path);
    s->CreateCollection("a", 1, Metric::kDot);
    Rows r;
    r.Add("kept", {1});
    Upsert(*s, "a", r);
    s->Begin();
    Rows more;
    more.Add("never", {2});
    Upsert(*s, "a", more);
    EXPECT_EQ(s->Delete("a", {"kept"}), 1u);
  }  // closed with the transaction open
  auto fresh = OpenStore(path);
  EXPECT_EQ(IdsOf(fresh->List("a", 0, 0, false)), (std::vector<std::string>{"kept"}));
  fresh->Begin();  // and the write lock was released
  fresh->Rollback();
}

TEST(StoreTransaction, DeletedDataLeavesTheFilesAtCommit) {
  TempDir dir;
  const std::string path = dir.File("forget.ekdb");
  auto s = OpenStore(path);
  s->CreateCollection("c", 4, Metric::kDot);
  const std::string secret = "TXN-SECRET-51c2";
  Rows r;
  for (int i = 0; i < 20; ++i) r.Add("keep" + std::to_string(i), {1, 2, 3, float(i)});
  r.Add("victim-" + secret, {1, 1, 1, 1}, "{\"note\":\"" + secret + "\"}");
  Upsert(*s, "c", r);
  auto contains_secret = [&] { return FilesContain(path, secret); };
  ASSERT_TRUE(contains_secret());
  s->Begin();
  EXPECT_EQ(s->Delete("c", {"victim-" + secret}), 1u);
  Rows more;
  more.Add("after", {4, 3, 2, 1});
  Upsert(*s, "c", more);
  s->Commit();
  EXPECT_FALSE(contains_secret());
  EXPECT_EQ(s->Count("c"), 21u);
}

TEST(StoreFile, TwoHandlesSeeEachOthersWrites) {
  TempDir dir;
  const std::string path = dir.File("shared.ekdb");
  auto a = OpenStore(path);
  auto b = OpenStore(path);
  a->CreateCollection("c", 2, Metric::kDot);
  a->CreateCollection("other", 1, Metric::kDot);
  Rows r;
  r.Add("one", {1, 0});
  Upsert(*a, "c", r);
  Rows o;
  o.Add("o1", {1});
  Upsert(*a, "other", o);

  const float q[2] = {1, 0.5f};
  // b loads both collections into memory.
  EXPECT_EQ(IdsOf(b->Search("c", q, 1, 2, 10, "", false)[0]), (std::vector<std::string>{"one"}));
  EXPECT_EQ(b->Search("other", q, 1, 1, 10, "", false)[0].size(), 1u);

  // A write through a is seen by b's next search (data_version + generation).
  Rows r2;
  r2.Add("two", {2, 0});
  r2.Add("one", {0, 1});  // replaced
  Upsert(*a, "c", r2);
  auto hits = b->Search("c", q, 1, 2, 10, "", false)[0];
  EXPECT_EQ(IdsOf(hits), (std::vector<std::string>{"two", "one"}));
  EXPECT_FLOAT_EQ(hits[1].score, 0.5f);
  EXPECT_EQ(b->Count("c"), 2u);
  EXPECT_EQ(b->Search("other", q, 1, 1, 10, "", false)[0].size(), 1u);

  // And the other way round, including deletes, which a must apply to its own copy.
  EXPECT_EQ(a->Search("c", q, 1, 2, 10, "", false)[0].size(), 2u);
  EXPECT_EQ(b->Delete("c", {"two"}), 1u);
  EXPECT_EQ(IdsOf(a->Search("c", q, 1, 2, 10, "", false)[0]), (std::vector<std::string>{"one"}));
  EXPECT_EQ(IdsOf(a->List("c", 0, 0, false)), (std::vector<std::string>{"one"}));

  // a writes, then b writes to the same collection without having read in between:
  // b's copy is stale and must not be patched incrementally on top of the wrong base.
  Rows r3;
  r3.Add("three", {3, 0});
  Upsert(*a, "c", r3);
  Rows r4;
  r4.Add("four", {4, 0});
  Upsert(*b, "c", r4);
  EXPECT_EQ(IdsOf(b->Search("c", q, 1, 2, 10, "", false)[0]),
            (std::vector<std::string>{"four", "three", "one"}));
  EXPECT_EQ(IdsOf(a->Search("c", q, 1, 2, 10, "", false)[0]),
            (std::vector<std::string>{"four", "three", "one"}));

  // Dropped and recreated with another shape elsewhere.
  a->DropCollection("c");
  EXPECT_FALSE(b->FindCollection("c"));
  ErrorOf([&] { b->Search("c", q, 1, 2, 10, "", false); }, EK_ERR_NOT_FOUND);
  b->CreateCollection("c", 3, Metric::kL2);
  auto info = a->FindCollection("c");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->dim, 3u);
  EXPECT_EQ(info->metric, Metric::kL2);
  EXPECT_EQ(a->Count("c"), 0u);
  Rows r5;
  r5.Add("x", {1, 2});
  ErrorOf([&] { Upsert(*a, "c", r5); }, EK_ERR_DIMENSION_MISMATCH);
}

// These tests need a second thread (another writer holding the lock, a reader running
// beside a writer). A WebAssembly build without pthreads has only the calling thread.
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define EK_SKIP_WITHOUT_THREADS() GTEST_SKIP() << "needs threads (WASM build without pthreads)"
#else
#define EK_SKIP_WITHOUT_THREADS() (void)0
#endif

// Another process commits to a collection while this handle waits for the write
// lock: the handle must not patch its now-stale copy incrementally (it would miss the
// other commit for good), but reload it.
void CommitWhileWaiting(const std::function<void(Store&)>& write,
                        const std::vector<std::string>& want_search,
                        const std::vector<std::string>& want_list) {
  TempDir dir;
  const std::string path = dir.File("race.ekdb");
  auto b = OpenStore(path);
  b->CreateCollection("c", 2, Metric::kDot);
  Rows r;
  r.Add("one", {1, 0});
  Upsert(*b, "c", r);
  const float q[2] = {1, 0};
  ASSERT_EQ(b->Search("c", q, 1, 2, 10, "", false)[0].size(), 1u);  // copy loaded

  // A raw connection writes the way docs/storage.md asks: row + generation bump.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_stmt* ins = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw,
                               "INSERT INTO vectors (collection_id, id, vector, metadata) "
                               "SELECT id, 'outside', ?1, NULL FROM collections WHERE name = 'c'",
                               -1, &ins, nullptr),
            SQLITE_OK);
  const float outside[2] = {5, 0};  // little-endian host assumed by this test
  sqlite3_bind_blob(ins, 1, outside, sizeof outside, SQLITE_STATIC);
  ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE);
  sqlite3_finalize(ins);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE collections SET generation = generation + 1", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);

  // The write syncs (nothing committed yet), then waits for the lock.
  std::thread writer([&] { write(*b); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  writer.join();
  sqlite3_close(raw);

  EXPECT_EQ(IdsOf(b->Search("c", q, 1, 2, 10, "", false)[0]), want_search);
  EXPECT_EQ(IdsOf(b->List("c", 0, 0, false)), want_list);
}

TEST(StoreFile, CommitWhileWaitingForTheWriteLockIsNotLostByUpsert) {
  EK_SKIP_WITHOUT_THREADS();
  CommitWhileWaiting(
      [](Store& s) {
        Rows two;
        two.Add("two", {2, 0});
        Upsert(s, "c", two);
      },
      {"outside", "two", "one"}, {"one", "outside", "two"});
}

TEST(StoreFile, CommitWhileWaitingForTheWriteLockIsNotLostByDelete) {
  EK_SKIP_WITHOUT_THREADS();
  CommitWhileWaiting([](Store& s) { EXPECT_EQ(s.Delete("c", {"one"}), 1u); }, {"outside"},
                     {"outside"});
}

TEST(StoreFile, ReadOnlyOptionRejectsWritesAndSeesOthers) {
  TempDir dir;
  const std::string path = dir.File("ro.ekdb");
  auto w = OpenStore(path);
  w->CreateCollection("c", 2, Metric::kDot);
  Rows r;
  r.Add("a", {1, 0}, "{\"x\":1}");
  Upsert(*w, "c", r);

  auto ro = OpenStore(path, OpenOptions{.read_only = true});
  const float q[2] = {1, 0};
  EXPECT_EQ(ro->Search("c", q, 1, 2, 5, "", false)[0].size(), 1u);
  Rows more;
  more.Add("b", {0, 1});
  auto msg = ErrorOf([&] { Upsert(*ro, "c", more); }, EK_ERR_READ_ONLY);
  EXPECT_CONTAINS(msg, "opened read-only");
  ErrorOf([&] { ro->Delete("c", {"a"}); }, EK_ERR_READ_ONLY);
  ErrorOf([&] { ro->DropCollection("c"); }, EK_ERR_READ_ONLY);
  ErrorOf([&] { ro->CreateCollection("new", 2, Metric::kDot); }, EK_ERR_READ_ONLY);
  // Opening an existing collection with the same shape is a read.
  EXPECT_EQ(ro->CreateCollection("c", 2, Metric::kDot).count, 1u);
  // The writer's later commits are visible to the read-only handle.
  Upsert(*w, "c", more);
  EXPECT_EQ(ro->Search("c", q, 1, 2, 5, "", false)[0].size(), 2u);
  std::vector<float> v;
  EXPECT_TRUE(ro->Get("c", "b", &v, nullptr));
  EXPECT_EQ(w->Count("c"), 2u);
  // Read-only handle alone (writer closed).
  w.reset();
  ro.reset();
  ro = OpenStore(path, OpenOptions{.read_only = true});
  EXPECT_EQ(ro->Count("c"), 2u);
  ErrorOf([&] { Upsert(*ro, "c", more); }, EK_ERR_READ_ONLY);
}

TEST(StoreFile, ReadOnlyFileRejectsWrites) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  TempDir dir;
  const std::string path = dir.File("perm.ekdb");
  {
    auto w = OpenStore(path);
    w->CreateCollection("c", 2, Metric::kDot);
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  auto s = OpenStore(path);
  EXPECT_TRUE(s->FindCollection("c"));
  Rows r;
  r.Add("a", {1, 0});
  auto msg = ErrorOf([&] { Upsert(*s, "c", r); }, EK_ERR_READ_ONLY);
  EXPECT_CONTAINS(msg, "read-only");
}

TEST(StoreFile, LockHeldPastBusyTimeoutIsStorageError) {
  TempDir dir;
  const std::string path = dir.File("busy.ekdb");
  auto s = OpenStore(path, OpenOptions{.busy_timeout_ms = 100});
  s->CreateCollection("c", 1, Metric::kDot);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Rows r;
  r.Add("a", {1});
  const auto t0 = std::chrono::steady_clock::now();
  auto msg = ErrorOf([&] { Upsert(*s, "c", r); }, EK_ERR_STORAGE);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_CONTAINS(msg, "locked");
  EXPECT_CONTAINS(msg, "100 ms");
  EXPECT_GE(waited, std::chrono::milliseconds(90));
  // Reads still work while the writer holds its lock (WAL).
  EXPECT_EQ(s->Count("c"), 0u);
  ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  Upsert(*s, "c", r);
  EXPECT_EQ(s->Count("c"), 1u);
}

// Issue 17, item 3: under a memory cap, an allocation failing while the warm copy
// followed a committed batch made Upsert report EK_ERR_OUT_OF_MEMORY for rows that
// were in the file. What a write reports must match what it committed.
TEST(StoreFile, CommittedWritesAreReportedCommittedWhenTheWarmCopyCannotFollow) {
  TempDir dir;
  const std::string path = dir.File("oom.ekdb");
  auto s = OpenStore(path);
  struct Off {
    ~Off() { testing::FailWarmCopyUpdates(0); }
  } off;
  s->CreateCollection("c", 2, Metric::kCosine);
  Rows first;
  first.Add("a", {1, 0});
  Upsert(*s, "c", first);
  const float q[2] = {1, 0.1f};
  ASSERT_EQ(s->Search("c", q, 1, 2, 10, "", false)[0].size(), 1u);  // the copy is warm

  Rows batch;
  batch.Add("b", {0, 1});
  batch.Add("a", {1, 1});  // replaces a row of the warm copy
  testing::FailWarmCopyUpdates(1);
  EXPECT_NO_THROW(Upsert(*s, "c", batch));
  testing::FailWarmCopyUpdates(0);
  EXPECT_EQ(s->Count("c"), 2u);
  auto hits = s->Search("c", q, 1, 2, 10, "", false)[0];
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, "a");
  EXPECT_NEAR(hits[0].score, (1 + 0.1) / std::sqrt(2 * 1.01), 1e-5);  // the new vector

  testing::FailWarmCopyUpdates(1);
  size_t deleted = 0;
  EXPECT_NO_THROW(deleted = s->Delete("c", {"a"}));
  testing::FailWarmCopyUpdates(0);
  EXPECT_EQ(deleted, 1u);
  EXPECT_EQ(IdsOf(s->Search("c", q, 1, 2, 10, "", false)[0]), std::vector<std::string>{"b"});

  testing::FailWarmCopyUpdates(1);
  EXPECT_NO_THROW(s->CreateCollection("d", 3, Metric::kL2));
  testing::FailWarmCopyUpdates(0);
  ASSERT_TRUE(s->FindCollection("d"));
  EXPECT_EQ(s->FindCollection("d")->count, 0u);

  // Another handle reads the same contents from the file.
  auto other = OpenStore(path, OpenOptions{.read_only = true});
  EXPECT_EQ(other->Count("c"), 1u);
  EXPECT_EQ(IdsOf(other->List("c", 0, 0, false)), std::vector<std::string>{"b"});
  EXPECT_TRUE(other->FindCollection("d"));
}

// Runs `body` as uid/gid 65534 in a forked child when this process is root (file
// permissions do not bind root), else here. `body` returns "" or what went wrong;
// so does this, with "skip: ..." when privileges cannot be dropped.
std::string RunUnprivileged(const std::function<std::string()>& body) {
  if (::geteuid() != 0) return body();
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
        ::setresuid(65534, 65534, 65534) != 0) {
      out = "skip: cannot drop privileges to uid 65534";
    } else {
      try {
        out = body();
      } catch (const std::exception& e) {
        out = std::string("unexpected exception: ") + e.what();
      }
    }
    if (!out.empty() && ::write(fds[1], out.data(), out.size()) < 0) out.clear();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out += " (child did not exit cleanly)";
  return out;
}

// "" if `fn` throws ek::Error with `status` and a message holding `needle`.
template <typename Fn>
std::string Refuses(Fn&& fn, ek_status status, const std::string& needle) {
  try {
    fn();
  } catch (const ek::Error& e) {
    if (e.status() != status || std::string(e.what()).find(needle) == std::string::npos)
      return "wrong error: status " + std::to_string(e.status()) + ": " + e.what();
    return {};
  }
  return "no error thrown (expected status " + std::to_string(status) + ")";
}

// Issue 17, item 9: a store in a folder the user cannot write failed every read with
// "attempt to write a readonly database" (the WAL's -shm file cannot be created).
TEST(StoreFile, StoreInAReadOnlyFolderCanBeReadByAnUnprivilegedUser) {
#ifdef __EMSCRIPTEN__
  GTEST_SKIP() << "emscripten's in-memory file system has no users or permissions to test";
#endif
  TempDir dir;
  const fs::path folder = fs::path(dir.File("ro"));
  fs::create_directories(folder);
  const std::string path = (folder / "s.ekdb").string();
  {
    auto w = OpenStore(path);
    w->CreateCollection("c", 2, Metric::kCosine);
    Rows r;
    r.Add("a", {1, 0}, "{\"k\":1}");
    r.Add("b", {0, 1});
    Upsert(*w, "c", r);
  }
  ASSERT_FALSE(fs::exists(path + "-wal"));
  // Root owns the folder: 0755 is read-only for uid 65534. Others lose the write bit.
  fs::permissions(dir.File(""), fs::perms::owner_all | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read |
                                    fs::perms::others_exec);
  fs::permissions(folder, ::geteuid() == 0 ? fs::perms(0755) : fs::perms(0555));
  struct Restore {
    fs::path p;
    ~Restore() { fs::permissions(p, fs::perms::owner_all); }
  } restore{folder};

  for (const bool read_only : {true, false}) {
    SCOPED_TRACE(read_only ? "opened read-only" : "opened read-write");
    const std::string failure = RunUnprivileged([&]() -> std::string {
      std::unique_ptr<Store> s;
      try {
        s = OpenStore(path, OpenOptions{.read_only = read_only});
      } catch (const std::exception& e) {
        return std::string("open failed: ") + e.what();
      }
      if (s->Count("c") != 2) return "Count is not 2";
      const float q[2] = {1, 0};
      const auto hits = s->Search("c", q, 1, 2, 5, "", true)[0];
      if (hits.size() != 2 || hits[0].id != "a" || !hits[0].metadata ||
          *hits[0].metadata != "{\"k\":1}")
        return "Search gave the wrong hits";
      if (s->List("c", 0, 0, false).size() != 2) return "List is not 2 rows";
      if (s->ListCollections().size() != 1) return "ListCollections is not 1";
      std::vector<float> v;
      if (!s->Get("c", "b", &v, nullptr) || v != std::vector<float>{0, 1}) return "Get failed";
      Rows more;
      more.Add("c", {1, 1});
      const std::string needle = read_only ? "opened read-only" : "folder is not writable";
      for (std::string why : {Refuses([&] { Upsert(*s, "c", more); }, EK_ERR_READ_ONLY, needle),
                              Refuses([&] { s->Delete("c", {"a"}); }, EK_ERR_READ_ONLY, needle),
                              Refuses([&] { s->CreateCollection("d", 2, Metric::kL2); },
                                      EK_ERR_READ_ONLY, needle)}) {
        if (!why.empty()) return why;
      }
      return {};
    });
    if (failure.rfind("skip:", 0) == 0) GTEST_SKIP() << failure;
    EXPECT_EQ(failure, "");
  }
  // Nothing was created next to the store.
  EXPECT_FALSE(fs::exists(path + "-wal"));
  EXPECT_FALSE(fs::exists(path + "-shm"));
}

// Issue 17, item 14: writing into a store with damaged pages succeeded and left wrong
// counts; opening it for writing now fails, naming the file, and writes nothing.
TEST(StoreFile, DamagedPagesAreRefusedWhenOpenedForWriting) {
  TempDir dir;
  const std::string path = dir.File("damaged.ekdb");
  {
    auto w = OpenStore(path);
    w->CreateCollection("c", 32, Metric::kDot);
    std::mt19937 rng(3);
    Rows r;
    for (int i = 0; i < 2000; ++i) r.Add("doc-" + std::to_string(i), RandomVector(rng, 32));
    Upsert(*w, "c", r);
  }
  ASSERT_FALSE(fs::exists(path + "-wal"));
  auto read_file = [&] {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string bytes = read_file();
  const size_t page = 4096, victim = bytes.size() / page / 2;  // a leaf of `vectors`
  ASSERT_EQ(bytes[victim * page], '\x0d') << "not a table b-tree leaf page";
  const char garbage[] = "\x0d\xff\xff\xff\xff\x00\x01\xff";
  bytes.replace(victim * page, 8, garbage, 8);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  auto msg = ErrorOf([&] { OpenStore(path); }, EK_ERR_CORRUPT);
  EXPECT_CONTAINS(msg, "store '" + path + "' is damaged");
  EXPECT_CONTAINS(msg, "quick_check");
  EXPECT_EQ(read_file(), bytes) << "the refused open changed the file";
  // Reading is still allowed (what is left can be rescued).
  auto ro = OpenStore(path, OpenOptions{.read_only = true});
  EXPECT_TRUE(ro->FindCollection("c"));
  // An intact store opens for writing as before.
  const std::string good = dir.File("good.ekdb");
  OpenStore(good)->CreateCollection("c", 2, Metric::kDot);
  EXPECT_NO_THROW(OpenStore(good));
}

// ---- Threads -----------------------------------------------------------------------------------

// Row i at version v: a vector derived from (i, v); metadata records both, so each hit
// can be checked against the vector it must have been scored with.
std::vector<float> Versioned(int i, int v, size_t dim) {
  std::vector<float> out(dim);
  for (size_t j = 0; j < dim; ++j) out[j] = std::sin(float(i * 31 + v * 7 + int(j) * 3)) + 0.1f * float(j);
  return out;
}

TEST(StoreThreads, SearchesStayConsistentWhileAnotherThreadUpserts) {
  EK_SKIP_WITHOUT_THREADS();
  const size_t dim = 16;
  ThreadPool pool(2);
  TempDir dir;
  auto s = OpenStore(dir.File("mt.ekdb"), {}, &pool);
  s->CreateCollection("c", dim, Metric::kDot);
  std::atomic<bool> done{false};
  std::atomic<int> checked{0};
  std::vector<float> q(dim);
  for (size_t j = 0; j < dim; ++j) q[j] = std::cos(float(j));

  std::thread writer([&] {
    std::mt19937 rng(11);
    for (int v = 1; v <= 150; ++v) {
      Rows batch;
      std::vector<int> picked;
      for (int t = 0; t < 8; ++t) {
        int i = static_cast<int>(rng() % 64);
        if (std::find(picked.begin(), picked.end(), i) != picked.end()) continue;
        picked.push_back(i);
        batch.Add("id" + std::to_string(i), Versioned(i, v, dim),
                  "{\"i\":" + std::to_string(i) + ",\"v\":" + std::to_string(v) + "}");
      }
      Upsert(*s, "c", batch);
      if (v % 10 == 0) s->Delete("c", {"id" + std::to_string(v % 64)});
    }
    done = true;
  });

  auto reader = [&] {
    while (!done) {
      auto hits = s->Search("c", q.data(), 1, dim, 64, "", true)[0];
      float prev = std::numeric_limits<float>::infinity();
      std::vector<std::string> seen;
      for (const Hit& h : hits) {
        ASSERT_TRUE(h.metadata.has_value());
        json::Config meta(*h.metadata, "metadata");
        const int i = static_cast<int>(meta.GetInt("i", -1));
        const int v = static_cast<int>(meta.GetInt("v", -1));
        ASSERT_EQ(h.id, "id" + std::to_string(i));
        const auto x = Versioned(i, v, dim);
        double want = 0;
        for (size_t j = 0; j < dim; ++j) want += double(q[j]) * x[j];
        ASSERT_NEAR(h.score, want, 1e-3) << h.id << " v" << v;
        ASSERT_LE(h.score, prev);
        prev = h.score;
        seen.push_back(h.id);
      }
      std::sort(seen.begin(), seen.end());
      ASSERT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "duplicate id";
      auto listed = s->List("c", 0, 0, false);
      ASSERT_LE(hits.size(), 64u);
      (void)listed;
      ++checked;
    }
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) readers.emplace_back(reader);
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_GT(checked.load(), 0);

  // Final state equals a fresh load from the file.
  auto fresh = OpenStore(dir.File("mt.ekdb"));
  auto a = s->Search("c", q.data(), 1, dim, 64, "", true)[0];
  auto b = fresh->Search("c", q.data(), 1, dim, 64, "", true)[0];
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].score, b[i].score);
    EXPECT_EQ(a[i].metadata, b[i].metadata);
  }
  EXPECT_EQ(IdsOf(s->List("c", 0, 0, false)), IdsOf(fresh->List("c", 0, 0, false)));
}

TEST(StoreThreads, TwoHandlesWritingConcurrentlyConverge) {
  EK_SKIP_WITHOUT_THREADS();
  TempDir dir;
  const std::string path = dir.File("conv.ekdb");
  auto a = OpenStore(path);
  auto b = OpenStore(path);
  a->CreateCollection("c", 2, Metric::kDot);
  auto work = [&](Store& s, const char* prefix) {
    for (int i = 0; i < 40; ++i) {
      Rows r;
      r.Add(std::string(prefix) + std::to_string(i), {float(i), 1});
      Upsert(s, "c", r);
      const float q[2] = {1, 0};
      s.Search("c", q, 1, 2, 5, "", false);
    }
  };
  std::thread ta([&] { work(*a, "a"); });
  std::thread tb([&] { work(*b, "b"); });
  ta.join();
  tb.join();
  EXPECT_EQ(a->Count("c"), 80u);
  EXPECT_EQ(b->Count("c"), 80u);
  EXPECT_EQ(IdsOf(a->List("c", 0, 0, false)), IdsOf(b->List("c", 0, 0, false)));
}

}  // namespace
}  // namespace ek::store
