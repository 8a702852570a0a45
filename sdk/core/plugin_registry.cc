#include "core/plugin_registry.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace ek {

namespace {

constexpr size_t kMinDescriptorSize = offsetof(ek_plugin_descriptor, get_extension) +
                                      sizeof(ek_plugin_descriptor::get_extension);

std::string AbiString(uint32_t v) {
  return std::to_string(v >> 16) + "." + std::to_string(v & 0xFFFFu);
}

bool IsValidId(const char* id) {
  if (!id || !*id) return false;
  size_t n = 0;
  for (const char* p = id; *p; ++p, ++n) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-')) return false;
    if (n > 128) return false;
  }
  return true;
}

struct ModuleCloser {
  void* module;
  bool armed = true;
  ~ModuleCloser() {
    if (armed && module) dlclose(module);
  }
};

}  // namespace

void ValidateDescriptor(const ek_plugin_descriptor* d, const std::string& origin) {
  if (!d) Fail(EK_ERR_NOT_A_PLUGIN, origin + ": ek_plugin_entry() returned NULL");
  if (d->struct_size < kMinDescriptorSize) {
    Fail(EK_ERR_ABI_MISMATCH, origin + ": descriptor struct_size " + std::to_string(d->struct_size) +
                                  " is smaller than the " + std::to_string(kMinDescriptorSize) +
                                  " bytes of ABI " + AbiString(EK_ABI_VERSION));
  }
  if ((d->abi_version >> 16) != EK_ABI_VERSION_MAJOR) {
    Fail(EK_ERR_ABI_MISMATCH, origin + ": plugin '" + std::string(d->id ? d->id : "?") +
                                  "' was built for ABI " + AbiString(d->abi_version) +
                                  ", this library implements ABI " + AbiString(EK_ABI_VERSION) +
                                  " (major versions must match)");
  }
  if (!IsValidId(d->id)) {
    Fail(EK_ERR_NOT_A_PLUGIN, origin + ": descriptor id must be 1..128 characters of [A-Za-z0-9._-]");
  }
  if (!d->create || !d->destroy || !d->get_extension) {
    Fail(EK_ERR_NOT_A_PLUGIN, origin + ": plugin '" + std::string(d->id) +
                                  "' lacks create, destroy or get_extension");
  }
}

PluginRegistry::~PluginRegistry() {
  for (auto& p : plugins_) {
    if (p->module) dlclose(p->module);
  }
}

const RegisteredPlugin& PluginRegistry::Register(const ek_plugin_descriptor* d,
                                                 const std::string& path, void* module) {
  const std::string origin = path.empty() ? "built-in plugin" : path;
  ValidateDescriptor(d, origin);
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& p : plugins_) {
    if (std::string(p->descriptor->id) == d->id) {
      Fail(EK_ERR_ALREADY_EXISTS,
           origin + ": plugin id '" + d->id + "' is already registered" +
               (p->path.empty() ? " (built in)" : " (from " + p->path + ")"));
    }
  }
  auto entry = std::make_unique<RegisteredPlugin>();
  entry->descriptor = d;
  entry->path = path;
  entry->module = module;
  if (d->extensions) {
    for (const char* const* e = d->extensions; *e; ++e) {
      entry->extensions.emplace_back(*e);
      if (entry->extensions.size() > 256) {
        Fail(EK_ERR_NOT_A_PLUGIN, origin + ": extension list is not NULL-terminated (over 256 entries)");
      }
    }
  }
  for (auto& e : entry->extensions) entry->extension_ptrs.push_back(e.c_str());
  entry->extension_ptrs.push_back(nullptr);
  plugins_.push_back(std::move(entry));
  log_.Log(EK_LOG_DEBUG, "registered plugin '" + std::string(d->id) + "' from " + origin);
  return *plugins_.back();
}

const RegisteredPlugin& PluginRegistry::LoadModule(const std::string& path) {
  struct stat st {};
  if (path.empty()) Fail(EK_ERR_INVALID_ARGUMENT, "path is empty");
  if (::stat(path.c_str(), &st) != 0) Fail(EK_ERR_IO, "no such file: '" + path + "'");
  if (!S_ISREG(st.st_mode)) Fail(EK_ERR_IO, "'" + path + "' is not a regular file");
  // A path without '/' would make dlopen search the library path: anchor it.
  std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  dlerror();
  void* module = dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!module) {
    const char* why = dlerror();
    Fail(EK_ERR_NOT_A_PLUGIN, "'" + path + "' is not a loadable module: " + (why ? why : "dlopen failed"));
  }
  ModuleCloser closer{module};
  dlerror();
  void* symbol = dlsym(module, EK_PLUGIN_ENTRY_SYMBOL);
  if (!symbol) {
    Fail(EK_ERR_NOT_A_PLUGIN, "'" + path + "' does not export " EK_PLUGIN_ENTRY_SYMBOL
                              " (not an embedkit plugin)");
  }
  auto entry = reinterpret_cast<ek_plugin_entry_fn>(symbol);
  const ek_plugin_descriptor* descriptor = entry();
  const RegisteredPlugin& registered = Register(descriptor, path, module);
  closer.armed = false;
  return registered;
}

size_t PluginRegistry::LoadFolders(const std::string& folders) {
  size_t loaded = 0;
  size_t start = 0;
  while (start <= folders.size()) {
    size_t end = folders.find(':', start);
    if (end == std::string::npos) end = folders.size();
    std::string folder = folders.substr(start, end - start);
    start = end + 1;
    if (folder.empty()) continue;
    std::error_code ec;
    std::filesystem::directory_iterator it(folder, ec);
    if (ec) {
      log_.Log(EK_LOG_WARN, "plugin folder '" + folder + "' cannot be read: " + ec.message());
      continue;
    }
    std::vector<std::string> files;
    for (const auto& f : it) {
      if (f.path().extension() == ".so") files.push_back(f.path().string());
    }
    std::sort(files.begin(), files.end());  // deterministic order
    for (const auto& file : files) {
      try {
        LoadModule(file);
        ++loaded;
      } catch (const Error& e) {
        log_.Log(EK_LOG_WARN, std::string("skipping ") + e.what());
      }
    }
  }
  return loaded;
}

size_t PluginRegistry::Count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return plugins_.size();
}

const RegisteredPlugin* PluginRegistry::At(size_t index) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index < plugins_.size() ? plugins_[index].get() : nullptr;
}

const RegisteredPlugin* PluginRegistry::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& p : plugins_) {
    if (id == p->descriptor->id) return p.get();
  }
  return nullptr;
}

}  // namespace ek
