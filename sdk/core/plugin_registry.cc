#include "core/plugin_registry.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/error.h"

namespace ek {

namespace {

constexpr size_t kMinDescriptorSize = offsetof(ek_plugin_descriptor, get_extension) +
                                      sizeof(ek_plugin_descriptor::get_extension);

std::string AbiString(uint32_t v) {
  return std::to_string(v >> 16) + "." + std::to_string(v & 0xFFFFu);
}

// ELF e_machine values and their names, for modules built for another machine.
std::string MachineName(uint16_t machine) {
  switch (machine) {
    case 3: return "x86 (32-bit)";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 22: return "s390x";
    case 40: return "ARM (32-bit)";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 243: return "RISC-V";
    case 258: return "LoongArch";
    default: return "ELF machine " + std::to_string(machine);
  }
}

// Class (32/64-bit) and e_machine from an ELF header; false if `path` is not ELF.
bool ReadElfMachine(const std::string& path, uint8_t* elf_class, uint16_t* machine) {
  unsigned char h[20] = {};
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  const size_t n = std::fread(h, 1, sizeof h, f);
  std::fclose(f);
  if (n < sizeof h || std::memcmp(h, "\x7f" "ELF", 4) != 0) return false;
  *elf_class = h[4];
  // e_machine at offset 18, in the file's byte order (h[5]: 1 = little, 2 = big).
  *machine = h[5] == 2 ? static_cast<uint16_t>(h[18] << 8 | h[19]) : static_cast<uint16_t>(h[19] << 8 | h[18]);
  return true;
}

// Why dlopen refused `path`, when the reason is that the module was built for another
// machine: glibc then reports only "No such file or directory". Empty otherwise.
std::string ForeignMachineReason(const std::string& path) {
  uint8_t module_class = 0, self_class = 0;
  uint16_t module_machine = 0, self_machine = 0;
  if (!ReadElfMachine(path, &module_class, &module_machine)) return "";
  // This process's own executable says which machine and class we are.
  if (!ReadElfMachine("/proc/self/exe", &self_class, &self_machine)) return "";
  if (module_machine == self_machine && module_class == self_class) return "";
  auto describe = [](uint8_t cls, uint16_t machine) {
    return MachineName(machine) + (cls == 1 ? ", 32-bit" : cls == 2 ? ", 64-bit" : "");
  };
  return "it is built for " + describe(module_class, module_machine) + ", this process runs on " +
         describe(self_class, self_machine) + "; rebuild the plugin for this machine";
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
    const std::string foreign = ForeignMachineReason(open_path);
    Fail(EK_ERR_NOT_A_PLUGIN, "'" + path + "' is not a loadable module: " +
                                  (!foreign.empty() ? foreign : why ? std::string(why) : "dlopen failed"));
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
