// Key/value state through the C API (ek_store_kv_*) and through the ek_host table a
// plugin gets (fixture_host_probe lends its host to the test), the nested
// store_begin of ABI 1.1, and the upgrade of a version 1 store file
// (tests/fixture/store_v1, written by the release before the key/value table).
#include <embedkit/embedkit.h>
#include <embedkit/plugin.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

namespace fs = std::filesystem;

using ek::test::TempDir;

// One context and the stores a test opens (a private in-memory one by default).
class Kv : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(ek_context_create(nullptr, &ctx_), EK_OK) << ek_last_error(); }
  void TearDown() override {
    for (ek_store* s : stores_) ek_store_free(s);
    ek_context_free(ctx_);
  }
  ek_store* Open(const std::string& path = ":memory:", bool read_only = false) {
    ek_store_options o;
    ek_store_options_init(&o);
    o.read_only = read_only ? 1 : 0;
    ek_store* s = nullptr;
    EXPECT_EQ(ek_store_open(ctx_, path.c_str(), &o, &s), EK_OK) << ek_last_error();
    if (s) stores_.push_back(s);
    return s;
  }
  static ek_status Put(ek_store* s, const char* key, const std::string& value,
                       ek_value_kind kind = EK_VALUE_JSON, const char* ns = "test") {
    return ek_store_kv_put(s, ns, key, value.data(), value.size(), kind);
  }
  // The value of `key`, or "<missing>".
  static std::string Get(ek_store* s, const char* key, const char* ns = "test") {
    size_t n = 0;
    if (ek_store_kv_get(s, ns, key, nullptr, 0, &n, nullptr) != EK_OK) return "<missing>";
    std::string out(n, '\0');
    EXPECT_EQ(ek_store_kv_get(s, ns, key, out.data(), out.size(), &n, nullptr), EK_OK);
    return out;
  }
  // The keys (and values, "key=value", when asked) of one kv_list call.
  static std::vector<std::string> List(ek_store* s, const char* prefix, const char* after,
                                       size_t limit, bool values = false) {
    ek_results* r = nullptr;
    EXPECT_EQ(ek_store_kv_list(s, "test", prefix, after, limit, values ? 1 : 0, &r), EK_OK)
        << ek_last_error();
    std::vector<std::string> out;
    EXPECT_EQ(ek_results_query_count(r), 1u);
    for (size_t i = 0; i < ek_results_hit_count(r, 0); ++i) {
      ek_hit h;
      h.struct_size = sizeof h;
      EXPECT_EQ(ek_results_hit(r, 0, i, &h), EK_OK);
      EXPECT_EQ(h.score, 0.f);
      out.push_back(std::string(h.id) + (h.metadata_json ? std::string("=") + h.metadata_json : ""));
    }
    ek_results_free(r);
    return out;
  }

  ek_context* ctx_ = nullptr;
  std::vector<ek_store*> stores_;
};

TEST_F(Kv, JsonAndBlobValuesRoundTripWithTheirKind) {
  ek_store* s = Open();
  ASSERT_EQ(Put(s, "config", R"({"dim": 256})"), EK_OK) << ek_last_error();
  const std::string blob("a\0b\xff", 4);
  ASSERT_EQ(Put(s, "weights", blob, EK_VALUE_BLOB), EK_OK) << ek_last_error();
  ASSERT_EQ(ek_store_kv_put(s, "test", "empty", nullptr, 0, EK_VALUE_BLOB), EK_OK);

  char buf[32];
  size_t n = 0;
  ek_value_kind kind = -1;
  std::fill(buf, buf + sizeof buf, 'x');
  ASSERT_EQ(ek_store_kv_get(s, "test", "config", buf, sizeof buf, &n, &kind), EK_OK);
  EXPECT_EQ(n, 12u);
  EXPECT_EQ(kind, EK_VALUE_JSON);
  EXPECT_STREQ(buf, R"({"dim": 256})");  // NUL written after the bytes
  ASSERT_EQ(ek_store_kv_get(s, "test", "weights", buf, sizeof buf, &n, &kind), EK_OK);
  EXPECT_EQ(std::string(buf, n), blob);
  EXPECT_EQ(kind, EK_VALUE_BLOB);
  ASSERT_EQ(ek_store_kv_get(s, "test", "empty", buf, sizeof buf, &n, &kind), EK_OK);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(buf[0], '\0');

  ASSERT_EQ(Put(s, "config", "[1,2]"), EK_OK);  // replaces value and kind
  ASSERT_EQ(Put(s, "weights", "true"), EK_OK);
  ASSERT_EQ(ek_store_kv_get(s, "test", "weights", buf, sizeof buf, &n, &kind), EK_OK);
  EXPECT_EQ(kind, EK_VALUE_JSON);
  EXPECT_EQ(Get(s, "config"), "[1,2]");
  EXPECT_EQ(Get(s, "config", "other"), "<missing>");  // namespaces are separate
}

TEST_F(Kv, SizeQueryAndTooSmallBufferCopyNothing) {
  ek_store* s = Open();
  ASSERT_EQ(Put(s, "k", R"("0123456789")"), EK_OK);
  size_t n = 0;
  ek_value_kind kind = -1;
  ASSERT_EQ(ek_store_kv_get(s, "test", "k", nullptr, 0, &n, &kind), EK_OK);
  EXPECT_EQ(n, 12u);
  EXPECT_EQ(kind, EK_VALUE_JSON);

  char buf[16];
  std::fill(buf, buf + sizeof buf, 'x');
  n = 0;
  EXPECT_EQ(ek_store_kv_get(s, "test", "k", buf, 11, &n, nullptr), EK_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, 12u);
  EXPECT_CONTAINS(ek_last_error(), "out holds 11 bytes, the value has 12");
  EXPECT_EQ(std::count(buf, buf + sizeof buf, 'x'), 16);
  // Exactly the length: the bytes, and no NUL after them.
  ASSERT_EQ(ek_store_kv_get(s, "test", "k", buf, 12, &n, nullptr), EK_OK);
  EXPECT_EQ(std::string(buf, 12), R"("0123456789")");
  EXPECT_EQ(buf[12], 'x');
}

TEST_F(Kv, DeleteAndDeletePrefixCountWhatTheyRemoved) {
  ek_store* s = Open();
  for (const char* k : {"a/1", "a/2", "ab", "b"}) ASSERT_EQ(Put(s, k, "1"), EK_OK);
  ASSERT_EQ(Put(s, "a/1", "1", EK_VALUE_JSON, "other"), EK_OK);
  size_t deleted = 99;
  ASSERT_EQ(ek_store_kv_delete(s, "test", "nope", &deleted), EK_OK);  // missing: not an error
  EXPECT_EQ(deleted, 0u);
  ASSERT_EQ(ek_store_kv_delete(s, "test", "b", &deleted), EK_OK);
  EXPECT_EQ(deleted, 1u);
  EXPECT_EQ(ek_store_kv_get(s, "test", "b", nullptr, 0, &deleted, nullptr), EK_ERR_NOT_FOUND);
  EXPECT_CONTAINS(ek_last_error(), "no key 'b' in namespace 'test'");

  ASSERT_EQ(ek_store_kv_delete_prefix(s, "test", "a/", &deleted), EK_OK);
  EXPECT_EQ(deleted, 2u);
  EXPECT_EQ(List(s, "", nullptr, 0), std::vector<std::string>{"ab"});
  ASSERT_EQ(ek_store_kv_delete_prefix(s, "test", "", &deleted), EK_OK);  // the whole namespace
  EXPECT_EQ(deleted, 1u);
  EXPECT_TRUE(List(s, "", nullptr, 0).empty());
  EXPECT_EQ(Get(s, "a/1", "other"), "1");  // another namespace is untouched
  EXPECT_EQ(ek_store_kv_delete(s, "test", "x", nullptr), EK_OK);  // out_deleted is optional
}

TEST_F(Kv, ListPagesThroughKeysInByteOrder) {
  ek_store* s = Open();
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i) keys.push_back("item/" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  for (const std::string& k : keys) ASSERT_EQ(Put(s, k.c_str(), std::to_string(keys.size())), EK_OK);
  for (const char* k : {"B", "\xC3\xA9t\xC3\xA9", "item", "itemz"}) ASSERT_EQ(Put(s, k, "0"), EK_OK);
  ASSERT_EQ(Put(s, "item/blob", "raw", EK_VALUE_BLOB), EK_OK);
  keys.push_back("item/blob");

  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto got = List(s, "item/", after.c_str(), 10);
    if (got.empty()) break;
    EXPECT_LE(got.size(), 10u);
    seen.insert(seen.end(), got.begin(), got.end());
    after = got.back();
  }
  EXPECT_EQ(seen, keys);  // "item/0.." sorts before "item/blob"; "item", "itemz" excluded
  EXPECT_EQ(List(s, nullptr, nullptr, 3), (std::vector<std::string>{"B", "item", "item/00"}));
  // UTF-8 sorts by bytes: the é (0xC3) after every ASCII key.
  EXPECT_EQ(List(s, "", "itemz", 0), std::vector<std::string>{"\xC3\xA9t\xC3\xA9"});
  // Values: JSON ones as the hit's metadata, blobs never.
  EXPECT_EQ(List(s, "item/", "item/23", 0, true),
            (std::vector<std::string>{"item/24=25", "item/blob"}));
  EXPECT_EQ(List(s, "item/", "item/23", 0, false),
            (std::vector<std::string>{"item/24", "item/blob"}));
}

// Runs `call`, which must fail with `want`, and checks the message it left.
void ExpectRefused(const std::function<ek_status()>& call, ek_status want, const char* message) {
  EXPECT_EQ(call(), want) << ek_last_error();
  EXPECT_CONTAINS(ek_last_error(), message);
}

TEST_F(Kv, BadArgumentsAreRefusedWithTheReason) {
  ek_store* s = Open();
  auto put = [&](const char* ns, const char* key, const void* value, size_t n, ek_value_kind k) {
    return [=] { return ek_store_kv_put(s, ns, key, value, n, k); };
  };
  const ek_status kBad = EK_ERR_INVALID_ARGUMENT;
  const std::string long_ns(129, 'n'), long_key(513, 'k');
  ExpectRefused([] { return ek_store_kv_put(nullptr, "t", "k", "1", 1, EK_VALUE_JSON); }, kBad,
                "ek_store_kv_put: argument 'store' is NULL");
  ExpectRefused(put(nullptr, "k", "1", 1, EK_VALUE_JSON), kBad, "argument 'name_space' is NULL");
  ExpectRefused(put("t", nullptr, "1", 1, EK_VALUE_JSON), kBad, "argument 'key' is NULL");
  ExpectRefused(put("t", "k", nullptr, 3, EK_VALUE_BLOB), kBad, "argument 'value' is NULL");
  ExpectRefused(put("", "k", "1", 1, EK_VALUE_JSON), kBad, "namespace '' is empty");
  ExpectRefused(put(long_ns.c_str(), "k", "1", 1, EK_VALUE_JSON), kBad,
                "has 129 bytes; the limit is 128");
  ExpectRefused(put("ek.vsa", "k", "1", 1, EK_VALUE_JSON), kBad,
                "namespace 'ek.vsa' is reserved");
  ExpectRefused(put("t", "", "1", 1, EK_VALUE_JSON), kBad, "key '' is empty");
  ExpectRefused(put("t", long_key.c_str(), "1", 1, EK_VALUE_JSON), kBad,
                "has 513 bytes; the limit is 512");
  ExpectRefused(put("t", "bad\xff", "1", 1, EK_VALUE_JSON), kBad, "is not valid UTF-8");
  ExpectRefused(put("t", "k", "1", 1, 7), kBad,
                "kind 7 is not EK_VALUE_BLOB (0) or EK_VALUE_JSON (1)");
  ExpectRefused(put("t", "k", R"({"a" 1})", 7, EK_VALUE_JSON), EK_ERR_PARSE,
                "value of key 'k' is not one JSON text: expected ':' after key at byte 5");
  ExpectRefused(put("t", "k", "", 0, EK_VALUE_JSON), EK_ERR_PARSE, "at byte 0");
  // No value at all (NULL, 0): the same refusal, and no null pointer reaches the
  // JSON parser's memcpy (UBSan reported it in the fuzz smoke of a CI run).
  ExpectRefused(put("t", "k", nullptr, 0, EK_VALUE_JSON), EK_ERR_PARSE, "at byte 0");
  EXPECT_EQ(put("t", "k", nullptr, 0, EK_VALUE_BLOB)(), EK_OK) << ek_last_error();
  // Refused on its size before a byte of it is read.
  ExpectRefused(put("t", "k", "1", EK_KV_MAX_VALUE + 1, EK_VALUE_BLOB), EK_ERR_LIMIT,
                "the limit is 268435456 (EK_KV_MAX_VALUE)");
  size_t n = 0;
  ExpectRefused([&] { return ek_store_kv_get(s, "t", "k", nullptr, 4, &n, nullptr); }, kBad,
                "ek_store_kv_get: argument 'out' is NULL");
  ExpectRefused([&] { return ek_store_kv_get(s, "t", "k", nullptr, 0, nullptr, nullptr); }, kBad,
                "argument 'out_length' is NULL");
  ExpectRefused([&] { return ek_store_kv_get(s, "ek.x", "k", nullptr, 0, &n, nullptr); }, kBad,
                "is reserved");
  ExpectRefused([&] { return ek_store_kv_delete_prefix(s, "t", nullptr, nullptr); }, kBad,
                "argument 'key_prefix' is NULL");
  ExpectRefused([&] { return ek_store_kv_list(s, "t", "", nullptr, 0, 0, nullptr); }, kBad,
                "argument 'out_results' is NULL");
  ek_results* r = nullptr;
  ExpectRefused([&] { return ek_store_kv_list(s, "t", "bad\xff", nullptr, 0, 0, &r); }, kBad,
                "key_prefix 'bad");
  EXPECT_EQ(r, nullptr);
  // The limits themselves are accepted.
  const std::string max_ns(128, 'n'), max_key(512, 'k');
  EXPECT_EQ(put(max_ns.c_str(), max_key.c_str(), "1", 1, EK_VALUE_JSON)(), EK_OK) << ek_last_error();
  EXPECT_EQ(Get(s, max_key.c_str(), max_ns.c_str()), "1");
}

TEST_F(Kv, WritesJoinTheStoreTransactionAndRollBackWithIt) {
  TempDir dir;
  ek_store* s = Open(dir.File("t.ekdb"));
  ASSERT_EQ(Put(s, "kept", "1"), EK_OK);
  ASSERT_EQ(ek_store_begin(s), EK_OK) << ek_last_error();
  ASSERT_EQ(Put(s, "undone", "2"), EK_OK);
  ASSERT_EQ(ek_store_kv_delete(s, "test", "kept", nullptr), EK_OK);
  EXPECT_EQ(Get(s, "undone"), "2");  // visible inside the transaction
  ASSERT_EQ(ek_store_rollback(s), EK_OK);
  EXPECT_EQ(Get(s, "undone"), "<missing>");
  EXPECT_EQ(Get(s, "kept"), "1");

  ASSERT_EQ(ek_store_begin(s), EK_OK);
  ASSERT_EQ(Put(s, "committed", "3"), EK_OK);
  ek_store* other = Open(dir.File("t.ekdb"));
  EXPECT_EQ(Get(other, "committed"), "<missing>");  // not before the commit
  ASSERT_EQ(ek_store_commit(s), EK_OK);
  EXPECT_EQ(Get(other, "committed"), "3");
}

TEST_F(Kv, ReadOnlyStoreReadsButRefusesWrites) {
  TempDir dir;
  const std::string path = dir.File("ro.ekdb");
  ASSERT_EQ(Put(Open(path), "k", "1"), EK_OK);
  ek_store* ro = Open(path, /*read_only=*/true);
  EXPECT_EQ(Get(ro, "k"), "1");
  EXPECT_EQ(List(ro, "", nullptr, 0), std::vector<std::string>{"k"});
  ExpectRefused([&] { return Put(ro, "k", "2"); }, EK_ERR_READ_ONLY, "was opened read-only");
  ExpectRefused([&] { return ek_store_kv_delete(ro, "test", "k", nullptr); }, EK_ERR_READ_ONLY,
                "ek_store_kv_delete");
  ExpectRefused([&] { return ek_store_kv_delete_prefix(ro, "test", "", nullptr); },
                EK_ERR_READ_ONLY, "ek_store_kv_delete_prefix");
  EXPECT_EQ(Get(ro, "k"), "1");
}

// ---- Through the ek_host table, as a plugin calls it --------------------------------

class HostKv : public Kv {
 protected:
  void SetUp() override {
    Kv::SetUp();
    ASSERT_EQ(ek_plugin_load(ctx_, EK_HOST_PROBE_PLUGIN, nullptr), EK_OK) << ek_last_error();
    ASSERT_EQ(ek_instance_create(ctx_, "test.host_probe", nullptr, &instance_), EK_OK)
        << ek_last_error();
    host_ = static_cast<const ek_host*>(ek_instance_plugin_data(instance_));
    ASSERT_GE(host_->struct_size, offsetof(ek_host, kv_list) + sizeof host_->kv_list);
  }
  void TearDown() override {
    ek_instance_free(instance_);
    Kv::TearDown();
  }
  ek_instance* instance_ = nullptr;
  const ek_host* host_ = nullptr;
};

TEST_F(HostKv, StoreBeginNestsInsideTheApplicationsTransaction) {
  TempDir dir;
  ek_store* s = Open(dir.File("n.ekdb"));
  const ek_host* h = host_;
  auto put = [&](const char* key) { return h->kv_put(s, "plugin", key, "1", 1, EK_VALUE_JSON); };
  ASSERT_EQ(ek_store_begin(s), EK_OK);
  ASSERT_EQ(put("app"), EK_OK);
  ASSERT_EQ(h->store_begin(s), EK_OK) << ek_last_error();  // a savepoint, not a failure
  ASSERT_EQ(put("undone"), EK_OK);
  ASSERT_EQ(h->store_rollback(s), EK_OK) << ek_last_error();  // undoes only the plugin's part
  EXPECT_EQ(Get(s, "undone", "plugin"), "<missing>");
  EXPECT_EQ(Get(s, "app", "plugin"), "1");
  ASSERT_EQ(h->store_begin(s), EK_OK);
  ASSERT_EQ(put("released"), EK_OK);
  ASSERT_EQ(h->store_commit(s), EK_OK);  // into the application's transaction
  EXPECT_EQ(ek_store_begin(s), EK_ERR_INVALID_ARGUMENT);  // the public one still refuses
  EXPECT_CONTAINS(ek_last_error(), "a transaction is already open on this handle");
  ASSERT_EQ(ek_store_rollback(s), EK_OK);  // the application's decision is final
  EXPECT_EQ(Get(s, "released", "plugin"), "<missing>");
  EXPECT_EQ(Get(s, "app", "plugin"), "<missing>");

  // Alone, the plugin's begin is a transaction of its own, and nests in itself.
  ASSERT_EQ(h->store_begin(s), EK_OK);
  ASSERT_EQ(h->store_begin(s), EK_OK);
  ASSERT_EQ(put("inner"), EK_OK);
  ASSERT_EQ(h->store_commit(s), EK_OK);
  ek_store* other = Open(dir.File("n.ekdb"));
  EXPECT_EQ(Get(other, "inner", "plugin"), "<missing>");  // the outer one is still open
  ASSERT_EQ(h->store_commit(s), EK_OK);
  EXPECT_EQ(Get(other, "inner", "plugin"), "1");
  EXPECT_EQ(h->store_commit(s), EK_ERR_INVALID_ARGUMENT);  // nothing left to commit
  EXPECT_CONTAINS(ek_last_error(), "store_commit: store '");
}

TEST_F(HostKv, KvCollectionOpenAndStringFreeAreLent) {
  ek_store* s = Open();
  const ek_host* h = host_;
  ASSERT_EQ(h->kv_put(s, "plugin", "ledger/1", "{\"n\":1}", 7, EK_VALUE_JSON), EK_OK);
  ASSERT_EQ(h->kv_put(s, "plugin", "ledger/2", "xy", 2, EK_VALUE_BLOB), EK_OK);
  char buf[16];
  size_t n = 0;
  ek_value_kind kind = -1;
  ASSERT_EQ(h->kv_get(s, "plugin", "ledger/1", buf, sizeof buf, &n, &kind), EK_OK);
  EXPECT_STREQ(buf, "{\"n\":1}");
  EXPECT_EQ(kind, EK_VALUE_JSON);
  ek_results* r = nullptr;
  ASSERT_EQ(h->kv_list(s, "plugin", "ledger/", nullptr, 0, 1, &r), EK_OK);
  EXPECT_EQ(h->results_hit_count(r, 0), 2u);
  h->results_free(r);
  size_t deleted = 0;
  ASSERT_EQ(h->kv_delete(s, "plugin", "ledger/2", &deleted), EK_OK);
  EXPECT_EQ(deleted, 1u);
  ASSERT_EQ(h->kv_delete_prefix(s, "plugin", "ledger/", &deleted), EK_OK);
  EXPECT_EQ(deleted, 1u);

  ek_collection* c = nullptr;
  EXPECT_EQ(h->collection_open(s, "docs", &c), EK_ERR_NOT_FOUND);
  ASSERT_EQ(h->collection_create(s, "docs", 2, EK_METRIC_DOT, &c), EK_OK);
  h->collection_free(c);
  ASSERT_EQ(h->collection_open(s, "docs", &c), EK_OK) << ek_last_error();
  const char* id = "a";
  const char* meta = "{\"m\":1}";
  const float v[2] = {1, 2};
  ek_upsert_batch b{};
  b.struct_size = sizeof b;
  b.count = 1;
  b.ids = &id;
  b.vectors = v;
  b.dim = 2;
  b.metadata_json = &meta;
  ASSERT_EQ(h->collection_upsert(c, &b), EK_OK) << ek_last_error();
  char* got = nullptr;
  ASSERT_EQ(h->collection_get(c, "a", nullptr, 0, nullptr, &got), EK_OK);
  EXPECT_STREQ(got, meta);
  h->string_free(got);
  h->collection_free(c);
}

// ---- Upgrade of a version 1 store ------------------------------------------------------

int64_t UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  const int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// "name dim count" for every collection, in name order.
std::vector<std::string> Collections(ek_store* s) {
  ek_collection_info* infos = nullptr;
  size_t count = 0;
  EXPECT_EQ(ek_store_list_collections(s, &infos, &count), EK_OK) << ek_last_error();
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(std::string(infos[i].name) + " " + std::to_string(infos[i].dim) + " " +
                  std::to_string(infos[i].count));
  ek_collection_infos_free(infos, count);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<float> VectorOf(ek_store* s, const char* collection, const char* id) {
  ek_collection* c = nullptr;
  EXPECT_EQ(ek_collection_open(s, collection, &c), EK_OK) << ek_last_error();
  std::vector<float> v(1024);
  size_t dim = 0;
  EXPECT_EQ(ek_collection_get(c, id, v.data(), v.size(), &dim, nullptr), EK_OK) << ek_last_error();
  ek_collection_free(c);
  v.resize(dim);
  return v;
}

// What tests/fixture/store_v1/store_v1.ekdb holds (sqlite3 on the file).
const std::vector<std::string> kV1Collections = {
    "cls.idf 1024 1",          "cls.labels 32 2",     "cls.meta 1024 1",
    "cls.seeds 32 2",          "cls.seen 1024 1",     "countries 256 5",
    "countries.vsa_values 256 19", "rec.interactions 1 314", "rec.item_features 1 0",
    "rec.items 8 60",          "rec.ledger 1 2",      "rec.meta 4 1",
    "rec.proj 8 64",           "rec.users 8 39"};

TEST_F(Kv, VersionOneStoreIsReadAsItIsAndUpgradedWhenOpenedForWriting) {
  TempDir dir;
  const std::string path = dir.File("v1.ekdb");
  fs::copy_file(EK_STORE_V1_FIXTURE, path);
  ASSERT_EQ(UserVersion(path), 1);

  // Read-only: everything readable, no key/value table, nothing upgraded.
  ek_store* ro = Open(path, /*read_only=*/true);
  EXPECT_EQ(Collections(ro), kV1Collections);
  const std::vector<float> before = VectorOf(ro, "countries", "0");
  ASSERT_EQ(before.size(), 256u);
  size_t n = 0;
  ExpectRefused([&] { return ek_store_kv_get(ro, "test", "k", nullptr, 0, &n, nullptr); },
                EK_ERR_NOT_FOUND, "no key 'k'");
  EXPECT_TRUE(List(ro, "", nullptr, 0).empty());
  ExpectRefused([&] { return Put(ro, "k", "1"); }, EK_ERR_READ_ONLY, "read-only");
  ek_store_free(ro);
  stores_.clear();
  EXPECT_EQ(UserVersion(path), 1);

  // For writing: upgraded in place, the collections untouched, key/value state usable.
  ek_store* rw = Open(path);
  EXPECT_EQ(UserVersion(path), 3);
  EXPECT_EQ(Collections(rw), kV1Collections);
  EXPECT_EQ(VectorOf(rw, "countries", "0"), before);
  ASSERT_EQ(Put(rw, "k", R"({"upgraded":true})"), EK_OK) << ek_last_error();
  ek_store* again = Open(path, /*read_only=*/true);
  EXPECT_EQ(Get(again, "k"), R"({"upgraded":true})");
  EXPECT_EQ(Collections(again), kV1Collections);
}

}  // namespace
