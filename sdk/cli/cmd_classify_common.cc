#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "cmd_classify.h"
#include "errors.h"
#include "json_writer.h"
#include "jsonl_reader.h"

namespace ek::cli::classify {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError("cannot read '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Document> ReadDocuments(const std::string& path, const std::string& split, bool strip_first_token,
                                    size_t limit) {
  JsonLinesReader lines(path, "documents file");
  std::vector<Document> docs;
  simdjson::dom::object obj;
  for (size_t index = 0; lines.NextObject(&obj); ++index) {
    Document d;
    std::string_view s;
    if (obj["text"].get_string().get(s)) throw RuntimeError(lines.Where() + "the document has no string \"text\"");
    d.text = std::string(s);
    if (!obj["id"].get_string().get(s)) {
      d.id = std::string(s);
    } else {
      d.id = std::to_string(index);
    }
    if (!obj["split"].get_string().get(s)) d.split = std::string(s);
    if (!obj["label"].get_string().get(s)) d.label = std::string(s);
    if (!split.empty() && split != "all" && d.split != split) continue;
    if (strip_first_token) {
      const size_t sp = d.text.find(' ');
      d.text = sp == std::string::npos ? std::string() : d.text.substr(sp + 1);
    }
    docs.push_back(std::move(d));
    if (limit && docs.size() >= limit) break;
  }
  return docs;
}

Classifier::Classifier(ek_context* context, const std::string& config_json) {
  ek_instance* raw = nullptr;
  ek::cli::Check(ek_instance_create(context, "embedkit.text_classify", config_json.c_str(), &raw),
                 "ek_instance_create");
  instance_.reset(raw);
  const void* table = nullptr;
  ek::cli::Check(ek_instance_get_extension(raw, EK_EXT_CLASSIFIER, &table), "ek_instance_get_extension");
  table_ = static_cast<const ek_classifier_ext*>(table);
  self_ = ek_instance_plugin_data(raw);
}

void Classifier::Check(ek_status status, const char* call) const {
  if (status == EK_OK) return;
  std::string message = table_->last_error(self_);
  if (message.empty()) message = std::string(call) + " failed";
  throw LibraryError(status, message);
}

std::vector<std::string> Classifier::LabelNames() const {
  size_t n = 0;
  Check(table_->label_count(self_, &n), "label_count");
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) {
    ek_classifier_label_info info{};
    info.struct_size = sizeof info;
    Check(table_->label_info(self_, i, &info), "label_info");
    names.emplace_back(info.name);
  }
  return names;
}

std::string Classifier::InfoJson() const {
  size_t need = 0;
  table_->info_json(self_, nullptr, 0, &need);
  std::string s(need, '\0');
  Check(table_->info_json(self_, s.data(), s.size(), &need), "info_json");
  s.resize(need ? need - 1 : 0);
  return s;
}

std::string ConfigJson(const std::string& config, const std::string& embedder, const std::string& glove) {
  std::string body = config.empty() ? "{}" : config;
  size_t open = body.find('{');
  if (open == std::string::npos) throw UsageError("--config must be a JSON object");
  std::string extra;
  if (!embedder.empty() && body.find("\"embedder\"") == std::string::npos) {
    extra += "\"embedder\":" + JsonQuote(embedder);
  }
  // Every embedder but hashing/host may read GloVe (glove, doc2vec+glove, the default).
  if (!glove.empty() && body.find("\"glove_path\"") == std::string::npos) {
    extra += std::string(extra.empty() ? "" : ",") + "\"glove_path\":" + JsonQuote(glove);
  }
  if (extra.empty()) return body;
  const size_t first = body.find_first_not_of(" \t\r\n", open + 1);
  const bool empty_object = first != std::string::npos && body[first] == '}';
  return body.substr(0, open + 1) + extra + (empty_object ? "" : ",") + body.substr(open + 1);
}

Scores Score(const std::vector<std::string>& names, const std::vector<std::string>& gold,
             const std::vector<int32_t>& predicted) {
  const size_t L = names.size();
  Scores s;
  s.precision.assign(L, 0);
  s.recall.assign(L, 0);
  s.f1.assign(L, 0);
  s.support.assign(L, 0);
  s.confusion.assign(L, std::vector<size_t>(L + 1, 0));
  std::vector<size_t> tp(L, 0), fp(L, 0), fn(L, 0);
  size_t correct = 0;
  for (size_t i = 0; i < gold.size(); ++i) {
    size_t g = L;
    for (size_t l = 0; l < L; ++l) {
      if (names[l] == gold[i]) g = l;
    }
    const int32_t p = predicted[i];
    if (g == L) {
      ++s.unknown_gold;  // gold label not among the labels: counted as an error
      if (p >= 0) ++fp[static_cast<size_t>(p)];
      ++s.documents;
      continue;
    }
    ++s.documents;
    ++s.support[g];
    if (p < 0) ++s.unlabelled;
    s.confusion[g][p < 0 ? L : static_cast<size_t>(p)]++;
    if (p >= 0 && static_cast<size_t>(p) == g) {
      ++correct;
      ++tp[g];
    } else {
      ++fn[g];
      if (p >= 0) ++fp[static_cast<size_t>(p)];
    }
  }
  s.accuracy = s.documents ? static_cast<double>(correct) / static_cast<double>(s.documents) : 0;
  size_t TP = 0, FP = 0, FN = 0;
  double f1_sum = 0;
  size_t with_support = 0;
  for (size_t l = 0; l < L; ++l) {
    TP += tp[l], FP += fp[l], FN += fn[l];
    s.precision[l] = tp[l] + fp[l] ? static_cast<double>(tp[l]) / static_cast<double>(tp[l] + fp[l]) : 0;
    s.recall[l] = tp[l] + fn[l] ? static_cast<double>(tp[l]) / static_cast<double>(tp[l] + fn[l]) : 0;
    s.f1[l] = s.precision[l] + s.recall[l] > 0 ? 2 * s.precision[l] * s.recall[l] / (s.precision[l] + s.recall[l]) : 0;
    if (s.support[l] > 0 || fp[l] > 0) {
      f1_sum += s.f1[l];
      ++with_support;
    }
  }
  const double P = TP + FP ? static_cast<double>(TP) / static_cast<double>(TP + FP) : 0;
  const double R = TP + FN ? static_cast<double>(TP) / static_cast<double>(TP + FN) : 0;
  s.micro_f1 = P + R > 0 ? 2 * P * R / (P + R) : 0;
  s.macro_f1 = with_support ? f1_sum / static_cast<double>(with_support) : 0;
  return s;
}

}  // namespace ek::cli::classify
