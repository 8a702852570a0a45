// embedkit store index: (re)build a collection's index (ek_collection_index_build),
// changing its kind, element or parameters, or --compact it (renumber slots, VACUUM:
// ek_collection_index_compact). Flags not given keep the collection's current ones.
// Progress ("index build") and Ctrl-C go through the Session's library progress.
#include <chrono>
#include <ostream>

#include "command.h"
#include "errors.h"
#include "index_flags.h"
#include "json_writer.h"
#include "session.h"
#include "table.h"

namespace ek::cli {
namespace {

int Run(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0);
  const std::string name = a.Required("collection");
  const bool compact = a.Has("compact");
  if (compact && HasIndexFlags(a)) {
    throw UsageError("--compact keeps the current index options; give it without --index, "
                     "--element, --m, --ef-construction, --ef-search or --rescore",
                     a.command());
  }

  Session session(inv.global);
  StorePtr store = session.OpenStore(path, Session::StoreAccess::kWrite);
  CollectionPtr collection = Session::OpenCollection(store.get(), name);
  const ek_collection_options options = ApplyIndexFlags(a, OptionsOf(IndexInfo(collection.get())));

  const auto start = std::chrono::steady_clock::now();
  uint64_t bytes_freed = 0;
  if (compact) {
    Check(ek_collection_index_compact(collection.get(), &bytes_freed), "ek_collection_index_compact");
  } else {
    Check(ek_collection_index_build(collection.get(), &options), "ek_collection_index_build");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const ek_collection_info info = Session::Info(collection.get());
  const ek_index_info index = IndexInfo(collection.get());

  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("store").String(path)
        .Key("collection").String(name)
        .Key("action").String(compact ? "compact" : "build")
        .Key("count").UInt(info.count)
        .Key("seconds").Double(seconds);
    if (compact) w.Key("bytes_freed").UInt(bytes_freed);
    w.Key("index");
    WriteIndexJson(w, index);
    w.EndObject();
    inv.out << w.str() << '\n';
  } else if (!inv.global.quiet) {
    inv.out << (compact ? "compacted" : "built") << " the " << IndexKindName(index.index) << " "
            << ElementName(index.element) << " index of '" << name << "' (" << info.count
            << " vectors) in " << FormatFixed(seconds, 3) << " s";
    if (compact) inv.out << "; " << bytes_freed << " bytes freed";
    inv.out << '\n';
  }
  return 0;
}

const CommandSpec kSpec{
    .path = "store index",
    .summary = "build, change or compact a collection's index (exact or hnsw)",
    .positionals = {{"STORE", "SQLite store file (must exist)"}},
    .options = WithIndexOptionSpecs({
        {"collection", 'c', "NAME", "collection to index"},
        {"compact", 0, "", "rebuild with the current options, giving up the slots of\n"
                           "deleted rows, and VACUUM the store; prints the bytes freed"},
    }),
    .details =
        "Without flags the index is rebuilt with its current options; each flag given\n"
        "changes one of them (--index exact --element f32 drops the index). This is the\n"
        "step that links the rows of a collection created with --defer-build. One\n"
        "transaction: on failure or Ctrl-C (exit 130) the collection keeps its previous\n"
        "index. Progress is shown on stderr when it is a terminal.",
    .examples = "embedkit store index big.db -c v\n"
                "embedkit store index big.db -c v --index hnsw --m 32 --ef-construction 400\n"
                "embedkit store index big.db -c v --compact --json",
};

}  // namespace

const Command& StoreIndexCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
