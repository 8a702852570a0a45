// The rec_unlearn plugin (docs/rec_unlearn.md) on a model saved in this database
// (`embedkit rec train FILE -n MODEL`, or the C API's save), as `embedkit rec recommend`
// and `embedkit rec forget` run it:
//
//   ek_recommend(model, user [, k [, include_seen]])  table-valued: rank, item, score;
//       k 1..1024 (default 10), best first; the user's own items are left out unless
//       include_seen is true. An unknown user is an error, as in the CLI.
//   ek_forget(model, kind, ids [, method [, options]])  the CLI's --json report as JSON
//       text: request_id, method, interactions_removed, users_removed, items_removed,
//       epochs, seconds, sha256. kind: 'users' | 'items' | 'interactions' (or the
//       singular); ids: one id, or a JSON array of ids (json_group_array(id)), and for
//       interactions a JSON array of [user, item] pairs or one pair; method: mmrecun
//       (default), gold, finetune, noop; options: the unlearning options object.
//
// ek_forget writes to the store on this connection: inside the caller's transaction it
// is part of it (a ROLLBACK takes it back), otherwise it is its own transaction.
#include <simdjson.h>

#include <embedkit/ext/recommender.h>

#include <cstdio>
#include <vector>

#include "base/error.h"
#include "json_quote.h"
#include "sql/plugin_functions_internal.h"
#include "sql/table_function.h"

namespace ek::sql::plugins {
namespace {

constexpr const char* kPluginId = "embedkit.rec_unlearn";

// A recommender loaded from the store; declared after the StoreUse that holds the store,
// so it is freed (and unbound) first.
struct Loaded {
  Plugin<ek_recommender_ext> rec;
  Loaded(Session& session, ek_store* store, const std::string& model, std::string_view function)
      : rec(session.context(), kPluginId, EK_EXT_RECOMMENDER, "{}") {
    const ek_status s = rec->load(rec.self(), store, model.c_str());
    if (s != EK_OK) CheckPluginStatus(s, "load", rec->last_error(rec.self()), std::string(function) + "(): ");
  }
};

// ---- ek_recommend ---------------------------------------------------------------------

constexpr const char* kRecommend = "ek_recommend";

Rows Recommend(Session* connection, sqlite3_value* const* args) {
  Session& session = *connection;  // registered with the connection's session
  const std::string model = TextArg(args[0], ArgWhat(kRecommend, 0));
  const std::string user = TextArg(args[1], ArgWhat(kRecommend, 1));
  const size_t k = args[2] ? size_t(IntegerArg(args[2], ArgWhat(kRecommend, 2), 1, 1024)) : 10;
  const bool include_seen = args[3] && IntegerArg(args[3], ArgWhat(kRecommend, 3), 0, 1) != 0;
  StoreUse store(session);
  Loaded loaded(session, store.handle(), model, kRecommend);
  const auto& rec = loaded.rec;
  std::vector<const char*> items(k);
  std::vector<float> scores(k);
  size_t got = 0;
  rec.Check(rec->recommend(rec.self(), user.c_str(), k, include_seen ? 0 : 1, items.data(), scores.data(), &got),
            "recommend");
  Rows rows;
  for (size_t i = 0; i < got; ++i) rows.push_back({int64_t(i + 1), std::string(items[i]), double(scores[i])});
  return rows;
}

const TableFunction kRecommendFunction{
    .name = kRecommend,
    .columns = "rank INTEGER, item TEXT, score REAL",
    .arguments = "model, user, k, include_seen",
    .result_columns = 3,
    .argument_count = 4,
    .required = 2,
    .run = Recommend,
};

// ---- ek_forget ------------------------------------------------------------------------

int32_t ParseKind(const std::string& kind, std::string_view what) {
  if (kind == "users" || kind == "user") return EK_FORGET_USERS;
  if (kind == "items" || kind == "item") return EK_FORGET_ITEMS;
  if (kind == "interactions" || kind == "interaction") return EK_FORGET_INTERACTIONS;
  Refuse(what, "kind must be 'users', 'items' or 'interactions', got '" + kind + "'");
}

struct MethodName {
  const char* name;
  int32_t method;
};
constexpr MethodName kMethods[] = {{"mmrecun", EK_UNLEARN_MMRECUN},
                                   {"gold", EK_UNLEARN_GOLD},
                                   {"finetune", EK_UNLEARN_FINETUNE},
                                   {"noop", EK_UNLEARN_NOOP}};

int32_t ParseMethod(const std::string& method, std::string_view what) {
  for (const auto& m : kMethods) {
    if (method == m.name) return m.method;
  }
  Refuse(what, "method must be mmrecun, gold, finetune or noop, got '" + method + "'");
}

// What a forget request names: users or items (one list), or (user, item) pairs.
struct ForgetSet {
  std::vector<std::string> users, items;
};

std::string StringElement(simdjson::dom::element e, std::string_view what) {
  std::string_view s;
  if (e.get(s)) Refuse(what, "ids must be strings, got " + simdjson::minify(e));
  return std::string(s);
}

// One [user, item] pair.
void AddPair(simdjson::dom::element e, ForgetSet& set, std::string_view what) {
  simdjson::dom::array pair;
  if (e.get(pair) || pair.size() != 2) Refuse(what, "an interaction is a [user, item] pair, got " + simdjson::minify(e));
  set.users.push_back(StringElement(pair.at(0).value(), what));
  set.items.push_back(StringElement(pair.at(1).value(), what));
}

// `ids` as documented above: text starting with '[' is a JSON array, anything else one id.
ForgetSet ReadIds(const std::string& ids, int32_t kind, std::string_view what) {
  ForgetSet set;
  auto& list = kind == EK_FORGET_ITEMS ? set.items : set.users;
  const bool json = ids.find_first_not_of(" \t\r\n") != std::string::npos && ids[ids.find_first_not_of(" \t\r\n")] == '[';
  if (!json) {
    if (kind == EK_FORGET_INTERACTIONS) Refuse(what, "interactions are given as a JSON array of [user, item] pairs");
    list.push_back(ids);
    return set;
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(ids);
  simdjson::dom::array array;
  if (parser.parse(padded).get(array)) Refuse(what, "expected a JSON array of ids, got '" + ids.substr(0, 80) + "'");
  if (kind == EK_FORGET_INTERACTIONS && array.size() == 2 && array.at(0).value().is_string()) {
    set.users.push_back(StringElement(array.at(0).value(), what));  // one pair
    set.items.push_back(StringElement(array.at(1).value(), what));
    return set;
  }
  for (simdjson::dom::element e : array) {
    if (kind == EK_FORGET_INTERACTIONS) {
      AddPair(e, set, what);
    } else {
      list.push_back(StringElement(e, what));
    }
  }
  return set;
}

std::string ReportJson(const ek_forget_report& r, const char* method) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.17g", r.seconds);
  return std::string("{\"request_id\":") + ek_plugin::JsonQuote(r.request_id) +
         ",\"method\":" + ek_plugin::JsonQuote(method) +
         ",\"interactions_removed\":" + std::to_string(r.interactions_removed) +
         ",\"users_removed\":" + std::to_string(r.users_removed) +
         ",\"items_removed\":" + std::to_string(r.items_removed) + ",\"epochs\":" + std::to_string(r.epochs) +
         ",\"seconds\":" + seconds + ",\"sha256\":" + ek_plugin::JsonQuote(r.digest) + "}";
}

std::vector<const char*> Pointers(const std::vector<std::string>& ids) {
  std::vector<const char*> p;
  for (const auto& s : ids) p.push_back(s.c_str());
  return p;
}

}  // namespace

void ForgetFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const FunctionData& data = DataOf(ctx);
  const std::string model = TextArg(argv[0], ArgWhat(data.name, 0));
  const int32_t kind = ParseKind(TextArg(argv[1], ArgWhat(data.name, 1)), ArgWhat(data.name, 1));
  const ForgetSet set = ReadIds(TextArg(argv[2], ArgWhat(data.name, 2)), kind, ArgWhat(data.name, 2));
  const std::string method_name = argc > 3 ? TextArg(argv[3], ArgWhat(data.name, 3)) : "mmrecun";
  const int32_t method = ParseMethod(method_name, ArgWhat(data.name, 3));
  const std::string options = argc > 4 ? TextArg(argv[4], ArgWhat(data.name, 4)) : "{}";

  Session& session = *data.state->session;
  StoreUse store(session);
  Loaded loaded(session, store.handle(), model, data.name);
  const Plugin<ek_unlearner_ext> unlearner(loaded.rec.instance(), EK_EXT_UNLEARNER);
  const auto users = Pointers(set.users), items = Pointers(set.items);
  ek_forget_request request{};
  request.struct_size = sizeof request;
  request.kind = kind;
  request.method = method;
  request.count = kind == EK_FORGET_ITEMS ? items.size() : users.size();
  request.users = kind == EK_FORGET_ITEMS ? nullptr : users.data();
  request.items = kind == EK_FORGET_USERS ? nullptr : items.data();
  request.options_json = options.c_str();
  ek_forget_report report{};
  report.struct_size = sizeof report;
  unlearner.Check(unlearner->forget(unlearner.self(), &request, &report), "forget");
  const std::string json = ReportJson(report, method_name.c_str());
  sqlite3_result_text64(ctx, json.data(), json.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

const TableFunction& RecommendTableFunction() { return kRecommendFunction; }

}  // namespace ek::sql::plugins
