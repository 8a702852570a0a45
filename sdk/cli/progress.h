// A one-line progress indicator on stderr (bar, count, rate, ETA), shown only when
// stderr is a terminal (and not --quiet / --json), so logs and pipes never receive
// carriage returns. Session also routes the library's progress reports (training,
// encoding, fitting: ek_context_set_progress) through it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace ek::cli {

class Progress {
 public:
  Progress(std::ostream& err, std::string task, uint64_t total, bool enabled);
  ~Progress();
  void Update(uint64_t done);
  // Clears the line (if shown).
  void Finish();

 private:
  std::ostream& err_;
  std::string task_;
  uint64_t total_;
  bool enabled_;
  bool shown_ = false;
  bool started_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// True if file descriptor 2 is a terminal.
bool StderrIsTerminal();

}  // namespace ek::cli
