// vsa_json benchmark driver (figures only, never a timed test). Through the public API:
//   1. simdjson parse-only throughput of each corpus (the ceiling),
//   2. documents/s, MB/s and binding GFLOP/s for each binding x D on 1 thread and all,
//   3. one role application (bind) in isolation: structured vs dense vs gaussian,
//   4. probe accuracy vs number of fields K (capacity curve)   -> capacity.csv
//   5. norm / cosine drift vs nesting depth (stability curve)  -> stability.csv
//
//   vsa_json_bench [--out DIR] [--quick] [--dims 1024,4096] [--corpus-dir NPM_DIR]
//                  [--bindings structured,dense,gaussian] [--throughput-only]
// (--throughput-only: steps 1-3 only, for before/after runs of the same binary against
// two libembedkit builds: LD_LIBRARY_PATH=OLD_BUILD vsa_json_bench ...)
//
// FLOPs counted: role applications only (structured: R*(D log2 D + D) per application,
// dense/gaussian: 2 D^2), from a walk of each document (one application per object
// field and per array item). The "kernel" column is the rate of a single warm
// application measured in isolation (step 3), so pipeline/kernel shows the share of
// time that goes to parsing, atoms and accumulation.
#include <embedkit/embedkit.h>
#include <embedkit/ext/vsa_json.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a) { return std::chrono::duration<double>(Clock::now() - a).count(); }

struct Corpus {
  std::string name;
  std::vector<std::string> docs;
  size_t bytes = 0;
  size_t applications = 0;  // role applications for one pass
  size_t distinct_keys = 0;
};

void Walk(const simdjson::dom::element& e, size_t* apps, std::set<std::string>* keys) {
  simdjson::dom::object o;
  simdjson::dom::array a;
  if (!e.get(o)) {
    for (auto f : o) {
      ++*apps;
      keys->insert(std::string(f.key));
      Walk(f.value, apps, keys);
    }
  } else if (!e.get(a)) {
    for (auto x : a) {
      ++*apps;
      Walk(x, apps, keys);
    }
  }
}

bool Load(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

// Documents: the elements of a top-level array, or (browser-compat-data) the children
// of each top-level object member except "__meta".
bool LoadCorpus(const std::string& name, const std::string& path, bool split_tree, Corpus* c) {
  std::string text;
  if (!Load(path, &text)) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root)) return false;
  c->name = name;
  simdjson::dom::array arr;
  simdjson::dom::object obj;
  if (!split_tree && !root.get(arr)) {
    for (auto x : arr) c->docs.push_back(simdjson::minify(x));
  } else if (!root.get(obj)) {
    for (auto top : obj) {
      if (top.key == "__meta") continue;
      simdjson::dom::object inner;
      if (top.value.get(inner)) continue;
      for (auto child : inner) {
        c->docs.push_back("{\"" + std::string(child.key) + "\":" + simdjson::minify(child.value) + "}");
      }
    }
  }
  std::set<std::string> keys;
  for (const auto& d : c->docs) {
    c->bytes += d.size();
    simdjson::dom::element e;
    if (!parser.parse(d).get(e)) Walk(e, &c->applications, &keys);
  }
  c->distinct_keys = keys.size() + 1;  // + the sequence role
  return true;
}

double ParseOnlyBytesPerSecond(const Corpus& c, double min_seconds) {
  simdjson::dom::parser parser;
  std::vector<simdjson::padded_string> padded;
  for (const auto& d : c.docs) padded.emplace_back(d);
  size_t bytes = 0;
  auto t0 = Clock::now();
  do {
    for (const auto& p : padded) {
      simdjson::dom::element e;
      if (parser.parse(p).get(e)) std::abort();
      bytes += p.size();
    }
  } while (Seconds(t0) < min_seconds);
  return double(bytes) / Seconds(t0);
}

struct Ctx {
  ek_context* ctx = nullptr;
  explicit Ctx(uint32_t threads) {
    ek_context_options o;
    ek_context_options_init(&o);
    o.num_threads = threads;
    o.log_level = EK_LOG_ERROR;
    if (ek_context_create(&o, &ctx) != EK_OK) {
      std::fprintf(stderr, "context: %s\n", ek_last_error());
      std::exit(1);
    }
  }
  ~Ctx() { ek_context_free(ctx); }
  uint32_t Threads() {
    ek_context_info info{};
    info.struct_size = sizeof info;
    ek_context_info_get(ctx, &info);
    return info.num_threads;
  }
  std::string Simd() {
    ek_context_info info{};
    info.struct_size = sizeof info;
    ek_context_info_get(ctx, &info);
    return info.simd_target;
  }
};

struct Inst {
  ek_instance* h = nullptr;
  const ek_vsa_probe_ext* p = nullptr;
  void* self = nullptr;
  size_t dim = 0;
  Inst(ek_context* ctx, const std::string& cfg) {
    if (ek_instance_create(ctx, "embedkit.vsa_json", cfg.c_str(), &h) != EK_OK) {
      std::fprintf(stderr, "instance %s: %s\n", cfg.c_str(), ek_last_error());
      std::exit(1);
    }
    ek_encoder_dim(h, &dim);
    const void* t = nullptr;
    ek_instance_get_extension(h, EK_EXT_VSA_PROBE, &t);
    p = static_cast<const ek_vsa_probe_ext*>(t);
    self = ek_instance_plugin_data(h);
  }
  ~Inst() { ek_instance_free(h); }
  void Encode(const std::vector<ek_string_view>& sv, size_t begin, size_t end, std::vector<float>& out) {
    const size_t n = end - begin;
    out.resize(n * dim);
    if (ek_encode(h, sv.data() + begin, n, out.data(), out.size(), nullptr) != EK_OK) {
      std::fprintf(stderr, "encode: %s\n", ek_last_error());
      std::exit(1);
    }
  }
};

double BindFlops(const std::string& binding, size_t d) {
  if (binding == "structured") return 3.0 * (double(d) * std::log2(double(d)) + double(d));
  return 2.0 * double(d) * double(d);
}

// Microseconds per warm role application (bind with a one-key path).
double BindMicros(ek_context* ctx, const std::string& binding, size_t d, double min_seconds) {
  Inst in(ctx, "{\"dim\":" + std::to_string(d) + ",\"binding\":\"" + binding + "\"}");
  std::vector<float> x(d, 1.0f / std::sqrt(float(d))), y(d);
  in.p->bind(in.self, "k", x.data(), y.data(), 0);  // generate + cache
  size_t n = 0;
  auto t0 = Clock::now();
  do {
    for (int i = 0; i < 16; ++i) in.p->bind(in.self, "k", y.data(), y.data(), 0);
    n += 16;
  } while (Seconds(t0) < min_seconds);
  return Seconds(t0) / double(n) * 1e6;
}

// Role generation time (first application).
double GenerateSeconds(ek_context* ctx, const std::string& binding, size_t d) {
  Inst in(ctx, "{\"dim\":" + std::to_string(d) + ",\"binding\":\"" + binding + "\"}");
  std::vector<float> x(d, 1.0f), y(d);
  auto t0 = Clock::now();
  in.p->bind(in.self, "fresh", x.data(), y.data(), 0);
  return Seconds(t0);
}

double ProbeAccuracy(Inst& in, size_t k_fields, size_t probes_wanted, size_t n_cand, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> cands;
  std::vector<ek_string_view> sv;
  for (size_t i = 0; i < n_cand; ++i) cands.push_back("\"value" + std::to_string(i) + "\"");
  for (const auto& c : cands) sv.push_back({c.data(), c.size()});
  const size_t docs = std::max<size_t>(2, (probes_wanted + k_fields - 1) / k_fields);
  size_t right = 0, total = 0;
  std::vector<float> v(in.dim);
  for (size_t t = 0; t < docs; ++t) {
    std::vector<size_t> truth(k_fields);
    std::string doc = "{";
    for (size_t f = 0; f < k_fields; ++f) {
      truth[f] = rng() % n_cand;
      doc += (f ? "," : "") + std::string("\"field") + std::to_string(f) + "\":" + cands[truth[f]];
    }
    doc += "}";
    ek_string_view d{doc.data(), doc.size()};
    ek_encode(in.h, &d, 1, v.data(), v.size(), nullptr);
    for (size_t f = 0; f < k_fields; ++f) {
      uint32_t idx = 0;
      float score = 0;
      size_t got = 0;
      const std::string path = "field" + std::to_string(f);
      in.p->probe(in.self, v.data(), path.c_str(), sv.data(), sv.size(), 1, &idx, &score, &got);
      right += idx == truth[f];
      ++total;
    }
  }
  return double(right) / double(total);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir = ".";
  std::string npm = EK_NPM_DIR;
  bool quick = false, full = false, throughput_only = false;
  std::vector<size_t> dims = {1024, 4096};
  std::set<std::string> bindings = {"structured", "dense", "gaussian"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) out_dir = argv[++i];
    else if (a == "--corpus-dir" && i + 1 < argc) npm = argv[++i];
    else if (a == "--quick") quick = true;
    else if (a == "--full") full = true;  // dense/gaussian at D > 1024 too (minutes per key here)
    else if (a == "--throughput-only") throughput_only = true;
    else if (a == "--bindings" && i + 1 < argc) {
      bindings.clear();
      std::stringstream ss(argv[++i]);
      for (std::string t; std::getline(ss, t, ',');) bindings.insert(t);
    }
    else if (a == "--dims" && i + 1 < argc) {
      dims.clear();
      std::stringstream ss(argv[++i]);
      for (std::string t; std::getline(ss, t, ',');) dims.push_back(std::stoul(t));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--out DIR] [--quick] [--full] [--dims 1024,4096] [--corpus-dir DIR] "
                   "[--bindings structured,dense,gaussian] [--throughput-only]\n",
                   argv[0]);
      return 2;
    }
  }
  const double min_s = quick ? 0.05 : 1.0;
  Ctx one(1), all(0);
  std::printf("# vsa_json benchmark  simd=%s  threads(all)=%u  %s\n", all.Simd().c_str(), all.Threads(),
              quick ? "(quick)" : "");

  // ---- 3. one role application in isolation ----
  std::printf("\n## One role application (bind, warm), 1 thread\n");
  std::printf("%-11s %6s %12s %10s %14s\n", "binding", "D", "us/apply", "GFLOP/s", "generate (s)");
  std::map<std::pair<std::string, size_t>, double> kernel_gflops;
  for (size_t d : dims) {
    double structured_us = 0;
    for (std::string b : {"structured", "dense", "gaussian"}) {
      if (!bindings.count(b) || (quick && b != "structured" && d > 1024)) continue;
      const double gen = GenerateSeconds(one.ctx, b, d);
      const double us = BindMicros(one.ctx, b, d, min_s / 2);
      kernel_gflops[{b, d}] = BindFlops(b, d) / (us * 1e-6) / 1e9;
      std::printf("%-11s %6zu %12.2f %10.2f %14.3f\n", b.c_str(), d, us, kernel_gflops[{b, d}], gen);
      if (b == "structured") structured_us = us;
      if (b == "dense") std::printf("   dense / structured = %.0fx\n", us / structured_us);
    }
  }

  // ---- 1 + 2. corpora ----
  std::vector<Corpus> corpora;
  struct Src {
    const char* name;
    const char* rel;
    bool split;
  };
  for (Src s : {Src{"countries", "/world-countries/countries.json", false},
                Src{"movies", "/vega-datasets/data/movies.json", false},
                Src{"browser-compat", "/@mdn/browser-compat-data/data.json", true}}) {
    Corpus c;
    if (!LoadCorpus(s.name, npm + s.rel, s.split, &c)) {
      std::printf("(skipping %s: %s%s not found)\n", s.name, npm.c_str(), s.rel);
      continue;
    }
    corpora.push_back(std::move(c));
  }
  std::printf("\n## Encoding throughput (soft mode; FLOPs = role applications only)\n");
  std::printf("%-15s %5s %-10s %6s %8s %11s %9s %10s %9s %8s\n", "corpus", "docs", "binding", "D", "threads",
              "docs/s", "MB/s", "GFLOP/s", "%kernel", "vs parse");
  for (const Corpus& c : corpora) {
    const double parse_bps = ParseOnlyBytesPerSecond(c, min_s);
    std::printf("%-15s %5zu %-10s %6s %8d %11.0f %9.1f %10s %9s %8s   (simdjson DOM parse only; %zu role "
                "applications, %zu distinct keys)\n",
                c.name.c_str(), c.docs.size(), "-", "-", 1, parse_bps / (double(c.bytes) / c.docs.size()),
                parse_bps / 1e6, "-", "-", "1.00", c.applications, c.distinct_keys);
    std::vector<ek_string_view> sv;
    for (const auto& d : c.docs) sv.push_back({d.data(), d.size()});
    for (size_t d : dims) {
      for (std::string b : {"structured", "dense", "gaussian"}) {
        if (!bindings.count(b)) continue;
        const double matrix_mb = double(d) * d * 4 / 1e6;
        if (b != "structured" && (quick || matrix_mb * double(c.distinct_keys) > 6000 || (d > 1024 && !full))) {
          std::printf("%-15s %5s %-10s %6zu %8s   skipped: %zu keys x %.0f MB matrices\n", c.name.c_str(), "",
                      b.c_str(), d, "", c.distinct_keys, matrix_mb);
          continue;
        }
        // One instance (on the all-threads context) per binding x D: "1 thread" encodes
        // one document per call (a single document is encoded on the calling thread),
        // "all" encodes batches of 256 on the host's pool.
        Inst in(all.ctx, "{\"dim\":" + std::to_string(d) + ",\"binding\":\"" + b +
                             "\",\"matrix_cache_mb\":8192}");
        std::vector<float> out;
        auto tw = Clock::now();
        in.Encode(sv, 0, sv.size(), out);  // first pass: generates every role once
        const double warm = Seconds(tw);
        for (size_t batch : {size_t{1}, size_t{256}}) {
          const uint32_t threads = batch == 1 ? 1 : all.Threads();
          size_t docs = 0, bytes = 0;
          auto t0 = Clock::now();
          do {
            for (size_t i = 0; i < sv.size(); i += batch) {
              const size_t e = std::min(sv.size(), i + batch);
              in.Encode(sv, i, e, out);
              docs += e - i;
              for (size_t j = i; j < e; ++j) bytes += sv[j].length;
              if (b != "structured" && Seconds(t0) > min_s * 3) break;
            }
          } while (Seconds(t0) < min_s);
          const double s = Seconds(t0);
          const double flops = BindFlops(b, d) * double(c.applications) * double(docs) / double(c.docs.size());
          const double gflops = flops / s / 1e9;
          const double kernel = kernel_gflops.count({b, d}) ? kernel_gflops[{b, d}] * threads : 0;
          std::printf("%-15s %5zu %-10s %6zu %8u %11.0f %9.1f %10.2f %8.0f%% %8.3f   (first pass %.2f s)\n",
                      c.name.c_str(), c.docs.size(), b.c_str(), d, threads, double(docs) / s,
                      double(bytes) / s / 1e6, gflops, kernel > 0 ? 100 * gflops / kernel : 0,
                      (double(bytes) / s) / parse_bps, warm);
          std::fflush(stdout);
        }
      }
    }
  }

  if (throughput_only) return 0;
  // ---- 4. capacity curve ----
  std::printf("\n## Probe accuracy vs fields K (100 candidates, soft mode)\n");
  std::ofstream cap(out_dir + "/capacity.csv");
  cap << "binding,dim,k,accuracy\n";
  const size_t probes = quick ? 100 : 1000;
  for (std::string b : {"structured", "dense"}) {
    for (size_t d : {256u, 1024u, 4096u}) {
      if (b == "dense" && d == 4096 && !full) continue;
      if (quick && (d > 256 || b == "dense")) continue;
      Inst in(all.ctx, "{\"dim\":" + std::to_string(d) + ",\"binding\":\"" + b + "\",\"matrix_cache_mb\":8192}");
      std::printf("%-10s D=%-5zu", b.c_str(), d);
      for (size_t k = 1; k <= d / 2; k *= 2) {
        if (b == "dense" && k > 256) break;  // one matrix per field
        const double acc = ProbeAccuracy(in, k, probes, 100, d * 1000 + k);
        cap << b << "," << d << "," << k << "," << acc << "\n";
        std::printf(" K=%zu:%.3f", k, acc);
        std::fflush(stdout);
      }
      std::printf("\n");
    }
  }

  // ---- 5. stability curve ----
  std::printf("\n## Drift vs nesting depth (D=1024, same key each level; mean over 8 vector pairs)\n");
  std::ofstream st(out_dir + "/stability.csv");
  st << "binding,depth,norm_drift,cos_drift\n";
  for (std::string b : {"structured", "dense", "gaussian"}) {
    Inst in(one.ctx, "{\"dim\":1024,\"binding\":\"" + b + "\"}");
    const size_t d = in.dim;
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g;
    std::vector<std::vector<float>> xs(16, std::vector<float>(d));
    std::vector<double> cos0(8);
    for (auto& x : xs) {
      double n = 0;
      for (auto& v : x) v = float(g(rng)), n += double(v) * v;
      for (auto& v : x) v = float(v / std::sqrt(n));
    }
    for (int p = 0; p < 8; ++p) {  // y = x + z: cos ~ 0.71
      for (size_t i = 0; i < d; ++i) xs[2 * p + 1][i] += xs[2 * p][i];
      double n = 0;
      for (float v : xs[2 * p + 1]) n += double(v) * v;
      for (auto& v : xs[2 * p + 1]) v = float(v / std::sqrt(n));
      double c = 0;
      for (size_t i = 0; i < d; ++i) c += double(xs[2 * p][i]) * xs[2 * p + 1][i];
      cos0[p] = c;
    }
    std::printf("%-10s", b.c_str());
    for (int depth = 1; depth <= 200; ++depth) {
      double nd = 0, cd = 0;
      for (int p = 0; p < 8; ++p) {
        auto& x = xs[2 * p];
        auto& y = xs[2 * p + 1];
        in.p->bind(in.self, "a", x.data(), x.data(), 0);
        in.p->bind(in.self, "a", y.data(), y.data(), 0);
        double xx = 0, yy = 0, xy = 0;
        for (size_t i = 0; i < d; ++i) xx += double(x[i]) * x[i], yy += double(y[i]) * y[i], xy += double(x[i]) * y[i];
        nd += std::fabs(std::sqrt(xx) - 1.0) / 8;
        cd += std::fabs(xy / std::sqrt(xx * yy) - cos0[p]) / 8;
      }
      st << b << "," << depth << "," << nd << "," << cd << "\n";
      if (depth == 10 || depth == 100 || depth == 200) std::printf("  depth %d: norm %.2e cos %.2e", depth, nd, cd);
    }
    std::printf("\n");
  }
  std::printf("\nCSV written to %s/capacity.csv and %s/stability.csv\n", out_dir.c_str(), out_dir.c_str());
  return 0;
}
