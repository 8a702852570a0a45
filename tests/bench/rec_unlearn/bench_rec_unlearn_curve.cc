// rec_unlearn: forget vs retain recall over MMRecUn's unlearning epochs on MovieLens
// 100K (positives, temporal split), for the three request kinds of issue 7 (5%
// interactions, 5% users, 1% items). Trains once per kind, then for E = 0..N runs
// `mmrecun` with "unlearn_epochs": E and no early stop from the very same parameters
// (the run with E epochs is the first E epochs of a longer one), then `mmrecun` with the
// defaults (where the early stop ends), Gold and no-op as references. Prints CSV for
// tests/bench/rec_unlearn/plot_curve.py (docs/images/rec_unlearn_curve.svg).
//   bench_rec_unlearn_curve [--max-epochs N] [--data DIR] [--config JSON]
//                           [--unlearn '"key":value,...'] [--smoke]
#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "cmd_rec_harness.h"

namespace h = ek::rec_harness;

int main(int argc, char** argv) {
  std::string dir = std::string(EK_SHARED_DATA_DIR) + "/rec/ml-100k";
  // The configuration of docs/performance.md's unlearning table.
  std::string config = R"({"dim":64,"epochs":30,"lr":0.005,"reg":0.0001,"seed":3,"text_dim":64})";
  std::string unlearn;  // extra unlearning keys, e.g. "\"retain_ratio\":0.1"
  int max_epochs = 10;
  bool smoke = false;
  for (int a = 1; a < argc; ++a) {
    if (!std::strcmp(argv[a], "--max-epochs") && a + 1 < argc) max_epochs = std::atoi(argv[++a]);
    else if (!std::strcmp(argv[a], "--data") && a + 1 < argc) dir = argv[++a];
    else if (!std::strcmp(argv[a], "--config") && a + 1 < argc) config = argv[++a];
    else if (!std::strcmp(argv[a], "--unlearn") && a + 1 < argc) unlearn = argv[++a];
    else if (!std::strcmp(argv[a], "--smoke")) smoke = true;
  }
  if (!std::filesystem::exists(dir + "/u.data")) {
    std::printf("SKIP: MovieLens 100K not found at %s\n", dir.c_str());
    return 0;
  }
  if (smoke) {
    config = R"({"dim":16,"epochs":2,"seed":3,"text_dim":16})";
    max_epochs = 1;
  }
  try {
    const auto split = h::TemporalSplit(h::ReadInteractions(dir + "/u.data"), 4.0f);
    const auto items = h::ReadItems(dir + "/u.item");
    ek_context_options o;
    ek_context_options_init(&o);
    o.num_threads = 1;
    o.log_level = EK_LOG_ERROR;
    ek_context* ctx = nullptr;
    if (ek_context_create(&o, &ctx) != EK_OK) return 1;
    std::printf("kind,method,unlearn_epochs,recall@20,ndcg@20,forget_recall@20,forget_mean_rank,time_s\n");
    const struct {
      const char* name;
      int32_t kind;
      double fraction;
    } kinds[] = {{"interactions", EK_FORGET_INTERACTIONS, 0.05}, {"users", EK_FORGET_USERS, 0.05},
                 {"items", EK_FORGET_ITEMS, 0.01}};
    for (const auto& k : kinds) {
      ek_store* base = nullptr;
      if (ek_store_open(ctx, ":memory:", nullptr, &base) != EK_OK) return 1;
      {
        h::Rec r(ctx, config);
        r.AddItems(items);
        r.Add(split.train);
        r.Train();
        r.Check(r.rec()->save(r.self(), base, "base"), "save");
      }
      const auto f = h::ChooseForgetSet(split.train, k.kind, k.fraction, 1);
      // epochs < 0: print the epochs the method ran (the default run's early stop).
      auto row = [&](int32_t method, const char* label, int epochs, const std::string& options) {
        const auto x = h::RunMethod(ctx, config, base, "base", f, split.test, method, 20, options.c_str());
        std::printf("%s,%s,%d,%.4f,%.4f,%.4f,%.1f,%.4f\n", k.name, label, epochs < 0 ? int(x.epochs) : epochs,
                    x.recall, x.ndcg, x.forget_recall, x.forget_mean_rank, x.time_s);
        std::fflush(stdout);
      };
      const std::string extra = unlearn.empty() ? "" : "," + unlearn;
      // The curve runs every epoch (no early stop); "mmrecun-default" is where the
      // defaults (or --unlearn) stop.
      for (int e = 0; e <= max_epochs; ++e)
        row(EK_UNLEARN_MMRECUN, "mmrecun", e, "{\"forget_auc\":0,\"unlearn_epochs\":" + std::to_string(e) + extra + "}");
      row(EK_UNLEARN_MMRECUN, "mmrecun-default", -1, "{" + unlearn + "}");
      row(EK_UNLEARN_GOLD, "gold", -1, "{}");
      row(EK_UNLEARN_NOOP, "noop", 0, "{}");
      ek_store_free(base);
    }
    ek_context_free(ctx);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_rec_unlearn_curve: %s\n", e.what());
    return 1;
  }
  return 0;
}
