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
// usage: ek_store_writer STORE RUN MAX_BATCHES ROWS DIM
#include <embedkit/embedkit.h>

#include <unistd.h>

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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s STORE RUN MAX_BATCHES ROWS DIM\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const long run = std::atol(argv[2]);
  const long max_batches = std::atol(argv[3]);
  const size_t rows = std::strtoul(argv[4], nullptr, 10);
  const size_t dim = std::strtoul(argv[5], nullptr, 10);

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
  ek_collection* col = nullptr;
  if (ek_collection_create(store, "crash", static_cast<uint32_t>(dim), EK_METRIC_L2, &col) != EK_OK)
    Die("ek_collection_create");

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
        vectors[i * dim + j] = static_cast<float>(version * 1000 + b) + 0.001f * float(i * dim + j);
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

  for (long b = 0; b < max_batches; ++b) {
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
