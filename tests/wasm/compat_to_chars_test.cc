// The floating-point std::to_chars that wasm/cmake/compat/ek_wasm_compat.h supplies to
// the WASM build (emscripten 3.1.6's libc++ has only the integer overloads) writes what
// the native libstdc++ 12 writes: the expected texts below are its output. The SQL
// layer's vec_to_json prints with it, so both builds print vectors alike.
#include <charconv>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace {

template <typename T>
std::string Text(T value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  EXPECT_EQ(ec, std::errc());
  return std::string(buffer, end);
}

TEST(CompatToChars, FloatsAsLibstdcxxWritesThem) {
  const std::pair<float, const char*> cases[] = {
      {0.f, "0"}, {-0.f, "-0"}, {1.f, "1"}, {0.1f, "0.1"}, {-3e-7f, "-3e-07"},
      {1e20f, "1e+20"}, {0.001f, "0.001"}, {1e-4f, "1e-04"}, {123456.7f, "123456.7"},
      {1234567.f, "1234567"}, {240823472.f, "240823472"}, {1.40129846e-45f, "1e-45"},
      {3.40282347e+38f, "3.4028235e+38"}, {2.5f, "2.5"}, {100.f, "100"}, {1e7f, "1e+07"},
      {16777216.f, "16777216"}, {-0.5f, "-0.5"}, {1.17549435e-38f, "1.1754944e-38"}};
  for (const auto& [value, expected] : cases) EXPECT_EQ(Text(value), expected);
}

TEST(CompatToChars, DoublesAsLibstdcxxWritesThem) {
  const std::pair<double, const char*> cases[] = {
      {0.1, "0.1"}, {1e22, "1e+22"}, {1e23, "1e+23"}, {4.9406564584124654e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {0.30000000000000004, "0.30000000000000004"},
      {1.2345678901234568e17, "123456789012345680"}, {1e-5, "1e-05"}, {-2.5, "-2.5"}};
  for (const auto& [value, expected] : cases) EXPECT_EQ(Text(value), expected);
}

TEST(CompatToChars, ReportsABufferTooSmall) {
  char buffer[4];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, 0.125f);
  EXPECT_EQ(result.ec, std::errc::value_too_large);
  EXPECT_EQ(result.ptr, buffer + sizeof buffer);
}

}  // namespace
