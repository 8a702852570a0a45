# The optional CUDA backend: detection and enable_language(CUDA). Included from the
# top-level CMakeLists.txt (a language must be enabled in the directory common to every
# target that links CUDA objects); sdk/cuda/CMakeLists.txt builds the library.
#
# EK_WITH_CUDA (top-level cache variable):
#   AUTO  build it when nvcc is found (CMAKE_CUDA_COMPILER, CUDACXX, PATH or
#         /usr/local/cuda/bin/nvcc); otherwise build nothing CUDA and say so
#   ON    build it or fail the configure step
#   OFF   build nothing CUDA; the CPU build is unchanged
#
# Code: SASS for sm_90 (H100/H200) plus PTX for compute_75, which the driver JIT-compiles
# for any newer or older-than-Hopper GPU from Turing on (EK_CUDA_ARCHITECTURES overrides).
# cudart is linked statically, so libembedkit.so loads on machines without CUDA; there
# the backend probe reports why and the CPU backend is used.
set(EK_CUDA_ENABLED OFF)
string(TOUPPER "${EK_WITH_CUDA}" _ek_cuda_mode)
if(NOT _ek_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "EK_WITH_CUDA must be AUTO, ON or OFF (got '${EK_WITH_CUDA}')")
endif()

# Sanitizer and fuzz builds add host-compiler flags (-fsanitize=...) to every language,
# which nvcc rejects; those builds test the CPU code, so AUTO leaves CUDA out there.
set(_ek_cuda_skip "")
if(EMSCRIPTEN)
  set(_ek_cuda_skip "WebAssembly build")
elseif(EK_SANITIZE OR EK_SANITIZE_THREAD OR EK_FUZZ)
  set(_ek_cuda_skip "sanitizer/fuzz build")
endif()
if(_ek_cuda_skip AND _ek_cuda_mode STREQUAL "ON")
  message(FATAL_ERROR "EK_WITH_CUDA=ON is not supported in a ${_ek_cuda_skip}")
elseif(_ek_cuda_skip AND _ek_cuda_mode STREQUAL "AUTO")
  message(STATUS "embedkit: CUDA backend not built (${_ek_cuda_skip})")
endif()

if(NOT _ek_cuda_mode STREQUAL "OFF" AND NOT _ek_cuda_skip)
  # CMake 3.25 does not look in /usr/local/cuda/bin; point it there when nothing else
  # names a compiler.
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc CACHE FILEPATH "CUDA compiler")
  endif()
  if(NOT CMAKE_CUDA_HOST_COMPILER AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(CMAKE_CUDA_HOST_COMPILER ${CMAKE_CXX_COMPILER} CACHE FILEPATH "nvcc host compiler")
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(EK_CUDA_ENABLED ON)
  elseif(_ek_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "EK_WITH_CUDA=ON but no CUDA compiler was found "
                        "(set CMAKE_CUDA_COMPILER or CUDACXX)")
  else()
    message(STATUS "embedkit: CUDA backend not built (EK_WITH_CUDA=AUTO, nvcc not found)")
  endif()
endif()

if(EK_CUDA_ENABLED)
  set(EK_CUDA_ARCHITECTURES "90-real;75-virtual" CACHE STRING
      "CUDA architectures of the backend (SASS sm_90 + PTX compute_75 by default)")
  set(CMAKE_CUDA_ARCHITECTURES ${EK_CUDA_ARCHITECTURES})
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  # CUDA sources follow CXX_STANDARD (20), but CMake 3.25 knows no C++20 flag for nvcc
  # 13 (which accepts -std=c++20 with g++ 12): teach it.
  if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION OR
     CMAKE_CUDA20_STANDARD_COMPILE_OPTION STREQUAL "")
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  endif()
  message(STATUS "embedkit: CUDA backend ON (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, "
                 "architectures ${EK_CUDA_ARCHITECTURES}, static cudart)")
endif()
