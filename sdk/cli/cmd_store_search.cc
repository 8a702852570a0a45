// embedkit store search: top-k search of one query vector, given as a stored row
// ("more like this"), a row of a float32 file, or an inline list; or, with
// --all-rows, of every row of a float32 file (in calls of up to 1024 queries).
// --ef, --exact and --rescore are the index knobs (ek_collection_search_with).
#include <algorithm>
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
  bool all_rows = false;                   // --all-rows: every row of --vector-file
};

// The most queries one ek_collection_search_with call of --all-rows carries: bounds
// the memory of a call's queries and results whatever the file's size.
constexpr size_t kBatchQueries = 1024;

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
  if (a.Has("all-rows") && (!a.Has("vector-file") || a.Has("row"))) {
    throw UsageError("--all-rows goes with --vector-file and without --row", a.command());
  }
  QuerySource source;
  source.like = a.Value("like");
  source.vector_file = a.Value("vector-file");
  source.row = a.UInt("row", 0, 0, UINT64_MAX);
  if (auto list = a.Value("vector")) {
    source.inline_vector = ParseVectorList(*list, "vector", a.command());
  }
  source.include_self = a.Has("include-self");
  source.all_rows = a.Has("all-rows");
  return source;
}

ek_index_search_options ReadIndexSearchOptions(const ParsedArgs& a) {
  ek_index_search_options o;
  ek_index_search_options_init(&o);
  o.ef = static_cast<uint32_t>(a.UInt("ef", 0, 1, 65536));
  o.exact = a.Has("exact") ? 1 : 0;
  o.rescore = static_cast<uint32_t>(a.UInt("rescore", 0, 1, 1024));
  if (o.exact && (a.Has("ef") || a.Has("rescore"))) {
    throw UsageError("--exact scans the f32 originals; give it without --ef or --rescore",
                     a.command());
  }
  return o;
}

// Query `q` of `results`, best first, without `exclude_id`, at most k hits.
std::vector<ek_hit> CollectHits(ek_results* results, size_t q, uint32_t k,
                                const std::string& exclude_id) {
  std::vector<ek_hit> hits;
  const size_t n = q < ek_results_query_count(results) ? ek_results_hit_count(results, q) : 0;
  for (size_t rank = 0; rank < n && hits.size() < k; ++rank) {
    ek_hit hit = {};
    hit.struct_size = sizeof hit;
    Check(ek_results_hit(results, q, rank, &hit), "ek_results_hit");
    if (!exclude_id.empty() && exclude_id == hit.id) continue;
    hits.push_back(hit);
  }
  return hits;
}

void WriteHitsJson(JsonWriter& w, const std::vector<ek_hit>& hits,
                   const std::vector<std::string>& show, MetadataView& view) {
  w.BeginArray();
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
  w.EndArray();
}

// The table cells of one hit: #, score, id and the --show fields.
std::vector<std::string> HitCells(size_t rank, const ek_hit& hit,
                                  const std::vector<std::string>& show, MetadataView& view) {
  std::vector<std::string> cells = {std::to_string(rank), FormatFixed(hit.score, 4), hit.id};
  for (const std::string& field : show) {
    auto text = hit.metadata_json ? view.Text(hit.metadata_json, field) : std::nullopt;
    cells.push_back(text.value_or("-"));
  }
  return cells;
}

std::vector<Table::Column> HitColumns(const std::vector<std::string>& show, bool with_row) {
  std::vector<Table::Column> columns;
  if (with_row) columns.push_back({"row", Table::Align::kRight, 0});
  columns.push_back({"#", Table::Align::kRight, 0});
  columns.push_back({"score", Table::Align::kRight, 0});
  columns.push_back({"id", Table::Align::kLeft, 48});
  for (const std::string& field : show) columns.push_back({field, Table::Align::kLeft, 72});
  return columns;
}

// Writes the --filter member of a --json document: an empty filter means none (null).
void WriteFilterJson(JsonWriter& w, const std::optional<std::string>& filter) {
  if (filter && filter->find_first_not_of(" \t\r\n") != std::string::npos) {
    w.Key("filter").Raw(*filter);
  } else if (filter) {
    w.Key("filter").Null();
  }
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

// What every query of one command shares.
struct SearchSetup {
  std::string path, name;
  uint32_t k = 10;
  std::vector<std::string> show;
  std::optional<std::string> filter;
  ek_search_options options;
  ek_index_search_options index_options;
};

// --all-rows: every row of --vector-file, kBatchQueries per call, in row order.
int RunAllRows(const Invocation& inv, const SearchSetup& setup, const std::string& file,
               ek_collection* collection, const ek_collection_info& info) {
  VectorFile vectors(file, info.dim);
  const size_t rows = vectors.rows();
  MetadataView view;
  JsonWriter w;
  if (inv.global.json) {
    w.BeginObject()
        .Key("store").String(setup.path)
        .Key("collection").String(setup.name)
        .Key("metric").String(MetricName(info.metric))
        .Key("query").String("every row of '" + file + "'")
        .Key("k").UInt(setup.k);
    WriteFilterJson(w, setup.filter);
    w.Key("queries").UInt(rows).Key("results").BeginArray();
  }
  Table table(HitColumns(setup.show, /*with_row=*/true));
  std::vector<float> queries;
  for (size_t first = 0; first < rows; first += kBatchQueries) {
    Session::ThrowIfCancelled();
    const size_t count = std::min(kBatchQueries, rows - first);
    queries.resize(count * info.dim);
    vectors.Read(first, count, queries.data());
    ek_results* raw = nullptr;
    Check(ek_collection_search_with(collection, queries.data(), count, info.dim, &setup.options,
                                    &setup.index_options, &raw),
          "ek_collection_search_with");
    ResultsPtr results(raw);
    for (size_t q = 0; q < count; ++q) {
      const std::vector<ek_hit> hits = CollectHits(results.get(), q, setup.k, {});
      if (inv.global.json) {
        w.BeginObject().Key("row").UInt(first + q).Key("hits");
        WriteHitsJson(w, hits, setup.show, view);
        w.EndObject();
        continue;
      }
      for (size_t i = 0; i < hits.size(); ++i) {
        std::vector<std::string> cells = HitCells(i + 1, hits[i], setup.show, view);
        cells.insert(cells.begin(), std::to_string(first + q));
        table.AddRow(std::move(cells));
      }
    }
  }
  if (inv.global.json) {
    w.EndArray().EndObject();
    inv.out << w.str() << '\n';
    return 0;
  }
  if (!inv.global.quiet) {
    inv.out << "the " << setup.k << " nearest to each of the " << rows << " rows of '" << file
            << "' in '" << setup.name << "' (" << MetricOrder(info.metric) << ")"
            << (setup.filter ? " matching " + *setup.filter : "") << ":\n";
  }
  table.Print(inv.out);
  return 0;
}

int Run(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  SearchSetup setup;
  setup.path = a.Positional(0);
  setup.name = a.Required("collection");
  setup.k = static_cast<uint32_t>(a.UInt("k", 10, 1, UINT32_MAX));  // any k: see below
  setup.show = SplitList(a.Value("show").value_or(""));
  setup.filter = a.Value("filter");
  setup.index_options = ReadIndexSearchOptions(a);
  const QuerySource source = ReadQuerySource(a);
  const uint32_t k = setup.k;
  const std::optional<std::string>& filter = setup.filter;
  const std::vector<std::string>& show = setup.show;

  Session session(inv.global);
  StorePtr store = session.OpenStore(setup.path, /*read_only=*/true);
  CollectionPtr collection = Session::OpenCollection(store.get(), setup.name);
  const ek_collection_info info = Session::Info(collection.get());

  ek_search_options_init(&setup.options);
  setup.options.filter_json = filter ? filter->c_str() : nullptr;
  setup.options.include_metadata = (!show.empty() || inv.global.json) ? 1 : 0;
  setup.options.k = k;
  if (source.all_rows) return RunAllRows(inv, setup, *source.vector_file, collection.get(), info);

  const Query query = ResolveQuery(source, collection.get(), info);
  // One extra hit when the query document itself will be dropped from the list (k =
  // 2^32 - 1 already asks for more rows than a collection can hold).
  setup.options.k = query.exclude_id.empty() || k == UINT32_MAX ? k : k + 1;
  ek_results* raw = nullptr;
  Check(ek_collection_search_with(collection.get(), query.vector.data(), 1, query.vector.size(),
                                  &setup.options, &setup.index_options, &raw),
        "ek_collection_search_with");
  ResultsPtr results(raw);
  const std::vector<ek_hit> hits = CollectHits(results.get(), 0, k, query.exclude_id);

  MetadataView view;
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("store").String(setup.path)
        .Key("collection").String(setup.name)
        .Key("metric").String(MetricName(info.metric))
        .Key("query").String(query.description)
        .Key("k").UInt(k);
    WriteFilterJson(w, filter);
    w.Key("hits");
    WriteHitsJson(w, hits, show, view);
    w.EndObject();
    inv.out << w.str() << '\n';
    return 0;
  }

  if (!inv.global.quiet) {
    inv.out << hits.size() << " nearest to " << query.description << " in '" << setup.name
            << "' (" << MetricOrder(info.metric) << ")" << (filter ? " matching " + *filter : "")
            << ":\n";
  }
  Table table(HitColumns(show, /*with_row=*/false));
  for (size_t i = 0; i < hits.size(); ++i) table.AddRow(HitCells(i + 1, hits[i], show, view));
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
            {"all-rows", 0, "", "query with every row of --vector-file, in row order\n"
                                "(--json: one hit list per row under \"results\")"},
            {"vector", 0, "LIST", "query = comma-separated floats, e.g. \"0.1,0.2,0.3\""},
            {"k", 'k', "N", "hits to return, 1 or more (default 10; no more than the rows)"},
            {"filter", 0, "JSON", "only rows whose metadata passes this filter, e.g.\n"
                                  "'{\"category\":\"Btp Fiori Tools\"}' (equality) or\n"
                                  "'{\"year\":{\"$gte\":2020},\"lang\":{\"$in\":[\"de\",\"fr\"]}}';\n"
                                  "all operators: docs/storage.md, \"Filters\""},
            {"show", 0, "A,B,..", "metadata fields to show as columns (and to keep in --json)"},
            {"ef", 0, "N", "hnsw search beam, 1..65536 (default: the collection's\n"
                           "ef_search; raised to k)"},
            {"exact", 0, "", "exact scan of the f32 originals, whatever the index\n"
                             "(the recall baseline)"},
            {"rescore", 0, "N", "oversampling factor re-ranked with the f32 originals,\n"
                                "1..1024 (default: the collection's; 1 = none)"},
        },
    .details = "Scores follow the collection's metric: cosine similarity and inner product rank\n"
               "higher first; squared L2 distance ranks lower first. --json prints every hit\n"
               "with its rank, id, score and metadata. An exact collection is scanned; an hnsw\n"
               "or quantized one answers as docs/storage.md \"Indexes\" says (the graph from\n"
               "4096 rows on). --all-rows runs 1024 queries per library call.",
    .examples =
        "embedkit store search docs.db -c docs --like local-btp-fiori-tools-0-chunk-0 -k 5 "
        "--show title\n"
        "embedkit store search docs.db -c docs --vector-file query.f32 --show title,category\n"
        "embedkit store search docs.db -c docs --vector-file embeddings.bin --row 42 "
        "--filter '{\"category\":\"Btp Fiori Tools\"}'\n"
        "embedkit store search tiny.db -c t --vector \"1,0,0\" -k 3 --json\n"
        "embedkit store search big.db -c v --vector-file queries.f32 --all-rows -k 10 --ef 128 "
        "--json",
};

}  // namespace

const Command& StoreSearchCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
