// The one config reader of the bundled plugins: typed, range-checked lookups in the
// JSON object a plugin's create() receives, over ek_host::config_int/config_double/
// config_string/config_bool (the host parses; a plugin needs no JSON parser for its
// config).
//
//   ek_plugin::ConfigReader config(host, json, length);
//   c.dim = config.Int("dim", 1024, 2, 65536);        // 'config "dim" is 1; use 2..65536'
//   c.lr = config.Double("lr", 0.05, 0, 10);          // 'config "lr" is -1; use 0..10'
//   c.optimizer = config.String("optimizer", "adam");
//   c.lowercase = config.Bool("lowercase", true);
//
// A missing key or a JSON null gives the fallback; a value of the wrong type or out
// of range throws ek_plugin::Error (EK_ERR_INVALID_ARGUMENT) with the key, the value
// and the range, integers printed as integers. The host's config API has no key
// listing (ABI 1.1): a plugin that refuses unknown keys lists them itself.
#pragma once

#include <embedkit/plugin.h>

#include <cstdint>
#include <string>

namespace ek_plugin {

class ConfigReader {
 public:
  // `json` may be NULL or empty ("{}"). The reader keeps the pointer: the text must
  // outlive it (it is create()'s argument, so it does).
  ConfigReader(const ek_host* host, const char* json, size_t length)
      : host_(host), json_(json), length_(length) {}

  // An integer (1e3 counts) in [lo, hi].
  int64_t Int(const char* key, int64_t fallback, int64_t lo, int64_t hi) const;
  // A number in [lo, hi]. The fallback is returned unchecked, so a NaN fallback tells
  // "absent or null" apart from every value a config can hold.
  double Double(const char* key, double fallback, double lo, double hi) const;
  // A string of any length.
  std::string String(const char* key, const std::string& fallback) const;
  // true or false. A host without config_bool (built before it was added) is refused
  // with EK_ERR_ABI_MISMATCH.
  bool Bool(const char* key, bool fallback) const;

 private:
  const ek_host* host_;
  const char* json_;
  size_t length_;
};

}  // namespace ek_plugin
