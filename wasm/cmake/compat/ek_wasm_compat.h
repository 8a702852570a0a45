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

#endif
