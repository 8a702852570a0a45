#include "json/filter.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "base/error.h"
#include "json/dom.h"
#include "json/json.h"

namespace ek::json {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The compiled tree. A field node holds every operator given for one field (all must
// hold); the logical nodes hold sub-filters.
struct Filter::Node {
  enum class Kind { kAnd, kOr, kNot, kField };
  enum class Op { kEq, kNe, kLt, kLte, kGt, kGte, kIn, kNin, kPrefix, kIPrefix, kNull };
  struct Null {};
  using Scalar = std::variant<Null, bool, double, std::string>;

  // The operand of $in / $nin: membership by JSON type, numbers as double.
  struct ValueSet {
    bool null = false, yes = false, no = false;
    std::vector<double> numbers;       // sorted
    std::vector<std::string> strings;  // sorted bytewise
    bool Contains(element v) const;
  };

  struct Test {
    Op op;
    Scalar operand;  // $eq $ne (any scalar); $lt $lte $gt $gte (number or string); $prefix;
                     // $iprefix (ASCII letters lower-cased); $null (bool)
    ValueSet set;    // $in $nin
  };

  Kind kind = Kind::kAnd;
  std::vector<Node> children;  // kAnd, kOr; kNot has exactly one
  std::string field;           // kField
  std::vector<Test> tests;     // kField
};

namespace {

using Node = Filter::Node;
using Op = Node::Op;

struct OpName {
  std::string_view name;
  Op op;
};
constexpr OpName kFieldOps[] = {{"$eq", Op::kEq},         {"$ne", Op::kNe},
                                {"$lt", Op::kLt},         {"$lte", Op::kLte},
                                {"$gt", Op::kGt},         {"$gte", Op::kGte},
                                {"$in", Op::kIn},         {"$nin", Op::kNin},
                                {"$prefix", Op::kPrefix}, {"$iprefix", Op::kIPrefix},
                                {"$null", Op::kNull}};
constexpr const char* kFieldOpList =
    "$eq, $ne, $lt, $lte, $gt, $gte, $in, $nin, $prefix, $iprefix, $null";
constexpr const char* kLogicalOpList = "$and, $or, $not";

// ---- Evaluation ------------------------------------------------------------------------

bool IsNumber(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

// SQLite's default LIKE folding: A-Z only; every other byte (UTF-8 included) is itself.
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

std::string AsciiLowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

// `s` starts with `lowered` (already folded) when ASCII letters are folded.
bool StartsWithFolded(std::string_view s, std::string_view lowered) {
  if (s.size() < lowered.size()) return false;
  for (size_t i = 0; i < lowered.size(); ++i)
    if (AsciiLower(s[i]) != lowered[i]) return false;
  return true;
}

// Same JSON type and value; one switch on the operand's alternative (Null, bool,
// double, string), as this runs for every row.
bool ScalarEquals(element v, const Node::Scalar& want) {
  switch (want.index()) {
    case 0: return v.is_null();
    case 1: return v.is_bool() && bool(v) == *std::get_if<bool>(&want);
    case 2: {
      double x;
      return AsDouble(v, &x) && x == *std::get_if<double>(&want);
    }
    default: {
      std::string_view s;
      return v.get(s) == simdjson::SUCCESS && s == *std::get_if<std::string>(&want);
    }
  }
}

// <0, 0 or >0 as `v` sorts before, with or after `operand` (a number or a string);
// nothing when their types differ.
std::optional<int> Compare(element v, const Node::Scalar& operand) {
  if (const double* d = std::get_if<double>(&operand)) {
    double x;
    if (!AsDouble(v, &x)) return std::nullopt;
    return x < *d ? -1 : x > *d ? 1 : 0;
  }
  std::string_view s;
  if (v.get(s) != simdjson::SUCCESS) return std::nullopt;
  return s.compare(std::get<std::string>(operand));
}

// `v` is the field's value, or null when the row has no such field.
bool Passes(const Node::Test& t, const element* v) {
  switch (t.op) {
    case Op::kEq: return v && ScalarEquals(*v, t.operand);
    case Op::kNe: return !(v && ScalarEquals(*v, t.operand));
    case Op::kIn: return v && t.set.Contains(*v);
    case Op::kNin: return !(v && t.set.Contains(*v));
    case Op::kNull: return (!v || v->is_null()) == std::get<bool>(t.operand);
    case Op::kPrefix: {
      std::string_view s;
      const std::string& prefix = std::get<std::string>(t.operand);
      return v && v->get(s) == simdjson::SUCCESS && s.substr(0, prefix.size()) == prefix;
    }
    case Op::kIPrefix: {
      std::string_view s;
      return v && v->get(s) == simdjson::SUCCESS &&
             StartsWithFolded(s, std::get<std::string>(t.operand));
    }
    default: break;  // the orderings
  }
  const std::optional<int> c = v ? Compare(*v, t.operand) : std::nullopt;
  if (!c) return false;
  switch (t.op) {
    case Op::kLt: return *c < 0;
    case Op::kLte: return *c <= 0;
    case Op::kGt: return *c > 0;
    default: return *c >= 0;  // kGte
  }
}

inline bool EvalField(const Node& n, simdjson::dom::object row) {
  element value;
  const element* v = row.at_key(n.field).get(value) == simdjson::SUCCESS ? &value : nullptr;
  for (const Node::Test& t : n.tests)
    if (!Passes(t, v)) return false;
  return true;
}

// Field children are evaluated in the loop, not through a call each (the common filter
// is an AND of fields, and a row costs little beyond its parse).
bool Eval(const Node& n, simdjson::dom::object row) {
  switch (n.kind) {
    case Node::Kind::kAnd:
      for (const Node& c : n.children)
        if (!(c.kind == Node::Kind::kField ? EvalField(c, row) : Eval(c, row))) return false;
      return true;
    case Node::Kind::kOr:
      for (const Node& c : n.children)
        if (c.kind == Node::Kind::kField ? EvalField(c, row) : Eval(c, row)) return true;
      return false;
    case Node::Kind::kNot: return !Eval(n.children[0], row);
    case Node::Kind::kField: return EvalField(n, row);
  }
  return false;
}

// ---- Compilation -----------------------------------------------------------------------

// A key as it appears in a message: control bytes (a key may hold "\u0000") escaped,
// so ek_last_error() is never cut short.
std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char ch : key) {
    if (ch >= 0x20) {
      out += static_cast<char>(ch);
      continue;
    }
    static const char kHex[] = "0123456789abcdef";
    out += "\\u00";
    out += kHex[ch >> 4];
    out += kHex[ch & 15];
  }
  return out;
}

std::string Join(const std::string& path, std::string_view step) {
  return path.empty() ? std::string(step) : path + "." + std::string(step);
}

// "filter: <path>: " (or "filter: " at the top level), the start of every message.
std::string Where(const std::string& path) { return path.empty() ? "filter: " : "filter: " + path + ": "; }

bool IsScalar(element v) { return v.type() != element_type::ARRAY && v.type() != element_type::OBJECT; }

Node::Scalar ScalarOf(element v) {
  if (v.is_null()) return Node::Null{};
  if (v.is_bool()) return bool(v);
  double d;
  if (AsDouble(v, &d)) return d;
  return std::string(std::string_view(v));
}

class Compiler {
 public:
  // A filter object: the AND of its keys (fields and $and/$or/$not).
  Node Object(simdjson::dom::object o, const std::string& path, size_t depth) {
    Node n;
    for (auto [key, value] : o) {
      if (!key.empty() && key[0] == '$') {
        n.children.push_back(Logical(key, value, path, depth));
      } else {
        n.children.push_back(Field(key, value, path));
      }
    }
    return n;
  }

  std::vector<std::string> TakeFields() {
    std::sort(fields_.begin(), fields_.end());
    fields_.erase(std::unique(fields_.begin(), fields_.end()), fields_.end());
    return std::move(fields_);
  }

 private:
  void Count(const std::string& path) {
    if (++terms_ > kMaxFilterTerms)
      Fail(EK_ERR_LIMIT, Where(path) + "more than " + std::to_string(kMaxFilterTerms) +
                             " terms (fields, operators and $in/$nin values)");
  }

  Node Logical(std::string_view op, element value, const std::string& path, size_t depth);
  Node Field(std::string_view key, element value, const std::string& path);
  Node::Test Operator(std::string_view op, element operand, const std::string& path);
  void Members(std::string_view op, element operand, const std::string& path, Node::ValueSet* set);

  size_t terms_ = 0;
  std::vector<std::string> fields_;
};

Node Compiler::Logical(std::string_view op, element value, const std::string& path, size_t depth) {
  const std::string here = Join(path, op);
  if (op != "$and" && op != "$or" && op != "$not") {
    const bool field_op = std::any_of(std::begin(kFieldOps), std::end(kFieldOps),
                                      [&](const OpName& o) { return o.name == op; });
    Fail(EK_ERR_INVALID_ARGUMENT,
         Where(path) + "unknown operator '" + Printable(op) + "' (known: " + kLogicalOpList +
             (field_op ? "; " + std::string(op) + " applies to a field: {\"field\": {\"" +
                             std::string(op) + "\": ...}}"
                       : "") +
             ")");
  }
  if (depth >= kMaxFilterDepth)
    Fail(EK_ERR_LIMIT, Where(here) + "nested deeper than " + std::to_string(kMaxFilterDepth) +
                           " levels of $and, $or and $not");
  Count(here);
  Node n;
  if (op == "$not") {
    simdjson::dom::object o;
    if (value.get(o) != simdjson::SUCCESS)
      Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + "$not needs a filter object, got " + TypeName(value.type()));
    n.kind = Node::Kind::kNot;
    n.children.push_back(Object(o, here, depth + 1));
    return n;
  }
  n.kind = op == "$and" ? Node::Kind::kAnd : Node::Kind::kOr;
  simdjson::dom::array list;
  if (value.get(list) != simdjson::SUCCESS)
    Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + std::string(op) + " needs an array of filter objects, got " +
                                      TypeName(value.type()));
  if (list.size() == 0)
    Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + std::string(op) + " needs at least one filter object, got an empty array");
  size_t i = 0;
  for (element item : list) {
    const std::string step = std::string(op) + "[" + std::to_string(i++) + "]";
    simdjson::dom::object o;
    if (item.get(o) != simdjson::SUCCESS)
      Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + step + " needs a filter object, got " + TypeName(item.type()));
    n.children.push_back(Object(o, Join(path, step), depth + 1));
  }
  return n;
}

Node Compiler::Field(std::string_view key, element value, const std::string& path) {
  const std::string here = Join(path, Printable(key));
  Count(here);
  fields_.emplace_back(key);
  Node n;
  n.kind = Node::Kind::kField;
  n.field = std::string(key);
  if (value.type() == element_type::ARRAY)
    Fail(EK_ERR_INVALID_ARGUMENT, Where(here) +
                                      "an array can't be matched as a value; only strings, numbers, "
                                      "booleans and null can be matched (for one of several values: "
                                      "{\"$in\": [...]})");
  if (IsScalar(value)) {
    n.tests.push_back(Node::Test{Op::kEq, ScalarOf(value), {}});
    return n;
  }
  const simdjson::dom::object ops = value;
  if (ops.size() == 0)
    Fail(EK_ERR_INVALID_ARGUMENT, Where(here) + "an empty operator object; give a value or at least one of " +
                                      kFieldOpList);
  for (auto [op, operand] : ops) n.tests.push_back(Operator(op, operand, here));
  return n;
}

Node::Test Compiler::Operator(std::string_view op, element operand, const std::string& path) {
  Count(path);
  const auto* known = std::find_if(std::begin(kFieldOps), std::end(kFieldOps),
                                   [&](const OpName& o) { return o.name == op; });
  if (known == std::end(kFieldOps))
    Fail(EK_ERR_INVALID_ARGUMENT,
         Where(path) + "unknown operator '" + Printable(op) + "' (known: " + kFieldOpList + ")");
  const std::string name(op);
  const std::string got = std::string(", got ") + TypeName(operand.type());
  Node::Test t{known->op, Node::Null{}, {}};
  switch (t.op) {
    case Op::kEq:
    case Op::kNe:
      if (!IsScalar(operand))
        Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + name + " needs a string, number, boolean or null" + got);
      t.operand = ScalarOf(operand);
      break;
    case Op::kLt:
    case Op::kLte:
    case Op::kGt:
    case Op::kGte:
      if (!IsNumber(operand.type()) && !operand.is_string())
        Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + name + " needs a number or a string" + got);
      t.operand = ScalarOf(operand);
      break;
    case Op::kIn:
    case Op::kNin: Members(op, operand, path, &t.set); break;
    case Op::kPrefix:
    case Op::kIPrefix:
      if (!operand.is_string()) Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + name + " needs a string" + got);
      // $iprefix folds its operand once here; each row's bytes are folded as compared.
      t.operand = t.op == Op::kPrefix ? ScalarOf(operand) : AsciiLowered(std::string_view(operand));
      break;
    case Op::kNull:
      if (!operand.is_bool()) Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + name + " needs true or false" + got);
      t.operand = bool(operand);
      break;
  }
  return t;
}

void Compiler::Members(std::string_view op, element operand, const std::string& path, Node::ValueSet* set) {
  simdjson::dom::array list;
  if (operand.get(list) != simdjson::SUCCESS)
    Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + std::string(op) +
                                      " needs an array of strings, numbers, booleans or nulls, got " +
                                      TypeName(operand.type()));
  size_t i = 0;
  for (element v : list) {
    if (!IsScalar(v))
      Fail(EK_ERR_INVALID_ARGUMENT, Where(path) + std::string(op) + "[" + std::to_string(i) +
                                        "] needs a string, number, boolean or null, got " + TypeName(v.type()));
    ++i;
    Count(path);
    double d;
    std::string_view s;
    if (v.is_null()) set->null = true;
    else if (v.is_bool()) (bool(v) ? set->yes : set->no) = true;
    else if (AsDouble(v, &d)) set->numbers.push_back(d);
    else if (v.get(s) == simdjson::SUCCESS) set->strings.emplace_back(s);
  }
  std::sort(set->numbers.begin(), set->numbers.end());
  std::sort(set->strings.begin(), set->strings.end());
}

}  // namespace

bool Filter::Node::ValueSet::Contains(element v) const {
  if (v.is_null()) return null;
  if (v.is_bool()) return bool(v) ? yes : no;
  double d;
  if (AsDouble(v, &d)) return std::binary_search(numbers.begin(), numbers.end(), d);
  std::string_view s;
  if (v.get(s) != simdjson::SUCCESS) return false;  // arrays and objects are in no set
  // Heterogeneous lookup: compare the row's bytes with the set without a copy.
  const auto it = std::lower_bound(strings.begin(), strings.end(), s,
                                   [](const std::string& a, std::string_view b) { return a < b; });
  return it != strings.end() && *it == s;
}

Filter::Filter(std::shared_ptr<const Node> root, std::vector<std::string> fields)
    : root_(std::move(root)), fields_(std::move(fields)) {}

Filter Filter::Compile(std::string_view text) {
  std::optional<simdjson::dom::parser> local;
  const simdjson::dom::object object = ParseObject(ParserFor(text, local), text, "filter");
  Compiler compiler;
  auto root = std::make_shared<const Node>(compiler.Object(object, "", 0));
  return Filter(std::move(root), compiler.TakeFields());
}

bool Filter::MatchesEverything() const {
  return root_->kind == Node::Kind::kAnd && root_->children.empty();
}

bool Filter::Matches(std::string_view metadata_json) const {
  if (metadata_json.size() > kMaxDocumentBytes) return false;
  std::optional<simdjson::dom::parser> local;
  element root;
  if (Parse(ParserFor(metadata_json, local), metadata_json).get(root) != simdjson::SUCCESS) return false;
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return false;
  return Eval(*root_, object);
}

}  // namespace ek::json
