// embedkit store kv list|get|put|delete|delete-prefix: the key/value state of a store
// (embedkit.h "Key/value state", docs/storage.md) from the command line. Plugins keep
// their own state there under their id ("embedkit.vsa_json"), so this is also how a
// user looks at what a plugin stored. list and get open the store read-only.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>

#include "command.h"
#include "errors.h"
#include "json_writer.h"
#include "session.h"
#include "table.h"

namespace ek::cli {
namespace {

constexpr std::string_view kBlob = "blob";
constexpr std::string_view kJson = "json";
constexpr size_t kListValueWidth = 60;  // text output: longer JSON values end in "…"

std::string_view KindName(ek_value_kind kind) { return kind == EK_VALUE_JSON ? kJson : kBlob; }

struct Value {
  std::string bytes;
  ek_value_kind kind = EK_VALUE_BLOB;
};

// The value of (ns, key); EK_ERR_NOT_FOUND (the library's message) if there is none.
Value ReadValue(ek_store* store, const std::string& ns, const std::string& key) {
  for (;;) {  // another writer may grow the value between the two calls
    size_t length = 0;
    Value v;
    Check(ek_store_kv_get(store, ns.c_str(), key.c_str(), nullptr, 0, &length, &v.kind),
          "ek_store_kv_get");
    v.bytes.resize(length + 1);
    const ek_status s =
        ek_store_kv_get(store, ns.c_str(), key.c_str(), v.bytes.data(), v.bytes.size(), &length, &v.kind);
    if (s == EK_ERR_BUFFER_TOO_SMALL) continue;
    Check(s, "ek_store_kv_get");
    v.bytes.resize(length);
    return v;
  }
}

// RFC 4648 base64: blob values in --json output.
std::string Base64(std::string_view bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t j = 0; j < 3; ++j) {
      group = (group << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
    }
    for (size_t j = 0; j < 4; ++j) {
      out += j <= n ? kDigits[(group >> (18 - 6 * j)) & 63] : '=';
    }
  }
  return out;
}

std::string ReadBlobFile(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw RuntimeError("cannot read --blob '" + path + "': " + ec.message());
  if (size > EK_KV_MAX_VALUE) {
    throw RuntimeError("--blob '" + path + "' is " + std::to_string(size) +
                       " bytes; a value holds at most 268435456 (256 MiB, EK_KV_MAX_VALUE)");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw RuntimeError("cannot read --blob '" + path + "': " + std::strerror(errno));
  }
  return bytes;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size())) || !out.flush()) {
    throw RuntimeError("cannot write --output '" + path + "': " + std::strerror(errno));
  }
}

// The object every command's --json output starts with.
JsonWriter& BeginReport(JsonWriter& w, const std::string& store, const std::string& ns) {
  return w.BeginObject().Key("store").String(store).Key("namespace").String(ns);
}

// ---- list ----------------------------------------------------------------------------

struct Entry {
  std::string key;
  ek_value_kind kind;
  std::string json;    // the value when kind is JSON
  size_t length = 0;   // bytes of the value
};

// One page of entries; *more is set when keys follow the page (limit > 0).
std::vector<Entry> ListEntries(ek_store* store, const std::string& ns, const std::string& prefix,
                               const std::optional<std::string>& after, size_t limit, bool* more) {
  ek_results* raw = nullptr;
  Check(ek_store_kv_list(store, ns.c_str(), prefix.c_str(), after ? after->c_str() : nullptr,
                         limit == 0 ? 0 : limit + 1, /*include_values=*/1, &raw),
        "ek_store_kv_list");
  ResultsPtr results(raw);
  const size_t n = ek_results_query_count(raw) > 0 ? ek_results_hit_count(raw, 0) : 0;
  *more = limit != 0 && n > limit;
  std::vector<Entry> entries;
  for (size_t rank = 0; rank < n && (limit == 0 || rank < limit); ++rank) {
    ek_hit hit = {};
    hit.struct_size = sizeof hit;
    Check(ek_results_hit(raw, 0, rank, &hit), "ek_results_hit");
    Entry e{hit.id, EK_VALUE_JSON, hit.metadata_json ? hit.metadata_json : "", 0};
    e.length = e.json.size();
    if (hit.metadata_json == nullptr) {  // a blob: only its length is shown
      size_t length = 0;
      Check(ek_store_kv_get(store, ns.c_str(), e.key.c_str(), nullptr, 0, &length, &e.kind),
            "ek_store_kv_get");
      e.length = length;
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

void PrintEntriesJson(const Invocation& inv, const std::string& path, const std::string& ns,
                      const std::vector<Entry>& entries, bool more) {
  JsonWriter w;
  BeginReport(w, path, ns).Key("entries").BeginArray();
  for (const Entry& e : entries) {
    w.BeginObject().Key("key").String(e.key).Key("kind").String(KindName(e.kind));
    w.Key("length").UInt(e.length);
    if (e.kind == EK_VALUE_JSON) w.Key("value").Raw(e.json);
    w.EndObject();
  }
  w.EndArray().Key("next_after");
  if (more) {
    w.String(entries.back().key);
  } else {
    w.Null();
  }
  inv.out << w.EndObject().str() << '\n';
}

void PrintEntriesText(const Invocation& inv, const std::string& path, const std::string& ns,
                      const std::vector<Entry>& entries, bool more) {
  if (!inv.global.quiet) {
    inv.out << "store " << path << ", namespace " << ns << ": " << entries.size()
            << (entries.size() == 1 ? " key" : " keys") << (more ? " (more follow)" : "") << '\n';
  }
  if (entries.empty()) return;
  Table table({{"key", Table::Align::kLeft, 0},
               {"kind", Table::Align::kLeft, 0},
               {"bytes", Table::Align::kRight, 0},
               {"value", Table::Align::kLeft, kListValueWidth}});
  for (const Entry& e : entries) {
    table.AddRow({e.key, std::string(KindName(e.kind)), std::to_string(e.length),
                  e.kind == EK_VALUE_JSON ? e.json : "-"});
  }
  table.Print(inv.out);
  if (more) inv.out << "next page: --after '" << entries.back().key << "'\n";
}

int RunList(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0), ns = a.Positional(1);
  const size_t limit = a.UInt("limit", 0, 0, 1000000);
  Session session(inv.global);
  StorePtr store = session.OpenStore(path, Session::StoreAccess::kRead);
  bool more = false;
  const auto entries =
      ListEntries(store.get(), ns, a.Value("prefix").value_or(""), a.Value("after"), limit, &more);
  if (inv.global.json) {
    PrintEntriesJson(inv, path, ns, entries, more);
  } else {
    PrintEntriesText(inv, path, ns, entries, more);
  }
  return kExitOk;
}

// ---- get -----------------------------------------------------------------------------

int RunGet(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0), ns = a.Positional(1), key = a.Positional(2);
  const std::optional<std::string> output = a.Value("output");
  Session session(inv.global);
  StorePtr store = session.OpenStore(path, Session::StoreAccess::kRead);
  const Value v = ReadValue(store.get(), ns, key);
  if (output) WriteFile(*output, v.bytes);
  if (inv.global.json) {
    JsonWriter w;
    BeginReport(w, path, ns).Key("key").String(key).Key("kind").String(KindName(v.kind));
    w.Key("length").UInt(v.bytes.size());
    if (output) {
      w.Key("output").String(*output);
    } else if (v.kind == EK_VALUE_JSON) {
      w.Key("value").Raw(v.bytes);
    } else {
      w.Key("base64").String(Base64(v.bytes));
    }
    inv.out << w.EndObject().str() << '\n';
  } else if (output) {
    if (!inv.global.quiet) {
      inv.out << "wrote " << v.bytes.size() << " bytes (" << KindName(v.kind) << ") to " << *output << '\n';
    }
  } else if (v.kind == EK_VALUE_JSON) {
    inv.out << v.bytes << '\n';
  } else if (isatty(STDOUT_FILENO) == 1) {
    throw RuntimeError("'" + key + "' is a blob of " + std::to_string(v.bytes.size()) +
                       " bytes; give --output FILE or redirect stdout to write its bytes");
  } else {
    inv.out.write(v.bytes.data(), static_cast<std::streamsize>(v.bytes.size()));
  }
  return kExitOk;
}

// ---- put, delete, delete-prefix ------------------------------------------------------

int RunPut(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  const std::string path = a.Positional(0), ns = a.Positional(1), key = a.Positional(2);
  const std::optional<std::string> json = a.Value("value"), blob = a.Value("blob");
  if (json.has_value() == blob.has_value()) {
    throw UsageError("give the value as exactly one of --value JSON or --blob FILE", a.command());
  }
  const Value v = json ? Value{*json, EK_VALUE_JSON} : Value{ReadBlobFile(*blob), EK_VALUE_BLOB};
  Session session(inv.global);
  StorePtr store = session.OpenStore(path, Session::StoreAccess::kCreateOrUndo);
  Check(ek_store_kv_put(store.get(), ns.c_str(), key.c_str(), v.bytes.data(), v.bytes.size(), v.kind),
        "ek_store_kv_put");
  if (inv.global.json) {
    JsonWriter w;
    BeginReport(w, path, ns).Key("key").String(key).Key("kind").String(KindName(v.kind));
    inv.out << w.Key("length").UInt(v.bytes.size()).EndObject().str() << '\n';
  } else if (!inv.global.quiet) {
    inv.out << "stored " << ns << " " << key << ": " << KindName(v.kind) << ", " << v.bytes.size()
            << " bytes\n";
  }
  return kExitOk;
}

// delete and delete-prefix: how many keys went, reported the same way.
int ReportDeleted(const Invocation& inv, const std::string& what, const std::string& text,
                  size_t deleted) {
  const ParsedArgs& a = inv.args;
  if (inv.global.json) {
    JsonWriter w;
    BeginReport(w, a.Positional(0), a.Positional(1)).Key(what).String(text);
    inv.out << w.Key("deleted").UInt(deleted).EndObject().str() << '\n';
  } else if (!inv.global.quiet) {
    inv.out << "deleted " << deleted << (deleted == 1 ? " key" : " keys") << " (" << what << " '"
            << text << "' in " << a.Positional(1) << ")\n";
  }
  return kExitOk;
}

int RunDelete(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  Session session(inv.global);
  StorePtr store = session.OpenStore(a.Positional(0), Session::StoreAccess::kWrite);
  size_t deleted = 0;
  Check(ek_store_kv_delete(store.get(), a.Positional(1).c_str(), a.Positional(2).c_str(), &deleted),
        "ek_store_kv_delete");
  return ReportDeleted(inv, "key", a.Positional(2), deleted);
}

int RunDeletePrefix(const Invocation& inv) {
  const ParsedArgs& a = inv.args;
  Session session(inv.global);
  StorePtr store = session.OpenStore(a.Positional(0), Session::StoreAccess::kWrite);
  size_t deleted = 0;
  Check(ek_store_kv_delete_prefix(store.get(), a.Positional(1).c_str(), a.Positional(2).c_str(),
                                  &deleted),
        "ek_store_kv_delete_prefix");
  return ReportDeleted(inv, "prefix", a.Positional(2), deleted);
}

// ---- specs ---------------------------------------------------------------------------

constexpr PositionalSpec kStoreArg{"STORE", "SQLite store file (must exist, except for put)"};
constexpr PositionalSpec kNamespaceArg{
    "NAMESPACE", "the owner's id: 'myapp', or a plugin's ('embedkit.vsa_json')"};
constexpr PositionalSpec kKeyArg{"KEY", "the key (1..512 bytes of UTF-8)"};

const CommandSpec kListSpec{
    .path = "store kv list",
    .summary = "list the keys of a namespace of a store's key/value state, with their values",
    .positionals = {kStoreArg, kNamespaceArg},
    .options = {{"prefix", 'p', "PREFIX", "only keys starting with PREFIX"},
                {"after", 0, "KEY", "only keys after KEY (the next page: the last key seen)"},
                {"limit", 'n', "N", "at most N keys (default 0 = all)"}},
    .details = "Keys sort bytewise. The store is opened read-only. JSON values are shown (cut to\n"
               "60 characters; --json gives them whole), blobs by their length. With --limit,\n"
               "--json's next_after is the --after of the next page (null on the last one).",
    .examples = "embedkit store kv list countries.db embedkit.vsa_json\n"
                "embedkit --json store kv list app.db myapp --prefix runs/ --limit 100",
};

const CommandSpec kGetSpec{
    .path = "store kv get",
    .summary = "print the value of a key (JSON as stored, a blob's bytes)",
    .positionals = {kStoreArg, kNamespaceArg, kKeyArg},
    .options = {{"output", 'o', "FILE", "write the value's bytes to FILE instead"}},
    .details = "The store is opened read-only. A blob is written to stdout as it is (refused\n"
               "when stdout is a terminal); --json gives it as base64. A missing key fails\n"
               "with EK_ERR_NOT_FOUND.",
    .examples = "embedkit store kv get countries.db embedkit.vsa_json countries/config\n"
                "embedkit store kv get app.db myapp weights -o weights.bin",
};

const CommandSpec kPutSpec{
    .path = "store kv put",
    .summary = "store a JSON value or a file's bytes under a key",
    .positionals = {kStoreArg, kNamespaceArg, kKeyArg},
    .options = {{"value", 0, "JSON", "the value: one JSON text (any type), checked"},
                {"blob", 0, "FILE", "the value: the bytes of FILE (at most 256 MiB)"}},
    .details = "Give exactly one of --value and --blob. The key's old value is replaced. The\n"
               "store is created if missing (and removed again if the put fails). Namespaces\n"
               "starting 'ek.' are reserved for embedkit.",
    .examples = "embedkit store kv put app.db myapp settings --value '{\"theme\":\"dark\"}'\n"
                "embedkit store kv put app.db myapp weights --blob weights.bin",
};

const CommandSpec kDeleteSpec{
    .path = "store kv delete",
    .summary = "delete a key (a missing key deletes nothing and is not an error)",
    .positionals = {kStoreArg, kNamespaceArg, kKeyArg},
    .options = {},
    .details = "Prints how many keys were deleted: 1, or 0 when there was none.",
    .examples = "embedkit store kv delete app.db myapp settings",
};

const CommandSpec kDeletePrefixSpec{
    .path = "store kv delete-prefix",
    .summary = "delete every key of a namespace starting with a prefix",
    .positionals = {kStoreArg, kNamespaceArg,
                    {"PREFIX", "keys starting with PREFIX; '' deletes the whole namespace"}},
    .options = {},
    .details = "One transaction: all of them go, or none. Prints how many were deleted.",
    .examples = "embedkit store kv delete-prefix app.db myapp runs/\n"
                "embedkit store kv delete-prefix app.db myapp ''",
};

}  // namespace

const Command& StoreKvListCommand() {
  static const Command command{&kListSpec, &RunList};
  return command;
}

const Command& StoreKvGetCommand() {
  static const Command command{&kGetSpec, &RunGet};
  return command;
}

const Command& StoreKvPutCommand() {
  static const Command command{&kPutSpec, &RunPut};
  return command;
}

const Command& StoreKvDeleteCommand() {
  static const Command command{&kDeleteSpec, &RunDelete};
  return command;
}

const Command& StoreKvDeletePrefixCommand() {
  static const Command command{&kDeletePrefixSpec, &RunDeletePrefix};
  return command;
}

}  // namespace ek::cli
