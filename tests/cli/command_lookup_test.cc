// The CLI dispatcher's command lookup (sdk/cli/command_lookup.h): the longest registered
// path wins, whatever the order of the table (issue 18 item 5). A first-match lookup ran
// "match eval -g x" as `match` with a stray "eval" when `match` came first.
#include "command_lookup.h"

#include <gtest/gtest.h>

#include <array>
#include <span>

namespace ek::cli {
namespace {

int RunNothing(const Invocation&) { return 0; }

const CommandSpec kMatch{.path = "match", .summary = "", .positionals = {}, .options = {},
                         .details = "", .examples = ""};
const CommandSpec kMatchEval{.path = "match eval", .summary = "", .positionals = {}, .options = {},
                             .details = "", .examples = ""};
const CommandSpec kStoreSearch{.path = "store search", .summary = "", .positionals = {},
                               .options = {}, .details = "", .examples = ""};

void ExpectLongestWins(std::span<const Command> table) {
  size_t used = 99;
  const Command* c = FindCommand(table, {"match", "eval", "-g", "gold.csv"}, &used);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->spec, &kMatchEval);
  EXPECT_EQ(used, 2u);
  c = FindCommand(table, {"match", "-s", "eval"}, &used);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->spec, &kMatch);
  EXPECT_EQ(used, 1u);
  c = FindCommand(table, {"match"}, &used);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->spec, &kMatch);
  c = FindCommand(table, {"store", "search", "a.db"}, &used);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->spec, &kStoreSearch);
  EXPECT_EQ(used, 2u);
}

TEST(CommandLookup, LongestPathWinsWhenTheShorterIsRegisteredFirst) {
  const std::array table = {Command{&kMatch, &RunNothing}, Command{&kMatchEval, &RunNothing},
                            Command{&kStoreSearch, &RunNothing}};
  ExpectLongestWins(table);
}

TEST(CommandLookup, LongestPathWinsWhenTheLongerIsRegisteredFirst) {
  const std::array table = {Command{&kStoreSearch, &RunNothing}, Command{&kMatchEval, &RunNothing},
                            Command{&kMatch, &RunNothing}};
  ExpectLongestWins(table);
}

TEST(CommandLookup, NoCommandForAGroupWordOrAnUnknownWord) {
  const std::array table = {Command{&kMatch, &RunNothing}, Command{&kStoreSearch, &RunNothing}};
  size_t used = 99;
  EXPECT_EQ(FindCommand(table, {"store"}, &used), nullptr);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(FindCommand(table, {"eval", "match"}, &used), nullptr);
  EXPECT_EQ(FindCommand(table, {"matches"}, &used), nullptr);
}

}  // namespace
}  // namespace ek::cli
