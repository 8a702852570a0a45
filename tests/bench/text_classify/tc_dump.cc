// text_classify_dump: fits the text_classify plugin on a JSON Lines corpus and writes
// the fitted document vectors, the label seeds and label vectors as raw float32 files
// (plus a JSON index), for exploring label procedures offline (e.g. with numpy):
//
//   text_classify_dump CONFIG_JSON LABELS.json DOCS.jsonl OUT_PREFIX [THREADS [infer]]
//
// With "infer", the test-split documents are embedded again as new text (embed(), e.g.
// doc2vec's infer_vector) into OUT_PREFIX.infer.f32, and the rate is printed per
// CPU-second of the process.
// Writes OUT_PREFIX.docs.f32 (n x dim), .seeds.f32 and .labels.f32 (L x dim), and
// OUT_PREFIX.json: dim, labels, and per document its split and gold label (the gold
// labels are read only so the offline scorer can score; the plugin never sees them).
#include <embedkit/embedkit.h>
#include <embedkit/ext/classifier.h>
#include <simdjson.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int Die(const std::string& m) {
  std::fprintf(stderr, "text_classify_dump: %s\n", m.c_str());
  return 1;
}

std::string Quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

void WriteF32(const std::string& path, const std::vector<float>& v) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return Die("usage: text_classify_dump CONFIG_JSON LABELS.json DOCS.jsonl OUT_PREFIX [THREADS]");
  const std::string config = argv[1], prefix = argv[4];
  std::ifstream lf(argv[2]);
  std::stringstream ls;
  ls << lf.rdbuf();
  const std::string labels = ls.str();
  simdjson::padded_string text;
  if (simdjson::padded_string::load(argv[3]).get(text)) return Die(std::string("cannot read ") + argv[3]);
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  if (parser.parse_many(text).get(stream)) return Die("not JSON Lines");
  std::vector<std::string> docs, split, gold;
  for (auto r : stream) {
    simdjson::dom::object o;
    if (r.get_object().get(o)) return Die("line is not an object");
    std::string_view s;
    if (o["text"].get_string().get(s)) return Die("no text");
    docs.emplace_back(s);
    split.emplace_back(o["split"].get_string().get(s) ? "" : std::string(s));
    gold.emplace_back(o["label"].get_string().get(s) ? "" : std::string(s));
  }
  ek_context_options opt;
  ek_context_options_init(&opt);
  opt.num_threads = argc > 5 ? static_cast<uint32_t>(std::stoul(argv[5])) : 2;
  opt.log_level = EK_LOG_ERROR;
  ek_context* ctx = nullptr;
  if (ek_context_create(&opt, &ctx) != EK_OK) return Die(ek_last_error());
  ek_instance* inst = nullptr;
  if (ek_instance_create(ctx, "embedkit.text_classify", config.c_str(), &inst) != EK_OK) return Die(ek_last_error());
  const void* table = nullptr;
  if (ek_instance_get_extension(inst, EK_EXT_CLASSIFIER, &table) != EK_OK) return Die(ek_last_error());
  const auto* cls = static_cast<const ek_classifier_ext*>(table);
  void* self = ek_instance_plugin_data(inst);
  if (cls->set_labels_json(self, labels.data(), labels.size()) != EK_OK) return Die(cls->last_error(self));
  std::vector<ek_string_view> views;
  for (const auto& d : docs) views.push_back(ek_string_view{d.data(), d.size()});
  const auto t0 = std::chrono::steady_clock::now();
  if (cls->fit(self, views.data(), views.size()) != EK_OK) return Die(cls->last_error(self));
  const double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  size_t dim = 0, L = 0;
  cls->dim(self, &dim);
  cls->label_count(self, &L);
  std::vector<float> X(docs.size() * dim), lab(L * dim), seeds(L * dim);
  if (cls->fitted_vectors(self, 0, docs.size(), X.data()) != EK_OK) return Die(cls->last_error(self));
  cls->label_vectors(self, lab.data(), seeds.data());
  WriteF32(prefix + ".docs.f32", X);
  WriteF32(prefix + ".labels.f32", lab);
  WriteF32(prefix + ".seeds.f32", seeds);
  std::ofstream js(prefix + ".json");
  js << "{\"dim\":" << dim << ",\"fit_seconds\":" << fit_s << ",\"labels\":[";
  for (size_t l = 0; l < L; ++l) {
    ek_classifier_label_info info{};
    info.struct_size = sizeof info;
    cls->label_info(self, l, &info);
    js << (l ? "," : "") << Quote(info.name);
  }
  js << "],\"split\":[";
  for (size_t i = 0; i < docs.size(); ++i) js << (i ? "," : "") << Quote(split[i]);
  js << "],\"gold\":[";
  for (size_t i = 0; i < docs.size(); ++i) js << (i ? "," : "") << Quote(gold[i]);
  js << "]}\n";
  std::printf("fitted %zu documents, dim %zu, %.1f s\n", docs.size(), dim, fit_s);
  if (argc > 6 && std::string(argv[6]) == "infer") {
    std::vector<ek_string_view> tv;
    for (size_t i = 0; i < docs.size(); ++i) {
      if (split[i] == "test") tv.push_back(views[i]);
    }
    std::vector<float> V(tv.size() * dim);
    const std::clock_t c0 = std::clock();
    const auto w0 = std::chrono::steady_clock::now();
    if (cls->embed(self, tv.data(), tv.size(), V.data()) != EK_OK) return Die(cls->last_error(self));
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    WriteF32(prefix + ".infer.f32", V);
    std::printf("embedded %zu test documents as new text: %.0f per CPU-second, %.0f per second\n", tv.size(),
                static_cast<double>(tv.size()) / cpu, static_cast<double>(tv.size()) / wall);
  }
  ek_instance_free(inst);
  ek_context_free(ctx);
  return 0;
}
