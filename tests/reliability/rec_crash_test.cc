// Crash safety of the recommender's requests: ek_rec_writer trains and saves the
// bundled rec_unlearn plugin, then makes forget requests (and retrains every fourth)
// on one store file, and is killed with SIGKILL at random moments, again and again.
// Each save, training write and forget request is one store transaction, so after
// every kill:
//   - SQLite's PRAGMA integrity_check is "ok";
//   - the model loads, with no interrupted request pending;
//   - the ledger holds exactly requests f0 .. f(N-1): every acknowledged one, plus at
//     most the one in flight when the writer was killed;
//   - the pairs of those N requests are gone from the stored interactions and no
//     other pair is: a request is all there or not at all.
#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "rec_plan.h"
#include "scratch.h"
#include "store_check.h"
#include "subprocess.h"

namespace {

using namespace ek::test;
namespace plan = ek::rec_plan;

struct Acks {
  bool saved = false;
  long last_forget = -1;  // highest acknowledged request q
  long committed = 0;     // requests found in the ledger at the previous check
};

void ParseAcks(const std::string& out, Acks* a) {
  std::istringstream in(out);
  std::string ack, kind;
  long q;
  while (in >> ack >> kind >> q) {
    if (kind == "S") a->saved = true;
    if (kind == "F") a->last_forget = std::max(a->last_forget, q);
  }
}

// Everything after a kill. Updates acks->committed to the requests found.
void CheckStore(const std::string& path, Acks* acks_io, int kill_no) {
  const Acks& acks = *acks_io;
  SCOPED_TRACE("after kill " + std::to_string(kill_no));
  ASSERT_EQ(FileIntegrityProblem(path), "");
  ek_context_options co;
  ek_context_options_init(&co);
  co.num_threads = 1;
  co.log_level = EK_LOG_ERROR;
  ek_context* ctx = nullptr;
  ASSERT_EQ(ek_context_create(&co, &ctx), EK_OK) << ek_last_error();
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_open(ctx, path.c_str(), nullptr, &store), EK_OK) << ek_last_error();
  ek_instance* inst = nullptr;
  ASSERT_EQ(ek_instance_create(ctx, "embedkit.rec_unlearn", plan::kConfig, &inst), EK_OK) << ek_last_error();
  const ek_recommender_ext* rec = nullptr;
  ASSERT_EQ(ek_instance_get_extension(inst, EK_EXT_RECOMMENDER, reinterpret_cast<const void**>(&rec)), EK_OK);
  void* self = ek_instance_plugin_data(inst);
  const ek_status loaded = rec->load(self, store, plan::kModel);
  if (!acks.saved && loaded != EK_OK) {  // killed before the first save committed
    EXPECT_EQ(loaded, EK_ERR_NOT_FOUND) << rec->last_error(self);
  } else {
    ASSERT_EQ(loaded, EK_OK) << rec->last_error(self);
    ek_rec_stats st{};
    st.struct_size = sizeof st;
    ASSERT_EQ(rec->stats(self, &st), EK_OK);
    EXPECT_EQ(st.pending_requests, 0u);
    EXPECT_EQ(st.users, uint64_t(plan::kUsers));

    // The ledger (one key per request in the plugin's key/value state): exactly
    // f0 .. f(N-1), N = acknowledged or one more (in flight).
    std::set<std::string> ledger;
    const std::string prefix = std::string(plan::kModel) + "/ledger/";
    ek_results* r = nullptr;
    ASSERT_EQ(ek_store_kv_list(store, "embedkit.rec_unlearn", prefix.c_str(), nullptr, 0, 1, &r), EK_OK)
        << ek_last_error();
    for (size_t k = 0; k < ek_results_hit_count(r, 0); ++k) {
      ek_hit h{};
      h.struct_size = sizeof h;
      ASSERT_EQ(ek_results_hit(r, 0, k, &h), EK_OK);
      ledger.insert(std::string(h.id).substr(prefix.size()));
      EXPECT_NE(std::string(h.metadata_json ? h.metadata_json : "").find("\"status\":\"done\""), std::string::npos)
          << h.id << ": " << (h.metadata_json ? h.metadata_json : "(none)");
    }
    ek_results_free(r);
    // Acknowledged or found before, plus at most the one in flight at this kill.
    const long n = long(ledger.size());
    const long at_least = std::max(acks.committed, acks.last_forget + 1);
    EXPECT_TRUE(n == at_least || n == at_least + 1)
        << n << " requests in the ledger, " << acks.last_forget + 1 << " acknowledged, "
        << acks.committed << " found before";
    acks_io->committed = n;
    for (long q = 0; q < n; ++q) EXPECT_TRUE(ledger.count("f" + std::to_string(q))) << "f" << q << " missing";
    EXPECT_EQ(st.interactions, uint64_t(plan::kUsers * plan::kPerUser - 2 * n));

    // The stored interactions: the pairs of requests < n gone, the next ones there.
    ek_collection* ic = nullptr;
    const std::string inter = std::string(plan::kModel) + ".interactions";
    ASSERT_EQ(ek_collection_open(store, inter.c_str(), &ic), EK_OK) << ek_last_error();
    uint64_t count = 0;
    ASSERT_EQ(ek_collection_count(ic, &count), EK_OK);
    EXPECT_EQ(count, uint64_t(plan::kUsers * plan::kPerUser - 2 * n));
    for (long q = std::max(0L, n - 3); q < n + 3; ++q) {
      std::string users[2], items[2];
      plan::RequestPairs(q, users, items);
      for (int p = 0; p < 2; ++p) {
        const std::string id = users[p] + "\x1f" + items[p];
        float v = 0;
        size_t dim = 0;
        const ek_status g = ek_collection_get(ic, id.c_str(), &v, 1, &dim, nullptr);
        EXPECT_EQ(g, q < n ? EK_ERR_NOT_FOUND : EK_OK) << "request f" << q << ", pair " << p;
      }
    }
    ek_collection_free(ic);
  }
  ek_instance_free(inst);
  ek_store_free(store);
  ek_context_free(ctx);
}

TEST(CrashSafety, SigkillDuringTrainingAndForgetRequestsLeavesWholeRequests) {
  const std::string path = FreshScratchFile("rec_crash.ekdb");
  std::mt19937 rng(20261129);
  std::uniform_int_distribution<int> delay_ms(1, 60);
  Acks acks;
  const int kKills = 60;
  int during_requests = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int run = 0; run < kKills; ++run) {
    Child c = Spawn({EK_REC_WRITER, path});
    // Most runs wait for the first acknowledgement (the model exists, requests are
    // under way) and are killed a little later; every fifth at any moment from start.
    Exit e;
    const std::string out = SigkillAfter(c, run % 5 != 0, std::chrono::milliseconds(delay_ms(rng)),
                                         std::chrono::seconds(30), &e);
    ASSERT_TRUE(e.signalled() && e.signal() == SIGKILL)
        << "writer run " << run << " ended on its own (status " << e.status << "): " << out;
    ParseAcks(out, &acks);
    if (out.find("ACK F") != std::string::npos) ++during_requests;  // killed while issuing requests
    if (!std::filesystem::exists(path)) continue;                    // killed before the file existed
    CheckStore(path, &acks, run);
    if (HasFatalFailure() || HasFailure()) return;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[crash-safety rec] %d SIGKILLs, %d during requests, %ld forget requests committed, %.1f s\n",
              kKills, during_requests, acks.committed, secs);
  // 48 runs wait for a forget acknowledgement before the kill, so each commits at least
  // one request even on a slow machine (an idle one commits about 10 per run).
  EXPECT_GE(during_requests, 40);
  EXPECT_GE(acks.committed, 40) << "too few requests completed to mean anything";
}

}  // namespace
