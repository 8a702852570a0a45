#include "args.h"

#include <algorithm>
#include <charconv>

#include "errors.h"

namespace ek::cli {
namespace {

const OptionSpec* FindLong(std::span<const OptionSpec> a, std::span<const OptionSpec> b,
                           std::string_view name) {
  for (auto list : {a, b}) {
    for (const OptionSpec& o : list) {
      if (o.name == name) return &o;
    }
  }
  return nullptr;
}

const OptionSpec* FindShort(std::span<const OptionSpec> a, std::span<const OptionSpec> b,
                            char c) {
  for (auto list : {a, b}) {
    for (const OptionSpec& o : list) {
      if (o.short_name != 0 && o.short_name == c) return &o;
    }
  }
  return nullptr;
}

std::string OptionLabel(const OptionSpec& o) {
  std::string label = o.short_name ? std::string("-") + o.short_name + ", " : "    ";
  label += "--";
  label += o.name;
  if (!o.value_name.empty()) {
    label += ' ';
    label += o.value_name;
  }
  return label;
}

}  // namespace

bool ParsedArgs::Has(std::string_view name) const {
  return std::any_of(options_.begin(), options_.end(),
                     [&](const auto& kv) { return kv.first == name; });
}

std::optional<std::string> ParsedArgs::Value(std::string_view name) const {
  for (auto it = options_.rbegin(); it != options_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

std::string ParsedArgs::Required(std::string_view name) const {
  auto v = Value(name);
  if (!v) throw UsageError("missing required option --" + std::string(name), command_);
  return *v;
}

uint64_t ParsedArgs::UInt(std::string_view name, uint64_t fallback, uint64_t min,
                          uint64_t max) const {
  auto v = Value(name);
  if (!v) return fallback;
  uint64_t value = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, value);
  if (v->empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    throw UsageError("--" + std::string(name) + " must be an integer from " +
                         std::to_string(min) + " to " + std::to_string(max) + ", got '" + *v +
                         "'",
                     command_);
  }
  return value;
}

bool WantsHelp(std::span<const std::string> args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

ParsedArgs Parse(const CommandSpec& spec, std::span<const OptionSpec> globals,
                 std::span<const std::string> args) {
  const std::string command(spec.path);
  std::span<const OptionSpec> own(spec.options);
  std::vector<std::string> positionals;
  std::vector<std::pair<std::string, std::string>> options;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      positionals.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    const OptionSpec* spec_opt = nullptr;
    std::optional<std::string> inline_value;
    std::string shown = a;
    if (a[1] == '-') {
      std::string_view body = std::string_view(a).substr(2);
      size_t eq = body.find('=');
      if (eq != std::string_view::npos) {
        inline_value = std::string(body.substr(eq + 1));
        body = body.substr(0, eq);
        shown = "--" + std::string(body);
      }
      spec_opt = FindLong(own, globals, body);
    } else if (a.size() == 2) {
      spec_opt = FindShort(own, globals, a[1]);
    }
    if (spec_opt == nullptr) throw UsageError("unknown option '" + shown + "'", command);
    std::string value;
    if (spec_opt->value_name.empty()) {
      if (inline_value) throw UsageError("option " + shown + " takes no value", command);
    } else if (inline_value) {
      value = *inline_value;
    } else {
      if (i + 1 >= args.size()) {
        throw UsageError("option " + shown + " needs a value (" +
                             std::string(spec_opt->value_name) + ")",
                         command);
      }
      value = args[++i];
    }
    options.emplace_back(std::string(spec_opt->name), std::move(value));
  }
  if (positionals.size() < spec.positionals.size()) {
    throw UsageError("missing " + std::string(spec.positionals[positionals.size()].name), command);
  }
  if (positionals.size() > spec.positionals.size()) {
    throw UsageError("unexpected argument '" + positionals[spec.positionals.size()] + "'",
                     command);
  }
  return ParsedArgs(command, std::move(positionals), std::move(options));
}

std::string FormatOptions(std::span<const OptionSpec> options) {
  size_t width = 0;
  for (const OptionSpec& o : options) width = std::max(width, OptionLabel(o).size());
  std::string out;
  for (const OptionSpec& o : options) {
    std::string label = OptionLabel(o);
    out += "  " + label + std::string(width - label.size() + 2, ' ');
    // Continuation lines of a multi-line help text line up under the first.
    for (char c : o.help) {
      out += c;
      if (c == '\n') out += std::string(width + 4, ' ');
    }
    out += '\n';
  }
  return out;
}

std::string FormatHelp(const CommandSpec& spec, std::span<const OptionSpec> globals) {
  std::string out = "embedkit " + std::string(spec.path) + " - " + std::string(spec.summary) +
                    "\n\nUsage: embedkit " + std::string(spec.path);
  for (const PositionalSpec& p : spec.positionals) out += " " + std::string(p.name);
  if (!spec.options.empty()) out += " [OPTIONS]";
  out += "\n";
  if (!spec.positionals.empty()) {
    out += "\nArguments:\n";
    size_t width = 0;
    for (const PositionalSpec& p : spec.positionals) width = std::max(width, p.name.size());
    for (const PositionalSpec& p : spec.positionals) {
      out += "  " + std::string(p.name) + std::string(width - p.name.size() + 2, ' ') +
             std::string(p.help) + "\n";
    }
  }
  if (!spec.options.empty()) out += "\nOptions:\n" + FormatOptions(spec.options);
  out += "\nGlobal options:\n" + FormatOptions(globals);
  if (!spec.details.empty()) out += "\n" + std::string(spec.details) + "\n";
  if (!spec.examples.empty()) {
    out += "\nExamples:\n";
    std::string_view ex = spec.examples;
    while (!ex.empty()) {
      size_t nl = ex.find('\n');
      out += "  " + std::string(ex.substr(0, nl)) + "\n";
      if (nl == std::string_view::npos) break;
      ex.remove_prefix(nl + 1);
    }
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

}  // namespace ek::cli
