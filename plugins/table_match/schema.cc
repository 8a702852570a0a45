// table_match: parsers for schema JSON, SQL DDL, glossary JSON and glossary CSV.
// See schema.h for why DDL and CSV are read by hand.
#include "schema.h"

#include <embedkit/ext/matcher.h>

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

namespace tmatch {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

void CheckText(const std::string& s, const Limits& limits, const char* what) {
  if (s.size() > limits.max_text_bytes) {
    Fail(EK_ERR_LIMIT, std::string(what) + " of " + std::to_string(s.size()) +
                           " bytes exceeds max_text_bytes (" +
                           std::to_string(limits.max_text_bytes) + ")");
  }
}

void CheckCount(const Parsed& p, const Limits& limits) {
  if (p.columns.size() > limits.max_columns) {
    Fail(EK_ERR_LIMIT, "more than max_columns (" + std::to_string(limits.max_columns) +
                           ") columns/entries");
  }
}

// ---- SQL DDL ---------------------------------------------------------------------------
enum class Tok { kIdent, kQuoted, kString, kNumber, kPunct, kEnd };

struct Token {
  Tok kind;
  std::string text;  // identifier / string contents (unescaped) / punctuation
  size_t line, col;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Tokenizes everything; line comments ("-- text") are kept per line.
  std::vector<Token> Run(std::map<size_t, std::string>* line_comments) {
    std::vector<Token> out;
    while (true) {
      SkipSpace(line_comments);
      if (i_ >= s_.size()) break;
      const size_t line = line_, col = Col();
      const char c = s_[i_];
      if (c == '\'') {
        out.push_back({Tok::kString, ReadQuoted('\'', line, col), line, col});
      } else if (c == '"' || c == '`') {
        out.push_back({Tok::kQuoted, ReadQuoted(c, line, col), line, col});
      } else if (c == '[') {
        out.push_back({Tok::kQuoted, ReadQuoted(']', line, col, true), line, col});
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                 static_cast<unsigned char>(c) >= 0x80) {
        size_t b = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                                  s_[i_] == '_' || s_[i_] == '$' ||
                                  static_cast<unsigned char>(s_[i_]) >= 0x80))
          ++i_;
        out.push_back({Tok::kIdent, std::string(s_.substr(b, i_ - b)), line, col});
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        size_t b = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                                  s_[i_] == '.'))
          ++i_;
        out.push_back({Tok::kNumber, std::string(s_.substr(b, i_ - b)), line, col});
      } else {
        ++i_;
        out.push_back({Tok::kPunct, std::string(1, c), line, col});
      }
    }
    out.push_back({Tok::kEnd, "", line_, Col()});
    return out;
  }

 private:
  size_t Col() const { return i_ - line_start_ + 1; }
  void NewLine() {
    ++line_;
    line_start_ = i_ + 1;
  }

  void SkipSpace(std::map<size_t, std::string>* line_comments) {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\n') {
        NewLine();
        ++i_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++i_;
      } else if (c == '-' && i_ + 1 < s_.size() && s_[i_ + 1] == '-') {
        const size_t line = line_;
        size_t b = i_ + 2;
        size_t e = s_.find('\n', b);
        if (e == std::string_view::npos) e = s_.size();
        std::string text = Trim(s_.substr(b, e - b));
        if (!text.empty()) (*line_comments)[line] = std::move(text);
        i_ = e;
      } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
        const size_t line = line_, col = Col();
        i_ += 2;
        bool closed = false;
        while (i_ < s_.size()) {
          if (s_[i_] == '*' && i_ + 1 < s_.size() && s_[i_ + 1] == '/') {
            i_ += 2;
            closed = true;
            break;
          }
          if (s_[i_] == '\n') NewLine();
          ++i_;
        }
        if (!closed) {
          Fail(EK_ERR_PARSE, "line " + std::to_string(line) + ", column " +
                                 std::to_string(col) + ": unterminated /* comment");
        }
      } else {
        break;
      }
    }
  }

  // Reads a quoted run starting at s_[i_]; a doubled closing quote is an escaped one.
  std::string ReadQuoted(char close, size_t line, size_t col, bool bracket = false) {
    ++i_;
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == close) {
        if (!bracket && i_ + 1 < s_.size() && s_[i_ + 1] == close) {
          out += close;
          i_ += 2;
          continue;
        }
        ++i_;
        return out;
      }
      if (c == '\\' && close == '\'' && i_ + 1 < s_.size() &&
          (s_[i_ + 1] == '\'' || s_[i_ + 1] == '\\')) {
        out += s_[i_ + 1];
        i_ += 2;
        continue;
      }
      if (c == '\n') NewLine();
      out += c;
      ++i_;
    }
    Fail(EK_ERR_PARSE, "line " + std::to_string(line) + ", column " + std::to_string(col) +
                           ": unterminated " +
                           (close == '\'' ? std::string("string") : std::string("quoted name")));
  }

  std::string_view s_;
  size_t i_ = 0, line_ = 1, line_start_ = 0;
};

class DdlParser {
 public:
  DdlParser(std::vector<Token> toks, std::map<size_t, std::string> comments,
            const Limits& limits, Parsed* out, std::vector<std::string>* warnings)
      : t_(std::move(toks)),
        line_comments_(std::move(comments)),
        limits_(limits),
        out_(out),
        warnings_(warnings) {}

  void Run() {
    while (Peek().kind != Tok::kEnd) {
      if (IsKw(Peek(), "CREATE")) {
        Create();
      } else if (IsKw(Peek(), "COMMENT") && IsKw(Peek(1), "ON")) {
        CommentOn();
      } else if (IsPunct(Peek(), ";")) {
        ++p_;
      } else {
        SkipStatement();
      }
    }
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return t_[std::min(p_ + ahead, t_.size() - 1)];
  }
  static bool IsKw(const Token& t, std::string_view kw) {
    return t.kind == Tok::kIdent && IEquals(t.text, kw);
  }
  static bool IsPunct(const Token& t, std::string_view p) {
    return t.kind == Tok::kPunct && t.text == p;
  }
  [[noreturn]] void Error(const Token& t, const std::string& what) const {
    std::string near = t.kind == Tok::kEnd ? "end of input" : "'" + t.text.substr(0, 40) + "'";
    Fail(EK_ERR_PARSE, "line " + std::to_string(t.line) + ", column " +
                           std::to_string(t.col) + ": " + what + " (at " + near + ")");
  }
  void Expect(std::string_view punct, const char* what) {
    if (!IsPunct(Peek(), punct)) Error(Peek(), std::string("expected ") + what);
    ++p_;
  }
  bool AcceptKw(std::string_view kw) {
    if (IsKw(Peek(), kw)) {
      ++p_;
      return true;
    }
    return false;
  }
  std::string Name(const char* what) {
    const Token& t = Peek();
    if (t.kind != Tok::kIdent && t.kind != Tok::kQuoted) Error(t, std::string("expected ") + what);
    if (t.text.empty()) Error(t, std::string("empty ") + what);
    ++p_;
    return t.text;
  }
  // schema.table -> table (the last part).
  std::string QualifiedName(const char* what) {
    std::string name = Name(what);
    while (IsPunct(Peek(), ".")) {
      ++p_;
      name = Name(what);
    }
    return name;
  }
  // Skips one balanced (...) group starting at '('.
  void SkipParens() {
    size_t depth = 0;
    const Token& open = Peek();
    do {
      const Token& t = Peek();
      if (t.kind == Tok::kEnd) Error(open, "unbalanced '(': no matching ')'");
      if (IsPunct(t, "(")) {
        if (++depth > limits_.max_depth) Error(t, "parentheses nested too deeply");
      } else if (IsPunct(t, ")")) {
        --depth;
      }
      ++p_;
    } while (depth > 0);
  }
  void SkipStatement() {
    while (Peek().kind != Tok::kEnd && !IsPunct(Peek(), ";")) {
      if (IsPunct(Peek(), "(")) {
        SkipParens();
      } else if (IsPunct(Peek(), ")")) {
        Error(Peek(), "unbalanced ')'");
      } else {
        ++p_;
      }
    }
    if (IsPunct(Peek(), ";")) ++p_;
  }
  // Skips to the ',' or ')' that ends a table element (at depth 0), not consuming it.
  void SkipElement() {
    while (!IsPunct(Peek(), ",") && !IsPunct(Peek(), ")")) {
      if (Peek().kind == Tok::kEnd || IsPunct(Peek(), ";")) Error(Peek(), "expected ')' to close the column list");
      if (IsPunct(Peek(), "(")) {
        SkipParens();
      } else {
        ++p_;
      }
    }
  }
  std::vector<std::string> NameList() {
    std::vector<std::string> names;
    Expect("(", "'(' before a column list");
    while (true) {
      names.push_back(Name("a column name"));
      if (IsPunct(Peek(), "(")) SkipParens();  // index prefix length: col(10)
      while (Peek().kind == Tok::kIdent && !IsPunct(Peek(), ",")) ++p_;  // ASC/DESC
      if (IsPunct(Peek(), ",")) {
        ++p_;
        continue;
      }
      Expect(")", "')' after a column list");
      return names;
    }
  }

  struct TableDef {
    std::string name;
    std::string description;
    std::vector<Column> columns;
    size_t line;
  };

  void Create() {
    const Token& create = Peek();
    ++p_;
    AcceptKw("OR") && AcceptKw("REPLACE");
    while (AcceptKw("GLOBAL") || AcceptKw("LOCAL") || AcceptKw("TEMP") ||
           AcceptKw("TEMPORARY") || AcceptKw("UNLOGGED") || AcceptKw("VIRTUAL")) {
    }
    if (!AcceptKw("TABLE")) {
      SkipStatement();  // CREATE INDEX / VIEW / SEQUENCE ...
      return;
    }
    if (AcceptKw("IF")) {
      if (!AcceptKw("NOT") || !AcceptKw("EXISTS")) Error(Peek(), "expected IF NOT EXISTS");
    }
    TableDef table;
    table.line = create.line;
    table.name = QualifiedName("a table name");
    if (!IsPunct(Peek(), "(")) {
      warnings_->push_back("line " + std::to_string(create.line) + ": CREATE TABLE " +
                           table.name + " has no column list (AS SELECT?); skipped");
      SkipStatement();
      return;
    }
    const size_t open_line = Peek().line;
    ++p_;
    if (auto it = line_comments_.find(open_line); it != line_comments_.end())
      table.description = it->second;
    std::set<std::string> seen;
    std::vector<std::string> pk_cols;
    std::vector<std::pair<std::string, std::string>> fk_cols;  // (column, referenced table)
    while (true) {
      if (IsPunct(Peek(), ")")) Error(Peek(), "empty column list or trailing ','");
      if (IsConstraint()) {
        Constraint(&pk_cols, &fk_cols);
      } else {
        Column c = ColumnDef(table.name);
        if (!seen.insert(Lower(c.name)).second) {
          Fail(EK_ERR_ALREADY_EXISTS, "line " + std::to_string(Peek().line) +
                                          ": duplicate column '" + c.name + "' in table '" +
                                          table.name + "'");
        }
        table.columns.push_back(std::move(c));
        // Stop at the limit while parsing, not after building a whole (huge) table.
        if (out_->columns.size() + table.columns.size() > limits_.max_columns) {
          Fail(EK_ERR_LIMIT, "line " + std::to_string(Peek().line) + ": more than max_columns (" +
                                 std::to_string(limits_.max_columns) + ") columns/entries");
        }
      }
      if (IsPunct(Peek(), ",")) {
        ++p_;
        continue;
      }
      if (IsPunct(Peek(), ")")) {
        ++p_;
        break;
      }
      Error(Peek(), "expected ',' or ')' after a column definition");
    }
    // Table options up to ';': COMMENT [=] 'text'.
    while (Peek().kind != Tok::kEnd && !IsPunct(Peek(), ";")) {
      if (IsKw(Peek(), "COMMENT")) {
        ++p_;
        if (IsPunct(Peek(), "=")) ++p_;
        if (Peek().kind == Tok::kString) {
          table.description = Peek().text;
          ++p_;
        }
      } else if (IsPunct(Peek(), "(")) {
        SkipParens();
      } else if (IsPunct(Peek(), ")")) {
        Error(Peek(), "unbalanced ')'");
      } else {
        ++p_;
      }
    }
    if (IsPunct(Peek(), ";")) ++p_;
    if (table.columns.empty()) {
      Fail(EK_ERR_PARSE, "line " + std::to_string(table.line) + ": table '" + table.name +
                             "' has no columns");
    }
    for (Column& c : table.columns) {
      for (const auto& k : pk_cols)
        if (IEquals(k, c.name)) c.primary_key = true;
      for (const auto& [k, ref] : fk_cols) {
        if (!IEquals(k, c.name)) continue;
        c.foreign_key = true;
        if (c.references.empty()) c.references = ref;
      }
      c.table_description = table.description;
      CheckText(c.description, limits_, "a column comment");
    }
    CheckText(table.description, limits_, "a table comment");
    // The same table twice: identical definitions are merged (real dumps repeat
    // tables); different ones are an error.
    const std::string key = Lower(table.name);
    if (auto it = tables_.find(key); it != tables_.end()) {
      const TableDef& prev = it->second;
      bool same = prev.columns.size() == table.columns.size();
      for (size_t i = 0; same && i < prev.columns.size(); ++i) {
        same = IEquals(prev.columns[i].name, table.columns[i].name) &&
               IEquals(prev.columns[i].type, table.columns[i].type);
      }
      if (!same) {
        Fail(EK_ERR_ALREADY_EXISTS, "line " + std::to_string(table.line) + ": table '" +
                                        table.name + "' is defined again (first at line " +
                                        std::to_string(prev.line) + ") with other columns");
      }
      warnings_->push_back("line " + std::to_string(table.line) + ": table '" + table.name +
                           "' repeats its definition of line " + std::to_string(prev.line) +
                           "; the repeat is ignored");
      return;
    }
    for (const Column& c : table.columns) {
      out_->columns.push_back(c);
      CheckCount(*out_, limits_);
    }
    tables_.emplace(key, std::move(table));
  }

  bool IsConstraint() const {
    const Token& t = Peek();
    if (t.kind != Tok::kIdent) return false;
    if (IEquals(t.text, "CONSTRAINT")) return true;
    if (IEquals(t.text, "PRIMARY") || IEquals(t.text, "FOREIGN")) return IsKw(Peek(1), "KEY");
    if (IEquals(t.text, "CHECK") || IEquals(t.text, "EXCLUDE")) return IsPunct(Peek(1), "(");
    if (IEquals(t.text, "UNIQUE") || IEquals(t.text, "INDEX") || IEquals(t.text, "KEY") ||
        IEquals(t.text, "FULLTEXT") || IEquals(t.text, "SPATIAL")) {
      return IsPunct(Peek(1), "(") || IsKw(Peek(1), "KEY") || IsKw(Peek(1), "INDEX") ||
             ((Peek(1).kind == Tok::kIdent || Peek(1).kind == Tok::kQuoted) &&
              IsPunct(Peek(2), "("));
    }
    return false;
  }

  void Constraint(std::vector<std::string>* pk,
                  std::vector<std::pair<std::string, std::string>>* fk) {
    if (AcceptKw("CONSTRAINT")) {
      if (Peek().kind == Tok::kIdent || Peek().kind == Tok::kQuoted) {
        if (!IsKw(Peek(), "PRIMARY") && !IsKw(Peek(), "FOREIGN") && !IsKw(Peek(), "UNIQUE") &&
            !IsKw(Peek(), "CHECK"))
          ++p_;
      }
    }
    if (AcceptKw("PRIMARY")) {
      AcceptKw("KEY");
      for (auto& n : NameList()) pk->push_back(n);
    } else if (AcceptKw("FOREIGN")) {
      AcceptKw("KEY");
      if (Peek().kind == Tok::kIdent || Peek().kind == Tok::kQuoted) ++p_;  // index name
      std::vector<std::string> names = NameList();
      std::string ref;
      if (AcceptKw("REFERENCES") && (Peek().kind == Tok::kIdent || Peek().kind == Tok::kQuoted))
        ref = QualifiedName("a referenced table");
      for (auto& n : names) fk->emplace_back(n, ref);
    }
    SkipElement();
  }

  static bool IsTypeWord(const Token& t) {
    static const char* const kWords[] = {"PRECISION", "VARYING", "WITH", "WITHOUT", "TIME",
                                         "ZONE", "UNSIGNED", "SIGNED", "ZEROFILL", "LARGE",
                                         "OBJECT", "VARCHAR", "CHAR"};
    if (t.kind != Tok::kIdent) return false;
    for (const char* w : kWords)
      if (IEquals(t.text, w)) return true;
    return false;
  }

  Column ColumnDef(const std::string& table) {
    Column c;
    c.table = table;
    const Token& name_tok = Peek();
    c.name = Name("a column name or constraint");
    c.id = table + "." + c.name;
    // Type: a word, optional (args), then type words ("DOUBLE PRECISION").
    if (Peek().kind == Tok::kIdent && !IsModifier(Peek())) {
      c.type = Peek().text;
      ++p_;
      while (true) {
        if (IsPunct(Peek(), "(")) {
          const size_t b = p_;
          SkipParens();
          for (size_t i = b; i < p_; ++i) c.type += t_[i].text;
        } else if (IsTypeWord(Peek())) {
          c.type += " " + Peek().text;
          ++p_;
        } else if (IsPunct(Peek(), "[") && IsPunct(Peek(1), "]")) {
          c.type += "[]";
          p_ += 2;
        } else {
          break;
        }
      }
    }
    // Modifiers up to ',' or ')'.
    size_t last_line = name_tok.line;
    while (!IsPunct(Peek(), ",") && !IsPunct(Peek(), ")")) {
      const Token& t = Peek();
      if (t.kind == Tok::kEnd || IsPunct(t, ";")) Error(t, "expected ')' to close the column list");
      last_line = t.line;
      if (IsKw(t, "PRIMARY") && IsKw(Peek(1), "KEY")) {
        c.primary_key = true;
        p_ += 2;
      } else if (IsKw(t, "REFERENCES")) {
        c.foreign_key = true;
        ++p_;
        if (Peek().kind == Tok::kIdent || Peek().kind == Tok::kQuoted)
          c.references = QualifiedName("a referenced table");
      } else if (IsKw(t, "COMMENT") && Peek(1).kind == Tok::kString) {
        c.description = Peek(1).text;
        p_ += 2;
      } else if (IsPunct(t, "(")) {
        SkipParens();
      } else {
        ++p_;
      }
    }
    last_line = std::max(last_line, t_[p_ - 1].line);
    if (c.description.empty()) {
      // "-- text" on the line where the definition ends (after its ',' too).
      if (auto it = line_comments_.find(last_line); it != line_comments_.end())
        c.description = it->second;
    }
    return c;
  }

  static bool IsModifier(const Token& t) {
    static const char* const kMods[] = {"NOT", "NULL", "PRIMARY", "REFERENCES", "DEFAULT",
                                        "COMMENT", "UNIQUE", "CHECK", "CONSTRAINT",
                                        "AUTO_INCREMENT", "AUTOINCREMENT", "GENERATED",
                                        "COLLATE", "IDENTITY"};
    for (const char* m : kMods)
      if (IEquals(t.text, m)) return true;
    return false;
  }

  void CommentOn() {
    const Token& start = Peek();
    p_ += 2;  // COMMENT ON
    const bool is_table = AcceptKw("TABLE");
    const bool is_column = !is_table && AcceptKw("COLUMN");
    if (!is_table && !is_column) {
      SkipStatement();
      return;
    }
    std::vector<std::string> parts{Name(is_table ? "a table name" : "a column name")};
    while (IsPunct(Peek(), ".")) {
      ++p_;
      parts.push_back(Name("a name part"));
    }
    if (!AcceptKw("IS")) Error(Peek(), "expected IS in COMMENT ON");
    std::string text;
    if (Peek().kind == Tok::kString) {
      text = Peek().text;
      ++p_;
    } else if (!AcceptKw("NULL")) {
      Error(Peek(), "expected a string or NULL after IS");
    }
    if (is_column && parts.size() < 2) Error(start, "COMMENT ON COLUMN needs table.column");
    CheckText(text, limits_, "a comment");
    Parsed::Comment c;
    c.line = start.line;
    c.text = std::move(text);
    if (is_table) {
      c.table = parts.back();
    } else {
      c.column = parts.back();
      c.table = parts[parts.size() - 2];
    }
    out_->comments.push_back(std::move(c));
    if (IsPunct(Peek(), ";")) {
      ++p_;
    } else if (Peek().kind != Tok::kEnd) {
      Error(Peek(), "expected ';' after COMMENT ON");
    }
  }

  std::vector<Token> t_;
  size_t p_ = 0;
  std::map<size_t, std::string> line_comments_;
  const Limits& limits_;
  Parsed* out_;
  std::vector<std::string>* warnings_;
  std::map<std::string, TableDef> tables_;
};

// ---- JSON ------------------------------------------------------------------------------
std::string JsonText(simdjson::dom::element e) {
  std::string_view sv;
  if (!e.get_string().get(sv)) return std::string(sv);
  if (e.is_null()) return "";
  if (e.is_array()) {
    std::string out;
    simdjson::dom::array arr;
    if (e.get_array().get(arr)) return "";
    for (auto x : arr) {
      std::string s = JsonText(x);
      if (s.empty()) continue;
      if (!out.empty()) out += "|";
      out += s;
    }
    return out;
  }
  bool bv = false;
  if (!e.get_bool().get(bv)) return bv ? "true" : "false";
  return simdjson::minify(e);
}

std::string Field(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return "";
  return JsonText(e);
}

bool Flag(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return false;
  bool bv = false;
  if (!e.get_bool().get(bv)) return bv;
  simdjson::dom::array arr;
  if (!e.get_array().get(arr)) return arr.size() > 0;
  return !e.is_null();
}

// The table of "references" / "linked_entry" ("table.column", "table(column)" or
// "table"); "" when absent or not a string.
std::string ReferencedTable(simdjson::dom::object o) {
  for (const char* key : {"linked_entry", "references"}) {
    std::string_view v;
    if (o.at_key(key).get_string().get(v) != simdjson::SUCCESS || v.empty()) continue;
    std::string t(v.substr(0, std::min(v.find('('), v.size())));
    const size_t dot = t.rfind('.');
    if (dot != std::string::npos) t.resize(dot);  // drop the column
    const size_t dot2 = t.rfind('.');
    if (dot2 != std::string::npos) t = t.substr(dot2 + 1);  // schema.table
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (!t.empty()) return t;
  }
  return "";
}

simdjson::dom::element ParseJson(simdjson::dom::parser& parser, std::string_view text) {
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  auto err = parser.parse(padded).get(root);
  if (err) Fail(EK_ERR_PARSE, std::string("malformed JSON: ") + simdjson::error_message(err));
  return root;
}

}  // namespace

void ParseDdl(std::string_view text, const Limits& limits, Parsed* out,
              std::vector<std::string>* warnings) {
  std::map<size_t, std::string> comments;
  std::vector<Token> toks = Lexer(text).Run(&comments);
  DdlParser(std::move(toks), std::move(comments), limits, out, warnings).Run();
}

void ParseSchemaJson(std::string_view text, const Limits& limits, Parsed* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = ParseJson(parser, text);
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) Fail(EK_ERR_PARSE, "schema JSON must be an object");
  simdjson::dom::array tables;
  std::set<std::string> seen;
  auto add = [&](Column c, const std::string& where) {
    if (c.name.empty()) Fail(EK_ERR_PARSE, where + ": column without a \"name\"");
    c.id = c.table + "." + c.name;
    if (!seen.insert(Lower(c.id)).second)
      Fail(EK_ERR_ALREADY_EXISTS, where + ": duplicate column '" + c.id + "'");
    CheckText(c.description, limits, "a description");
    out->columns.push_back(std::move(c));
    CheckCount(*out, limits);
  };
  if (obj.at_key("tables").get(tables) == simdjson::SUCCESS) {
    size_t ti = 0;
    for (auto t : tables) {
      const std::string where = "tables[" + std::to_string(ti++) + "]";
      simdjson::dom::object to;
      if (t.get_object().get(to)) Fail(EK_ERR_PARSE, where + " is not an object");
      const std::string tname = Field(to, "name");
      if (tname.empty()) Fail(EK_ERR_PARSE, where + ": table without a \"name\"");
      const std::string tdesc = Field(to, "description");
      simdjson::dom::array cols;
      if (to.at_key("columns").get(cols))
        Fail(EK_ERR_PARSE, where + " (" + tname + "): \"columns\" must be an array");
      if (cols.size() == 0) Fail(EK_ERR_PARSE, where + " (" + tname + ") has no columns");
      size_t ci = 0;
      for (auto c : cols) {
        const std::string cw = where + ".columns[" + std::to_string(ci++) + "]";
        simdjson::dom::object co;
        if (c.get_object().get(co)) Fail(EK_ERR_PARSE, cw + " is not an object");
        Column col;
        col.table = tname;
        col.table_description = tdesc;
        col.name = Field(co, "name");
        col.type = Field(co, "type");
        col.description = Field(co, "description");
        col.synonyms = Field(co, "synonyms");
        col.primary_key = Flag(co, "primary_key") || Flag(co, "is_primary_key");
        col.foreign_key = Flag(co, "foreign_key") || Flag(co, "is_foreign_key") ||
                          Flag(co, "references");
        col.references = ReferencedTable(co);
        add(std::move(col), cw);
      }
    }
    return;
  }
  // LLMatch layout: {"<table>": {"table", "table_description", "columns": {...}}}
  for (auto [key, value] : obj) {
    const std::string where = "\"" + std::string(key) + "\"";
    simdjson::dom::object to;
    if (value.get_object().get(to))
      Fail(EK_ERR_PARSE, where + ": expected a table object (or a top-level \"tables\" array)");
    std::string tname = Field(to, "table");
    if (tname.empty()) tname = std::string(key);
    std::string tdesc = Field(to, "table_description");
    if (tdesc.empty()) tdesc = Field(to, "description");
    // LLMatch descriptions end with a stray "';" from their SQL origin.
    if (tdesc.size() >= 2 && tdesc.compare(tdesc.size() - 2, 2, "';") == 0) tdesc.resize(tdesc.size() - 2);
    simdjson::dom::element cols;
    if (to.at_key("columns").get(cols)) Fail(EK_ERR_PARSE, where + ": no \"columns\"");
    auto one = [&](simdjson::dom::object co, std::string fallback_name, const std::string& cw) {
      Column col;
      col.table = tname;
      col.table_description = tdesc;
      col.name = Field(co, "name");
      if (col.name.empty()) col.name = std::move(fallback_name);
      col.type = Field(co, "type");
      col.description = Field(co, "description");
      col.synonyms = Field(co, "synonyms");
      col.primary_key = Flag(co, "is_primary_key") || Flag(co, "primary_key");
      // "foreign_keys" lists the columns that refer to this one (a referenced key);
      // "is_foreign_key" + "linked_entry" ("table.column") is a foreign key.
      col.foreign_key = Flag(co, "is_foreign_key") || Flag(co, "foreign_key") ||
                        Flag(co, "foreign_keys");
      col.references = ReferencedTable(co);
      add(std::move(col), cw);
    };
    simdjson::dom::object cobj;
    simdjson::dom::array carr;
    if (!cols.get_object().get(cobj)) {
      for (auto [ck, cv] : cobj) {
        simdjson::dom::object co;
        if (cv.get_object().get(co))
          Fail(EK_ERR_PARSE, where + ".columns." + std::string(ck) + " is not an object");
        one(co, std::string(ck), where + ".columns." + std::string(ck));
      }
    } else if (!cols.get_array().get(carr)) {
      size_t ci = 0;
      for (auto cv : carr) {
        simdjson::dom::object co;
        const std::string cw = where + ".columns[" + std::to_string(ci++) + "]";
        if (cv.get_object().get(co)) Fail(EK_ERR_PARSE, cw + " is not an object");
        one(co, "", cw);
      }
    } else {
      Fail(EK_ERR_PARSE, where + ": \"columns\" must be an object or an array");
    }
  }
}

void ParseGlossaryJson(std::string_view text, const Limits& limits, Parsed* out) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = ParseJson(parser, text);
  simdjson::dom::array entries;
  if (root.get_array().get(entries)) {
    simdjson::dom::object o;
    if (root.get_object().get(o) ||
        (o.at_key("entries").get(entries) && o.at_key("glossary").get(entries) &&
         o.at_key("terms").get(entries))) {
      Fail(EK_ERR_PARSE, "glossary JSON must be an array of entries or {\"entries\": [...]}");
    }
  }
  size_t i = 0;
  for (auto e : entries) {
    const std::string where = "entries[" + std::to_string(i++) + "]";
    simdjson::dom::object o;
    if (e.get_object().get(o)) Fail(EK_ERR_PARSE, where + " is not an object");
    Column c;
    c.name = Field(o, "label");
    if (c.name.empty()) c.name = Field(o, "name");
    if (c.name.empty()) c.name = Field(o, "term");
    if (c.name.empty()) Fail(EK_ERR_PARSE, where + ": entry without a \"label\"");
    c.id = Field(o, "id");
    c.table = Field(o, "table");
    if (c.id.empty()) c.id = c.table.empty() ? c.name : c.table + "." + c.name;
    c.description = Field(o, "description");
    if (c.description.empty()) c.description = Field(o, "definition");
    c.synonyms = Field(o, "synonyms");
    c.type = Field(o, "type");
    CheckText(c.description, limits, "a description");
    out->columns.push_back(std::move(c));
    CheckCount(*out, limits);
  }
  if (out->columns.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "the glossary has no entries");
}

void ParseGlossaryCsv(std::string_view text, const Limits& limits, Parsed* out) {
  // RFC 4180 records; blank lines are skipped.
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> row_lines;
  {
    size_t i = 0, line = 1;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
    while (i < text.size()) {
      std::vector<std::string> fields;
      std::string field;
      const size_t start_line = line;
      bool any = false;
      while (true) {
        if (i < text.size() && text[i] == '"') {
          const size_t qline = line;
          ++i;
          bool closed = false;
          while (i < text.size()) {
            if (text[i] == '"') {
              if (i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                i += 2;
                continue;
              }
              ++i;
              closed = true;
              break;
            }
            if (text[i] == '\n') ++line;
            field += text[i++];
          }
          if (!closed) Fail(EK_ERR_PARSE, "line " + std::to_string(qline) + ": unterminated quoted CSV field");
          any = true;
        }
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          field += text[i++];
          any = true;
        }
        if (field.size() > limits.max_text_bytes)
          Fail(EK_ERR_LIMIT, "line " + std::to_string(line) + ": CSV field over max_text_bytes");
        fields.push_back(std::move(field));
        field.clear();
        if (i < text.size() && text[i] == ',') {
          ++i;
          any = true;
          continue;
        }
        if (i < text.size() && text[i] == '\r') ++i;
        if (i < text.size() && text[i] == '\n') {
          ++i;
          ++line;
        }
        break;
      }
      if (!any) continue;  // blank line
      rows.push_back(std::move(fields));
      row_lines.push_back(start_line);
      if (rows.size() > limits.max_columns + 1) {
        Fail(EK_ERR_LIMIT, "more than max_columns (" + std::to_string(limits.max_columns) +
                               ") glossary rows");
      }
    }
  }
  if (rows.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "the glossary CSV is empty");
  const auto& header = rows[0];
  int id = -1, label = -1, desc = -1, syn = -1, table = -1, type = -1, extra = -1;
  for (size_t k = 0; k < header.size(); ++k) {
    const std::string h = Lower(Trim(header[k]));
    auto set = [&](int& slot) {
      if (slot < 0) slot = static_cast<int>(k);
    };
    if (h == "id") set(id);
    else if (h == "label" || h == "name" || h == "term" || h == "cdmfieldname") set(label);
    else if (h == "description" || h == "definition" || h == "userguidance") set(desc);
    else if (h == "synonyms" || h == "aliases") set(syn);
    else if (h == "table" || h == "cdmtablename") set(table);
    else if (h == "type" || h == "cdmdatatype") set(type);
    else if (h == "etlconventions") set(extra);
  }
  if (label < 0) {
    Fail(EK_ERR_PARSE, "line " + std::to_string(row_lines[0]) +
                           ": the CSV header has no label column (expected id,label,description"
                           "[,synonyms])");
  }
  if (rows.size() == 1) Fail(EK_ERR_INVALID_ARGUMENT, "the glossary CSV has a header but no entries");
  auto get = [](const std::vector<std::string>& r, int k) -> std::string {
    if (k < 0 || static_cast<size_t>(k) >= r.size()) return "";
    std::string v = Trim(r[static_cast<size_t>(k)]);
    return v == "NA" ? "" : v;
  };
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() != header.size()) {
      Fail(EK_ERR_PARSE, "line " + std::to_string(row_lines[r]) + ": " +
                             std::to_string(row.size()) + " fields, the header has " +
                             std::to_string(header.size()));
    }
    Column c;
    c.name = Trim(row[static_cast<size_t>(label)]);
    if (c.name.empty()) Fail(EK_ERR_PARSE, "line " + std::to_string(row_lines[r]) + ": empty label");
    c.table = get(row, table);
    c.id = get(row, id);
    if (c.id.empty()) c.id = c.table.empty() ? c.name : c.table + "." + c.name;
    c.description = get(row, desc);
    const std::string more = get(row, extra);
    if (!more.empty()) c.description += (c.description.empty() ? "" : " ") + more;
    c.synonyms = get(row, syn);
    c.type = get(row, type);
    out->columns.push_back(std::move(c));
  }
}

uint32_t DetectFormat(std::string_view text) {
  size_t i = 0;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i < text.size() && text[i] == '[') return EK_MATCHER_FORMAT_GLOSSARY_JSON;
  if (i < text.size() && text[i] == '{') {
    // An object with an "entries"/"glossary"/"terms" key before any table is a glossary.
    const std::string_view head = text.substr(i, 256);
    for (const char* k : {"\"entries\"", "\"glossary\"", "\"terms\""}) {
      if (head.find(k) != std::string_view::npos) return EK_MATCHER_FORMAT_GLOSSARY_JSON;
    }
    return EK_MATCHER_FORMAT_SCHEMA_JSON;
  }
  const size_t eol = text.find('\n', i);
  const std::string_view first = text.substr(i, eol == std::string_view::npos ? text.size() - i : eol - i);
  const std::string up = Lower(first);
  if (first.find(',') != std::string_view::npos && first.find('(') == std::string_view::npos &&
      up.find("create") == std::string::npos && up.rfind("--", 0) != 0 &&
      up.find("comment on") == std::string::npos)
    return EK_MATCHER_FORMAT_GLOSSARY_CSV;
  return EK_MATCHER_FORMAT_SQL_DDL;
}

void Side::Clear() {
  columns_.clear();
  by_key_.clear();
}

void Side::Load(std::string_view text, uint32_t format, const Limits& limits,
                std::vector<std::string>* warnings) {
  if (text.size() > limits.max_input_bytes) {
    Fail(EK_ERR_LIMIT, "input of " + std::to_string(text.size()) +
                           " bytes exceeds max_input_bytes (" +
                           std::to_string(limits.max_input_bytes) + ")");
  }
  if (format == EK_MATCHER_FORMAT_AUTO) format = DetectFormat(text);
  Parsed parsed;
  switch (format) {
    case EK_MATCHER_FORMAT_SCHEMA_JSON: ParseSchemaJson(text, limits, &parsed); break;
    case EK_MATCHER_FORMAT_SQL_DDL: ParseDdl(text, limits, &parsed, warnings); break;
    case EK_MATCHER_FORMAT_GLOSSARY_JSON: ParseGlossaryJson(text, limits, &parsed); break;
    case EK_MATCHER_FORMAT_GLOSSARY_CSV: ParseGlossaryCsv(text, limits, &parsed); break;
    default: Fail(EK_ERR_INVALID_ARGUMENT, "unknown format " + std::to_string(format));
  }
  if (parsed.columns.empty() && parsed.comments.empty()) {
    Fail(EK_ERR_INVALID_ARGUMENT, "the input defines no columns or entries");
  }
  if (columns_.size() + parsed.columns.size() > limits.max_columns) {
    Fail(EK_ERR_LIMIT, "more than max_columns (" + std::to_string(limits.max_columns) +
                           ") columns/entries on one side");
  }
  // Check for duplicates against what is loaded, then commit.
  std::unordered_map<std::string, size_t> added;
  for (size_t i = 0; i < parsed.columns.size(); ++i) {
    const std::string key = Lower(parsed.columns[i].id);
    if (by_key_.count(key) || !added.emplace(key, i).second) {
      Fail(EK_ERR_ALREADY_EXISTS, "duplicate " +
                                      std::string(parsed.columns[i].table.empty() && format >= EK_MATCHER_FORMAT_GLOSSARY_JSON
                                                      ? "glossary id '"
                                                      : "column '") +
                                      parsed.columns[i].id + "'");
    }
  }
  for (auto& c : parsed.columns) {
    by_key_.emplace(Lower(c.id), columns_.size());
    columns_.push_back(std::move(c));
  }
  // COMMENT ON: apply to any loaded column of that table/column.
  for (const auto& cm : parsed.comments) {
    bool hit = false;
    if (cm.column.empty()) {
      for (auto& c : columns_) {
        if (Lower(c.table) == Lower(cm.table)) {
          c.table_description = cm.text;
          hit = true;
        }
      }
    } else if (auto it = by_key_.find(Lower(cm.table + "." + cm.column)); it != by_key_.end()) {
      columns_[it->second].description = cm.text;
      hit = true;
    }
    if (!hit) {
      warnings->push_back("line " + std::to_string(cm.line) + ": COMMENT ON " +
                          (cm.column.empty() ? "TABLE " + cm.table : "COLUMN " + cm.table + "." + cm.column) +
                          " names nothing loaded so far (load the CREATE TABLE first); ignored");
    }
  }
}

}  // namespace tmatch
