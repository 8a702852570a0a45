// Configuration, JSON helpers, host helpers and model persistence of text_classify.
#include "config_reader.h"
#include "host_failure.h"
#include "json_quote.h"
#include "json_syntax.h"
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <set>

#include "tc.h"

namespace tc {

std::string EmbedderName(EmbedderKind k) {
  switch (k) {
    case EmbedderKind::kAuto: return "auto";
    case EmbedderKind::kCombined: return "doc2vec+glove";
    case EmbedderKind::kDoc2Vec: return "doc2vec";
    case EmbedderKind::kGlove: return "glove";
    case EmbedderKind::kHashing: return "hashing";
    case EmbedderKind::kHost: return "host";
  }
  return "?";
}

uint64_t Hash64(const void* data, size_t n, uint64_t salt) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 14695981039346656037ull ^ (salt * 0x9E3779B97F4A7C15ull);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  h ^= h >> 33;  // splitmix-style finish so low bits are well mixed
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

// ---- JSON -----------------------------------------------------------------------------
struct JsonFields::Impl {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
};

JsonFields::JsonFields(std::string_view json) : impl(std::make_unique<Impl>()) {
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  auto err = impl->parser.parse(padded).get(root);
  if (err) Fail(EK_ERR_PARSE, std::string("malformed JSON: ") + simdjson::error_message(err));
  if (root.get_object().get(impl->object)) Fail(EK_ERR_PARSE, "expected a JSON object");
}
JsonFields::~JsonFields() = default;
bool JsonFields::Has(const char* key) const {
  simdjson::dom::element e;
  return !impl->object.at_key(key).get(e);
}
std::string JsonFields::String(const char* key) const {
  std::string_view s;
  if (impl->object.at_key(key).get_string().get(s)) Fail(EK_ERR_CORRUPT, std::string("field '") + key + "' is not a string");
  return std::string(s);
}
double JsonFields::Number(const char* key) const {
  simdjson::dom::element e;
  if (impl->object.at_key(key).get(e)) Fail(EK_ERR_CORRUPT, std::string("field '") + key + "' missing");
  double d;
  if (e.is_int64()) return static_cast<double>(int64_t(e));
  if (e.is_uint64()) return static_cast<double>(uint64_t(e));
  if (e.get_double().get(d)) Fail(EK_ERR_CORRUPT, std::string("field '") + key + "' is not a number");
  return d;
}
std::string JsonFields::Raw(const char* key) const {
  simdjson::dom::element e;
  if (impl->object.at_key(key).get(e)) return "null";
  return simdjson::minify(e);
}

namespace {

[[noreturn]] void BadConfig(const std::string& why) { Fail(EK_ERR_INVALID_ARGUMENT, "config: " + why); }

// Every value through plugins/common's reader (the host parses, ranges are checked
// there); only the list of keys, which the host's config API lacks, from the object
// parsed here, so that an unknown key is refused.
struct ConfigReader {
  ConfigReader(const ek_host* h, std::string_view text) : host(h, text.data(), text.size()) {}
  ek_plugin::ConfigReader host;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  std::set<std::string> seen;

  double Number(const char* key, double fallback, double lo, double hi) {
    seen.insert(key);
    return host.Double(key, fallback, lo, hi);
  }
  size_t Size(const char* key, size_t fallback, int64_t lo, int64_t hi) {
    seen.insert(key);
    return static_cast<size_t>(host.Int(key, static_cast<int64_t>(fallback), lo, hi));
  }
  std::string String(const char* key, const std::string& fallback) {
    seen.insert(key);
    return host.String(key, fallback);
  }
  bool Bool(const char* key, bool fallback) {
    seen.insert(key);
    return host.Bool(key, fallback);
  }
};

}  // namespace

Config ReadConfig(const ek_host* host, const char* json, size_t length) {
  Config c;
  std::string_view text = json && length ? std::string_view(json, length) : std::string_view("{}");
  c.json = std::string(text);
  ConfigReader r(host, text);
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  auto err = r.parser.parse(padded).get(root);
  if (err) Fail(EK_ERR_PARSE, std::string("config: malformed JSON: ") + simdjson::error_message(err));
  if (root.get_object().get(r.obj)) Fail(EK_ERR_PARSE, "config: expected a JSON object");

  const std::string emb = r.String("embedder", "auto");
  if (emb == "auto") {
    c.embedder = EmbedderKind::kAuto;
  } else if (emb == "doc2vec+glove") {
    c.embedder = EmbedderKind::kCombined;
  } else if (emb == "doc2vec") {
    c.embedder = EmbedderKind::kDoc2Vec;
  } else if (emb == "glove") {
    c.embedder = EmbedderKind::kGlove;
  } else if (emb == "hashing") {
    c.embedder = EmbedderKind::kHashing;
  } else if (emb == "host") {
    c.embedder = EmbedderKind::kHost;
  } else {
    BadConfig("\"embedder\" is '" + emb + "'; use auto, doc2vec, glove, hashing, doc2vec+glove or host");
  }
  const std::string mode = r.String("mode", "lbl2vec");
  if (mode != "lbl2vec" && mode != "zero_shot") BadConfig("\"mode\" is '" + mode + "'; use lbl2vec or zero_shot");
  c.zero_shot = mode == "zero_shot";
  c.seed = static_cast<uint64_t>(r.Size("seed", 1, 0, 9007199254740991));

  c.lowercase = r.Bool("lowercase", c.lowercase);
  c.strip_headers = r.Bool("strip_headers", c.strip_headers);
  c.keep_subject = r.Bool("keep_subject", c.keep_subject);
  c.strip_quotes = r.Bool("strip_quotes", c.strip_quotes);
  c.drop_numbers = r.Bool("drop_numbers", c.drop_numbers);
  c.min_token_chars = static_cast<uint32_t>(r.Size("min_token_chars", c.min_token_chars, 1, 64));
  c.max_token_bytes = static_cast<uint32_t>(r.Size("max_token_bytes", c.max_token_bytes, 1, 1024));

  c.similarity_threshold = r.Number("similarity_threshold", NAN, -1, 1);  // NAN: unset
  c.threshold_offset = r.Number("threshold_offset", c.threshold_offset, 0, 2);
  c.min_num_docs = r.Size("min_num_docs", c.min_num_docs, 1, 1000000000);
  c.max_num_docs = r.Size("max_num_docs", c.max_num_docs, 0, 1000000000);
  if (c.max_num_docs && c.max_num_docs < c.min_num_docs) BadConfig("\"max_num_docs\" is below \"min_num_docs\"");
  c.refine_rounds = static_cast<int>(r.Size("refine_rounds", 0, 0, 20));
  c.kmeans_rounds = r.Size("kmeans_rounds", c.kmeans_rounds, 0, 100);
  c.scale = r.Number("scale", c.scale, 1e-3, 1e4);
  const std::string unknown = r.String("unknown_keywords", "error");
  if (unknown != "error" && unknown != "skip") BadConfig("\"unknown_keywords\" is '" + unknown + "'; use error or skip");
  c.skip_unknown_labels = unknown == "skip";

  c.vector_size = r.Size("vector_size", c.vector_size, 8, 4096);
  c.window = r.Size("window", c.window, 1, 100);
  c.min_count = r.Size("min_count", c.min_count, 1, 1000000000);
  c.negative = r.Size("negative", c.negative, 1, 64);
  c.epochs = r.Size("epochs", c.epochs, 1, 1000);
  c.infer_epochs = r.Size("infer_epochs", c.infer_epochs, 0, 1000);
  c.sample = r.Number("sample", c.sample, 0, 1);
  c.alpha = r.Number("alpha", c.alpha, 1e-6, 1);
  c.min_alpha = r.Number("min_alpha", c.min_alpha, 0, 1);
  c.dbow_words = r.Bool("dbow_words", c.dbow_words);
  c.max_vocab = r.Size("max_vocab", c.max_vocab, 0, 1000000000);
  const std::string inf = r.String("infer", "sgd");
  if (inf != "sgd" && inf != "linear") BadConfig("\"infer\" is '" + inf + "'; use sgd or linear");
  c.infer_linear = inf == "linear";
  c.infer_ridge = r.Number("infer_ridge", c.infer_ridge, 0, 1e6);
  const std::string kv = r.String("keyword_vectors", "auto");
  if (kv == "auto") {
    c.keyword_vectors = KeywordVectors::kAuto;
  } else if (kv == "input") {
    c.keyword_vectors = KeywordVectors::kInput;
  } else if (kv == "output") {
    c.keyword_vectors = KeywordVectors::kOutput;
  } else if (kv == "both") {
    c.keyword_vectors = KeywordVectors::kBoth;
  } else {
    BadConfig("\"keyword_vectors\" is '" + kv + "'; use input, output or both");
  }

  c.glove_path = r.String("glove_path", "");
  const std::string w = r.String("weighting", "sif");
  if (w == "sif") {
    c.weighting = Weighting::kSif;
  } else if (w == "tfidf") {
    c.weighting = Weighting::kTfidf;
  } else if (w == "mean") {
    c.weighting = Weighting::kMean;
  } else {
    BadConfig("\"weighting\" is '" + w + "'; use sif, tfidf or mean");
  }
  c.sif_a = r.Number("sif_a", c.sif_a, 1e-8, 1);
  c.remove_pc = r.Bool("remove_pc", c.remove_pc);

  c.hash_dim = r.Size("hash_dim", c.hash_dim, 8, 65536);
  c.hash_bits = static_cast<uint32_t>(r.Size("hash_bits", c.hash_bits, 10, 24));
  c.char_ngram_min = static_cast<uint32_t>(r.Size("char_ngram_min", c.char_ngram_min, 0, 10));
  c.char_ngram_max = static_cast<uint32_t>(r.Size("char_ngram_max", c.char_ngram_max, 0, 10));
  if (c.char_ngram_max < c.char_ngram_min) BadConfig("\"char_ngram_max\" is below \"char_ngram_min\"");
  c.word_bigrams = r.Bool("word_bigrams", c.word_bigrams);
  c.host_batch = r.Size("host_batch", c.host_batch, 1, 65536);
  c.combine_weight = r.Number("combine_weight", c.combine_weight, 0, 1);

  for (auto field : r.obj) {
    const std::string key(field.key);
    if (!r.seen.count(key)) BadConfig("unknown key \"" + key + "\" (docs/text_classify.md lists the keys)");
    c.given.insert(key);
  }
  return c;
}

std::string ConfigWithDefaults(const std::string& json, const std::set<std::string>& given,
                               const std::vector<std::pair<std::string, std::string>>& settings) {
  // Rebuilt from the parsed object so a key set here never appears twice.
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::object obj;
  if (parser.parse(padded).get_object().get(obj)) Fail(EK_ERR_INTERNAL, "config is not a JSON object");
  std::set<std::string> set_here;
  std::string out = "{";
  for (const auto& [key, value] : settings) {
    if (given.count(key) || !set_here.insert(key).second) continue;
    out += (out.size() > 1 ? "," : "") + ek_plugin::JsonQuote(key) + ":" + value;
  }
  for (auto field : obj) {
    const std::string key(field.key);
    if (set_here.count(key)) continue;
    out += (out.size() > 1 ? "," : "") + ek_plugin::JsonQuote(key) + ":" + simdjson::minify(field.value);
  }
  return out + "}";
}

// ---- Host helpers -----------------------------------------------------------------------
void ForEachToken(const Env& env, std::string_view text, const std::function<void(std::string_view)>& fn) {
  struct Ctx {
    const std::function<void(std::string_view)>* fn;
    std::exception_ptr error;
  } ctx{&fn, nullptr};
  ek_status s = env.text->tokenize_each(
      text.data(), text.size(), &env.tok,
      [](void* u, const char* t, size_t n) -> int32_t {
        auto* c = static_cast<Ctx*>(u);
        try {
          (*c->fn)(std::string_view(t, n));
          return 0;
        } catch (...) {
          c->error = std::current_exception();
          return 1;
        }
      },
      &ctx);
  if (ctx.error) std::rethrow_exception(ctx.error);
  if (s != EK_OK) Fail(s, "tokenizer failed");
}

std::vector<std::string> Tokens(const Env& env, std::string_view text) {
  std::vector<std::string> out;
  ForEachToken(env, text, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

void Progress(const Env& env, const char* task, uint64_t done, uint64_t total) {
  if (env.host->progress(env.host, task, done, total) != 0) Fail(EK_ERR_CANCELLED, std::string(task) + ": cancelled");
}

void MeanOfUnit(const Env& env, const std::vector<const float*>& vectors, size_t dim, float* out) {
  std::vector<double> acc(dim, 0.0);
  size_t used = 0;
  std::vector<float> tmp(dim);
  for (const float* v : vectors) {
    std::copy(v, v + dim, tmp.begin());
    if (env.k->normalize(tmp.data(), dim) == 0.0f) continue;
    for (size_t d = 0; d < dim; ++d) acc[d] += tmp[d];
    ++used;
  }
  for (size_t d = 0; d < dim; ++d) out[d] = used ? static_cast<float>(acc[d] / static_cast<double>(used)) : 0.0f;
  if (used) env.k->normalize(out, dim);
}

// ---- Labels -------------------------------------------------------------------------------
std::vector<Label> ParseLabelsJson(const ek_host* host, std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  auto err = parser.parse(padded).get(root);
  if (err) Fail(EK_ERR_PARSE, "labels are not valid JSON: " + ek_plugin::JsonSyntaxError(host, json, simdjson::error_message(err)));
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) Fail(EK_ERR_INVALID_ARGUMENT, "labels: expected a JSON object");
  simdjson::dom::element inner;
  if (!obj.at_key("labels").get(inner)) {
    if (inner.get_object().get(obj)) Fail(EK_ERR_INVALID_ARGUMENT, "labels: \"labels\" must be an object");
  }
  std::vector<Label> labels;
  for (auto field : obj) {
    Label l;
    l.name = std::string(field.key);
    auto read_keywords = [&](simdjson::dom::element arr) {
      simdjson::dom::array a;
      if (arr.get_array().get(a)) Fail(EK_ERR_INVALID_ARGUMENT, "label '" + l.name + "': keywords must be an array of strings");
      for (auto kw : a) {
        std::string_view s;
        if (kw.get_string().get(s)) Fail(EK_ERR_INVALID_ARGUMENT, "label '" + l.name + "': keywords must be strings");
        l.keywords.emplace_back(s);
      }
    };
    if (field.value.is_array()) {
      read_keywords(field.value);
    } else if (field.value.is_string()) {
      l.description = std::string(std::string_view(field.value));
    } else if (field.value.is_object()) {
      simdjson::dom::element e;
      if (!field.value.at_key("keywords").get(e)) read_keywords(e);
      if (!field.value.at_key("description").get(e)) {
        std::string_view s;
        if (e.get_string().get(s)) Fail(EK_ERR_INVALID_ARGUMENT, "label '" + l.name + "': description must be a string");
        l.description = std::string(s);
      }
    } else {
      Fail(EK_ERR_INVALID_ARGUMENT, "label '" + l.name + "': expected keywords (array), a description (string) or an object");
    }
    labels.push_back(std::move(l));
  }
  return labels;
}

// ---- Model persistence ----------------------------------------------------------------------
namespace {
struct Coll {
  const ek_host* host;
  ek_collection* c = nullptr;
  ~Coll() {
    if (c) host->collection_free(c);
  }
};
}  // namespace

void ModelIO::WriteRows(const std::string& part, uint32_t dim, const std::vector<std::string>& ids,
                        const float* vectors) {
  const std::string name = model_ + "." + part;
  Coll c{host_};
  const ek_status s = host_->collection_create(store_, name.c_str(), dim, EK_METRIC_COSINE, &c.c);
  if (s == EK_ERR_ALREADY_EXISTS) {
    Fail(s, "model '" + model_ + "': collection '" + name + "' exists with another dim (an older model of that name?); "
            "save under another name or drop the old model's collections first");
  }
  ek_plugin::CheckHost(host_, s, "collection_create '" + name + "'");
  const size_t batch = 4096;
  for (size_t at = 0; at < ids.size(); at += batch) {
    const size_t n = std::min(batch, ids.size() - at);
    std::vector<const char*> id(n);
    for (size_t i = 0; i < n; ++i) id[i] = ids[at + i].c_str();
    ek_upsert_batch b{};
    b.struct_size = sizeof b;
    b.count = n;
    b.ids = id.data();
    b.vectors = vectors + at * dim;
    b.dim = dim;
    ek_plugin::CheckHost(host_, host_->collection_upsert(c.c, &b), "collection_upsert '" + name + "'");
  }
}

void ModelIO::ReadRows(const std::string& part, uint32_t dim, const std::vector<std::string>& ids, float* out) {
  const std::string name = model_ + "." + part;
  Coll c{host_};
  ek_status s = host_->collection_create(store_, name.c_str(), dim, EK_METRIC_COSINE, &c.c);
  if (s == EK_ERR_ALREADY_EXISTS) Fail(EK_ERR_CORRUPT, "model '" + model_ + "': '" + name + "' has another dim than " + std::to_string(dim));
  // A read-only store cannot create a missing collection: it is not there.
  if (s == EK_ERR_READ_ONLY) Fail(EK_ERR_NOT_FOUND, "model '" + model_ + "': '" + name + "' is missing");
  ek_plugin::CheckHost(host_, s, "opening '" + name + "'");
  for (size_t i = 0; i < ids.size(); ++i) {
    size_t got = 0;
    s = host_->collection_get(c.c, ids[i].c_str(), out + i * dim, dim, &got, nullptr);
    if (s == EK_ERR_NOT_FOUND) {
      Fail(EK_ERR_NOT_FOUND, "model '" + model_ + "': row '" + ids[i] + "' of '" + name + "' is missing");
    }
    ek_plugin::CheckHost(host_, s, "collection_get '" + name + "'");
  }
}

void ModelIO::WriteMatrix(const std::string& part, const float* m, size_t rows, size_t dim) {
  std::vector<std::string> ids(rows);
  for (size_t i = 0; i < rows; ++i) ids[i] = std::to_string(i);
  WriteRows(part, static_cast<uint32_t>(dim), ids, m);
}

void ModelIO::ReadMatrix(const std::string& part, float* m, size_t rows, size_t dim) {
  std::vector<std::string> ids(rows);
  for (size_t i = 0; i < rows; ++i) ids[i] = std::to_string(i);
  ReadRows(part, static_cast<uint32_t>(dim), ids, m);
}

// A blob is a byte string kept as floats (each an exact byte value 0..255) in rows of
// kBlobDim: row 0 starts with the length (low 24 bits, high bits), then the bytes.
// Vectors are all the host's store API lets a plugin read back.
static constexpr size_t kBlobDim = 1024;

void ModelIO::WriteBlob(const std::string& part, const std::string& bytes) {
  const size_t total = bytes.size() + 2;
  const size_t rows = (total + kBlobDim - 1) / kBlobDim;
  std::vector<float> m(rows * kBlobDim, 0.0f);
  m[0] = static_cast<float>(bytes.size() & 0xFFFFFF);
  m[1] = static_cast<float>(bytes.size() >> 24);
  for (size_t i = 0; i < bytes.size(); ++i) m[i + 2] = static_cast<float>(static_cast<unsigned char>(bytes[i]));
  WriteMatrix(part, m.data(), rows, kBlobDim);
}

std::string ModelIO::ReadBlob(const std::string& part) {
  std::vector<float> head(kBlobDim);
  ReadMatrix(part, head.data(), 1, kBlobDim);
  const size_t len = static_cast<size_t>(head[0]) + (static_cast<size_t>(head[1]) << 24);
  const size_t rows = (len + 2 + kBlobDim - 1) / kBlobDim;
  std::vector<float> m(rows * kBlobDim);
  ReadMatrix(part, m.data(), rows, kBlobDim);
  std::string out(len, '\0');
  for (size_t i = 0; i < len; ++i) {
    const float f = m[i + 2];
    if (!(f >= 0.0f && f <= 255.0f)) Fail(EK_ERR_CORRUPT, "model '" + model_ + "': blob '" + part + "' is damaged");
    out[i] = static_cast<char>(static_cast<unsigned char>(f));
  }
  return out;
}

}  // namespace tc
