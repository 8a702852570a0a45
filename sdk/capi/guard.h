// Every exported function runs its body inside Guard(): ek::Error becomes its
// status, std::bad_alloc EK_ERR_OUT_OF_MEMORY, anything else EK_ERR_INTERNAL; the
// message "<function>: <reason>" goes to the thread's ek_last_error(). Nothing
// escapes the C boundary.
#pragma once

#include <cstring>
#include <new>
#include <string>

#include "base/error.h"
#include "base/last_error.h"

namespace ek::capi {

template <class Body>
ek_status Guard(const char* function, Body&& body) noexcept {
  try {
    body();
    return EK_OK;
  } catch (const Error& e) {
    SetLastError(e.status(), std::string(function) + ": " + e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    SetLastError(EK_ERR_OUT_OF_MEMORY, std::string(function) + ": out of memory");
    return EK_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    SetLastError(EK_ERR_INTERNAL, std::string(function) + ": internal error: " + e.what());
    return EK_ERR_INTERNAL;
  } catch (...) {
    SetLastError(EK_ERR_INTERNAL, std::string(function) + ": internal error (unknown exception)");
    return EK_ERR_INTERNAL;
  }
}

// Throws EK_ERR_INVALID_ARGUMENT "argument '<name>' is NULL".
inline void RequireNotNull(const void* p, const char* name) {
  if (!p) Fail(EK_ERR_INVALID_ARGUMENT, std::string("argument '") + name + "' is NULL");
}

// Reads a caller's options struct that may be older (smaller) or newer (larger)
// than ours: only the bytes both know are used. NULL gives the defaults.
template <class T>
T ReadOptions(const T* in, const T& defaults, const char* name) {
  T out = defaults;
  if (!in) return out;
  if (in->struct_size < sizeof(uint32_t) || in->struct_size % alignof(T) != 0) {
    // sizeof of any real (older or newer) version of the struct is a multiple of its
    // alignment; anything else would end inside a field and copy half a pointer.
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(name) + "->struct_size is " +
                                      std::to_string(in->struct_size) + "; set it to sizeof(" +
                                      name + ") (" + std::to_string(sizeof(T)) + ")");
  }
  size_t n = in->struct_size < sizeof(T) ? in->struct_size : sizeof(T);
  std::memcpy(static_cast<void*>(&out), in, n);
  out.struct_size = sizeof(T);
  return out;
}

// Writes an info struct into a caller's struct of possibly different size.
template <class T>
void WriteInfo(T* out, const T& value, const char* name) {
  RequireNotNull(out, name);
  uint32_t size = out->struct_size;
  if (size < sizeof(uint32_t) || size % alignof(T) != 0) {
    Fail(EK_ERR_INVALID_ARGUMENT, std::string(name) + "->struct_size is " + std::to_string(size) +
                                      "; set it to sizeof the struct before the call");
  }
  size_t n = size < sizeof(T) ? size : sizeof(T);
  std::memcpy(static_cast<void*>(out), &value, n);
  out->struct_size = size;
}

// A C string the caller owns (freed with ek_string_free).
char* CopyToCString(const std::string& s);

}  // namespace ek::capi
