// embedkit store info: the collections of a store (dim, metric, count, index) and
// what the library runs on (version, ABI, backend, SIMD target, threads).
#include <ostream>

#include "command.h"
#include "index_flags.h"
#include "json_writer.h"
#include "session.h"
#include "table.h"

namespace ek::cli {
namespace {

struct InfosFree {
  size_t count;
  void operator()(ek_collection_info* p) const { ek_collection_infos_free(p, count); }
};

struct Row {
  std::string name;
  uint32_t dim;
  ek_metric metric;
  uint64_t count;
  ek_index_info index;  // ek_collection_index_info_get
};

Row Describe(ek_collection* collection) {
  const ek_collection_info info = Session::Info(collection);
  return {info.name, info.dim, info.metric, info.count, IndexInfo(collection)};
}

// "-" for the graph parameters of an exact index (0 there).
std::string OrDash(uint32_t value) { return value == 0 ? "-" : std::to_string(value); }

int Run(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0);
  const std::optional<std::string> only = a.Value("collection");

  Session session(inv.global);
  ek_context_info ctx = {};
  ctx.struct_size = sizeof ctx;
  Check(ek_context_info_get(session.context(), &ctx), "ek_context_info_get");
  StorePtr store = session.OpenStore(path, /*read_only=*/true);

  std::vector<Row> rows;
  if (only) {
    CollectionPtr collection = Session::OpenCollection(store.get(), *only);
    rows.push_back(Describe(collection.get()));
  } else {
    ek_collection_info* infos = nullptr;
    size_t count = 0;
    Check(ek_store_list_collections(store.get(), &infos, &count), "ek_store_list_collections");
    std::unique_ptr<ek_collection_info, InfosFree> owned(infos, InfosFree{count});
    for (size_t i = 0; i < count; ++i) {
      CollectionPtr collection = Session::OpenCollection(store.get(), infos[i].name);
      rows.push_back(Describe(collection.get()));
    }
  }

  const std::string backend = ctx.backend ? ctx.backend : "";
  const std::string simd = ctx.simd_target ? ctx.simd_target : "";
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("library").BeginObject()
        .Key("version").String(ek_version())
        .Key("abi").String(AbiText(ctx.abi_version))
        .Key("abi_version").UInt(ctx.abi_version)
        .Key("backend").String(backend)
        .Key("simd_target").String(simd)
        .Key("threads").UInt(ctx.num_threads)
        .Key("plugins").UInt(ctx.plugin_count)
        .EndObject()
        .Key("store").String(path)
        .Key("collections").BeginArray();
    for (const Row& r : rows) {
      w.BeginObject()
          .Key("name").String(r.name)
          .Key("dim").UInt(r.dim)
          .Key("metric").String(MetricName(r.metric))
          .Key("count").UInt(r.count)
          .Key("index");
      WriteIndexJson(w, r.index);
      w.EndObject();
    }
    w.EndArray().EndObject();
    inv.out << w.str() << '\n';
    return 0;
  }

  inv.out << "embedkit " << ek_version() << "  ABI " << AbiText(ctx.abi_version) << "  backend "
          << backend << "  SIMD " << simd << "  threads " << ctx.num_threads << "  plugins "
          << ctx.plugin_count << '\n'
          << "store " << path << ": " << rows.size()
          << (rows.size() == 1 ? " collection" : " collections") << '\n';
  if (!rows.empty()) {
    Table table({{"collection", Table::Align::kLeft, 0},
                 {"dim", Table::Align::kRight, 0},
                 {"metric", Table::Align::kLeft, 0},
                 {"vectors", Table::Align::kRight, 0},
                 {"index", Table::Align::kLeft, 0},
                 {"element", Table::Align::kLeft, 0},
                 {"m", Table::Align::kRight, 0},
                 {"ef_construction", Table::Align::kRight, 0},
                 {"ef_search", Table::Align::kRight, 0},
                 {"rescore", Table::Align::kRight, 0},
                 {"state", Table::Align::kLeft, 0},
                 {"bytes/vector", Table::Align::kRight, 0}});
    for (const Row& r : rows) {
      table.AddRow({r.name, std::to_string(r.dim), std::string(MetricName(r.metric)),
                    std::to_string(r.count), std::string(IndexKindName(r.index.index)),
                    std::string(ElementName(r.index.element)), OrDash(r.index.m),
                    OrDash(r.index.ef_construction), OrDash(r.index.ef_search),
                    std::to_string(r.index.rescore),
                    std::string(IndexStateName(r.index.index_state)),
                    std::to_string(r.index.bytes_per_vector)});
    }
    table.Print(inv.out);
  }
  return 0;
}

const CommandSpec kSpec{
    .path = "store info",
    .summary = "list collections (dim, metric, count, index) and the library's runtime",
    .positionals = {{"STORE", "SQLite store file (opened read-only; must exist)"}},
    .options = {{"collection", 'c', "NAME", "describe only this collection"}},
    .details = "The first line reports the library version, ABI version, backend and the SIMD\n"
               "target chosen at run time (from ek_context_info_get). Per collection: its\n"
               "index (exact or hnsw), the element its scans read, the hnsw parameters, the\n"
               "default rescore factor, the state (ready, or building: rows not yet linked,\n"
               "searches scan exactly until `embedkit store index`) and the resident bytes\n"
               "per vector (ek_collection_index_info_get).",
    .examples = "embedkit store info docs.db\nembedkit store info docs.db -c docs --json",
};

}  // namespace

const Command& StoreInfoCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
