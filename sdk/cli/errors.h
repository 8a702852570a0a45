// The CLI's failure kinds and the exit code each maps to (documented in --help):
//   0 ok, 1 runtime error (library status, unreadable or inconsistent input),
//   2 usage error (bad command line), 130 cancelled (SIGINT).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "embedkit/types.h"

namespace ek::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCancelled = 130;

// A plugin's message for a failed extension-table call, prefixed once with the call's
// name: plugins' guards already start their messages with it ("index: ..."), so
// adding it again would print "index: index: ...".
inline std::string PluginMessage(std::string_view call, std::string_view message) {
  const std::string prefix = std::string(call) + ": ";
  return message.substr(0, prefix.size()) == prefix ? std::string(message) : prefix + std::string(message);
}

// A bad command line. `command` ("store search") points the user at the right --help.
class UsageError : public std::runtime_error {
 public:
  UsageError(const std::string& message, std::string command = {})
      : std::runtime_error(message), command_(std::move(command)) {}
  const std::string& command() const noexcept { return command_; }

 private:
  std::string command_;
};

// A failure detected by the CLI itself (missing file, vectors/records mismatch).
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failed library call: the status and the thread's ek_last_error() message.
class LibraryError : public std::runtime_error {
 public:
  LibraryError(ek_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  ek_status status() const noexcept { return status_; }

 private:
  ek_status status_;
};

// The user pressed Ctrl-C while the CLI itself was working (between library calls).
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

}  // namespace ek::cli
