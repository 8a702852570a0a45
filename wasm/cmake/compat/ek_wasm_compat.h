// Force-included (-include) into every C++ file of the WASM build.
//
// Debian's emscripten 3.1.6 ships a libc++ snapshot that lacks a few C++20 library
// facilities the native toolchain (g++ 12 / libstdc++) has. Clang 14 provides the
// compiler builtins behind them, so the missing pieces are filled in here, for the
// WASM build only, instead of asking every SDK file to avoid standard C++20.
#pragma once
#if defined(__cplusplus) && defined(__EMSCRIPTEN__)
#include <version>

#if !defined(__cpp_lib_bit_cast)
#include <type_traits>
namespace std {
template <class To, class From>
  requires(sizeof(To) == sizeof(From) && is_trivially_copyable_v<To> &&
           is_trivially_copyable_v<From>)
constexpr To bit_cast(const From& from) noexcept {
  return __builtin_bit_cast(To, from);
}
}  // namespace std
#endif

// Floating-point std::to_chars (the shortest form that reads back as the same value,
// as the plain overload promises): libc++ 13 declares only the integer overloads.
// The shortest digits are those of the smallest %.*e precision that reads back (that
// rounding is the nearest decimal of that length, as to_chars picks); then, as the
// standard says, fixed or scientific notation, whichever is shorter, fixed on a tie
// ("1e+20", "0.001", "1e-04", "-0"), and of representations of one length the nearest
// (a large integer prints its exact digits: "240823472", not "240823470").
#if !defined(__cpp_lib_to_chars)
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
namespace ek_wasm_compat {
inline std::to_chars_result ShortestToChars(char* first, char* last, double value,
                                            bool as_float) {
  std::string out;
  if (std::signbit(value)) out = "-";
  if (std::isnan(value) || std::isinf(value)) {
    out += std::isnan(value) ? "nan" : "inf";
  } else {
    char sci[48];
    for (int precision = 0; precision <= 17; ++precision) {
      std::snprintf(sci, sizeof sci, "%.*e", precision, std::fabs(value));
      if (as_float ? std::strtof(sci, nullptr) == std::fabs(float(value))
                   : std::strtod(sci, nullptr) == std::fabs(value))
        break;
    }
    const char* e = std::strchr(sci, 'e');
    std::string digits(sci, static_cast<size_t>(e - sci));
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    const int exponent = std::atoi(e + 1);
    const int n = static_cast<int>(digits.size());
    std::string fixed;
    if (exponent < 0) {
      fixed = "0." + std::string(-exponent - 1, '0') + digits;
    } else if (n <= exponent + 1) {
      // An integer: of the same length, its exact digits are nearer than zero padding.
      char exact[320];
      std::snprintf(exact, sizeof exact, "%.0f", std::fabs(value));
      fixed = exact;
    } else {
      fixed = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
    char exp_text[16];
    std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+',
                  exponent < 0 ? -exponent : exponent);
    std::string scientific = digits.substr(0, 1) + (n > 1 ? "." + digits.substr(1) : "") + exp_text;
    out += fixed.size() <= scientific.size() ? fixed : scientific;
  }
  if (out.size() > static_cast<size_t>(last - first)) return {last, std::errc::value_too_large};
  std::memcpy(first, out.data(), out.size());
  return {first + out.size(), std::errc()};
}
}  // namespace ek_wasm_compat
namespace std {
inline to_chars_result to_chars(char* first, char* last, float value) {
  return ek_wasm_compat::ShortestToChars(first, last, value, true);
}
inline to_chars_result to_chars(char* first, char* last, double value) {
  return ek_wasm_compat::ShortestToChars(first, last, value, false);
}
}  // namespace std
#endif

#endif
