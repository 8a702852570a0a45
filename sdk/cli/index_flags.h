// The index flags `store create` and `store index` share (--index, --element, --m,
// --ef-construction, --ef-search, --rescore), read into ek_collection_options and
// checked here so that a bad value is a usage error naming the flag and its range,
// and the names the CLI prints for an ek_index_info.
#pragma once

#include <string_view>
#include <vector>

#include "args.h"
#include "embedkit/embedkit.h"
#include "json_writer.h"

namespace ek::cli {

// `own` followed by the shared index flags (for a CommandSpec's option list).
std::vector<OptionSpec> WithIndexOptionSpecs(std::vector<OptionSpec> own);

// `base` with the flags that were given applied (absent flags keep base's fields:
// zeros for a new collection, the current index for `store index`). Throws
// UsageError for a bad value, or for --m/--ef-construction/--ef-search when the
// resulting index is not hnsw.
ek_collection_options ApplyIndexFlags(const ParsedArgs& args, ek_collection_options base);

// True if any of the shared index flags was given.
bool HasIndexFlags(const ParsedArgs& args);

// The options an index was built with, as ek_collection_index_build takes them.
ek_collection_options OptionsOf(const ek_index_info& info);

// Fills and returns ek_collection_index_info_get's answer.
ek_index_info IndexInfo(ek_collection* collection);

std::string_view IndexKindName(ek_index_kind kind);      // "exact" | "hnsw"
std::string_view ElementName(ek_element_type element);   // "f32" | "f16" | "int8" | "bit"
std::string_view IndexStateName(uint32_t index_state);   // "ready" | "building"

// {"index", "element", "m", "ef_construction", "ef_search", "rescore", "state",
// "bytes_per_vector"} (m and the beams are 0 for an exact index).
void WriteIndexJson(JsonWriter& w, const ek_index_info& info);

}  // namespace ek::cli
