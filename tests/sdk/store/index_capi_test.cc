// The index through the C ABI (ABI 1.2, issue 19): options structs and their defaults,
// callers built against ABI 1.1 (shorter structs, garbage in their padding), progress
// and cancel of a build through the context, precise refusals.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "embedkit/embedkit.h"
#include "test_util.h"

namespace {

using ek::test::TempDir;

class IndexCApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(ek_context_create(nullptr, &ctx_), EK_OK) << ek_last_error();
    ASSERT_EQ(ek_store_open(ctx_, dir_.File("s.ekdb").c_str(), nullptr, &store_), EK_OK)
        << ek_last_error();
  }
  void TearDown() override {
    ek_store_free(store_);
    ek_context_free(ctx_);
  }
  // n rows of dim 8 from a fixed seed, ids "r<i>".
  void Fill(ek_collection* c, size_t n) {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    std::vector<float> v(n * 8);
    for (float& x : v) x = normal(rng);
    std::vector<std::string> ids(n);
    std::vector<const char*> ptrs(n);
    for (size_t i = 0; i < n; ++i) {
      ids[i] = "r" + std::to_string(i);
      ptrs[i] = ids[i].c_str();
    }
    ek_upsert_batch b{};
    b.struct_size = sizeof(b);
    b.count = n;
    b.ids = ptrs.data();
    b.vectors = v.data();
    b.dim = 8;
    ASSERT_EQ(ek_collection_upsert(c, &b), EK_OK) << ek_last_error();
  }
  TempDir dir_;
  ek_context* ctx_ = nullptr;
  ek_store* store_ = nullptr;
};

ek_collection_options Hnsw() {
  ek_collection_options o;
  ek_collection_options_init(&o);
  o.index = EK_INDEX_HNSW;
  o.m = 8;
  o.ef_construction = 40;
  return o;
}

TEST_F(IndexCApi, CreateWithReportsItsIndexAndDefaults) {
  ek_collection_options o = Hnsw();
  o.element = EK_ELEMENT_INT8;
  ek_collection* c = nullptr;
  ASSERT_EQ(ek_collection_create_with(store_, "c", 8, EK_METRIC_COSINE, &o, &c), EK_OK)
      << ek_last_error();
  ek_index_info info{};
  info.struct_size = sizeof(info);
  ASSERT_EQ(ek_collection_index_info_get(c, &info), EK_OK) << ek_last_error();
  EXPECT_EQ(info.index, EK_INDEX_HNSW);
  EXPECT_EQ(info.element, EK_ELEMENT_INT8);
  EXPECT_EQ(info.m, 8u);
  EXPECT_EQ(info.ef_search, 64u);  // 0 in the options: the default
  EXPECT_EQ(info.rescore, 1u);
  EXPECT_EQ(info.index_state, 0u);
  EXPECT_GT(info.bytes_per_vector, 8u);  // the int8 code (8 bytes) + links + per-row overhead
  ek_collection_free(c);
  // Without options an existing collection is opened whatever its index (a plugin that
  // creates its collection on every call keeps working once a user indexed it) ...
  ASSERT_EQ(ek_collection_create(store_, "c", 8, EK_METRIC_COSINE, &c), EK_OK) << ek_last_error();
  ek_collection_free(c);
  ASSERT_EQ(ek_collection_create_with(store_, "c", 8, EK_METRIC_COSINE, nullptr, &c), EK_OK);
  ek_collection_free(c);
  // ... and with other options the first difference is named.
  o.element = EK_ELEMENT_F16;
  EXPECT_EQ(ek_collection_create_with(store_, "c", 8, EK_METRIC_COSINE, &o, &c),
            EK_ERR_ALREADY_EXISTS);
  EXPECT_NE(std::strstr(ek_last_error(), "element int8 vs f16"), nullptr) << ek_last_error();
  // NULL options: the plain exact f32 collection.
  ASSERT_EQ(ek_collection_create_with(store_, "plain", 8, EK_METRIC_L2, nullptr, &c), EK_OK);
  ASSERT_EQ(ek_collection_index_info_get(c, &info), EK_OK);
  EXPECT_EQ(info.index, EK_INDEX_EXACT);
  EXPECT_EQ(info.element, EK_ELEMENT_F32);
  EXPECT_EQ(info.m, 0u);
  ek_collection_free(c);
}

TEST_F(IndexCApi, BadOptionsAreRefusedWithTheirName) {
  ek_collection* c = nullptr;
  ek_collection_options o = Hnsw();
  o.element = 9;
  EXPECT_EQ(ek_collection_create_with(store_, "c", 8, EK_METRIC_COSINE, &o, &c),
            EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ek_last_error(), "element type 9"), nullptr) << ek_last_error();
  o = Hnsw();
  o.m = 300;
  EXPECT_EQ(ek_collection_create_with(store_, "c", 8, EK_METRIC_COSINE, &o, &c),
            EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ek_last_error(), "m is 300"), nullptr) << ek_last_error();
  o = Hnsw();
  o.struct_size = 3;
  EXPECT_EQ(ek_collection_create_with(store_, "c", 8, EK_METRIC_COSINE, &o, &c),
            EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(ek_collection_index_build(nullptr, nullptr), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(ek_collection_index_info_get(nullptr, nullptr), EK_ERR_INVALID_ARGUMENT);
}

TEST_F(IndexCApi, SearchWithTakesEfExactAndRescore) {
  ek_collection_options o = Hnsw();
  o.element = EK_ELEMENT_INT8;
  ek_collection* c = nullptr;
  ASSERT_EQ(ek_collection_create_with(store_, "c", 8, EK_METRIC_COSINE, &o, &c), EK_OK);
  Fill(c, 5000);  // above 4096 rows: the graph answers
  std::vector<float> q(8, 0.5f);
  ek_search_options s;
  ek_search_options_init(&s);
  s.k = 10;
  ek_index_search_options io;
  ek_index_search_options_init(&io);
  io.exact = 1;
  ek_results* exact = nullptr;
  ASSERT_EQ(ek_collection_search_with(c, q.data(), 1, 8, &s, &io, &exact), EK_OK) << ek_last_error();
  io.exact = 0;
  io.ef = 200;
  io.rescore = 8;
  ek_results* graph = nullptr;
  ASSERT_EQ(ek_collection_search_with(c, q.data(), 1, 8, &s, &io, &graph), EK_OK) << ek_last_error();
  ASSERT_EQ(ek_results_hit_count(exact, 0), 10u);
  ASSERT_EQ(ek_results_hit_count(graph, 0), 10u);
  ek_hit a{}, b{};
  a.struct_size = b.struct_size = sizeof(ek_hit);
  ASSERT_EQ(ek_results_hit(exact, 0, 0, &a), EK_OK);
  ASSERT_EQ(ek_results_hit(graph, 0, 0, &b), EK_OK);
  EXPECT_STREQ(a.id, b.id);  // rescored with the originals: the exact best, exact score
  EXPECT_NEAR(a.score, b.score, 1e-5);
  ek_results_free(exact);
  ek_results_free(graph);
  io.rescore = 5000;
  ek_results* r = nullptr;
  EXPECT_EQ(ek_collection_search_with(c, q.data(), 1, 8, &s, &io, &r), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(ek_last_error(), "ek_collection_search_with: index_options->rescore is 5000"),
            nullptr)
      << ek_last_error();
  EXPECT_EQ(r, nullptr);
  ek_collection_free(c);
}

struct Progress {
  int calls = 0;
  uint64_t last_done = 0, last_total = 0;
  int stop_at = -1;
};

int32_t OnProgress(void* user, const char* task, uint64_t done, uint64_t total) {
  auto* p = static_cast<Progress*>(user);
  EXPECT_STREQ(task, "index build");
  p->last_done = done;
  p->last_total = total;
  return ++p->calls == p->stop_at ? 1 : 0;
}

TEST_F(IndexCApi, BuildReportsProgressAndACancelKeepsTheOldIndex) {
  ek_collection* c = nullptr;
  ASSERT_EQ(ek_collection_create(store_, "c", 8, EK_METRIC_COSINE, &c), EK_OK);
  Fill(c, 3000);
  Progress p;
  p.stop_at = 1;
  ASSERT_EQ(ek_context_set_progress(ctx_, &OnProgress, &p), EK_OK);
  ek_collection_options o = Hnsw();
  EXPECT_EQ(ek_collection_index_build(c, &o), EK_ERR_CANCELLED);
  EXPECT_NE(std::strstr(ek_last_error(), "keeps its previous index"), nullptr) << ek_last_error();
  ek_index_info info{};
  info.struct_size = sizeof(info);
  ASSERT_EQ(ek_collection_index_info_get(c, &info), EK_OK);
  EXPECT_EQ(info.index, EK_INDEX_EXACT);
  p = Progress{};
  ASSERT_EQ(ek_context_reset_cancel(ctx_), EK_OK);  // a cancel stays until reset
  ASSERT_EQ(ek_collection_index_build(c, &o), EK_OK) << ek_last_error();
  EXPECT_EQ(p.last_done, 3000u);
  EXPECT_EQ(p.last_total, 3000u);
  ASSERT_EQ(ek_collection_index_info_get(c, &info), EK_OK);
  EXPECT_EQ(info.index, EK_INDEX_HNSW);
  // Inside a transaction a build is refused.
  ASSERT_EQ(ek_store_begin(store_), EK_OK);
  EXPECT_EQ(ek_collection_index_build(c, nullptr), EK_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(ek_store_rollback(store_), EK_OK);
  uint64_t freed = 1;
  EXPECT_EQ(ek_collection_index_compact(c, &freed), EK_OK) << ek_last_error();
  ek_collection_free(c);
}

}  // namespace
