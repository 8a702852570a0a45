// The rec_unlearn evaluation harness, over the public API only (embedkit.h +
// ext/recommender.h): reading MovieLens-style files, the per-user temporal split,
// choosing forget sets, and running one unlearning method with the metrics of
// `embedkit rec eval`. Header-only so that the CLI, the tests
// (tests/plugins/rec_unlearn) and the benchmark (tests/bench/rec_unlearn) run the
// very same procedure.
#pragma once

#include <embedkit/embedkit.h>
#include <embedkit/ext/recommender.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "errors.h"  // PluginMessage

namespace ek::rec_harness {

struct Row {
  std::string user, item;
  float rating = 1;
  int64_t ts = 0;
  bool rated = false;  // the line gave a rating (else: implicit feedback, a positive)
};

struct Items {
  std::vector<std::string> ids;
  std::vector<float> flags;  // ids.size() x flag_dim
  size_t flag_dim = 0;
  std::vector<std::string> titles;  // UTF-8
};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A NUL byte would cut an id short where it crosses the C API as a NUL-terminated
// string ("u\0a" and "u\0b" both become "u"), so a line holding one is refused.
inline void RequireNoNul(const std::string& line, const std::string& path, size_t n) {
  const size_t at = line.find('\0');
  if (at == std::string::npos) return;
  throw Failure(path + ":" + std::to_string(n) + ": a NUL byte at column " + std::to_string(at + 1) +
                "; ids cannot contain NUL (is this a binary or UTF-16 file?)");
}

// Tab- (or whitespace-) separated `user item [rating [timestamp]]`; '#' lines skipped.
// `path` names the source in messages ("path:line: ..."). Also fuzzed
// (tests/fuzz/fuzz_rec_interactions.cc).
inline std::vector<Row> ParseInteractions(std::istream& in, const std::string& path) {
  std::vector<Row> rows;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    RequireNoNul(line, path, n);
    std::istringstream ss(line);
    Row r;
    if (!(ss >> r.user >> r.item))
      throw Failure(path + ":" + std::to_string(n) + ": expected 'user item [rating [timestamp]]'");
    std::string rating, ts;
    if (ss >> rating) {
      try {
        r.rating = std::stof(rating);
      } catch (...) {
        throw Failure(path + ":" + std::to_string(n) + ": rating '" + rating + "' is not a number");
      }
      if (!std::isfinite(r.rating))
        throw Failure(path + ":" + std::to_string(n) + ": rating '" + rating + "' is not finite");
      r.rated = true;
      if (ss >> ts) {
        try {
          r.ts = std::stoll(ts);
        } catch (...) {
          throw Failure(path + ":" + std::to_string(n) + ": timestamp '" + ts + "' is not an integer");
        }
      }
    }
    rows.push_back(std::move(r));
  }
  if (rows.empty()) throw Failure("no interactions in '" + path + "'");
  return rows;
}

inline std::vector<Row> ReadInteractions(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Failure("cannot read interactions file '" + path + "'");
  return ParseInteractions(in, path);
}

inline std::string Latin1ToUtf8(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

// MovieLens u.item: id|title|release|video release|url|flag_1|...|flag_n (Latin-1).
inline Items ReadItems(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure("cannot read items file '" + path + "'");
  Items it;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    RequireNoNul(line, path, n);
    std::vector<std::string> f;
    size_t p = 0;
    while (true) {
      const size_t q = line.find('|', p);
      f.push_back(line.substr(p, q == std::string::npos ? std::string::npos : q - p));
      if (q == std::string::npos) break;
      p = q + 1;
    }
    if (f.size() < 2) throw Failure(path + ":" + std::to_string(n) + ": expected 'id|title|...|flags'");
    const size_t flags = f.size() >= 6 ? f.size() - 5 : 0;
    if (it.ids.empty()) it.flag_dim = flags;
    if (flags != it.flag_dim)
      throw Failure(path + ":" + std::to_string(n) + ": " + std::to_string(flags) + " flags, earlier lines have " +
                    std::to_string(it.flag_dim));
    it.ids.push_back(f[0]);
    it.titles.push_back(Latin1ToUtf8(f[1]));
    for (size_t k = 0; k < flags; ++k) it.flags.push_back(f[5 + k] == "1" ? 1.0f : 0.0f);
  }
  return it;
}

struct Split {
  std::vector<Row> train, valid, test;
};

// Positives (rating >= min_rating); per user sorted by time (ties by item), the
// first 80% train, next 10% valid, last 10% test (users with < 3 positives: all train).
inline Split TemporalSplit(const std::vector<Row>& rows, float min_rating) {
  std::map<std::string, std::vector<Row>> by_user;
  for (const auto& r : rows)
    if (r.rating >= min_rating) by_user[r.user].push_back(r);
  Split s;
  for (auto& [u, v] : by_user) {
    std::sort(v.begin(), v.end(), [](const Row& a, const Row& b) { return a.ts != b.ts ? a.ts < b.ts : a.item < b.item; });
    const size_t n = v.size();
    size_t n_train = n, n_valid = 0;
    if (n >= 3) {
      n_train = std::max<size_t>(1, size_t(std::floor(0.8 * double(n))));
      n_valid = (n - n_train) / 2;
    }
    for (size_t k = 0; k < n; ++k)
      (k < n_train ? s.train : k < n_train + n_valid ? s.valid : s.test).push_back(v[k]);
  }
  return s;
}

// "4", "4.5", "1e+06": a number for a message, short (%g), never "4.500000".
inline std::string ShortNumber(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// The positives of an interactions file and what choosing them dropped.
struct Selection {
  std::vector<Row> positives;
  size_t lines = 0;    // interactions read
  size_t dropped = 0;  // rated below the threshold
  bool implicit = false;  // no line's rating tells preferences apart: all positives
  float min_rating = 0;   // the threshold applied to rated lines (when !implicit)
  float lowest = 0, highest = 0;  // range of the ratings given
};

// Which interactions are positives. A line without a rating is one (implicit
// feedback). When every rating is the same (a file of 'user item 1' lines) the ratings
// tell nothing apart, so every line is a positive; otherwise a rated line is one when
// its rating is >= min_rating. What that drops is counted; if it drops every line, the
// Failure says so instead of training on nothing.
inline Selection SelectPositives(const std::vector<Row>& rows, float min_rating, const std::string& path) {
  Selection s;
  s.lines = rows.size();
  s.min_rating = min_rating;
  bool any_rated = false;
  for (const auto& r : rows) {
    if (!r.rated) continue;
    s.lowest = any_rated ? std::min(s.lowest, r.rating) : r.rating;
    s.highest = any_rated ? std::max(s.highest, r.rating) : r.rating;
    any_rated = true;
  }
  s.implicit = !any_rated || s.lowest == s.highest;
  for (const auto& r : rows) {
    if (s.implicit || !r.rated || r.rating >= min_rating) {
      s.positives.push_back(r);
    } else {
      ++s.dropped;
    }
  }
  if (s.positives.empty()) {
    throw Failure("all " + std::to_string(s.lines) + " interactions in '" + path + "' have a rating below --min-rating " +
                  ShortNumber(min_rating) + " (ratings there range " + ShortNumber(s.lowest) + ".." +
                  ShortNumber(s.highest) + "); lower --min-rating to keep them");
  }
  return s;
}

// The one line that says what SelectPositives did, for stderr.
inline std::string SelectionNote(const Selection& s, const std::string& path) {
  if (s.implicit) {
    return "'" + path + "': " + std::to_string(s.lines) +
           " interactions, read as implicit feedback (no differing ratings): all are positives";
  }
  return "'" + path + "': dropped " + std::to_string(s.dropped) + " of " + std::to_string(s.lines) +
         " interactions rated below --min-rating " + ShortNumber(s.min_rating) + "; " +
         std::to_string(s.positives.size()) + " positives";
}

// ---- the plugin through the public API ---------------------------------------------------

class Rec {
 public:
  Rec(ek_context* ctx, const std::string& config) {
    if (ek_instance_create(ctx, "embedkit.rec_unlearn", config.c_str(), &inst_) != EK_OK)
      throw Failure(std::string("creating embedkit.rec_unlearn: ") + ek_last_error());
    const void* t = nullptr;
    if (ek_instance_get_extension(inst_, EK_EXT_RECOMMENDER, &t) != EK_OK) throw Failure(ek_last_error());
    rec_ = static_cast<const ek_recommender_ext*>(t);
    if (ek_instance_get_extension(inst_, EK_EXT_UNLEARNER, &t) != EK_OK) throw Failure(ek_last_error());
    unl_ = static_cast<const ek_unlearner_ext*>(t);
    self_ = ek_instance_plugin_data(inst_);
  }
  ~Rec() { ek_instance_free(inst_); }
  Rec(const Rec&) = delete;
  Rec& operator=(const Rec&) = delete;

  const ek_recommender_ext* rec() const { return rec_; }
  const ek_unlearner_ext* unl() const { return unl_; }
  void* self() const { return self_; }
  const char* error() const { return rec_->last_error(self_); }
  void Check(ek_status s, const char* what) const {
    if (s != EK_OK) throw Failure(std::string(ek_status_name(s)) + ": " + ek::cli::PluginMessage(what, error()));
  }

  void AddItems(const Items& it) {
    if (it.ids.empty()) return;
    std::vector<const char*> ids;
    std::vector<ek_string_view> texts;
    for (size_t i = 0; i < it.ids.size(); ++i) {
      ids.push_back(it.ids[i].c_str());
      texts.push_back(ek_string_view{it.titles[i].data(), it.titles[i].size()});
    }
    ek_rec_items x{};
    x.struct_size = sizeof x;
    x.count = ids.size();
    x.ids = ids.data();
    x.categorical = it.flag_dim ? it.flags.data() : nullptr;
    x.categorical_dim = it.flag_dim;
    x.texts = texts.data();
    Check(rec_->set_items(self_, &x), "set_items");
  }
  void Add(const std::vector<Row>& rows) {
    std::vector<const char*> u, i;
    std::vector<float> w;
    std::vector<int64_t> t;
    for (const auto& r : rows) {
      u.push_back(r.user.c_str());
      i.push_back(r.item.c_str());
      w.push_back(r.rating);
      t.push_back(r.ts);
    }
    ek_rec_interactions x{};
    x.struct_size = sizeof x;
    x.count = rows.size();
    x.users = u.data();
    x.items = i.data();
    x.weights = w.data();
    x.timestamps = t.data();
    Check(rec_->add_interactions(self_, &x), "add_interactions");
  }
  ek_rec_train_report Train(const char* options = nullptr) {
    ek_rec_train_report r{};
    r.struct_size = sizeof r;
    Check(rec_->train(self_, options, &r), "train");
    return r;
  }
  ek_rec_metrics Evaluate(const std::vector<std::pair<std::string, std::string>>& pairs, size_t k,
                          bool exclude_seen = true) const {
    std::vector<const char*> u, i;
    for (const auto& p : pairs) {
      u.push_back(p.first.c_str());
      i.push_back(p.second.c_str());
    }
    ek_rec_interactions x{};
    x.struct_size = sizeof x;
    x.count = pairs.size();
    x.users = u.data();
    x.items = i.data();
    ek_rec_metrics m{};
    m.struct_size = sizeof m;
    Check(rec_->evaluate(self_, &x, k, exclude_seen ? 1 : 0, &m), "evaluate");
    return m;
  }
  ek_status Forget(int32_t kind, int32_t method, const std::vector<std::string>& users,
                   const std::vector<std::string>& items, uint32_t flags, const char* options,
                   ek_forget_report* report) {
    std::vector<const char*> u, i;
    for (auto& s : users) u.push_back(s.c_str());
    for (auto& s : items) i.push_back(s.c_str());
    ek_forget_request q{};
    q.struct_size = sizeof q;
    q.kind = kind;
    q.method = method;
    q.flags = flags;
    q.count = kind == EK_FORGET_ITEMS ? i.size() : u.size();
    q.users = u.empty() ? nullptr : u.data();
    q.items = i.empty() ? nullptr : i.data();
    q.options_json = options;
    report->struct_size = sizeof *report;
    return unl_->forget(self_, &q, report);
  }

 private:
  ek_instance* inst_ = nullptr;
  const ek_recommender_ext* rec_ = nullptr;
  const ek_unlearner_ext* unl_ = nullptr;
  void* self_ = nullptr;
};

// ---- forget sets and one evaluation run ------------------------------------------------

inline int32_t ParseKind(const std::string& k) {
  if (k == "interactions") return EK_FORGET_INTERACTIONS;
  if (k == "users") return EK_FORGET_USERS;
  if (k == "items") return EK_FORGET_ITEMS;
  throw Failure("--forget must be interactions, users or items, got '" + k + "'");
}

struct ForgetSet {
  int32_t kind = EK_FORGET_INTERACTIONS;
  std::vector<std::string> users, items;          // the request
  std::vector<std::pair<std::string, std::string>> pairs;  // every forgotten interaction
  std::unordered_set<std::string> gone_users, gone_items;
};

// A seeded random fraction of the training interactions, users or items (at least 1).
inline ForgetSet ChooseForgetSet(const std::vector<Row>& train, int32_t kind, double fraction, uint64_t seed) {
  std::mt19937_64 rng(seed);
  ForgetSet f;
  f.kind = kind;
  auto take = [&](size_t n) { return std::max<size_t>(1, size_t(std::llround(fraction * double(n)))); };
  if (kind == EK_FORGET_INTERACTIONS) {
    std::vector<size_t> idx(train.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(std::min(idx.size(), take(train.size())));
    std::sort(idx.begin(), idx.end());
    for (size_t k : idx) {
      f.users.push_back(train[k].user);
      f.items.push_back(train[k].item);
      f.pairs.emplace_back(train[k].user, train[k].item);
    }
    return f;
  }
  std::set<std::string> all;
  for (const auto& r : train) all.insert(kind == EK_FORGET_USERS ? r.user : r.item);
  std::vector<std::string> v(all.begin(), all.end());
  std::shuffle(v.begin(), v.end(), rng);
  v.resize(std::min(v.size(), take(v.size())));
  std::sort(v.begin(), v.end());
  std::unordered_set<std::string> chosen(v.begin(), v.end());
  (kind == EK_FORGET_USERS ? f.users : f.items) = v;
  (kind == EK_FORGET_USERS ? f.gone_users : f.gone_items) = chosen;
  for (const auto& r : train)
    if (chosen.count(kind == EK_FORGET_USERS ? r.user : r.item)) f.pairs.emplace_back(r.user, r.item);
  return f;
}

struct MethodResult {
  std::string method;
  double recall = 0, ndcg = 0, forget_recall = 0, forget_mean_rank = 0, time_s = 0;
  uint64_t test_users = 0, forget_pairs = 0;
  uint32_t epochs = 0;
};

inline const char* MethodName(int32_t m) {
  return m == EK_UNLEARN_MMRECUN ? "mmrecun" : m == EK_UNLEARN_GOLD ? "gold" : m == EK_UNLEARN_FINETUNE ? "finetune" : "noop";
}

// Test pairs of retained users and items.
inline std::vector<std::pair<std::string, std::string>> RetainedTest(const std::vector<Row>& test, const ForgetSet& f) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : test)
    if (!f.gone_users.count(r.user) && !f.gone_items.count(r.item)) out.emplace_back(r.user, r.item);
  return out;
}

// Builds a model on `train` (with `items` when non-empty), runs `method` on the forget
// set and measures: retain utility on `test`, forget-set hit rate and mean rank
// (users/items are kept until the measurement, then purged), wall time of forget().
// `base` (optional) is a store holding the trained model under `name`, so that every
// method starts from the very same parameters without retraining.
inline MethodResult RunMethod(ek_context* ctx, const std::string& config, ek_store* base, const std::string& name,
                              const ForgetSet& f, const std::vector<Row>& test, int32_t method, size_t k,
                              const char* options = nullptr) {
  Rec r(ctx, config);
  r.Check(r.rec()->load(r.self(), base, name.c_str()), "load");
  // Work on a private in-memory copy: the base store is never modified.
  ek_store* mem = nullptr;
  if (ek_store_open(ctx, ":memory:", nullptr, &mem) != EK_OK) throw Failure(ek_last_error());
  struct StoreGuard {
    ek_store* s;
    ~StoreGuard() { ek_store_free(s); }
  } guard{mem};
  ek_rec_stats st{};
  st.struct_size = sizeof st;
  r.Check(r.rec()->stats(r.self(), &st), "stats");
  // Unbinding from the base store: save into the in-memory one (also measured by no one).
  r.Check(r.rec()->save(r.self(), mem, name.c_str()), "save");
  ek_forget_report rep{};
  const auto t0 = std::chrono::steady_clock::now();
  r.Check(r.Forget(f.kind, method, f.users, f.items, EK_FORGET_KEEP_ROWS, options, &rep), "forget");
  MethodResult m;
  m.method = MethodName(method);
  m.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.epochs = rep.epochs;
  const auto fm = r.Evaluate(f.pairs, k);
  m.forget_recall = fm.hit_rate;
  m.forget_mean_rank = fm.mean_rank;
  m.forget_pairs = fm.pairs;
  uint64_t purged = 0;
  r.Check(r.unl()->purge(r.self(), &purged), "purge");
  const auto tm = r.Evaluate(RetainedTest(test, f), k);
  m.recall = tm.recall;
  m.ndcg = tm.ndcg;
  m.test_users = tm.users;
  return m;
}

}  // namespace ek::rec_harness
