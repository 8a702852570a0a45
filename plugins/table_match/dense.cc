// table_match: the dense vectors of every column, the word alignment, and each pair's
// signals from them (Matcher::Impl::EncodeAll, PairSignals).
#include "matcher_impl.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace tmatch {

std::vector<std::string> Grams(const std::string& s) {
  std::vector<std::string> g;
  const std::string p = "#" + s + "#";
  for (size_t i = 0; i + 3 <= p.size(); ++i) {
    std::string x = p.substr(i, 3);
    for (char& c : x)
      if (c == ' ') c = '#';
    g.push_back(std::move(x));
  }
  return g;
}

namespace {

float KindCompat(Kind a, Kind b) {
  if (a == kUnknown || b == kUnknown) return 0.5f;
  if (a == b) return 1.0f;
  if (a == kTemporal || b == kTemporal) return 0.0f;
  if ((a == kIdentifier && b == kNumeric) || (a == kNumeric && b == kIdentifier)) return 0.3f;
  return 0.2f;
}

// Hashed TF-IDF vectors.
class Hasher {
 public:
  Hasher(uint32_t dim, uint64_t salt) : dim_(dim), salt_(salt) {}
  void Add(float* v, std::string_view term, float weight) const {
    const uint64_t h = Fnv(term, salt_);
    v[h % dim_] += (h >> 63) ? -weight : weight;
  }
  uint32_t dim() const { return dim_; }

 private:
  uint32_t dim_;
  uint64_t salt_;
};

}  // namespace

void Matcher::Impl::BuildAlign() {
  if (!wv) return;
  auto side = [&](const std::vector<Prepared>& P, AlignSide* a) {
    std::unordered_map<std::string, uint32_t> id;
    auto add = [&](const std::string& w) -> int64_t {
      if (IsStopWord(w) || std::isdigit(static_cast<unsigned char>(w[0]))) return -1;
      auto it = id.find(w);
      if (it != id.end()) return it->second;
      if (!wv->Find(w)) return -1;
      const uint32_t k = static_cast<uint32_t>(a->words.size());
      id.emplace(w, k);
      a->words.push_back(w);
      a->idf.push_back(word_idf(Stem(w)));
      return k;
    };
    a->name.assign(P.size(), {});
    a->desc.assign(P.size(), {});
    for (size_t i = 0; i < P.size(); ++i) {
      for (const auto& w : P[i].name_words)
        if (int64_t k = add(w); k >= 0) a->name[i].push_back(static_cast<uint32_t>(k));
      // The description's 16 most specific distinct words bound the cost per pair.
      std::vector<uint32_t> d;
      for (const auto& w : P[i].desc_words)
        if (int64_t k = add(w); k >= 0) d.push_back(static_cast<uint32_t>(k));
      std::sort(d.begin(), d.end());
      d.erase(std::unique(d.begin(), d.end()), d.end());
      std::stable_sort(d.begin(), d.end(), [&](uint32_t x, uint32_t y) { return a->idf[x] > a->idf[y]; });
      if (d.size() > 16) d.resize(16);
      a->desc[i] = std::move(d);
    }
  };
  side(ps, &as);
  side(pt, &at);
  const size_t ns = as.words.size(), nt = at.words.size(), dim = wv->dim;
  if (!ns || !nt) return;
  std::vector<float> A(ns * dim), B(nt * dim);
  for (size_t i = 0; i < ns; ++i) {
    std::memcpy(&A[i * dim], wv->Find(as.words[i]), dim * 4);
    k->normalize(&A[i * dim], static_cast<uint32_t>(dim));
  }
  for (size_t j = 0; j < nt; ++j) {
    std::memcpy(&B[j * dim], wv->Find(at.words[j]), dim * 4);
    k->normalize(&B[j * dim], static_cast<uint32_t>(dim));
  }
  wsim.assign(ns * nt, 0.f);
  k->dot_many_many(A.data(), ns, B.data(), nt, static_cast<uint32_t>(dim), wsim.data());
  for (float& v : wsim) v = std::max(v, 0.f);
}

// IDF-weighted mean over `from` of the best similarity to any word of `to_a` or
// `to_b` (source_side: `from` holds source words, the others target words).
float Matcher::Impl::Cover(const std::vector<uint32_t>& from, const std::vector<uint32_t>& to_a,
            const std::vector<uint32_t>& to_b, bool source_side) const {
  if (from.empty() || (to_a.empty() && to_b.empty())) return 0.f;
  const size_t nt = at.words.size();
  double num = 0, den = 0;
  for (uint32_t f : from) {
    float best = 0;
    for (const auto* to : {&to_a, &to_b})
      for (uint32_t g : *to)
        best = std::max(best, source_side ? wsim[f * nt + g] : wsim[g * nt + f]);
    const double w = source_side ? as.idf[f] : at.idf[f];
    num += w * best;
    den += w;
  }
  return den > 0 ? static_cast<float>(num / den) : 0.f;
}

void Matcher::Impl::Encode(const std::vector<Prepared>& P, Dense* d, size_t begin, size_t end) const {
  const Hasher hc(d->cd, 0x51), hn(d->wd, 0x17), hdoc(d->wd, 0x17);
  for (size_t i = begin; i < end; ++i) {
    const Prepared& p = P[i];
    float* c = &d->chr[i * d->cd];
    for (const auto& g : Grams(p.name_string)) hc.Add(c, g, gram_idf(g));
    k->normalize(c, d->cd);
    float* n = &d->name[i * d->wd];
    for (const auto& w : p.name_stems) hn.Add(n, w, word_idf(w));
    k->normalize(n, d->wd);
    float* ds_ = &d->desc[i * d->wd];
    for (const auto& w : p.desc_stems) hn.Add(ds_, w, word_idf(w));
    k->normalize(ds_, d->wd);
    float* x = &d->doc[i * d->wd];
    for (const auto& w : p.name_stems) hdoc.Add(x, w, 2.0f * word_idf(w));
    for (const auto& w : p.desc_stems) hdoc.Add(x, w, word_idf(w));
    k->normalize(x, d->wd);
    float* t = &d->table[i * d->wd];
    for (const auto& w : p.table_stems) hn.Add(t, w, word_idf(w));
    for (const auto& w : p.tdesc_stems) hn.Add(t, w, 0.25f * word_idf(w));
    k->normalize(t, d->wd);
    if (wv) {
      float* a = &d->wvn[i * d->vd];
      for (const auto& w : p.name_words) {
        if (IsStopWord(w)) continue;
        if (const float* v = wv->Find(w))
          for (uint32_t j = 0; j < d->vd; ++j) a[j] += v[j];
      }
      k->normalize(a, d->vd);
      float* b = &d->wvd[i * d->vd];
      for (const auto& w : p.name_words) {
        if (IsStopWord(w)) continue;
        if (const float* v = wv->Find(w)) {
          const float f = 2.0f * word_idf(Stem(w));
          for (uint32_t j = 0; j < d->vd; ++j) b[j] += f * v[j];
        }
      }
      for (const auto& w : p.desc_words) {
        if (const float* v = wv->Find(w)) {
          const float f = word_idf(Stem(w));
          for (uint32_t j = 0; j < d->vd; ++j) b[j] += f * v[j];
        }
      }
      k->normalize(b, d->vd);
    }
  }
}

void Matcher::Impl::Alloc(Dense* d, size_t n) const {
  d->n = static_cast<uint32_t>(n);
  d->cd = config.char_dim;
  d->wd = config.word_dim;
  d->vd = wv ? wv->dim : 0;
  d->chr.assign(n * d->cd, 0.f);
  d->name.assign(n * d->wd, 0.f);
  d->desc.assign(n * d->wd, 0.f);
  d->doc.assign(n * d->wd, 0.f);
  d->table.assign(n * d->wd, 0.f);
  d->wvn.assign(n * d->vd, 0.f);
  d->wvd.assign(n * d->vd, 0.f);
}

// The dense dots of one pair family layout: values[kNameChar..] for dense signals.
// `dense` holds 9 values: chr, name, desc, doc, name_desc, desc_name, table, wvn, wvd.
void Matcher::Impl::PairSignals(size_t s, size_t t, const float* dense, float* f) const {
  const Prepared& a = ps[s];
  const Prepared& b = pt[t];
  f[kNameChar] = dense[0];
  f[kNameTok] = dense[1];
  f[kDescDesc] = dense[2];
  f[kDocDoc] = dense[3];
  f[kNameDesc] = dense[4];
  f[kDescName] = dense[5];
  f[kTableSim] = dense[6];
  f[kWvName] = dense[7];
  f[kWvDesc] = dense[8];
  // BM25 of the source name words in the target document, over its upper bound.
  const double k1 = 1.2, bb = 0.75;
  double bm = 0, ub = 0;
  for (size_t i = 0; i < a.name_uniq.size(); ++i) {
    const std::string& w = a.name_uniq[i];
    const double idf = a.name_uniq_idf[i];
    ub += idf * (k1 + 1);
    auto it = tdoc[t].find(w);
    if (it == tdoc[t].end()) continue;
    const double tf = it->second;
    bm += idf * tf * (k1 + 1) / (tf + k1 * (1 - bb + bb * tlen[t] / avg_tlen));
  }
  f[kNameBm25] = ub > 0 ? static_cast<float>(bm / ub) : 0.f;
  // Coverage of target name words in the source text and vice versa.
  double num = 0, den = 0;
  for (size_t i = 0; i < b.name_stems.size(); ++i) {
    const std::string& w = b.name_stems[i];
    const double idf = word_idf(w);
    den += idf;
    if (sdocset[s].count(w)) num += idf;
  }
  f[kTgtCover] = den > 0 ? static_cast<float>(num / den) : 0.f;
  num = den = 0;
  for (size_t i = 0; i < a.name_uniq.size(); ++i) {
    const double idf = a.name_uniq_idf[i];
    den += idf;
    if (tdoc[t].count(a.name_uniq[i])) num += idf;
  }
  f[kSrcCover] = den > 0 ? static_cast<float>(num / den) : 0.f;
  float exact = a.name_string == b.name_string ? 1.f : 0.f;
  for (const auto& syn : b.syn_strings)
    if (syn == a.name_string) exact = 1.f;
  f[kExactName] = exact;
  f[kTypeCompat] = KindCompat(a.kind, b.kind);
  f[kKeyMatch] = a.id_like == b.id_like ? (a.id_like ? 1.f : 0.5f) : 0.f;
  f[kWvAlign] = f[kWvCover] = 0.f;
  if (!wsim.empty()) {
    static const std::vector<uint32_t> kNone;
    f[kWvAlign] = 0.5f * (Cover(as.name[s], at.name[t], kNone, true) +
                          Cover(at.name[t], as.name[s], kNone, false));
    f[kWvCover] = 0.5f * (Cover(as.name[s], at.name[t], at.desc[t], true) +
                          Cover(at.name[t], as.name[s], as.desc[s], false));
  }
}

void Matcher::Impl::DenseOfPair(size_t s, size_t t, float* dense) const {
  auto dot = [&](const std::vector<float>& A, const std::vector<float>& B, uint32_t d) {
    return d ? k->dot(&A[s * d], &B[t * d], d) : 0.f;
  };
  dense[0] = dot(ds.chr, dt.chr, ds.cd);
  dense[1] = dot(ds.name, dt.name, ds.wd);
  dense[2] = dot(ds.desc, dt.desc, ds.wd);
  dense[3] = dot(ds.doc, dt.doc, ds.wd);
  dense[4] = dot(ds.name, dt.desc, ds.wd);
  dense[5] = dot(ds.desc, dt.name, ds.wd);
  dense[6] = dot(ds.table, dt.table, ds.wd);
  dense[7] = dot(ds.wvn, dt.wvn, ds.vd);
  dense[8] = dot(ds.wvd, dt.wvd, ds.vd);
}

void Matcher::Impl::EncodeDense(const std::vector<Prepared>& P, Dense* d) const {
  struct EncodeJob {
    const Impl* im;
    const std::vector<Prepared>* p;
    Dense* d;
  } job{this, &P, d};
  host->parallel_for(host, P.size(), 16,
                     [](void* u, size_t b, size_t e) {
                       auto* j = static_cast<EncodeJob*>(u);
                       j->im->Encode(*j->p, j->d, b, e);
                     },
                     &job);
}

void Matcher::Impl::EncodeAll(std::vector<std::string>* warnings) {
  Alloc(&ds, src.size());
  Alloc(&dt, tgt.size());
  EncodeDense(ps, &ds);
  if (config.cache_store.empty()) {
    EncodeDense(pt, &dt);
  } else if (EncodeTargetsThroughCache()) {
    warnings->push_back("glossary vectors read from the cache");
  }
}

}  // namespace tmatch
