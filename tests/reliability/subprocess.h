// Small POSIX helpers for the reliability tests: run a program with its stdout on a
// pipe, read what it printed, kill it, and collect its exit status and peak memory.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace ek::test {

struct Child {
  pid_t pid = -1;
  int out_fd = -1;  // the child's stdout (and stderr when merged)
};

// Starts argv[0] with stdout on a pipe (stderr too when merge_stderr).
inline Child Spawn(const std::vector<std::string>& argv, bool merge_stderr = false) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    dup2(fds[1], 1);
    if (merge_stderr) dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads what is available now (non-blocking) or, with block, everything up to EOF.
inline std::string ReadOut(const Child& c, bool block) {
  const int flags = fcntl(c.out_fd, F_GETFL);
  fcntl(c.out_fd, F_SETFL, block ? (flags & ~O_NONBLOCK) : (flags | O_NONBLOCK));
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(c.out_fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EOF, or EAGAIN when not blocking
  }
  return out;
}

// Reads until the child has printed one whole line, reached EOF or `limit` passed;
// returns everything read (a writer's first acknowledgement).
inline std::string ReadFirstLine(const Child& c, std::chrono::milliseconds limit) {
  std::string out;
  const auto until = std::chrono::steady_clock::now() + limit;
  while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
    struct pollfd p {c.out_fd, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      const std::string more = ReadOut(c, false);
      if (more.empty()) break;  // EOF: the child ended on its own
      out += more;
    }
  }
  return out;
}

struct Exit {
  int status = 0;          // as from waitpid
  long max_rss_kib = 0;    // peak resident memory of the child
  bool exited() const { return WIFEXITED(status); }
  int code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
  bool signalled() const { return WIFSIGNALED(status); }
  int signal() const { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }
};

inline Exit Wait(Child& c) {
  Exit e;
  struct rusage ru {};
  while (wait4(c.pid, &e.status, 0, &ru) < 0 && errno == EINTR) {
  }
  e.max_rss_kib = ru.ru_maxrss;
  if (c.out_fd >= 0) close(c.out_fd);
  c.out_fd = -1;
  return e;
}

// Kills the child with SIGKILL `delay` after its first printed line (after_first_line;
// waiting at most `first_line_limit` for it) or after its start, and collects it:
// returns everything it printed, *exit its status.
inline std::string SigkillAfter(Child& c, bool after_first_line, std::chrono::milliseconds delay,
                                std::chrono::milliseconds first_line_limit, Exit* exit) {
  std::string out;
  if (after_first_line) out = ReadFirstLine(c, first_line_limit);
  std::this_thread::sleep_for(delay);
  kill(c.pid, SIGKILL);
  out += ReadOut(c, true);
  *exit = Wait(c);
  return out;
}

// Runs argv to completion; returns its output (stdout + stderr) and exit.
inline Exit Run(const std::vector<std::string>& argv, std::string* output) {
  Child c = Spawn(argv, true);
  std::string out = ReadOut(c, true);
  if (output) *output = std::move(out);
  return Wait(c);
}

}  // namespace ek::test
