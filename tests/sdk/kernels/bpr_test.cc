// ek_kernels::bpr_step on every compiled SIMD target against its double-precision
// scalar twin (reference::BprStep) of the same updates (SGD and Adam, with and without item content, dim 64 (the specialised path)
// and others), and its refusal of bad parameters without writing anything.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "target_loop.h"

namespace ek::kernels {
namespace {

struct Model {
  size_t users, items, dim;
  std::vector<float> p, q, c, g, mp, vp, mq, vq;
};

Model MakeModel(size_t users, size_t items, size_t dim, bool content, bool adam, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.f, 0.1f);
  Model m{users, items, dim, {}, {}, {}, {}, {}, {}, {}, {}};
  m.p.resize(users * dim);
  m.q.resize(items * dim);
  for (auto& x : m.p) x = n(rng);
  for (auto& x : m.q) x = n(rng);
  if (content) {
    m.c.resize(items * dim);
    for (auto& x : m.c) x = n(rng);
    m.g.assign(items * dim, 0.f);
  }
  if (adam) {
    m.mp.assign(users * dim, 0.f);
    m.vp.assign(users * dim, 0.f);
    m.mq.assign(items * dim, 0.f);
    m.vq.assign(items * dim, 0.f);
  }
  return m;
}

ek_bpr_params Params(Model& m, float lr, float reg, float step) {
  ek_bpr_params a{};
  a.struct_size = sizeof a;
  a.dim = uint32_t(m.dim);
  a.users = uint32_t(m.users);
  a.items = uint32_t(m.items);
  a.p = m.p.data();
  a.q = m.q.data();
  a.c = m.c.empty() ? nullptr : m.c.data();
  a.g = m.g.empty() ? nullptr : m.g.data();
  if (!m.mp.empty()) {
    a.m_p = m.mp.data();
    a.v_p = m.vp.data();
    a.m_q = m.mq.data();
    a.v_q = m.vq.data();
  }
  a.lr = lr;
  a.reg = reg;
  a.step = step;
  a.beta1 = 0.9f;
  a.beta2 = 0.999f;
  a.eps = 1e-8f;
  return a;
}

std::vector<ek_bpr_triple> Triples(const Model& m, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<ek_bpr_triple> t;
  while (t.size() < n) {
    const uint32_t u = rng() % m.users, i = rng() % m.items, j = rng() % m.items;
    if (i == j) continue;
    const bool reverse = rng() % 4 == 0;
    t.push_back({u, i, j, reverse ? -1.f : 1.f, reverse ? 0.5f : 1.f});
  }
  return t;
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, double tol, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  size_t bad = 0;
  for (size_t k = 0; k < got.size(); ++k)
    if (std::fabs(double(got[k]) - want[k]) > tol * std::max(1.0, std::fabs(double(want[k])))) ++bad;
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " of " << got.size() << " values differ by more than " << tol;
}

struct Case {
  size_t dim;
  bool adam, content;
  size_t users = 40;  // 40,000 x dim 64: rows over 8 MiB, the path that prefetches
};

// For test names and failure messages (gtest would print the raw bytes, padding too).
void PrintTo(const Case& c, std::ostream* os) {
  *os << "dim " << c.dim << (c.adam ? ", adam" : ", sgd") << (c.content ? ", content" : "") << ", " << c.users
      << " users";
}

class BprStepTest : public ::testing::TestWithParam<Case> {};

TEST_P(BprStepTest, EveryTargetMatchesTheScalarTwin) {
  const Case cs = GetParam();
  const Model start = MakeModel(cs.users, 60, cs.dim, cs.content, cs.adam, 11);
  const auto t = Triples(start, 2000, 5);
  const float lr = cs.adam ? 0.01f : 0.05f;
  const float step = lr * std::sqrt(1 - 0.999f) / (1 - 0.9f);
  Model ref = start;
  const ek_bpr_params b = Params(ref, lr, 1e-3f, step);
  uint64_t rev_ref[2] = {0, 0};
  const double loss_ref = reference::BprStep(&b, t.data(), t.size(), rev_ref);
  testing::ForEachTarget([&] {
    Model ours = start;
    const ek_bpr_params a = Params(ours, lr, 1e-3f, step);
    uint64_t rev[2] = {0, 0};
    const double loss = CpuKernelTable()->bpr_step(&a, t.data(), t.size(), rev);
    EXPECT_NEAR(loss, loss_ref, 1e-4 * loss_ref);
    EXPECT_EQ(rev[0], rev_ref[0]);
    // Scores within float rounding of zero may fall either side.
    EXPECT_NEAR(double(rev[1]), double(rev_ref[1]), 2.0);
    // 2,000 sequential float updates against double: drift stays small.
    ExpectNear(ours.p, ref.p, 2e-4, "user rows");
    ExpectNear(ours.q, ref.q, 2e-4, "item rows");
    if (cs.content) ExpectNear(ours.g, ref.g, 2e-4, "content gradient");
    if (cs.adam) ExpectNear(ours.vq, ref.vq, 2e-4, "Adam second moments");
  });
}

INSTANTIATE_TEST_SUITE_P(Shapes, BprStepTest,
                         ::testing::Values(Case{64, false, false}, Case{64, false, true}, Case{64, true, false},
                                           Case{64, true, true}, Case{37, false, true}, Case{37, true, false},
                                           Case{128, true, true}, Case{1, false, false},
                                           Case{64, false, false, 40000}, Case{64, true, true, 40000}),
                         [](const auto& info) {
                           return "dim" + std::to_string(info.param.dim) + (info.param.adam ? "_adam" : "_sgd") +
                                  (info.param.content ? "_content" : "") +
                                  (info.param.users > 40 ? "_" + std::to_string(info.param.users) + "_users" : "");
                         });

TEST(BprStep, BadParamsReturnNaNAndWriteNothing) {
  Model m = MakeModel(4, 5, 8, true, true, 3);
  const Model before = m;
  const std::vector<ek_bpr_triple> good = {{0, 1, 2, 1.f, 1.f}};
  auto refused = [&](ek_bpr_params a, std::vector<ek_bpr_triple> t) {
    uint64_t rev[2] = {7, 7};
    const double r = CpuKernelTable()->bpr_step(&a, t.data(), t.size(), rev);
    return std::isnan(r) && rev[0] == 7 && rev[1] == 7;
  };
  const ek_bpr_params ok = Params(m, 0.1f, 0.f, 0.1f);
  EXPECT_TRUE(std::isnan(CpuKernelTable()->bpr_step(nullptr, good.data(), 1, nullptr)));
  EXPECT_TRUE(std::isnan(reference::BprStep(nullptr, good.data(), 1, nullptr)));  // the twin too
  auto a = ok; a.struct_size = 8;           EXPECT_TRUE(refused(a, good));
  a = ok; a.dim = 0;                        EXPECT_TRUE(refused(a, good));
  a = ok; a.p = nullptr;                    EXPECT_TRUE(refused(a, good));
  a = ok; a.q = nullptr;                    EXPECT_TRUE(refused(a, good));
  a = ok; a.g = nullptr;                    EXPECT_TRUE(refused(a, good));  // content without gradient
  a = ok; a.v_q = nullptr;                  EXPECT_TRUE(refused(a, good));  // 3 of 4 Adam moments
  EXPECT_TRUE(refused(ok, {{4, 1, 2, 1.f, 1.f}}));                          // user out of range
  EXPECT_TRUE(refused(ok, {{0, 5, 2, 1.f, 1.f}}));                          // item out of range
  EXPECT_TRUE(refused(ok, {{0, 1, 2, 1.f, 1.f}, {0, 3, 3, 1.f, 1.f}}));     // i == j, after a good one
  EXPECT_TRUE(std::isnan(CpuKernelTable()->bpr_step(&ok, nullptr, 1, nullptr)));
  EXPECT_EQ(m.p, before.p);
  EXPECT_EQ(m.q, before.q);
  EXPECT_EQ(m.g, before.g);
  EXPECT_EQ(m.mq, before.mq);
  EXPECT_EQ(CpuKernelTable()->bpr_step(&ok, nullptr, 0, nullptr), 0.0);  // empty block
  // A good block with no reverse counter moves the rows.
  EXPECT_GT(CpuKernelTable()->bpr_step(&ok, good.data(), 1, nullptr), 0.0);
  EXPECT_NE(m.p, before.p);
}

}  // namespace
}  // namespace ek::kernels
