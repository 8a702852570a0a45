// Where a plugin finds its data files (the GloVe table scripts/setup.sh converts) at run
// time. No build-machine path is compiled in: a binary built here and installed elsewhere
// must not read, or depend on, this checkout.
//
// A data file named by the caller's config wins; otherwise FindDataFile tries, in order:
//   1. $EMBEDKIT_DATA_PATH/<relative>   (a data folder, e.g. the checkout's .deps)
//   2. <dir>/../share/embedkit/<relative> for the folder <dir> holding the plugin's code
//      (libembedkit.so for a bundled plugin, the module otherwise) and up to two of its
//      parents: <prefix>/lib/libembedkit.so.1 -> <prefix>/share/embedkit (installed), and
//      build/sdk/capi/libembedkit.so.1 -> build/share/embedkit, which the build links to
//      the checkout's .deps (plugins/table_match/CMakeLists.txt).
// Header-only so that each plugin's copy asks about its own object (dladdr of `anchor`).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#if !defined(__EMSCRIPTEN__)
#include <dlfcn.h>
#endif

namespace ek_plugin {

// The GloVe 6B 100-d table, relative to a data folder.
inline constexpr std::string_view kGloveDataFile = "glove/glove-6b-100d.ekwv";

// The data folders in the order FindDataFile tries them. `anchor`: the address of a
// function of the calling plugin.
inline std::vector<std::string> DataFolders(const void* anchor) {
  std::vector<std::string> folders;
  if (const char* env = std::getenv("EMBEDKIT_DATA_PATH"); env && *env) folders.emplace_back(env);
#if !defined(__EMSCRIPTEN__)
  Dl_info info{};
  if (dladdr(anchor, &info) != 0 && info.dli_fname != nullptr) {
    std::error_code ec;  // the object's real folder: a loader path may hold "..", links
    std::filesystem::path dir = std::filesystem::weakly_canonical(info.dli_fname, ec).parent_path();
    for (int up = 0; up < 3 && dir.has_relative_path(); ++up, dir = dir.parent_path())
      folders.push_back((dir.parent_path() / "share" / "embedkit").string());
  }
#else
  (void)anchor;
#endif
  return folders;
}

// The first existing <folder>/<relative> over DataFolders(anchor), or "" when none
// exists; `looked` (optional) receives the paths tried, for the caller's message.
inline std::string FindDataFile(const void* anchor, std::string_view relative,
                                std::string* looked = nullptr) {
  for (const std::string& folder : DataFolders(anchor)) {
    const std::string path = folder + "/" + std::string(relative);
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
    if (looked) *looked += (looked->empty() ? "" : ", ") + path;
  }
  return {};
}

}  // namespace ek_plugin
