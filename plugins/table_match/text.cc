// table_match: identifier normalisation (see text.h).
#include "text.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace tmatch {

namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
char ToLower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Built-in abbreviations common in database column names (general and clinical
// data-warehouse usage). Words, not schema-specific mappings.
const char* const kAbbreviations[][2] = {
    {"acc", "account"},       {"acct", "account"},      {"addr", "address"},
    {"adm", "admission"},     {"admit", "admission"},   {"amt", "amount"},
    {"attr", "attribute"},    {"avg", "average"},       {"bal", "balance"},
    {"cat", "category"},      {"cd", "code"},           {"cnt", "count"},
    {"cust", "customer"},     {"dept", "department"},   {"desc", "description"},
    {"descr", "description"}, {"diag", "diagnosis"},    {"disch", "discharge"},
    {"dob", "date of birth"}, {"dod", "date of death"}, {"dt", "date"},
    {"dx", "diagnosis"},      {"emp", "employee"},      {"fname", "first name"},
    {"lname", "last name"},   {"hosp", "hospital"},     
    {"icu", "intensive care unit"}, {"loc", "location"}, 
    {"max", "maximum"},       {"med", "medication"},    {"meds", "medications"},
    {"mgr", "manager"},       {"msg", "message"},       {"nbr", "number"},
    {"no", "number"},         {"num", "number"},        {"org", "organization"},
    {"pct", "percent"},       {"phys", "physician"},    {"pt", "patient"},
    {"px", "procedure"},      {"qty", "quantity"},      {"ref", "reference"},
    {"rx", "prescription"},   {"seq", "sequence"},      {"src", "source"},
    {"std", "standard"},      {"tel", "telephone"},     {"tgt", "target"},
    {"ts", "timestamp"},      {"uom", "unit of measure"}, {"val", "value"},
    {"yr", "year"},           {"dur", "duration"},      {"temp", "temperature"},
    {"wt", "weight"},         {"ht", "height"},         {"freq", "frequency"},
    {"info", "information"},  {"stat", "status"},       {"lang", "language"},
    {"prov", "provider"},     {"proc", "procedure"},    {"spec", "specimen"},
    {"ethn", "ethnicity"},            {"sex", "gender"},
    {"dose", "dose"},         {"uid", "unique identifier"}, {"pk", "primary key"},
    {"fk", "foreign key"},     {"curr", "current"},      {"prev", "previous"},
    {"min", "minimum"},       {"reg", "registration"},  {"meas", "measurement"},
    {"cfg", "configuration"}, {"grp", "group"},         {"yob", "year of birth"},
};

const char* const kStopWords[] = {
    "a", "an", "and", "are", "as", "at", "be", "been", "by", "can", "do", "does", "e",
    "eg", "for", "from", "g", "has", "have", "i", "ie", "if", "in", "into", "is", "it",
    "its", "may", "of", "on", "or", "other", "s", "should", "such", "than", "that", "the",
    "their", "there", "these", "this", "those", "to", "was", "were", "what", "when",
    "where", "which", "who", "will", "with", "within", "would", "not", "no", "any", "all",
    "each", "also", "be", "but", "so", "only", "used", "use", "value", "values", "field",
    "column", "table", "record", "records", "data"};

}  // namespace

std::vector<std::string> SplitIdentifier(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!IsAlnum(c)) {
      flush();
      continue;
    }
    if (!cur.empty()) {
      const char p = name[i - 1];
      const bool lower_to_upper = std::islower(static_cast<unsigned char>(p)) &&
                                  std::isupper(static_cast<unsigned char>(c));
      const bool acronym_end = std::isupper(static_cast<unsigned char>(p)) &&
                               std::isupper(static_cast<unsigned char>(c)) && i + 1 < name.size() &&
                               std::islower(static_cast<unsigned char>(name[i + 1]));
      const bool digit_edge = (std::isdigit(static_cast<unsigned char>(p)) != 0) !=
                              (std::isdigit(static_cast<unsigned char>(c)) != 0);
      if (lower_to_upper || acronym_end || digit_edge) flush();
    }
    cur += ToLower(c);
  }
  flush();
  return out;
}

std::vector<std::string> RawWords(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (IsAlnum(c)) {
      cur += ToLower(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool IsStopWord(std::string_view w) {
  static const std::unordered_set<std::string_view> kSet(std::begin(kStopWords),
                                                         std::end(kStopWords));
  return kSet.count(w) > 0;
}

std::string Stem(std::string_view w) {
  std::string s(w);
  auto ends = [&](std::string_view suf) {
    return s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (s.size() <= 3 || std::isdigit(static_cast<unsigned char>(s[0]))) return s;
  if (ends("ies") && s.size() > 4) {
    s.resize(s.size() - 3);
    s += 'y';
  } else if (ends("sses")) {
    s.resize(s.size() - 2);
  } else if (ends("s") && !ends("ss") && !ends("us") && !ends("is")) {
    s.resize(s.size() - 1);
  }
  if (ends("ing") && s.size() > 5) {
    s.resize(s.size() - 3);
  } else if (ends("ed") && s.size() > 4 && !ends("eed")) {
    s.resize(s.size() - 2);
  } else if (ends("ation") && s.size() > 7) {
    s.resize(s.size() - 5);
  } else if (ends("ion") && s.size() > 6) {
    s.resize(s.size() - 3);
  }
  if (s.size() > 4 && s.back() == 'e') s.pop_back();
  return s;
}

Normalizer::Normalizer() {
  for (const auto& a : kAbbreviations) abbrev_[a[0]] = RawWords(a[1]);
}

void Normalizer::AddAbbreviation(std::string abbr, std::string expansion) {
  std::string key;
  for (char c : abbr)
    if (IsAlnum(c)) key += ToLower(c);
  if (key.empty()) return;
  abbrev_[key] = RawWords(expansion);
}

void Normalizer::AddVocabulary(std::string_view word, uint32_t count) {
  if (word.size() < 2) return;
  vocab_[std::string(word)] += count;
}

void Normalizer::AddDictionaryWord(std::string_view word) {
  if (word.size() < 2) return;
  dict_.insert(std::string(word));
}

void Normalizer::AddAcronymSource(std::string_view text) {
  std::vector<std::string> words = RawWords(text);
  for (size_t i = 0; i < words.size(); ++i) {
    if (IsStopWord(words[i]) || std::isdigit(static_cast<unsigned char>(words[i][0]))) continue;
    std::string initials;
    std::vector<std::string> phrase;
    for (size_t j = i; j < words.size() && phrase.size() < 5; ++j) {
      const std::string& w = words[j];
      const bool glue = w == "of" || w == "and";
      if (!glue && (IsStopWord(w) || std::isdigit(static_cast<unsigned char>(w[0])))) break;
      initials += w[0];
      phrase.push_back(w);
      if (phrase.size() >= 2 && !glue) {
        auto& n = acronym_count_[initials];
        if (++n == 1 || phrase.size() > acronyms_[initials].size()) acronyms_[initials] = phrase;
      }
    }
  }
}

void Normalizer::ClearCorpus() {
  vocab_.clear();
  acronyms_.clear();
  acronym_count_.clear();
}

std::vector<std::string> Normalizer::Segment(const std::string& token) const {
  // At least two pieces, each a known word (>= 2 letters) or an abbreviation. Best:
  // fewest pieces, then most "good" pieces (dictionary words, abbreviations, frequent
  // 2-letter words), then the longest pieces (sum of squared lengths): "wardid" ->
  // ward id (not war did), "updatetime" -> update time (not up datetime).
  struct Cost {
    int pieces, good, sq;
    bool operator<(const Cost& o) const {
      if (pieces != o.pieces) return pieces < o.pieces;
      if (good != o.good) return good > o.good;
      return sq > o.sq;
    }
  };
  const size_t n = token.size();
  const int kInf = std::numeric_limits<int>::max() / 2;
  std::vector<Cost> best(n + 1, Cost{kInf, 0, 0});
  std::vector<size_t> from(n + 1, 0);
  best[0] = Cost{0, 0, 0};
  for (size_t e = 1; e <= n; ++e) {
    for (size_t b = (e > 20 ? e - 20 : 0); b + 2 <= e; ++b) {
      if (best[b].pieces >= kInf || (b == 0 && e == n)) continue;
      const std::string piece = token.substr(b, e - b);
      const auto v = vocab_.find(piece);
      const bool abbr = abbrev_.count(piece) > 0;
      const bool in_dict = piece.size() >= 3 && dict_.count(piece) > 0;
      const bool frequent2 = piece.size() == 2 && v != vocab_.end() && v->second >= 3;
      const bool ok = (piece.size() >= 3 && v != vocab_.end()) || in_dict || abbr || frequent2;
      if (!ok) continue;
      const bool good = abbr || frequent2 || in_dict;
      const int len = static_cast<int>(piece.size());
      const Cost c{best[b].pieces + 1, best[b].good + (good ? 1 : 0), best[b].sq + len * len};
      if (c < best[e]) {
        best[e] = c;
        from[e] = b;
      }
    }
  }
  if (best[n].pieces >= kInf || best[n].pieces < 2) return {};
  std::vector<std::string> pieces;
  for (size_t e = n; e > 0; e = from[e]) pieces.push_back(token.substr(from[e], e - from[e]));
  std::reverse(pieces.begin(), pieces.end());
  return pieces;
}

void Normalizer::Expand(const std::string& token, std::vector<std::string>* out,
                        bool allow_segment) const {
  if (auto it = abbrev_.find(token); it != abbrev_.end()) {
    out->insert(out->end(), it->second.begin(), it->second.end());
    return;
  }
  if (std::isdigit(static_cast<unsigned char>(token[0])) || dict_.count(token) ||
      (dict_.empty() && vocab_.count(token))) {
    out->push_back(token);
    return;
  }
  // A corpus word that is not a dictionary word: split it when it segments
  // (identifiers quoted in descriptions), else keep it.
  if (vocab_.count(token)) {
    if (allow_segment && token.size() >= 5) {
      std::vector<std::string> pieces = Segment(token);
      if (!pieces.empty()) {
        for (const auto& p : pieces) Expand(p, out, false);
        return;
      }
    }
    out->push_back(token);
    return;
  }
  if (token.size() >= 2 && token.size() <= 5) {
    if (auto it = acronyms_.find(token); it != acronyms_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  if (allow_segment && token.size() >= 5) {
    std::vector<std::string> pieces = Segment(token);
    if (!pieces.empty()) {
      for (const auto& p : pieces) Expand(p, out, false);
      return;
    }
  }
  out->push_back(token);
}

std::vector<std::string> Normalizer::NameWords(std::string_view identifier) const {
  std::vector<std::string> out;
  for (const std::string& part : SplitIdentifier(identifier)) Expand(part, &out, true);
  return out;
}

}  // namespace tmatch
