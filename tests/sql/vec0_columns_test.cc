// The CREATE VIRTUAL TABLE ... USING embedkit(...) argument parser: sqlite-vec's
// documented vec0 forms (README, "Metadata, partition keys and auxiliary columns"),
// embedkit's options, and the messages of refused arguments.
#include "sql/vec0_columns.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace ek::sql {
namespace {

TableSpec Parse(std::vector<std::string_view> args, std::string_view table = "docs") {
  return ParseTableArguments(args, table);
}

std::string ErrorOf(std::vector<std::string_view> args) {
  try {
    Parse(args);
  } catch (const ek::Error& e) {
    EXPECT_EQ(e.status(), EK_ERR_INVALID_ARGUMENT);
    return e.what();
  }
  return "(no error)";
}

TEST(Vec0Columns, ReadmeVectorOnly) {
  const TableSpec spec = Parse({"sample_embedding float[8]"}, "vec_examples");
  EXPECT_EQ(spec.collection, "vec_examples");
  ASSERT_EQ(spec.columns.size(), 1u);
  EXPECT_EQ(spec.columns[0].role, ColumnRole::kVector);
  EXPECT_EQ(spec.vector.name, "sample_embedding");
  EXPECT_EQ(spec.vector.dim, 8u);
  EXPECT_EQ(spec.vector.type, VectorType::kFloat32);
  EXPECT_EQ(spec.vector.metric, kernels::Metric::kL2);
  EXPECT_EQ(PrimaryKey(spec), nullptr);
  EXPECT_FALSE(spec.index_options_given);
  EXPECT_EQ(DeclareTableSql(spec),
            "CREATE TABLE x(\"sample_embedding\" BLOB, distance HIDDEN, k HIDDEN, ef HIDDEN)");
  EXPECT_EQ(DistanceColumn(spec), 1);
  EXPECT_EQ(KColumn(spec), 2);
  EXPECT_EQ(EfColumn(spec), 3);
}

// The metadata announcement's table: every column kind at once.
TEST(Vec0Columns, ArticlesWithEveryColumnKind) {
  const TableSpec spec = Parse({"article_id integer primary key",
                                "headline_embedding float[384]", "year integer partition key",
                                "news_desk text", "word_count integer", "pub_date text",
                                "+headline text", "+url text"},
                               "vec_articles");
  ASSERT_EQ(spec.columns.size(), 8u);
  const ColumnSpec* pk = PrimaryKey(spec);
  ASSERT_NE(pk, nullptr);
  EXPECT_EQ(pk->name, "article_id");
  EXPECT_EQ(pk->type, ValueType::kInteger);
  EXPECT_EQ(VectorColumn(spec), 1);
  EXPECT_EQ(spec.columns[2].role, ColumnRole::kPartitionKey);
  EXPECT_EQ(spec.columns[2].type, ValueType::kInteger);
  EXPECT_EQ(spec.columns[3].role, ColumnRole::kMetadata);
  EXPECT_EQ(spec.columns[3].type, ValueType::kText);
  EXPECT_EQ(spec.columns[4].type, ValueType::kInteger);
  EXPECT_EQ(spec.columns[6].role, ColumnRole::kAuxiliary);
  EXPECT_EQ(spec.columns[6].name, "headline");
  EXPECT_EQ(DeclareTableSql(spec),
            "CREATE TABLE x(\"article_id\" INTEGER, \"headline_embedding\" BLOB, \"year\" "
            "INTEGER, \"news_desk\" TEXT, \"word_count\" INTEGER, \"pub_date\" TEXT, "
            "\"headline\" TEXT, \"url\" TEXT, distance HIDDEN, k HIDDEN, ef HIDDEN)");
}

TEST(Vec0Columns, PrimaryKeyMovesFirstAndTextKeys) {
  const TableSpec spec = Parse({"embedding float[4]", "genre text", "id text primary key"});
  ASSERT_EQ(spec.columns.size(), 3u);
  EXPECT_EQ(spec.columns[0].name, "id");
  EXPECT_EQ(spec.columns[0].type, ValueType::kText);
  EXPECT_EQ(spec.columns[1].name, "embedding");
  EXPECT_EQ(VectorColumn(spec), 1);
}

TEST(Vec0Columns, MetadataTypeNamesOfVec0) {
  const TableSpec spec =
      Parse({"v float[2]", "a boolean", "b bool", "c int64", "d integer64", "e int", "f float",
             "g double", "h float64", "i f64", "j TEXT", "k2 Integer"});
  const ValueType want[] = {ValueType::kBoolean, ValueType::kBoolean, ValueType::kInteger,
                            ValueType::kInteger, ValueType::kInteger, ValueType::kFloat,
                            ValueType::kFloat,   ValueType::kFloat,   ValueType::kFloat,
                            ValueType::kText,    ValueType::kInteger};
  for (size_t i = 0; i < 11; ++i) {
    EXPECT_EQ(spec.columns[i + 1].type, want[i]) << spec.columns[i + 1].name;
    EXPECT_EQ(spec.columns[i + 1].role, ColumnRole::kMetadata);
  }
}

TEST(Vec0Columns, AuxiliaryTypes) {
  const TableSpec spec = Parse({"v float[2]", "+a text", "+b integer", "+c float", "+d blob",
                                "+ e double"});
  EXPECT_EQ(spec.columns[1].type, ValueType::kText);
  EXPECT_EQ(spec.columns[2].type, ValueType::kInteger);
  EXPECT_EQ(spec.columns[3].type, ValueType::kFloat);
  EXPECT_EQ(spec.columns[4].type, ValueType::kBlob);
  EXPECT_EQ(spec.columns[5].type, ValueType::kFloat);
  for (size_t i = 1; i < 6; ++i) EXPECT_EQ(spec.columns[i].role, ColumnRole::kAuxiliary);
}

TEST(Vec0Columns, VectorTypesAndMetrics) {
  EXPECT_EQ(Parse({"v f32[3]"}).vector.type, VectorType::kFloat32);
  EXPECT_EQ(Parse({"v int8[3]"}).vector.type, VectorType::kInt8);
  EXPECT_EQ(Parse({"v i8[3]"}).vector.type, VectorType::kInt8);
  const TableSpec bits = Parse({"v bit[64]"});
  EXPECT_EQ(bits.vector.type, VectorType::kBit);
  EXPECT_EQ(bits.vector.dim, 64u);
  EXPECT_EQ(Parse({"v float[3] distance_metric=cosine"}).vector.metric,
            kernels::Metric::kCosine);
  EXPECT_EQ(Parse({"v float[3] distance_metric=L2"}).vector.metric, kernels::Metric::kL2);
  EXPECT_EQ(Parse({"v float[3] distance_metric = dot"}).vector.metric, kernels::Metric::kDot);
  EXPECT_EQ(Parse({"contents_embedding float[768]"}).vector.dim, 768u);
}

TEST(Vec0Columns, EmbedkitOptions) {
  const TableSpec spec =
      Parse({"v float[8]", "index=hnsw", "m=8", "ef_construction=40", "ef_search=32",
             "element=int8", "rescore=4", "collection='C API docs'", "chunk_size=256"});
  EXPECT_TRUE(spec.index_options_given);
  EXPECT_EQ(spec.index.kind, store::IndexKind::kHnsw);
  EXPECT_EQ(spec.index.m, 8u);
  EXPECT_EQ(spec.index.ef_construction, 40u);
  EXPECT_EQ(spec.index.ef_search, 32u);
  EXPECT_EQ(spec.index.element, store::ElementType::kInt8);
  EXPECT_EQ(spec.index.rescore, 4u);
  EXPECT_EQ(spec.collection, "C API docs");
  // chunk_size and collection are no index options: an existing collection is connected
  // whatever its index.
  const TableSpec plain = Parse({"v float[8]", "chunk_size=8", "collection=other"});
  EXPECT_FALSE(plain.index_options_given);
  EXPECT_EQ(plain.collection, "other");
}

TEST(Vec0Columns, RefusedArgumentsNameTheArgument) {
  EXPECT_EQ(ErrorOf({"genre text"}),
            "embedkit(...): no vector column; declare one such as 'embedding float[384]'");
  EXPECT_EQ(ErrorOf({"v float[4]", "year integr"}),
            "embedkit(...) argument 2 'year integr': unknown column type 'integr' (metadata "
            "columns: text, integer, float, boolean; vectors: float[N], int8[N], bit[N])");
  EXPECT_EQ(ErrorOf({"v float[4] distance_metric=l1"}),
            "embedkit(...) argument 1 'v float[4] distance_metric=l1': distance_metric=l1 is "
            "not an embedkit metric (l2, cosine or dot)");
  EXPECT_EQ(ErrorOf({"v float[0]"}),
            "embedkit(...) argument 1 'v float[0]': a vector needs at least 1 dimension");
  EXPECT_EQ(ErrorOf({"v bit[12]"}),
            "embedkit(...) argument 1 'v bit[12]': bit[12]: the dimensions of a bit vector must "
            "be divisible by 8");
  EXPECT_EQ(ErrorOf({"v float[4]", "w float[4]"}),
            "embedkit(...) argument 2 'w float[4]': a second vector column; an embedkit table "
            "has exactly one (the collection's)");
  EXPECT_EQ(ErrorOf({"v float[4]", "a integer primary key", "b text primary key"}),
            "embedkit(...) argument 3 'b text primary key': a table has at most one primary key");
  EXPECT_EQ(ErrorOf({"v float[4]", "id float primary key"}),
            "embedkit(...) argument 2 'id float primary key': a primary key is text or integer, "
            "not 'float'");
  EXPECT_EQ(ErrorOf({"v float[4]", "Genre text", "genre integer"}),
            "embedkit(...) argument 3 'genre integer': column 'genre' is declared twice");
  EXPECT_EQ(ErrorOf({"v float[4]", "distance float"}),
            "embedkit(...) argument 2 'distance float': 'distance' is reserved (hidden columns "
            "distance, k, ef; the rowid)");
  EXPECT_EQ(ErrorOf({"v float[4]", "index=ivf"}),
            "embedkit(...) argument 2 'index=ivf': index is exact or hnsw, not 'ivf'");
  EXPECT_EQ(ErrorOf({"v float[4]", "size=3"}),
            "embedkit(...) argument 2 'size=3': unknown option 'size' (known: index, m, "
            "ef_construction, ef_search, element, rescore, collection, chunk_size)");
  EXPECT_EQ(ErrorOf({"v float[4]", "m=1"}), "embedkit(...) options: m is 1; it must be 2..255");
  EXPECT_EQ(ErrorOf({"v float[4]", "chunk_size=12"}),
            "embedkit(...) argument 2 'chunk_size=12': chunk_size must be a positive multiple of 8");
  EXPECT_EQ(ErrorOf({"v float[4]", "+t varchar"}),
            "embedkit(...) argument 2 '+t varchar': unknown auxiliary column type 'varchar' "
            "(text, integer, float, blob)");
  EXPECT_EQ(ErrorOf({"v float[99999999999]"}),
            "embedkit(...) argument 1 'v float[99999999999]': dimensions 99999999999 does not "
            "fit 32 bits");
  EXPECT_EQ(ErrorOf({"v float[4] metric=cosine"}),
            "embedkit(...) argument 1 'v float[4] metric=cosine': unknown vector column option "
            "'metric' (known: distance_metric)");
  EXPECT_EQ(ErrorOf({"v float[4] distance_metric=cosine", "b bit[8] distance_metric=l2"}),
            "embedkit(...) argument 2 'b bit[8] distance_metric=l2': a second vector column; an "
            "embedkit table has exactly one (the collection's)");
  EXPECT_EQ(ErrorOf({"b bit[8] distance_metric=l2"}),
            "embedkit(...) argument 1 'b bit[8] distance_metric=l2': a bit vector has no "
            "distance_metric (its distance is the Hamming distance)");
  EXPECT_EQ(ErrorOf({"v float[4]", "name text;"}),
            "embedkit(...) argument 2 'name text;': unexpected character ';' at byte 9");
  EXPECT_EQ(ErrorOf({"v float[4]", "collection='x"}),
            "embedkit(...) argument 2 'collection='x': unterminated ' string");
}

}  // namespace
}  // namespace ek::sql
