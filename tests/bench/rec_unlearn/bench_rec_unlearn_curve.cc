// rec_unlearn: forget vs retain recall over MMRecUn's unlearning epochs on MovieLens
// 100K (positives, temporal split), for the three request kinds of issue 7 (5%
// interactions, 5% users, 1% items). Trains once per kind, then for E = 0..N runs
// `mmrecun` with "unlearn_epochs": E and no early stop from the very same parameters
// (the run with E epochs is the first E epochs of a longer one), then `mmrecun` with the
// defaults (where the early stop ends), Gold and no-op as references. Prints CSV for
// tests/bench/rec_unlearn/plot_curve.py (docs/images/rec_unlearn_curve.svg).
// With --timing N it instead times the forget call N times per method and kind and
// prints medians: time_s (wall, as `embedkit rec eval`: store deletes and writes
// included) and update_s (ek_forget_report::seconds: the parameter update alone).
//   bench_rec_unlearn_curve [--max-epochs N] [--data DIR] [--config JSON]
//                           [--unlearn '"key":value,...'] [--timing N] [--smoke]
//                           [--kinds interactions,users,items] [--methods mmrecun,gold,noop]
// --kinds / --methods keep only the named ones (--methods applies to --timing; for a
// profile of one method's forget call, e.g. perf record ... --timing 50 --methods mmrecun).
#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cmd_rec_harness.h"

namespace h = ek::rec_harness;

struct Timed {
  double wall = 0, update = 0;
  uint32_t epochs = 0;
};

// One forget call as h::RunMethod makes it (fresh instance loaded from `base`, bound
// to a private in-memory store, EK_FORGET_KEEP_ROWS), timed.
Timed TimeForget(ek_context* ctx, const std::string& config, ek_store* base, const h::ForgetSet& f,
                 int32_t method, const char* options) {
  h::Rec r(ctx, config);
  r.Check(r.rec()->load(r.self(), base, "base"), "load");
  ek_store* mem = nullptr;
  if (ek_store_open(ctx, ":memory:", nullptr, &mem) != EK_OK) throw h::Failure(ek_last_error());
  Timed t;
  try {
    r.Check(r.rec()->save(r.self(), mem, "base"), "save");
    ek_forget_report rep{};
    const auto t0 = std::chrono::steady_clock::now();
    r.Check(r.Forget(f.kind, method, f.users, f.items, EK_FORGET_KEEP_ROWS, options, &rep), "forget");
    t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    t.update = rep.seconds;
    t.epochs = rep.epochs;
  } catch (...) {
    ek_store_free(mem);
    throw;
  }
  ek_store_free(mem);
  return t;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// True when `list` (comma-separated) is empty or names `name`.
bool Selected(const std::string& list, const std::string& name) {
  if (list.empty()) return true;
  return ("," + list + ",").find("," + name + ",") != std::string::npos;
}

int main(int argc, char** argv) {
  std::string dir = std::string(EK_SHARED_DATA_DIR) + "/rec/ml-100k";
  // The configuration of docs/performance.md's unlearning table.
  std::string config = R"({"dim":64,"epochs":30,"lr":0.005,"reg":0.0001,"seed":3,"text_dim":64})";
  std::string unlearn;  // extra unlearning keys, e.g. "\"retain_ratio\":0.1"
  int max_epochs = 10, timing = 0;
  bool smoke = false;
  std::string only_kinds, only_methods;  // comma lists; empty = all
  for (int a = 1; a < argc; ++a) {
    if (!std::strcmp(argv[a], "--max-epochs") && a + 1 < argc) max_epochs = std::atoi(argv[++a]);
    else if (!std::strcmp(argv[a], "--data") && a + 1 < argc) dir = argv[++a];
    else if (!std::strcmp(argv[a], "--config") && a + 1 < argc) config = argv[++a];
    else if (!std::strcmp(argv[a], "--unlearn") && a + 1 < argc) unlearn = argv[++a];
    else if (!std::strcmp(argv[a], "--timing") && a + 1 < argc) timing = std::atoi(argv[++a]);
    else if (!std::strcmp(argv[a], "--smoke")) smoke = true;
    else if (!std::strcmp(argv[a], "--kinds") && a + 1 < argc) only_kinds = argv[++a];
    else if (!std::strcmp(argv[a], "--methods") && a + 1 < argc) only_methods = argv[++a];
  }
  if (!std::filesystem::exists(dir + "/u.data")) {
    std::printf("SKIP: MovieLens 100K not found at %s\n", dir.c_str());
    return 0;
  }
  if (smoke) {
    config = R"({"dim":16,"epochs":2,"seed":3,"text_dim":16})";
    max_epochs = 1;
    timing = timing ? 1 : 0;
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
    if (timing)
      std::printf("kind,method,runs,epochs,time_s_median,update_s_median,time_s_min,update_s_min\n");
    else
      std::printf("kind,method,unlearn_epochs,recall@20,ndcg@20,forget_recall@20,forget_mean_rank,time_s\n");
    const struct {
      const char* name;
      int32_t kind;
      double fraction;
    } kinds[] = {{"interactions", EK_FORGET_INTERACTIONS, 0.05}, {"users", EK_FORGET_USERS, 0.05},
                 {"items", EK_FORGET_ITEMS, 0.01}};
    for (const auto& k : kinds) {
      if (smoke && k.kind != EK_FORGET_USERS) continue;  // one kind: the ctest stays short
      if (!Selected(only_kinds, k.name)) continue;
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
      if (timing) {
        const std::string options = "{" + unlearn + "}";
        for (int32_t method : {EK_UNLEARN_MMRECUN, EK_UNLEARN_GOLD, EK_UNLEARN_NOOP}) {
          if (!Selected(only_methods, h::MethodName(method))) continue;
          std::vector<double> wall, update;
          uint32_t epochs = 0;
          for (int run = 0; run < timing; ++run) {
            const Timed t = TimeForget(ctx, config, base, f, method, options.c_str());
            wall.push_back(t.wall);
            update.push_back(t.update);
            epochs = t.epochs;
          }
          std::printf("%s,%s,%d,%u,%.4f,%.4f,%.4f,%.4f\n", k.name, h::MethodName(method), timing, epochs, Median(wall),
                      Median(update), *std::min_element(wall.begin(), wall.end()),
                      *std::min_element(update.begin(), update.end()));
          std::fflush(stdout);
        }
        ek_store_free(base);
        continue;
      }
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
