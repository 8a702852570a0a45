// embedkit classify fit|predict|eval: unsupervised classification from label keywords
// with the text_classify plugin (docs/text_classify.md), through the public C API and
// the "ek.classifier/1" table. Labels of the documents are used only for scoring.
#include <chrono>
#include <ctime>
#include <fstream>
#include <ostream>

#include "cmd_classify.h"
#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "session.h"

namespace ek::cli {
namespace {

using classify::Classifier;
using classify::Document;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double CpuNow() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::vector<ek_string_view> Views(const std::vector<Document>& docs) {
  std::vector<ek_string_view> v;
  v.reserve(docs.size());
  for (const auto& d : docs) v.push_back(ek_string_view{d.text.data(), d.text.size()});
  return v;
}

std::string Config(const ParsedArgs& a) {
  return classify::ConfigJson(a.Value("config").value_or(""), a.Value("embedder").value_or(""),
                              a.Value("glove").value_or(""));
}

const std::vector<OptionSpec> kModelOptions = {
    {"embedder", 'e', "NAME", "auto (default: chosen from the corpus at fit), doc2vec (Lbl2Vec's\n"
                              "setup), glove, hashing, doc2vec+glove (host needs a program)"},
    {"config", 0, "JSON", "plugin configuration object (docs/text_classify.md lists the keys)"},
    {"glove", 0, "FILE", "GloVe .ekwv table for glove and the default (default: $EMBEDKIT_GLOVE,\n"
                         "else glove/glove-6b-100d.ekwv in $EMBEDKIT_DATA_PATH or share/embedkit)"},
    {"strip-first-token", 0, "", "drop each text's first word (TREC: its fine-grained label)"},
    {"limit", 0, "N", "read at most N documents"},
};

std::vector<OptionSpec> With(std::vector<OptionSpec> base, std::vector<OptionSpec> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

// ---- fit -------------------------------------------------------------------------------
int RunFit(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string labels = classify::ReadFile(a.Required("labels"));
  const auto docs = classify::ReadDocuments(a.Required("data"), a.Value("split").value_or("all"),
                                            a.Has("strip-first-token"), a.UInt("limit", 0, 0, UINT64_MAX));
  if (docs.empty()) throw RuntimeError("no documents to fit on (check --data and --split)");
  const std::string store_path = a.Required("store"), model = a.Required("model");
  Session session(inv.global);
  Classifier cls(session.context(), Config(a));
  cls.Check(cls->set_labels_json(cls.self(), labels.data(), labels.size()), "set_labels_json");
  auto views = Views(docs);
  const double t0 = Now();
  cls.Check(cls->fit(cls.self(), views.data(), views.size()), "fit");
  const double fit_s = Now() - t0;
  StorePtr store = session.OpenStore(store_path, Session::StoreAccess::kCreateOrUndo);
  cls.Check(cls->save(cls.self(), store.get(), model.c_str()), "save");
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject().Key("store").String(store_path).Key("model").String(model).Key("documents").UInt(docs.size());
    w.Key("fit_seconds").Double(fit_s).Key("info").Raw(cls.InfoJson()).EndObject();
    inv.out << w.str() << '\n';
  } else {
    inv.out << "fitted '" << model << "' on " << docs.size() << " documents in " << fit_s << " s; saved to "
            << store_path << '\n';
  }
  return 0;
}

// ---- predict -----------------------------------------------------------------------------
int RunPredict(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const auto docs = classify::ReadDocuments(a.Required("data"), a.Value("split").value_or("all"),
                                            a.Has("strip-first-token"), a.UInt("limit", 0, 0, UINT64_MAX));
  Session session(inv.global);
  Classifier cls(session.context(), "{}");
  StorePtr store = session.OpenStore(a.Required("store"), /*read_only=*/true);
  cls.Check(cls->load(cls.self(), store.get(), a.Required("model").c_str()), "load");
  const auto names = cls.LabelNames();
  auto views = Views(docs);
  std::vector<int32_t> label(docs.size());
  std::vector<float> conf(docs.size());
  if (!docs.empty()) cls.Check(cls->predict(cls.self(), views.data(), views.size(), label.data(), conf.data(), nullptr), "predict");
  auto prediction = [&](JsonWriter& w, size_t i) {
    w.BeginObject().Key("id").String(docs[i].id).Key("label");
    if (label[i] < 0) {
      w.Null();
    } else {
      w.String(names[static_cast<size_t>(label[i])]);
    }
    w.Key("confidence").Float(conf[i]).EndObject();
  };
  if (inv.global.json) {  // --json promises one document: the lines as one array
    JsonWriter w;
    w.BeginObject().Key("model").String(a.Required("model")).Key("predictions").BeginArray();
    for (size_t i = 0; i < docs.size(); ++i) prediction(w, i);
    w.EndArray().EndObject();
    inv.out << w.str() << '\n';
    return 0;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    JsonWriter w;
    prediction(w, i);
    inv.out << w.str() << '\n';
  }
  return 0;
}

// ---- eval --------------------------------------------------------------------------------
// Fit documents (text only) and the documents scored; scored ones that were fitted are
// predicted from their fitted vectors (Lbl2Vec's predict on model documents) unless
// --infer.
struct EvalCorpus {
  std::vector<Document> fit_docs;
  std::vector<size_t> eval_index;  // into fit_docs, or SIZE_MAX
  std::vector<Document> eval_docs;
};

EvalCorpus SplitCorpus(const std::vector<Document>& all, const std::string& fit_split,
                       const std::string& split) {
  EvalCorpus c;
  for (auto& d : all) {
    const bool fit = fit_split == "all" || d.split == fit_split;
    const bool eval = split == "all" || d.split == split;
    if (fit) c.fit_docs.push_back(d);
    if (eval) {
      c.eval_docs.push_back(d);
      c.eval_index.push_back(fit ? c.fit_docs.size() - 1 : SIZE_MAX);
    }
  }
  if (c.fit_docs.empty()) throw RuntimeError("no documents of split '" + fit_split + "' to fit on");
  if (c.eval_docs.empty()) throw RuntimeError("no documents of split '" + split + "' to score");
  return c;
}

// Wall and CPU seconds of one timed step.
struct Timing {
  double seconds = 0, cpu_seconds = 0;
};

template <typename F>
Timing Timed(F&& step) {
  const double t0 = Now(), c0 = CpuNow();
  step();
  return Timing{Now() - t0, CpuNow() - c0};
}

struct Predictions {
  std::vector<int32_t> label;
  std::vector<float> confidence;
  size_t inferred = 0;  // predicted as new text
};

Predictions PredictScored(const Classifier& cls, const EvalCorpus& c, bool infer) {
  Predictions p;
  p.label.assign(c.eval_docs.size(), -1);
  p.confidence.assign(c.eval_docs.size(), 0);
  std::vector<ek_string_view> unseen;
  std::vector<size_t> unseen_at;
  for (size_t i = 0; i < c.eval_docs.size(); ++i) {
    if (!infer && c.eval_index[i] != SIZE_MAX) {
      cls.Check(cls->predict_fitted(cls.self(), c.eval_index[i], 1, &p.label[i], &p.confidence[i], nullptr),
                "predict_fitted");
    } else {
      unseen.push_back(ek_string_view{c.eval_docs[i].text.data(), c.eval_docs[i].text.size()});
      unseen_at.push_back(i);
    }
  }
  if (!unseen.empty()) {
    std::vector<int32_t> l(unseen.size());
    std::vector<float> conf(unseen.size());
    cls.Check(cls->predict(cls.self(), unseen.data(), unseen.size(), l.data(), conf.data(), nullptr), "predict");
    for (size_t k = 0; k < unseen.size(); ++k) p.label[unseen_at[k]] = l[k], p.confidence[unseen_at[k]] = conf[k];
    p.inferred = unseen.size();
  }
  return p;
}

void WriteConfusion(const std::string& path, const std::vector<std::string>& names,
                    const classify::Scores& s) {
  std::ofstream f(path);
  if (!f) throw RuntimeError("cannot write '" + path + "'");
  JsonWriter w;
  w.BeginObject().Key("labels").BeginArray();
  for (const auto& n : names) w.String(n);
  w.EndArray().Key("matrix").BeginArray();
  for (const auto& row : s.confusion) {
    w.BeginArray();
    for (size_t v : row) w.UInt(v);
    w.EndArray();
  }
  w.EndArray().Key("micro_f1").Double(s.micro_f1).EndObject();
  f << w.str() << '\n';
}

// What one eval run measured, for the JSON document and the text report.
struct EvalReport {
  std::string data, split, fit_split;
  size_t fitted = 0, inferred = 0;
  std::vector<std::string> names;
  classify::Scores scores;
  double read_s = 0;
  Timing fit, predict, throughput;  // throughput: predict() of every scored text, all threads
  size_t throughput_docs = 0;       // 0: not measured
  uint32_t threads = 0;
};

std::string EvalJson(const EvalReport& r, const Classifier& cls) {
  const auto& s = r.scores;
  JsonWriter w;
  w.BeginObject()
      .Key("data").String(r.data)
      .Key("split").String(r.split)
      .Key("fit_split").String(r.fit_split)
      .Key("documents_fitted").UInt(r.fitted)
      .Key("documents_scored").UInt(s.documents)
      .Key("documents_inferred").UInt(r.inferred)
      .Key("micro_f1").Double(s.micro_f1)
      .Key("macro_f1").Double(s.macro_f1)
      .Key("accuracy").Double(s.accuracy)
      .Key("unlabelled").UInt(s.unlabelled)
      .Key("per_label").BeginObject();
  for (size_t l = 0; l < r.names.size(); ++l) {
    w.Key(r.names[l]).BeginObject().Key("precision").Double(s.precision[l]).Key("recall").Double(s.recall[l])
        .Key("f1").Double(s.f1[l]).Key("support").UInt(s.support[l]).EndObject();
  }
  w.EndObject();
  w.Key("timings").BeginObject()
      .Key("read_seconds").Double(r.read_s)
      .Key("fit_seconds").Double(r.fit.seconds)
      .Key("fit_cpu_seconds").Double(r.fit.cpu_seconds)
      .Key("predict_seconds").Double(r.predict.seconds)
      .Key("predict_cpu_seconds").Double(r.predict.cpu_seconds)
      .Key("fit_plus_predict_seconds").Double(r.fit.seconds + r.predict.seconds)
      .Key("threads").UInt(r.threads);
  if (r.throughput_docs) {
    const auto docs = static_cast<double>(r.throughput_docs);
    w.Key("throughput_documents").UInt(r.throughput_docs)
        .Key("throughput_seconds").Double(r.throughput.seconds)
        .Key("throughput_docs_per_second").Double(docs / r.throughput.seconds)
        .Key("throughput_docs_per_cpu_second").Double(docs / r.throughput.cpu_seconds);
  }
  w.EndObject().Key("model").Raw(cls.InfoJson()).EndObject();
  return w.str();
}

void PrintEval(std::ostream& out, const EvalReport& r) {
  const auto& s = r.scores;
  char line[256];
  std::snprintf(line, sizeof line, "micro-F1 %.4f  macro-F1 %.4f  accuracy %.4f  (%zu documents, fit %.1f s, predict %.2f s)\n",
                s.micro_f1, s.macro_f1, s.accuracy, s.documents, r.fit.seconds, r.predict.seconds);
  out << line;
  for (size_t l = 0; l < r.names.size(); ++l) {
    std::snprintf(line, sizeof line, "  %-28s P %.3f  R %.3f  F1 %.3f  (%zu)\n", r.names[l].c_str(), s.precision[l],
                  s.recall[l], s.f1[l], s.support[l]);
    out << line;
  }
  if (r.throughput_docs) {
    const auto docs = static_cast<double>(r.throughput_docs);
    std::snprintf(line, sizeof line, "predict() on new text: %.0f documents/s (%.0f per CPU-second)\n",
                  docs / r.throughput.seconds, docs / r.throughput.cpu_seconds);
    out << line;
  }
}

int RunEval(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string labels = classify::ReadFile(a.Required("labels"));
  EvalReport r;
  r.data = a.Required("data");
  r.fit_split = a.Value("fit-split").value_or("all");
  r.split = a.Value("split").value_or("test");
  std::vector<Document> all;
  r.read_s = Timed([&] {
               all = classify::ReadDocuments(r.data, "all", a.Has("strip-first-token"),
                                             a.UInt("limit", 0, 0, UINT64_MAX));
             }).seconds;
  const EvalCorpus corpus = SplitCorpus(all, r.fit_split, r.split);
  Session session(inv.global);
  ek_context_info ctx{};
  ctx.struct_size = sizeof ctx;
  Check(ek_context_info_get(session.context(), &ctx), "ek_context_info_get");
  r.threads = ctx.num_threads;
  Classifier cls(session.context(), Config(a));
  cls.Check(cls->set_labels_json(cls.self(), labels.data(), labels.size()), "set_labels_json");
  auto fit_views = Views(corpus.fit_docs);
  r.fit = Timed([&] { cls.Check(cls->fit(cls.self(), fit_views.data(), fit_views.size()), "fit"); });
  r.fitted = corpus.fit_docs.size();
  r.names = cls.LabelNames();
  Predictions p;
  r.predict = Timed([&] { p = PredictScored(cls, corpus, a.Has("infer")); });
  r.inferred = p.inferred;
  if (a.Has("throughput")) {
    auto ev = Views(corpus.eval_docs);
    std::vector<int32_t> l(ev.size());
    r.throughput = Timed([&] {
      cls.Check(cls->predict(cls.self(), ev.data(), ev.size(), l.data(), nullptr, nullptr), "predict");
    });
    r.throughput_docs = ev.size();
  }
  std::vector<std::string> gold;
  for (const auto& d : corpus.eval_docs) gold.push_back(d.label);
  r.scores = classify::Score(r.names, gold, p.label);
  if (auto path = a.Value("confusion")) WriteConfusion(*path, r.names, r.scores);
  if (inv.global.json) {
    inv.out << EvalJson(r, cls) << '\n';
  } else {
    PrintEval(inv.out, r);
  }
  return 0;
}

const CommandSpec kFitSpec{
    .path = "classify fit",
    .summary = "fit a keyword classifier on unlabelled documents and save it to a store",
    .positionals = {},
    .options = With({{"labels", 'l', "FILE", "labels JSON: {\"labels\": {\"name\": [\"keyword\", ...]}}"},
                     {"data", 'd', "FILE", "JSON Lines documents {\"id\", \"split\", \"text\"}, one per\n"
                                          "line, each line at most 64 MiB"},
                     {"split", 0, "NAME", "fit on this split only (default all)"},
                     {"store", 's', "FILE", "SQLite store to save the model in (created if needed)"},
                     {"model", 'm', "NAME", "model name (collections \"NAME.*\")"}},
                    kModelOptions),
    .details = "The documents' labels are never read. The model (vocabulary, vectors, label\n"
               "vectors, config) is saved with the store API; `classify predict` loads it.",
    .examples = "embedkit classify fit -l labels.json -d docs.jsonl -s models.db -m news",
};

const CommandSpec kPredictSpec{
    .path = "classify predict",
    .summary = "label documents with a model saved by `classify fit` (JSON Lines out)",
    .positionals = {},
    .options = {{"store", 's', "FILE", "store holding the model"},
                {"model", 'm', "NAME", "model name"},
                {"data", 'd', "FILE", "JSON Lines documents (each line at most 64 MiB)"},
                {"split", 0, "NAME", "only this split (default all)"},
                {"strip-first-token", 0, "", "drop each text's first word"},
                {"limit", 0, "N", "read at most N documents"}},
    .details = "Prints one line per document: {\"id\", \"label\" (null: empty document), \"confidence\"};\n"
               "with --json, one document {\"model\", \"predictions\": [those objects]}.",
    .examples = "embedkit classify predict -s models.db -m news -d new.jsonl",
};

const CommandSpec kEvalSpec{
    .path = "classify eval",
    .summary = "fit on a corpus and score the predictions against its labels (JSON)",
    .positionals = {},
    .options = With({{"labels", 'l', "FILE", "labels JSON (keywords per label)"},
                     {"data", 'd', "FILE", "JSON Lines documents with \"label\" and \"split\" (each line\n"
                                          "at most 64 MiB)"},
                     {"split", 0, "NAME", "split to score (default test; \"all\" for every document)"},
                     {"fit-split", 0, "NAME", "split to fit on, labels unused (default all)"},
                     {"infer", 0, "", "predict scored documents as new text even if they were fitted"},
                     {"throughput", 0, "", "also time predict() of the scored documents as new text"},
                     {"confusion", 0, "FILE", "write the confusion matrix as JSON"}},
                    kModelOptions),
    .details = "Prints micro_f1, macro_f1, accuracy, per-label precision/recall/F1 and timings\n"
               "(--json: one JSON document). Labels are used for scoring only.",
    .examples = "embedkit classify eval -l ../shared/data/text/labels/20newsgroups.json \\\n"
                "  -d ../shared/data/text/20newsgroups.jsonl --split test --json",
};

}  // namespace

const Command& ClassifyFitCommand() {
  static const Command command{&kFitSpec, &RunFit};
  return command;
}
const Command& ClassifyPredictCommand() {
  static const Command command{&kPredictSpec, &RunPredict};
  return command;
}
const Command& ClassifyEvalCommand() {
  static const Command command{&kEvalSpec, &RunEval};
  return command;
}

}  // namespace ek::cli
