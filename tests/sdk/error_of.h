// What the SDK's C++ tests share: running a call that must throw ek::Error.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "base/error.h"

namespace ek {

// Runs fn, expects an ek::Error with `status`; returns its message.
template <typename Fn>
std::string ErrorOf(Fn&& fn, ek_status status) {
  try {
    fn();
  } catch (const ek::Error& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no ek::Error thrown (expected status " << status << ")";
  return {};
}

}  // namespace ek
