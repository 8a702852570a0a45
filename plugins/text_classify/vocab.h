// Corpus vocabulary shared by the doc2vec and glove embedders: parallel counting with
// per-thread maps, deterministic order (count desc, then bytes), transparent lookup.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tc.h"

namespace tc {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return static_cast<size_t>(Hash64(s.data(), s.size(), 7)); }
};
using WordIndex = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

struct Vocab {
  std::vector<std::string> words;   // by count desc, then bytes
  std::vector<uint64_t> counts;
  WordIndex index;
  uint64_t total = 0;               // tokens of kept words

  int64_t Find(std::string_view w) const {
    auto it = index.find(w);
    return it == index.end() ? -1 : static_cast<int64_t>(it->second);
  }
  // Counts tokens of docs (in parallel) and keeps words with count >= min_count (at
  // most max_words, 0 = all).
  void Build(const Env& env, const ek_string_view* docs, size_t n, uint64_t min_count, size_t max_words);
  void Rebuild();  // index from words
  std::string Serialize() const;  // "word\tcount\n" lines
  void Deserialize(const std::string& text);
};

// Token ids of each document (words outside the vocabulary dropped), in parallel.
std::vector<std::vector<uint32_t>> DocumentIds(const Env& env, const Vocab& vocab, const ek_string_view* docs, size_t n);

}  // namespace tc
