// embedkit store search: exact top-k search of one query vector, given as a
// stored row ("more like this"), a row of a float32 file, or an inline list.
#include <cstdint>
#include <optional>
#include <ostream>

#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "metadata_view.h"
#include "session.h"
#include "table.h"
#include "vector_file.h"

namespace ek::cli {
namespace {

// Where the query vector comes from, checked before any file is opened.
struct QuerySource {
  std::optional<std::string> like;         // --like ID
  std::optional<std::string> vector_file;  // --vector-file FILE
  size_t row = 0;                          // --row N
  std::vector<float> inline_vector;        // --vector LIST
  bool include_self = false;
};

QuerySource ReadQuerySource(const ParsedArgs& a) {
  const int sources = int(a.Has("like")) + int(a.Has("vector-file")) + int(a.Has("vector"));
  if (sources != 1) {
    throw UsageError("give exactly one query: --like ID, --vector-file FILE or --vector LIST",
                     a.command());
  }
  if (a.Has("row") && !a.Has("vector-file")) {
    throw UsageError("--row goes with --vector-file", a.command());
  }
  if (a.Has("include-self") && !a.Has("like")) {
    throw UsageError("--include-self goes with --like", a.command());
  }
  QuerySource source;
  source.like = a.Value("like");
  source.vector_file = a.Value("vector-file");
  source.row = a.UInt("row", 0, 0, UINT64_MAX);
  if (auto list = a.Value("vector")) {
    source.inline_vector = ParseVectorList(*list, "vector", a.command());
  }
  source.include_self = a.Has("include-self");
  return source;
}

struct Query {
  std::vector<float> vector;
  std::string description;  // for the header line
  std::string exclude_id;   // --like: the document itself is not its own neighbour
};

Query ResolveQuery(const QuerySource& source, ek_collection* collection,
                   const ek_collection_info& info) {
  Query q;
  if (source.like) {
    q.vector.resize(info.dim);
    size_t dim = 0;
    Check(ek_collection_get(collection, source.like->c_str(), q.vector.data(), q.vector.size(),
                            &dim, nullptr),
          "ek_collection_get");
    q.vector.resize(dim);
    q.description = "like '" + *source.like + "'";
    if (!source.include_self) q.exclude_id = *source.like;
  } else if (source.vector_file) {
    VectorFile vectors(*source.vector_file, info.dim);
    if (source.row >= vectors.rows()) {
      throw RuntimeError("--row " + std::to_string(source.row) + ": '" + *source.vector_file +
                         "' has only " + std::to_string(vectors.rows()) + " rows of dim " +
                         std::to_string(info.dim));
    }
    q.vector.resize(info.dim);
    vectors.Read(source.row, 1, q.vector.data());
    q.description = "row " + std::to_string(source.row) + " of '" + *source.vector_file + "'";
  } else {
    q.vector = source.inline_vector;
    q.description = "the given vector";
  }
  return q;
}

int Run(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0);
  const std::string name = a.Required("collection");
  const auto k = static_cast<uint32_t>(a.UInt("k", 10, 1, UINT32_MAX));  // any k: see Run
  const std::vector<std::string> show = SplitList(a.Value("show").value_or(""));
  const std::optional<std::string> filter = a.Value("filter");
  const QuerySource source = ReadQuerySource(a);

  Session session(inv.global);
  StorePtr store = session.OpenStore(path, /*read_only=*/true);
  CollectionPtr collection = Session::OpenCollection(store.get(), name);
  const ek_collection_info info = Session::Info(collection.get());
  const Query query = ResolveQuery(source, collection.get(), info);

  ek_search_options options;
  ek_search_options_init(&options);
  // One extra hit when the query document itself will be dropped from the list (k =
  // 2^32 - 1 already asks for more rows than a collection can hold).
  options.k = query.exclude_id.empty() || k == UINT32_MAX ? k : k + 1;
  options.filter_json = filter ? filter->c_str() : nullptr;
  options.include_metadata = (!show.empty() || inv.global.json) ? 1 : 0;
  ek_results* raw = nullptr;
  Check(ek_collection_search(collection.get(), query.vector.data(), 1, query.vector.size(),
                             &options, &raw),
        "ek_collection_search");
  ResultsPtr results(raw);

  std::vector<ek_hit> hits;
  const size_t n = ek_results_query_count(results.get()) > 0
                       ? ek_results_hit_count(results.get(), 0)
                       : 0;
  for (size_t rank = 0; rank < n && hits.size() < k; ++rank) {
    ek_hit hit = {};
    hit.struct_size = sizeof hit;
    Check(ek_results_hit(results.get(), 0, rank, &hit), "ek_results_hit");
    if (!query.exclude_id.empty() && query.exclude_id == hit.id) continue;
    hits.push_back(hit);
  }

  MetadataView view;
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("store").String(path)
        .Key("collection").String(name)
        .Key("metric").String(MetricName(info.metric))
        .Key("query").String(query.description)
        .Key("k").UInt(k);
    // An empty --filter means no filter (as for the library): null, not a hole.
    if (filter && filter->find_first_not_of(" \t\r\n") != std::string::npos) {
      w.Key("filter").Raw(*filter);
    } else if (filter) {
      w.Key("filter").Null();
    }
    w.Key("hits").BeginArray();
    for (size_t i = 0; i < hits.size(); ++i) {
      w.BeginObject().Key("rank").UInt(i + 1).Key("id").String(hits[i].id);
      w.Key("score").Float(hits[i].score);
      w.Key("metadata");
      if (hits[i].metadata_json == nullptr) {
        w.Null();
      } else {
        w.Raw(show.empty() ? std::string(hits[i].metadata_json)
                           : view.Select(hits[i].metadata_json, show));
      }
      w.EndObject();
    }
    w.EndArray().EndObject();
    inv.out << w.str() << '\n';
    return 0;
  }

  if (!inv.global.quiet) {
    inv.out << hits.size() << " nearest to " << query.description << " in '" << name << "' ("
            << MetricOrder(info.metric) << ")" << (filter ? " matching " + *filter : "")
            << ":\n";
  }
  std::vector<Table::Column> columns = {
      {"#", Table::Align::kRight, 0},
      {"score", Table::Align::kRight, 0},
      {"id", Table::Align::kLeft, 48},
  };
  for (const std::string& field : show) columns.push_back({field, Table::Align::kLeft, 72});
  Table table(std::move(columns));
  for (size_t i = 0; i < hits.size(); ++i) {
    std::vector<std::string> cells = {std::to_string(i + 1), FormatFixed(hits[i].score, 4),
                                      hits[i].id};
    for (const std::string& field : show) {
      auto text = hits[i].metadata_json ? view.Text(hits[i].metadata_json, field) : std::nullopt;
      cells.push_back(text.value_or("-"));
    }
    table.AddRow(std::move(cells));
  }
  table.Print(inv.out);
  return 0;
}

const CommandSpec kSpec{
    .path = "store search",
    .summary = "find the k nearest vectors to a stored row, a file row or a given vector",
    .positionals = {{"STORE", "SQLite store file (opened read-only)"}},
    .options =
        {
            {"collection", 'c', "NAME", "collection to search"},
            {"like", 0, "ID", "query = the vector stored under ID (\"more like this\");\n"
                              "the document itself is left out of the hits"},
            {"include-self", 0, "", "with --like, keep the document itself in the hits"},
            {"vector-file", 0, "FILE", "query = a row of a raw float32 file (dim of the collection)"},
            {"row", 0, "N", "row of --vector-file to use (default 0)"},
            {"vector", 0, "LIST", "query = comma-separated floats, e.g. \"0.1,0.2,0.3\""},
            {"k", 'k', "N", "hits to return, 1 or more (default 10; no more than the rows)"},
            {"filter", 0, "JSON", "only rows whose metadata passes this filter, e.g.\n"
                                  "'{\"category\":\"Btp Fiori Tools\"}' (equality) or\n"
                                  "'{\"year\":{\"$gte\":2020},\"lang\":{\"$in\":[\"de\",\"fr\"]}}';\n"
                                  "all operators: docs/storage.md, \"Filters\""},
            {"show", 0, "A,B,..", "metadata fields to show as columns (and to keep in --json)"},
        },
    .details = "Scores follow the collection's metric: cosine similarity and inner product rank\n"
               "higher first; squared L2 distance ranks lower first. --json prints every hit\n"
               "with its rank, id, score and metadata.",
    .examples =
        "embedkit store search docs.db -c docs --like local-btp-fiori-tools-0-chunk-0 -k 5 "
        "--show title\n"
        "embedkit store search docs.db -c docs --vector-file query.f32 --show title,category\n"
        "embedkit store search docs.db -c docs --vector-file embeddings.bin --row 42 "
        "--filter '{\"category\":\"Btp Fiori Tools\"}'\n"
        "embedkit store search tiny.db -c t --vector \"1,0,0\" -k 3 --json",
};

}  // namespace

const Command& StoreSearchCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
