// Registered plugins of a context: validated descriptors, from the static table of
// bundled plugins or from modules loaded with dlopen (kept open for the context's
// lifetime, closed when the registry is destroyed).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/log.h"
#include "embedkit/plugin.h"

namespace ek {

struct RegisteredPlugin {
  const ek_plugin_descriptor* descriptor = nullptr;
  std::string path;          // "" when built in
  void* module = nullptr;    // dlopen handle, nullptr when built in
  std::vector<std::string> extensions;
  std::vector<const char*> extension_ptrs;  // NULL-terminated view of `extensions`
};

class PluginRegistry {
 public:
  explicit PluginRegistry(const Logger& log) : log_(log) {}
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Validates and registers a descriptor. `origin` names it in messages (a path or
  // "built-in"). Throws ek::Error on a bad descriptor or a duplicate id.
  const RegisteredPlugin& Register(const ek_plugin_descriptor* descriptor, const std::string& path,
                                   void* module);
  // dlopen + ek_plugin_entry + Register; every failure closes the module again.
  const RegisteredPlugin& LoadModule(const std::string& path);
  // Loads every *.so in the ':'-separated folders; returns the number registered.
  size_t LoadFolders(const std::string& folders);

  size_t Count() const;
  const RegisteredPlugin* At(size_t index) const;
  const RegisteredPlugin* Find(const std::string& id) const;

 private:
  const Logger& log_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<RegisteredPlugin>> plugins_;  // stable addresses
};

// Checks a descriptor against this ABI; throws ek::Error with the reason.
void ValidateDescriptor(const ek_plugin_descriptor* descriptor, const std::string& origin);

// Descriptors of the plugins compiled into the library (generated table).
size_t BundledPluginCount();
const ek_plugin_descriptor* BundledPlugin(size_t index);

}  // namespace ek
