// embedkit: the command-line host. It links libembedkit and uses only the public
// C API (abi/include/embedkit), like any other host application would.
#include <iostream>
#include <string>
#include <vector>

#include "dispatch.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  return ek::cli::Dispatch(args, std::cout, std::cerr);
}
