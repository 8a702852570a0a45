// A whole file as bytes, for a plugin reading the file a config key names (a model, a
// hints file): one place that words the failure, with the system's reason.
//
//   const std::string text = ek_plugin::ReadWholeFile(path, "hints");
//   // throws Error{EK_ERR_IO, "cannot read hints file 'x.json': No such file or directory"}
#pragma once

#include <string>

namespace ek_plugin {

std::string ReadWholeFile(const std::string& path, const char* what);

}  // namespace ek_plugin
