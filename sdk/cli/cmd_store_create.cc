// embedkit store create: a collection in a store (the store file is created if
// needed), exact or with an index (--index hnsw, --element ...). Opening an existing
// collection of the same shape and index is not an error.
#include <ostream>

#include "command.h"
#include "errors.h"
#include "index_flags.h"
#include "json_writer.h"
#include "session.h"

namespace ek::cli {
namespace {

int Run(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0);
  const std::string name = a.Required("collection");
  const auto dim = static_cast<uint32_t>(a.UInt("dim", 0, 1, 65536));
  if (!a.Has("dim")) throw UsageError("missing required option --dim", a.command());
  const ek_metric metric = ParseMetric(a.Value("metric").value_or("cosine"), a.command());
  ek_collection_options options;
  ek_collection_options_init(&options);
  options = ApplyIndexFlags(a, options);
  if (a.Has("defer-build")) {
    if (options.index != EK_INDEX_HNSW) {
      throw UsageError("--defer-build applies to an hnsw index only (add --index hnsw)", a.command());
    }
    options.defer_build = 1;
  }

  Session session(inv.global);
  StorePtr store = session.OpenStore(path, /*read_only=*/false);

  // Learn whether it exists first, so the report can say "created" or "exists".
  ek_collection* existing = nullptr;
  const ek_status open_status = ek_collection_open(store.get(), name.c_str(), &existing);
  CollectionPtr collection(existing);
  if (open_status != EK_OK && open_status != EK_ERR_NOT_FOUND) {
    Check(open_status, "ek_collection_open");
  }
  const bool created = open_status == EK_ERR_NOT_FOUND;
  collection.reset();
  ek_collection* handle = nullptr;
  Check(ek_collection_create_with(store.get(), name.c_str(), dim, metric, &options, &handle),
        "ek_collection_create_with");
  collection.reset(handle);
  const ek_collection_info info = Session::Info(collection.get());
  const ek_index_info index = IndexInfo(collection.get());

  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("store").String(path)
        .Key("created").Bool(created)
        .Key("collection").BeginObject()
        .Key("name").String(info.name)
        .Key("dim").UInt(info.dim)
        .Key("metric").String(MetricName(info.metric))
        .Key("count").UInt(info.count)
        .EndObject()
        .Key("index");
    WriteIndexJson(w, index);
    w.EndObject();
    inv.out << w.str() << '\n';
  } else if (!inv.global.quiet) {
    inv.out << (created ? "created" : "already exists:") << " collection '" << info.name
            << "' (dim " << info.dim << ", " << MetricName(info.metric) << ", "
            << IndexKindName(index.index) << " " << ElementName(index.element) << ", " << info.count
            << " vectors) in " << path << '\n';
  }
  return 0;
}

const CommandSpec kSpec{
    .path = "store create",
    .summary = "create a collection (and the store file if needed)",
    .positionals = {{"STORE", "SQLite store file (created if missing; \":memory:\" for a "
                              "throw-away store)"}},
    .options = WithIndexOptionSpecs({
        {"collection", 'c', "NAME", "collection name (1..128 bytes of UTF-8)"},
        {"dim", 0, "N", "vector length, 1..65536"},
        {"metric", 0, "METRIC", "cosine (default), dot or l2"},
        {"defer-build", 0, "", "hnsw: store rows only (searches scan exactly) until\n"
                               "`embedkit store index` builds the graph: the fastest import"},
    }),
    .details = "If the collection already exists with the same dim, metric and index options it\n"
               "is left as it is; otherwise the command fails with EK_ERR_ALREADY_EXISTS naming\n"
               "the first difference (change the index with `embedkit store index`). An hnsw\n"
               "collection answers from its graph once it holds 4096 rows; below that searches\n"
               "scan exactly (docs/storage.md, \"Indexes\").",
    .examples = "embedkit store create docs.db --collection docs --dim 384\n"
                "embedkit store create docs.db -c images --dim 512 --metric dot --json\n"
                "embedkit store create big.db -c v --dim 384 --index hnsw --m 32 --element int8 "
                "--rescore 4",
};

}  // namespace

const Command& StoreCreateCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
