// Shared by `embedkit match` and `embedkit match eval`: the table_match instance
// behind the public C API and its "ek.matcher/1" table, reading inputs (files, comma
// lists of files, folders of per-attribute documentation) and gold mappings.
#pragma once

#include <embedkit/ext/matcher.h>

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "embedkit/embedkit.h"

namespace ek::cli {

struct MatcherInstanceFree {
  void operator()(ek_instance* p) const { ek_instance_free(p); }
};

class MatcherHandle {
 public:
  MatcherHandle(ek_context* context, const std::string& config_json);
  // Loads one --source / --target value: a comma-separated list of files, or a folder
  // of "<prefix><table>_<column>.txt" documentation files (prefix required).
  void LoadSpec(uint32_t side, const std::string& spec, uint32_t format,
                const std::string& docs_prefix);
  ek_matcher_result* Match(const ek_matcher_options& options);
  void Check(ek_status s, const std::string& call) const;

  const ek_matcher_ext* ext = nullptr;
  void* self = nullptr;

 private:
  std::unique_ptr<ek_instance, MatcherInstanceFree> instance_;
};

struct MatcherResultFree {
  const ek_matcher_ext* ext;
  void operator()(ek_matcher_result* r) const { ext->result_free(r); }
};
using MatcherResultPtr = std::unique_ptr<ek_matcher_result, MatcherResultFree>;

std::string ReadWholeFile(const std::string& path);
uint32_t ParseFormat(const std::string& name, const std::string& command);
// "table.column" lower-cased pairs from an LLMatch ground truth, an LLMatch
// "-original" file or a "type,source,relationship,target" file.
std::set<std::pair<std::string, std::string>> ReadGold(const std::string& path);
std::string LowerAscii(std::string s);
// Options shared by both commands.
std::vector<OptionSpec> MatchInputOptions();
std::string MatchConfig(const ParsedArgs& args);
// Loads abbreviations, sources and targets; reads the match options (cmd_match.cc).
void MatchPrepare(const ParsedArgs& args, MatcherHandle& m, const std::string& command);
ek_matcher_options MatchOptions(const ParsedArgs& args, const MatcherHandle& m,
                                const std::string& command);

}  // namespace ek::cli
