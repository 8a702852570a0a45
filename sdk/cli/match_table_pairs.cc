// The table-pair setting of `embedkit match eval` (see match_table_pairs.h).
#include "match_table_pairs.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "args.h"
#include "errors.h"

namespace ek::cli {

std::vector<LoadedColumn> SnapshotSide(const MatcherHandle& m, uint32_t side) {
  size_t n = 0;
  m.Check(m.ext->count(m.self, side, &n), "count");
  std::vector<LoadedColumn> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ek_matcher_column c{};
    c.struct_size = sizeof c;
    m.Check(m.ext->column(m.self, side, i, &c), "column");
    out.push_back({c.id, c.table, c.name, c.type, c.description, c.table_description, c.synonyms});
  }
  return out;
}

namespace {

// Lower-case id -> lower-case table of every loaded entry that has a table.
std::map<std::string, std::string> TableOfId(const std::vector<LoadedColumn>& side) {
  std::map<std::string, std::string> table_of;
  for (const auto& c : side) {
    if (!c.table.empty()) table_of[LowerAscii(c.id)] = LowerAscii(c.table);
  }
  return table_of;
}

std::set<std::string> TableNames(const std::vector<LoadedColumn>& side) {
  std::set<std::string> names;
  for (const auto& c : side) {
    if (!c.table.empty()) names.insert(LowerAscii(c.table));
  }
  return names;
}

// A schema's column ("table.column") rather than a glossary entry with a table field.
bool IsSchemaColumn(const LoadedColumn& c) { return LowerAscii(c.id) == LowerAscii(c.table + "." + c.name); }

// The columns of one table as schema JSON (names, types, descriptions: what the ABI
// reports; declared keys are not among them).
std::string SchemaJson(const std::vector<const LoadedColumn*>& cols) {
  JsonWriter w;
  w.BeginObject().Key("tables").BeginArray().BeginObject();
  w.Key("name").String(cols.front()->table).Key("description").String(cols.front()->table_description);
  w.Key("columns").BeginArray();
  for (const LoadedColumn* c : cols) {
    w.BeginObject().Key("name").String(c->name).Key("type").String(c->type);
    w.Key("description").String(c->description).EndObject();
  }
  w.EndArray().EndObject().EndArray().EndObject();
  return w.str();
}

std::string CsvField(const std::string& s) {
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + '"';
}

// Glossary entries of one table as glossary CSV (the table column kept).
std::string GlossaryCsv(const std::vector<const LoadedColumn*>& cols) {
  std::string csv = "id,label,description,synonyms,table,type\n";
  for (const LoadedColumn* c : cols) {
    csv += CsvField(c->id) + ',' + CsvField(c->name) + ',' + CsvField(c->description) + ',' +
           CsvField(c->synonyms) + ',' + CsvField(c->table) + ',' + CsvField(c->type) + '\n';
  }
  return csv;
}

void LoadTable(MatcherHandle& m, uint32_t side, const std::vector<LoadedColumn>& all, const std::string& table) {
  std::vector<const LoadedColumn*> cols;
  for (const auto& c : all) {
    if (LowerAscii(c.table) == table) cols.push_back(&c);
  }
  const bool schema = std::all_of(cols.begin(), cols.end(), [](const LoadedColumn* c) { return IsSchemaColumn(*c); });
  const std::string text = schema ? SchemaJson(cols) : GlossaryCsv(cols);
  const uint32_t format = schema ? EK_MATCHER_FORMAT_SCHEMA_JSON : EK_MATCHER_FORMAT_GLOSSARY_CSV;
  const ek_status s = m.ext->load(m.self, side, text.data(), text.size(), format);
  if (s != EK_OK) {
    throw LibraryError(s, "table pair: reloading table '" + table + "': " +
                              PluginMessage("load", m.ext->last_error(m.self)));
  }
}

}  // namespace

TablePairs ReadTablePairs(const std::string& path, const std::vector<LoadedColumn>& sources,
                          const std::vector<LoadedColumn>& targets) {
  const std::set<std::string> src_tables = TableNames(sources), tgt_tables = TableNames(targets);
  std::istringstream in(ReadWholeFile(path));
  TablePairs pairs;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> f = SplitList(line);
    if (f.empty() || f[0].empty() || f[0][0] == '#') continue;
    const std::string where = path + ":" + std::to_string(n) + ": ";
    if (f.size() != 2) throw RuntimeError(where + "expected 'source_table,target_table', got '" + line + "'");
    const std::string a = LowerAscii(f[0]), b = LowerAscii(f[1]);
    if (n == 1 && a == "source_table" && b == "target_table") continue;
    if (!src_tables.count(a)) throw RuntimeError(where + "no source table '" + f[0] + "' is loaded");
    if (!tgt_tables.count(b)) throw RuntimeError(where + "no target table '" + f[1] + "' is loaded");
    if (std::find(pairs.begin(), pairs.end(), std::make_pair(a, b)) == pairs.end()) pairs.emplace_back(a, b);
  }
  if (pairs.empty()) throw RuntimeError("'" + path + "' lists no table pairs");
  return pairs;
}

TablePairs TablePairsFromGold(const GoldPairs& gold, const std::vector<LoadedColumn>& sources,
                              const std::vector<LoadedColumn>& targets) {
  const auto src_table = TableOfId(sources), tgt_table = TableOfId(targets);
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& [s, t] : gold) {
    const auto a = src_table.find(s), b = tgt_table.find(t);
    if (a != src_table.end() && b != tgt_table.end()) pairs.emplace(a->second, b->second);
  }
  return TablePairs(pairs.begin(), pairs.end());
}

TablePairRun RunTablePairs(MatcherHandle& m, const ek_matcher_options& options, const TablePairs& pairs,
                           const std::vector<LoadedColumn>& sources, const std::vector<LoadedColumn>& targets,
                           const GoldPairs& gold) {
  const auto src_table = TableOfId(sources), tgt_table = TableOfId(targets);
  // The gold pairs of each table pair; the rest can be predicted by no run.
  std::map<std::pair<std::string, std::string>, GoldPairs> gold_of_pair;
  for (const auto& p : pairs) gold_of_pair[p];
  TablePairRun run;
  for (const auto& [s, t] : gold) {
    const auto a = src_table.find(s), b = tgt_table.find(t);
    const auto it = a != src_table.end() && b != tgt_table.end() ? gold_of_pair.find({a->second, b->second})
                                                                  : gold_of_pair.end();
    if (it == gold_of_pair.end()) {
      ++run.gold_outside_pairs;
    } else {
      it->second.emplace(s, t);
    }
  }
  for (const auto& [a, b] : pairs) {
    m.Check(m.ext->clear(m.self, EK_MATCHER_SOURCE), "clear");
    m.Check(m.ext->clear(m.self, EK_MATCHER_TARGET), "clear");
    LoadTable(m, EK_MATCHER_SOURCE, sources, a);
    LoadTable(m, EK_MATCHER_TARGET, targets, b);
    size_t n_targets = 0;
    m.Check(m.ext->count(m.self, EK_MATCHER_TARGET, &n_targets), "count");
    run.target_columns += n_targets;
    ek_matcher_options o = options;
    o.top_k = static_cast<uint32_t>(std::min<size_t>(kMaxK, std::max<size_t>(n_targets, 5)));
    MatcherResultPtr r(m.Match(o), MatcherResultFree{m.ext});
    TallyResult(m, r.get(), IndexGold(gold_of_pair[{a, b}]), &run.tally, nullptr);
  }
  return run;
}

}  // namespace ek::cli
