// ek_classify(model, text) and ek_classify_scores(model, text): label a text with a
// text_classify model saved in this database (`embedkit classify fit -s FILE -m MODEL`,
// or the C API's save), as `embedkit classify predict` does: the label's name, or NULL
// for a text with no known word (the CLI's "label": null); the scores variant returns
// {"label": ..., "confidence": ..., "scores": {"<label>": <cosine>, ...}} as JSON text.
//
// The model is loaded once per statement (SQLite's auxiliary data on the model
// argument), so a SELECT over a table pays for one load, and the next statement sees a
// model saved again in between.
#include <embedkit/ext/classifier.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "base/error.h"
#include "json_quote.h"
#include "sql/plugin_functions_internal.h"

namespace ek::sql::plugins {
namespace {

struct Model {
  Plugin<ek_classifier_ext> classifier;
  std::vector<std::string> labels;

  explicit Model(ek_context* context)
      : classifier(context, "embedkit.text_classify", EK_EXT_CLASSIFIER, "{}") {}
};

std::vector<std::string> LabelNames(const Plugin<ek_classifier_ext>& c) {
  size_t n = 0;
  c.Check(c->label_count(c.self(), &n), "label_count");
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) {
    ek_classifier_label_info info{};
    info.struct_size = sizeof info;
    c.Check(c->label_info(c.self(), i, &info), "label_info");
    names.emplace_back(info.name);
  }
  return names;
}

void FreeModel(void* model) { delete static_cast<Model*>(model); }

// The model named by argument 1: this statement's copy, else loaded from the store.
const Model& ModelOf(sqlite3_context* ctx, sqlite3_value** argv) {
  if (auto* kept = static_cast<const Model*>(sqlite3_get_auxdata(ctx, 0))) return *kept;
  const FunctionData& data = DataOf(ctx);
  const std::string name = TextArg(argv[0], ArgWhat(data.name, 0));
  Session& session = *data.state->session;
  auto model = std::make_unique<Model>(session.context());
  {
    StoreUse store(session);  // the loaded model keeps no reference to the store
    const ek_status status = model->classifier->load(model->classifier.self(), store.handle(), name.c_str());
    if (status != EK_OK) {
      CheckPluginStatus(status, "load", model->classifier->last_error(model->classifier.self()),
                        std::string(data.name) + "(): ");
    }
  }
  model->labels = LabelNames(model->classifier);
  Model* raw = model.release();
  sqlite3_set_auxdata(ctx, 0, raw, FreeModel);  // frees it at once when it cannot keep it
  // Read back: set_auxdata may have freed it already (out of memory).
  if (auto* kept = static_cast<const Model*>(sqlite3_get_auxdata(ctx, 0))) return *kept;
  Fail(EK_ERR_OUT_OF_MEMORY, std::string(data.name) + "(): no memory to keep the model");
}

struct Prediction {
  int32_t label = -1;
  float confidence = 0;
  std::vector<float> scores;
};

Prediction Predict(const Model& model, const std::string& text, bool with_scores) {
  Prediction p;
  if (with_scores) p.scores.resize(model.labels.size());
  const ek_string_view doc{text.data(), text.size()};
  const auto& c = model.classifier;
  c.Check(c->predict(c.self(), &doc, 1, &p.label, &p.confidence, with_scores ? p.scores.data() : nullptr),
          "predict");
  return p;
}

std::string Float(float x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", double(x));
  return buffer;
}

std::string ScoresJson(const Model& model, const Prediction& p) {
  std::string json = "{\"label\":";
  json += p.label < 0 ? "null" : ek_plugin::JsonQuote(model.labels[size_t(p.label)]);
  json += ",\"confidence\":" + Float(p.confidence) + ",\"scores\":{";
  for (size_t i = 0; i < model.labels.size(); ++i) {
    json += (i ? "," : "") + ek_plugin::JsonQuote(model.labels[i]) + ":" + Float(p.scores[i]);
  }
  return json + "}}";
}

}  // namespace

void ClassifyFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const std::optional<std::string> text = OptionalTextArg(argv[1], ArgWhat(DataOf(ctx).name, 1));
  if (!text) return sqlite3_result_null(ctx);
  const Model& model = ModelOf(ctx, argv);
  const Prediction p = Predict(model, *text, false);
  if (p.label < 0) return sqlite3_result_null(ctx);  // no known word: no label
  const std::string& label = model.labels[size_t(p.label)];
  sqlite3_result_text64(ctx, label.data(), label.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void ClassifyScoresFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const std::optional<std::string> text = OptionalTextArg(argv[1], ArgWhat(DataOf(ctx).name, 1));
  if (!text) return sqlite3_result_null(ctx);
  const Model& model = ModelOf(ctx, argv);
  const std::string json = ScoresJson(model, Predict(model, *text, true));
  sqlite3_result_text64(ctx, json.data(), json.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace ek::sql::plugins
