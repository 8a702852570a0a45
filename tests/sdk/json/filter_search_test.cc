// ek_search_options.filter_json through the C API: a range and an IN list select the
// rows they should, and a malformed operator fails the search with the filter's own
// message.
#include <embedkit/embedkit.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

class FilterSearch : public ::testing::Test {
 protected:
  static constexpr size_t kRows = 30;

  void SetUp() override {
    ek_context_options o;
    ek_context_options_init(&o);
    o.plugin_path = "";
    ASSERT_EQ(ek_context_create(&o, &context_), EK_OK) << ek_last_error();
    ASSERT_EQ(ek_store_open(context_, ":memory:", nullptr, &store_), EK_OK) << ek_last_error();
    ASSERT_EQ(ek_collection_create(store_, "c", 2, EK_METRIC_DOT, &collection_), EK_OK) << ek_last_error();
    // Row i: year 2000 + i, lang en/de/fr in turn; row 9 has no year.
    const char* langs[] = {"en", "de", "fr"};
    std::vector<std::string> ids, metadata;
    std::vector<float> vectors;
    for (size_t i = 0; i < kRows; ++i) {
      ids.push_back("r" + std::to_string(i));
      metadata.push_back(std::string("{\"lang\":\"") + langs[i % 3] + "\"" +
                         (i == 9 ? "" : ",\"year\":" + std::to_string(2000 + i)) + "}");
      vectors.push_back(1.0f + static_cast<float>(i));
      vectors.push_back(0.0f);
    }
    std::vector<const char*> id_ptrs, meta_ptrs;
    for (size_t i = 0; i < kRows; ++i) {
      id_ptrs.push_back(ids[i].c_str());
      meta_ptrs.push_back(metadata[i].c_str());
    }
    ek_upsert_batch b{};
    b.struct_size = sizeof b;
    b.count = kRows;
    b.ids = id_ptrs.data();
    b.vectors = vectors.data();
    b.dim = 2;
    b.metadata_json = meta_ptrs.data();
    ASSERT_EQ(ek_collection_upsert(collection_, &b), EK_OK) << ek_last_error();
  }

  void TearDown() override {
    ek_collection_free(collection_);
    ek_store_free(store_);
    ek_context_free(context_);
  }

  // The ids a search with `filter` returns (k = 100), or the status when it fails.
  ek_status Search(const char* filter, std::set<std::string>* ids) {
    ek_search_options so;
    ek_search_options_init(&so);
    so.k = 100;
    so.filter_json = filter;
    const float q[2] = {1, 0};
    ek_results* r = nullptr;
    const ek_status s = ek_collection_search(collection_, q, 1, 2, &so, &r);
    if (s != EK_OK) return s;
    for (size_t i = 0; i < ek_results_hit_count(r, 0); ++i) {
      ek_hit h;
      h.struct_size = sizeof h;
      EXPECT_EQ(ek_results_hit(r, 0, i, &h), EK_OK);
      ids->insert(h.id);
    }
    ek_results_free(r);
    return EK_OK;
  }

  ek_context* context_ = nullptr;
  ek_store* store_ = nullptr;
  ek_collection* collection_ = nullptr;
};

TEST_F(FilterSearch, RangeAndInSelectTheirRows) {
  std::set<std::string> got;
  ASSERT_EQ(Search("{\"year\":{\"$gte\":2005,\"$lt\":2015},\"lang\":{\"$in\":[\"de\",\"fr\"]}}", &got), EK_OK)
      << ek_last_error();
  std::set<std::string> want;
  for (size_t i = 5; i < 15; ++i)
    if (i % 3 != 0 && i != 9) want.insert("r" + std::to_string(i));
  EXPECT_EQ(got, want);

  got.clear();  // The row without a year, through $null and $or.
  ASSERT_EQ(Search("{\"$or\":[{\"year\":{\"$null\":true}},{\"year\":{\"$gt\":2027}}]}", &got), EK_OK);
  EXPECT_EQ(got, (std::set<std::string>{"r9", "r28", "r29"}));
}

TEST_F(FilterSearch, MalformedOperatorFailsWithItsPlace) {
  std::set<std::string> got;
  EXPECT_EQ(Search("{\"$or\":[{\"lang\":\"en\"},{\"year\":{\"$gte\":true}}]}", &got), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ek_last_error()).find("filter: $or[1].year: $gte needs a number or a string, got a boolean"),
            std::string::npos)
      << ek_last_error();
}

}  // namespace
