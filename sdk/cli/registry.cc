// The command table. A new subcommand: write cmd_<group>_<name>.cc defining
// `const Command& <Name>Command()`, declare it in command.h, add it here (and its
// group, if new, to AllGroups).
#include <array>

#include "command.h"
#include "errors.h"

namespace ek::cli {

std::span<const Command> AllCommands() {
  static const std::array kCommands = {
      StoreCreateCommand(), StoreImportCommand(), StoreSearchCommand(), StoreInfoCommand(),
      StoreIndexCommand(),
      StoreKvListCommand(), StoreKvGetCommand(), StoreKvPutCommand(), StoreKvDeleteCommand(),
      StoreKvDeletePrefixCommand(),
      JsonEncodeCommand(),  JsonSearchCommand(),  JsonProbeCommand(),  VersionCommand(),
      RecTrainCommand(),    RecRecommendCommand(), RecForgetCommand(), RecEvalCommand(),
      ClassifyFitCommand(), ClassifyPredictCommand(), ClassifyEvalCommand(),
      MatchCommand(),       MatchEvalCommand(),  // any order: the longest path wins
  };
  return kCommands;
}

std::span<const CommandGroup> AllGroups() {
  static const std::array kGroups = {
      CommandGroup{"store", "create, fill, inspect and search SQLite vector stores"},
      CommandGroup{"rec", "train a recommender, recommend, forget on request, evaluate unlearning"},
      CommandGroup{"json", "encode whole JSON documents as vectors (vsa_json), search, probe"},
      CommandGroup{"classify", "label texts from keywords (text_classify): fit, predict, eval"},
  };
  return kGroups;
}

std::span<const OptionSpec> GlobalOptionSpecs() {
  static const std::array kGlobals = {
      OptionSpec{"json", 0, "", "print results as one JSON document on stdout\n"
                                "(errors as a JSON object on stderr)"},
      OptionSpec{"threads", 0, "N", "worker threads for search (default 0 = all cores)"},
      OptionSpec{"backend", 0, "NAME", "compute backend: auto (default), cpu or cuda"},
      OptionSpec{"quiet", 'q', "", "no headers, progress or library warnings"},
      OptionSpec{"help", 'h', "", "show help for the command and exit"},
  };
  return kGlobals;
}

GlobalOptions ReadGlobalOptions(const ParsedArgs& args) {
  GlobalOptions g;
  g.json = args.Has("json");
  g.quiet = args.Has("quiet");
  g.threads = static_cast<uint32_t>(args.UInt("threads", 0, 0, 4096));
  if (auto b = args.Value("backend")) {
    if (*b != "auto" && *b != "cpu" && *b != "cuda") {
      throw UsageError("--backend must be auto, cpu or cuda, got '" + *b + "'", args.command());
    }
    g.backend = *b;
  }
  return g;
}

}  // namespace ek::cli
