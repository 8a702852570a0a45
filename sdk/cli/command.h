// What a subcommand is: its spec (options, help) and its run function. The
// dispatcher (dispatch.cc) finds commands in the table of registry.cc; adding a
// subcommand (one per plugin in later issues) is one new file plus one line there.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "args.h"

namespace ek::cli {

// Options every command accepts, before or after the command words.
struct GlobalOptions {
  bool json = false;     // machine-readable output on stdout, errors as JSON on stderr
  bool quiet = false;    // no headers or progress; library log level ERROR
  uint32_t threads = 0;  // worker threads; 0 = all cores
  std::string backend = "auto";
};

std::span<const OptionSpec> GlobalOptionSpecs();
// Reads the global options out of parsed arguments (UsageError on bad values).
GlobalOptions ReadGlobalOptions(const ParsedArgs& args);

struct Invocation {
  GlobalOptions global;
  ParsedArgs args;
  std::ostream& out;  // results
  std::ostream& err;  // progress, warnings (errors are printed by the dispatcher)
};

struct Command {
  const CommandSpec* spec;
  int (*run)(const Invocation& invocation);  // returns the exit code; throws on failure
};

// A top-level word that groups commands ("store").
struct CommandGroup {
  std::string_view name;
  std::string_view summary;
};

// The registry (registry.cc).
std::span<const Command> AllCommands();
std::span<const CommandGroup> AllGroups();

// One accessor per command, each defined in its own cmd_*.cc file.
const Command& VersionCommand();
const Command& StoreCreateCommand();
const Command& StoreImportCommand();
const Command& StoreSearchCommand();
const Command& StoreInfoCommand();
const Command& StoreIndexCommand();  // cmd_store_index.cc (index build, compact)
const Command& StoreKvListCommand();  // cmd_store_kv.cc (key/value state)
const Command& StoreKvGetCommand();
const Command& StoreKvPutCommand();
const Command& StoreKvDeleteCommand();
const Command& StoreKvDeletePrefixCommand();
const Command& RecTrainCommand();
const Command& RecRecommendCommand();
const Command& RecForgetCommand();
const Command& RecEvalCommand();
const Command& JsonEncodeCommand();  // cmd_json.cc (vsa_json plugin)
const Command& JsonSearchCommand();
const Command& JsonProbeCommand();
const Command& ClassifyFitCommand();  // cmd_classify.cc (text_classify plugin)
const Command& ClassifyPredictCommand();
const Command& ClassifyEvalCommand();
const Command& MatchCommand();      // cmd_match.cc (table_match plugin)
const Command& MatchEvalCommand();  // cmd_match_eval.cc

}  // namespace ek::cli
