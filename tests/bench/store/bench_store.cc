// Store write paths through the public C API, each next to the same work done with
// raw SQLite statements in the same run (the floor: a table shaped like the store's,
// one prepared statement per row, one transaction, secure_delete on as the store has
// it). Prints medians of the repetitions and the store/raw time ratio.
//
//   bench_store [--rows N] [--dim D] [--reps R] [--smoke]
//
//   upsert_new       N new rows in batches of 1,000 into an empty collection
//   upsert_existing  the same N rows again (every row replaced)
//   delete_5pct      5% of the N rows, one call, ids in random order
// In-memory stores (":memory:"): the figures are CPU cost, not disk I/O.
#include <embedkit/embedkit.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

void Check(ek_status s, const char* what) {
  if (s != EK_OK) {
    std::fprintf(stderr, "%s: %s\n", what, ek_last_error());
    std::exit(1);
  }
}

void CheckSql(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

struct Data {
  size_t rows, dim;
  std::vector<std::string> ids;
  std::vector<const char*> id_ptrs;
  std::vector<float> vectors;
  std::vector<size_t> forget;  // rows to delete, random order
};

Data MakeData(size_t rows, size_t dim) {
  Data d{rows, dim, {}, {}, {}, {}};
  uint64_t s = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  };
  for (size_t r = 0; r < rows; ++r) d.ids.push_back("user" + std::to_string(r) + "\x1fitem" + std::to_string(next() % 100000));
  for (auto& id : d.ids) d.id_ptrs.push_back(id.c_str());
  d.vectors.resize(rows * dim);
  for (float& v : d.vectors) v = float(int32_t(uint32_t(next() >> 32))) * (1.0f / 2147483648.0f);
  std::vector<size_t> order(rows);
  for (size_t r = 0; r < rows; ++r) order[r] = r;
  for (size_t r = rows; r > 1; --r) std::swap(order[r - 1], order[next() % r]);
  order.resize(std::max<size_t>(1, rows / 20));
  d.forget = order;
  return d;
}

// ---- embedkit ----------------------------------------------------------------------------
struct EkRun {
  ek_context* ctx = nullptr;
  ek_store* store = nullptr;
  ek_collection* coll = nullptr;
  explicit EkRun(ek_context* c, size_t dim) : ctx(c) {
    Check(ek_store_open(ctx, ":memory:", nullptr, &store), "ek_store_open");
    Check(ek_collection_create(store, "bench", uint32_t(dim), EK_METRIC_DOT, &coll), "ek_collection_create");
  }
  ~EkRun() {
    ek_collection_free(coll);
    ek_store_free(store);
  }
  void Upsert(const Data& d) {
    for (size_t at = 0; at < d.rows; at += 1000) {
      ek_upsert_batch b;
      std::memset(&b, 0, sizeof b);
      b.struct_size = sizeof b;
      b.count = std::min<size_t>(1000, d.rows - at);
      b.ids = d.id_ptrs.data() + at;
      b.vectors = d.vectors.data() + at * d.dim;
      b.dim = uint32_t(d.dim);
      Check(ek_collection_upsert(coll, &b), "ek_collection_upsert");
    }
  }
  void Delete(const Data& d) {
    std::vector<const char*> ids;
    for (size_t r : d.forget) ids.push_back(d.id_ptrs[r]);
    size_t gone = 0;
    Check(ek_collection_delete(coll, ids.data(), ids.size(), &gone), "ek_collection_delete");
    if (gone != ids.size()) {
      std::fprintf(stderr, "deleted %zu of %zu\n", gone, ids.size());
      std::exit(1);
    }
  }
};

// ---- raw SQLite: the same rows, the store's table shape -----------------------------------
struct RawRun {
  sqlite3* db = nullptr;
  RawRun() {
    CheckSql(sqlite3_open(":memory:", &db), db, "open");
    Exec("PRAGMA secure_delete=ON");
    Exec("CREATE TABLE vectors (row INTEGER PRIMARY KEY, collection_id INTEGER NOT NULL, id TEXT NOT NULL, "
         "vector BLOB NOT NULL, metadata TEXT, UNIQUE (collection_id, id))");
  }
  ~RawRun() { sqlite3_close(db); }
  void Exec(const char* sql) { CheckSql(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql); }
  void PerRow(const char* sql, const Data& d, const std::vector<size_t>& rows, bool bind_vector) {
    Exec("BEGIN IMMEDIATE");
    sqlite3_stmt* st = nullptr;
    CheckSql(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), db, sql);
    for (size_t r : rows) {
      sqlite3_bind_int64(st, 1, 1);
      sqlite3_bind_text(st, 2, d.id_ptrs[r], -1, SQLITE_STATIC);
      if (bind_vector) sqlite3_bind_blob(st, 3, d.vectors.data() + r * d.dim, int(d.dim * sizeof(float)), SQLITE_STATIC);
      CheckSql(sqlite3_step(st), db, sql);
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    Exec("COMMIT");
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 44000, dim = 64;
  int reps = 7;
  for (int a = 1; a < argc; ++a) {
    if (!std::strcmp(argv[a], "--rows") && a + 1 < argc) rows = std::strtoull(argv[++a], nullptr, 10);
    else if (!std::strcmp(argv[a], "--dim") && a + 1 < argc) dim = std::strtoull(argv[++a], nullptr, 10);
    else if (!std::strcmp(argv[a], "--reps") && a + 1 < argc) reps = std::atoi(argv[++a]);
    else if (!std::strcmp(argv[a], "--smoke")) rows = 2000, reps = 1;
  }
  const Data d = MakeData(rows, dim);
  std::vector<size_t> all(rows);
  for (size_t r = 0; r < rows; ++r) all[r] = r;
  ek_context_options o;
  ek_context_options_init(&o);
  o.num_threads = 1;
  o.log_level = EK_LOG_ERROR;
  ek_context* ctx = nullptr;
  Check(ek_context_create(&o, &ctx), "ek_context_create");

  enum { kNew, kExisting, kDelete, kCases };
  const char* names[kCases] = {"upsert_new", "upsert_existing", "delete_5pct"};
  std::vector<double> ek[kCases], raw[kCases];
  auto time = [](const std::function<void()>& f) {
    const auto t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (int rep = 0; rep < reps; ++rep) {
    {
      EkRun e(ctx, dim);
      ek[kNew].push_back(time([&] { e.Upsert(d); }));
      ek[kExisting].push_back(time([&] { e.Upsert(d); }));
      ek[kDelete].push_back(time([&] { e.Delete(d); }));
    }
    {
      RawRun r;
      raw[kNew].push_back(time([&] {
        r.PerRow("INSERT INTO vectors (collection_id, id, vector) VALUES (?1, ?2, ?3)", d, all, true);
      }));
      raw[kExisting].push_back(time([&] {
        r.PerRow("UPDATE vectors SET vector = ?3 WHERE collection_id = ?1 AND id = ?2", d, all, true);
      }));
      raw[kDelete].push_back(time([&] {
        r.PerRow("DELETE FROM vectors WHERE collection_id = ?1 AND id = ?2", d, d.forget, false);
      }));
    }
  }
  std::printf("# %zu rows, dim %zu, %d repetitions (medians), in-memory\n", rows, dim, reps);
  std::printf("%-16s %12s %14s %14s %10s\n", "case", "rows", "embedkit r/s", "raw sqlite r/s", "ek / raw");
  for (int c = 0; c < kCases; ++c) {
    const double n = c == kDelete ? double(d.forget.size()) : double(rows);
    const double te = Median(ek[c]), tr = Median(raw[c]);
    std::printf("%-16s %12.0f %14.0f %14.0f %10.2f\n", names[c], n, n / te, n / tr, te / tr);
  }
  ek_context_free(ctx);
  return 0;
}
