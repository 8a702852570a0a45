// embedkit.table_match: the C ABI of the plugin (descriptor and "ek.matcher/1").
// Every entry point catches everything and returns a status, with the reason through
// ek_host::set_error and last_error().
#include "config_reader.h"
#include "guard.h"
#include "json_syntax.h"
#include "read_file.h"
#include <embedkit/ext/matcher.h>
#include <embedkit/plugin.h>

#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "matcher.h"
#include "schema.h"

namespace tmatch {
extern const char* const kBuiltinModel;  // model_data.cc, generated from model.json
}

namespace {

using tmatch::Error;
using tmatch::Fail;

struct Instance {
  const ek_host* host = nullptr;
  std::unique_ptr<tmatch::Matcher> matcher;
  std::string last_error;
  // Views handed out by column() (valid until the side changes).
};

struct ResultBox {
  std::unique_ptr<tmatch::Result> r;
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

void CheckSide(uint32_t side) {
  if (side != EK_MATCHER_SOURCE && side != EK_MATCHER_TARGET)
    Fail(EK_ERR_INVALID_ARGUMENT, "side must be EK_MATCHER_SOURCE (0) or EK_MATCHER_TARGET (1)");
}

ek_status Create(const ek_host* host, const char* config_json, size_t length, void** out_instance) {
  if (!host || !out_instance) return EK_ERR_INVALID_ARGUMENT;
  *out_instance = nullptr;
  if (host->struct_size < offsetof(ek_host, text) + sizeof(host->text) ||
      (host->abi_version >> 16) != EK_ABI_VERSION_MAJOR) {
    host->set_error(host, "host ABI does not match the one embedkit.table_match was built for");
    return EK_ERR_ABI_MISMATCH;
  }
  return ek_plugin::GuardCreate(host, [&] {
    const ek_plugin::ConfigReader config(host, config_json, length);
    tmatch::Config c;
    c.model_path = config.String("model", "");
    c.variant = config.String("variant", "");
    c.wordvec_path = config.String("wordvec", "");
    c.cache_store = config.String("cache_store", "");
    if (const std::string hints = config.String("hints", ""); !hints.empty())
      c.hints = tmatch::ReadHintsFile(host, hints);
    c.limits.max_input_bytes = static_cast<size_t>(
        config.Int("max_input_bytes", 64 << 20, 1, int64_t{1} << 32));
    c.limits.max_columns = static_cast<size_t>(
        config.Int("max_columns", 100000, 1, 10000000));
    c.limits.max_text_bytes = static_cast<size_t>(
        config.Int("max_text_bytes", 1 << 20, 16, int64_t{1} << 30));
    c.max_pairs = static_cast<size_t>(
        config.Int("max_pairs", 25000000, 1, int64_t{1} << 34));
    c.char_dim = static_cast<uint32_t>(config.Int("char_dim", 2048, 64, 65536));
    c.word_dim = static_cast<uint32_t>(config.Int("word_dim", 2048, 64, 65536));
    const std::string model_text =
        c.model_path.empty() ? std::string(tmatch::kBuiltinModel) : ek_plugin::ReadWholeFile(c.model_path, "model");
    tmatch::Model model = tmatch::ParseModel(host, model_text);
    auto self = std::make_unique<Instance>();
    self->host = host;
    self->matcher = std::make_unique<tmatch::Matcher>(host, std::move(c), std::move(model));
    *out_instance = self.release();
  });
}

void Destroy(void* instance) {
  try {
    delete Self(instance);
  } catch (...) {
  }
}

// ---- ek.matcher/1 ------------------------------------------------------------------------
const char* LastError(void* instance) {
  return instance ? Self(instance)->last_error.c_str() : "instance is NULL";
}

void OptionsInit(ek_matcher_options* o) {
  if (!o) return;
  std::memset(o, 0, sizeof *o);
  o->struct_size = sizeof *o;
  o->top_k = 5;
  o->mode = EK_MATCHER_MODE_ONE_TO_MANY;
  o->threshold = -1.0f;
  o->max_matches = 0;
  o->use_llm = 1;
}

ek_status Load(void* instance, uint32_t side, const char* text, size_t length, uint32_t format) {
  return Guard(instance, "load", [&](Instance* self) {
    CheckSide(side);
    if (length) NotNull(text, "text");
    std::vector<std::string> warnings;
    self->matcher->side(side).Load(std::string_view(text ? text : "", length), format,
                                   self->matcher->config().limits, &warnings);
    for (const auto& w : warnings) self->host->log(self->host, EK_LOG_WARN, ("table_match: " + w).c_str());
  });
}

ek_status Clear(void* instance, uint32_t side) {
  return Guard(instance, "clear", [&](Instance* self) {
    CheckSide(side);
    self->matcher->side(side).Clear();
  });
}

ek_status Count(void* instance, uint32_t side, size_t* out) {
  return Guard(instance, "count", [&](Instance* self) {
    CheckSide(side);
    NotNull(out, "out_count");
    *out = self->matcher->side(side).size();
  });
}

void FillView(const tmatch::Column& c, ek_matcher_column* v) {
  const uint32_t size = v->struct_size;
  if (size < sizeof(ek_matcher_column)) Fail(EK_ERR_ABI_MISMATCH, "out_column->struct_size too small");
  v->id = c.id.c_str();
  v->table = c.table.c_str();
  v->name = c.name.c_str();
  v->type = c.type.c_str();
  v->description = c.description.c_str();
  v->table_description = c.table_description.c_str();
  v->synonyms = c.synonyms.c_str();
}

ek_status ColumnAt(void* instance, uint32_t side, size_t index, ek_matcher_column* out) {
  return Guard(instance, "column", [&](Instance* self) {
    CheckSide(side);
    NotNull(out, "out_column");
    const auto& cols = self->matcher->side(side).columns();
    if (index >= cols.size()) Fail(EK_ERR_INVALID_ARGUMENT, "index out of range");
    FillView(cols[index], out);
  });
}

ek_status AddAbbreviations(void* instance, const char* json, size_t length) {
  return Guard(instance, "add_abbreviations", [&](Instance* self) {
    NotNull(json, "json");
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json, length);
    simdjson::dom::object obj;
    if (auto err = parser.parse(padded).get_object().get(obj)) {
      Fail(EK_ERR_PARSE, std::string("expected a JSON object {\"abbr\": \"expansion\"}: ") +
                             (err == simdjson::INCORRECT_TYPE
                                  ? std::string("got another JSON value")
                                  : ek_plugin::JsonSyntaxError(self->host, {json, length}, simdjson::error_message(err))));
    }
    std::vector<std::pair<std::string, std::string>> items;
    for (auto [k, v] : obj) {
      std::string_view s;
      if (v.get_string().get(s))
        Fail(EK_ERR_PARSE, "abbreviation '" + std::string(k) + "': the expansion must be a string");
      items.emplace_back(std::string(k), std::string(s));
    }
    for (auto& [k, v] : items) self->matcher->normalizer().AddAbbreviation(k, v);
  });
}

ek_status SetLlmHooks(void* instance, const ek_matcher_llm_hooks* hooks) {
  return Guard(instance, "set_llm_hooks", [&](Instance* self) { self->matcher->SetHooks(hooks); });
}

ek_status MatchFn(void* instance, const ek_matcher_options* options, ek_matcher_result** out) {
  return Guard(instance, "match", [&](Instance* self) {
    NotNull(out, "out_result");
    *out = nullptr;
    ek_matcher_options o;
    OptionsInit(&o);
    if (options) {
      if (options->struct_size < sizeof(ek_matcher_options))
        Fail(EK_ERR_ABI_MISMATCH, "options->struct_size is smaller than ek_matcher_options");
      o = *options;
    }
    auto box = std::make_unique<ResultBox>();
    box->r = self->matcher->Match(o);
    *out = reinterpret_cast<ek_matcher_result*>(box.release());
  });
}

size_t SignalCount(void* instance) {
  return instance ? Self(instance)->matcher->SignalNames().size() : 0;
}

const char* SignalNameAt(void* instance, size_t index) {
  if (!instance) return nullptr;
  const tmatch::ModelVariant& v = Self(instance)->matcher->variant();
  if (index < v.signals.size()) return tmatch::SignalName(v.signals[index]);
  if (index == v.signals.size()) return "row_context";
  if (index == v.signals.size() + 1) return "col_context";
  const size_t c = index - v.signals.size() - 2;
  if (c < static_cast<size_t>(tmatch::kContextCount)) return tmatch::ContextName(static_cast<int>(c));
  const size_t q = c - tmatch::kContextCount;
  if (q < static_cast<size_t>(tmatch::kTableTermCount)) return tmatch::TableTermName(static_cast<int>(q));
  return nullptr;
}

const tmatch::Result* R(const ek_matcher_result* r) {
  return r ? reinterpret_cast<const ResultBox*>(r)->r.get() : nullptr;
}

size_t ResultColumnCount(const ek_matcher_result* result) {
  const tmatch::Result* r = R(result);
  return r ? r->sources.size() : 0;
}

ek_status ResultColumn(const ek_matcher_result* result, size_t index, ek_matcher_column* out,
                       size_t* out_count) {
  const tmatch::Result* r = R(result);
  if (!r || index >= r->sources.size()) return EK_ERR_INVALID_ARGUMENT;
  if (out) {
    if (out->struct_size < sizeof(ek_matcher_column)) return EK_ERR_ABI_MISMATCH;
    FillView(r->sources[index], out);
  }
  if (out_count) *out_count = r->candidates[index].size();
  return EK_OK;
}

ek_status ResultCandidate(const ek_matcher_result* result, size_t index, size_t rank,
                          ek_matcher_candidate* out) {
  const tmatch::Result* r = R(result);
  if (!r || !out || index >= r->sources.size() || rank >= r->candidates[index].size())
    return EK_ERR_INVALID_ARGUMENT;
  if (out->struct_size < sizeof(ek_matcher_candidate)) return EK_ERR_ABI_MISMATCH;
  const tmatch::Candidate& c = r->candidates[index][rank];
  out->target_index = c.target;
  out->score = c.score;
  out->model_score = c.model_score;
  out->judge_probability = c.judge;
  out->is_match = c.match ? 1u : 0u;
  out->signal_count = c.signals.size();
  out->signals = c.signals.data();
  out->contributions = c.contributions.data();
  return EK_OK;
}

ek_status ResultTarget(const ek_matcher_result* result, size_t index, ek_matcher_column* out) {
  const tmatch::Result* r = R(result);
  if (!r || !out || index >= r->targets.size()) return EK_ERR_INVALID_ARGUMENT;
  if (out->struct_size < sizeof(ek_matcher_column)) return EK_ERR_ABI_MISMATCH;
  FillView(r->targets[index], out);
  return EK_OK;
}

ek_status ResultJson(const ek_matcher_result* result, char** out) {
  const tmatch::Result* r = R(result);
  if (!r || !out) return EK_ERR_INVALID_ARGUMENT;
  try {
    const std::string j = r->ToJson();
    char* p = new char[j.size() + 1];
    std::memcpy(p, j.c_str(), j.size() + 1);
    *out = p;
    return EK_OK;
  } catch (...) {
    return EK_ERR_OUT_OF_MEMORY;
  }
}

void FreeText(char* text) { delete[] text; }

void ResultFree(ek_matcher_result* result) {
  delete reinterpret_cast<ResultBox*>(result);
}

const ek_matcher_ext kMatcher = {
    sizeof(ek_matcher_ext), LastError,       OptionsInit,  Load,        Clear,
    Count,                  ColumnAt,        AddAbbreviations, SetLlmHooks, MatchFn,
    SignalCount,            SignalNameAt,    ResultColumnCount, ResultColumn, ResultCandidate,
    ResultTarget,           ResultJson,      FreeText,     ResultFree,
};

const void* GetExtension(void* instance, const char* id) {
  (void)instance;
  if (id && std::strcmp(id, EK_EXT_MATCHER) == 0) return &kMatcher;
  return nullptr;
}

const char* const kExtensions[] = {EK_EXT_MATCHER, nullptr};

const ek_plugin_descriptor kDescriptor = {
    sizeof(ek_plugin_descriptor),
    EK_ABI_VERSION,
    "embedkit.table_match",
    "Table metadata matcher",
    "1.0.0",
    "embedkit",
    "Matches table columns to a business glossary or another schema: ranked, calibrated, explained",
    kExtensions,
    Create,
    Destroy,
    GetExtension,
};

}  // namespace

extern "C" EK_PLUGIN_EXPORT const ek_plugin_descriptor* EK_PLUGIN_ENTRY_NAME(void) {
  return &kDescriptor;
}
