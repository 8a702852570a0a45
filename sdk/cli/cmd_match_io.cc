// Inputs of `embedkit match` and `embedkit match eval` (see cmd_match_io.h).
#include "cmd_match_io.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "errors.h"
#include "json_writer.h"
#include "matcher_text.h"
#include "session.h"

namespace ek::cli {

namespace fs = std::filesystem;

std::string LowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RuntimeError("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint32_t ParseFormat(const std::string& name, const std::string& command) {
  if (auto format = ek_plugin::MatcherFormatNamed(name)) return *format;
  throw UsageError(std::string("format must be ") + ek_plugin::kMatcherFormatNames + ", got '" + name + "'",
                   command);
}

MatcherHandle::MatcherHandle(ek_context* context, const std::string& config_json) {
  ek_instance* raw = nullptr;
  ek::cli::Check(ek_instance_create(context, "embedkit.table_match", config_json.c_str(), &raw),
                 "ek_instance_create");
  instance_.reset(raw);
  const void* table = nullptr;
  ek::cli::Check(ek_instance_get_extension(raw, EK_EXT_MATCHER, &table), "ek_instance_get_extension");
  ext = static_cast<const ek_matcher_ext*>(table);
  self = ek_instance_plugin_data(raw);
}

void MatcherHandle::Check(ek_status s, const std::string& call) const {
  if (s != EK_OK) throw LibraryError(s, PluginMessage(call, ext->last_error(self)));
}

namespace {

// A folder of documentation files: "<prefix>table_<T>.txt" describes table T,
// "<prefix><T>_<column>.txt" one column (T matched against the table files, longest
// first, case-insensitively). Converted to the schema JSON layout.
std::string DocsFolderToJson(const std::string& dir, const std::string& prefix) {
  if (prefix.empty()) {
    throw UsageError("'" + dir + "' is a folder: give --source-docs-prefix / --target-docs-prefix "
                     "(e.g. mimic_) to read its <prefix><table>_<column>.txt files");
  }
  std::map<std::string, std::string> files;  // stem -> text
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().extension() != ".txt") continue;
    const std::string stem = e.path().stem().string();
    if (stem.rfind(prefix, 0) != 0) continue;
    files[stem.substr(prefix.size())] = ReadWholeFile(e.path().string());
  }
  std::vector<std::string> tables;
  std::map<std::string, std::string> table_desc;
  for (const auto& [stem, text] : files) {
    if (stem.rfind("table_", 0) == 0) {
      tables.push_back(stem.substr(6));
      table_desc[LowerAscii(stem.substr(6))] = text;
    }
  }
  if (tables.empty()) throw RuntimeError("no '" + prefix + "table_*.txt' files in '" + dir + "'");
  std::sort(tables.begin(), tables.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> cols;
  for (const auto& [stem, text] : files) {
    if (stem.rfind("table_", 0) == 0) continue;
    const std::string low = LowerAscii(stem);
    for (const auto& t : tables) {
      const std::string lt = LowerAscii(t);
      if (low.size() > lt.size() + 1 && low.compare(0, lt.size(), lt) == 0 && low[lt.size()] == '_') {
        cols[t].emplace_back(stem.substr(t.size() + 1), text);
        break;
      }
    }
  }
  JsonWriter w;
  w.BeginObject().Key("tables").BeginArray();
  for (const auto& [t, list] : cols) {
    w.BeginObject().Key("name").String(t).Key("description").String(table_desc[LowerAscii(t)]);
    w.Key("columns").BeginArray();
    for (const auto& [c, text] : list) {
      w.BeginObject().Key("name").String(c).Key("description").String(text).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return w.str();
}

}  // namespace

void MatcherHandle::LoadSpec(uint32_t side, const std::string& spec, uint32_t format,
                             const std::string& docs_prefix) {
  for (const std::string& path : SplitList(spec)) {
    std::string text;
    uint32_t fmt = format;
    if (fs::is_directory(path)) {
      text = DocsFolderToJson(path, docs_prefix);
      fmt = EK_MATCHER_FORMAT_SCHEMA_JSON;
    } else {
      text = ReadWholeFile(path);
    }
    // "FILE: load: line 3, column 12: ..." (the plugin names the call and the place).
    const ek_status s = ext->load(self, side, text.data(), text.size(), fmt);
    if (s != EK_OK) throw LibraryError(s, path + ": " + PluginMessage("load", ext->last_error(self)));
  }
}

ek_matcher_result* MatcherHandle::Match(const ek_matcher_options& options) {
  ek_matcher_result* r = nullptr;
  Check(ext->match(self, &options, &r), "match");
  return r;
}

std::set<std::pair<std::string, std::string>> ReadGold(const std::string& path) {
  const std::string text = ReadWholeFile(path);
  std::set<std::pair<std::string, std::string>> gold;
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  auto strip = [](std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t b = 0;
    while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    return s.substr(b);
  };
  // "MIMIC.Patients.anchor_year" -> "patients.anchor_year"
  auto last_two = [](const std::string& s) {
    const size_t b = s.rfind('.');
    if (b == std::string::npos) return s;
    const size_t a = s.rfind('.', b - 1);
    return a == std::string::npos ? s : s.substr(a + 1);
  };
  while (std::getline(in, line)) {
    ++n;
    line = strip(line);
    if (line.empty()) continue;
    if (n == 1 && LowerAscii(line).rfind("type,source", 0) == 0) continue;
    if (line.find(" -> ") != std::string::npos) {
      std::vector<std::string> parts;
      size_t b = 0;
      while (true) {
        size_t e = line.find(" -> ", b);
        parts.push_back(strip(line.substr(b, e == std::string::npos ? std::string::npos : e - b)));
        if (e == std::string::npos) break;
        b = e + 4;
      }
      if (parts.size() >= 2 && parts[1].find("NA") != 0 && parts[1] != "None.None")
        gold.emplace(LowerAscii(parts[0]), LowerAscii(parts[1]));
      continue;
    }
    std::vector<std::string> f = SplitList(line);
    if (f.size() == 4 && (LowerAscii(f[0]) == "one_to_one" || f[2] == "corresponds")) {
      gold.emplace(LowerAscii(last_two(f[1])), LowerAscii(last_two(f[3])));
    } else if (f.size() >= 4) {
      gold.emplace(LowerAscii(f[0] + "." + f[1]), LowerAscii(f[2] + "." + f[3]));
    } else {
      throw RuntimeError(path + ":" + std::to_string(n) + ": not a gold mapping line: " + line);
    }
  }
  if (gold.empty()) throw RuntimeError("'" + path + "' has no gold pairs");
  return gold;
}

std::vector<OptionSpec> MatchInputOptions() {
  return {
      OptionSpec{"source", 's', "FILES", "source metadata: schema JSON or SQL DDL; a comma list is\n"
                                          "loaded together (DDL + COMMENT ON file), a folder is read\n"
                                          "as <prefix><table>_<column>.txt documentation"},
      OptionSpec{"target", 't', "FILES", "targets: glossary CSV/JSON or a second schema (same forms)"},
      OptionSpec{"source-format", 0, "F", "auto (default), schema-json, ddl, glossary-json, glossary-csv"},
      OptionSpec{"target-format", 0, "F", "as --source-format"},
      OptionSpec{"source-docs-prefix", 0, "P", "file prefix when --source is a folder (e.g. mimic_)"},
      OptionSpec{"target-docs-prefix", 0, "P", "file prefix when --target is a folder (e.g. omop_)"},
      OptionSpec{"one-to-one", 0, "", "optimal 1:1 assignment instead of 1:n"},
      OptionSpec{"threshold", 0, "X", "decision threshold in [0,1] (default: the model's)"},
      OptionSpec{"max-matches", 0, "N", "1:n: at most N matches per column (default: the model's)"},
      OptionSpec{"config", 0, "JSON", "plugin config, e.g. {\"cache_store\":\"g.db\"} (docs/table_match.md)"},
      OptionSpec{"abbreviations", 0, "FILE", "JSON object of extra abbreviations {\"abbr\":\"words\"}"},
      OptionSpec{"hints", 0, "FILE", "hints JSON: synonyms and known table links (config \"hints\";\n"
                                      "docs/table_match.md)"},
  };
}

// --config, with --hints FILE put in as the config key "hints" (first, so it wins).
std::string MatchConfig(const ParsedArgs& args) {
  std::string config = args.Value("config").value_or("{}");
  const auto hints = args.Value("hints");
  if (!hints) return config;
  const size_t open = config.find_first_not_of(" \t\r\n");
  if (open == std::string::npos || config[open] != '{')
    throw UsageError("--config must be a JSON object to be combined with --hints");
  const size_t next = config.find_first_not_of(" \t\r\n", open + 1);
  const bool empty = next != std::string::npos && config[next] == '}';
  return "{\"hints\":" + JsonQuote(*hints) + (empty ? "" : ",") + config.substr(open + 1);
}

}  // namespace ek::cli
