// Why the GPU BPR step (sdk/cuda/bpr.cu) adds its row updates atomically instead of
// storing them (classic Hogwild): a CPU emulation of concurrency in the worst case.
// Triples run in waves of W (an H200 keeps 132 SMs x 64 warps = 8,448 triples in
// flight); every triple of a wave reads its rows before any of the wave writes, then
//   store: each writes its new rows (the last writer of a shared row wins), or
//   add:   each adds its change to the rows (what atomicAdd does).
// Both are compared with the sequential CPU step (ek::kernels::BprStep) on a planted
// preference, in training (8 epochs) and unlearning (3 epochs, reverse terms for the
// first tenth of the users): mean loss per epoch and held-out rank accuracy.
//
//   emulate_bpr_waves [--wave 8448] [--users 5000] [--items 5000] [--per-epoch 400000]
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../../sdk/kernels/bind_bpr_fixtures.h"
#include "kernels/kernels.h"

namespace {

constexpr size_t kDim = 32;
constexpr float kLr = 0.1f, kReg = 1e-4f;

using ek::test_fixtures::Planted;
using ek::test_fixtures::Uniform;

struct Rows {
  std::vector<float> p, q;
};

double Sequential(Rows& m, const std::vector<ek_bpr_triple>& t, size_t users, size_t items) {
  ek_bpr_params a{sizeof(ek_bpr_params), uint32_t(kDim), uint32_t(users), uint32_t(items), m.p.data(), m.q.data(),
                  nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, kLr, kReg, 0, 0.9f, 0.999f, 1e-8f};
  return ek::kernels::BprStep(&a, t.data(), t.size(), nullptr);
}

// One epoch in waves; `add` selects added changes over stored rows.
double Waves(Rows& m, const std::vector<ek_bpr_triple>& t, size_t wave, bool add) {
  double loss = 0;
  std::vector<float> old_rows(wave * 3 * kDim), new_rows(wave * 3 * kDim);
  for (size_t w0 = 0; w0 < t.size(); w0 += wave) {
    const size_t w1 = std::min(t.size(), w0 + wave);
    for (size_t s = w0; s < w1; ++s) {  // every triple reads first
      const ek_bpr_triple& x = t[s];
      const float *pu = &m.p[x.u * kDim], *qi = &m.q[x.i * kDim], *qj = &m.q[x.j * kDim];
      float* o = &old_rows[(s - w0) * 3 * kDim];
      float* n = &new_rows[(s - w0) * 3 * kDim];
      float diff = 0;
      for (size_t k = 0; k < kDim; ++k) diff += pu[k] * (qi[k] - qj[k]);
      const float xs = x.sign * diff, ex = std::exp(std::min(-xs, 80.0f));
      loss += x.weight * std::log1p(ex);
      const float g = x.weight * x.sign * (ex / (1.0f + ex));
      for (size_t k = 0; k < kDim; ++k) {
        const float p = pu[k], e = qi[k] - qj[k];
        o[k] = p;
        o[kDim + k] = qi[k];
        o[2 * kDim + k] = qj[k];
        n[k] = p + kLr * (g * e - kReg * p);
        n[kDim + k] = qi[k] + kLr * (g * p - kReg * qi[k]);
        n[2 * kDim + k] = qj[k] + kLr * (-g * p - kReg * qj[k]);
      }
    }
    for (size_t s = w0; s < w1; ++s) {  // then every triple writes
      const ek_bpr_triple& x = t[s];
      float* dst[3] = {&m.p[x.u * kDim], &m.q[x.i * kDim], &m.q[x.j * kDim]};
      const float* o = &old_rows[(s - w0) * 3 * kDim];
      const float* n = &new_rows[(s - w0) * 3 * kDim];
      for (int r = 0; r < 3; ++r)
        for (size_t k = 0; k < kDim; ++k)
          dst[r][k] = add ? dst[r][k] + (n[r * kDim + k] - o[r * kDim + k]) : n[r * kDim + k];
    }
  }
  return loss;
}

double Accuracy(const Rows& m, const std::vector<ek_bpr_triple>& t) {
  size_t right = 0;
  for (const auto& x : t) {
    double d = 0;
    for (size_t k = 0; k < kDim; ++k) d += double(m.p[x.u * kDim + k]) * (m.q[x.i * kDim + k] - m.q[x.j * kDim + k]);
    right += d > 0;
  }
  return double(right) / double(t.size());
}

}  // namespace

int main(int argc, char** argv) {
  size_t wave = 8448, users = 5000, items = 5000, per_epoch = 400000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--wave") wave = v;
    else if (a == "--users") users = v;
    else if (a == "--items") items = v;
    else if (a == "--per-epoch") per_epoch = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (wave == 0 || users < 10 || items < 2 || per_epoch == 0) {
    std::fprintf(stderr, "need --wave >= 1, --users >= 10, --items >= 2, --per-epoch >= 1\n");
    return 2;
  }
  const Planted world(users, items);
  const std::vector<ek_bpr_triple> held = world.Draw(20000, 99);
  const Rows init{Uniform(users * kDim, 21, -0.1f, 0.1f), Uniform(items * kDim, 22, -0.1f, 0.1f)};
  Rows seq = init, store = init, add = init;
  std::printf("BPR SGD, dim %zu, %zu users x %zu items, %zu triples per epoch, waves of %zu\n", kDim, users, items,
              per_epoch, wave);
  std::printf("%-12s %10s %10s %10s\n", "epoch", "sequential", "store", "add");
  for (int ep = 0; ep < 11; ++ep) {
    std::vector<ek_bpr_triple> t = world.Draw(ep < 8 ? per_epoch : per_epoch / 2, 100 + ep);
    if (ep >= 8)
      for (auto& x : t)
        if (x.u < users / 10) x.sign = -1.0f;  // unlearning: reverse the first tenth's terms
    const double n = double(t.size());
    const double ls = Sequential(seq, t, users, items) / n, lst = Waves(store, t, wave, false) / n,
                 la = Waves(add, t, wave, true) / n;
    std::printf("%-12s %10.5f %10.5f %10.5f   (add vs sequential %+.1f%%)\n",
                ((ep < 8 ? "train " : "unlearn ") + std::to_string(ep < 8 ? ep : ep - 8)).c_str(), ls, lst, la,
                100.0 * (la - ls) / ls);
  }
  std::vector<ek_bpr_triple> forget, retain;
  for (const auto& x : held) (x.u < users / 10 ? forget : retain).push_back(x);
  std::printf("held-out rank accuracy: sequential %.4f, store %.4f, add %.4f\n", Accuracy(seq, retain),
              Accuracy(store, retain), Accuracy(add, retain));
  std::printf("forget users' accuracy: sequential %.4f, store %.4f, add %.4f\n", Accuracy(seq, forget),
              Accuracy(store, forget), Accuracy(add, forget));
  return 0;
}
