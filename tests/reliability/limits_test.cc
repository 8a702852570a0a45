// Hostile sizes through the public API, each run in a child process so its peak
// memory (ru_maxrss) can be bounded:
//   - 100 MB config / metadata / filter JSON  -> EK_ERR_LIMIT, no parse attempted;
//   - 100,000-deep nesting                    -> EK_ERR_PARSE "nesting deeper than 1024";
//   - a document just under the limit         -> accepted within bounded memory;
//   - a store file forged with SQLite to claim a 10 GB collection (dim 65536 x
//     41,000 rows of 4-byte blobs) and one claiming dim 2^40 -> EK_ERR_CORRUPT
//     with the reason, under a 3 GB address-space limit.
#include <embedkit/embedkit.h>
#include <embedkit/ext/matcher.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "scratch.h"
#include "subprocess.h"

namespace {

using ek::test::Exit;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

struct ChildResult {
  ek_status status = -1;
  std::string message;
  long max_rss_mib = 0;
};

// A message the child's body sets for calls that do not report through
// ek_last_error() (plugin extension tables report through their own last_error).
std::string g_child_message;

// Runs `body` in a forked child; it returns a status, and ek_last_error() (or
// g_child_message when the body set it) travels back.
ChildResult InChild(const std::function<ek_status()>& body, size_t address_space_limit = 0) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (address_space_limit) {
      struct rlimit rl {address_space_limit, address_space_limit};
      setrlimit(RLIMIT_AS, &rl);
    }
    const ek_status s = body();
    const std::string line = std::to_string(s) + " " +
                             (s == EK_OK ? "" : g_child_message.empty() ? ek_last_error() : g_child_message);
    (void)!write(fds[1], line.data(), line.size());
    _exit(0);
  }
  close(fds[1]);
  ek::test::Child c{pid, fds[0]};
  const std::string out = ek::test::ReadOut(c, true);
  const Exit e = ek::test::Wait(c);
  ChildResult r;
  r.max_rss_mib = e.max_rss_kib / 1024;
  EXPECT_EQ(e.code(), 0) << "child died (status " << e.status << ")";
  const size_t sp = out.find(' ');
  if (sp != std::string::npos) {
    r.status = std::stoi(out.substr(0, sp));
    r.message = out.substr(sp + 1);
  }
  return r;
}

struct Handles {
  ek_context* ctx = nullptr;
  ek_store* store = nullptr;
  ek_collection* col = nullptr;
  Handles() {
    ek_context_options co;
    ek_context_options_init(&co);
    co.num_threads = 1;
    co.no_bundled_plugins = 1;
    ek_context_create(&co, &ctx);
    const std::string fixture = std::string(EK_FIXTURE_DIR) + "/fixture_ok.so";
    ek_plugin_load(ctx, fixture.c_str(), nullptr);
    ek_store_open(ctx, ":memory:", nullptr, &store);
    ek_collection_create(store, "c", 2, EK_METRIC_DOT, &col);
  }
  ~Handles() {
    ek_collection_free(col);
    ek_store_free(store);
    ek_context_free(ctx);
  }
  ek_status Config(const std::string& json) {
    ek_instance* inst = nullptr;
    const ek_status s = ek_instance_create(ctx, "test.fixture", json.c_str(), &inst);
    ek_instance_free(inst);
    return s;
  }
  ek_status Metadata(const std::string& json) {
    const char* id = "x";
    const char* meta = json.c_str();
    const float v[2] = {1, 2};
    ek_upsert_batch b{};
    b.struct_size = sizeof b;
    b.count = 1;
    b.ids = &id;
    b.vectors = v;
    b.dim = 2;
    b.metadata_json = &meta;
    return ek_collection_upsert(col, &b);
  }
  ek_status Filter(const std::string& json) {
    ek_search_options so;
    ek_search_options_init(&so);
    so.filter_json = json.c_str();
    const float q[2] = {1, 0};
    ek_results* r = nullptr;
    const ek_status s = ek_collection_search(col, q, 1, 2, &so, &r);
    ek_results_free(r);
    return s;
  }
};

// {"k":"xxxx..."} of exactly `bytes` bytes.
std::string BigObject(size_t bytes) {
  std::string s = "{\"k\":\"";
  s.append(bytes - s.size() - 2, 'x');
  s += "\"}";
  return s;
}

std::string Deep(size_t depth, bool closed) {
  std::string s = "{\"a\":";
  s.append(depth, '[');
  if (closed) s.append(depth, ']');
  s += closed ? "}" : "";
  return s;
}

constexpr size_t k100MB = size_t{100} << 20;

TEST(Limits, HundredMegabyteJsonFailsWithLimitBeforeParsing) {
  const char* names[] = {"config_json", "metadata_json", "filter_json"};
  for (int which = 0; which < 3; ++which) {
    const ChildResult r = InChild([which] {
      const std::string doc = BigObject(k100MB);
      Handles h;
      return which == 0 ? h.Config(doc) : which == 1 ? h.Metadata(doc) : h.Filter(doc);
    });
    EXPECT_EQ(r.status, EK_ERR_LIMIT) << names[which] << ": " << r.message;
    EXPECT_NE(r.message.find("104857600 bytes of JSON; the limit is 16777216 bytes"),
              std::string::npos)
        << r.message;
    // The document itself (twice: the string and the API's copy) plus the library.
    if (!kSanitized) {
      EXPECT_LT(r.max_rss_mib, 320) << names[which];
    }
    std::printf("[limits] 100 MB %s: %s, peak RSS %ld MiB\n", names[which], r.message.c_str(),
                r.max_rss_mib);
  }
}

// A million-column schema for table_match: refused at the configured column limit
// (default 100,000 per side) with the key named, in bounded memory.
TEST(Limits, MillionColumnSchemaFailsAtTheColumnLimitInBoundedMemory) {
  const ChildResult r = InChild([] {
    std::string ddl = "CREATE TABLE wide (";
    for (int i = 0; i < 1000000; ++i) ddl += (i ? ", c" : "c") + std::to_string(i) + " INT";
    ddl += ");";
    ek_context_options o;
    ek_context_options_init(&o);
    o.plugin_path = "";
    ek_context* ctx = nullptr;
    if (ek_context_create(&o, &ctx) != EK_OK) return ek_status(-2);
    ek_instance* inst = nullptr;
    if (ek_instance_create(ctx, "embedkit.table_match", "{\"wordvec\":\"none\"}", &inst) != EK_OK)
      return ek_status(-3);
    const ek_matcher_ext* m = nullptr;
    ek_instance_get_extension(inst, EK_EXT_MATCHER, reinterpret_cast<const void**>(&m));
    void* self = ek_instance_plugin_data(inst);
    // (A failed load leaving the side as it was is asserted by tests/plugins/table_match
    // and fuzz_table_match.)
    const ek_status s = m->load(self, EK_MATCHER_SOURCE, ddl.data(), ddl.size(), EK_MATCHER_FORMAT_SQL_DDL);
    g_child_message = m->last_error(self);
    return s;
  });
  EXPECT_EQ(r.status, EK_ERR_LIMIT) << r.message;
  EXPECT_NE(r.message.find("max_columns"), std::string::npos) << r.message;
  if (!kSanitized) {
    EXPECT_LT(r.max_rss_mib, 400);
  }
  std::printf("[limits] 1,000,000-column DDL: %s, peak RSS %ld MiB\n", r.message.c_str(), r.max_rss_mib);
}

TEST(Limits, DocumentJustUnderTheLimitWorksInBoundedMemory) {
  const ChildResult r = InChild([] {
    Handles h;
    return h.Metadata(BigObject((size_t{16} << 20) - 1));
  });
  EXPECT_EQ(r.status, EK_OK) << r.message;
  if (!kSanitized) {
    EXPECT_LT(r.max_rss_mib, 600);
  }
  std::printf("[limits] 16 MiB - 1 metadata accepted, peak RSS %ld MiB\n", r.max_rss_mib);
}

TEST(Limits, HundredThousandDeepNestingFailsWithTheReason) {
  for (bool closed : {true, false}) {
    for (int which = 0; which < 3; ++which) {
      const ChildResult r = InChild([which, closed] {
        const std::string doc = Deep(100000, closed);
        Handles h;
        return which == 0 ? h.Config(doc) : which == 1 ? h.Metadata(doc) : h.Filter(doc);
      });
      EXPECT_EQ(r.status, EK_ERR_PARSE) << r.message;
      EXPECT_NE(r.message.find("nesting deeper than 1024 levels at byte 1028"), std::string::npos)
          << r.message;
      if (!kSanitized) {
        EXPECT_LT(r.max_rss_mib, 200);
      }
      if (which == 0)
        std::printf("[limits] 100000-deep %s: %s, peak RSS %ld MiB\n",
                    closed ? "closed" : "unclosed", r.message.c_str(), r.max_rss_mib);
    }
  }
  // 1024 levels are fine.
  Handles h;
  EXPECT_EQ(h.Metadata(Deep(1023, true)), EK_OK) << ek_last_error();
}

void Sql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "") << sql;
}

// Creates a store with collection `big` (dim 65536) through the API, then forges
// 41,000 rows of 4-byte vectors with SQLite: the file claims 41,000 x 256 KiB = 10 GiB.
std::string ForgeTenGigabyteStore() {
  const std::string path = ek::test::FreshScratchFile("forged_10gb.ekdb");
  {
    Handles h;
    ek_store* s = nullptr;
    ek_collection* c = nullptr;
    EXPECT_EQ(ek_store_open(h.ctx, path.c_str(), nullptr, &s), EK_OK) << ek_last_error();
    EXPECT_EQ(ek_collection_create(s, "big", 65536, EK_METRIC_L2, &c), EK_OK) << ek_last_error();
    ek_collection_free(c);
    ek_store_free(s);
  }
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  Sql(db,
      "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 40999) "
      "INSERT INTO vectors (collection_id, id, vector, metadata) "
      "SELECT (SELECT id FROM collections WHERE name = 'big'), 'r' || i, x'00000000', NULL FROM n;"
      "UPDATE collections SET generation = generation + 1 WHERE name = 'big';");
  sqlite3_close(db);
  return path;
}

TEST(Limits, ForgedTenGigabyteCollectionFailsClearlyInBoundedMemory) {
  const std::string path = ForgeTenGigabyteStore();
  // Search, list and get load the collection; each must fail with the reason.
  for (int op = 0; op < 3; ++op) {
    const ChildResult r = InChild(
        [&path, op]() -> ek_status {
          ek_context* ctx = nullptr;
          ek_context_options co;
          ek_context_options_init(&co);
          co.num_threads = 1;
          ek_context_create(&co, &ctx);
          ek_store* s = nullptr;
          ek_status st = ek_store_open(ctx, path.c_str(), nullptr, &s);
          if (st != EK_OK) return st;
          ek_collection* c = nullptr;
          if ((st = ek_collection_open(s, "big", &c)) != EK_OK) return st;
          ek_results* res = nullptr;
          if (op == 0) {
            std::vector<float> q(65536, 1.f);
            st = ek_collection_search(c, q.data(), 1, q.size(), nullptr, &res);
          } else if (op == 1) {
            st = ek_collection_list(c, 0, 10, 0, &res);
          } else {
            uint64_t n = 0;  // counting needs no load
            st = ek_collection_count(c, &n);
            if (st == EK_OK && n != 41000) return EK_ERR_INTERNAL;
            if (st == EK_OK) st = ek_collection_search(c, std::vector<float>(65536).data(), 1,
                                                       65536, nullptr, &res);
          }
          ek_results_free(res);
          ek_collection_free(c);
          ek_store_free(s);
          ek_context_free(ctx);
          return st;
        },
        kSanitized ? 0 : size_t{3} << 30);
    EXPECT_EQ(r.status, EK_ERR_CORRUPT) << r.message;
    EXPECT_NE(r.message.find("has a vector of 4 bytes; dim 65536 needs 262144"), std::string::npos)
        << r.message;
    if (!kSanitized) {
      EXPECT_LT(r.max_rss_mib, 400);
    }
    std::printf("[limits] forged 10 GB collection, op %d: %s, peak RSS %ld MiB\n", op,
                r.message.c_str(), r.max_rss_mib);
  }
}

TEST(Limits, ForgedCollectionWithDimBeyondTheSchemaFailsClearly) {
  const std::string path = ek::test::FreshScratchFile("forged_dim.ekdb");
  Handles h;
  ek_store* s = nullptr;
  ek_collection* c = nullptr;
  ASSERT_EQ(ek_store_open(h.ctx, path.c_str(), nullptr, &s), EK_OK) << ek_last_error();
  ASSERT_EQ(ek_collection_create(s, "ok", 4, EK_METRIC_L2, &c), EK_OK);
  ek_collection_free(c);
  ek_store_free(s);
  s = nullptr;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // A collection claiming dim 2^40, past the schema's CHECK.
  Sql(db, "PRAGMA ignore_check_constraints = ON;"
          "INSERT INTO collections (name, dim, metric, generation) VALUES ('huge', 1099511627776, 'l2', 0);");
  sqlite3_close(db);
  // Opened for writing, SQLite's quick_check finds the broken CHECK and refuses it.
  EXPECT_EQ(ek_store_open(h.ctx, path.c_str(), nullptr, &s), EK_ERR_CORRUPT);
  EXPECT_NE(std::string(ek_last_error()).find("CHECK constraint failed"), std::string::npos)
      << ek_last_error();
  ek_store_options ro{};
  ro.struct_size = sizeof ro;
  ro.read_only = 1;
  ASSERT_EQ(ek_store_open(h.ctx, path.c_str(), &ro, &s), EK_OK) << ek_last_error();
  ek_collection_info* infos = nullptr;
  size_t n = 0;
  EXPECT_EQ(ek_store_list_collections(s, &infos, &n), EK_ERR_CORRUPT);
  EXPECT_NE(std::string(ek_last_error()).find("'huge' has an invalid dim or metric"),
            std::string::npos)
      << ek_last_error();
  ek_collection_infos_free(infos, n);
  ek_store_free(s);
}

}  // namespace
