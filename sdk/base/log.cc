#include "base/log.h"

#include <cstdio>

namespace ek {

void Logger::Log(ek_log_level level, const std::string& message) const {
  if (!Enabled(level)) return;
  if (callback_) {
    callback_(user_data_, level, message.c_str());
    return;
  }
  static const char* const kNames[] = {"error", "warn", "info", "debug"};
  const char* name = (level >= 0 && level <= 3) ? kNames[level] : "log";
  std::fprintf(stderr, "embedkit [%s] %s\n", name, message.c_str());
}

}  // namespace ek
