// The vec_* functions and ReadF32Vector through a real in-memory SQLite connection:
// values, blob layouts, subtypes and every refusal's message. The comparison with
// sqlite-vec's own answers is tests/sql/test_functions.py.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "sql/functions.h"
#include "sql/sql_error.h"
#include "sql/vector_value.h"

namespace {

// read_f32(v): ReadF32Vector's floats as an f32 blob, so tests see exactly what it read.
void ReadF32(sqlite3_context* ctx, int, sqlite3_value** argv) {
  try {
    const std::vector<float> v = ek::sql::ReadF32Vector(argv[0], "read_f32() argument 1");
    sqlite3_result_blob(ctx, v.data(), int(v.size() * sizeof(float)), SQLITE_TRANSIENT);
  } catch (const std::exception& e) {
    ek::sql::ResultError(ctx, e);
  }
}

// One statement's first row: its first column as text or blob bytes, its type, or the
// error message.
struct Answer {
  int type = SQLITE_NULL;
  std::string bytes;   // text or blob
  double number = 0;   // integer or real
  std::string error;   // set when the statement failed
};

class VecFunctions : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_EQ(ek::sql::RegisterVectorFunctions(db_), SQLITE_OK);
    ASSERT_EQ(sqlite3_create_function(db_, "read_f32", 1, SQLITE_UTF8 | SQLITE_SUBTYPE, nullptr,
                                      ReadF32, nullptr, nullptr),
              SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }

  Answer Run(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    Answer answer;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      answer.error = sqlite3_errmsg(db_);
      return answer;
    }
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      answer.type = sqlite3_column_type(stmt, 0);
      answer.number = sqlite3_column_double(stmt, 0);
      const void* data = answer.type == SQLITE_BLOB ? sqlite3_column_blob(stmt, 0)
                                                    : static_cast<const void*>(sqlite3_column_text(stmt, 0));
      if (data) answer.bytes.assign(static_cast<const char*>(data), size_t(sqlite3_column_bytes(stmt, 0)));
    } else if (rc != SQLITE_DONE) {
      answer.error = sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return answer;
  }

  std::string Text(const std::string& sql) {
    Answer a = Run(sql);
    EXPECT_EQ(a.error, "") << sql;
    return a.bytes;
  }
  double Number(const std::string& sql) {
    Answer a = Run(sql);
    EXPECT_EQ(a.error, "") << sql;
    EXPECT_TRUE(a.type == SQLITE_FLOAT || a.type == SQLITE_INTEGER) << sql;
    return a.number;
  }
  std::vector<float> Floats(const std::string& sql) {
    const std::string b = Text(sql);
    std::vector<float> v(b.size() / sizeof(float));
    std::memcpy(v.data(), b.data(), v.size() * sizeof(float));
    return v;
  }
  std::string Error(const std::string& sql) {
    Answer a = Run(sql);
    EXPECT_NE(a.error, "") << sql << " should fail";
    return a.error;
  }

  sqlite3* db_ = nullptr;
};

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += char(b);
  return s;
}

TEST_F(VecFunctions, ReadF32VectorReadsJsonBlobsAndTaggedTypes) {
  EXPECT_EQ(Floats("SELECT read_f32('[1, 2.5, -3e2]')"), (std::vector<float>{1, 2.5f, -300}));
  EXPECT_EQ(Floats("SELECT read_f32(X'0000803F00000040')"), (std::vector<float>{1, 2}));
  EXPECT_EQ(Floats("SELECT read_f32(vec_int8('[-128, 0, 127]'))"), (std::vector<float>{-128, 0, 127}));
  // Bit i is bit i % 8 of byte i / 8: 0x05 = components 0 and 2.
  EXPECT_EQ(Floats("SELECT read_f32(vec_bit(X'05'))"), (std::vector<float>{1, 0, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(Floats("SELECT read_f32(vec_f16('[0.5, -2]'))"), (std::vector<float>{0.5f, -2}));
  // 0.1 rounds to the nearest float, as vec0's strtod + cast does.
  EXPECT_EQ(Floats("SELECT read_f32('[0.1]')"), (std::vector<float>{0.1f}));
}

// vec0 reads numbers with strtod and its docs write '[.1, .2, .3, 4]': a '.' that starts
// a number is read as "0."; every other departure from JSON stays an error, and errors
// in such text name the byte of the text as given.
TEST_F(VecFunctions, ReadF32VectorReadsNumbersStartingWithADot) {
  EXPECT_EQ(Floats("SELECT read_f32('[.1, .2, .3, 4]')"), (std::vector<float>{0.1f, 0.2f, 0.3f, 4}));
  EXPECT_EQ(Floats("SELECT read_f32('[ -.5 ,.25e1]')"), (std::vector<float>{-0.5f, 2.5f}));
  const std::string p = "embedkit: read_f32() argument 1: ";
  EXPECT_EQ(Error("SELECT read_f32('[1.]')"), p + "invalid number: expected a digit after '.' at byte 1");
  EXPECT_EQ(Error("SELECT read_f32('[01]')"), p + "invalid number: leading zeros are not allowed at byte 1");
  EXPECT_EQ(Error("SELECT read_f32('[+1]')"), p + "unexpected '+', expected a value at byte 1");
  EXPECT_EQ(Error("SELECT read_f32('[.]')"), p + "unexpected '.', expected a value at byte 1");
  EXPECT_EQ(Error("SELECT read_f32('[1 .5]')"),
            p + "expected ',' or ']' after a value in an array, got '.' at byte 3");
  EXPECT_EQ(Error("SELECT read_f32('[.5, .5, x]')"), p + "unexpected 'x', expected a value at byte 9");
  EXPECT_EQ(Error("SELECT read_f32('[.5, 2')"),
            p + "unexpected end of input inside the array opened at byte 0 at byte 6");
  EXPECT_EQ(Error("SELECT read_f32('[\".5\"]')"), p + "element 0 is a string, not a number");
}

TEST_F(VecFunctions, ReadF32VectorRefusesWhatIsNotAFiniteVector) {
  const std::string p = "embedkit: read_f32() argument 1: ";
  EXPECT_EQ(Error("SELECT read_f32(NULL)"),
            p + "NULL is not a vector (give JSON text like '[1, 2]' or a vector blob)");
  EXPECT_EQ(Error("SELECT read_f32(3)"),
            p + "an integer is not a vector (give JSON text like '[1, 2]' or a vector blob)");
  EXPECT_EQ(Error("SELECT read_f32('[]')"), p + "a vector needs at least one component");
  EXPECT_EQ(Error("SELECT read_f32(X'')"), p + "a vector needs at least one component (the blob is empty)");
  EXPECT_EQ(Error("SELECT read_f32(X'000000')"),
            p + "a float32 blob has 4 bytes per component; this one has 3 bytes");
  EXPECT_EQ(Error("SELECT read_f32('[1, \"a\"]')"), p + "element 1 is a string, not a number");
  EXPECT_EQ(Error("SELECT read_f32('{\"a\": 1}')"), p + "expected a JSON array, got an object at byte 0");
  EXPECT_EQ(Error("SELECT read_f32('[1e40]')"),
            p + "component 0 (1e+40) is beyond the float32 range");
  EXPECT_EQ(Error("SELECT read_f32(X'0000C07F')"), p + "component 0 is NaN; vectors must be finite");
  EXPECT_EQ(Error("SELECT read_f32(X'0000803F0000807F')"), p + "component 1 is infinite; vectors must be finite");
  // Malformed JSON: the JSON layer's explanation with its byte offset.
  const std::string unclosed = Error("SELECT read_f32('[1, 2')");
  EXPECT_EQ(unclosed.rfind(p, 0), 0u) << unclosed;
  EXPECT_NE(unclosed.find("at byte"), std::string::npos) << unclosed;
  // More than kMaxDimensions components, as text and as a blob.
  std::string big = "[0";
  for (size_t i = 1; i <= ek::sql::kMaxDimensions; ++i) big += ",0";
  big += "]";
  EXPECT_EQ(Error("SELECT read_f32('" + big + "')"), p + "65537 elements, more than the 65536 allowed");
  EXPECT_EQ(Error("SELECT read_f32(zeroblob(4 * 65537))"),
            p + "65537 components, more than the 65536 a vector may have");
  EXPECT_EQ(Floats("SELECT read_f32(zeroblob(4 * 65536))").size(), 65536u);
}

TEST_F(VecFunctions, ConstructorsWriteVec0LayoutsAndSubtypes) {
  EXPECT_EQ(Text("SELECT vec_f32('[1, 2]')"), Bytes({0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}));
  EXPECT_EQ(Number("SELECT subtype(vec_f32('[1]'))"), 223);
  EXPECT_EQ(Text("SELECT vec_int8('[1, -3]')"), Bytes({1, 0xfd}));
  EXPECT_EQ(Number("SELECT subtype(vec_int8('[1]'))"), 225);
  EXPECT_EQ(Text("SELECT vec_int8(X'01FD')"), Bytes({1, 0xfd}));  // untagged blob: int8 bytes
  EXPECT_EQ(Text("SELECT vec_bit(X'F0')"), Bytes({0xf0}));
  EXPECT_EQ(Number("SELECT subtype(vec_bit(X'F0'))"), 224);
  EXPECT_EQ(Text("SELECT vec_f16('[1, -2]')"), Bytes({0x00, 0x3c, 0x00, 0xc0}));
  EXPECT_EQ(Number("SELECT subtype(vec_f16('[1]'))"), 226);
  EXPECT_EQ(Text("SELECT vec_f16(X'003C')"), Bytes({0x00, 0x3c}));  // untagged blob: halves
  EXPECT_EQ(Text("SELECT vec_f16('[1e6]')"), Bytes({0xff, 0x7b}));  // saturates at 65504
  // A tagged vector of another type is converted component by component.
  EXPECT_EQ(Text("SELECT vec_f32(vec_int8('[2]'))"), Bytes({0, 0, 0, 0x40}));
  EXPECT_EQ(Text("SELECT vec_int8(vec_f32('[5]'))"), Bytes({5}));
}

TEST_F(VecFunctions, ConstructorsRefuseComponentsThatDoNotFit) {
  EXPECT_EQ(Error("SELECT vec_int8('[128]')"),
            "embedkit: vec_int8(): component 0 (128) is not an integer in [-128, 127]; "
            "vec_quantize_int8() maps floats");
  EXPECT_EQ(Error("SELECT vec_int8('[1, 1.5]')"),
            "embedkit: vec_int8(): component 1 (1.5) is not an integer in [-128, 127]; "
            "vec_quantize_int8() maps floats");
  EXPECT_EQ(Error("SELECT vec_bit('[1, 0]')"),
            "embedkit: vec_bit(): expects a blob of packed bits, got text; "
            "vec_quantize_binary() turns a float or int8 vector into bits");
  EXPECT_EQ(Error("SELECT vec_bit(vec_f32('[1]'))"),
            "embedkit: vec_bit(): expects a blob of packed bits, got a float32 vector; "
            "vec_quantize_binary() turns a float or int8 vector into bits");
  EXPECT_EQ(Error("SELECT vec_f16(X'003C00')"),
            "embedkit: vec_f16() argument 1: a float16 blob has 2 bytes per component; this one has 3 bytes");
  EXPECT_EQ(Error("SELECT vec_f16(X'007C')"),
            "embedkit: vec_f16() argument 1: component 0 is infinite; vectors must be finite");
  EXPECT_EQ(Error("SELECT vec_f32()"), "wrong number of arguments to function vec_f32()");
}

TEST_F(VecFunctions, LengthTypeAndJson) {
  EXPECT_EQ(Number("SELECT vec_length('[1, 2, 3]')"), 3);
  EXPECT_EQ(Number("SELECT vec_length(vec_bit(X'FF00'))"), 16);
  EXPECT_EQ(Text("SELECT vec_type('[1]')"), "float32");
  EXPECT_EQ(Text("SELECT vec_type(vec_int8('[1]'))"), "int8");
  EXPECT_EQ(Text("SELECT vec_type(vec_bit(X'01'))"), "bit");
  EXPECT_EQ(Text("SELECT vec_type(vec_f16('[1]'))"), "float16");
  // Shortest text that reads back as the same float.
  EXPECT_EQ(Text("SELECT vec_to_json('[1, 2.5, -3e-7, 0.1, 100000000]')"), "[1,2.5,-3e-07,0.1,1e+08]");
  EXPECT_EQ(Text("SELECT vec_to_json(vec_int8('[1, -3]'))"), "[1,-3]");
  EXPECT_EQ(Text("SELECT vec_to_json(vec_bit(X'05'))"), "[1,0,1,0,0,0,0,0]");
  EXPECT_EQ(Text("SELECT vec_version()").rfind("embedkit ", 0), 0u);
}

TEST_F(VecFunctions, Distances) {
  EXPECT_NEAR(Number("SELECT vec_distance_l2('[1, 2]', '[3, 5]')"), std::sqrt(13.0), 1e-6);
  EXPECT_NEAR(Number("SELECT vec_distance_cosine('[1, 0]', '[0, 1]')"), 1.0, 1e-6);
  EXPECT_NEAR(Number("SELECT vec_distance_cosine('[1, 2]', '[3, 5]')"), 1 - 13 / std::sqrt(5.0 * 34), 1e-6);
  EXPECT_EQ(Number("SELECT vec_distance_l1('[1, 2]', '[3, 5.5]')"), 5.5);
  EXPECT_EQ(Run("SELECT vec_distance_l1(vec_int8('[1, 2]'), vec_int8('[3, -5]'))").type, SQLITE_INTEGER);
  EXPECT_EQ(Number("SELECT vec_distance_l1(vec_int8('[1, 2]'), vec_int8('[3, -5]'))"), 9);
  EXPECT_NEAR(Number("SELECT vec_distance_l2(vec_int8('[1, 2]'), vec_int8('[3, 5]'))"), std::sqrt(13.0), 1e-6);
  EXPECT_EQ(Number("SELECT vec_distance_hamming(vec_bit(X'F0'), vec_bit(X'0F'))"), 8);
  EXPECT_EQ(Number("SELECT vec_distance_hamming(vec_bit(X'F001'), vec_bit(X'F000'))"), 1);
  EXPECT_EQ(Run("SELECT vec_distance_cosine('[0, 0]', '[1, 1]')").type, SQLITE_NULL);  // no direction
}

// vec0 measures L2 and cosine in float32 and returns the float: ours are float32 values
// too, so a bound copied from vec0's output cuts the same rows.
TEST_F(VecFunctions, L2AndCosineDistancesAreFloat32Values) {
  const double l2 = Number("SELECT vec_distance_l2('[0.1, 0.2, 0.3]', '[0.7, 0.11, 0.9]')");
  EXPECT_EQ(l2, double(float(l2)));  // the unrounded double sqrt would fail this
  EXPECT_NEAR(l2, std::sqrt(0.36 + 0.0081 + 0.36), 1e-7);
  const double cosine = Number("SELECT vec_distance_cosine('[1, 2]', '[3, 5]')");
  EXPECT_EQ(cosine, double(float(cosine)));
  EXPECT_NEAR(cosine, 1 - 13 / std::sqrt(5.0 * 34), 1e-7);
  // L1 stays a double, as vec0's is.
  EXPECT_EQ(Number("SELECT vec_distance_l1('[0.1]', '[0.7]')"), double(0.7f) - double(0.1f));
}

TEST_F(VecFunctions, DistancesRefuseMismatchedVectors) {
  EXPECT_EQ(Error("SELECT vec_distance_l2('[1, 2]', '[3, 5, 6]')"),
            "embedkit: vec_distance_l2(): argument 1 has 2 dimensions and argument 2 has 3; "
            "both must have the same number");
  EXPECT_EQ(Error("SELECT vec_distance_cosine(vec_int8('[1]'), '[1]')"),
            "embedkit: vec_distance_cosine(): argument 1 is a int8 vector and argument 2 a float32 "
            "vector; both must have the same element type");
  EXPECT_EQ(Error("SELECT vec_distance_l2(vec_bit(X'01'), vec_bit(X'01'))"),
            "embedkit: vec_distance_l2(): bit vectors have no such distance; "
            "vec_distance_hamming() compares them");
  EXPECT_EQ(Error("SELECT vec_distance_hamming('[1]', '[2]')"),
            "embedkit: vec_distance_hamming(): needs bit vectors, got float32 ones; "
            "vec_quantize_binary() makes bits of them");
  EXPECT_EQ(Error("SELECT vec_distance_l1('[1]', NULL)"),
            "embedkit: vec_distance_l1() argument 2: NULL is not a vector (give JSON text like "
            "'[1, 2]' or a vector blob)");
}

TEST_F(VecFunctions, NormalizeAddSubSlice) {
  const std::vector<float> unit = Floats("SELECT vec_normalize('[3, 4]')");
  ASSERT_EQ(unit.size(), 2u);
  EXPECT_NEAR(unit[0], 0.6f, 1e-7);
  EXPECT_NEAR(unit[1], 0.8f, 1e-7);
  EXPECT_EQ(Error("SELECT vec_normalize('[0, 0]')"),
            "embedkit: vec_normalize(): an all-zero vector has no direction to normalize");
  EXPECT_EQ(Error("SELECT vec_normalize(vec_int8('[3, 4]'))"),
            "embedkit: vec_normalize(): only float32 and float16 vectors can be normalized, got int8");
  EXPECT_EQ(Floats("SELECT vec_add('[1, 2]', '[3, 4.5]')"), (std::vector<float>{4, 6.5f}));
  EXPECT_EQ(Floats("SELECT vec_sub('[1, 2]', '[3, 4.5]')"), (std::vector<float>{-2, -2.5f}));
  EXPECT_EQ(Text("SELECT vec_add(vec_int8('[1, 2]'), vec_int8('[3, 125]'))"), Bytes({4, 127}));
  EXPECT_EQ(Number("SELECT subtype(vec_sub(vec_int8('[1]'), vec_int8('[3]')))"), 225);
  EXPECT_EQ(Error("SELECT vec_add(vec_int8('[1, 2]'), vec_int8('[3, 127]'))"),
            "embedkit: vec_add(): component 1 (2 + 127) overflows int8");
  EXPECT_EQ(Error("SELECT vec_sub('[-3e38]', '[3e38]')"),
            "embedkit: vec_sub(): component 0 (-3e+38 - 3e+38) overflows float32");
  EXPECT_EQ(Error("SELECT vec_add(vec_bit(X'01'), vec_bit(X'01'))"),
            "embedkit: vec_add(): bit vectors cannot be added or subtracted");

  EXPECT_EQ(Floats("SELECT vec_slice('[1, 2, 3, 4]', 1, 3)"), (std::vector<float>{2, 3}));
  EXPECT_EQ(Text("SELECT vec_slice(vec_bit(X'FF0F'), 8, 16)"), Bytes({0x0f}));
  EXPECT_EQ(Error("SELECT vec_slice('[1, 2]', -1, 1)"), "embedkit: vec_slice(): start (-1) must be >= 0");
  EXPECT_EQ(Error("SELECT vec_slice('[1, 2]', 0, 3)"),
            "embedkit: vec_slice(): end (3) is beyond the vector's 2 dimensions");
  EXPECT_EQ(Error("SELECT vec_slice('[1, 2]', 1, 1)"),
            "embedkit: vec_slice(): start (1) must be less than end (1): a vector needs at least one component");
  EXPECT_EQ(Error("SELECT vec_slice('[1, 2]', '0', 1)"),
            "embedkit: vec_slice(): start must be an integer, got text");
  EXPECT_EQ(Error("SELECT vec_slice(vec_bit(X'FF0F'), 4, 16)"),
            "embedkit: vec_slice(): a bit vector slices at whole bytes: start and end must be multiples of 8");
}

TEST_F(VecFunctions, Quantize) {
  // 1 where x > 0, packed LSB first: 1,0,0,1,0,1,1,0 = 0x69.
  EXPECT_EQ(Text("SELECT vec_quantize_binary('[1, -1, 0, 2, -3, 4, 5, -6]')"), Bytes({0x69}));
  EXPECT_EQ(Number("SELECT subtype(vec_quantize_binary('[1, -1, 0, 2, -3, 4, 5, -6]'))"), 224);
  EXPECT_EQ(Text("SELECT vec_quantize_binary(vec_int8('[1, -1, 0, 2, -3, 4, 5, -6]'))"), Bytes({0x69}));
  EXPECT_EQ(Error("SELECT vec_quantize_binary('[1, 2, 3]')"),
            "embedkit: vec_quantize_binary(): needs a number of dimensions divisible by 8, got 3");
  // vec0 0.1.9's answers for the same inputs (values outside [-1, 1] clamp).
  EXPECT_EQ(Text("SELECT vec_quantize_int8('[0.5, -1, 1, 0, 0.25, 2, -2, -0.999]', 'unit')"),
            Bytes({63, 0x80, 126, 0, 31, 127, 0x80, 0x81}));
  EXPECT_EQ(Number("SELECT subtype(vec_quantize_int8('[0.5]', 'UNIT'))"), 225);
  EXPECT_EQ(Error("SELECT vec_quantize_int8('[1]', 'other')"),
            "embedkit: vec_quantize_int8(): argument 2 must be 'unit' (the only range there is: [-1, 1])");
  EXPECT_EQ(Error("SELECT vec_quantize_int8(vec_int8('[1]'), 'unit')"),
            "embedkit: vec_quantize_int8(): quantizes float vectors, got int8");
}

TEST_F(VecFunctions, VecEachListsComponents) {
  EXPECT_EQ(Text("SELECT group_concat(rowid || ':' || value, ' ') FROM vec_each('[1.5, 2, 3]')"),
            "0:1.5 1:2.0 2:3.0");
  EXPECT_EQ(Text("SELECT group_concat(value, '') FROM vec_each(vec_bit(X'05'))"), "10100000");
  EXPECT_EQ(Text("SELECT group_concat(typeof(value)) FROM vec_each(vec_int8('[1, -2]'))"), "integer,integer");
  EXPECT_EQ(Number("SELECT count(*) FROM vec_each('[1, 2, 3]') WHERE rowid > 0"), 2);
  EXPECT_EQ(Error("SELECT * FROM vec_each('[]')"),
            "embedkit: vec_each() argument 1: a vector needs at least one component");
  EXPECT_EQ(Error("SELECT * FROM vec_each"), "no query solution");
}

}  // namespace
