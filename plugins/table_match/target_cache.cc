// table_match: the glossary vectors cached in config "cache_store" (EncodeTargetsThroughCache).
#include "matcher_impl.h"

#include <cstdio>
#include <cstring>

namespace tmatch {

namespace {

// The layout of one glossary vector cached in the store: chr, name, desc, doc, table,
// wvn, wvd; `to_row` copies target t into the row, otherwise the row into target t.
void CopyCachedRow(Dense* d, size_t t, float* row, bool to_row) {
  auto copy = [&](std::vector<float>* v, uint32_t dim) {
    if (dim) {
      float* x = &(*v)[t * dim];
      if (to_row) std::memcpy(row, x, dim * 4);
      else std::memcpy(x, row, dim * 4);
    }
    row += dim;
  };
  copy(&d->chr, d->cd);
  for (auto* v : {&d->name, &d->desc, &d->doc, &d->table}) copy(v, d->wd);
  for (auto* v : {&d->wvn, &d->wvd}) copy(v, d->vd);
}

}  // namespace

// The cache collection is named by a hash of every target field and the row layout, so
// a changed glossary or configuration never reads stale vectors.
std::string Matcher::Impl::TargetCacheName(uint32_t row_dim) const {
  uint64_t h = Fnv("table_match/1");
  for (const Column& c : tgt) {
    for (const std::string* s : {&c.id, &c.table, &c.name, &c.type, &c.description,
                                 &c.table_description, &c.synonyms}) {
      h = Fnv(*s, h);
      h = Fnv(std::string_view("\x1f", 1), h);
    }
  }
  h = Fnv(std::to_string(row_dim) + (wv ? "wv" : "-"), h);
  char name[64];
  std::snprintf(name, sizeof name, "table_match.%016llx", static_cast<unsigned long long>(h));
  return name;
}

bool Matcher::Impl::ReadTargetCache(ek_collection* col, uint32_t row_dim) {
  std::vector<float> row(row_dim);
  for (size_t t = 0; t < tgt.size(); ++t) {
    size_t got = 0;
    const std::string id = std::to_string(t);
    if (host->collection_get(col, id.c_str(), row.data(), row_dim, &got, nullptr) != EK_OK ||
        got != row_dim)
      return false;
    CopyCachedRow(&dt, t, row.data(), false);
  }
  return true;
}

ek_status Matcher::Impl::WriteTargetCache(ek_collection* col, uint32_t row_dim) {
  const size_t T = tgt.size();
  std::vector<float> rows(T * row_dim);
  std::vector<std::string> ids(T);
  std::vector<const char*> idp(T);
  for (size_t t = 0; t < T; ++t) {
    CopyCachedRow(&dt, t, &rows[t * row_dim], true);
    ids[t] = std::to_string(t);
    idp[t] = ids[t].c_str();
  }
  ek_upsert_batch batch{};
  batch.struct_size = sizeof batch;
  batch.count = T;
  batch.ids = idp.data();
  batch.vectors = rows.data();
  batch.dim = row_dim;
  return host->collection_upsert(col, &batch);
}

// Target vectors through config.cache_store: read when every row is there, else
// encoded and written. Returns whether they were read.
bool Matcher::Impl::EncodeTargetsThroughCache() {
  const uint32_t row_dim = dt.cd + 4 * dt.wd + 2 * dt.vd;
  const std::string cache_name = TargetCacheName(row_dim);
  ek_store* store = nullptr;
  if (host->store_open(host, config.cache_store.c_str(), &store) != EK_OK) {
    Fail(EK_ERR_STORAGE, "cannot open cache_store '" + config.cache_store + "'");
  }
  bool cached = false;
  ek_collection* col = nullptr;
  ek_status st = host->collection_create(store, cache_name.c_str(), row_dim, EK_METRIC_DOT, &col);
  if (st == EK_OK) {
    cached = ReadTargetCache(col, row_dim);
    if (!cached) {
      Alloc(&dt, tgt.size());  // a partial read leaves rows behind
      EncodeDense(pt, &dt);
      st = WriteTargetCache(col, row_dim);
    }
    host->collection_free(col);
  }
  host->store_free(store);
  if (st != EK_OK) Fail(EK_ERR_STORAGE, "cannot write the glossary vectors to cache_store '" + config.cache_store + "'");
  return cached;
}

}  // namespace tmatch
