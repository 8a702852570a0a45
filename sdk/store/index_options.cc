#include "store/index_options.h"

#include "base/error.h"

namespace ek::store {

const char* IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kExact: return "exact";
    case IndexKind::kHnsw: return "hnsw";
  }
  return "?";
}

const char* ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kF32: return "f32";
    case ElementType::kF16: return "f16";
    case ElementType::kInt8: return "int8";
    case ElementType::kBit: return "bit";
  }
  return "?";
}

void ValidateIndexOptions(const IndexOptions& o) {
  if (o.kind != IndexKind::kExact && o.kind != IndexKind::kHnsw)
    Fail(EK_ERR_INVALID_ARGUMENT, "index kind " + std::to_string(static_cast<int32_t>(o.kind)) +
                                      " is not exact (0) or hnsw (1)");
  const auto element = static_cast<int32_t>(o.element);
  if (element < 0 || element > static_cast<int32_t>(ElementType::kBit))
    Fail(EK_ERR_INVALID_ARGUMENT, "element type " + std::to_string(element) +
                                      " is not f32 (0), f16 (1), int8 (2) or bit (3)");
  if (o.m < 2 || o.m > 255)
    Fail(EK_ERR_INVALID_ARGUMENT, "m is " + std::to_string(o.m) + "; it must be 2..255");
  if (o.ef_construction < 1 || o.ef_construction > 65536)
    Fail(EK_ERR_INVALID_ARGUMENT, "ef_construction is " + std::to_string(o.ef_construction) +
                                      "; it must be 1..65536");
  if (o.ef_search < 1 || o.ef_search > 65536)
    Fail(EK_ERR_INVALID_ARGUMENT, "ef_search is " + std::to_string(o.ef_search) +
                                      "; it must be 1..65536");
  if (o.rescore < 1 || o.rescore > 1024)
    Fail(EK_ERR_INVALID_ARGUMENT, "rescore is " + std::to_string(o.rescore) +
                                      "; it must be 1..1024 (1 = no rescoring)");
  if (o.defer_build && o.kind != IndexKind::kHnsw)
    Fail(EK_ERR_INVALID_ARGUMENT, "defer_build applies to an hnsw index only");
}

bool NeedsIndexRow(const IndexOptions& o) {
  return o.kind != IndexKind::kExact || o.element != ElementType::kF32;
}

std::string DescribeIndexOptions(const IndexOptions& o) {
  std::string s = IndexKindName(o.kind);
  if (o.kind == IndexKind::kHnsw) {
    s += " m=" + std::to_string(o.m) + " ef_construction=" + std::to_string(o.ef_construction) +
         " ef_search=" + std::to_string(o.ef_search);
  }
  s += std::string(" element=") + ElementTypeName(o.element);
  if (o.rescore > 1) s += " rescore=" + std::to_string(o.rescore);
  return s;
}

std::string IndexOptionsDifference(const IndexOptions& a, const IndexOptions& b) {
  auto differ = [](const char* field, const std::string& x, const std::string& y) {
    return std::string(field) + " " + x + " vs " + y;
  };
  if (a.kind != b.kind) return differ("index", IndexKindName(a.kind), IndexKindName(b.kind));
  if (a.element != b.element)
    return differ("element", ElementTypeName(a.element), ElementTypeName(b.element));
  if (a.kind == IndexKind::kHnsw) {
    if (a.m != b.m) return differ("m", std::to_string(a.m), std::to_string(b.m));
    if (a.ef_construction != b.ef_construction)
      return differ("ef_construction", std::to_string(a.ef_construction),
                    std::to_string(b.ef_construction));
    if (a.ef_search != b.ef_search)
      return differ("ef_search", std::to_string(a.ef_search), std::to_string(b.ef_search));
  }
  if (a.rescore != b.rescore)
    return differ("rescore", std::to_string(a.rescore), std::to_string(b.rescore));
  return "";
}

}  // namespace ek::store
