// Shared pieces of `embedkit classify fit|predict|eval`: JSONL corpora in the
// ../shared/data/text format, the text_classify instance and its extension table,
// and the scores (micro/macro F1, per-label precision/recall, confusion matrix).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "embedkit/embedkit.h"
#include "embedkit/ext/classifier.h"
#include "session.h"

namespace ek::cli::classify {

struct Document {
  std::string id, split, label, text;
};

// Reads a JSON Lines file of {"id", "split", "label", "text"} objects (only "text"
// is required; each line at most kMaxJsonLineBytes) with the CLI's JsonLinesReader:
// failures name the line, a truncated last line fails. `split` (if not empty and not "all") keeps documents of that split;
// `strip_first_token` drops each text's first word (TREC's fine-label prefix);
// `limit` (0 = all) keeps the first documents.
std::vector<Document> ReadDocuments(const std::string& path, const std::string& split, bool strip_first_token,
                                    size_t limit);
std::string ReadFile(const std::string& path);

struct InstanceFree {
  void operator()(ek_instance* p) const { ek_instance_free(p); }
};

// An instance of embedkit.text_classify and its "ek.classifier/1" table.
class Classifier {
 public:
  Classifier(ek_context* context, const std::string& config_json);
  const ek_classifier_ext* operator->() const { return table_; }
  void* self() const { return self_; }
  // Throws LibraryError with the plugin's message unless status is EK_OK.
  void Check(ek_status status, const char* call) const;
  std::vector<std::string> LabelNames() const;
  std::string InfoJson() const;

 private:
  std::unique_ptr<ek_instance, InstanceFree> instance_;
  const ek_classifier_ext* table_ = nullptr;
  void* self_ = nullptr;
};

// Builds the plugin config from --config JSON and the --embedder shortcut.
std::string ConfigJson(const std::string& config, const std::string& embedder, const std::string& glove);

struct Scores {
  double accuracy = 0, micro_f1 = 0, macro_f1 = 0;
  size_t documents = 0, unlabelled = 0, unknown_gold = 0;
  std::vector<double> precision, recall, f1;
  std::vector<size_t> support;
  std::vector<std::vector<size_t>> confusion;  // [gold][predicted], extra column = -1
};
Scores Score(const std::vector<std::string>& names, const std::vector<std::string>& gold,
             const std::vector<int32_t>& predicted);

}  // namespace ek::cli::classify
