// The CUDA backend's MBAT binding and BPR step against the CPU's.
//
// Without a GPU: both refuse with EK_ERR_UNSUPPORTED (bad BPR arguments still get
// NaN first, as on the CPU), and the CUDA kernel table's bpr_step answers exactly as
// the CPU table. With a GPU: structured binding bit-identical to the CPU, dense
// binding within float rounding; a BPR block whose triples share no row equal to
// the CPU's sequential step within float rounding; and, where triples share rows
// (the GPU runs them concurrently), training and unlearning runs whose loss curves,
// reverse counters and ranking quality agree with the CPU's within stated tolerances.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/bind_bpr_fixtures.h"
#include "base/error.h"
#include "cuda/cuda_backend.h"
#include "cuda_test_util.h"
#include "kernels/kernels.h"

namespace {

using ek::cuda_test::ExpectClose;
using ek::cuda_test::Random;
using ek::test_fixtures::MakeRole;
using ek::test_fixtures::Planted;
using ek::test_fixtures::Role;

// ---- A BPR model and its triples -------------------------------------------------------------

struct Model {
  size_t users, items, dim;
  std::vector<float> p, q, c, g, m_p, v_p, m_q, v_q;
  Model(size_t u, size_t i, size_t d, bool adam, bool content, uint32_t seed)
      : users(u), items(i), dim(d), p(Random(u * d, seed, -0.1f, 0.1f)), q(Random(i * d, seed + 1, -0.1f, 0.1f)) {
    if (content) {
      c = Random(i * d, seed + 2, -0.05f, 0.05f);
      g.assign(i * d, 0.0f);
    }
    if (adam) {
      m_p.assign(u * d, 0.0f);
      v_p.assign(u * d, 0.0f);
      m_q.assign(i * d, 0.0f);
      v_q.assign(i * d, 0.0f);
    }
  }
  ek_bpr_params Params(float lr, float reg, float step) {
    const bool adam = !m_p.empty();
    return ek_bpr_params{sizeof(ek_bpr_params), uint32_t(dim), uint32_t(users), uint32_t(items),
                         p.data(), q.data(), c.empty() ? nullptr : c.data(), g.empty() ? nullptr : g.data(),
                         adam ? m_p.data() : nullptr, adam ? v_p.data() : nullptr,
                         adam ? m_q.data() : nullptr, adam ? v_q.data() : nullptr,
                         lr, reg, step, 0.9f, 0.999f, 1e-8f};
  }
};

// Share of held-out triples the model ranks right (i above j).
double RankAccuracy(const Model& m, const std::vector<ek_bpr_triple>& t) {
  size_t right = 0;
  for (const auto& x : t) {
    double d = 0;
    for (size_t k = 0; k < m.dim; ++k) {
      const double ci = m.c.empty() ? 0 : m.c[x.i * m.dim + k], cj = m.c.empty() ? 0 : m.c[x.j * m.dim + k];
      d += double(m.p[x.u * m.dim + k]) * ((m.q[x.i * m.dim + k] + ci) - (m.q[x.j * m.dim + k] + cj));
    }
    right += d > 0;
  }
  return double(right) / double(t.size());
}

// ---- Without a device --------------------------------------------------------------------------

TEST(CudaNoDeviceBprMbat, RefuseWithTheReason) {
  if (ek::cuda::Probe().available) GTEST_SKIP() << "a GPU answers here";
  const Role r = MakeRole(64, 2, 1);
  std::vector<float> v = Random(3 * 64, 2), out(3 * 64);
  try {
    ek::cuda::BindStructured(r.view(), v.data(), 3, 64, false);
    FAIL() << "BindStructured ran without a GPU";
  } catch (const ek::Error& e) {
    EXPECT_EQ(EK_ERR_UNSUPPORTED, e.status());
    EXPECT_NE(std::string::npos, std::string(e.what()).find(ek::cuda::Probe().reason)) << e.what();
  }
  EXPECT_THROW(ek::cuda::BindDense(v.data(), 8, v.data(), 3, out.data(), false), ek::Error);
  // Argument errors come before the device: the same refusals as the CPU.
  EXPECT_THROW(ek::cuda::BindStructured(r.view(), v.data(), 3, 48, false), ek::Error);

  Model m(10, 20, 16, false, false, 3);
  ek_bpr_params a = m.Params(0.05f, 0.0f, 0.0f);
  const std::vector<ek_bpr_triple> ok{{1, 2, 3, 1.0f, 1.0f}}, bad{{1, 2, 2, 1.0f, 1.0f}};
  EXPECT_TRUE(std::isnan(ek::cuda::BprStep(&a, bad.data(), 1, nullptr)));
  try {
    ek::cuda::BprStep(&a, ok.data(), 1, nullptr);
    FAIL() << "BprStep ran without a GPU";
  } catch (const ek::Error& e) {
    EXPECT_EQ(EK_ERR_UNSUPPORTED, e.status());
  }
}

TEST(CudaNoDeviceBprMbat, TheTablesBprStepIsTheCpus) {
  if (ek::cuda::Probe().available) GTEST_SKIP() << "a GPU answers here";
  const Planted world(300, 400);
  const std::vector<ek_bpr_triple> t = world.Draw(70000, 5);  // over the GPU threshold
  Model a(300, 400, 32, false, false, 6), b = a;
  ek_bpr_params pa = a.Params(0.05f, 1e-4f, 0.0f), pb = b.Params(0.05f, 1e-4f, 0.0f);
  uint64_t ra[2] = {0, 0}, rb[2] = {0, 0};
  const double la = ek::cuda::KernelTable()->bpr_step(&pa, t.data(), t.size(), ra);
  const double lb = ek::kernels::CpuKernelTable()->bpr_step(&pb, t.data(), t.size(), rb);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(a.p, b.p);
  EXPECT_EQ(a.q, b.q);
}

// The table's bind entries over the GPU threshold (2^20 floats structured; dense by the
// SGEMM rule) answer on the CPU without a device: the CPU table's bits and refusals.
TEST(CudaNoDeviceBprMbat, TheTablesBindingIsTheCpus) {
  if (ek::cuda::Probe().available) GTEST_SKIP() << "a GPU answers here";
  const ek_kernels* gpu = ek::cuda::KernelTable();
  const ek_kernels* cpu = ek::kernels::CpuKernelTable();
  const size_t n = 1024, count = 1024;  // 2^20 floats
  const Role r = MakeRole(n, 3, 17);
  std::vector<float> a = Random(count * n, 18), b = a;
  ASSERT_EQ(EK_OK, gpu->bind_structured(r.signs.data(), 3, r.perm.data(), a.data(), count, n, 0));
  ASSERT_EQ(EK_OK, cpu->bind_structured(r.signs.data(), 3, r.perm.data(), b.data(), count, n, 0));
  EXPECT_EQ(a, b);
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, gpu->bind_structured(r.signs.data(), 3, r.perm.data(), a.data(), 2, 12, 0));
  const size_t dn = 128, dc = 64;
  const std::vector<float> m = Random(dn * dn, 19), v = Random(dc * dn, 20);
  std::vector<float> ga(dc * dn), ca(dc * dn);
  ASSERT_EQ(EK_OK, gpu->bind_dense(m.data(), dn, v.data(), dc, ga.data(), 1));
  ASSERT_EQ(EK_OK, cpu->bind_dense(m.data(), dn, v.data(), dc, ca.data(), 1));
  EXPECT_EQ(ga, ca);
  EXPECT_EQ(EK_ERR_INVALID_ARGUMENT, gpu->bind_dense(nullptr, dn, v.data(), dc, ga.data(), 0));
}

// ---- With a device -----------------------------------------------------------------------------

class CudaBprMbat : public ::testing::Test {
 protected:
  void SetUp() override { SKIP_WITHOUT_GPU(); }
};

TEST_F(CudaBprMbat, StructuredBindingIsBitIdentical) {
  for (size_t n : {size_t{1}, size_t{2}, size_t{64}, size_t{1024}, size_t{4096}, size_t{16384}}) {
    for (size_t rounds : {size_t{1}, size_t{3}}) {
      for (bool transpose : {false, true}) {
        const Role r = MakeRole(n, rounds, uint32_t(n * 10 + rounds));
        const size_t count = n >= 16384 ? 5 : 77;
        std::vector<float> g = Random(count * n, 9), c = g;
        ek::cuda::BindStructured(r.view(), g.data(), count, n, transpose);
        ek::kernels::BindStructured(r.view(), c.data(), count, n, transpose);
        for (size_t i = 0; i < g.size(); ++i)
          ASSERT_EQ(g[i], c[i]) << "n " << n << " rounds " << rounds << " transpose " << transpose << " at " << i;
      }
    }
  }
}

// The kernel table's entry takes a large structured batch to the GPU: still the CPU's bits.
TEST_F(CudaBprMbat, TheTablesLargeStructuredBatchIsBitIdentical) {
  const size_t n = 1024, count = 2048;  // 2^21 floats, over the table's GPU threshold
  const Role r = MakeRole(n, 3, 23);
  for (uint32_t transpose : {0u, 1u}) {
    std::vector<float> g = Random(count * n, 24), c = g;
    ASSERT_EQ(EK_OK, ek::cuda::KernelTable()->bind_structured(r.signs.data(), 3, r.perm.data(), g.data(), count,
                                                              n, transpose));
    ek::kernels::BindStructured(r.view(), c.data(), count, n, transpose != 0);
    ASSERT_EQ(g, c) << "transpose " << transpose;
  }
}

TEST_F(CudaBprMbat, DenseBindingWithinRounding) {
  const size_t n = 256;
  const std::vector<float> m = Random(n * n, 11);
  for (size_t count : {size_t{3}, size_t{100}}) {  // the warp-per-row kernel and the SGEMM
    for (bool transpose : {false, true}) {
      const std::vector<float> v = Random(count * n, 12);
      std::vector<float> g(count * n), c(count * n);
      ek::cuda::BindDense(m.data(), n, v.data(), count, g.data(), transpose);
      ek::kernels::BindDense(m.data(), n, v.data(), count, c.data(), transpose);
      for (size_t i = 0; i < g.size(); ++i)
        ASSERT_NEAR(g[i], c[i], 1e-4 * std::sqrt(double(n))) << "count " << count << " transpose " << transpose << " " << i;
    }
  }
}

// No two triples share a row, so the concurrent GPU step computes what the sequential
// CPU step does, up to the order of the dot product's additions.
TEST_F(CudaBprMbat, BprWithoutSharedRowsEqualsTheCpu) {
  for (size_t dim : {size_t{37}, size_t{64}, size_t{128}}) {
    for (bool adam : {false, true}) {
      for (bool content : {false, true}) {
        const size_t n = 3000;
        Model gpu(n, 2 * n, dim, adam, content, uint32_t(dim)), cpu = gpu;
        std::vector<ek_bpr_triple> t(n);
        for (uint32_t s = 0; s < n; ++s)  // user s, items 2s and 2s+1; every 7th a reverse term
          t[s] = ek_bpr_triple{s, 2 * s, 2 * s + 1, s % 7 == 0 ? -1.0f : 1.0f, s % 3 == 0 ? 0.5f : 1.0f};
        ek_bpr_params pg = gpu.Params(0.05f, 1e-3f, 0.01f), pc = cpu.Params(0.05f, 1e-3f, 0.01f);
        uint64_t rg[2] = {0, 0}, rc[2] = {0, 0};
        const double lg = ek::cuda::BprStep(&pg, t.data(), n, rg);
        const ek::cuda::BprStats st = ek::cuda::LastBprStats();
        const double lc = ek::kernels::BprStep(&pc, t.data(), n, rc);
        const uint64_t rows = (uint64_t(n) + 2 * n) * dim * 4 * (adam ? 3 : 1) + (content ? 2 * 2 * n * dim * 4 : 0);
        EXPECT_GT(st.kernel_seconds, 0.0);
        EXPECT_EQ(rows + n * sizeof(ek_bpr_triple), st.bytes_to_device);
        const std::string where = "dim " + std::to_string(dim) + (adam ? " adam" : " sgd") + (content ? " content" : "");
        EXPECT_NEAR(lg, lc, 1e-5 * std::fabs(lc)) << where;
        EXPECT_EQ(rg[0], rc[0]) << where;
        EXPECT_EQ(rg[1], rc[1]) << where;
        auto same = [&](const std::vector<float>& a, const std::vector<float>& b, const char* what) {
          ASSERT_EQ(a.size(), b.size());
          for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5 + 1e-4 * std::fabs(b[i])) << where << " " << what << " " << i;
        };
        same(gpu.p, cpu.p, "p");
        same(gpu.q, cpu.q, "q");
        same(gpu.g, cpu.g, "content gradient");
        same(gpu.m_q, cpu.m_q, "m_q");
        same(gpu.v_p, cpu.v_p, "v_p");
      }
    }
  }
}

// Rows shared by concurrent triples: training and then unlearning (reverse terms on
// the forget users' triples, forward on the rest) on the GPU and on the CPU give loss
// curves within 6% of each other and the same ranking quality within 2 points. (The
// CPU emulation of the worst case, tests/bench/cuda/emulate_bpr_waves with these
// sizes, stays within 3.0%.)
TEST_F(CudaBprMbat, BprTrainingAndUnlearningCurvesMatchTheCpu) {
  const size_t users = 5000, items = 5000, dim = 32, per_epoch = 400000;
  const Planted world(users, items);
  const std::vector<ek_bpr_triple> held_out = world.Draw(20000, 99);
  Model gpu(users, items, dim, false, false, 21), cpu = gpu;
  for (int epoch = 0; epoch < 8; ++epoch) {
    const std::vector<ek_bpr_triple> t = world.Draw(per_epoch, 100 + epoch);
    ek_bpr_params pg = gpu.Params(0.1f, 1e-4f, 0.0f), pc = cpu.Params(0.1f, 1e-4f, 0.0f);
    const double lg = ek::cuda::BprStep(&pg, t.data(), t.size(), nullptr) / double(t.size());
    const double lc = ek::kernels::BprStep(&pc, t.data(), t.size(), nullptr) / double(t.size());
    EXPECT_NEAR(lg, lc, 0.06 * lc) << "training epoch " << epoch << ": GPU " << lg << ", CPU " << lc;
  }
  const double acc_g = RankAccuracy(gpu, held_out), acc_c = RankAccuracy(cpu, held_out);
  EXPECT_GT(acc_c, 0.7) << "the CPU run did not learn the planted preference";
  EXPECT_NEAR(acc_g, acc_c, 0.02) << "held-out rank accuracy after training";

  // Unlearn users < 500: their triples reversed (sign -1), the others' forward.
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<ek_bpr_triple> t = world.Draw(per_epoch / 2, 200 + epoch);
    for (auto& x : t)
      if (x.u < 500) x.sign = -1.0f;
    ek_bpr_params pg = gpu.Params(0.1f, 1e-4f, 0.0f), pc = cpu.Params(0.1f, 1e-4f, 0.0f);
    uint64_t rg[2] = {0, 0}, rc[2] = {0, 0};
    const double lg = ek::cuda::BprStep(&pg, t.data(), t.size(), rg) / double(t.size());
    const double lc = ek::kernels::BprStep(&pc, t.data(), t.size(), rc) / double(t.size());
    EXPECT_NEAR(lg, lc, 0.06 * lc) << "unlearning epoch " << epoch << ": GPU " << lg << ", CPU " << lc;
    EXPECT_EQ(rg[0], rc[0]);  // the reverse-term count is exact
    EXPECT_NEAR(double(rg[1]), double(rc[1]), 0.05 * double(rc[0]) + 50) << "reverse triples still ranked i > j";
  }
  std::vector<ek_bpr_triple> forget, retain;
  for (const auto& x : held_out) (x.u < 500 ? forget : retain).push_back(x);
  EXPECT_NEAR(RankAccuracy(gpu, forget), RankAccuracy(cpu, forget), 0.05) << "forget users after unlearning";
  EXPECT_NEAR(RankAccuracy(gpu, retain), RankAccuracy(cpu, retain), 0.02) << "retained users after unlearning";
  EXPECT_LT(RankAccuracy(cpu, forget), RankAccuracy(cpu, retain)) << "unlearning did not move the forget users";
}

TEST_F(CudaBprMbat, BprRefusalsWriteNothing) {
  Model m(10, 20, 16, true, true, 31);
  const Model before = m;
  ek_bpr_params a = m.Params(0.05f, 0.0f, 0.01f);
  std::vector<ek_bpr_triple> t{{1, 2, 3, 1.0f, 1.0f}, {9, 19, 20, 1.0f, 1.0f}};  // item 20 is out of range
  EXPECT_TRUE(std::isnan(ek::cuda::BprStep(&a, t.data(), t.size(), nullptr)));
  a.v_q = nullptr;  // partial Adam moments
  t[1].j = 4;
  EXPECT_TRUE(std::isnan(ek::cuda::BprStep(&a, t.data(), t.size(), nullptr)));
  EXPECT_EQ(before.p, m.p);
  EXPECT_EQ(before.q, m.q);
  EXPECT_EQ(before.m_q, m.m_q);
}

}  // namespace
