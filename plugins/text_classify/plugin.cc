// embedkit.text_classify: the C ABI of the plugin ("ek.classifier/1" and
// "ek.encoder/1"). Every entry point catches everything and returns a status, with
// the reason through ek_host::set_error and the table's last_error().
#include "guard.h"
#include "json_quote.h"
#include <simdjson.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <set>

#include "auto_embedder.h"
#include "tc.h"

namespace {

using tc::Error;
using tc::Fail;

struct Instance {
  const ek_host* host = nullptr;
  tc::Env env;
  tc::Config config;           // in force: the requested one, or what "auto" resolved to
  tc::Config requested;        // as created (or loaded); every fit starts from it
  std::string auto_json;       // the default embedder's corpus statistics and choice ("" if named)
  tc::HostCallback callback;
  std::vector<tc::Label> labels;
  std::unique_ptr<tc::Embedder> embedder;
  std::vector<float> fitted;  // n x dim (empty after load)
  size_t n_fitted = 0;
  std::vector<float> seeds, label_vectors;
  std::vector<tc::LabelState> states;
  bool ready = false;         // fitted or loaded
  bool loaded = false;
  double fit_embed_s = 0, fit_labels_s = 0;
  std::string last_error;
};

Instance* Self(void* p) { return static_cast<Instance*>(p); }

// An entry point of the instance: its reason goes to set_error and last_error().
template <class F>
ek_status Guard(void* instance, const char* fn, F&& f) {
  Instance* self = Self(instance);
  if (!self) return EK_ERR_INVALID_ARGUMENT;
  return ek_plugin::Guard(self->host, fn, &self->last_error, [&] { f(self); });
}

using ek_plugin::NotNull;

void CheckViews(const ek_string_view* documents, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (!documents[i].data && documents[i].length) {
      Fail(EK_ERR_INVALID_ARGUMENT, "documents[" + std::to_string(i) + "] has NULL data and length " + std::to_string(documents[i].length));
    }
  }
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void SetTokenizer(Instance* self) {
  ek_tokenize_options& o = self->env.tok;
  self->env.text->tokenize_options_init(&o);
  const tc::Config& c = self->config;
  o.flags = (c.lowercase ? EK_TEXT_LOWERCASE : 0u) | (c.strip_headers ? EK_TEXT_STRIP_HEADERS : 0u) |
            (c.keep_subject ? EK_TEXT_KEEP_SUBJECT : 0u) | (c.strip_quotes ? EK_TEXT_STRIP_QUOTES : 0u) |
            (c.drop_numbers ? EK_TEXT_DROP_NUMBERS : 0u);
  o.min_token_chars = c.min_token_chars;
  o.max_token_bytes = c.max_token_bytes;
}

std::unique_ptr<tc::Embedder> MakeEmbedder(Instance* self) {
  switch (self->config.embedder) {
    case tc::EmbedderKind::kDoc2Vec: return tc::MakeDoc2Vec(self->env, self->config);
    case tc::EmbedderKind::kGlove: return tc::MakeGlove(self->env, self->config);
    case tc::EmbedderKind::kHashing: return tc::MakeHashing(self->env, self->config);
    case tc::EmbedderKind::kHost: return tc::MakeHostEmbedder(self->env, self->config, &self->callback);
    case tc::EmbedderKind::kCombined: return tc::MakeCombined(self->env, self->config);
    case tc::EmbedderKind::kAuto: break;  // resolved by ResolveAuto before any embedder is made
  }
  Fail(EK_ERR_INTERNAL, "unknown embedder");
}

// Whether a GloVe table can be opened; *why says why not.
bool GloveAvailable(const Instance* self, std::string* why) {
  const std::string path = tc::GlovePath(self->config);
  if (path.empty()) {
    *why = tc::NoGloveMessage();
    return false;
  }
  ek_wordvec* table = nullptr;
  char err[512] = {0};
  if (self->env.text->wordvec_open(path.c_str(), &table, err, sizeof err) != EK_OK) {
    *why = std::string("GloVe table '") + path + "' cannot be opened: " + err;
    return false;
  }
  self->env.text->wordvec_close(table);
  return true;
}

// The default embedder: counts the corpus (documents, tokens after the configured
// tokenizer), lets auto_embedder.h choose, and puts the chosen embedder and settings
// into the config in force, so the saved model records them and load uses the same.
void ResolveAuto(Instance* self, const ek_string_view* documents, size_t count) {
  std::atomic<uint64_t> tokens{0};
  std::atomic<size_t> done{0};
  tc::ParallelFor(self->env, count, 256, [&](size_t b, size_t e) {
    uint64_t local = 0;
    for (size_t i = b; i < e; ++i) {
      tc::ForEachToken(self->env, std::string_view(documents[i].data ? documents[i].data : "", documents[i].length),
                       [&](std::string_view) { ++local; });
      tc::Tokenized(self->env, done, count, "text_classify corpus count");  // ~1 s on 200k documents
    }
    tokens += local;
  });
  const tc::autorule::CorpusStats stats{count, tokens.load()};
  std::string why;
  const bool glove = GloveAvailable(self, &why);
  const tc::autorule::Choice choice = tc::autorule::Choose(stats, glove);
  if (!glove && tc::autorule::Choose(stats, true).embedder != choice.embedder) {
    const std::string warning = "the default embedder would combine doc2vec with GloVe for this corpus, "
                                "but " + why + "; using doc2vec alone (run scripts/setup.sh, or set \"glove_path\", "
                                "EMBEDKIT_GLOVE or EMBEDKIT_DATA_PATH)";
    if (self->host->log) self->host->log(self->host, EK_LOG_WARN, warning.c_str());
  }
  auto settings = choice.settings;
  settings.insert(settings.begin(), {"embedder", ek_plugin::JsonQuote(choice.embedder)});
  std::set<std::string> given = self->requested.given;
  given.erase("embedder");  // "auto" given by name is replaced by the choice
  const std::string resolved = tc::ConfigWithDefaults(self->requested.json, given, settings);
  self->config = tc::ReadConfig(self->host, resolved.data(), resolved.size());
  SetTokenizer(self);
  self->auto_json = "{\"documents\":" + std::to_string(stats.documents) + ",\"tokens\":" + std::to_string(stats.tokens) +
                    ",\"mean_tokens\":" + tc::autorule::Number(stats.MeanTokens()) + ",\"glove_available\":" +
                    (glove ? "true" : "false") + ",\"chose\":" + ek_plugin::JsonQuote(choice.embedder) +
                    ",\"reason\":" + ek_plugin::JsonQuote(choice.reason) + "}";
}

// Label text crosses the C API as NUL-terminated strings (label_info, the saved
// model's ids): a U+0000 in it would cut it short, making "a\u0000b" and "a\u0000c"
// the same label "a". JSON can carry one; refused here, shown escaped.
void RefuseNul(const tc::Label& l) {
  const auto has_nul = [](std::string_view s) { return s.find('\0') != std::string_view::npos; };
  const std::string label = "label " + ek_plugin::JsonQuote(l.name) + ": ";
  const char* fix = " contains a NUL character (U+0000); label text cannot contain NUL";
  if (has_nul(l.name)) Fail(EK_ERR_INVALID_ARGUMENT, label + "the name" + fix);
  for (const auto& k : l.keywords) {
    if (has_nul(k)) Fail(EK_ERR_INVALID_ARGUMENT, label + "keyword " + ek_plugin::JsonQuote(k) + fix);
  }
  if (has_nul(l.description)) Fail(EK_ERR_INVALID_ARGUMENT, label + "the description" + fix);
}

void ValidateLabels(const std::vector<tc::Label>& labels) {
  if (labels.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "no labels given");
  std::set<std::string> names;
  for (size_t i = 0; i < labels.size(); ++i) {
    const tc::Label& l = labels[i];
    RefuseNul(l);
    if (l.name.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "label " + std::to_string(i) + " has an empty name");
    if (!names.insert(l.name).second) Fail(EK_ERR_INVALID_ARGUMENT, "label '" + l.name + "' is given twice");
    bool any = !l.description.empty();
    for (const auto& k : l.keywords) any = any || !k.empty();
    if (!any) Fail(EK_ERR_INVALID_ARGUMENT, "label '" + l.name + "' has neither keywords nor a description");
  }
}

std::string KeywordList(const tc::Label& l) {
  std::string s;
  for (const auto& k : l.keywords) s += (s.empty() ? "" : ", ") + k;
  if (!l.description.empty()) s += (s.empty() ? "" : ", ") + std::string("description \"") + l.description + "\"";
  return s;
}

// Seeds from the keywords (and description words), then the label vectors.
void DeriveLabels(Instance* self) {
  const size_t L = self->labels.size(), d = self->embedder->dim();
  self->seeds.assign(L * d, 0.0f);
  self->states.assign(L, tc::LabelState{});
  std::string skipped;
  for (size_t l = 0; l < L; ++l) {
    const tc::Label& lab = self->labels[l];
    std::vector<std::string> kws;
    for (const auto& k : lab.keywords) {
      if (!k.empty()) kws.push_back(k);
    }
    if (!lab.description.empty()) kws.push_back(lab.description);
    uint32_t known = 0;
    self->embedder->Seed(kws, self->seeds.data() + l * d, &known);
    tc::LabelState& st = self->states[l];
    st.known = known;
    st.total = static_cast<uint32_t>(kws.size());
    const float* s = self->seeds.data() + l * d;
    st.active = known > 0 && std::any_of(s, s + d, [](float v) { return v != 0.0f; });
    if (!st.active && !self->config.skip_unknown_labels) {
      Fail(EK_ERR_INVALID_ARGUMENT, "label '" + lab.name + "': none of its keywords (" + KeywordList(lab) +
                                        ") is known to the " + tc::EmbedderName(self->config.embedder) +
                                        " embedder; give other keywords or set \"unknown_keywords\": \"skip\"");
    }
  }
  size_t active = 0;
  for (const auto& st : self->states) active += st.active ? 1 : 0;
  if (active == 0) Fail(EK_ERR_INVALID_ARGUMENT, "no label has a known keyword");
  if (self->config.zero_shot) {
    self->label_vectors = self->seeds;
    for (auto& st : self->states) st.documents = 0;
  } else {
    if (self->fitted.empty()) Fail(EK_ERR_UNSUPPORTED, "the fitted document vectors are not held (model loaded); fit again");
    tc::DeriveLabelVectors(self->env, self->config, self->fitted.data(), self->n_fitted, d, self->seeds, &self->states,
                           &self->label_vectors);
  }
}

// ---- Lifecycle -------------------------------------------------------------------------
ek_status Create(const ek_host* host, const char* config, size_t length, void** out_instance) {
  if (!host || !out_instance) return EK_ERR_INVALID_ARGUMENT;
  *out_instance = nullptr;
  if (host->struct_size < offsetof(ek_host, text) + sizeof(host->text) || !host->text ||
      (host->abi_version >> 16) != EK_ABI_VERSION_MAJOR) {
    host->set_error(host, "embedkit.text_classify needs a host with the text API (ek_host::text)");
    return EK_ERR_ABI_MISMATCH;
  }
  return ek_plugin::GuardCreate(host, [&] {
    auto self = std::make_unique<Instance>();
    self->host = host;
    self->env.host = host;
    self->env.k = host->kernels;
    self->env.text = host->text;
    self->config = tc::ReadConfig(host, config, length);
    self->requested = self->config;
    SetTokenizer(self.get());
    *out_instance = self.release();
  });
}

void Destroy(void* instance) {
  try {
    delete Self(instance);
  } catch (...) {
  }
}

// ---- ek.classifier/1 ------------------------------------------------------------------
const char* LastError(void* instance) { return instance ? Self(instance)->last_error.c_str() : "instance is NULL"; }

ek_status SetEmbedder(void* instance, ek_embed_batch_fn fn, void* user_data, uint32_t dim) {
  return Guard(instance, "set_embedder", [&](Instance* self) {
    NotNull(reinterpret_cast<const void*>(fn), "fn");
    if (dim == 0 || dim > 65536) Fail(EK_ERR_INVALID_ARGUMENT, "dim is " + std::to_string(dim) + "; use 1..65536");
    if (self->ready && self->config.embedder == tc::EmbedderKind::kHost && self->callback.dim && self->callback.dim != dim) {
      Fail(EK_ERR_DIMENSION_MISMATCH, "the fitted model has dim " + std::to_string(self->callback.dim));
    }
    self->callback = tc::HostCallback{fn, user_data, dim};
  });
}

void ApplyLabels(Instance* self, std::vector<tc::Label> labels) {
  ValidateLabels(labels);
  if (self->ready) {
    // Re-derive at once; keep the old labels if that fails.
    std::vector<tc::Label> old = std::move(self->labels);
    self->labels = std::move(labels);
    try {
      DeriveLabels(self);
    } catch (...) {
      self->labels = std::move(old);
      DeriveLabels(self);
      throw;
    }
  } else {
    self->labels = std::move(labels);
  }
}

ek_status SetLabels(void* instance, const ek_classifier_label* labels, size_t count) {
  return Guard(instance, "set_labels", [&](Instance* self) {
    if (count > 0) NotNull(labels, "labels");
    std::vector<tc::Label> ls;
    for (size_t i = 0; i < count; ++i) {
      const ek_classifier_label& in = labels[i];
      if (in.struct_size < offsetof(ek_classifier_label, description) + sizeof(in.description)) {
        Fail(EK_ERR_ABI_MISMATCH, "labels[" + std::to_string(i) + "].struct_size is " + std::to_string(in.struct_size));
      }
      tc::Label l;
      l.name = in.name ? in.name : "";
      if (in.keyword_count > 0) NotNull(in.keywords, "keywords");
      for (size_t k = 0; k < in.keyword_count; ++k) {
        if (in.keywords[k]) l.keywords.emplace_back(in.keywords[k]);
      }
      if (in.description) l.description = in.description;
      ls.push_back(std::move(l));
    }
    ApplyLabels(self, std::move(ls));
  });
}

ek_status SetLabelsJson(void* instance, const char* json, size_t length) {
  return Guard(instance, "set_labels_json", [&](Instance* self) {
    NotNull(json, "json");
    ApplyLabels(self, tc::ParseLabelsJson(self->host, std::string_view(json, length)));
  });
}

ek_status Fit(void* instance, const ek_string_view* documents, size_t count) {
  return Guard(instance, "fit", [&](Instance* self) {
    if (count == 0) Fail(EK_ERR_INVALID_ARGUMENT, "no documents to fit on");
    NotNull(documents, "documents");
    if (self->labels.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "no labels: call set_labels or set_labels_json first");
    CheckViews(documents, count);
    self->ready = false;
    self->loaded = false;
    self->fitted.clear();
    auto t0 = std::chrono::steady_clock::now();
    self->config = self->requested;
    SetTokenizer(self);
    self->auto_json.clear();
    if (self->config.embedder == tc::EmbedderKind::kAuto) ResolveAuto(self, documents, count);
    self->embedder = MakeEmbedder(self);
    self->embedder->Fit(documents, count, &self->fitted);
    self->n_fitted = count;
    self->fit_embed_s = Seconds(t0);
    t0 = std::chrono::steady_clock::now();
    DeriveLabels(self);
    self->fit_labels_s = Seconds(t0);
    self->ready = true;
  });
}

void RequireReady(Instance* self) {
  if (!self->ready) Fail(EK_ERR_UNSUPPORTED, "not fitted: call fit or load first");
}

ek_status LabelCount(void* instance, size_t* out) {
  return Guard(instance, "label_count", [&](Instance* self) {
    NotNull(out, "out_count");
    *out = self->labels.size();
  });
}

ek_status Dim(void* instance, size_t* out) {
  return Guard(instance, "dim", [&](Instance* self) {
    NotNull(out, "out_dim");
    if (self->embedder) {
      *out = self->embedder->dim();
    } else if (self->config.embedder == tc::EmbedderKind::kAuto) {
      Fail(EK_ERR_UNSUPPORTED, "the default embedder (\"auto\") is chosen from the corpus at fit: fit first, or name an embedder");
    } else if (self->config.embedder == tc::EmbedderKind::kDoc2Vec) {
      *out = self->config.vector_size;
    } else if (self->config.embedder == tc::EmbedderKind::kHashing) {
      *out = self->config.hash_dim;
    } else if (self->config.embedder == tc::EmbedderKind::kHost && self->callback.dim) {
      *out = self->callback.dim;
    } else {
      self->embedder = MakeEmbedder(self);  // glove: the table says
      *out = self->embedder->dim();
      self->embedder.reset();
    }
  });
}

ek_status LabelInfo(void* instance, size_t index, ek_classifier_label_info* info) {
  return Guard(instance, "label_info", [&](Instance* self) {
    NotNull(info, "out_info");
    if (index >= self->labels.size()) Fail(EK_ERR_INVALID_ARGUMENT, "label " + std::to_string(index) + " of " + std::to_string(self->labels.size()));
    ek_classifier_label_info out{};
    out.struct_size = sizeof out;
    out.name = self->labels[index].name.c_str();
    if (index < self->states.size()) {
      const auto& st = self->states[index];
      out.known_keywords = st.known;
      out.total_keywords = st.total;
      out.documents = st.documents;
      out.active = st.active ? 1 : 0;
    }
    const size_t n = std::min<size_t>(info->struct_size ? info->struct_size : sizeof out, sizeof out);
    std::memcpy(reinterpret_cast<char*>(info) + sizeof(uint32_t), reinterpret_cast<const char*>(&out) + sizeof(uint32_t),
                n > sizeof(uint32_t) ? n - sizeof(uint32_t) : 0);
  });
}

ek_status Predict(void* instance, const ek_string_view* documents, size_t count, int32_t* out_label, float* out_confidence,
                  float* out_scores) {
  return Guard(instance, "predict", [&](Instance* self) {
    RequireReady(self);
    if (count == 0) return;
    NotNull(documents, "documents");
    NotNull(out_label, "out_label");
    CheckViews(documents, count);
    const size_t d = self->embedder->dim();
    std::vector<float> v(count * d);
    self->embedder->Embed(documents, count, v.data());
    tc::Classify(self->env, self->config, v.data(), count, d, self->label_vectors, self->states, out_label, out_confidence,
                 out_scores);
  });
}

void CheckFittedRange(Instance* self, size_t first, size_t count) {
  RequireReady(self);
  if (self->fitted.empty()) Fail(EK_ERR_UNSUPPORTED, "the fitted document vectors are not held after load");
  if (first > self->n_fitted || count > self->n_fitted - first) {
    Fail(EK_ERR_INVALID_ARGUMENT, "documents " + std::to_string(first) + ".." + std::to_string(first + count) + " of " +
                                      std::to_string(self->n_fitted) + " fitted");
  }
}

ek_status PredictFitted(void* instance, size_t first, size_t count, int32_t* out_label, float* out_confidence,
                        float* out_scores) {
  return Guard(instance, "predict_fitted", [&](Instance* self) {
    CheckFittedRange(self, first, count);
    if (count == 0) return;
    NotNull(out_label, "out_label");
    const size_t d = self->embedder->dim();
    tc::Classify(self->env, self->config, self->fitted.data() + first * d, count, d, self->label_vectors, self->states,
                 out_label, out_confidence, out_scores);
  });
}

ek_status Embed(void* instance, const ek_string_view* documents, size_t count, float* out) {
  return Guard(instance, "embed", [&](Instance* self) {
    RequireReady(self);
    if (count == 0) return;
    NotNull(documents, "documents");
    NotNull(out, "out");
    CheckViews(documents, count);
    self->embedder->Embed(documents, count, out);
  });
}

ek_status FittedVectors(void* instance, size_t first, size_t count, float* out) {
  return Guard(instance, "fitted_vectors", [&](Instance* self) {
    CheckFittedRange(self, first, count);
    if (count == 0) return;
    NotNull(out, "out");
    const size_t d = self->embedder->dim();
    std::memcpy(out, self->fitted.data() + first * d, count * d * sizeof(float));
  });
}

ek_status LabelVectors(void* instance, float* out_labels, float* out_seeds) {
  return Guard(instance, "label_vectors", [&](Instance* self) {
    RequireReady(self);
    if (out_labels) std::memcpy(out_labels, self->label_vectors.data(), self->label_vectors.size() * sizeof(float));
    if (out_seeds) std::memcpy(out_seeds, self->seeds.data(), self->seeds.size() * sizeof(float));
  });
}

std::string LabelsJson(const Instance* self) {
  std::string s = "[";
  for (size_t i = 0; i < self->labels.size(); ++i) {
    const auto& l = self->labels[i];
    s += i ? "," : "";
    s += "{\"name\":" + ek_plugin::JsonQuote(l.name) + ",\"keywords\":[";
    for (size_t k = 0; k < l.keywords.size(); ++k) s += (k ? "," : "") + ek_plugin::JsonQuote(l.keywords[k]);
    s += "],\"description\":" + ek_plugin::JsonQuote(l.description);
    if (i < self->states.size()) {
      const auto& st = self->states[i];
      s += ",\"known_keywords\":" + std::to_string(st.known) + ",\"total_keywords\":" + std::to_string(st.total) +
           ",\"documents\":" + std::to_string(st.documents) + ",\"active\":" + (st.active ? "true" : "false");
    }
    s += "}";
  }
  return s + "]";
}

ek_status Save(void* instance, ek_store* store, const char* model) {
  return Guard(instance, "save", [&](Instance* self) {
    NotNull(store, "store");
    NotNull(model, "model");
    if (!*model) Fail(EK_ERR_INVALID_ARGUMENT, "model name is empty");
    RequireReady(self);
    tc::ModelIO io(self->host, store, model);
    const size_t d = self->embedder->dim(), L = self->labels.size();
    std::string meta = "{\"format\":\"ek.text_classify/1\",\"embedder\":" +
                       ek_plugin::JsonQuote(tc::EmbedderName(self->config.embedder)) + ",\"dim\":" + std::to_string(d) +
                       ",\"config\":" + self->config.json + ",\"labels\":" + LabelsJson(self);
    if (!self->auto_json.empty()) meta += ",\"auto\":" + self->auto_json;
    self->embedder->Save(io, &meta);
    meta += "}";
    io.WriteMatrix("labels", self->label_vectors.data(), L, d);
    io.WriteMatrix("seeds", self->seeds.data(), L, d);
    io.WriteBlob("meta", meta);  // last: a model is complete once its meta exists
  });
}

ek_status Load(void* instance, ek_store* store, const char* model) {
  return Guard(instance, "load", [&](Instance* self) {
    NotNull(store, "store");
    NotNull(model, "model");
    tc::ModelIO io(self->host, store, model);
    std::string meta_text;
    try {
      meta_text = io.ReadBlob("meta");
    } catch (const Error& e) {
      if (e.status == EK_ERR_NOT_FOUND) Fail(EK_ERR_NOT_FOUND, std::string("no model named '") + model + "' in the store");
      throw;
    }
    tc::JsonFields meta(meta_text);
    if (!meta.Has("format") || meta.String("format") != "ek.text_classify/1") {
      Fail(EK_ERR_CORRUPT, std::string("'") + model + "' is not a text_classify model");
    }
    auto fresh = std::make_unique<Instance>();
    fresh->host = self->host;
    fresh->env = self->env;
    fresh->callback = self->callback;
    const std::string config = meta.Raw("config");
    fresh->config = tc::ReadConfig(self->host, config.data(), config.size());
    if (fresh->config.embedder == tc::EmbedderKind::kAuto) {
      // Saved before "auto" existed: the config names no embedder, the meta does.
      std::set<std::string> given = fresh->config.given;
      given.erase("embedder");
      const std::string named = tc::ConfigWithDefaults(config, given, {{"embedder", ek_plugin::JsonQuote(meta.String("embedder"))}});
      fresh->config = tc::ReadConfig(self->host, named.data(), named.size());
    }
    SetTokenizer(fresh.get());
    // Labels and their states.
    simdjson::dom::parser parser;
    simdjson::padded_string padded(meta.Raw("labels"));
    simdjson::dom::array arr;
    if (parser.parse(padded).get_array().get(arr)) Fail(EK_ERR_CORRUPT, "model labels are damaged");
    for (auto e : arr) {
      tc::Label l;
      tc::LabelState st;
      std::string_view s;
      if (e["name"].get_string().get(s)) Fail(EK_ERR_CORRUPT, "model label without a name");
      l.name = std::string(s);
      simdjson::dom::array kws;
      if (!e["keywords"].get_array().get(kws)) {
        for (auto k : kws) {
          if (!k.get_string().get(s)) l.keywords.emplace_back(s);
        }
      }
      if (!e["description"].get_string().get(s)) l.description = std::string(s);
      int64_t v;
      if (!e["known_keywords"].get_int64().get(v)) st.known = static_cast<uint32_t>(v);
      if (!e["total_keywords"].get_int64().get(v)) st.total = static_cast<uint32_t>(v);
      if (!e["documents"].get_int64().get(v)) st.documents = static_cast<uint32_t>(v);
      bool b;
      if (!e["active"].get_bool().get(b)) st.active = b;
      fresh->labels.push_back(std::move(l));
      fresh->states.push_back(st);
    }
    if (fresh->labels.empty()) Fail(EK_ERR_CORRUPT, "model has no labels");
    fresh->embedder = MakeEmbedder(fresh.get());
    const size_t d = static_cast<size_t>(meta.Number("dim"));
    if (fresh->embedder->dim() != d) Fail(EK_ERR_CORRUPT, "model dim " + std::to_string(d) + " differs from its embedder's " + std::to_string(fresh->embedder->dim()));
    fresh->embedder->Load(io, meta);
    const size_t L = fresh->labels.size();
    fresh->label_vectors.resize(L * d);
    fresh->seeds.resize(L * d);
    io.ReadMatrix("labels", fresh->label_vectors.data(), L, d);
    io.ReadMatrix("seeds", fresh->seeds.data(), L, d);
    // Swap in (the instance keeps its identity and callback).
    self->config = fresh->config;
    self->requested = fresh->config;
    self->auto_json = meta.Has("auto") ? meta.Raw("auto") : std::string();
    self->env.tok = fresh->env.tok;
    self->labels = std::move(fresh->labels);
    self->states = std::move(fresh->states);
    self->label_vectors = std::move(fresh->label_vectors);
    self->seeds = std::move(fresh->seeds);
    self->embedder = std::move(fresh->embedder);
    self->fitted.clear();
    self->n_fitted = 0;
    self->ready = true;
    self->loaded = true;
  });
}

ek_status InfoJson(void* instance, char* out, size_t capacity, size_t* out_needed) {
  return Guard(instance, "info_json", [&](Instance* self) {
    char buf[64];
    std::string s = "{\"embedder\":" + ek_plugin::JsonQuote(tc::EmbedderName(self->config.embedder)) +
                    ",\"mode\":" + (self->config.zero_shot ? "\"zero_shot\"" : "\"lbl2vec\"") +
                    ",\"ready\":" + (self->ready ? "true" : "false") + ",\"loaded\":" + (self->loaded ? "true" : "false") +
                    ",\"fitted_documents\":" + std::to_string(self->n_fitted);
    if (!self->auto_json.empty()) s += ",\"auto\":" + self->auto_json;
    if (self->embedder) s += ",\"dim\":" + std::to_string(self->embedder->dim()) + ",\"embedder_stats\":" + self->embedder->Stats();
    std::snprintf(buf, sizeof buf, "%.6f", self->fit_embed_s);
    s += std::string(",\"fit_embed_seconds\":") + buf;
    std::snprintf(buf, sizeof buf, "%.6f", self->fit_labels_s);
    s += std::string(",\"fit_labels_seconds\":") + buf;
    s += ",\"threads\":" + std::to_string(self->host->thread_count(self->host));
    s += ",\"labels\":" + LabelsJson(self) + ",\"config\":" + self->config.json + "}";
    if (out_needed) *out_needed = s.size() + 1;
    if (!out || capacity < s.size() + 1) {
      Fail(EK_ERR_BUFFER_TOO_SMALL, "needs " + std::to_string(s.size() + 1) + " bytes, capacity is " + std::to_string(out ? capacity : 0));
    }
    std::memcpy(out, s.c_str(), s.size() + 1);
  });
}

const ek_classifier_ext kClassifier = {
    sizeof(ek_classifier_ext), LastError, SetEmbedder, SetLabels,     SetLabelsJson, Fit,          LabelCount,
    Dim,                       LabelInfo, Predict,     PredictFitted, Embed,         FittedVectors, LabelVectors,
    Save,                      Load,      InfoJson,
};

// ---- ek.encoder/1: the embedder's document vectors ---------------------------------------
ek_status EncoderDim(void* instance, size_t* out_dim) { return Dim(instance, out_dim); }
ek_status EncoderEncode(void* instance, const ek_string_view* items, size_t count, float* out) {
  return Embed(instance, items, count, out);
}
const ek_encoder_ext kEncoder = {sizeof(ek_encoder_ext), EncoderDim, EncoderEncode};

const void* GetExtension(void*, const char* id) {
  if (!id) return nullptr;
  if (std::strcmp(id, EK_EXT_CLASSIFIER) == 0) return &kClassifier;
  if (std::strcmp(id, EK_EXT_ENCODER) == 0) return &kEncoder;
  return nullptr;
}

const char* const kExtensions[] = {EK_EXT_CLASSIFIER, EK_EXT_ENCODER, nullptr};

const ek_plugin_descriptor kDescriptor = {
    sizeof(ek_plugin_descriptor),
    EK_ABI_VERSION,
    "embedkit.text_classify",
    "Unsupervised text classification from label keywords (Lbl2Vec)",
    "0.1.0",
    "embedkit",
    "Labels given as keywords, documents without labels: Doc2Vec PV-DBOW, GloVe, hashing or host embeddings; "
    "label vectors from the documents most similar to the keywords; cosine argmax with softmax confidence",
    kExtensions,
    Create,
    Destroy,
    GetExtension,
};

}  // namespace

extern "C" EK_PLUGIN_EXPORT const ek_plugin_descriptor* EK_PLUGIN_ENTRY_NAME(void) { return &kDescriptor; }
