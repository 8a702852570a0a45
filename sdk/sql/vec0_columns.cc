#include "sql/vec0_columns.h"

#include <cctype>
#include <charconv>

#include "base/error.h"

namespace ek::sql {
namespace {

enum class TokenKind { kIdentifier, kNumber, kString, kLBracket, kRBracket, kPlus, kEquals };

struct Token {
  TokenKind kind;
  std::string text;  // identifier, digits, or the unquoted string
};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// One argument: its position for messages, and its tokens.
class Argument {
 public:
  Argument(size_t index, std::string_view text) : index_(index), text_(text) { Tokenize(); }

  [[noreturn]] void Fail(const std::string& reason) const {
    ek::Fail(EK_ERR_INVALID_ARGUMENT, "embedkit(...) argument " + std::to_string(index_) + " '" +
                                          std::string(text_) + "': " + reason);
  }
  const std::vector<Token>& tokens() const { return tokens_; }
  bool Is(size_t i, TokenKind kind) const { return i < tokens_.size() && tokens_[i].kind == kind; }
  bool IsWord(size_t i, std::string_view word) const {
    return Is(i, TokenKind::kIdentifier) && EqualsIgnoreCase(tokens_[i].text, word);
  }

 private:
  void Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      const char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '[' || c == ']' || c == '+' || c == '=') {
        tokens_.push_back({c == '[' ? TokenKind::kLBracket
                           : c == ']' ? TokenKind::kRBracket
                           : c == '+' ? TokenKind::kPlus
                                      : TokenKind::kEquals,
                           std::string(1, c)});
        ++i;
      } else if (IsIdentStart(c)) {
        const size_t start = i;
        while (i < text_.size() && IsIdentChar(text_[i])) ++i;
        tokens_.push_back({TokenKind::kIdentifier, std::string(text_.substr(start, i - start))});
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        const size_t start = i;
        while (i < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i]))) ++i;
        tokens_.push_back({TokenKind::kNumber, std::string(text_.substr(start, i - start))});
      } else if (c == '\'' || c == '"') {
        i = QuotedString(i);
      } else {
        Fail(std::string("unexpected character '") + c + "' at byte " + std::to_string(i));
      }
    }
  }

  // SQL quoting: a doubled quote stands for one. Returns the index after the string.
  size_t QuotedString(size_t i) {
    const char quote = text_[i++];
    std::string value;
    while (true) {
      if (i >= text_.size()) Fail(std::string("unterminated ") + quote + " string");
      if (text_[i] == quote) {
        if (i + 1 < text_.size() && text_[i + 1] == quote) {
          value += quote;
          i += 2;
          continue;
        }
        break;
      }
      value += text_[i++];
    }
    tokens_.push_back({TokenKind::kString, std::move(value)});
    return i + 1;
  }

  size_t index_;
  std::string_view text_;
  std::vector<Token> tokens_;
};

uint32_t ParseCount(const Argument& arg, const std::string& digits, std::string_view what) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size())
    arg.Fail(std::string(what) + " " + digits + " does not fit 32 bits");
  return value;
}

bool IsVectorType(std::string_view word, VectorType* type) {
  if (EqualsIgnoreCase(word, "float") || EqualsIgnoreCase(word, "f32")) {
    *type = VectorType::kFloat32;
  } else if (EqualsIgnoreCase(word, "int8") || EqualsIgnoreCase(word, "i8")) {
    *type = VectorType::kInt8;
  } else if (EqualsIgnoreCase(word, "bit")) {
    *type = VectorType::kBit;
  } else {
    return false;
  }
  return true;
}

// vec0's metadata type names (sqlite-vec 0.1.6+).
std::optional<ValueType> MetadataType(std::string_view word) {
  for (const char* name : {"boolean", "bool"})
    if (EqualsIgnoreCase(word, name)) return ValueType::kBoolean;
  for (const char* name : {"integer", "int", "int64", "integer64"})
    if (EqualsIgnoreCase(word, name)) return ValueType::kInteger;
  for (const char* name : {"float", "double", "float64", "f64"})
    if (EqualsIgnoreCase(word, name)) return ValueType::kFloat;
  if (EqualsIgnoreCase(word, "text")) return ValueType::kText;
  return std::nullopt;
}

// Primary and partition keys: text or integer, as in vec0.
std::optional<ValueType> KeyType(std::string_view word) {
  if (EqualsIgnoreCase(word, "text")) return ValueType::kText;
  if (EqualsIgnoreCase(word, "integer") || EqualsIgnoreCase(word, "int"))
    return ValueType::kInteger;
  return std::nullopt;
}

// Auxiliary columns: text, integer, float or blob, as in vec0.
std::optional<ValueType> AuxiliaryType(std::string_view word) {
  if (EqualsIgnoreCase(word, "text")) return ValueType::kText;
  if (EqualsIgnoreCase(word, "integer") || EqualsIgnoreCase(word, "int"))
    return ValueType::kInteger;
  if (EqualsIgnoreCase(word, "float") || EqualsIgnoreCase(word, "double"))
    return ValueType::kFloat;
  if (EqualsIgnoreCase(word, "blob")) return ValueType::kBlob;
  return std::nullopt;
}

kernels::Metric ParseMetric(const Argument& arg, std::string_view word) {
  if (EqualsIgnoreCase(word, "l2")) return kernels::Metric::kL2;
  if (EqualsIgnoreCase(word, "cosine")) return kernels::Metric::kCosine;
  if (EqualsIgnoreCase(word, "dot")) return kernels::Metric::kDot;
  if (EqualsIgnoreCase(word, "l1"))
    arg.Fail("distance_metric=l1 is not an embedkit metric (l2, cosine or dot)");
  arg.Fail("unknown distance_metric '" + std::string(word) + "' (l2, cosine or dot)");
}

// `name float[N] [distance_metric=...]`
VectorSpec ParseVectorColumn(const Argument& arg, VectorType type) {
  const auto& t = arg.tokens();
  if (!arg.Is(2, TokenKind::kLBracket) || !arg.Is(3, TokenKind::kNumber) ||
      !arg.Is(4, TokenKind::kRBracket))
    arg.Fail("a vector column is written 'name " + t[1].text + "[dimensions]'");
  VectorSpec spec{t[0].text, type, ParseCount(arg, t[3].text, "dimensions"),
                  kernels::Metric::kL2};
  if (spec.dim == 0) arg.Fail("a vector needs at least 1 dimension");
  if (type == VectorType::kBit && spec.dim % 8 != 0)
    arg.Fail("bit[" + t[3].text + "]: the dimensions of a bit vector must be divisible by 8");
  bool metric_given = false;
  for (size_t i = 5; i < t.size(); i += 3) {
    if (!arg.IsWord(i, "distance_metric"))
      arg.Fail("unknown vector column option '" + t[i].text + "' (known: distance_metric)");
    if (!arg.Is(i + 1, TokenKind::kEquals) || !arg.Is(i + 2, TokenKind::kIdentifier))
      arg.Fail("distance_metric is written distance_metric=l2|cosine|dot");
    if (metric_given) arg.Fail("distance_metric is given twice");
    if (type == VectorType::kBit)
      arg.Fail("a bit vector has no distance_metric (its distance is the Hamming distance)");
    spec.metric = ParseMetric(arg, t[i + 2].text);
    metric_given = true;
  }
  return spec;
}

// Column definitions other than the vector: `name type [primary key | partition key]`,
// `+name type`.
ColumnSpec ParseValueColumn(const Argument& arg) {
  const auto& t = arg.tokens();
  if (arg.Is(0, TokenKind::kPlus)) {
    if (t.size() != 3 || !arg.Is(1, TokenKind::kIdentifier) || !arg.Is(2, TokenKind::kIdentifier))
      arg.Fail("an auxiliary column is written '+name text|integer|float|blob'");
    const auto type = AuxiliaryType(t[2].text);
    if (!type) arg.Fail("unknown auxiliary column type '" + t[2].text + "' (text, integer, float, blob)");
    return {t[1].text, ColumnRole::kAuxiliary, *type};
  }
  if (t.size() == 4 && (arg.IsWord(2, "primary") || arg.IsWord(2, "partition"))) {
    const bool primary = arg.IsWord(2, "primary");
    if (!arg.IsWord(3, "key")) arg.Fail("expected '" + t[2].text + " key'");
    const auto type = KeyType(t[1].text);
    if (!type)
      arg.Fail(std::string("a ") + (primary ? "primary" : "partition") +
               " key is text or integer, not '" + t[1].text + "'");
    return {t[0].text, primary ? ColumnRole::kPrimaryKey : ColumnRole::kPartitionKey, *type};
  }
  if (t.size() != 2)
    arg.Fail("not a column definition ('name type', 'name type primary key', 'name type "
             "partition key', '+name type', 'name float[N]') nor an option (key=value)");
  const auto type = MetadataType(t[1].text);
  if (!type)
    arg.Fail("unknown column type '" + t[1].text +
             "' (metadata columns: text, integer, float, boolean; vectors: float[N], int8[N], "
             "bit[N])");
  return {t[0].text, ColumnRole::kMetadata, *type};
}

std::string OptionValue(const Argument& arg) {
  const auto& t = arg.tokens();
  if (t.size() != 3 || t[2].kind == TokenKind::kLBracket || t[2].kind == TokenKind::kRBracket ||
      t[2].kind == TokenKind::kPlus || t[2].kind == TokenKind::kEquals)
    arg.Fail("an option is written key=value");
  return t[2].text;
}

void ParseOption(const Argument& arg, TableSpec* spec) {
  const std::string key = arg.tokens()[0].text;
  const std::string value = OptionValue(arg);
  auto count = [&] { return ParseCount(arg, value, key); };
  auto is_number = [&] { return arg.Is(2, TokenKind::kNumber); };
  auto lower = [](std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string k = lower(key);
  if (k == "collection") {
    if (value.empty()) arg.Fail("collection needs a name");
    spec->collection = value;
    return;
  }
  if (k == "chunk_size") {  // vec0's storage knob; the store has no chunks
    if (!is_number() || count() == 0 || count() % 8 != 0)
      arg.Fail("chunk_size must be a positive multiple of 8");
    return;
  }
  spec->index_options_given = true;
  if (k == "index") {
    const std::string v = lower(value);
    if (v == "exact") spec->index.kind = store::IndexKind::kExact;
    else if (v == "hnsw") spec->index.kind = store::IndexKind::kHnsw;
    else arg.Fail("index is exact or hnsw, not '" + value + "'");
  } else if (k == "element") {
    const std::string v = lower(value);
    if (v == "f32") spec->index.element = store::ElementType::kF32;
    else if (v == "f16") spec->index.element = store::ElementType::kF16;
    else if (v == "int8") spec->index.element = store::ElementType::kInt8;
    else if (v == "bit") spec->index.element = store::ElementType::kBit;
    else arg.Fail("element is f32, f16, int8 or bit, not '" + value + "'");
  } else if (k == "m" || k == "ef_construction" || k == "ef_search" || k == "rescore") {
    if (!is_number()) arg.Fail(key + " needs a whole number");
    uint32_t* field = k == "m"                 ? &spec->index.m
                      : k == "ef_construction" ? &spec->index.ef_construction
                      : k == "ef_search"       ? &spec->index.ef_search
                                               : &spec->index.rescore;
    *field = count();
  } else {
    arg.Fail("unknown option '" + key +
             "' (known: index, m, ef_construction, ef_search, element, rescore, collection, "
             "chunk_size)");
  }
}

void CheckNames(const Argument& arg, const TableSpec& spec, const std::string& name) {
  for (const char* reserved : {"distance", "k", "ef", "rowid", "oid", "_rowid_"})
    if (EqualsIgnoreCase(name, reserved))
      arg.Fail("'" + name + "' is reserved (hidden columns distance, k, ef; the rowid)");
  for (const ColumnSpec& c : spec.columns)
    if (EqualsIgnoreCase(c.name, name)) arg.Fail("column '" + name + "' is declared twice");
}

void AddColumn(const Argument& arg, TableSpec* spec, ColumnSpec column) {
  CheckNames(arg, *spec, column.name);
  if (column.role == ColumnRole::kPrimaryKey) {
    if (PrimaryKey(*spec)) arg.Fail("a table has at most one primary key");
    spec->columns.insert(spec->columns.begin(), std::move(column));
  } else {
    spec->columns.push_back(std::move(column));
  }
}

}  // namespace

const ColumnSpec* PrimaryKey(const TableSpec& spec) {
  if (!spec.columns.empty() && spec.columns[0].role == ColumnRole::kPrimaryKey)
    return &spec.columns[0];
  return nullptr;
}

int VectorColumn(const TableSpec& spec) {
  for (size_t i = 0; i < spec.columns.size(); ++i)
    if (spec.columns[i].role == ColumnRole::kVector) return int(i);
  return -1;
}

TableSpec ParseTableArguments(const std::vector<std::string_view>& args,
                              std::string_view table_name) {
  TableSpec spec;
  spec.collection = std::string(table_name);
  bool have_vector = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const Argument arg(i + 1, args[i]);
    const auto& t = arg.tokens();
    if (t.empty()) arg.Fail("empty argument");
    VectorType vector_type;
    if (arg.Is(0, TokenKind::kIdentifier) && arg.Is(1, TokenKind::kEquals)) {
      ParseOption(arg, &spec);
    } else if (arg.Is(0, TokenKind::kIdentifier) && arg.Is(1, TokenKind::kIdentifier) &&
               IsVectorType(t[1].text, &vector_type) && arg.Is(2, TokenKind::kLBracket)) {
      if (have_vector)
        arg.Fail("a second vector column; an embedkit table has exactly one (the collection's)");
      spec.vector = ParseVectorColumn(arg, vector_type);
      AddColumn(arg, &spec, {spec.vector.name, ColumnRole::kVector, ValueType::kBlob});
      have_vector = true;
    } else if (arg.Is(0, TokenKind::kPlus) || arg.Is(0, TokenKind::kIdentifier)) {
      AddColumn(arg, &spec, ParseValueColumn(arg));
    } else {
      arg.Fail("not a column definition nor an option (key=value)");
    }
  }
  if (!have_vector)
    ek::Fail(EK_ERR_INVALID_ARGUMENT,
             "embedkit(...): no vector column; declare one such as 'embedding float[384]'");
  try {
    store::ValidateIndexOptions(spec.index);
  } catch (const ek::Error& e) {
    ek::Fail(e.status(), std::string("embedkit(...) options: ") + e.what());
  }
  return spec;
}

std::string DeclareTableSql(const TableSpec& spec) {
  auto quoted = [](const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  std::string sql = "CREATE TABLE x(";
  for (const ColumnSpec& c : spec.columns) {
    sql += quoted(c.name);
    switch (c.role == ColumnRole::kVector ? ValueType::kBlob : c.type) {
      case ValueType::kInteger: sql += " INTEGER"; break;
      case ValueType::kFloat: sql += " REAL"; break;
      case ValueType::kText: sql += " TEXT"; break;
      case ValueType::kBoolean: sql += " INTEGER"; break;
      case ValueType::kBlob: sql += " BLOB"; break;
    }
    sql += ", ";
  }
  return sql + "distance HIDDEN, k HIDDEN, ef HIDDEN)";
}

}  // namespace ek::sql
