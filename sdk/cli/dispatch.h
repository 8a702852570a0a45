// Finds the command named by the leading words of the command line, handles
// --help at every level, runs the command and turns failures into the documented
// exit codes and stderr messages.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace ek::cli {

// `args` are the words after the program name. Returns the process exit code.
int Dispatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace ek::cli
