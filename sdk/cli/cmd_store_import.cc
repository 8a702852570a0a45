// embedkit store import: bulk-load a float32 vectors file (and optionally a JSONL
// records file giving ids and metadata, row for row) in batches, one transaction
// per batch through ek_collection_upsert.
#include <chrono>
#include <ostream>

#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "progress.h"
#include "records_file.h"
#include "session.h"
#include "table.h"
#include "vector_file.h"

namespace ek::cli {
namespace {

RecordOptions ReadRecordOptions(const ParsedArgs& a) {
  RecordOptions options;
  options.id_field = a.Value("id-field").value_or("id");
  if (a.Has("metadata-fields") && a.Has("metadata")) {
    throw UsageError("give either --metadata-fields or --metadata, not both", a.command());
  }
  if (auto mode = a.Value("metadata")) {
    if (*mode == "all") {
      options.metadata = RecordOptions::Metadata::kAll;
    } else if (*mode == "none") {
      options.metadata = RecordOptions::Metadata::kNone;
    } else {
      throw UsageError("--metadata must be all or none, got '" + *mode + "'", a.command());
    }
  }
  if (auto fields = a.Value("metadata-fields")) {
    options.metadata = RecordOptions::Metadata::kFields;
    options.fields = SplitList(*fields);
    if (options.fields.empty()) throw UsageError("--metadata-fields is empty", a.command());
  }
  return options;
}

// The collection to import into: opened if it exists (then --dim and --metric must
// agree with it), otherwise only described by --dim/--metric and created once the
// input files have been checked.
struct Target {
  CollectionPtr collection;  // null until created
  uint32_t dim = 0;
  ek_metric metric = EK_METRIC_COSINE;
};

Target FindTarget(ek_store* store, const ParsedArgs& a, const std::string& name) {
  const bool has_dim = a.Has("dim");
  const auto dim = static_cast<uint32_t>(a.UInt("dim", 0, 1, 65536));
  const std::optional<std::string> metric_name = a.Value("metric");
  Target target;
  ek_collection* handle = nullptr;
  const ek_status status = ek_collection_open(store, name.c_str(), &handle);
  target.collection.reset(handle);
  if (status == EK_ERR_NOT_FOUND) {
    if (!has_dim) {
      throw LibraryError(status, std::string(ek_last_error()) +
                                     " (pass --dim N to create it while importing)");
    }
    target.dim = dim;
    target.metric = ParseMetric(metric_name.value_or("cosine"), a.command());
    return target;
  }
  Check(status, "ek_collection_open");
  const ek_collection_info info = Session::Info(target.collection.get());
  if (has_dim && dim != info.dim) {
    throw RuntimeError("--dim " + std::to_string(dim) + " does not match collection '" + name +
                       "', which has dim " + std::to_string(info.dim));
  }
  if (metric_name && ParseMetric(*metric_name, a.command()) != info.metric) {
    throw RuntimeError("--metric " + *metric_name + " does not match collection '" + name +
                       "', which uses " + std::string(MetricName(info.metric)));
  }
  target.dim = info.dim;
  target.metric = info.metric;
  return target;
}

int Run(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0);
  const std::string name = a.Required("collection");
  const std::string vectors_path = a.Required("vectors");
  const std::optional<std::string> records_path = a.Value("records");
  const size_t batch = a.UInt("batch", 1000, 1, 1000000);
  if (!records_path && (a.Has("id-field") || a.Has("metadata") || a.Has("metadata-fields"))) {
    throw UsageError("--id-field, --metadata and --metadata-fields need --records", a.command());
  }
  const RecordOptions record_options = ReadRecordOptions(a);
  a.UInt("dim", 0, 1, 65536);  // validate before touching any file
  if (auto m = a.Value("metric")) ParseMetric(*m, a.command());

  Session session(inv.global);
  StorePtr store = session.OpenStore(path, /*read_only=*/false);
  Target target = FindTarget(store.get(), a, name);
  const size_t dim = target.dim;

  // Check that the inputs agree before writing anything.
  VectorFile vectors(vectors_path, dim);
  const size_t rows = vectors.rows();
  std::optional<RecordReader> records;
  if (records_path) {
    const size_t record_count = RecordReader::CountRecords(*records_path);
    if (record_count != rows) {
      throw RuntimeError("'" + vectors_path + "' holds " + std::to_string(rows) +
                         " vectors of dim " + std::to_string(dim) + " but '" + *records_path +
                         "' holds " + std::to_string(record_count) +
                         " records; they must match row for row (nothing was imported)");
    }
    records.emplace(*records_path, record_options);
  }
  const bool created = target.collection == nullptr;
  if (created) {
    ek_collection* handle = nullptr;
    Check(ek_collection_create(store.get(), name.c_str(), target.dim, target.metric, &handle),
          "ek_collection_create");
    target.collection.reset(handle);
  }
  ek_collection* collection = target.collection.get();

  const bool show_progress = !inv.global.quiet && !inv.global.json && StderrIsTerminal();
  Progress progress(inv.err, "importing into '" + name + "'", rows, show_progress);
  std::vector<float> buffer;
  std::vector<std::string> ids, metadata;
  std::vector<const char*> id_ptrs, metadata_ptrs;
  const auto start = std::chrono::steady_clock::now();
  size_t done = 0;
  while (done < rows) {
    Session::ThrowIfCancelled();
    const size_t count = std::min(batch, rows - done);
    buffer.resize(count * dim);
    vectors.Read(done, count, buffer.data());
    ids.assign(count, {});
    metadata.assign(count, {});
    for (size_t r = 0; r < count; ++r) {
      if (records) {
        if (!records->Next(&ids[r], &metadata[r])) {
          throw RuntimeError("records file '" + *records_path + "' ended early");
        }
      } else {
        ids[r] = std::to_string(done + r);  // without records, the row number is the id
      }
    }
    id_ptrs.resize(count);
    metadata_ptrs.resize(count);
    bool any_metadata = false;
    for (size_t r = 0; r < count; ++r) {
      id_ptrs[r] = ids[r].c_str();
      metadata_ptrs[r] = metadata[r].empty() ? nullptr : metadata[r].c_str();
      any_metadata = any_metadata || metadata_ptrs[r] != nullptr;
    }
    ek_upsert_batch upsert = {};
    upsert.struct_size = sizeof upsert;
    upsert.count = count;
    upsert.ids = id_ptrs.data();
    upsert.vectors = buffer.data();
    upsert.dim = dim;
    upsert.metadata_json = any_metadata ? metadata_ptrs.data() : nullptr;
    const ek_status status = ek_collection_upsert(collection, &upsert);
    if (status != EK_OK) {
      std::string message = ek_last_error();
      message += " (in the batch of rows " + std::to_string(done) + ".." +
                 std::to_string(done + count - 1) + "; " + std::to_string(done) +
                 " rows before it were imported)";
      throw LibraryError(status, message);
    }
    done += count;
    progress.Update(done);
  }
  progress.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0.0;
  uint64_t total = 0;
  Check(ek_collection_count(collection, &total), "ek_collection_count");

  if (inv.global.json) {
    JsonWriter w;
    w.BeginObject()
        .Key("store").String(path)
        .Key("collection").String(name)
        .Key("created").Bool(created)
        .Key("dim").UInt(dim)
        .Key("imported").UInt(rows)
        .Key("batches").UInt((rows + batch - 1) / batch)
        .Key("seconds").Double(seconds)
        .Key("rows_per_second").Double(rate)
        .Key("count").UInt(total)
        .EndObject();
    inv.out << w.str() << '\n';
  } else if (!inv.global.quiet) {
    inv.out << "imported " << rows << " vectors (dim " << dim << ") into '" << name << "'"
            << (created ? " (created)" : "") << " in " << FormatFixed(seconds, 3) << " s ("
            << FormatFixed(rate, 0) << " rows/s); the collection now holds " << total
            << " vectors\n";
  }
  return 0;
}

const CommandSpec kSpec{
    .path = "store import",
    .summary = "import vectors (and ids + metadata from JSONL) into a collection",
    .positionals = {{"STORE", "SQLite store file (created if missing)"}},
    .options =
        {
            {"collection", 'c', "NAME", "collection to import into"},
            {"vectors", 0, "FILE", "raw little-endian float32 rows (rows x dim, no header)"},
            {"dim", 0, "N", "vector length; creates the collection if it is missing"},
            {"metric", 0, "METRIC", "metric when creating: cosine (default), dot or l2"},
            {"records", 0, "FILE", "JSONL, one object per line, line i <-> vector row i"},
            {"id-field", 0, "NAME", "record field holding the id (default \"id\")"},
            {"metadata-fields", 0, "A,B,..", "store only these record fields as metadata"},
            {"metadata", 0, "all|none", "store the whole record (default) or nothing"},
            {"batch", 0, "N", "rows per transaction (default 1000)"},
        },
    .details =
        "The number of vectors must equal the number of (non-blank) records, else nothing\n"
        "is imported. Without --records the ids are the row numbers \"0\", \"1\", ...\n"
        "Existing ids are replaced. Each batch is one transaction: if a batch is rejected\n"
        "(NaN, duplicate id, bad metadata) the batches before it stay imported and the\n"
        "error names the rows. Progress is shown on stderr when it is a terminal.",
    .examples =
        "embedkit store import docs.db -c docs --dim 384 --vectors embeddings.bin \\\n"
        "    --records records.jsonl --metadata-fields title,category,path\n"
        "embedkit store import docs.db -c docs --vectors more.f32 --batch 5000 --json",
};

}  // namespace

const Command& StoreImportCommand() {
  static const Command command{&kSpec, &Run};
  return command;
}

}  // namespace ek::cli
