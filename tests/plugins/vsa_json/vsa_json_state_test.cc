// What vsa_json keeps in a store besides the vectors, through the public API only:
// the encoder configuration in the key/value state (never as a vector row), one
// transaction per index() call (its own, or part of the caller's), the refusal of a
// collection encoded another way, and the upgrade of a store from before ABI 1.1
// (tests/fixture/store_v1, copied: the fixture itself is never written).
#include <embedkit/embedkit.h>
#include <embedkit/ext/vsa_json.h>
#include <gtest/gtest.h>

#include <stdlib.h>  // mkdtemp

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#ifndef EK_STORE_V1
#error "EK_STORE_V1 (path of tests/fixture/store_v1/store_v1.ekdb) must be defined by the build"
#endif

namespace {

constexpr const char* kNamespace = "embedkit.vsa_json";

class VsaJsonState : public ::testing::Test {
 protected:
  void SetUp() override {
    ek_context_options o;
    ek_context_options_init(&o);
    o.log_level = EK_LOG_ERROR;
    ASSERT_EQ(ek_context_create(&o, &ctx_), EK_OK) << ek_last_error();
    ASSERT_EQ(ek_store_open(ctx_, ":memory:", nullptr, &store_), EK_OK) << ek_last_error();
  }
  void TearDown() override {
    for (ek_instance* i : instances_) ek_instance_free(i);
    ek_store_free(store_);
    ek_context_free(ctx_);
  }

  // The probe table of a new instance with `config`.
  const ek_vsa_probe_ext* Probe(const std::string& config, void** self) {
    ek_instance* inst = nullptr;
    EXPECT_EQ(ek_instance_create(ctx_, "embedkit.vsa_json", config.c_str(), &inst), EK_OK) << ek_last_error();
    if (!inst) return nullptr;
    instances_.push_back(inst);
    const void* table = nullptr;
    EXPECT_EQ(ek_instance_get_extension(inst, EK_EXT_VSA_PROBE, &table), EK_OK);
    *self = ek_instance_plugin_data(inst);
    return static_cast<const ek_vsa_probe_ext*>(table);
  }

  ek_status Index(const std::string& config, const std::vector<std::string>& docs,
                  const std::string& collection = "c") {
    void* self = nullptr;
    const ek_vsa_probe_ext* probe = Probe(config, &self);
    std::vector<ek_string_view> sv;
    for (const auto& d : docs) sv.push_back({d.data(), d.size()});
    const ek_status s = probe->index(self, store_, collection.c_str(), sv.data(), nullptr, sv.size(), 1);
    last_error_ = probe->last_error(self);
    return s;
  }

  // The configuration in the key/value state, or "" if there is none.
  std::string KvConfig(ek_store* store, const std::string& collection = "c") {
    char buf[4096];
    size_t length = 0;
    const ek_status s =
        ek_store_kv_get(store, kNamespace, (collection + "/config").c_str(), buf, sizeof buf, &length, nullptr);
    if (s == EK_ERR_NOT_FOUND) return "";
    EXPECT_EQ(s, EK_OK) << ek_last_error();
    return s == EK_OK ? std::string(buf, length) : "";
  }

  bool HasCollection(const char* name) {
    ek_collection* c = nullptr;
    const ek_status s = ek_collection_open(store_, name, &c);
    ek_collection_free(c);
    return s == EK_OK;
  }

  ek_context* ctx_ = nullptr;
  ek_store* store_ = nullptr;
  std::vector<ek_instance*> instances_;
  std::string last_error_;
};

const std::vector<std::string> kDocs = {R"({"a":1,"b":"x"})", R"({"a":2,"b":"y"})", R"({"a":3})",
                                        R"({"a":4,"b":"z"})"};

TEST_F(VsaJsonState, IndexKeepsTheConfigurationInKeyValueStateNotAsARow) {
  ASSERT_EQ(Index("{\"dim\":64,\"mode\":\"strict\"}", kDocs), EK_OK) << last_error_;
  const std::string stored = KvConfig(store_);
  EXPECT_NE(stored.find("\"dim\":64"), std::string::npos) << stored;
  EXPECT_NE(stored.find("\"mode\":\"strict\""), std::string::npos) << stored;
  // No vector row carries it: the values collection holds only values.
  ek_collection* values = nullptr;
  ASSERT_EQ(ek_collection_open(store_, "c.vsa_values", &values), EK_OK) << ek_last_error();
  EXPECT_EQ(ek_collection_get(values, "vsa_json.config", nullptr, 0, nullptr, nullptr), EK_ERR_NOT_FOUND);
  ek_collection_free(values);

  // collection_config hands it out; an instance made from it encodes the same vectors.
  void* self = nullptr;
  const ek_vsa_probe_ext* probe = Probe("{}", &self);
  ASSERT_GE(probe->struct_size, offsetof(ek_vsa_probe_ext, collection_config) + sizeof(void*));
  size_t length = 0;
  ASSERT_EQ(probe->collection_config(self, store_, "c", nullptr, 0, &length), EK_OK) << probe->last_error(self);
  EXPECT_EQ(length, stored.size());
  std::string config(length, '?');
  EXPECT_EQ(probe->collection_config(self, store_, "c", config.data(), length, &length), EK_ERR_BUFFER_TOO_SMALL);
  config.resize(length + 1);
  ASSERT_EQ(probe->collection_config(self, store_, "c", config.data(), config.size(), &length), EK_OK);
  config.resize(length);
  EXPECT_EQ(config, stored);
  EXPECT_EQ(probe->collection_config(self, store_, "never_indexed", nullptr, 0, &length), EK_ERR_NOT_FOUND);
  // Indexing again with that configuration is accepted.
  EXPECT_EQ(Index(config, {R"({"a":5})"}), EK_OK) << last_error_;
}

TEST_F(VsaJsonState, ACollectionEncodedAnotherWayIsRefusedNamingTheDifference) {
  ASSERT_EQ(Index("{\"dim\":64}", kDocs), EK_OK) << last_error_;
  EXPECT_EQ(Index("{\"dim\":64,\"mode\":\"strict\",\"seed\":7}", kDocs), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error_.find("\"mode\" is \"soft\" there, \"strict\" here"), std::string::npos) << last_error_;
  EXPECT_NE(last_error_.find("\"seed\" is 42 there, 7 here"), std::string::npos) << last_error_;
  // Limits are not part of the encoding.
  EXPECT_EQ(Index("{\"dim\":64,\"max_depth\":16}", kDocs), EK_OK) << last_error_;
  // Nor may such an instance search or probe it.
  void* self = nullptr;
  const ek_vsa_probe_ext* strict = Probe("{\"dim\":64,\"mode\":\"strict\"}", &self);
  ek_string_view query{kDocs[0].data(), kDocs[0].size()};
  ek_results* results = nullptr;
  EXPECT_EQ(strict->similar(self, store_, "c", &query, 1, nullptr, &results), EK_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(strict->last_error(self)).find("\"mode\""), std::string::npos) << strict->last_error(self);
  const std::vector<float> v(64, 0.125f);
  EXPECT_EQ(strict->probe_collection(self, store_, "c", v.data(), "a", 1, &results), EK_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(results, nullptr);
}

TEST_F(VsaJsonState, ABadDocumentLeavesNothingBehind) {
  std::vector<std::string> docs = kDocs;
  docs[3] = R"({"a": [1, 2})";
  EXPECT_EQ(Index("{\"dim\":64}", docs), EK_ERR_PARSE);
  EXPECT_FALSE(HasCollection("c"));
  EXPECT_FALSE(HasCollection("c.vsa_values"));
  EXPECT_EQ(KvConfig(store_), "");
}

// The values are written last: when they fail, the documents and the configuration
// written before them in the same call are undone.
TEST_F(VsaJsonState, AFailureAfterTheDocumentsUndoesTheWholeCall) {
  ek_collection* other = nullptr;
  ASSERT_EQ(ek_collection_create(store_, "c.vsa_values", 3, EK_METRIC_COSINE, &other), EK_OK);
  ek_collection_free(other);
  EXPECT_EQ(Index("{\"dim\":64}", kDocs), EK_ERR_ALREADY_EXISTS);
  EXPECT_NE(last_error_.find("collection_create (values)"), std::string::npos) << last_error_;
  EXPECT_FALSE(HasCollection("c"));
  EXPECT_EQ(KvConfig(store_), "");
}

TEST_F(VsaJsonState, TheCallersRollbackUndoesAnIndexCall) {
  ASSERT_EQ(ek_store_begin(store_), EK_OK) << ek_last_error();
  ASSERT_EQ(Index("{\"dim\":64}", kDocs), EK_OK) << last_error_;
  EXPECT_TRUE(HasCollection("c"));
  ASSERT_EQ(ek_store_rollback(store_), EK_OK) << ek_last_error();
  EXPECT_FALSE(HasCollection("c"));
  EXPECT_FALSE(HasCollection("c.vsa_values"));
  EXPECT_EQ(KvConfig(store_), "");
  // And its commit keeps it.
  ASSERT_EQ(ek_store_begin(store_), EK_OK) << ek_last_error();
  ASSERT_EQ(Index("{\"dim\":64}", kDocs), EK_OK) << last_error_;
  ASSERT_EQ(ek_store_commit(store_), EK_OK) << ek_last_error();
  EXPECT_TRUE(HasCollection("c"));
  EXPECT_NE(KvConfig(store_), "");
}

// store_v1.ekdb: collection "countries" encoded by the CLI at --dim 256, its
// configuration the row "vsa_json.config" of "countries.vsa_values".
TEST_F(VsaJsonState, AStoreFromBeforeTheKeyValueStateIsReadThenMoved) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "ek-vsa-state-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const fs::path copy = dir / "store_v1.ekdb";
  fs::copy_file(EK_STORE_V1, copy, fs::copy_options::overwrite_existing);
  void* self = nullptr;
  const ek_vsa_probe_ext* probe = Probe("{}", &self);
  char config[1024];
  size_t length = 0;

  // Read-only: read from the old place, nothing moved.
  ek_store_options ro;
  ek_store_options_init(&ro);
  ro.read_only = 1;
  ek_store* store = nullptr;
  ASSERT_EQ(ek_store_open(ctx_, copy.c_str(), &ro, &store), EK_OK) << ek_last_error();
  ASSERT_EQ(probe->collection_config(self, store, "countries", config, sizeof config, &length), EK_OK)
      << probe->last_error(self);
  EXPECT_NE(std::string(config).find("\"dim\":256"), std::string::npos) << config;
  EXPECT_EQ(KvConfig(store, "countries"), "");
  ek_store_free(store);

  // Writable: moved to the key/value state, the row deleted.
  ASSERT_EQ(ek_store_open(ctx_, copy.c_str(), nullptr, &store), EK_OK) << ek_last_error();
  ASSERT_EQ(probe->collection_config(self, store, "countries", config, sizeof config, &length), EK_OK)
      << probe->last_error(self);
  EXPECT_EQ(KvConfig(store, "countries"), std::string(config, length));
  ek_collection* values = nullptr;
  ASSERT_EQ(ek_collection_open(store, "countries.vsa_values", &values), EK_OK) << ek_last_error();
  EXPECT_EQ(ek_collection_get(values, "vsa_json.config", nullptr, 0, nullptr, nullptr), EK_ERR_NOT_FOUND);
  ek_collection_free(values);
  ek_store_free(store);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
