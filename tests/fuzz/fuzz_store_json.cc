// libFuzzer target: store metadata and search filters through the public C API on an
// in-memory store. The input is split at the first 0x00 byte into metadata_json and
// filter_json (both then NUL-terminated C strings, as the API takes them).
// Invariants: no crash or leak; statuses are the documented ones; a failed call
// sets a message naming the function; a row whose metadata is accepted is readable
// back byte for byte; a filtered search returns only rows whose metadata passed.
#include <embedkit/embedkit.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s (last error: %s)\n", what, ek_last_error());
  std::abort();
}

struct Fixture {
  ek_context* ctx = nullptr;
  ek_store* store = nullptr;
  ek_collection* col = nullptr;
  Fixture() {
    ek_context_options co;
    ek_context_options_init(&co);
    co.num_threads = 1;
    co.no_bundled_plugins = 1;
    Check(ek_context_create(&co, &ctx) == EK_OK, "context");
    Check(ek_store_open(ctx, ":memory:", nullptr, &store) == EK_OK, "store");
    Check(ek_collection_create(store, "c", 3, EK_METRIC_L2, &col) == EK_OK, "collection");
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();  // lives for the whole run
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = F();
  const char* begin = reinterpret_cast<const char*>(data);
  const void* zero = std::memchr(begin, 0, size);
  const size_t split = zero ? static_cast<const char*>(zero) - begin : size;
  const std::string metadata(begin, split);
  const std::string filter = split < size ? std::string(begin + split + 1, size - split - 1) : "";

  // Few distinct ids so the store stays small: replace in place most of the time.
  const std::string id = "id" + std::to_string(size % 8);
  const char* ids[1] = {id.c_str()};
  const char* metas[1] = {metadata.c_str()};
  const float v[3] = {float(size % 5), 1.f, float(split % 3)};
  ek_upsert_batch b{};
  b.struct_size = sizeof b;
  b.count = 1;
  b.ids = ids;
  b.vectors = v;
  b.dim = 3;
  b.metadata_json = metas;
  const ek_status us = ek_collection_upsert(f.col, &b);
  Check(us == EK_OK || us == EK_ERR_PARSE || us == EK_ERR_LIMIT, "upsert status");
  if (us != EK_OK) {
    Check(std::strstr(ek_last_error(), "ek_collection_upsert: ") == ek_last_error(), "message");
  } else {
    char* back = nullptr;
    float out[3];
    size_t dim = 0;
    Check(ek_collection_get(f.col, id.c_str(), out, 3, &dim, &back) == EK_OK, "get");
    Check(back && metadata == back, "metadata not stored unchanged");
    ek_string_free(back);
  }

  ek_search_options so;
  ek_search_options_init(&so);
  so.k = 1 + size % 9;
  so.filter_json = filter.c_str();
  so.include_metadata = 1;
  ek_results* r = nullptr;
  const ek_status ss = ek_collection_search(f.col, v, 1, 3, &so, &r);
  Check(ss == EK_OK || ss == EK_ERR_PARSE || ss == EK_ERR_INVALID_ARGUMENT || ss == EK_ERR_LIMIT,
        "search status");
  if (ss == EK_OK) {
    Check(ek_results_query_count(r) == 1, "query count");
    const size_t hits = ek_results_hit_count(r, 0);
    Check(hits <= so.k, "more hits than k");
    for (size_t h = 0; h < hits; ++h) {
      ek_hit hit{};
      hit.struct_size = sizeof hit;
      Check(ek_results_hit(r, 0, h, &hit) == EK_OK, "hit");
      // With a non-empty filter only rows with metadata can match.
      if (!filter.empty() && filter.find_first_not_of(" \t\r\n{}") != std::string::npos)
        Check(hit.metadata_json != nullptr, "filtered hit without metadata");
    }
  } else {
    Check(std::strstr(ek_last_error(), "ek_collection_search: ") == ek_last_error(), "message");
  }
  ek_results_free(r);
  return 0;
}
