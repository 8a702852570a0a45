#include "read_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "error.h"

namespace ek_plugin {

std::string ReadWholeFile(const std::string& path, const char* what) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  const int opened = errno;
  if (!in) {
    Fail(EK_ERR_IO, std::string("cannot read ") + what + " file '" + path + "'" +
                        (opened ? std::string(": ") + std::strerror(opened) : std::string()));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) Fail(EK_ERR_IO, std::string("cannot read ") + what + " file '" + path + "': read failed");
  return bytes.str();
}

}  // namespace ek_plugin
