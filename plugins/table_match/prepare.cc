// table_match: each column's words, stems, synonyms and kind, and the target statistics
// (IDF, BM25 documents) the signals use (Matcher::Impl::Prepare).
#include "matcher_impl.h"

#include <algorithm>
#include <cctype>

namespace tmatch {

std::vector<std::string> TextWords(const ek_text_api* api, std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  if (api) {
    ek_tokenize_options o;
    api->tokenize_options_init(&o);
    o.flags = EK_TEXT_LOWERCASE;
    struct Ctx {
      std::vector<std::string>* out;
    } ctx{&out};
    api->tokenize_each(text.data(), text.size(), &o,
                       [](void* u, const char* tok, size_t len) -> int32_t {
                         auto* c = static_cast<Ctx*>(u);
                         for (auto& p : SplitIdentifier(std::string_view(tok, len)))
                           c->out->push_back(std::move(p));
                         return 0;
                       },
                       &ctx);
    return out;
  }
  return RawWords(text);
}

namespace {

Kind InferKind(const std::vector<std::string>& words, const std::string& type, bool key) {
  const std::string t = Lower(type);
  const std::string last = words.empty() ? "" : words.back();
  static const std::unordered_set<std::string> kTime = {
      "date", "time", "datetime", "timestamp", "year", "day", "month", "dob", "dod", "hour"};
  static const std::unordered_set<std::string> kId = {"id", "identifier", "key", "uid", "pk", "fk"};
  static const std::unordered_set<std::string> kNum = {
      "amount", "quantity", "count", "balance", "price", "cost", "length", "weight", "height",
      "rate", "total", "size", "age", "minutes", "seconds", "duration", "score", "dose",
      "high", "low", "upper", "lower", "minimum", "maximum", "percent", "assets"};
  static const std::unordered_set<std::string> kTxt = {
      "name", "description", "text", "note", "comment", "title", "address", "code", "type",
      "status", "label", "category", "source", "location", "route", "unit", "gender",
      "language", "phone", "email", "city", "state", "country", "mobileno", "reason"};
  if (kTime.count(last) || t.find("date") != std::string::npos || t.find("time") != std::string::npos)
    return kTemporal;
  if (kId.count(last) || key) return kIdentifier;
  if (kNum.count(last) || t.find("int") != std::string::npos || t.find("dec") != std::string::npos ||
      t.find("num") != std::string::npos || t.find("float") != std::string::npos ||
      t.find("double") != std::string::npos || t.find("real") != std::string::npos ||
      t.find("money") != std::string::npos)
    return kNumeric;
  if (kTxt.count(last) || t.find("char") != std::string::npos || t.find("text") != std::string::npos)
    return kText;
  return kUnknown;
}

std::vector<std::string> Stems(const std::vector<std::string>& words, bool drop_stop) {
  std::vector<std::string> out;
  for (const auto& w : words) {
    if (w.empty()) continue;
    if (drop_stop && IsStopWord(w)) continue;
    if (drop_stop && std::isdigit(static_cast<unsigned char>(w[0]))) continue;
    out.push_back(Stem(w));
  }
  return out;
}

std::string Join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) {
    if (!s.empty()) s += ' ';
    s += x;
  }
  return s;
}

}  // namespace

void Matcher::Impl::Prepare(const ek_matcher_llm_hooks* hooks) {
  BuildVocabulary();
  if (hooks && hooks->generate_context) AddLlmContext(*hooks);
  ps.clear();
  pt.clear();
  for (const Column& c : src) ps.push_back(PrepareColumn(c));
  for (const Column& c : tgt) pt.push_back(PrepareColumn(c));
  BuildTargetStatistics();
}

// Vocabulary for segmentation and acronyms: descriptions of both sides, target
// names; word vectors (frequent words) count as known too.
void Matcher::Impl::BuildVocabulary() {
  norm.ClearCorpus();
  for (const auto* side : {&src, &tgt}) {
    for (const Column& c : *side) {
      for (const auto& w : TextWords(api, c.description)) norm.AddVocabulary(w);
      for (const auto& w : TextWords(api, c.table_description)) norm.AddVocabulary(w);
    }
  }
  for (const Column& c : tgt) {
    for (const auto& w : SplitIdentifier(c.name)) norm.AddVocabulary(w, 3);
    for (const auto& w : SplitIdentifier(c.table)) norm.AddVocabulary(w, 3);
    norm.AddAcronymSource(c.description);
    norm.AddAcronymSource(Join(SplitIdentifier(c.name)));
  }
  if (wv && !norm.HasDictionary()) {
    const uint64_t n = std::min<uint64_t>(wv->api->wordvec_count(wv->table), 60000);
    for (uint64_t i = 0; i < n; ++i) {
      size_t len = 0;
      const char* w = wv->api->wordvec_word(wv->table, i, &len);
      if (!w || len < 3) continue;
      bool alpha = true;
      for (size_t j = 0; j < len; ++j)
        alpha = alpha && std::isalpha(static_cast<unsigned char>(w[j]));
      if (alpha) norm.AddDictionaryWord(std::string_view(w, len));
    }
  }
}

// LLM context for sources (the paper's first method).
void Matcher::Impl::AddLlmContext(const ek_matcher_llm_hooks& hooks) {
  const size_t cap = hooks.context_capacity ? hooks.context_capacity : 4096;
  std::vector<char> buf(cap);
  for (Column& c : src) {
    ek_matcher_column view = View(c);
    size_t len = 0;
    ek_status s = hooks.generate_context(hooks.user_data, &view, buf.data(), cap, &len);
    if (s != EK_OK) {
      Fail(EK_ERR_PLUGIN, "generate_context failed for '" + c.id + "' with status " +
                              std::to_string(s));
    }
    len = std::min(len, cap);
    if (len && !c.description.empty()) c.description += ' ';
    c.description.append(buf.data(), len);
  }
}

// A column's words, stems, synonyms and kind, for every signal.
Prepared Matcher::Impl::PrepareColumn(const Column& c) const {
  Prepared p;
  p.name_words = norm.NameWords(c.name);
  p.name_string = Join(p.name_words);
  p.base_words = p.name_words;
  for (const auto& w : p.base_words)
    for (auto& syn : config.hints.SynonymsOf(w)) p.name_words.push_back(std::move(syn));
  if (!c.synonyms.empty()) {
    size_t b = 0;
    while (b <= c.synonyms.size()) {
      size_t e = c.synonyms.find('|', b);
      if (e == std::string::npos) e = c.synonyms.size();
      auto words = norm.NameWords(c.synonyms.substr(b, e - b));
      if (!words.empty()) {
        p.syn_strings.push_back(Join(words));
        for (auto& w : words) p.name_words.push_back(w);
      }
      b = e + 1;
    }
  }
  p.name_stems = Stems(p.name_words, true);
  if (p.name_stems.empty()) p.name_stems = Stems(p.name_words, false);
  auto dw = TextWords(api, c.description);
  p.desc_stems = Stems(dw, true);
  for (auto& w : dw)
    if (!IsStopWord(w) && !std::isdigit(static_cast<unsigned char>(w[0]))) p.desc_words.push_back(w);
  p.table_stems = Stems(norm.NameWords(c.table), true);
  p.tdesc_stems = Stems(TextWords(api, c.table_description), true);
  p.kind = InferKind(p.base_words, c.type, c.primary_key);
  p.id_like = p.kind == kIdentifier || c.primary_key || c.foreign_key;
  return p;
}

// IDF over the target documents (name + description), the glossary being the corpus;
// BM25's target documents and lengths; each column's distinct name stems with their IDF.
void Matcher::Impl::BuildTargetStatistics() {
  std::vector<std::vector<std::string>> docs, grams;
  for (const Prepared& p : pt) {
    std::vector<std::string> d = p.name_stems;
    d.insert(d.end(), p.desc_stems.begin(), p.desc_stems.end());
    d.insert(d.end(), p.table_stems.begin(), p.table_stems.end());
    docs.push_back(std::move(d));
    grams.push_back(Grams(p.name_string));
  }
  word_idf.Build(docs);
  gram_idf.Build(grams);
  tdoc.assign(pt.size(), {});
  tlen.assign(pt.size(), 0);
  double total = 0;
  for (size_t t = 0; t < pt.size(); ++t) {
    for (const auto& w : pt[t].name_stems) ++tdoc[t][w];
    for (const auto& w : pt[t].desc_stems) ++tdoc[t][w];
    tlen[t] = static_cast<uint32_t>(pt[t].name_stems.size() + pt[t].desc_stems.size());
    total += tlen[t];
  }
  avg_tlen = pt.empty() ? 1 : std::max(1.0, total / static_cast<double>(pt.size()));
  for (auto* P : {&ps, &pt}) {
    for (Prepared& p : *P) {
      std::unordered_set<std::string> seen;
      p.name_uniq.clear();
      p.name_uniq_idf.clear();
      for (const auto& w : p.name_stems)
        if (seen.insert(w).second) {
          p.name_uniq.push_back(w);
          p.name_uniq_idf.push_back(word_idf(w));
        }
    }
  }
  sdocset.assign(ps.size(), {});
  for (size_t s = 0; s < ps.size(); ++s) {
    sdocset[s].insert(ps[s].name_stems.begin(), ps[s].name_stems.end());
    sdocset[s].insert(ps[s].desc_stems.begin(), ps[s].desc_stems.end());
  }
}

ek_matcher_column Matcher::Impl::View(const Column& c) {
  ek_matcher_column v{};
  v.struct_size = sizeof v;
  v.id = c.id.c_str();
  v.table = c.table.c_str();
  v.name = c.name.c_str();
  v.type = c.type.c_str();
  v.description = c.description.c_str();
  v.table_description = c.table_description.c_str();
  v.synonyms = c.synonyms.c_str();
  return v;
}

}  // namespace tmatch
