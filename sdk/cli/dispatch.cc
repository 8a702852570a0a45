#include "dispatch.h"

#include <algorithm>
#include <exception>
#include <ostream>
#include <span>

#include "command.h"
#include "command_lookup.h"
#include "embedkit/embedkit.h"
#include "errors.h"
#include "json_writer.h"

namespace ek::cli {
namespace {

constexpr std::string_view kExitCodes =
    "Exit codes:\n"
    "  0    success\n"
    "  1    runtime error: a library call failed (its status name and ek_last_error()\n"
    "       message are printed on stderr) or an input file is unreadable or inconsistent\n"
    "  2    usage error: unknown command or option, missing or malformed argument\n"
    "  130  cancelled with Ctrl-C (SIGINT cancels the running library operation)\n";

std::string CommandList(std::string_view group) {
  std::vector<std::pair<std::string, std::string_view>> rows;
  for (const Command& c : AllCommands()) {
    auto words = CommandWords(c.spec->path);
    if (group.empty() || (words.size() > 1 && words[0] == group)) {
      rows.emplace_back(std::string(c.spec->path), c.spec->summary);
    }
  }
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  std::string out;
  for (const auto& r : rows) {
    out += "  " + r.first + std::string(width - r.first.size() + 3, ' ') + std::string(r.second) +
           "\n";
  }
  return out;
}

std::string TopHelp() {
  return std::string(
             "embedkit - command-line host for the embedkit SDK (built on its public C API)\n"
             "\n"
             "Usage: embedkit [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]\n"
             "       embedkit COMMAND --help\n"
             "\nCommands:\n") +
         CommandList("") + "\nGlobal options (accepted before or after the command):\n" +
         FormatOptions(GlobalOptionSpecs()) + "\n" + std::string(kExitCodes) +
         "\nExamples:\n"
         "  embedkit store create docs.db --collection docs --dim 384\n"
         "  embedkit store import docs.db --collection docs --vectors embeddings.bin \\\n"
         "      --records records.jsonl --metadata-fields title,category\n"
         "  embedkit store search docs.db --collection docs --like DOC_ID -k 5 --show title\n"
         "  embedkit --json store info docs.db\n";
}

std::string GroupHelp(const CommandGroup& group) {
  return "embedkit " + std::string(group.name) + " - " + std::string(group.summary) +
         "\n\nUsage: embedkit " + std::string(group.name) + " COMMAND [ARGS] [OPTIONS]\n" +
         "\nCommands:\n" + CommandList(group.name) + "\nRun 'embedkit " +
         std::string(group.name) + " COMMAND --help' for the options of a command.\n";
}

const OptionSpec* FindGlobal(std::string_view arg) {
  std::string_view name;
  if (arg.starts_with("--")) {
    name = arg.substr(2, arg.find('=') == std::string_view::npos ? std::string_view::npos
                                                                 : arg.find('=') - 2);
  }
  for (const OptionSpec& o : GlobalOptionSpecs()) {
    if ((!name.empty() && o.name == name) ||
        (arg.size() == 2 && arg[0] == '-' && o.short_name != 0 && arg[1] == o.short_name)) {
      return &o;
    }
  }
  return nullptr;
}

bool JsonRequested(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--json") return true;
  }
  return false;
}

// Parses the command line and runs the command; throws on failure.
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  // 1. Global options before the command words.
  std::vector<std::string> leading;
  size_t i = 0;
  for (; i < args.size() && args[i].size() > 1 && args[i][0] == '-'; ++i) {
    const std::string& a = args[i];
    if (a == "--version") break;  // the same as the "version" command
    if (a == "-h" || a == "--help") {
      out << TopHelp();
      return kExitOk;
    }
    const OptionSpec* global = FindGlobal(a);
    if (global == nullptr) throw UsageError("unknown option '" + a + "'");
    leading.push_back(a);
    if (!global->value_name.empty() && a.find('=') == std::string::npos) {
      if (i + 1 >= args.size()) throw UsageError("option " + a + " needs a value");
      leading.push_back(args[++i]);
    }
  }
  if (i >= args.size()) {
    err << TopHelp();
    return kExitUsage;
  }

  // 2. "help WORDS..." is the same as "WORDS... --help".
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (rest[0] == "--version") rest[0] = "version";
  if (rest[0] == "help") {
    rest.erase(rest.begin());
    if (rest.empty()) {
      out << TopHelp();
      return kExitOk;
    }
    rest.push_back("--help");
  }

  // 3. The command words (the longest registered path wins).
  size_t used = 0;
  const Command* command = FindCommand(AllCommands(), rest, &used);
  if (command == nullptr) {
    for (const CommandGroup& g : AllGroups()) {
      if (rest[0] != g.name) continue;
      if (rest.size() == 1) {
        err << GroupHelp(g);
        return kExitUsage;
      }
      if (rest[1] == "-h" || rest[1] == "--help") {
        out << GroupHelp(g);
        return kExitOk;
      }
      throw UsageError("unknown command '" + std::string(g.name) + " " + rest[1] +
                           "'; commands are:\n" + CommandList(g.name),
                       std::string(g.name));
    }
    throw UsageError("unknown command '" + rest[0] + "'; run 'embedkit --help' for the list");
  }

  // 4. Options and arguments of the command (globals allowed anywhere).
  std::vector<std::string> command_args = leading;
  command_args.insert(command_args.end(), rest.begin() + static_cast<std::ptrdiff_t>(used),
                      rest.end());
  if (WantsHelp(command_args)) {
    out << FormatHelp(*command->spec, GlobalOptionSpecs());
    return kExitOk;
  }
  ParsedArgs parsed = Parse(*command->spec, GlobalOptionSpecs(), command_args);
  GlobalOptions global = ReadGlobalOptions(parsed);
  return command->run(Invocation{global, std::move(parsed), out, err});
}

void ReportError(std::ostream& err, bool json, std::string_view kind, std::string_view message,
                 const ek_status* status, std::string_view hint) {
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("error").BeginObject().Key("kind").String(kind);
    if (status != nullptr) {
      w.Key("status").String(ek_status_name(*status)).Key("code").Int(*status);
    }
    w.Key("message").String(message).EndObject().EndObject();
    err << w.str() << '\n';
    return;
  }
  err << "embedkit: error: ";
  if (status != nullptr) err << ek_status_name(*status) << ": ";
  err << message << '\n';
  if (!hint.empty()) err << hint << '\n';
}

}  // namespace

int Dispatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const bool json = JsonRequested(args);
  try {
    int code = Run(args, out, err);
    out.flush();
    return code;
  } catch (const UsageError& e) {
    std::string command = e.command().empty() ? "" : e.command() + " ";
    ReportError(err, json, "usage", e.what(), nullptr,
                "Try 'embedkit " + command + "--help'.");
    return kExitUsage;
  } catch (const LibraryError& e) {
    ek_status status = e.status();
    ReportError(err, json, status == EK_ERR_CANCELLED ? "cancelled" : "library", e.what(),
                &status, "");
    return status == EK_ERR_CANCELLED ? kExitCancelled : kExitRuntime;
  } catch (const Cancelled&) {
    ReportError(err, json, "cancelled", "cancelled by the user (SIGINT)", nullptr, "");
    return kExitCancelled;
  } catch (const RuntimeError& e) {
    ReportError(err, json, "runtime", e.what(), nullptr, "");
    return kExitRuntime;
  } catch (const std::exception& e) {
    ReportError(err, json, "internal", e.what(), nullptr, "");
    return kExitRuntime;
  }
}

}  // namespace ek::cli
