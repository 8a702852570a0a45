// libFuzzer target: label files of text_classify (set_labels_json: the
// ../shared/data/text/labels format, plain {name: [keywords]} and {name: {keywords,
// description}}), then fit and predict on a small fixed corpus with the hashing
// embedder. Invariants: no crash or sanitizer report; refused labels say why; after
// accepted labels, fit either succeeds or fails with a message, and predictions are a
// label index in range (or -1) with a confidence in [0, 1].
#include <embedkit/embedkit.h>
#include <embedkit/ext/classifier.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_plugin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* corpus[] = {"the rocket reached orbit", "the team won the match",
                                 "bake the cheese pie", "space station crew", "a late goal in the game",
                                 "a recipe for soup", "\xff\xfe invalid utf-8 \xc0\xaf", ""};
  ek_instance* inst = fuzz::Instance("embedkit.text_classify",
                                     R"({"embedder":"hashing","hash_dim":64,"hash_bits":12,"min_num_docs":1,"unknown_keywords":"skip"})");
  fuzz::Invariant(inst != nullptr, "text_classify instance");
  const auto* c = fuzz::Extension<ek_classifier_ext>(inst, EK_EXT_CLASSIFIER);
  void* self = ek_instance_plugin_data(inst);
  const std::string labels(reinterpret_cast<const char*>(data), size);
  if (fuzz::Ok(c, self, c->set_labels_json(self, labels.data(), labels.size()), "set_labels_json")) {
    std::vector<ek_string_view> docs;
    for (const char* t : corpus) docs.push_back({t, std::strlen(t)});
    if (fuzz::Ok(c, self, c->fit(self, docs.data(), docs.size()), "fit")) {
      size_t L = 0;
      fuzz::Invariant(c->label_count(self, &L) == EK_OK && L > 0, "label_count");
      std::vector<int32_t> label(docs.size());
      std::vector<float> conf(docs.size()), scores(docs.size() * L);
      if (fuzz::Ok(c, self, c->predict(self, docs.data(), docs.size(), label.data(), conf.data(), scores.data()),
                   "predict")) {
        for (size_t i = 0; i < docs.size(); ++i) {
          fuzz::Invariant(label[i] >= -1 && label[i] < int32_t(L), "label out of range");
          fuzz::Invariant(conf[i] >= 0 && conf[i] <= 1.0001f, "confidence out of [0, 1]");
        }
      }
    }
  }
  ek_instance_free(inst);
  return 0;
}
