#include "vocab.h"

#include <algorithm>
#include <atomic>
#include <mutex>

namespace tc {

// A tokenizing pass over a large corpus takes seconds. Every 256 documents (the
// host's chunks can be the whole corpus) it reports progress, which also throws
// EK_ERR_CANCELLED once cancelled, so Ctrl-C stops it, not only the training after it.
// Small batches (a predict of a few documents) report nothing.
void Tokenized(const Env& env, std::atomic<size_t>& done, size_t n, const char* task) {
  const size_t k = done.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n >= 1024 && ((k & 255) == 0 || k == n)) Progress(env, task, k, n);
}

void Vocab::Build(const Env& env, const ek_string_view* docs, size_t n, uint64_t min_count, size_t max_words) {
  std::mutex mu;
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> all;
  std::atomic<size_t> done{0};
  ParallelFor(env, n, 64, [&](size_t b, size_t e) {
    std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> local;
    for (size_t i = b; i < e; ++i) {
      ForEachToken(env, std::string_view(docs[i].data ? docs[i].data : "", docs[i].length), [&](std::string_view t) {
        auto it = local.find(t);
        if (it == local.end()) {
          local.emplace(std::string(t), 1);
        } else {
          ++it->second;
        }
      });
      Tokenized(env, done, n, "text_classify vocabulary");
    }
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [w, c] : local) all[w] += c;
  });
  std::vector<std::pair<std::string, uint64_t>> kept;
  for (auto& [w, c] : all) {
    if (c >= min_count) kept.emplace_back(w, c);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (max_words && kept.size() > max_words) kept.resize(max_words);
  words.clear();
  counts.clear();
  total = 0;
  for (auto& [w, c] : kept) {
    words.push_back(w);
    counts.push_back(c);
    total += c;
  }
  Rebuild();
}

void Vocab::Rebuild() {
  index.clear();
  index.reserve(words.size() * 2);
  for (size_t i = 0; i < words.size(); ++i) index.emplace(words[i], static_cast<uint32_t>(i));
}

std::string Vocab::Serialize() const {
  std::string s;
  for (size_t i = 0; i < words.size(); ++i) {
    s += words[i];
    s += '\t';
    s += std::to_string(counts[i]);
    s += '\n';
  }
  return s;
}

void Vocab::Deserialize(const std::string& text) {
  words.clear();
  counts.clear();
  total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string_view line(text.data() + pos, nl - pos);
    const size_t tab = line.rfind('\t');
    if (tab == std::string_view::npos) Fail(EK_ERR_CORRUPT, "vocabulary line without a count");
    words.emplace_back(line.substr(0, tab));
    counts.push_back(std::stoull(std::string(line.substr(tab + 1))));
    total += counts.back();
    pos = nl + 1;
  }
  Rebuild();
}

std::vector<std::vector<uint32_t>> DocumentIds(const Env& env, const Vocab& vocab, const ek_string_view* docs, size_t n) {
  std::vector<std::vector<uint32_t>> ids(n);
  std::atomic<size_t> done{0};
  ParallelFor(env, n, 64, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      ForEachToken(env, std::string_view(docs[i].data ? docs[i].data : "", docs[i].length), [&](std::string_view t) {
        auto it = vocab.index.find(t);
        if (it != vocab.index.end()) ids[i].push_back(it->second);
      });
      Tokenized(env, done, n, "text_classify tokenize");
    }
  });
  return ids;
}

}  // namespace tc
