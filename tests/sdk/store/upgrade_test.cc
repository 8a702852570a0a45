// Stores written by earlier releases (tests/fixture/store_v1, tests/fixture/store_v2),
// read through store::Store: as they are when opened read-only, upgraded in place when
// opened for writing. The fixtures themselves are never opened: each test copies one.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "kernels/kernels.h"
#include "store/store.h"
#include "test_util.h"

#ifndef EK_STORE_V2_DIR
#error "EK_STORE_V2_DIR (tests/fixture/store_v2) must be defined by the build"
#endif

namespace ek::store {
namespace {

namespace fs = std::filesystem;
using ek::test::TempDir;

void CpuScan(const kernels::ScanRequest& request, uint64_t /*content_key*/, ThreadPool* pool,
             uint32_t* out_rows, float* out_scores, size_t* out_counts) {
  kernels::ScanTopK(request, pool, out_rows, out_scores, out_counts);
}

std::unique_ptr<Store> OpenStore(const std::string& path, bool read_only = false) {
  return Store::Open(path, OpenOptions{.read_only = read_only, .must_exist = true}, nullptr,
                     &CpuScan);
}

std::string FixtureFile(const std::string& name) { return std::string(EK_STORE_V2_DIR) + "/" + name; }

// A copy of the v2 fixture store in `dir`.
std::string CopyOfV2(const TempDir& dir) {
  const std::string path = dir.File("store_v2.ekdb");
  fs::copy_file(FixtureFile("store_v2.ekdb"), path);
  return path;
}

// One line of inputs/reads.tsv with the hits expected.jsonl records for it.
struct Read {
  std::string collection;
  std::vector<float> query;
  size_t k = 0;
  std::string filter;
  std::vector<std::pair<std::string, float>> hits;  // (id, score) by rank
};

std::vector<float> ParseFloats(const std::string& csv) {
  std::vector<float> out;
  std::stringstream in(csv);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stof(item));
  return out;
}

std::vector<Read> RecordedReads() {
  std::ifstream reads(FixtureFile("inputs/reads.tsv"));
  std::ifstream expected(FixtureFile("expected.jsonl"));
  // The CLI's --json hit: {"rank":N,"id":"...","score":S,"metadata":...}.
  const std::regex hit(R"re("rank":\d+,"id":"([^"]*)","score":([-+0-9.eE]+))re");
  std::vector<Read> out;
  for (std::string line, json; std::getline(reads, line);) {
    Read r;
    std::stringstream fields(line);
    std::string query, k;
    std::getline(fields, r.collection, '\t');
    std::getline(fields, query, '\t');
    std::getline(fields, k, '\t');
    std::getline(fields, r.filter, '\t');
    r.query = ParseFloats(query);
    r.k = std::stoul(k);
    EXPECT_TRUE(std::getline(expected, json)) << "expected.jsonl has fewer lines than reads.tsv";
    for (std::sregex_iterator m(json.begin(), json.end(), hit), end; m != end; ++m)
      r.hits.emplace_back((*m)[1].str(), std::stof((*m)[2].str()));
    out.push_back(std::move(r));
  }
  EXPECT_EQ(out.size(), 5u);
  return out;
}

// Every recorded read answers on `s` as the release that wrote the fixture printed it.
// Scores within 1e-5: the recorded ones went through the CLI's shortest float printing
// on one machine, and another SIMD target may round the last bit differently.
void ExpectRecordedReads(Store& s) {
  for (const Read& r : RecordedReads()) {
    SCOPED_TRACE(r.collection + " k=" + std::to_string(r.k) + " filter=" + r.filter);
    const auto got = s.Search(r.collection, r.query.data(), 1, r.query.size(), r.k, r.filter,
                              false)[0];
    ASSERT_EQ(got.size(), r.hits.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].id, r.hits[i].first) << "rank " << i + 1;
      EXPECT_NEAR(got[i].score, r.hits[i].second, 1e-5) << "rank " << i + 1;
    }
  }
}

// "name dim count" for every collection, in name order.
std::vector<std::string> Collections(Store& s) {
  std::vector<std::string> out;
  for (const CollectionInfo& c : s.ListCollections())
    out.push_back(c.name + " " + std::to_string(c.dim) + " " + std::to_string(c.count));
  return out;
}

// What tests/fixture/store_v2/store_v2.ekdb holds (make.sh there).
const std::vector<std::string> kV2Collections = {"docs 8 40", "empty 4 0", "points 8 30"};

std::string KvValue(Store& s, std::string_view ns, std::string_view key) {
  std::string out = "<missing>";
  s.KvGet(ns, key, [&](kv::Kind, std::string_view bytes) { out = bytes; });
  return out;
}

TEST(StoreV2Fixture, OpensReadOnlyAndAnswersAsRecorded) {
  TempDir dir;
  const std::string path = CopyOfV2(dir);
  auto s = OpenStore(path, /*read_only=*/true);
  EXPECT_EQ(Collections(*s), kV2Collections);
  EXPECT_EQ(KvValue(*s, "app", "settings"), R"({"fixture":"store_v2"})");
  ExpectRecordedReads(*s);
}

}  // namespace
}  // namespace ek::store
