// The external model command of the CLI's LLM hooks (see match_llm_command.h).
#include "match_llm_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "errors.h"

extern char** environ;

namespace ek::cli {
namespace {

// The prompt goes through a temporary file rather than a pipe: the command may answer
// before it has read all of its input, and nothing then waits on a full pipe.
class PromptFile {
 public:
  explicit PromptFile(const std::string& prompt) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/embedkit-prompt-XXXXXX";
    const int fd = mkstemp(path_.data());
    if (fd < 0) throw RuntimeError("cannot create a prompt file in " + path_ + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < prompt.size()) {
      const ssize_t n = write(fd, prompt.data() + done, prompt.size() - done);
      if (n <= 0) {
        close(fd);
        throw RuntimeError("cannot write the prompt file " + path_);
      }
      done += static_cast<size_t>(n);
    }
    close(fd);
  }
  ~PromptFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> EnvironmentWith(const std::string& entry) {
  std::vector<std::string> env{entry};
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "EK_LLM_KIND=", 12) != 0) env.emplace_back(*e);
  }
  return env;
}

}  // namespace

std::string RunPromptCommand(const std::string& command, const std::string& kind, const std::string& prompt) {
  const PromptFile file(prompt);
  int out[2];
  if (pipe(out) != 0) throw RuntimeError(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, file.path().c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  std::vector<std::string> env = EnvironmentWith("EK_LLM_KIND=" + kind);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    throw RuntimeError("cannot run --llm-command: " + std::string(std::strerror(spawned)));
  }
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(status));
    throw RuntimeError("--llm-command '" + command + "' " + how + " on a " + kind + " prompt");
  }
  return answer;
}

}  // namespace ek::cli
