#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace ek::cli {

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::ostream& err, std::string task, uint64_t total, bool enabled)
    : err_(err), task_(std::move(task)), total_(total), enabled_(enabled) {}

Progress::~Progress() { Finish(); }

namespace {

// "12.3k" style for counts and rates.
std::string Short(double v) {
  char buf[32];
  if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.1fG", v / 1e9);
  else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.1fM", v / 1e6);
  else if (v >= 1e4) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string Duration(double seconds) {
  char buf[32];
  if (seconds >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", int(seconds / 3600), int(seconds / 60) % 60);
  else if (seconds >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds / 60), int(seconds) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  return buf;
}

}  // namespace

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!started_) {
    start_ = now;
    started_ = true;
  }
  if (shown_ && done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0.2 ? double(done) / elapsed : 0;
  err_ << '\r' << task_ << ": ";
  if (total_ > 0) {
    const uint64_t shown_done = done < total_ ? done : total_;
    const int width = 24, filled = int(shown_done * width / total_);
    err_ << '[' << std::string(size_t(filled), '#') << std::string(size_t(width - filled), '.') << "] "
         << (shown_done * 100 / total_) << "% " << Short(double(done)) << '/' << Short(double(total_));
    if (rate > 0 && done < total_) err_ << ", ETA " << Duration(double(total_ - done) / rate);
  } else {
    err_ << Short(double(done));
  }
  if (rate > 0) err_ << ", " << Short(rate) << "/s";
  err_ << "\x1b[K" << std::flush;
}

void Progress::Finish() {
  if (shown_) err_ << "\r\x1b[K" << std::flush;
  shown_ = false;
}

}  // namespace ek::cli
