// table_match: Matcher::Impl's use of stage A (tables.h): table documents, the tables key
// columns name, the table terms of a pair and each candidate's table evidence.
#include "keys.h"
#include "matcher_impl.h"
#include "table_context.h"

#include <algorithm>

namespace tmatch {

namespace {

// Identifier words that say "key", not what the key names.
bool KeyMarker(const std::string& stem) {
  static const std::unordered_set<std::string> kMarkers = {"id", "ident", "identifi", "identifier",
                                                           "key", "pk", "fk", "uid", "no", "num"};
  return kMarkers.count(stem) > 0;
}

}  // namespace

// The table a key column names: the one it references (declared), else the table whose
// name is the column's name without its key marker (person_id -> person), else its own
// table when it is that table's key (declared, or described as "primary key" / "unique
// ... identifier"); -1 for none.
int Matcher::Impl::NamedTable(const std::vector<Column>& cols, const std::vector<Prepared>& P, size_t i,
                              const std::vector<uint32_t>& tab, const std::vector<TableDoc>& docs,
                              const std::vector<std::vector<std::string>>& table_stems) {
  const Column& c = cols[i];
  if (c.foreign_key && !c.references.empty()) {
    const std::string ref = Lower(c.references);
    for (size_t d = 0; d < docs.size(); ++d)
      if (docs[d].name == ref) return static_cast<int>(d);
  }
  std::vector<std::string> core;
  for (const auto& w : P[i].name_stems)
    if (!KeyMarker(w)) core.push_back(w);
  if (!core.empty() && core.size() < P[i].name_stems.size()) {
    for (size_t d = 0; d < docs.size(); ++d)
      if (table_stems[d] == core) return static_cast<int>(d);
  }
  // A declared primary key that references nothing is its table's key even when the
  // schema marks it as referenced ("foreign_keys": IMDB's title_basics.tconst).
  if ((c.primary_key && c.references.empty()) || (!c.foreign_key && TableContext::IsKey(c)))
    return static_cast<int>(tab[i]);
  return -1;
}

// One document per table: its name (weight 3), description (1), column names (1) and
// descriptions (0.25), and the words of every key column naming it (2: subject_id names
// patients, so "subject" joins the patients table's text).
std::vector<TableDoc> Matcher::Impl::TableDocs(const std::vector<Column>& cols, const std::vector<Prepared>& P,
                                               std::vector<uint32_t>* tab, std::vector<int>* named) const {
  std::vector<TableDoc> docs;
  std::vector<std::vector<std::string>> table_stems;
  std::unordered_map<std::string, uint32_t> idx;
  tab->assign(cols.size(), 0);
  for (size_t i = 0; i < cols.size(); ++i) {
    auto [it, fresh] = idx.emplace(Lower(cols[i].table), static_cast<uint32_t>(docs.size()));
    (*tab)[i] = it->second;
    if (!fresh) continue;
    TableDoc d;
    d.name = it->first;
    for (const auto& w : norm.NameWords(cols[i].table)) d.words.emplace_back(w, 3.f);
    for (const auto& w : TextWords(api, cols[i].table_description)) d.words.emplace_back(w, 1.f);
    docs.push_back(std::move(d));
    table_stems.push_back(P[i].table_stems);
  }
  for (size_t i = 0; i < cols.size(); ++i) {
    TableDoc& d = docs[(*tab)[i]];
    for (const auto& w : P[i].name_words) d.words.emplace_back(w, 1.f);
    for (const auto& w : P[i].desc_words) d.words.emplace_back(w, 0.25f);
  }
  named->assign(cols.size(), -1);
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!P[i].id_like) continue;
    const int r = NamedTable(cols, P, i, *tab, docs, table_stems);
    (*named)[i] = r;
    if (r < 0) continue;
    for (const auto& w : P[i].name_words)
      if (!KeyMarker(Stem(w))) docs[r].words.emplace_back(w, 2.f);
    auto& refs = docs[(*tab)[i]].refs;
    if (static_cast<uint32_t>(r) != (*tab)[i] && std::find(refs.begin(), refs.end(), r) == refs.end())
      refs.push_back(static_cast<uint32_t>(r));
  }
  return docs;
}

void Matcher::Impl::BuildTables(const TableStageParams& params) {
  const std::vector<TableDoc> sd = TableDocs(src, ps, &stab, &snamed);
  const std::vector<TableDoc> td = TableDocs(tgt, pt, &ttab, &tnamed);
  WordVectorLookup lookup;
  if (wv) lookup = [this](const std::string& w) { return wv->Find(w); };
  tables = std::make_unique<TableStage>(sd, td, lookup, wv ? wv->dim : 0, params, config.hints.table_links);
}

void Matcher::Impl::PropagateKeyMatches(CandidateLists* candidates, const std::vector<float>& score) const {
  KeyGraph sg{stab, snamed, {}}, tg{ttab, tnamed, {}};
  for (const Column& c : src) sg.ids.push_back(c.id);
  for (const Column& c : tgt) tg.ids.push_back(c.id);
  std::vector<size_t> ranked(candidates->size());
  for (size_t s = 0; s < ranked.size(); ++s) ranked[s] = (*candidates)[s].size();
  // Only within the table pairs stage A admits (keys.h says why).
  PropagateKeys(candidates, sg, tg, score,
                [this](size_t s, size_t t) { return tables->InTop(stab[s], ttab[t]); });
  for (size_t s = 0; s < ranked.size(); ++s)
    for (size_t r = ranked[s]; r < (*candidates)[s].size(); ++r) Annotate(s, &(*candidates)[s][r]);
}

void Matcher::Impl::TableTerms(size_t s, size_t t, float* out) const {
  out[0] = tables->RelativeGap(stab[s], ttab[t]);
  out[1] = 0.f;
  if (snamed[s] >= 0 && tnamed[t] >= 0)
    out[1] = std::max(0.f, 1.f + 2.f * tables->RelativeGap(static_cast<size_t>(snamed[s]),
                                                           static_cast<size_t>(tnamed[t])));
  out[2] = tables->InTop(stab[s], ttab[t]) ? 0.f : 1.f;
}

// A candidate's table evidence and the hints it used (named in the explanation).
void Matcher::Impl::Annotate(size_t s, Candidate* c) const {
  c->hints.clear();
  if (tables) {
    c->table = tables->Evidence(stab[s], ttab[c->target]);
    c->outside_tables = !tables->InTop(stab[s], ttab[c->target]);
    c->keys_disagree = tables->params().key_agreement && snamed[s] >= 0 && tnamed[c->target] >= 0 &&
                       !tables->InTop(static_cast<size_t>(snamed[s]), static_cast<size_t>(tnamed[c->target]));
    if (c->table.hint) c->hints.push_back("table link " + src[s].table + " -> " + tgt[c->target].table);
  }
  const Prepared& a = ps[s];
  const Prepared& b = pt[c->target];
  for (const auto& w : a.base_words)
    for (const auto& syn : config.hints.SynonymsOf(w))
      if (std::find(b.base_words.begin(), b.base_words.end(), syn) != b.base_words.end())
        c->hints.push_back("synonym " + w + " = " + syn);
}

}  // namespace tmatch
