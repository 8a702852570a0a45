// Command-line parsing: each command declares its positionals and options in a
// CommandSpec; Parse() checks the arguments against it and FormatHelp() renders
// the --help text from the same declaration, so help and parser never disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ek::cli {

// The most hits or candidates the extension commands' -k takes: their libraries'
// limit (ek_matcher_options::top_k, recommend, vsa_json search: 1..1024). One value
// and, through ParsedArgs::UInt, one message everywhere; --help texts say "1..1024".
// `store search -k` has no such limit (ek_search_options::k: any uint32).
inline constexpr uint64_t kMaxK = 1024;

struct OptionSpec {
  std::string_view name;        // long name without dashes: "collection"
  char short_name = 0;          // 'k' for -k, or 0
  std::string_view value_name;  // "NAME"; empty for a flag
  std::string_view help;
};

struct PositionalSpec {
  std::string_view name;  // "STORE"
  std::string_view help;
};

struct CommandSpec {
  std::string_view path;     // words after "embedkit": "store search"
  std::string_view summary;  // one line for command lists
  std::vector<PositionalSpec> positionals;  // all required, in order
  std::vector<OptionSpec> options;
  std::string_view details;   // paragraphs printed after the options
  std::string_view examples;  // one example command per line
};

class ParsedArgs {
 public:
  ParsedArgs() = default;
  ParsedArgs(std::string command, std::vector<std::string> positionals,
             std::vector<std::pair<std::string, std::string>> options)
      : command_(std::move(command)),
        positionals_(std::move(positionals)),
        options_(std::move(options)) {}

  const std::string& command() const { return command_; }
  const std::string& Positional(size_t index) const { return positionals_.at(index); }

  // True if option `name` was given (flag or valued).
  bool Has(std::string_view name) const;
  // The value given last for `name`, if any.
  std::optional<std::string> Value(std::string_view name) const;
  // The value of a required option; a UsageError names it when absent.
  std::string Required(std::string_view name) const;
  // An unsigned integer option in [min, max]; `fallback` when absent.
  uint64_t UInt(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max) const;

 private:
  std::string command_;
  std::vector<std::string> positionals_;
  std::vector<std::pair<std::string, std::string>> options_;
};

// Parses `args` (the words after the command path) against `spec` plus the global
// options. Accepts --name VALUE, --name=VALUE, -k VALUE, flags, and "--" to end
// options. Throws UsageError for unknown options, missing values or positionals.
ParsedArgs Parse(const CommandSpec& spec, std::span<const OptionSpec> globals,
                 std::span<const std::string> args);

// True if `args` asks for help (-h or --help before any "--").
bool WantsHelp(std::span<const std::string> args);

std::string FormatHelp(const CommandSpec& spec, std::span<const OptionSpec> globals);

// Renders an option list ("  -k, --k N   help") aligned in two columns.
std::string FormatOptions(std::span<const OptionSpec> options);

// Splits "a,b,,c" into {"a","b","c"} (empty items dropped, spaces trimmed).
std::vector<std::string> SplitList(std::string_view text);

}  // namespace ek::cli
