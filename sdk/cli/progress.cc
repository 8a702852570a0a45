#include "progress.h"

#include <unistd.h>

namespace ek::cli {

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::ostream& err, std::string task, uint64_t total, bool enabled)
    : err_(err), task_(std::move(task)), total_(total), enabled_(enabled) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (shown_ && done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  err_ << '\r' << task_ << ": " << done;
  if (total_ > 0) err_ << " / " << total_ << " (" << (done * 100 / total_) << "%)";
  err_ << "\x1b[K" << std::flush;
}

void Progress::Finish() {
  if (shown_) err_ << "\r\x1b[K" << std::flush;
  shown_ = false;
}

}  // namespace ek::cli
