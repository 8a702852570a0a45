// Writer process for the crash-safety and multi-process tests: writes batches to one
// collection through the public C API only, and prints one line per acknowledged
// write on stdout (unbuffered, so a SIGKILL loses no acknowledgement that was
// printed):
//   ACK U <b>   batch b inserted: ids r<run>-b<b>-<i>, metadata {"run":..,"batch":b,"i":i,"v":1}
//   ACK R <b>   batch b replaced whole (same ids, new vectors, "v":2)
//   ACK D <b>   batch b deleted whole
// Every batch is one ek_collection_upsert / ek_collection_delete call, i.e. one
// transaction: a reader must see each batch complete (one "v" for all rows) or not
// at all.
//
// MODE (default "exact") picks the collection:
//   exact  an exact f32 collection (ek_collection_create), vectors along the diagonal;
//   hnsw   an hnsw collection (m 8, ef_construction 40), vectors pseudo-random from
//          (run, batch, version, row), so that every row's nearest neighbour is itself;
//   build  opens that hnsw collection and rebuilds its index over and over
//          (ek_collection_index_build), printing "ACK B <n>" after each build; it
//          writes no rows.
//
// usage: ek_store_writer STORE RUN MAX_BATCHES ROWS DIM [MODE]
#include <embedkit/embedkit.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void Say(const char* kind, long b) {
  char line[64];
  const int n = std::snprintf(line, sizeof line, "ACK %s %ld\n", kind, b);
  if (write(1, line, static_cast<size_t>(n)) != n) std::_Exit(3);
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "ek_store_writer: %s: %s\n", what, ek_last_error());
  std::exit(2);
}

// Uniform [-1, 1) from a hash of the row's coordinates (splitmix64 finaliser).
float RowComponent(long run, long b, int version, size_t i, size_t j) {
  uint64_t x = (static_cast<uint64_t>(run) << 48) ^ (static_cast<uint64_t>(b) << 24) ^
               (static_cast<uint64_t>(version) << 20) ^ (i << 10) ^ j;
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<float>(static_cast<int32_t>(x >> 32)) / 2147483648.0f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: %s STORE RUN MAX_BATCHES ROWS DIM [exact|hnsw|build]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const long run = std::atol(argv[2]);
  const long max_batches = std::atol(argv[3]);
  const size_t rows = std::strtoul(argv[4], nullptr, 10);
  const size_t dim = std::strtoul(argv[5], nullptr, 10);
  const std::string mode = argc == 7 ? argv[6] : "exact";
  if (mode != "exact" && mode != "hnsw" && mode != "build") Die("unknown mode");

  ek_context_options co;
  ek_context_options_init(&co);
  co.num_threads = 1;
  ek_context* ctx = nullptr;
  if (ek_context_create(&co, &ctx) != EK_OK) Die("ek_context_create");
  ek_store_options so;
  ek_store_options_init(&so);
  so.busy_timeout_ms = 20000;
  ek_store* store = nullptr;
  if (ek_store_open(ctx, path.c_str(), &so, &store) != EK_OK) Die("ek_store_open");
  ek_collection_options index;
  ek_collection_options_init(&index);
  index.index = EK_INDEX_HNSW;
  index.m = 8;
  index.ef_construction = 40;
  ek_collection* col = nullptr;
  if (ek_collection_create_with(store, "crash", static_cast<uint32_t>(dim), EK_METRIC_L2,
                                mode == "exact" ? nullptr : &index, &col) != EK_OK)
    Die("ek_collection_create_with");
  if (mode == "build") {
    for (long n = 0; n < max_batches; ++n) {
      if (ek_collection_index_build(col, nullptr) != EK_OK) Die("ek_collection_index_build");
      Say("B", n);
    }
  }

  std::vector<std::string> ids(rows), meta(rows);
  std::vector<const char*> id_ptrs(rows), meta_ptrs(rows);
  std::vector<float> vectors(rows * dim);
  auto fill = [&](long b, int version) {
    for (size_t i = 0; i < rows; ++i) {
      ids[i] = "r" + std::to_string(run) + "-b" + std::to_string(b) + "-" + std::to_string(i);
      meta[i] = "{\"run\":" + std::to_string(run) + ",\"batch\":" + std::to_string(b) +
                ",\"i\":" + std::to_string(i) + ",\"v\":" + std::to_string(version) + "}";
      id_ptrs[i] = ids[i].c_str();
      meta_ptrs[i] = meta[i].c_str();
      for (size_t j = 0; j < dim; ++j)
        vectors[i * dim + j] = mode == "exact"
                                   ? static_cast<float>(version * 1000 + b) + 0.001f * float(i * dim + j)
                                   : RowComponent(run, b, version, i, j);
    }
  };
  auto upsert = [&](long b, int version) {
    fill(b, version);
    ek_upsert_batch batch{};
    batch.struct_size = sizeof batch;
    batch.count = rows;
    batch.ids = id_ptrs.data();
    batch.vectors = vectors.data();
    batch.dim = dim;
    batch.metadata_json = meta_ptrs.data();
    if (ek_collection_upsert(col, &batch) != EK_OK) Die("ek_collection_upsert");
  };

  for (long b = 0; mode != "build" && b < max_batches; ++b) {
    upsert(b, 1);
    Say("U", b);
    if (b % 3 == 2) {  // replace the previous batch whole
      upsert(b - 1, 2);
      Say("R", b - 1);
    }
    if (b % 5 == 4) {  // delete an older batch whole
      fill(b - 4, 1);
      size_t deleted = 0;
      if (ek_collection_delete(col, id_ptrs.data(), rows, &deleted) != EK_OK)
        Die("ek_collection_delete");
      Say("D", b - 4);
    }
  }
  ek_collection_free(col);
  ek_store_free(store);
  ek_context_free(ctx);
  return 0;
}
