#include "index_flags.h"

#include <string>

#include "errors.h"
#include "session.h"

namespace ek::cli {
namespace {

// The library's ranges (docs/storage.md "Indexes"), checked here to name the flag.
constexpr uint64_t kMaxBeam = 65536;
constexpr uint64_t kMaxRescore = 1024;

ek_index_kind ParseIndexKind(const std::string& name, const std::string& command) {
  if (name == "exact") return EK_INDEX_EXACT;
  if (name == "hnsw") return EK_INDEX_HNSW;
  throw UsageError("--index must be exact or hnsw, got '" + name + "'", command);
}

ek_element_type ParseElement(const std::string& name, const std::string& command) {
  if (name == "f32") return EK_ELEMENT_F32;
  if (name == "f16") return EK_ELEMENT_F16;
  if (name == "int8") return EK_ELEMENT_INT8;
  if (name == "bit") return EK_ELEMENT_BIT;
  throw UsageError("--element must be f32, f16, int8 or bit, got '" + name + "'", command);
}

}  // namespace

std::vector<OptionSpec> WithIndexOptionSpecs(std::vector<OptionSpec> own) {
  own.insert(own.end(), {
      {"index", 0, "KIND", "exact (a scan of every row, the default) or hnsw (a graph)"},
      {"element", 0, "TYPE", "what scans and the graph read: f32 (default), f16, int8 or\n"
                             "bit (the f32 originals are always kept)"},
      {"m", 0, "N", "hnsw links per node, 2..255 (default 16)"},
      {"ef-construction", 0, "N", "hnsw build beam, 1..65536 (default 200)"},
      {"ef-search", 0, "N", "hnsw default search beam, 1..65536 (default 64)"},
      {"rescore", 0, "N", "default oversampling re-ranked with the f32 originals,\n"
                          "1..1024 (1 = none, the default)"},
  });
  return own;
}

bool HasIndexFlags(const ParsedArgs& a) {
  for (const char* name : {"index", "element", "m", "ef-construction", "ef-search", "rescore"}) {
    if (a.Has(name)) return true;
  }
  return false;
}

ek_collection_options ApplyIndexFlags(const ParsedArgs& a, ek_collection_options o) {
  if (auto kind = a.Value("index")) o.index = ParseIndexKind(*kind, a.command());
  if (auto element = a.Value("element")) o.element = ParseElement(*element, a.command());
  o.m = static_cast<uint32_t>(a.UInt("m", o.m, 2, 255));
  o.ef_construction = static_cast<uint32_t>(a.UInt("ef-construction", o.ef_construction, 1, kMaxBeam));
  o.ef_search = static_cast<uint32_t>(a.UInt("ef-search", o.ef_search, 1, kMaxBeam));
  o.rescore = static_cast<uint32_t>(a.UInt("rescore", o.rescore, 1, kMaxRescore));
  if (o.index != EK_INDEX_HNSW) {
    for (const char* name : {"m", "ef-construction", "ef-search"}) {
      if (a.Has(name)) {
        throw UsageError("--" + std::string(name) + " applies to an hnsw index only (add --index hnsw)",
                         a.command());
      }
    }
    // The graph parameters of an index being dropped are not carried over.
    o.m = o.ef_construction = o.ef_search = 0;
  }
  return o;
}

ek_collection_options OptionsOf(const ek_index_info& info) {
  ek_collection_options o;
  ek_collection_options_init(&o);
  o.index = info.index;
  o.element = info.element;
  o.m = info.m;
  o.ef_construction = info.ef_construction;
  o.ef_search = info.ef_search;
  o.rescore = info.rescore;
  return o;
}

ek_index_info IndexInfo(ek_collection* collection) {
  ek_index_info info = {};
  info.struct_size = sizeof info;
  Check(ek_collection_index_info_get(collection, &info), "ek_collection_index_info_get");
  return info;
}

std::string_view IndexKindName(ek_index_kind kind) {
  return kind == EK_INDEX_HNSW ? "hnsw" : kind == EK_INDEX_EXACT ? "exact" : "unknown";
}

std::string_view ElementName(ek_element_type element) {
  switch (element) {
    case EK_ELEMENT_F32: return "f32";
    case EK_ELEMENT_F16: return "f16";
    case EK_ELEMENT_INT8: return "int8";
    case EK_ELEMENT_BIT: return "bit";
    default: return "unknown";
  }
}

std::string_view IndexStateName(uint32_t index_state) {
  return index_state == 0 ? "ready" : "building";
}

void WriteIndexJson(JsonWriter& w, const ek_index_info& info) {
  w.BeginObject()
      .Key("index").String(IndexKindName(info.index))
      .Key("element").String(ElementName(info.element))
      .Key("m").UInt(info.m)
      .Key("ef_construction").UInt(info.ef_construction)
      .Key("ef_search").UInt(info.ef_search)
      .Key("rescore").UInt(info.rescore)
      .Key("state").String(IndexStateName(info.index_state))
      .Key("bytes_per_vector").UInt(info.bytes_per_vector)
      .EndObject();
}

}  // namespace ek::cli
