#include "config_reader.h"

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <vector>

#include "error.h"
#include "host_failure.h"

namespace ek_plugin {
namespace {

// A number for a message: "0.05", "1e+30", "24", never "24.000000".
std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", v);
  return text;
}

std::string Reading(const char* key) { return std::string("reading config \"") + key + "\""; }

[[noreturn]] void OutOfRange(const char* key, const std::string& value, const std::string& lo,
                             const std::string& hi) {
  Fail(EK_ERR_INVALID_ARGUMENT,
       std::string("config \"") + key + "\" is " + value + "; use " + lo + ".." + hi);
}

}  // namespace

int64_t ConfigReader::Int(const char* key, int64_t fallback, int64_t lo, int64_t hi) const {
  int64_t v = fallback;
  CheckHost(host_, host_->config_int(host_, json_, length_, key, fallback, &v), Reading(key));
  if (v < lo || v > hi) OutOfRange(key, std::to_string(v), std::to_string(lo), std::to_string(hi));
  return v;
}

double ConfigReader::Double(const char* key, double fallback, double lo, double hi) const {
  double v = fallback;
  CheckHost(host_, host_->config_double(host_, json_, length_, key, fallback, &v), Reading(key));
  if (std::isnan(v) && std::isnan(fallback)) return v;
  if (!(v >= lo && v <= hi)) OutOfRange(key, Number(v), Number(lo), Number(hi));
  return v;
}

std::string ConfigReader::String(const char* key, const std::string& fallback) const {
  // No value is longer than the config text that holds it (nor than the fallback).
  const size_t bound = (length_ > fallback.size() ? length_ : fallback.size()) + 1;
  std::vector<char> buffer(bound < 256 ? bound : 256);
  ek_status s = host_->config_string(host_, json_, length_, key, fallback.c_str(), buffer.data(),
                                     buffer.size());
  if (s == EK_ERR_BUFFER_TOO_SMALL) {
    buffer.resize(bound);
    s = host_->config_string(host_, json_, length_, key, fallback.c_str(), buffer.data(),
                             buffer.size());
  }
  CheckHost(host_, s, Reading(key));
  return buffer.data();
}

bool ConfigReader::Bool(const char* key, bool fallback) const {
  if (host_->struct_size < offsetof(ek_host, config_bool) + sizeof host_->config_bool || !host_->config_bool)
    Fail(EK_ERR_ABI_MISMATCH, std::string("config \"") + key +
                                  "\" is a boolean and this host lends no config_bool: use a newer libembedkit");
  uint32_t v = fallback ? 1 : 0;
  CheckHost(host_, host_->config_bool(host_, json_, length_, key, v, &v), Reading(key));
  return v != 0;
}

}  // namespace ek_plugin
