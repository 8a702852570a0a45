// Shared by the plugin fuzz targets: one context with the bundled plugins (one
// thread, so runs are reproducible), an instance per input, and the invariant that a
// failed extension call returns a documented status with a non-empty message.
#ifndef EK_TESTS_FUZZ_FUZZ_PLUGIN_H
#define EK_TESTS_FUZZ_FUZZ_PLUGIN_H

#include <embedkit/embedkit.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace fuzz {

inline void Invariant(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "invariant failed: %s %s\n", what, detail.c_str());
  std::abort();
}

inline ek_context* Context() {
  static ek_context* ctx = [] {
    ek_context_options o;
    ek_context_options_init(&o);
    o.num_threads = 1;
    o.plugin_path = "";
    o.log_level = EK_LOG_ERROR;
    ek_context* c = nullptr;
    Invariant(ek_context_create(&o, &c) == EK_OK, "context");
    return c;
  }();
  return ctx;
}

// An instance of `plugin` with `config`, or nullptr (a rejected config must say why).
inline ek_instance* Instance(const char* plugin, const std::string& config) {
  ek_instance* inst = nullptr;
  const ek_status s = ek_instance_create(Context(), plugin, config.c_str(), &inst);
  if (s != EK_OK) {
    Invariant(*ek_last_error() != '\0', "instance_create failed without a message");
    return nullptr;
  }
  return inst;
}

template <typename Ext>
const Ext* Extension(ek_instance* inst, const char* id) {
  const void* table = nullptr;
  Invariant(ek_instance_get_extension(inst, id, &table) == EK_OK && table, "extension", id);
  return static_cast<const Ext*>(table);
}

// A failed call of an extension: status in the documented range, message non-empty.
template <typename Ext>
bool Ok(const Ext* ext, void* self, ek_status s, const char* what) {
  if (s == EK_OK) return true;
  const std::string where = std::string(what) + " (status " + std::to_string(s) + ")";
  Invariant(s > 0 && s <= EK_ERR_PLUGIN, "status out of range", where);
  const char* m = ext->last_error(self);
  Invariant(m && *m, "failure without a message", where);
  return false;
}

}  // namespace fuzz

#endif
