// The default embedder ("embedder": "auto"): which embedder, and which doc2vec
// settings, a corpus gets, from statistics counted at fit time. Header-only and free of
// the plugin's types so the rule is unit-tested on synthetic statistics
// (tests/plugins/text_classify). docs/text_classify.md, "The default embedder", gives the
// measurements behind each threshold.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace tc::autorule {

struct CorpusStats {
  uint64_t documents = 0;
  uint64_t tokens = 0;  // after the configured tokenizer
  double MeanTokens() const { return documents ? static_cast<double>(tokens) / static_cast<double>(documents) : 0.0; }
};

struct Choice {
  std::string embedder;                              // "doc2vec" or "doc2vec+glove"
  std::vector<std::pair<std::string, std::string>>  // config keys (JSON values) the rule sets
      settings;
  std::string reason;                                // one line, for info_json and the log
};

// Below this many tokens a corpus is "small": doc2vec keeps words seen twice and
// down-samples from gensim's default 1e-3; Lbl2Vec's 1e-5 is meant for corpora of
// millions of tokens and, on a few hundred thousand, discards most occurrences of
// every common word (sms_spam: 0.21 micro-F1 at 1e-5, 0.88 at 1e-3).
inline constexpr uint64_t kSmallCorpusTokens = 300000;
// Below this mean length (questions, titles) a GloVe average rests on two or three
// content words, SIF weights out the frequent words that carry such labels (who, where,
// how many), and the GloVe half only adds noise: doc2vec alone (TREC: 0.55 alone,
// 0.51 combined).
inline constexpr double kVeryShortMeanTokens = 12.0;
// Long texts in a large corpus: doc2vec alone. With a paragraph or more per document
// and a million tokens or more, doc2vec learns the corpus's own topics, and a GloVe
// average over hundreds of words is blurred (20 Newsgroups: doc2vec 0.73, glove 0.50,
// combined 0.67).
inline constexpr double kLongMeanTokens = 100.0;
inline constexpr uint64_t kLargeCorpusTokens = 1000000;
// doc2vec's training budget in token passes: 100 epochs up to 6M tokens (20 Newsgroups),
// fewer above so a large corpus does not train for hours; never under 10 (Lbl2Vec's).
inline constexpr double kTokenPassBudget = 6e8;
// Weight of doc2vec's cosine in the combination (glove's is 1 - this): doc2vec is
// trained on the corpus itself, GloVe is a general prior.
inline constexpr double kCombineWeight = 0.75;

inline std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

inline size_t Epochs(const CorpusStats& s) {
  const double e = kTokenPassBudget / static_cast<double>(std::max<uint64_t>(s.tokens, 1));
  return static_cast<size_t>(std::clamp(std::floor(e), 10.0, 100.0));
}

// glove_available: a GloVe table could be opened (config, $EMBEDKIT_GLOVE or the
// table scripts/setup.sh writes).
inline Choice Choose(const CorpusStats& s, bool glove_available) {
  Choice c;
  const bool small = s.tokens < kSmallCorpusTokens;
  const bool very_short = s.MeanTokens() < kVeryShortMeanTokens;
  // doc2vec as the benchmark runs it (pure PV-DBOW, 100-d, seeds from the keywords'
  // output vectors, linear inference), down-sampling and min_count by corpus size.
  c.settings = {{"vector_size", "100"},
                {"epochs", std::to_string(Epochs(s))},
                {"dbow_words", "false"},
                {"infer", "\"linear\""},
                {"min_count", small ? "2" : "5"},
                {"sample", small ? "0.001" : "1e-05"}};
  const std::string stats = std::to_string(s.documents) + " documents, " + std::to_string(s.tokens) + " tokens (" +
                            Number(s.MeanTokens()) + " per document)";
  const bool long_large = s.MeanTokens() >= kLongMeanTokens && s.tokens >= kLargeCorpusTokens;
  if (long_large) {
    c.embedder = "doc2vec";
    c.reason = stats + ": long texts in a large corpus (at least " + Number(kLongMeanTokens) + " tokens on average, " +
               Number(static_cast<double>(kLargeCorpusTokens)) + " in all): doc2vec alone";
  } else if (very_short) {
    c.embedder = "doc2vec";
    c.reason = stats + ": very short texts (under " + Number(kVeryShortMeanTokens) + " tokens on average): doc2vec alone";
  } else if (!glove_available) {
    c.embedder = "doc2vec";
    c.reason = stats + ": GloVe table not found: doc2vec alone";
  } else {
    c.embedder = "doc2vec+glove";
    c.settings.emplace_back("combine_weight", Number(kCombineWeight));
    c.reason = stats + ": doc2vec and GloVe combined (doc2vec weight " + Number(kCombineWeight) + ")";
  }
  c.reason += small ? "; small corpus: min_count 2, sample 1e-3" : "; min_count 5, sample 1e-5";
  return c;
}

}  // namespace tc::autorule
