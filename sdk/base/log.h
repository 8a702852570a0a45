// Context logging: a level filter in front of the host's callback (or stderr).
#pragma once

#include <string>

#include "embedkit/types.h"

namespace ek {

class Logger {
 public:
  Logger(ek_log_level level, ek_log_fn callback, void* user_data)
      : level_(level), callback_(callback), user_data_(user_data) {}
  bool Enabled(ek_log_level level) const { return level <= level_; }
  void Log(ek_log_level level, const std::string& message) const;

 private:
  ek_log_level level_;
  ek_log_fn callback_;
  void* user_data_;
};

}  // namespace ek
