// embedkit json encode|search|probe: the vsa_json plugin (MBAT encoding of whole JSON
// documents, docs/vsa_json.md) from the command line, through the public C API and
// the plugin's "ek.vsa_probe/1" table only. What a collection stores besides its
// vectors (the encoder configuration, the values seen) is the plugin's business:
// `search` and `probe` ask it for the configuration (collection_config) so they encode
// and unbind the way `encode` did.
#include <embedkit/ext/vsa_json.h>
#include <simdjson.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>

#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "jsonl_reader.h"
#include "records_file.h"
#include "session.h"
#include "table.h"

namespace ek::cli {
namespace {

constexpr const char* kPluginId = "embedkit.vsa_json";
// Largest --dim for --binding dense. Each key's D x D Haar-orthogonal role matrix costs
// ~4/3 D^3 flops to generate: measured here (2 cores) on a 1.4 KB document with 22
// keys, D = 512 took 1.9 s, 1024 took 12.5 s and 2048 three minutes.
constexpr uint64_t kMaxDenseDim = 512;

struct InstanceFree {
  void operator()(ek_instance* p) const { ek_instance_free(p); }
};
using InstancePtr = std::unique_ptr<ek_instance, InstanceFree>;

struct Vsa {
  InstancePtr instance;
  const ek_vsa_probe_ext* probe = nullptr;
  void* self = nullptr;
  size_t dim = 0;

  // A failed probe-table call: its status and the plugin's own message.
  void Check(ek_status s, std::string_view call) const {
    if (s != EK_OK) throw LibraryError(s, PluginMessage(call, probe->last_error(self)));
  }
};

Vsa MakeVsa(ek_context* ctx, const std::string& config) {
  Vsa v;
  ek_instance* raw = nullptr;
  ek::cli::Check(ek_instance_create(ctx, kPluginId, config.c_str(), &raw), "ek_instance_create");
  v.instance.reset(raw);
  const void* table = nullptr;
  ek::cli::Check(ek_instance_get_extension(raw, EK_EXT_VSA_PROBE, &table), "ek_instance_get_extension");
  v.probe = static_cast<const ek_vsa_probe_ext*>(table);
  v.self = ek_instance_plugin_data(raw);
  ek::cli::Check(ek_encoder_dim(raw, &v.dim), "ek_encoder_dim");
  return v;
}

// The largest document `json encode` reads: vsa_json's default "max_document_bytes"
// (docs/vsa_json.md), checked here while reading so an oversized document fails
// before it is buffered or parsed (the plugin checks it again).
constexpr size_t kMaxDocumentBytes = size_t{16} << 20;
// A file that is one JSON array is parsed whole (simdjson's DOM takes a few times its
// size); larger inputs must be NDJSON, which is read line by line.
constexpr uintmax_t kMaxArrayFileBytes = uintmax_t{256} << 20;

// True if the first byte of `path` that is not whitespace is '['.
bool StartsWithArray(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw RuntimeError("cannot read '" + path + "'");
  char c = 0;
  while (f.get(c)) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return c == '[';
  }
  return false;
}

// The elements of the JSON array in `path`, or nullopt if the file is not one array.
std::optional<std::vector<std::string>> ReadArrayDocuments(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw RuntimeError("cannot read '" + path + "': " + ec.message());
  if (size > kMaxArrayFileBytes) {
    throw RuntimeError("'" + path + "' is one JSON array of " + FormatBytes(size) + "; an array file is parsed " +
                       "whole, up to " + FormatBytes(kMaxArrayFileBytes) +
                       ": write it as NDJSON (one document per line, each up to " + FormatBytes(kMaxDocumentBytes) +
                       "), which is read line by line");
  }
  simdjson::padded_string text;
  if (simdjson::padded_string::load(path).get(text)) throw RuntimeError("cannot read '" + path + "'");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array arr;
  if (parser.parse(text).get(root) || root.get(arr)) return std::nullopt;
  std::vector<std::string> docs;
  for (simdjson::dom::element e : arr) {
    docs.push_back(simdjson::minify(e));
    if (docs.back().size() > kMaxDocumentBytes) {
      throw RuntimeError("'" + path + "': element " + std::to_string(docs.size() - 1) + " of the array is " +
                         FormatBytes(docs.back().size()) + ", over the limit of " + FormatBytes(kMaxDocumentBytes) +
                         " for one document");
    }
  }
  return docs;
}

// The documents of FILE and where each came from, so that every failure names the
// document as the user sees it: "FILE:LINE: " for NDJSON (blank lines counted),
// "FILE: element I: " for the elements of one JSON array.
struct Documents {
  std::string path;
  std::vector<std::string> text;
  std::vector<size_t> line;  // 1-based line of each document; empty for an array file

  std::string Where(size_t i) const {
    return line.empty() ? path + ": element " + std::to_string(i) + ": "
                        : path + ":" + std::to_string(line[i]) + ": ";
  }
};

// Documents of FILE: the elements of a top-level JSON array, else one per line (NDJSON),
// each at most kMaxDocumentBytes.
Documents ReadDocuments(const std::string& path) {
  Documents docs{path, {}, {}};
  if (StartsWithArray(path)) {
    if (auto elements = ReadArrayDocuments(path)) {
      docs.text = std::move(*elements);
      return docs;
    }
  }
  JsonLinesReader lines(path, "JSON documents file", kMaxDocumentBytes);
  std::string line;
  while (lines.NextLine(&line)) {
    docs.text.push_back(line);
    docs.line.push_back(lines.line());
  }
  if (docs.text.empty()) throw RuntimeError("'" + path + "' holds no JSON documents");
  return docs;
}

// The id of document `index`: the --id-field value (string or number) or the index.
std::string RecordId(simdjson::dom::parser& parser, const Documents& docs, size_t index,
                     const std::optional<std::string>& field) {
  if (!field) return std::to_string(index);
  const std::string where = docs.Where(index);
  simdjson::dom::element root, v;
  if (parser.parse(docs.text[index]).get(root)) throw RuntimeError(where + "not valid JSON");
  if (root[*field].get(v) || v.is_null()) throw RuntimeError(where + "no value for --id-field '" + *field + "'");
  std::string_view s;
  if (!v.get(s)) {
    RequireIdWithoutNul(s, where + "--id-field '" + *field + "': ");
    return std::string(s);
  }
  if (v.is_number()) return simdjson::minify(v);
  throw RuntimeError(where + "field '" + *field + "' is neither a string nor a number");
}

// The plugin names a failing document by its position in the call ("document 2: ...",
// nothing when the call held one document). Restated as the document's FILE:LINE, with
// the plugin's reason kept; other failures (the store, cancellation) are left alone.
[[noreturn]] void ThrowIndexFailure(const Vsa& vsa, ek_status status, const Documents& docs, size_t begin,
                                    size_t count) {
  const std::string message = PluginMessage("index", vsa.probe->last_error(vsa.self));
  const std::string reason = message.substr(std::string_view("index: ").size());
  constexpr std::string_view kDocument = "document ";
  if (count > 1 && reason.compare(0, kDocument.size(), kDocument) == 0) {
    size_t rest = kDocument.size(), i = 0;
    while (rest < reason.size() && rest - kDocument.size() < 10 &&
           std::isdigit(static_cast<unsigned char>(reason[rest]))) {
      i = i * 10 + static_cast<size_t>(reason[rest++] - '0');
    }
    if (rest > kDocument.size() && i < count && reason.compare(rest, 2, ": ") == 0) {
      throw LibraryError(status, "index: " + docs.Where(begin + i) + reason.substr(rest + 2));
    }
  }
  const bool about_the_document =
      status == EK_ERR_PARSE || status == EK_ERR_INVALID_ARGUMENT || status == EK_ERR_LIMIT;
  if (count == 1 && about_the_document) throw LibraryError(status, "index: " + docs.Where(begin) + reason);
  throw LibraryError(status, message);
}

// An instance that encodes the way `collection` was encoded: with the configuration
// vsa_json recorded for it, or the defaults at the collection's dim when vsa_json did
// not write it. The first instance only asks (any configuration can).
Vsa VsaForCollection(ek_context* ctx, ek_store* store, const std::string& collection, uint32_t dim) {
  const std::string defaults = "{\"dim\":" + std::to_string(dim) + "}";
  Vsa asking = MakeVsa(ctx, "{}");
  if (asking.probe->struct_size < offsetof(ek_vsa_probe_ext, collection_config) + sizeof(void*)) {
    throw LibraryError(EK_ERR_UNSUPPORTED, "the vsa_json plugin predates collection_config (ABI 1.1)");
  }
  size_t length = 0;
  const ek_status s = asking.probe->collection_config(asking.self, store, collection.c_str(), nullptr, 0, &length);
  if (s == EK_ERR_NOT_FOUND) return MakeVsa(ctx, defaults);
  asking.Check(s, "collection_config");
  std::string config(length + 1, '\0');
  asking.Check(asking.probe->collection_config(asking.self, store, collection.c_str(), config.data(), config.size(),
                                               &length),
               "collection_config");
  config.resize(length);
  return MakeVsa(ctx, config);
}

// `search` and `probe` only read, but open a store they may write to for writing: the
// plugin then upgrades what a store from before embedkit 1.1 holds (one transaction).
StorePtr OpenForReading(Session& session, const std::string& db) {
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(db, ec).parent_path();
  const bool writable = std::filesystem::is_regular_file(db, ec) && ::access(db.c_str(), W_OK) == 0 &&
                        ::access(dir.c_str(), W_OK) == 0;
  return session.OpenStore(db, writable ? Session::StoreAccess::kWrite : Session::StoreAccess::kRead);
}

// ---- encode ---------------------------------------------------------------------------
int RunEncode(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string file = a.Positional(0);
  const std::string db = a.Required("db");
  const std::string name = a.Required("collection");
  const std::optional<std::string> id_field = a.Value("id-field");
  const uint64_t dim = a.UInt("dim", 1024, 2, 65536);
  const std::string binding = a.Value("binding").value_or("structured");
  const std::string mode = a.Value("mode").value_or("soft");
  if (binding != "structured" && binding != "dense" && binding != "gaussian") {
    throw UsageError("--binding must be structured, dense or gaussian, got '" + binding + "'", a.command());
  }
  if (mode != "soft" && mode != "strict") {
    throw UsageError("--mode must be soft or strict, got '" + mode + "'", a.command());
  }
  if (binding == "dense" && dim > kMaxDenseDim) {
    throw LibraryError(EK_ERR_LIMIT, "--dim " + std::to_string(dim) + " is above the limit of " +
                                         std::to_string(kMaxDenseDim) +
                                         " for --binding dense (generating each key's D x D matrix "
                                         "costs ~D^3); use --dim " + std::to_string(kMaxDenseDim) +
                                         " or less, or --binding structured");
  }
  const std::string config = "{\"dim\":" + std::to_string(dim) + ",\"binding\":\"" + binding +
                             "\",\"mode\":\"" + mode + "\"}";

  const Documents docs = ReadDocuments(file);
  std::vector<std::string> ids;
  {
    simdjson::dom::parser parser;
    std::map<std::string, size_t> first_record;
    for (size_t i = 0; i < docs.text.size(); ++i) {
      ids.push_back(RecordId(parser, docs, i, id_field));
      auto [it, fresh] = first_record.emplace(ids.back(), i);
      if (!fresh) {
        const std::string first = docs.line.empty() ? "element " + std::to_string(it->second)
                                                    : "line " + std::to_string(docs.line[it->second]);
        throw RuntimeError(docs.Where(i) + "id '" + ids.back() + "' (--id-field '" + *id_field +
                           "') was already given on " + first + "; pick another --id-field or none");
      }
    }
  }

  Session session(inv.global);
  Vsa vsa = MakeVsa(session.context(), config);
  StorePtr store = session.OpenStore(db, Session::StoreAccess::kCreateOrUndo);
  // Batches: one transaction each; Ctrl-C stops between batches.
  constexpr size_t kBatch = 2048;
  const size_t total = docs.text.size();
  for (size_t begin = 0; begin < total; begin += kBatch) {
    Session::ThrowIfCancelled();
    const size_t end = std::min(total, begin + kBatch);
    std::vector<ek_string_view> sv;
    std::vector<const char*> id_ptrs;
    for (size_t i = begin; i < end; ++i) {
      sv.push_back({docs.text[i].data(), docs.text[i].size()});
      id_ptrs.push_back(ids[i].c_str());
    }
    const ek_status st =
        vsa.probe->index(vsa.self, store.get(), name.c_str(), sv.data(), id_ptrs.data(), sv.size(), 1);
    if (st != EK_OK) ThrowIndexFailure(vsa, st, docs, begin, sv.size());
    if (!inv.global.quiet && !inv.global.json && total > kBatch) {
      inv.err << "encoded " << end << " / " << total << "\n";
    }
  }
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("store").String(db)
        .Key("collection").String(name)
        .Key("documents").UInt(total)
        .Key("config").Raw(config)
        .EndObject();
    inv.out << w.str() << '\n';
  } else if (!inv.global.quiet) {
    inv.out << "encoded " << total << " documents from '" << file << "' into '" << name << "' of '"
            << db << "' (" << config << ")\n";
  }
  return 0;
}

// ---- search ---------------------------------------------------------------------------
int RunSearch(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string db = a.Required("db");
  const std::string name = a.Required("collection");
  const std::string query = a.Required("query");
  const auto k = a.UInt("k", 10, 1, kMaxK);
  const std::optional<std::string> filter = a.Value("filter");

  Session session(inv.global);
  StorePtr store = OpenForReading(session, db);
  CollectionPtr collection = Session::OpenCollection(store.get(), name);
  const ek_collection_info info = Session::Info(collection.get());
  Vsa vsa = VsaForCollection(session.context(), store.get(), name, info.dim);
  ek_string_view q{query.data(), query.size()};
  ek_results* raw = nullptr;
  vsa.Check(vsa.probe->similar(vsa.self, store.get(), name.c_str(), &q, k, filter ? filter->c_str() : nullptr,
                               &raw),
            "similar");
  ResultsPtr results(raw);
  const size_t n = ek_results_query_count(results.get()) ? ek_results_hit_count(results.get(), 0) : 0;
  std::vector<ek_hit> hits(n);
  for (size_t i = 0; i < n; ++i) {
    hits[i].struct_size = sizeof(ek_hit);
    ek::cli::Check(ek_results_hit(results.get(), 0, i, &hits[i]), "ek_results_hit");
  }
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject().Key("collection").String(name).Key("k").UInt(k).Key("results").BeginArray();
    for (const ek_hit& h : hits) w.BeginObject().Key("id").String(h.id).Key("score").Float(h.score).EndObject();
    w.EndArray().EndObject();
    inv.out << w.str() << '\n';
    return 0;
  }
  if (!inv.global.quiet) inv.out << n << " documents most similar to the query in '" << name << "':\n";
  Table table({{"#", Table::Align::kRight, 0}, {"score", Table::Align::kRight, 0}, {"id", Table::Align::kLeft, 48}});
  for (size_t i = 0; i < n; ++i) table.AddRow({std::to_string(i + 1), FormatFixed(hits[i].score, 4), hits[i].id});
  table.Print(inv.out);
  return 0;
}

// ---- probe ----------------------------------------------------------------------------
int RunProbe(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string db = a.Required("db");
  const std::string name = a.Required("collection");
  const std::string id = a.Required("id");
  const std::string path = a.Required("path");
  const auto k = a.UInt("k", 5, 1, kMaxK);

  Session session(inv.global);
  StorePtr store = OpenForReading(session, db);
  CollectionPtr collection = Session::OpenCollection(store.get(), name);
  const ek_collection_info info = Session::Info(collection.get());
  Vsa vsa = VsaForCollection(session.context(), store.get(), name, info.dim);
  std::vector<float> v(info.dim);
  size_t got = 0;
  ek::cli::Check(ek_collection_get(collection.get(), id.c_str(), v.data(), v.size(), &got, nullptr),
                 "ek_collection_get");
  if (got != vsa.dim) {
    throw RuntimeError("collection '" + name + "' has dim " + std::to_string(got) + ", the encoder " +
                       std::to_string(vsa.dim));
  }
  ek_results* raw = nullptr;
  vsa.Check(vsa.probe->probe_collection(vsa.self, store.get(), name.c_str(), v.data(), path.c_str(), k, &raw),
            "probe_collection");
  ResultsPtr results(raw);
  const size_t n = ek_results_query_count(results.get()) ? ek_results_hit_count(results.get(), 0) : 0;
  struct Row {
    std::string value;
    float score;
  };
  std::vector<Row> rows;
  bool numeric = false;
  simdjson::dom::parser parser;
  for (size_t i = 0; i < n; ++i) {
    ek_hit h{};
    h.struct_size = sizeof h;
    ek::cli::Check(ek_results_hit(results.get(), 0, i, &h), "ek_results_hit");
    simdjson::dom::element root, value;
    if (!h.metadata_json || parser.parse(std::string(h.metadata_json)).get(root) || root["value"].get(value)) {
      continue;
    }
    if (i == 0) numeric = value.is_number();
    rows.push_back({simdjson::minify(value), h.score});
  }
  if (rows.empty()) {
    throw RuntimeError("no values were recorded at path '" + path + "' in '" + name +
                       "' (paths look like name.common or tags[0])");
  }
  std::optional<std::pair<double, float>> number;
  if (numeric) {
    double estimate = 0;
    float confidence = 0;
    vsa.Check(vsa.probe->decode_number(vsa.self, v.data(), path.c_str(), &estimate, &confidence),
              "decode_number");
    number = {estimate, confidence};
  }
  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject().Key("id").String(id).Key("path").String(path).Key("candidates").BeginArray();
    for (const Row& r : rows) w.BeginObject().Key("value").Raw(r.value).Key("score").Float(r.score).EndObject();
    w.EndArray();
    if (number) {
      // Rounded like the table's 4 decimals; a non-finite estimate becomes null.
      w.Key("number").BeginObject().Key("estimate").Double(std::round(number->first * 1e4) / 1e4)
          .Key("confidence").Float(number->second).EndObject();
    }
    w.EndObject();
    inv.out << w.str() << '\n';
    return 0;
  }
  if (!inv.global.quiet) {
    inv.out << "values at '" << path << "' of '" << id << "', ranked by cosine after unbinding:\n";
  }
  Table table({{"#", Table::Align::kRight, 0}, {"score", Table::Align::kRight, 0}, {"value", Table::Align::kLeft, 72}});
  for (size_t i = 0; i < rows.size(); ++i) {
    table.AddRow({std::to_string(i + 1), FormatFixed(rows[i].score, 4), rows[i].value});
  }
  table.Print(inv.out);
  if (number) {
    inv.out << "decoded number: " << FormatFixed(number->first, 4) << " (confidence "
            << FormatFixed(number->second, 3) << ")\n";
  }
  return 0;
}

const OptionSpec kDb{"db", 0, "STORE", "SQLite store file"};
const OptionSpec kCollection{"collection", 'c', "NAME", "collection of encoded documents"};

const CommandSpec kEncodeSpec{
    .path = "json encode",
    .summary = "encode JSON documents (NDJSON or a JSON array) into a collection with vsa_json",
    .positionals = {{"FILE", "NDJSON (one document per line, each up to 16 MiB) or one JSON\n"
                             "array of documents (a file up to 256 MiB)"}},
    .options =
        {
            kDb,
            kCollection,
            {"id-field", 0, "F", "use this top-level field as the id (default: 0-based record number)"},
            {"dim", 0, "D", "vector length (default 1024; a power of two for structured)"},
            {"binding", 0, "KIND", "structured (default), dense (--dim at most 512: ~D^3 work per key) or gaussian"},
            {"mode", 0, "MODE", "soft (default: also the unbound value terms) or strict"},
        },
    .details = "Every document becomes one unit vector (MBAT: each value bound to its key by an\n"
               "orthogonal matrix, summed). Documents that are objects are kept as metadata;\n"
               "every scalar seen at a path is recorded with the collection for `json probe`\n"
               "(at most 4096 per document, the first in document order; a warning says\n"
               "when a document has more). Sizes are checked while the file is read.",
    .examples = "embedkit json encode movies.json --db movies.db --collection movies --id-field Title\n"
                "embedkit json encode events.ndjson --db ev.db -c ev --dim 4096 --mode strict",
};

const CommandSpec kSearchSpec{
    .path = "json search",
    .summary = "find the documents most similar to a JSON query",
    .positionals = {},
    .options =
        {
            kDb,
            kCollection,
            {"query", 0, "JSON", "a JSON document, e.g. '{\"Major Genre\":\"Horror\"}'"},
            {"k", 'k', "K", "hits to return, 1..1024 (default 10)"},
            {"filter", 0, "JSON", "only documents whose fields have these values"},
        },
    .details = "With --json: {\"results\": [{\"id\": ..., \"score\": ...}, ...]} (cosine, best first).",
    .examples = "embedkit json search --db movies.db -c movies --query '{\"Director\":\"James Cameron\"}' -k 5",
};

const CommandSpec kProbeSpec{
    .path = "json probe",
    .summary = "read a field back out of a stored document vector by unbinding",
    .positionals = {},
    .options =
        {
            kDb,
            kCollection,
            {"id", 0, "ID", "the stored document"},
            {"path", 0, "PATH", "key path: a.b, tags[0] (a '\\' escapes '.', '[' or '\\')"},
            {"k", 'k', "K", "candidates to list, 1..1024 (default 5)"},
        },
    .details = "Unbinds the document's vector along PATH with the transposed role matrices and\n"
               "ranks every value the collection has seen at PATH by cosine; for numbers it also\n"
               "decodes an estimate from the number levels.",
    .examples = "embedkit json probe --db movies.db -c movies --id Titanic --path Director",
};

}  // namespace

const Command& JsonEncodeCommand() {
  static const Command command{&kEncodeSpec, &RunEncode};
  return command;
}
const Command& JsonSearchCommand() {
  static const Command command{&kSearchSpec, &RunSearch};
  return command;
}
const Command& JsonProbeCommand() {
  static const Command command{&kProbeSpec, &RunProbe};
  return command;
}

}  // namespace ek::cli
