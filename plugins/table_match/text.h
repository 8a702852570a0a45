// table_match: identifier normalisation and word handling.
//  - identifiers split at '_', non-alphanumerics, camelCase and letter/digit
//    boundaries ("admitTime2" -> admit time 2);
//  - run-together lower-case words ("runtimeminutes") segmented against a vocabulary
//    built from the descriptions and names of both sides (fewest pieces wins);
//  - abbreviations expanded from a built-in dictionary plus the user's;
//  - acronyms inferred against the initials of target labels/descriptions ("los" ->
//    "length of stay" when a target says "length of stay");
//  - a light suffix stemmer and an English stop-word list for descriptions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tmatch {

// Splits an identifier into lower-case parts.
std::vector<std::string> SplitIdentifier(std::string_view name);
// Lower-case alphanumeric words of free text (no stemming, stop words kept).
std::vector<std::string> RawWords(std::string_view text);
bool IsStopWord(std::string_view w);
std::string Stem(std::string_view w);

class Normalizer {
 public:
  Normalizer();
  // User abbreviations override built-in ones: "abbr" -> "expansion words".
  void AddAbbreviation(std::string abbr, std::string expansion);
  // Vocabulary for segmentation and "is this a known word" (unstemmed words).
  void AddVocabulary(std::string_view word, uint32_t count = 1);
  // Dictionary words (the frequent words of a word-vector table): also vocabulary, and
  // the only words kept whole when they could be segmented. Without a dictionary a
  // corpus word is kept whole ("charttime" mentioned in a description stays one
  // word); with one, a run-together identifier seen in the corpus is still split
  // ("charttime" -> chart time, "datetime" -> date time).
  void AddDictionaryWord(std::string_view word);
  // Acronym candidates: every run of 2..5 words of `text` (content words, "of"/"and"
  // allowed inside) registers its initials.
  void AddAcronymSource(std::string_view text);
  void ClearCorpus();  // vocabulary and acronyms (not abbreviations, not the dictionary)
  bool HasDictionary() const { return !dict_.empty(); }

  // Identifier -> expanded words (unstemmed, lower case), e.g. "dischtime" ->
  // {"discharge", "time"}.
  std::vector<std::string> NameWords(std::string_view identifier) const;

 private:
  std::vector<std::string> Segment(const std::string& token) const;
  void Expand(const std::string& token, std::vector<std::string>* out, bool allow_segment) const;

  std::unordered_map<std::string, std::vector<std::string>> abbrev_;
  std::unordered_map<std::string, uint32_t> vocab_;
  std::unordered_set<std::string> dict_;
  std::unordered_map<std::string, std::vector<std::string>> acronyms_;
  std::unordered_map<std::string, uint32_t> acronym_count_;
};

}  // namespace tmatch
