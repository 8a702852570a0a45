// libFuzzer target: configuration JSON (ek::json::Config, the code behind
// ek_instance_create's config_json and ek_host::config_int/double/string).
// Invariants: no crash, no leak, no exception other than ek::Error; a rejected text
// names a byte offset inside it (or the size limit); the validating entry points
// agree with each other.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/error.h"
#include "json/json.h"

namespace {

void Check(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s: %s\n", what, detail.c_str());
  std::abort();
}

// "... at byte N" with N <= size, or the size-limit message.
void CheckMessage(const std::string& m, size_t size) {
  if (m.find("bytes of JSON; the limit is") != std::string::npos) return;
  const size_t at = m.rfind(" at byte ");
  Check(at != std::string::npos, "no byte offset", m);
  const unsigned long long off = std::strtoull(m.c_str() + at + 9, nullptr, 10);
  Check(off <= size, "offset beyond the input", m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string problem = ek::json::ObjectProblem(text);
  if (!problem.empty()) CheckMessage(problem, size);
  bool constructed = false;
  try {
    ek::json::Config config(text, "config_json");
    constructed = true;
    // Every key it lists, through every getter: wrong types throw ek::Error only.
    for (const std::string& key : config.Keys()) {
      Check(config.Has(key), "Keys() lists a key Has() denies", key);
      try { (void)config.GetString(key, ""); } catch (const ek::Error&) {}
      try { (void)config.GetInt(key, 0); } catch (const ek::Error&) {}
      try { (void)config.GetDouble(key, 0); } catch (const ek::Error&) {}
      try { (void)config.GetBool(key, false); } catch (const ek::Error&) {}
    }
    (void)config.GetInt("dim", 7);
    (void)config.Has("");
  } catch (const ek::Error& e) {
    if (!constructed) {
      Check(e.status() == EK_ERR_PARSE || e.status() == EK_ERR_LIMIT, "status", e.what());
      CheckMessage(e.what(), size);
    } else {
      Check(e.status() == EK_ERR_INVALID_ARGUMENT, "getter status", e.what());
    }
  }
  Check(constructed == problem.empty(), "Config and ObjectProblem disagree", problem);
  try {
    ek::json::ValidateObject(text, "x");
    Check(problem.empty(), "ValidateObject accepts what ObjectProblem rejects", problem);
  } catch (const ek::Error& e) {
    Check(!problem.empty(), "ValidateObject rejects what ObjectProblem accepts", e.what());
  }
  return 0;
}
