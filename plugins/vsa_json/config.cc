// The configuration: read from create()'s JSON with the plugins' one config reader
// (plugins/common config_reader.h), and written back out as the canonical JSON that
// index() records with a collection (docs/vsa_json.md lists every key).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "config_reader.h"
#include "json_quote.h"
#include "vsa_core.h"

namespace vsaj {
namespace {

[[noreturn]] void BadConfig(const std::string& what) { Fail(EK_ERR_INVALID_ARGUMENT, "config " + what); }

// The value of `key` among `names`, as its index; anything else is refused by name.
size_t OneOf(const ek_plugin::ConfigReader& r, const char* key, const std::vector<const char*>& names) {
  const std::string value = r.String(key, names[0]);
  for (size_t i = 0; i < names.size(); ++i) {
    if (value == names[i]) return i;
  }
  std::string message = "\"";
  message.append(key).append("\" is '").append(value).append("'; use ");
  for (size_t i = 0; i < names.size(); ++i) {
    message.append(i == 0 ? "" : i + 1 == names.size() ? " or " : ", ").append(names[i]);
  }
  BadConfig(message);
}

void ReadEncoding(const ek_plugin::ConfigReader& r, Config* c) {
  c->dim = static_cast<size_t>(r.Int("dim", 1024, 2, 65536));
  c->seed = static_cast<uint64_t>(r.Int("seed", 42, INT64_MIN, INT64_MAX));
  c->binding = static_cast<BindingKind>(OneOf(r, "binding", {"structured", "dense", "gaussian"}));
  if (c->binding == BindingKind::kStructured && (c->dim & (c->dim - 1)) != 0) {
    BadConfig("\"dim\" is " + std::to_string(c->dim) +
              "; binding 'structured' needs a power of two (e.g. 256, 1024, 4096)");
  }
  if (c->binding != BindingKind::kStructured && c->dim > 16384) {
    BadConfig("\"dim\" is " + std::to_string(c->dim) + "; binding '" + r.String("binding", "") +
              "' stores D x D matrices and allows at most 16384");
  }
  c->structured_rounds = static_cast<int>(r.Int("structured_rounds", 3, 1, 8));
  c->soft = OneOf(r, "mode", {"soft", "strict"}) == 0;
  c->soft_weight = r.Double("soft_weight", 0.25, 0, 10);
  c->atoms = static_cast<AtomKind>(OneOf(r, "atoms", {"sign", "gaussian"}));
  c->ordered_arrays = OneOf(r, "arrays", {"ordered", "bag"}) == 0;
  c->ngram = static_cast<int>(r.Int("ngram", 0, 0, 8));
  c->ngram_weight = r.Double("ngram_weight", 0.5, 0, 100);
  c->exact_weight = r.Double("exact_weight", 0.5, 0, 100);
  c->number_scale = static_cast<NumberScale>(OneOf(r, "number_scale", {"log", "linear"}));
  c->number_min = r.Double("number_min", -1e9, -HUGE_VAL, HUGE_VAL);
  c->number_max = r.Double("number_max", 1e9, -HUGE_VAL, HUGE_VAL);
  if (!(std::isfinite(c->number_min) && std::isfinite(c->number_max) && c->number_min < c->number_max)) {
    BadConfig("\"number_min\" must be finite and below \"number_max\"");
  }
  c->number_levels = static_cast<int>(r.Int("number_levels", 65, 2, 4096));
}

void ReadLimits(const ek_plugin::ConfigReader& r, Config* c) {
  c->max_document_bytes = static_cast<size_t>(r.Int("max_document_bytes", int64_t{16} << 20, 1, int64_t{1} << 32));
  c->max_values_per_document = static_cast<size_t>(r.Int("max_values_per_document", 4096, 0, int64_t{1} << 20));
  c->max_depth = static_cast<int>(r.Int("max_depth", 128, 1, 4096));
  c->atom_cache_bytes = static_cast<size_t>(r.Int("atom_cache_mb", 64, 0, 1 << 20)) << 20;
  c->matrix_cache_bytes = static_cast<size_t>(r.Int("matrix_cache_mb", 1024, 0, 1 << 20)) << 20;
}

// ---- Canonical JSON ------------------------------------------------------------------
// The shortest decimal that reads back as the same double (ReadConfig refuses NaN and
// infinities, which JSON cannot hold).
std::string Number(double x) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

using Settings = std::vector<std::pair<const char*, std::string>>;

Settings EncodingSettings(const Config& c) {
  static const char* const kBindings[] = {"structured", "dense", "gaussian"};
  auto quoted = [](const char* s) { return ek_plugin::JsonQuote(s); };
  return {
      {"dim", std::to_string(c.dim)},
      {"seed", std::to_string(static_cast<int64_t>(c.seed))},  // as ReadConfig reads it
      {"binding", quoted(kBindings[static_cast<int>(c.binding)])},
      {"structured_rounds", std::to_string(c.structured_rounds)},
      {"mode", quoted(c.soft ? "soft" : "strict")},
      {"soft_weight", Number(c.soft_weight)},
      {"atoms", quoted(c.atoms == AtomKind::kSign ? "sign" : "gaussian")},
      {"arrays", quoted(c.ordered_arrays ? "ordered" : "bag")},
      {"ngram", std::to_string(c.ngram)},
      {"ngram_weight", Number(c.ngram_weight)},
      {"exact_weight", Number(c.exact_weight)},
      {"number_scale", quoted(c.number_scale == NumberScale::kLog ? "log" : "linear")},
      {"number_min", Number(c.number_min)},
      {"number_max", Number(c.number_max)},
      {"number_levels", std::to_string(c.number_levels)},
  };
}

}  // namespace

Config ReadConfig(const ek_host* host, const char* json, size_t length) {
  const ek_plugin::ConfigReader reader(host, json, length);
  Config c;
  ReadEncoding(reader, &c);
  ReadLimits(reader, &c);
  return c;
}

std::string EncodingConfigJson(const Config& c) {
  std::string json = "{";
  for (const auto& [key, value] : EncodingSettings(c)) {
    if (json.size() > 1) json += ',';
    json.append(ek_plugin::JsonQuote(key)).append(":").append(value);
  }
  return json + "}";
}

std::string EncodingDifference(const Config& stored, const Config& mine) {
  const Settings a = EncodingSettings(stored), b = EncodingSettings(mine);
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].second == b[i].second) continue;
    if (!out.empty()) out += ", ";
    out.append(ek_plugin::JsonQuote(a[i].first)).append(" is ").append(a[i].second);
    out.append(" there, ").append(b[i].second).append(" here");
  }
  return out;
}

}  // namespace vsaj
