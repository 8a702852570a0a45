// plugin_host: a C++ host that loads a plugin module from a file (dlopen through
// ek_plugin_load), encodes texts with it, and searches them in a store. The embedkit
// handles live in std::unique_ptr with the library's free functions as deleters, and
// every failing call becomes an exception carrying ek_last_error().
//
//   plugin_host PLUGIN.so [TEXT...]     e.g. build/samples/plugin_template/trigram_hash.so
//
// Run by the test command (ctest sample_plugin_host) with the template plugin.
#include <embedkit/embedkit.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void Check(ek_status s, const char* what) {
  if (s != EK_OK) throw Failure(std::string(what) + ": " + ek_status_name(s) + ": " + ek_last_error());
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Context = std::unique_ptr<ek_context, Deleter<ek_context, ek_context_free>>;
using Instance = std::unique_ptr<ek_instance, Deleter<ek_instance, ek_instance_free>>;
using Store = std::unique_ptr<ek_store, Deleter<ek_store, ek_store_free>>;
using Collection = std::unique_ptr<ek_collection, Deleter<ek_collection, ek_collection_free>>;
using Results = std::unique_ptr<ek_results, Deleter<ek_results, ek_results_free>>;

std::vector<float> Encode(ek_instance* enc, const std::vector<std::string>& texts, size_t dim) {
  std::vector<ek_string_view> views;
  for (const auto& t : texts) views.push_back({t.data(), t.size()});
  std::vector<float> out(texts.size() * dim);
  Check(ek_encode(enc, views.data(), views.size(), out.data(), out.size(), nullptr), "ek_encode");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PLUGIN.so [TEXT...]\n", argv[0]);
    return 2;
  }
  try {
    ek_context_options o;
    ek_context_options_init(&o);
    o.plugin_path = "";  // only what this program loads explicitly
    ek_context* raw_ctx = nullptr;
    Check(ek_context_create(&o, &raw_ctx), "ek_context_create");
    Context ctx(raw_ctx);

    const char* plugin_id = nullptr;
    Check(ek_plugin_load(ctx.get(), argv[1], &plugin_id), "ek_plugin_load");
    const std::string id = plugin_id;
    std::printf("loaded %s from %s\n", id.c_str(), argv[1]);

    ek_instance* raw_inst = nullptr;
    Check(ek_instance_create(ctx.get(), id.c_str(), "{\"dim\": 128}", &raw_inst), "ek_instance_create");
    Instance enc(raw_inst);
    size_t dim = 0;
    Check(ek_encoder_dim(enc.get(), &dim), "ek_encoder_dim");

    std::vector<std::string> texts = {"vector databases store embeddings", "sqlite is an embedded database",
                                      "the cat sat on the mat", "embedding vectors for search"};
    for (int i = 2; i < argc; ++i) texts.push_back(argv[i]);
    const std::vector<float> vectors = Encode(enc.get(), texts, dim);

    ek_store* raw_store = nullptr;
    Check(ek_store_open(ctx.get(), ":memory:", nullptr, &raw_store), "ek_store_open");
    Store store(raw_store);
    ek_collection* raw_coll = nullptr;
    Check(ek_collection_create(store.get(), "texts", static_cast<uint32_t>(dim), EK_METRIC_COSINE, &raw_coll),
          "ek_collection_create");
    Collection coll(raw_coll);
    std::vector<std::string> ids;
    std::vector<const char*> id_ptrs;
    for (size_t i = 0; i < texts.size(); ++i) ids.push_back("t" + std::to_string(i));
    for (const auto& s : ids) id_ptrs.push_back(s.c_str());
    ek_upsert_batch batch{};
    batch.struct_size = sizeof batch;
    batch.count = ids.size();
    batch.ids = id_ptrs.data();
    batch.vectors = vectors.data();
    batch.dim = dim;
    Check(ek_collection_upsert(coll.get(), &batch), "ek_collection_upsert");

    const std::vector<float> query = Encode(enc.get(), {"embedded vector database"}, dim);
    ek_search_options so;
    ek_search_options_init(&so);
    so.k = 3;
    ek_results* raw_res = nullptr;
    Check(ek_collection_search(coll.get(), query.data(), 1, dim, &so, &raw_res), "ek_collection_search");
    Results res(raw_res);
    std::printf("closest to \"embedded vector database\":\n");
    for (size_t r = 0; r < ek_results_hit_count(res.get(), 0); ++r) {
      ek_hit h;
      h.struct_size = sizeof h;
      Check(ek_results_hit(res.get(), 0, r, &h), "ek_results_hit");
      const size_t row = std::stoul(std::string(h.id).substr(1));
      std::printf("  %zu. %.3f  %s\n", r + 1, h.score, texts[row].c_str());
    }
    // A wrong dimension is refused with a precise message, and nothing is stored.
    batch.dim = dim + 1;
    batch.count = 1;
    if (ek_collection_upsert(coll.get(), &batch) == EK_OK) throw Failure("a wrong dim was accepted");
    std::printf("refused as expected: %s\n", ek_last_error());
    std::printf("ok\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plugin_host: %s\n", e.what());
    return 1;
  }
}
