# Dependencies of the WebAssembly build (emcmake cmake -B build-wasm ...).
#
# Included by the top-level CMakeLists.txt instead of find_package() when EMSCRIPTEN
# is set. Debian's emscripten 3.1.6 has a frozen cache (no ports), so the third-party
# libraries are compiled here from Debian's *source* packages, which scripts/setup.sh
# fetches into .deps/src (same versions and patches as the native -dev packages):
#
#   SQLite::SQLite3      sqlite3.c amalgamation (generated once), static library
#   simdjson::simdjson   singleheader/simdjson.cpp, static library
#   hwy::hwy             /usr/include/hwy headers (static SIMD128 target only) plus
#                        highway's aligned_allocator.cc/targets.cc, static library
#   GTest::gtest(_main)  /usr/src/googletest, static libraries
#   benchmark::benchmark Debian source package 'benchmark', static library
#
# It also sets the flags every object of the WASM build shares (SIMD128, native wasm
# exceptions so C++ errors become ek_status values, no pthreads) and schedules the
# wasm/ and tests/wasm/ folders at the end of the top-level configure.
include_guard(GLOBAL)
set(EK_WASM_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

set(EK_DEPS_SRC "${PROJECT_SOURCE_DIR}/.deps/src" CACHE PATH
    "Folder holding Debian source packages (scripts/setup.sh fetches them)")

function(_ek_find_src var pattern)
  file(GLOB _cands LIST_DIRECTORIES true "${EK_DEPS_SRC}/${pattern}")
  set(_dirs "")
  foreach(c IN LISTS _cands)
    if(IS_DIRECTORY "${c}")
      list(APPEND _dirs "${c}")
    endif()
  endforeach()
  if(NOT _dirs)
    message(FATAL_ERROR "embedkit WASM: no ${pattern} in ${EK_DEPS_SRC}; run scripts/setup.sh "
                        "(it runs 'apt-get source' for sqlite3 simdjson highway benchmark there)")
  endif()
  list(SORT _dirs)
  list(GET _dirs -1 _dir)
  set(${var} "${_dir}" PARENT_SCOPE)
endfunction()

# ---- flags shared by every object and link of the WASM build ------------------------
#  -msimd128           Highway's WASM target (static dispatch, one target)
#  -fwasm-exceptions   native wasm exception handling: the C API turns C++ exceptions
#                      into ek_status; emscripten's default would abort on throw
add_compile_options(-msimd128 -fwasm-exceptions
  # C++20 library pieces missing from emscripten 3.1.6's libc++ (std::bit_cast)
  "$<$<COMPILE_LANGUAGE:CXX>:SHELL:-include ${CMAKE_CURRENT_LIST_DIR}/compat/ek_wasm_compat.h>")
add_link_options(-fwasm-exceptions -sALLOW_MEMORY_GROWTH=1)
# emcc at -O1+ runs acorn through node and needs Debian's module folder.
set(CMAKE_C_LINKER_LAUNCHER ${CMAKE_COMMAND} -E env NODE_PATH=/usr/share/nodejs)
set(CMAKE_CXX_LINKER_LAUNCHER ${CMAKE_COMMAND} -E env NODE_PATH=/usr/share/nodejs)
# Test programs (GoogleTest suites, the C API test, benchmarks) run under node with
# the host file system visible (NODERAWFS): scratch folders and store files are real
# files. Applied below to every folder after wasm/, whose module is for browsers too;
# tests/wasm adds them itself.
# -O1 on their link line only (it follows CMake's -O3, and emcc's last -O wins): the
# objects stay -O3, and emcc 3.1.6 runs Binaryen's whole-module wasm-opt only at -O2+.
# That pass took 15-73 s per test program and ~2 s without it, with the same results
# and run times (docs/reliability.md). -O1 keeps ASSERTIONS=0, as the shipped module
# has; ek_wasm (wasm/CMakeLists.txt) keeps the full Release link.
set(EK_WASM_NODE_PROGRAM_LINK_OPTIONS -sNODERAWFS=1 -sEXIT_RUNTIME=1
  "SHELL:--pre-js ${CMAKE_CURRENT_LIST_DIR}/node_exe_pre.js" -O1)

# ---- plugins as wasm side modules ----------------------------------------------------
# Emscripten's CMake has no MODULE libraries (add_library(MODULE) gives a static
# archive). A plugin module for dlopen() is a side module instead:
#   ek_wasm_side_module(<target> <output dir> <output name> SOURCES ...
#                       [DEFINITIONS ...] [OPTIONS ...] [LIBRARIES ...])
# writes <output dir>/<output name>.so. The program that dlopen()s it must be linked
# with -sMAIN_MODULE=1 (ek_wasm_dlopen_host(<target>)); the npm package's module is
# not, and refuses ek_plugin_load with EK_ERR_NOT_A_PLUGIN.
function(ek_wasm_side_module target out_dir out_name)
  cmake_parse_arguments(S "" "" "SOURCES;DEFINITIONS;OPTIONS;LIBRARIES" ${ARGN})
  add_executable(${target} ${S_SOURCES})
  target_link_libraries(${target} PRIVATE embedkit_abi ${S_LIBRARIES})
  target_compile_definitions(${target} PRIVATE ${S_DEFINITIONS})
  # ek_warnings' flags, except that clang (unlike g++) flags static functions a
  # fixture variant compiles out of use.
  target_compile_options(${target} PRIVATE -fPIC -Wall -Wextra -Werror -Wno-unused-function
    ${S_OPTIONS})
  target_link_options(${target} PRIVATE -sSIDE_MODULE=1)
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${out_name} SUFFIX ".so"
    RUNTIME_OUTPUT_DIRECTORY ${out_dir})
endfunction()

function(ek_wasm_dlopen_host target)
  target_link_options(${target} PRIVATE -sMAIN_MODULE=1)
  # A main module is linked with --whole-archive; CMake may list an archive twice
  # (e.g. simdjson directly and through libembedkit's parts): keep the first copy.
  set_target_properties(${target} PROPERTIES
    C_LINKER_LAUNCHER ${EK_WASM_CMAKE_DIR}/link_dedupe_archives.sh
    CXX_LINKER_LAUNCHER ${EK_WASM_CMAKE_DIR}/link_dedupe_archives.sh)
endfunction()

# ---- SQLite -------------------------------------------------------------------------
_ek_find_src(EK_SQLITE_SRC "sqlite3-*")
set(EK_SQLITE_AMALG "${CMAKE_BINARY_DIR}/_deps/sqlite3-amalgamation")
if(NOT EXISTS "${EK_SQLITE_AMALG}/sqlite3.c")
  message(STATUS "embedkit WASM: generating sqlite3.c from ${EK_SQLITE_SRC}")
  file(MAKE_DIRECTORY "${EK_SQLITE_AMALG}")
  # An out-of-tree configure with the host compiler: only the amalgamation is made.
  execute_process(
    COMMAND env -u CC -u CXX -u CFLAGS "${EK_SQLITE_SRC}/configure" --disable-tcl
            --disable-readline --disable-math
    WORKING_DIRECTORY "${EK_SQLITE_AMALG}" RESULT_VARIABLE _rc OUTPUT_QUIET)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "sqlite3 configure failed (${_rc}) in ${EK_SQLITE_AMALG}")
  endif()
  execute_process(COMMAND make sqlite3.c WORKING_DIRECTORY "${EK_SQLITE_AMALG}"
                  RESULT_VARIABLE _rc OUTPUT_QUIET)
  if(NOT _rc EQUAL 0 OR NOT EXISTS "${EK_SQLITE_AMALG}/sqlite3.c")
    message(FATAL_ERROR "make sqlite3.c failed (${_rc}) in ${EK_SQLITE_AMALG}")
  endif()
endif()
add_library(ek_dep_sqlite3 STATIC "${EK_SQLITE_AMALG}/sqlite3.c")
target_include_directories(ek_dep_sqlite3 SYSTEM PUBLIC "${EK_SQLITE_AMALG}")
# Debian's semantic options (debian/rules) where they change behaviour the store can
# see (secure_delete on by default, URI names, variable limit, LIKE on blobs), minus
# what WASM cannot have (threads). Extension loading stays compiled in, as in Debian's
# build, for its API table: the module registers the SQL extension through
# sqlite3_auto_extension (wasm/src/ek_wasm_sql_glue.c), whose init reads SQLite's
# identity from that table, which a build without it passes as NULL. Nothing can be
# loaded from a file: the module has no dlopen (src/no_dlopen.js) and no connection
# enables load_extension().
target_compile_definitions(ek_dep_sqlite3 PRIVATE
  # What Debian's configure finds in libc (emscripten's musl has the same); without
  # HAVE_USLEEP the busy handler sleeps in whole seconds and gives up on any
  # busy_timeout under 1000 ms.
  HAVE_USLEEP=1 HAVE_FDATASYNC=1 HAVE_GMTIME_R=1 HAVE_LOCALTIME_R=1 HAVE_ISNAN=1
  HAVE_STRCHRNUL=1 HAVE_UTIME=1
  SQLITE_THREADSAFE=0
  SQLITE_SECURE_DELETE
  SQLITE_USE_URI=1
  SQLITE_MAX_VARIABLE_NUMBER=250000
  SQLITE_LIKE_DOESNT_MATCH_BLOBS
  SQLITE_ALLOW_ROWID_IN_VIEW
  SQLITE_OMIT_LOOKASIDE=1
  SQLITE_MAX_SCHEMA_RETRY=25
  SQLITE_ENABLE_JSON1
  SQLITE_DEFAULT_MEMSTATUS=0)
target_compile_options(ek_dep_sqlite3 PRIVATE -O2 -fno-strict-aliasing -w)
add_library(SQLite::SQLite3 ALIAS ek_dep_sqlite3)
set(SQLite3_FOUND TRUE)
set(SQLite3_VERSION 3.40.1)

# ---- simdjson -----------------------------------------------------------------------
_ek_find_src(EK_SIMDJSON_SRC "simdjson-*")
add_library(ek_dep_simdjson STATIC "${EK_SIMDJSON_SRC}/singleheader/simdjson.cpp")
target_include_directories(ek_dep_simdjson SYSTEM PUBLIC "${EK_SIMDJSON_SRC}/singleheader")
# No WASM SIMD kernel in simdjson 3.0.1: the portable "fallback" implementation.
# Threads stay off: simdjson turns them on when SIMDJSON_THREADS_ENABLED is *defined*
# (any value) or _REENTRANT is; document_stream would then start a std::thread, which
# aborts in a module built without pthreads. So the macro must not be defined at all.
target_compile_definitions(ek_dep_simdjson PRIVATE SIMDJSON_AVOID_DEAD_CODE=1)
target_compile_options(ek_dep_simdjson PRIVATE -O2 -w)
add_library(simdjson::simdjson ALIAS ek_dep_simdjson)
set(simdjson_FOUND TRUE)

# ---- Highway ------------------------------------------------------------------------
# A folder that holds only a 'hwy' link to the system headers (never -I/usr/include,
# which would shadow emscripten's libc).
set(EK_HWY_INCLUDE "${CMAKE_BINARY_DIR}/_deps/hwy-include")
if(NOT EXISTS "${EK_HWY_INCLUDE}/hwy")
  file(MAKE_DIRECTORY "${EK_HWY_INCLUDE}")
  file(CREATE_LINK /usr/include/hwy "${EK_HWY_INCLUDE}/hwy" SYMBOLIC)
endif()
_ek_find_src(EK_HWY_SRC "highway-*")
add_library(ek_dep_hwy STATIC "${EK_HWY_SRC}/hwy/aligned_allocator.cc"
  "${EK_HWY_SRC}/hwy/targets.cc")
target_include_directories(ek_dep_hwy SYSTEM PUBLIC "${EK_HWY_INCLUDE}")
target_compile_definitions(ek_dep_hwy PUBLIC HWY_COMPILE_ONLY_STATIC=1 HWY_STATIC_DEFINE)
target_compile_options(ek_dep_hwy PUBLIC -msimd128 PRIVATE -O2 -w)
add_library(hwy::hwy ALIAS ek_dep_hwy)
set(hwy_FOUND TRUE)

# ---- GoogleTest ---------------------------------------------------------------------
if(EK_BUILD_TESTS)
  set(gtest_disable_pthreads ON CACHE BOOL "" FORCE)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  set(BUILD_GMOCK ON CACHE BOOL "" FORCE)
  add_subdirectory(/usr/src/googletest "${CMAKE_BINARY_DIR}/_deps/googletest" EXCLUDE_FROM_ALL)
  foreach(t gtest gtest_main gmock gmock_main)
    if(TARGET ${t})
      target_compile_options(${t} PRIVATE -w)
    endif()
    if(TARGET ${t} AND NOT TARGET GTest::${t})  # googletest >= 1.11 defines them itself
      add_library(GTest::${t} ALIAS ${t})
    endif()
  endforeach()
  # tests/CMakeLists.txt calls find_package(GTest): answer it from the redirect folder
  # (CMake >= 3.24 looks there first), so the targets above are used.
  file(WRITE "${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/gtest-config.cmake"
       "# embedkit WASM: GTest targets come from wasm/cmake/deps.cmake\nset(GTest_FOUND TRUE)\n")
  file(WRITE "${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/gtest-config-version.cmake"
       "set(PACKAGE_VERSION 1.12.1)\nset(PACKAGE_VERSION_COMPATIBLE TRUE)\n")
endif()

# ---- Google Benchmark ---------------------------------------------------------------
# tests/bench's kernel benchmarks run under node too (their ctest smoke pass, and the
# WASM side of the WASM/native throughput figures). Debian source package
# 'benchmark' (same version as libbenchmark-dev), compiled without threads.
if(EK_BUILD_BENCH)
  _ek_find_src(EK_BENCHMARK_SRC "benchmark-*")
  file(GLOB _bm_sources "${EK_BENCHMARK_SRC}/src/*.cc")
  list(FILTER _bm_sources EXCLUDE REGEX "benchmark_main\\.cc$")
  add_library(ek_dep_benchmark STATIC ${_bm_sources})
  target_include_directories(ek_dep_benchmark SYSTEM PUBLIC "${EK_BENCHMARK_SRC}/include")
  target_compile_definitions(ek_dep_benchmark PUBLIC BENCHMARK_STATIC_DEFINE
    PRIVATE HAVE_STD_REGEX HAVE_STEADY_CLOCK)
  target_compile_options(ek_dep_benchmark PRIVATE -O2 -w)
  add_library(benchmark::benchmark ALIAS ek_dep_benchmark)
  add_library(ek_dep_benchmark_main STATIC "${EK_BENCHMARK_SRC}/src/benchmark_main.cc")
  target_link_libraries(ek_dep_benchmark_main PUBLIC ek_dep_benchmark)
  add_library(benchmark::benchmark_main ALIAS ek_dep_benchmark_main)
  file(WRITE "${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/benchmark-config.cmake"
       "# embedkit WASM: benchmark targets come from wasm/cmake/deps.cmake\nset(benchmark_FOUND TRUE)\n")
  file(WRITE "${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/benchmark-config-version.cmake"
       "set(PACKAGE_VERSION 1.7.1)\nset(PACKAGE_VERSION_COMPATIBLE TRUE)\n")
endif()

# ---- our own WASM folders (they name SDK targets defined later; CMake resolves
# target names at generate time) ------------------------------------------------------
add_subdirectory(${PROJECT_SOURCE_DIR}/wasm ${CMAKE_BINARY_DIR}/wasm)
add_link_options(${EK_WASM_NODE_PROGRAM_LINK_OPTIONS})

# At the end of the top-level configure: keep out of 'all' what has no meaning in a
# WASM build (the native command-line program; MODULE libraries, which emscripten's
# CMake turns into static archives: the WASM tests use side modules instead) and the
# programs no WASM test runs (the C sample hello_store, run by the native
# tests/samples; text_classify_dump, an offline exploration tool).
function(_ek_wasm_prune)
  foreach(t embedkit_cli ek_sample_trigram_hash fixture_ok fixture_duplicate fixture_abi2
            fixture_small_struct fixture_no_entry fixture_no_create fixture_throwing
            hello_store text_classify_dump)
    if(TARGET ${t})
      set_target_properties(${t} PROPERTIES EXCLUDE_FROM_ALL TRUE)
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _ek_wasm_prune)
