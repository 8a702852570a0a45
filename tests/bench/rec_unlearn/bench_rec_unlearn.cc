// rec_unlearn training throughput on MovieLens 100K (positives, temporal split):
// BPR samples per second at dim 64 for 1 and 2 host threads, plain BPR-MF with SGD
// (the figure the issue compares with a plain C++ BPR-MF), then with sparse Adam and
// with both item modalities. A driver that prints figures, never a timed test.
//   bench_rec_unlearn [--epochs N] [--data DIR] [--smoke]
#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>

#include <time.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "cmd_rec_harness.h"

namespace h = ek::rec_harness;

// Process CPU seconds: on a shared, oversubscribed machine the wall-clock rate says
// more about the neighbours than about the code, so both rates are printed.
double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

int main(int argc, char** argv) {
  std::string dir = std::string(EK_SHARED_DATA_DIR) + "/rec/ml-100k";
  int epochs = 20;
  for (int a = 1; a < argc; ++a) {
    if (!std::strcmp(argv[a], "--epochs") && a + 1 < argc) epochs = std::atoi(argv[++a]);
    else if (!std::strcmp(argv[a], "--data") && a + 1 < argc) dir = argv[++a];
    else if (!std::strcmp(argv[a], "--smoke")) epochs = 1;
  }
  if (!std::filesystem::exists(dir + "/u.data")) {
    std::printf("SKIP: MovieLens 100K not found at %s\n", dir.c_str());
    return 0;
  }
  const auto split = h::TemporalSplit(h::ReadInteractions(dir + "/u.data"), 4.0f);
  const auto items = h::ReadItems(dir + "/u.item");
  struct Case {
    const char* name;
    const char* config;
    bool modalities;
  } cases[] = {
      {"bpr-mf sgd", R"({"dim":64,"optimizer":"sgd","lr":0.05,"text_dim":0,"use_categorical":0})", false},
      {"bpr-mf adam", R"({"dim":64,"optimizer":"adam","lr":0.005,"text_dim":0,"use_categorical":0})", false},
      {"bpr-mf adam + genres + titles", R"({"dim":64,"optimizer":"adam","lr":0.005,"text_dim":64})", true},
      {"lightgcn(2) adam + modalities", R"({"dim":64,"layers":2,"lr":0.01,"batch":4096,"text_dim":64})", true},
  };
  std::printf("ML-100K train %zu positives, %d epochs, dim 64\n", split.train.size(), epochs);
  std::printf("%-32s %8s %14s %14s %16s %10s\n", "model", "threads", "samples/s", "per thread", "per CPU-second",
              "recall@20");
  for (const auto& c : cases) {
    for (uint32_t threads : {1u, 2u}) {
      ek_context_options o;
      ek_context_options_init(&o);
      o.num_threads = threads;
      o.log_level = EK_LOG_ERROR;
      ek_context* ctx = nullptr;
      if (ek_context_create(&o, &ctx) != EK_OK) return 1;
      {
        h::Rec r(ctx, c.config);
        if (c.modalities) r.AddItems(items);
        r.Add(split.train);
        const std::string opt = "{\"epochs\":" + std::to_string(epochs) + "}";
        const double c0 = CpuSeconds();
        const auto rep = r.Train(opt.c_str());
        const double cpu = CpuSeconds() - c0;
        std::vector<std::pair<std::string, std::string>> test;
        for (auto& x : split.test) test.emplace_back(x.user, x.item);
        const auto m = r.Evaluate(test, 20);
        const double rate = double(rep.samples) / rep.seconds;
        std::printf("%-32s %8u %14.0f %14.0f %16.0f %10.4f\n", c.name, threads, rate, rate / threads,
                    double(rep.samples) / cpu, m.recall);
      }
      ek_context_free(ctx);
    }
  }
  return 0;
}
