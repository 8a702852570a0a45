// libFuzzer target: JSON documents through the vsa_json encoder (ek_encode) and its
// probe extension. The input is one document; its first byte also picks the binding
// and mode. Invariants: no crash or sanitizer report; a document is either encoded
// into a finite unit-length vector (or zero) or refused with EK_ERR_PARSE /
// EK_ERR_LIMIT and a message; probing any path of an encoded vector never fails
// with anything but a documented status.
#include <embedkit/embedkit.h>
#include <embedkit/ext/vsa_json.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_plugin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Small dims: the code paths are the same at any D, and a hostile path may apply up
  // to 65,536 role matrices, which must stay within the fuzzer's per-input timeout.
  static const char* configs[] = {
      R"({"dim":32})", R"({"dim":16,"binding":"dense","matrix_cache_mb":8})",
      R"({"dim":32,"mode":"strict"})", R"({"dim":32,"arrays":"bag","ngram":3})"};
  const std::string config = configs[data[0] % 4];
  ek_instance* inst = fuzz::Instance("embedkit.vsa_json", config);
  fuzz::Invariant(inst != nullptr, "vsa_json instance", config);
  size_t dim = 0;
  fuzz::Invariant(ek_encoder_dim(inst, &dim) == EK_OK, "encoder_dim");
  const std::string doc(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<float> v(dim);
  ek_string_view item{doc.data(), doc.size()};
  const ek_status s = ek_encode(inst, &item, 1, v.data(), v.size(), nullptr);
  if (s != EK_OK) {
    fuzz::Invariant(s == EK_ERR_PARSE || s == EK_ERR_LIMIT || s == EK_ERR_INVALID_ARGUMENT,
                    "unexpected encode status", ek_last_error());
    fuzz::Invariant(*ek_last_error() != '\0', "encode failed without a message");
  } else {
    double n = 0;
    for (float x : v) {
      fuzz::Invariant(std::isfinite(x), "non-finite component");
      n += double(x) * x;
    }
    fuzz::Invariant(n == 0 || std::fabs(std::sqrt(n) - 1) < 1e-3, "not unit length", std::to_string(n));
    // Probe with a path made of the document's own bytes (hostile paths included).
    const auto* p = fuzz::Extension<ek_vsa_probe_ext>(inst, EK_EXT_VSA_PROBE);
    void* self = ek_instance_plugin_data(inst);
    const std::string path = doc.substr(0, std::min<size_t>(doc.size(), 24));
    ek_string_view cands[3] = {{"1", 1}, {"\"a\"", 3}, {doc.data(), std::min<size_t>(doc.size(), 64)}};
    uint32_t idx[3];
    float scores[3];
    size_t got = 0;
    if (fuzz::Ok(p, self, p->probe(self, v.data(), path.c_str(), cands, 3, 3, idx, scores, &got), "probe"))
      fuzz::Invariant(got <= 3, "probe wrote more than k");
    double est = 0;
    float conf = 0;
    fuzz::Ok(p, self, p->decode_number(self, v.data(), path.c_str(), &est, &conf), "decode_number");
  }
  ek_instance_free(inst);
  return 0;
}
