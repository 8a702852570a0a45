// embedkit.rec_unlearn through the public API only (libembedkit + ext/recommender.h):
// seeded determinism, refusals of bad input, persistence, the compliance byte scan
// of the store file, cancellation, and — on MovieLens 100K (skipped with a message
// when ../shared/data is absent) — ranking quality above a popularity baseline and
// MMRecUn against Gold / fine-tune / no-op for all three request kinds.
#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cmd_rec_harness.h"

#ifndef EK_SHARED_DATA_DIR
#error "EK_SHARED_DATA_DIR must be defined by the build"
#endif
#ifndef REC_UNLEARN_MODULE
#error "REC_UNLEARN_MODULE must be defined by the build"
#endif

namespace {

namespace h = ek::rec_harness;
namespace fs = std::filesystem;

struct Ctx {
  ek_context* ctx = nullptr;
  explicit Ctx(uint32_t threads = 0, bool bundled = true) {
    ek_context_options o;
    ek_context_options_init(&o);
    o.num_threads = threads;
    o.log_level = EK_LOG_ERROR;
    o.no_bundled_plugins = bundled ? 0 : 1;
    EXPECT_EQ(ek_context_create(&o, &ctx), EK_OK) << ek_last_error();
  }
  ~Ctx() { ek_context_free(ctx); }
};

std::string MlDir() { return std::string(EK_SHARED_DATA_DIR) + "/rec/ml-100k"; }
bool HaveMl() { return fs::exists(MlDir() + "/u.data") && fs::exists(MlDir() + "/u.item"); }
#define REQUIRE_ML()                                                                  \
  if (!HaveMl()) GTEST_SKIP() << "MovieLens 100K not found at " << MlDir()           \
                              << " (../shared/data is absent): ML-100K test skipped"

// A small synthetic world: 3 taste groups of users, each liking one block of items.
std::vector<h::Row> Synthetic(size_t users = 60, size_t items = 30) {
  std::vector<h::Row> rows;
  for (size_t u = 0; u < users; ++u) {
    const size_t g = u % 3;
    for (size_t i = 0; i < items; ++i) {
      if (i % 3 != g) continue;
      if ((u * 7 + i * 3) % 5 == 0) continue;  // leave some unseen
      rows.push_back({"user-" + std::to_string(u), "item-" + std::to_string(i), 5.0f, int64_t(u * 100 + i)});
    }
  }
  return rows;
}

const char* kSmall = R"({"dim": 16, "epochs": 30, "lr": 0.05, "seed": 7, "text_dim": 0})";

std::vector<std::string> Recommend(h::Rec& r, const std::string& user, size_t k, bool exclude = true) {
  std::vector<const char*> ids(k);
  std::vector<float> sc(k);
  size_t got = 0;
  r.Check(r.rec()->recommend(r.self(), user.c_str(), k, exclude ? 1 : 0, ids.data(), sc.data(), &got), "recommend");
  return std::vector<std::string>(ids.begin(), ids.begin() + got);
}

std::vector<float> ScoresOf(h::Rec& r, const std::string& user, const std::vector<std::string>& items) {
  std::vector<const char*> ids;
  for (auto& s : items) ids.push_back(s.c_str());
  std::vector<float> out(items.size());
  r.Check(r.rec()->score(r.self(), user.c_str(), ids.data(), ids.size(), out.data()), "score");
  return out;
}

TEST(RecUnlearn, ExtensionsAreOfferedAndTheModuleLoadsIntoABareContext) {
  Ctx c(1, false);
  const char* id = nullptr;
  ASSERT_EQ(ek_plugin_load(c.ctx, REC_UNLEARN_MODULE, &id), EK_OK) << ek_last_error();
  EXPECT_STREQ(id, "embedkit.rec_unlearn");
  h::Rec r(c.ctx, kSmall);
  r.Add(Synthetic());
  r.Train();
  EXPECT_EQ(Recommend(r, "user-0", 5).size(), 5u);
}

TEST(RecUnlearn, LearnsTheTasteGroupsAndExcludesSeenItems) {
  Ctx c(1);
  h::Rec r(c.ctx, kSmall);
  const auto rows = Synthetic();
  r.Add(rows);
  const auto rep = r.Train();
  EXPECT_EQ(rep.epochs, 30u);
  EXPECT_GT(rep.samples, 0u);
  EXPECT_LT(rep.last_loss, 0.5);
  // user-0 is in group 0 (items 0, 3, 6, ...); its two unseen group items (0 and 15)
  // come first.
  std::set<std::string> seen;
  for (auto& x : rows)
    if (x.user == "user-0") seen.insert(x.item);
  const auto top = Recommend(r, "user-0", 2);
  ASSERT_EQ(top.size(), 2u);
  for (auto& it : top) {
    EXPECT_FALSE(seen.count(it)) << it;
    EXPECT_EQ(std::stoi(it.substr(5)) % 3, 0) << it;
  }
  const auto all = Recommend(r, "user-0", 30, false);
  EXPECT_EQ(all.size(), 30u);
}

TEST(RecUnlearn, SingleThreadTrainingIsDeterministicPerSeed) {
  auto scores = [](const char* cfg) {
    Ctx c(1);
    h::Rec r(c.ctx, cfg);
    r.Add(Synthetic());
    r.Train();
    return ScoresOf(r, "user-4", {"item-1", "item-2", "item-9"});
  };
  const auto a = scores(kSmall), b = scores(kSmall);
  EXPECT_EQ(a, b);
  const auto d = scores(R"({"dim": 16, "epochs": 30, "lr": 0.05, "seed": 8, "text_dim": 0})");
  EXPECT_NE(a, d);
}

TEST(RecUnlearn, BadInputGivesClearErrors) {
  Ctx c(1);
  ek_instance* inst = nullptr;
  EXPECT_EQ(ek_instance_create(c.ctx, "embedkit.rec_unlearn", R"({"dim": 0})", &inst), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ek_last_error()).find("\"dim\" is 0"), std::string::npos) << ek_last_error();
  EXPECT_EQ(ek_instance_create(c.ctx, "embedkit.rec_unlearn", R"({"optimizer": "lbfgs"})", &inst), EK_ERR_INVALID_ARGUMENT);
  // plugins/common's config reader: the key is named as a config key, and a long value
  // is read whole and refused for what it is (the private reader's 64-byte buffer
  // failed it as too small for the buffer)
  const std::string long_name = R"({"unlearn_optimizer": ")" + std::string(100, 'x') + R"("})";
  EXPECT_EQ(ek_instance_create(c.ctx, "embedkit.rec_unlearn", long_name.c_str(), &inst), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ek_last_error()).find("config \"unlearn_optimizer\" is \"xxxx"), std::string::npos)
      << ek_last_error();

  h::Rec r(c.ctx, kSmall);
  ek_forget_report rep{};
  // before training
  EXPECT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"user-1"}, {}, 0, nullptr, &rep), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.rec()->train(r.self(), nullptr, nullptr), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(r.error()).find("no interactions"), std::string::npos) << r.error();
  r.Add(Synthetic());
  r.Train();
  // unknown ids
  EXPECT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"nobody"}, {}, 0, nullptr, &rep), EK_ERR_NOT_FOUND);
  EXPECT_NE(std::string(r.error()).find("unknown user 'nobody'"), std::string::npos) << r.error();
  EXPECT_EQ(r.Forget(EK_FORGET_INTERACTIONS, EK_UNLEARN_MMRECUN, {"user-0"}, {"item-1"}, 0, nullptr, &rep),
            EK_ERR_NOT_FOUND);
  EXPECT_NE(std::string(r.error()).find("is not a training interaction"), std::string::npos) << r.error();
  // empty forget set
  EXPECT_EQ(r.Forget(EK_FORGET_ITEMS, EK_UNLEARN_MMRECUN, {}, {}, 0, nullptr, &rep), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(r.error()).find("empty"), std::string::npos) << r.error();
  // forgetting everything
  std::vector<std::string> all;
  for (int u = 0; u < 60; ++u) all.push_back("user-" + std::to_string(u));
  EXPECT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, all, {}, 0, nullptr, &rep), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(r.error()).find("every interaction"), std::string::npos) << r.error();
  // bad kind / method / options
  EXPECT_EQ(r.Forget(7, EK_UNLEARN_MMRECUN, {"user-1"}, {}, 0, nullptr, &rep), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.Forget(EK_FORGET_USERS, 9, {"user-1"}, {}, 0, nullptr, &rep), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"user-1"}, {}, 0, R"({"alpha": -1})", &rep),
            EK_ERR_INVALID_ARGUMENT);
  // nothing changed by the refused requests
  ek_rec_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(r.rec()->stats(r.self(), &st), EK_OK);
  EXPECT_EQ(st.users, 60u);
  EXPECT_EQ(st.interactions, Synthetic().size());
  // recommend
  std::vector<const char*> ids(4);
  size_t got = 0;
  EXPECT_EQ(r.rec()->recommend(r.self(), "ghost", 4, 1, ids.data(), nullptr, &got), EK_ERR_NOT_FOUND);
  EXPECT_EQ(r.rec()->recommend(r.self(), "user-1", 0, 1, ids.data(), nullptr, &got), EK_ERR_INVALID_ARGUMENT);
  // control characters in ids
  const char* bad_u[] = {"a\tb"};
  const char* bad_i[] = {"x"};
  ek_rec_interactions x{};
  x.struct_size = sizeof x;
  x.count = 1;
  x.users = bad_u;
  x.items = bad_i;
  EXPECT_EQ(r.rec()->add_interactions(r.self(), &x), EK_ERR_INVALID_ARGUMENT);
}

// EK_FORGET_SKIP_UNKNOWN (what a request sent to every shard needs): ids the model
// does not hold are passed over, the rest is forgotten exactly as a request naming only
// them would (same digest), and a request naming nothing held changes nothing.
TEST(RecUnlearn, SkipUnknownForgetsWhatIsHeldAndNothingElse) {
  Ctx c(1);
  h::Rec a(c.ctx, kSmall), b(c.ctx, kSmall);
  for (h::Rec* r : {&a, &b}) {
    r->Add(Synthetic());
    r->Train();
  }
  ek_forget_report got{}, want{};
  ASSERT_EQ(a.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"user-1", "nobody", "user-2"}, {}, EK_FORGET_SKIP_UNKNOWN,
                     nullptr, &got), EK_OK) << a.error();
  ASSERT_EQ(b.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"user-1", "user-2"}, {}, 0, nullptr, &want), EK_OK);
  EXPECT_EQ(got.users_removed, 2u);
  EXPECT_EQ(got.interactions_removed, want.interactions_removed);
  EXPECT_STREQ(got.digest, want.digest);
  // Nothing held (user-1 is forgotten now): no change, no ledger entry, zeros.
  ASSERT_EQ(a.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"nobody", "user-1"}, {}, EK_FORGET_SKIP_UNKNOWN, nullptr,
                     &got), EK_OK) << a.error();
  EXPECT_EQ(got.interactions_removed + got.users_removed + got.items_removed, 0u);
  EXPECT_STREQ(got.request_id, "");
  ek_rec_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(a.rec()->stats(a.self(), &st), EK_OK);
  EXPECT_EQ(st.users, 58u);
  // Pairs: an unknown user and a pair that is not a training interaction are passed over.
  ASSERT_EQ(a.Forget(EK_FORGET_INTERACTIONS, EK_UNLEARN_NOOP, {"user-3", "user-0", "ghost"},
                     {"item-0", "item-1", "item-0"}, EK_FORGET_SKIP_UNKNOWN, nullptr, &got), EK_OK) << a.error();
  EXPECT_EQ(got.interactions_removed, 1u);
  ASSERT_EQ(a.Forget(EK_FORGET_ITEMS, EK_UNLEARN_NOOP, {}, {"item-0", "no-such-item"}, EK_FORGET_SKIP_UNKNOWN,
                     nullptr, &got), EK_OK) << a.error();
  EXPECT_EQ(got.items_removed, 1u);
  // Malformed ids and unknown flag bits are still refused.
  EXPECT_EQ(a.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"a\tb"}, {}, EK_FORGET_SKIP_UNKNOWN, nullptr, &got),
            EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(a.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"user-4"}, {}, 0x4u, nullptr, &got), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(a.error()).find("unknown bits 0x4"), std::string::npos) << a.error();
}

TEST(RecUnlearn, UnlearningMovesForgottenPairsDownAndRemovesUsers) {
  Ctx c(1);
  h::Rec r(c.ctx, kSmall);
  r.Add(Synthetic());
  r.Train();
  const std::vector<std::string> items = {"item-0", "item-3", "item-6", "item-9"};
  // user-0 saw items 0..: find its training items among these
  std::vector<std::string> fu, fi;
  for (auto& it : items) {
    fu.push_back("user-0");
    fi.push_back(it);
  }
  // keep only real training pairs
  std::vector<std::string> pu, pi;
  for (auto& x : Synthetic())
    if (x.user == "user-0" && std::find(items.begin(), items.end(), x.item) != items.end()) {
      pu.push_back(x.user);
      pi.push_back(x.item);
    }
  ASSERT_GE(pi.size(), 2u);
  const auto before = ScoresOf(r, "user-0", pi);
  ek_forget_report rep{};
  ASSERT_EQ(r.Forget(EK_FORGET_INTERACTIONS, EK_UNLEARN_MMRECUN, pu, pi, 0, R"({"unlearn_epochs": 10})", &rep), EK_OK)
      << r.error();
  EXPECT_EQ(rep.interactions_removed, pi.size());
  EXPECT_EQ(std::string(rep.digest).size(), 64u);
  const auto after = ScoresOf(r, "user-0", pi);
  for (size_t k = 0; k < pi.size(); ++k) EXPECT_LT(after[k], before[k]) << pi[k];
  // The forgotten items may be recommended again (they are no longer "seen") but
  // now rank below the user's other group items.
  const auto top = Recommend(r, "user-0", 30);
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(std::find(top.begin(), top.begin() + 1, pi[0]), top.begin() + 1);

  ASSERT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"user-5"}, {}, 0, nullptr, &rep), EK_OK) << r.error();
  EXPECT_EQ(rep.users_removed, 1u);
  std::vector<const char*> ids(3);
  size_t got = 0;
  EXPECT_EQ(r.rec()->recommend(r.self(), "user-5", 3, 1, ids.data(), nullptr, &got), EK_ERR_NOT_FOUND);
  // forgotten items are never recommended
  ASSERT_EQ(r.Forget(EK_FORGET_ITEMS, EK_UNLEARN_NOOP, {}, {"item-3"}, 0, nullptr, &rep), EK_OK) << r.error();
  for (auto& it : Recommend(r, "user-3", 29, false)) EXPECT_NE(it, "item-3");
}

// The early stop on the forget set's sampled AUC (forget_auc, default 0.5 = chance):
// a forgotten user's re-drawn row ranks its former items at chance almost at once, so
// the request ends well before unlearn_epochs; with the stop off it runs them all, and
// forgotten interactions of a retained user (trained pairs rank far above chance)
// never reach it.
TEST(RecUnlearn, UnlearningStopsEarlyOnceTheForgetSetRanksAtChance) {
  Ctx c(1);
  h::Rec r(c.ctx, kSmall);
  r.Add(Synthetic());
  r.Train();
  ek_forget_report rep{};
  ASSERT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"user-5"}, {}, 0, R"({"unlearn_epochs": 20})", &rep), EK_OK)
      << r.error();
  EXPECT_GE(rep.epochs, 1u);
  EXPECT_LT(rep.epochs, 20u);
  ASSERT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"user-8"}, {}, 0,
                     R"({"unlearn_epochs": 20, "forget_auc": 0})", &rep), EK_OK)
      << r.error();
  EXPECT_EQ(rep.epochs, 20u);
  std::vector<std::string> pu, pi;
  for (auto& x : Synthetic())
    if (x.user == "user-0" && pi.size() < 2) {
      pu.push_back(x.user);
      pi.push_back(x.item);
    }
  ASSERT_EQ(r.Forget(EK_FORGET_INTERACTIONS, EK_UNLEARN_MMRECUN, pu, pi, 0, R"({"unlearn_epochs": 4})", &rep), EK_OK)
      << r.error();
  EXPECT_EQ(rep.epochs, 4u);
}

// Every byte of the store file and its WAL, after the store is closed.
std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }
// The key/value namespace the plugin keeps a model's meta record and ledger under.
constexpr const char* kRecNamespace = "embedkit.rec_unlearn";

TEST(RecUnlearn, ForgottenDataLeavesTheStoreFileAndTheLedgerKeepsOnlyAHash) {
  const std::string path = (fs::temp_directory_path() / ("rec_unlearn_scan_" + std::to_string(::getpid()) + ".ekdb")).string();
  fs::remove(path);
  fs::remove(path + "-wal");
  // distinctive ids so that a byte scan cannot match by accident
  std::vector<h::Row> rows = Synthetic();
  rows.push_back({"alice-secret-user", "item-0", 5, 1});
  rows.push_back({"alice-secret-user", "item-3", 5, 2});
  rows.push_back({"bob-retained-user", "item-1", 5, 3});
  rows.push_back({"bob-retained-user", "licensed-film-xyz", 5, 4});
  rows.push_back({"user-1", "licensed-film-xyz", 5, 5});
  rows.push_back({"user-2", "carol-pair-item", 5, 6});
  h::Items items;
  items.ids = {"licensed-film-xyz", "item-1"};
  items.flag_dim = 2;
  items.flags = {1, 0, 0, 1};
  items.titles = {"Revoked Licence Title (1999)", "Kept Title (2001)"};
  Ctx c(1);
  std::vector<std::string> before_recs;
  {
    ek_store* store = nullptr;
    ASSERT_EQ(ek_store_open(c.ctx, path.c_str(), nullptr, &store), EK_OK) << ek_last_error();
    h::Rec r(c.ctx, R"({"dim": 16, "epochs": 20, "lr": 0.05, "text_dim": 32})");
    r.AddItems(items);
    r.Add(rows);
    r.Train();
    ASSERT_EQ(r.rec()->save(r.self(), store, "movies"), EK_OK) << r.error();
    ek_forget_report rep{};
    ASSERT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"alice-secret-user"}, {}, 0, nullptr, &rep), EK_OK) << r.error();
    ASSERT_EQ(r.Forget(EK_FORGET_ITEMS, EK_UNLEARN_FINETUNE, {}, {"licensed-film-xyz"}, 0, nullptr, &rep), EK_OK) << r.error();
    ASSERT_EQ(r.Forget(EK_FORGET_INTERACTIONS, EK_UNLEARN_GOLD, {"user-2"}, {"carol-pair-item"}, 0, nullptr, &rep), EK_OK)
        << r.error();
    EXPECT_STREQ(rep.request_id, "req-3");
    before_recs = Recommend(r, "user-7", 5);
    // the ledger, in the store's key/value state: one key per request, done, with a
    // digest and counts, never the ids; nothing pending
    ek_results* res = nullptr;
    ASSERT_EQ(ek_store_kv_list(store, kRecNamespace, "movies/ledger/", nullptr, 0, 1, &res), EK_OK) << ek_last_error();
    ASSERT_EQ(ek_results_hit_count(res, 0), 3u);
    for (size_t k = 0; k < 3; ++k) {
      ek_hit hit{};
      hit.struct_size = sizeof hit;
      ASSERT_EQ(ek_results_hit(res, 0, k, &hit), EK_OK);
      EXPECT_EQ(std::string(hit.id), "movies/ledger/req-" + std::to_string(k + 1));
      const std::string meta = hit.metadata_json;
      EXPECT_TRUE(Contains(meta, "\"status\":\"done\"")) << meta;
      EXPECT_TRUE(Contains(meta, "\"sha256\":\"")) << meta;
      EXPECT_FALSE(Contains(meta, "alice") || Contains(meta, "licensed") || Contains(meta, "carol")) << meta;
    }
    ek_results_free(res);
    ASSERT_EQ(ek_store_kv_list(store, kRecNamespace, "movies/pending/", nullptr, 0, 0, &res), EK_OK);
    EXPECT_EQ(ek_results_hit_count(res, 0), 0u);
    ek_results_free(res);
    // the meta record, by its key; no fake vector collections
    char meta[512];
    size_t length = 0;
    ASSERT_EQ(ek_store_kv_get(store, kRecNamespace, "movies/meta", meta, sizeof meta, &length, nullptr), EK_OK)
        << ek_last_error();
    EXPECT_TRUE(Contains(meta, "\"format\":1,") && Contains(meta, "\"dim\":16,") && Contains(meta, "\"requests\":3,"))
        << meta;
    ek_collection* old = nullptr;
    EXPECT_EQ(ek_collection_open(store, "movies.meta", &old), EK_ERR_NOT_FOUND);
    EXPECT_EQ(ek_collection_open(store, "movies.ledger", &old), EK_ERR_NOT_FOUND);
    ek_store_free(store);
  }
  const std::string bytes = FileBytes(path) + FileBytes(path + "-wal");
  ASSERT_GT(bytes.size(), 4096u);
  // positive controls: retained data is in the file
  EXPECT_TRUE(Contains(bytes, "bob-retained-user"));
  EXPECT_TRUE(Contains(bytes, "Kept Title (2001)"));
  // forgotten data is not: user, item, title, pair
  EXPECT_FALSE(Contains(bytes, "alice-secret-user"));
  EXPECT_FALSE(Contains(bytes, "licensed-film-xyz"));
  EXPECT_FALSE(Contains(bytes, "Revoked Licence Title"));
  EXPECT_FALSE(Contains(bytes, std::string("user-2\x1f") + "carol-pair-item"));

  // reload: same recommendations, counts without the forgotten data
  {
    ek_store* store = nullptr;
    ASSERT_EQ(ek_store_open(c.ctx, path.c_str(), nullptr, &store), EK_OK) << ek_last_error();
    h::Rec r(c.ctx, "{}");
    ASSERT_EQ(r.rec()->load(r.self(), store, "movies"), EK_OK) << r.error();
    EXPECT_EQ(Recommend(r, "user-7", 5), before_recs);
    ek_rec_stats st{};
    st.struct_size = sizeof st;
    ASSERT_EQ(r.rec()->stats(r.self(), &st), EK_OK);
    EXPECT_EQ(st.interactions, rows.size() - 2 - 2 - 1);
    EXPECT_EQ(st.pending_requests, 0u);
    ek_forget_report rep{};
    EXPECT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"alice-secret-user"}, {}, 0, nullptr, &rep), EK_ERR_NOT_FOUND);
    EXPECT_EQ(r.rec()->load(r.self(), store, "nothing-here"), EK_ERR_NOT_FOUND);
    // a model written by another format version
    const std::string format2 = R"({"format":2,"dim":16})";
    ASSERT_EQ(ek_store_kv_put(store, kRecNamespace, "movies/meta", format2.data(), format2.size(), EK_VALUE_JSON), EK_OK)
        << ek_last_error();
    h::Rec r2(c.ctx, "{}");
    EXPECT_EQ(r2.rec()->load(r2.self(), store, "movies"), EK_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(r2.error()).find("format 2"), std::string::npos) << r2.error();
    ek_store_free(store);
  }
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
}

int32_t CancelAfterTwo(void* user, const char*, uint64_t done, uint64_t) {
  return done >= 2 ? 1 : (*static_cast<int*>(user) += 1, 0);
}

TEST(RecUnlearn, CancellationLeavesThePreviousModel) {
  Ctx c(1);
  h::Rec r(c.ctx, kSmall);
  r.Add(Synthetic());
  r.Train();
  const auto before = ScoresOf(r, "user-4", {"item-1", "item-2"});
  int calls = 0;
  ASSERT_EQ(ek_context_set_progress(c.ctx, CancelAfterTwo, &calls), EK_OK);
  EXPECT_EQ(r.rec()->train(r.self(), R"({"seed": 99})", nullptr), EK_ERR_CANCELLED);
  EXPECT_GE(calls, 1);
  EXPECT_EQ(ScoresOf(r, "user-4", {"item-1", "item-2"}), before);
  ASSERT_EQ(ek_context_set_progress(c.ctx, nullptr, nullptr), EK_OK);
}

// A cancelled request leaves a pending key beside its ledger entry, found by prefix on
// load; a model name with '/' is escaped in the keys, so "shop/eu" cannot read or
// count the keys of a model "shop".
TEST(RecUnlearn, ACancelledRequestIsFoundByItsPendingKey) {
  Ctx c(1);
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_open(c.ctx, ":memory:", nullptr, &store), EK_OK) << ek_last_error();
  h::Rec r(c.ctx, kSmall);
  r.Add(Synthetic());
  r.Train();
  ASSERT_EQ(r.rec()->save(r.self(), store, "shop/eu"), EK_OK) << r.error();
  int calls = 0;
  ASSERT_EQ(ek_context_set_progress(c.ctx, CancelAfterTwo, &calls), EK_OK);
  ek_forget_report rep{};
  EXPECT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"user-5"}, {}, 0,
                     R"({"unlearn_epochs": 20, "forget_auc": 0})", &rep),
            EK_ERR_CANCELLED);
  ASSERT_EQ(ek_context_set_progress(c.ctx, nullptr, nullptr), EK_OK);
  ek_results* res = nullptr;
  ASSERT_EQ(ek_store_kv_list(store, kRecNamespace, "shop%2Feu/pending/", nullptr, 0, 0, &res), EK_OK);
  ASSERT_EQ(ek_results_hit_count(res, 0), 1u);
  ek_hit hit{};
  hit.struct_size = sizeof hit;
  ASSERT_EQ(ek_results_hit(res, 0, 0, &hit), EK_OK);
  EXPECT_STREQ(hit.id, "shop%2Feu/pending/req-1");
  ek_results_free(res);
  char entry[512];
  size_t length = 0;
  ASSERT_EQ(ek_store_kv_get(store, kRecNamespace, "shop%2Feu/ledger/req-1", entry, sizeof entry, &length, nullptr),
            EK_OK);
  EXPECT_TRUE(Contains(entry, "\"status\":\"cancelled\"")) << entry;

  h::Rec loaded(c.ctx, "{}");
  ASSERT_EQ(loaded.rec()->load(loaded.self(), store, "shop/eu"), EK_OK) << loaded.error();
  ek_rec_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(loaded.rec()->stats(loaded.self(), &st), EK_OK);
  EXPECT_EQ(st.pending_requests, 1u);
  EXPECT_EQ(loaded.rec()->load(loaded.self(), store, "shop"), EK_ERR_NOT_FOUND);
  ek_store_free(store);
}

std::string KvValue(ek_store* store, const std::string& key) {
  char value[512] = {};
  size_t length = 0;
  EXPECT_EQ(ek_store_kv_get(store, kRecNamespace, key.c_str(), value, sizeof value - 1, &length, nullptr), EK_OK)
      << key << ": " << ek_last_error();
  return value;
}

// Training a new instance and saving it over a stored model keeps that model's ledger
// and goes on numbering its requests: the next forget is req-3, req-1 (the earlier
// instance's request) is still the entry it wrote, and the cancelled req-2 is still
// counted as pending, as a load would count it.
TEST(RecUnlearn, RetrainingOverAStoredModelKeepsItsLedgerAndRequestNumbers) {
  Ctx c(1);
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_open(c.ctx, ":memory:", nullptr, &store), EK_OK) << ek_last_error();
  ek_forget_report first{};
  {
    h::Rec r(c.ctx, kSmall);
    r.Add(Synthetic());
    r.Train();
    ASSERT_EQ(r.rec()->save(r.self(), store, "shop"), EK_OK) << r.error();
    ASSERT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"user-5"}, {}, 0, nullptr, &first), EK_OK) << r.error();
    ASSERT_STREQ(first.request_id, "req-1");
    int calls = 0;
    ek_forget_report cancelled{};
    ASSERT_EQ(ek_context_set_progress(c.ctx, CancelAfterTwo, &calls), EK_OK);
    EXPECT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_MMRECUN, {"user-7"}, {}, 0,
                       R"({"unlearn_epochs": 20, "forget_auc": 0})", &cancelled),
              EK_ERR_CANCELLED);
    ASSERT_EQ(ek_context_set_progress(c.ctx, nullptr, nullptr), EK_OK);
    ASSERT_EQ(ek_context_reset_cancel(c.ctx), EK_OK);  // the cancel stays until reset
  }
  const std::string first_entry = KvValue(store, "shop/ledger/req-1");
  h::Rec again(c.ctx, kSmall);
  again.Add(Synthetic());
  again.Train();
  ASSERT_EQ(again.rec()->save(again.self(), store, "shop"), EK_OK) << again.error();
  EXPECT_TRUE(Contains(KvValue(store, "shop/meta"), "\"requests\":2,")) << KvValue(store, "shop/meta");
  ek_rec_stats st{};
  st.struct_size = sizeof st;
  ASSERT_EQ(again.rec()->stats(again.self(), &st), EK_OK);
  EXPECT_EQ(st.pending_requests, 1u);
  ek_forget_report next{};
  ASSERT_EQ(again.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"user-6"}, {}, 0, nullptr, &next), EK_OK) << again.error();
  EXPECT_STREQ(next.request_id, "req-3");
  EXPECT_EQ(KvValue(store, "shop/ledger/req-1"), first_entry);
  EXPECT_TRUE(Contains(first_entry, std::string("\"sha256\":\"") + first.digest)) << first_entry;
  EXPECT_TRUE(Contains(KvValue(store, "shop/ledger/req-2"), "\"status\":\"cancelled\""));
  EXPECT_TRUE(Contains(KvValue(store, "shop/ledger/req-3"), std::string("\"sha256\":\"") + next.digest));
  ek_store_free(store);
}

// A store where such a retrain already reset the meta's count (written before the fix):
// the generated id steps past the entries the ledger has instead of overwriting req-1.
TEST(RecUnlearn, AGeneratedRequestIdNeverOverwritesALedgerEntry) {
  Ctx c(1);
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_open(c.ctx, ":memory:", nullptr, &store), EK_OK) << ek_last_error();
  h::Rec r(c.ctx, kSmall);
  r.Add(Synthetic());
  r.Train();
  ASSERT_EQ(r.rec()->save(r.self(), store, "shop"), EK_OK) << r.error();
  ek_forget_report rep{};
  ASSERT_EQ(r.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"user-5"}, {}, 0, nullptr, &rep), EK_OK) << r.error();
  const std::string first_entry = KvValue(store, "shop/ledger/req-1");
  std::string meta = KvValue(store, "shop/meta");
  const size_t at = meta.find("\"requests\":1,");
  ASSERT_NE(at, std::string::npos) << meta;
  meta.replace(at, 13, "\"requests\":0,");
  ASSERT_EQ(ek_store_kv_put(store, kRecNamespace, "shop/meta", meta.data(), meta.size(), EK_VALUE_JSON), EK_OK);
  h::Rec loaded(c.ctx, "{}");
  ASSERT_EQ(loaded.rec()->load(loaded.self(), store, "shop"), EK_OK) << loaded.error();
  ASSERT_EQ(loaded.Forget(EK_FORGET_USERS, EK_UNLEARN_NOOP, {"user-6"}, {}, 0, nullptr, &rep), EK_OK) << loaded.error();
  EXPECT_STREQ(rep.request_id, "req-2");
  EXPECT_EQ(KvValue(store, "shop/ledger/req-1"), first_entry);
  EXPECT_TRUE(Contains(KvValue(store, "shop/meta"), "\"requests\":2,")) << KvValue(store, "shop/meta");
  ek_store_free(store);
}

// ---- MovieLens 100K -----------------------------------------------------------------------

struct Ml {
  h::Split split;
  h::Items items;
};
const Ml& LoadMl() {
  static const Ml ml = [] {
    Ml m;
    m.split = h::TemporalSplit(h::ReadInteractions(MlDir() + "/u.data"), 4.0f);
    m.items = h::ReadItems(MlDir() + "/u.item");
    return m;
  }();
  return ml;
}

std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<h::Row>& rows) {
  std::vector<std::pair<std::string, std::string>> v;
  for (auto& r : rows) v.emplace_back(r.user, r.item);
  return v;
}

// Recall@20 of recommending the most popular unseen training items.
double PopularityRecall(const h::Split& s) {
  std::map<std::string, int> pop;
  std::map<std::string, std::set<std::string>> seen, rel;
  for (auto& r : s.train) {
    ++pop[r.item];
    seen[r.user].insert(r.item);
  }
  for (auto& r : s.test) rel[r.user].insert(r.item);
  std::vector<std::pair<int, std::string>> order;
  for (auto& [i, n] : pop) order.emplace_back(-n, i);
  std::sort(order.begin(), order.end());
  double sum = 0;
  int users = 0;
  for (auto& [u, items] : rel) {
    int hits = 0, taken = 0;
    for (auto& [n, i] : order) {
      if (seen[u].count(i)) continue;
      hits += items.count(i);
      if (++taken == 20) break;
    }
    sum += double(hits) / double(items.size());
    ++users;
  }
  return sum / users;
}

constexpr const char* kMlConfig =
    R"({"dim": 32, "epochs": 20, "lr": 0.005, "reg": 0.0001, "seed": 3, "text_dim": 32})";

TEST(RecUnlearnMl100k, BeatsPopularityWithBothModalities) {
  REQUIRE_ML();
  const Ml& ml = LoadMl();
  Ctx c(0);
  h::Rec r(c.ctx, kMlConfig);
  r.AddItems(ml.items);
  r.Add(ml.split.train);
  r.Train();
  const auto m = r.Evaluate(Pairs(ml.split.test), 20);
  const double pop = PopularityRecall(ml.split);
  std::printf("ML-100K BPR-MF+modalities recall@20 %.4f ndcg@20 %.4f (popularity %.4f)\n", m.recall, m.ndcg, pop);
  EXPECT_GT(m.users, 500u);
  EXPECT_GT(m.recall, pop * 1.05);
}

TEST(RecUnlearnMl100k, LightGcnPropagationTrains) {
  REQUIRE_ML();
  const Ml& ml = LoadMl();
  Ctx c(0);
  h::Rec r(c.ctx, R"({"dim": 32, "layers": 2, "epochs": 20, "lr": 0.02, "batch": 4096, "seed": 3, "text_dim": 16})");
  r.AddItems(ml.items);
  r.Add(ml.split.train);
  r.Train();
  const auto m = r.Evaluate(Pairs(ml.split.test), 20);
  const double pop = PopularityRecall(ml.split);
  std::printf("ML-100K LightGCN(2) recall@20 %.4f ndcg@20 %.4f (popularity %.4f)\n", m.recall, m.ndcg, pop);
  EXPECT_GT(m.recall, pop);
}

// Single-threaded: the same figures on every run (Hogwild with 2+ threads varies).
void CompareMethods(int32_t kind, double fraction) {
  const Ml& ml = LoadMl();
  Ctx c(1);
  ek_store* base = nullptr;
  ASSERT_EQ(ek_store_open(c.ctx, ":memory:", nullptr, &base), EK_OK);
  {
    h::Rec r(c.ctx, kMlConfig);
    r.AddItems(ml.items);
    r.Add(ml.split.train);
    r.Train();
    r.Check(r.rec()->save(r.self(), base, "base"), "save");
  }
  const auto f = h::ChooseForgetSet(ml.split.train, kind, fraction, 11);
  std::map<std::string, h::MethodResult> res;
  for (int32_t m : {EK_UNLEARN_MMRECUN, EK_UNLEARN_GOLD, EK_UNLEARN_NOOP}) {
    auto x = h::RunMethod(c.ctx, kMlConfig, base, "base", f, ml.split.test, m, 20);
    std::printf("%-12s %-8s recall@20 %.4f ndcg@20 %.4f forget_recall@20 %.4f forget_mean_rank %.1f time %.3fs\n",
                kind == EK_FORGET_INTERACTIONS ? "interactions" : kind == EK_FORGET_USERS ? "users" : "items",
                x.method.c_str(), x.recall, x.ndcg, x.forget_recall, x.forget_mean_rank, x.time_s);
    res[x.method] = x;
  }
  ek_store_free(base);
  const auto &mm = res["mmrecun"], &gold = res["gold"], &noop = res["noop"];
  // the forget metric sees the difference between keeping and retraining (the margin
  // is small for 1% of items: 0.024 in the WASM build, where the kept items' rank,
  // 165 against Gold's 1135, shows it plainly)
  EXPECT_GT(noop.forget_recall, gold.forget_recall + 0.02);
  EXPECT_LT(noop.forget_mean_rank, gold.forget_mean_rank);
  // MMRecUn forgets about as well as Gold (issue target: +0.02 at dim 64, see
  // docs/performance.md) and keeps utility. How much faster it is, is measured by
  // tests/bench/rec_unlearn (docs/performance.md), not timed here: wall times on a
  // shared machine are not a test.
  EXPECT_LE(mm.forget_recall, gold.forget_recall + 0.03);
  EXPECT_GE(mm.recall, 0.93 * gold.recall);
  EXPECT_LT(mm.epochs, gold.epochs);
}

TEST(RecUnlearnMl100k, MmrecunVersusGoldForInteractions) {
  REQUIRE_ML();
  CompareMethods(EK_FORGET_INTERACTIONS, 0.05);
}
TEST(RecUnlearnMl100k, MmrecunVersusGoldForUsers) {
  REQUIRE_ML();
  CompareMethods(EK_FORGET_USERS, 0.05);
}
TEST(RecUnlearnMl100k, MmrecunVersusGoldForItems) {
  REQUIRE_ML();
  CompareMethods(EK_FORGET_ITEMS, 0.01);
}

}  // namespace
