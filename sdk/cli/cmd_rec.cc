// embedkit rec train|recommend|forget|eval: the rec_unlearn plugin from the command
// line, through the public API (ek_instance_get_extension + ext/recommender.h).
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>

#include "cmd_rec_harness.h"
#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "session.h"

namespace ek::cli {
namespace {

namespace h = ek::rec_harness;

struct InstanceFree {
  void operator()(ek_instance* p) const { ek_instance_free(p); }
};

std::string ConfigOf(const ParsedArgs& a) { return a.Value("config").value_or("{}"); }

float MinRating(const ParsedArgs& a) {
  const std::string v = a.Value("min-rating").value_or("4");
  size_t used = 0;
  float r = 0;
  try {
    r = std::stof(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != v.size() || !std::isfinite(r)) {
    throw UsageError("--min-rating must be a finite number, got '" + v + "'", a.command());
  }
  return r;
}

// Runs f, turning the harness's failures into the CLI's runtime errors, and a
// failure after Ctrl-C (the plugin's EK_ERR_CANCELLED) into Cancelled (exit 130).
template <class F>
auto Harness(F&& f) {
  try {
    return f();
  } catch (const h::Failure& e) {
    if (Session::CancelRequested()) throw Cancelled();
    throw RuntimeError(e.what());
  }
}

// The positives of --interactions (or FILE), said on stderr unless --quiet.
h::Selection ReadPositives(const Invocation& inv, const std::string& path) {
  const h::Selection sel = h::SelectPositives(h::ReadInteractions(path), MinRating(inv.args), path);
  if (!inv.global.quiet) inv.err << h::SelectionNote(sel, path) << '\n';
  return sel;
}

int RunTrain(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  // The input is read and checked before the store is opened (or created).
  const h::Selection sel = Harness([&] { return ReadPositives(inv, a.Required("interactions")); });
  Session session(inv.global);
  StorePtr store = session.OpenStore(a.Positional(0), Session::StoreAccess::kCreateOrUndo);
  const std::string name = a.Value("name").value_or("rec");
  return Harness([&] {
    const auto& rows = sel.positives;
    h::Rec r(session.context(), ConfigOf(a));
    if (auto items = a.Value("items")) r.AddItems(h::ReadItems(*items));
    r.Add(rows);
    const auto rep = r.Train();
    r.Check(r.rec()->save(r.self(), store.get(), name.c_str()), "save");
    ek_rec_stats st{};
    st.struct_size = sizeof st;
    r.Check(r.rec()->stats(r.self(), &st), "stats");
    if (inv.global.json) {
      JsonWriter w;
      w.BeginObject().Key("name").String(name).Key("users").UInt(st.users).Key("items").UInt(st.items)
          .Key("interactions").UInt(st.interactions).Key("epochs").UInt(rep.epochs)
          .Key("samples").UInt(rep.samples).Key("seconds").Double(rep.seconds)
          .Key("loss").Double(rep.last_loss).Key("implicit_feedback").Bool(sel.implicit)
          .Key("dropped_below_min_rating").UInt(sel.dropped).EndObject();
      inv.out << w.str() << '\n';
    } else {
      inv.out << "trained '" << name << "': " << st.users << " users, " << st.items << " items, "
              << st.interactions << " interactions; " << rep.epochs << " epochs, " << rep.samples
              << " samples in " << std::fixed << std::setprecision(2) << rep.seconds << " s ("
              << std::setprecision(2) << double(rep.samples) / std::max(1e-9, rep.seconds) / 1e6
              << " M samples/s), loss " << std::setprecision(4) << rep.last_loss << '\n';
    }
    return 0;
  });
}

int RunRecommend(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  Session session(inv.global);
  StorePtr store = session.OpenStore(a.Positional(0), true);
  const std::string name = a.Value("name").value_or("rec");
  const std::string user = a.Required("user");
  const size_t k = a.UInt("k", 10, 1, kMaxK);
  return Harness([&] {
    h::Rec r(session.context(), "{}");
    r.Check(r.rec()->load(r.self(), store.get(), name.c_str()), "load");
    std::vector<const char*> ids(k);
    std::vector<float> sc(k);
    size_t got = 0;
    r.Check(r.rec()->recommend(r.self(), user.c_str(), k, a.Has("include-seen") ? 0 : 1, ids.data(), sc.data(), &got),
            "recommend");
    if (inv.global.json) {
      JsonWriter w;
      w.BeginObject().Key("user").String(user).Key("items").BeginArray();
      for (size_t i = 0; i < got; ++i) w.BeginObject().Key("item").String(ids[i]).Key("score").Float(sc[i]).EndObject();
      w.EndArray().EndObject();
      inv.out << w.str() << '\n';
    } else {
      for (size_t i = 0; i < got; ++i) inv.out << (i + 1) << '\t' << ids[i] << '\t' << sc[i] << '\n';
    }
    return 0;
  });
}

int32_t ParseMethod(const std::string& m, const std::string& command) {
  if (m == "mmrecun") return EK_UNLEARN_MMRECUN;
  if (m == "gold") return EK_UNLEARN_GOLD;
  if (m == "finetune") return EK_UNLEARN_FINETUNE;
  if (m == "noop") return EK_UNLEARN_NOOP;
  throw UsageError("--method must be mmrecun, gold, finetune or noop, got '" + m + "'", command);
}

int RunForget(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  Session session(inv.global);
  StorePtr store = session.OpenStore(a.Positional(0), Session::StoreAccess::kWrite);
  const std::string name = a.Value("name").value_or("rec");
  const int32_t method = ParseMethod(a.Value("method").value_or("mmrecun"), a.command());
  const int given = int(a.Has("users")) + int(a.Has("items")) + int(a.Has("pairs"));
  if (given != 1) throw UsageError("give exactly one of --users, --items or --pairs", a.command());
  std::vector<std::string> users, items;
  int32_t kind = EK_FORGET_INTERACTIONS;
  if (auto v = a.Value("users")) {
    kind = EK_FORGET_USERS;
    users = SplitList(*v);
  } else if (auto v2 = a.Value("items")) {
    kind = EK_FORGET_ITEMS;
    items = SplitList(*v2);
  }
  return Harness([&] {
    if (auto p = a.Value("pairs")) {
      for (auto& r : h::ReadInteractions(*p)) {
        users.push_back(r.user);
        items.push_back(r.item);
      }
    }
    h::Rec r(session.context(), "{}");
    r.Check(r.rec()->load(r.self(), store.get(), name.c_str()), "load");
    ek_forget_report rep{};
    const std::string options = a.Value("config").value_or("{}");
    r.Check(r.Forget(kind, method, users, items, 0, options.c_str(), &rep), "forget");
    if (inv.global.json) {
      JsonWriter w;
      w.BeginObject().Key("request_id").String(rep.request_id).Key("method").String(h::MethodName(method))
          .Key("interactions_removed").UInt(rep.interactions_removed).Key("users_removed").UInt(rep.users_removed)
          .Key("items_removed").UInt(rep.items_removed).Key("epochs").UInt(rep.epochs)
          .Key("seconds").Double(rep.seconds).Key("sha256").String(rep.digest).EndObject();
      inv.out << w.str() << '\n';
    } else {
      inv.out << rep.request_id << ": removed " << rep.interactions_removed << " interactions, " << rep.users_removed
              << " users, " << rep.items_removed << " items (" << h::MethodName(method) << ", " << rep.epochs
              << " epochs, " << std::fixed << std::setprecision(3) << rep.seconds << " s); sha256 " << rep.digest
              << '\n';
    }
    return 0;
  });
}

// ---- eval ------------------------------------------------------------------------------
struct EvalOptions {
  int32_t kind = 0;
  double fraction = 0;
  uint64_t seed = 1;
  size_t k = 20;
  std::vector<int32_t> methods;
};

EvalOptions ReadEvalOptions(const ParsedArgs& a) {
  EvalOptions o;
  o.kind = Harness([&] { return h::ParseKind(a.Required("forget")); });
  const std::string fr = a.Value("fraction").value_or("0.05");
  try {
    o.fraction = std::stod(fr);
  } catch (...) {
    o.fraction = -1;
  }
  if (!(o.fraction > 0 && o.fraction < 1)) throw UsageError("--fraction must be in (0, 1), got '" + fr + "'", a.command());
  o.seed = a.UInt("seed", 1, 0, UINT64_MAX);
  o.k = a.UInt("k", 20, 1, kMaxK);
  for (auto& m : SplitList(a.Value("methods").value_or("mmrecun,gold,finetune,noop")))
    o.methods.push_back(ParseMethod(m, a.command()));
  return o;
}

// The train and test positives: --test's file, else a per-user split by time.
h::Split ReadEvalSplit(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  h::Split split;
  if (auto test = a.Value("test")) {
    split.train = ReadPositives(inv, a.Required("interactions")).positives;
    split.test = ReadPositives(inv, *test).positives;
  } else {
    // The positives, already chosen, split by time.
    split = h::TemporalSplit(ReadPositives(inv, a.Required("interactions")).positives,
                             -std::numeric_limits<float>::infinity());
  }
  return split;
}

// Trains the model every method starts from and saves it as "base" into `base`.
ek_rec_train_report TrainBase(ek_context* context, const std::string& config, const ParsedArgs& a,
                              const h::Split& split, ek_store* base) {
  h::Rec r(context, config);
  if (auto items = a.Value("items")) r.AddItems(h::ReadItems(*items));
  r.Add(split.train);
  const ek_rec_train_report rep = r.Train();
  r.Check(r.rec()->save(r.self(), base, "base"), "save");
  return rep;
}

void ReportTraining(std::ostream& err, const ek_rec_train_report& rep, const h::Split& split,
                    const h::ForgetSet& f, int32_t kind, const std::string& kind_name) {
  err << "train " << split.train.size() << " interactions (" << rep.epochs << " epochs, " << std::fixed
      << std::setprecision(2) << rep.seconds << " s), test " << split.test.size() << "; forgetting "
      << (kind == EK_FORGET_INTERACTIONS ? f.pairs.size() : kind == EK_FORGET_USERS ? f.users.size() : f.items.size())
      << " " << kind_name << " (" << f.pairs.size() << " interactions)\n";
}

void WriteMethodResult(JsonWriter& w, const h::MethodResult& x, size_t k) {
  const std::string K = std::to_string(k);
  w.Key(x.method).BeginObject()
      .Key("recall@" + K).Double(x.recall)
      .Key("ndcg@" + K).Double(x.ndcg)
      .Key("forget_recall@" + K).Double(x.forget_recall)
      .Key("forget_mean_rank").Double(x.forget_mean_rank)
      .Key("time_s").Double(x.time_s)
      .Key("epochs").UInt(x.epochs)
      .Key("test_users").UInt(x.test_users)
      .Key("forget_pairs").UInt(x.forget_pairs)
      .EndObject();
}

int RunEval(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const EvalOptions o = ReadEvalOptions(a);
  Session session(inv.global);
  const std::string config = ConfigOf(a);
  const std::string options = a.Value("unlearn-config").value_or("{}");
  return Harness([&] {
    const h::Split split = ReadEvalSplit(inv);
    ek_store* base = nullptr;
    Check(ek_store_open(session.context(), ":memory:", nullptr, &base), "ek_store_open");
    StorePtr base_owner(base);
    const ek_rec_train_report rep = TrainBase(session.context(), config, a, split, base);
    const auto f = h::ChooseForgetSet(split.train, o.kind, o.fraction, o.seed);
    if (!inv.global.quiet) ReportTraining(inv.err, rep, split, f, o.kind, a.Required("forget"));
    JsonWriter w;
    w.BeginObject();
    for (int32_t m : o.methods) {
      Session::ThrowIfCancelled();
      const auto x = h::RunMethod(session.context(), config, base, "base", f, split.test, m, o.k, options.c_str());
      WriteMethodResult(w, x, o.k);
      if (!inv.global.quiet) inv.err << x.method << " done in " << std::setprecision(3) << x.time_s << " s\n";
    }
    w.EndObject();
    inv.out << w.str() << '\n';
    return 0;
  });
}

const CommandSpec kTrain{
    .path = "rec train",
    .summary = "train the rec_unlearn recommender and save it into a store",
    .positionals = {{"STORE", "SQLite store file (created if missing)"}},
    .options = {{"interactions", 'i', "FILE", "tab-separated 'user item [rating [timestamp]]'"},
                {"items", 0, "FILE", "MovieLens u.item: id|title|...|genre flags (optional)"},
                {"name", 'n', "NAME", "model name in the store (default rec)"},
                {"config", 0, "JSON", "plugin config, e.g. '{\"dim\":64,\"layers\":2,\"epochs\":30}'"},
                {"min-rating", 0, "R", "rated lines are positives when rating >= R (default 4)"}},
    .details = "A line without a rating is a positive (implicit feedback), and so is every line\n"
               "when all ratings are equal (e.g. all 1); --min-rating applies otherwise, and what\n"
               "it drops is counted on stderr and in --json (dropped_below_min_rating).\n"
               "Collections NAME.users, NAME.items, NAME.item_features, NAME.interactions and\n"
               "NAME.proj hold the model, its meta record the store's key/value state\n"
               "(docs/rec_unlearn.md).",
    .examples = "embedkit rec train movies.ekdb -i ml-100k/u.data --items ml-100k/u.item",
};
const CommandSpec kRecommend{
    .path = "rec recommend",
    .summary = "top-k items for a user from a saved model",
    .positionals = {{"STORE", "SQLite store file"}},
    .options = {{"user", 'u', "ID", "the user"},
                {"k", 'k', "N", "how many items, 1..1024 (default 10)"},
                {"name", 'n', "NAME", "model name (default rec)"},
                {"include-seen", 0, "", "also recommend items the user already interacted with"}},
    .details = "",
    .examples = "embedkit rec recommend movies.ekdb -u 196 -k 5",
};
const CommandSpec kForget{
    .path = "rec forget",
    .summary = "forget interactions, users or items (MMRecUn by default) and delete them from the store",
    .positionals = {{"STORE", "SQLite store file holding the model"}},
    .options = {{"users", 0, "A,B", "forget these users entirely"},
                {"items", 0, "X,Y", "forget these items entirely (licence revoked)"},
                {"pairs", 0, "FILE", "forget the 'user item' pairs listed in FILE"},
                {"method", 'm', "M", "mmrecun (default), gold, finetune or noop"},
                {"config", 0, "JSON", "unlearning options: alpha, beta, lambda, unlearn_epochs, ..."},
                {"name", 'n', "NAME", "model name (default rec)"}},
    .details = "Rows are deleted with secure_delete; the model's ledger (key NAME/ledger/ID in\n"
               "the store's key/value state) records the request (kind, method, counts, times,\n"
               "SHA-256 of the forget set), never the data.",
    .examples = "embedkit rec forget movies.ekdb --users 196\nembedkit rec forget movies.ekdb --items 50 -m gold",
};
const CommandSpec kEval{
    .path = "rec eval",
    .summary = "compare MMRecUn with Gold, fine-tune and no-op on a forget set (JSON)",
    .positionals = {},
    .options = {{"interactions", 'i', "FILE", "tab-separated 'user item [rating [timestamp]]'"},
                {"items", 0, "FILE", "MovieLens u.item (optional side features)"},
                {"test", 0, "FILE", "test split; without it a per-user 80/10/10 split by time"},
                {"forget", 0, "KIND", "interactions, users or items"},
                {"fraction", 0, "F", "fraction of interactions/users/items to forget (default 0.05)"},
                {"seed", 0, "S", "seed of the forget set (default 1)"},
                {"k", 'k', "N", "cut-off of the metrics, 1..1024 (default 20)"},
                {"methods", 0, "LIST", "default mmrecun,gold,finetune,noop"},
                {"config", 0, "JSON", "plugin config for training"},
                {"unlearn-config", 0, "JSON", "per-request unlearning options"},
                {"min-rating", 0, "R", "rated lines are positives when rating >= R (default 4;\n"
                                       "unrated lines, or all-equal ratings: all positives)"}},
    .details = "Prints one JSON object keyed by method with recall@k and ndcg@k on the test\n"
               "set of retained users, forget_recall@k (share of forgotten pairs whose item is\n"
               "still in its user's top k), forget_mean_rank and time_s (wall time of forget()).",
    .examples = "embedkit rec eval -i ml-100k/u.data --items ml-100k/u.item --forget users --fraction 0.05 --seed 1",
};

}  // namespace

const Command& RecTrainCommand() {
  static const Command c{&kTrain, &RunTrain};
  return c;
}
const Command& RecRecommendCommand() {
  static const Command c{&kRecommend, &RunRecommend};
  return c;
}
const Command& RecForgetCommand() {
  static const Command c{&kForget, &RunForget};
  return c;
}
const Command& RecEvalCommand() {
  static const Command c{&kEval, &RunEval};
  return c;
}

}  // namespace ek::cli
