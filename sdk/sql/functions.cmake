# The vec_* SQL functions (docs/design/sql_extension.md "Functions"), included by
# sdk/sql/CMakeLists.txt: the sources join ek_sql; the C++ test drives them through a
# real in-memory SQLite connection.
target_sources(ek_sql PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/vector_value.cc
  ${CMAKE_CURRENT_LIST_DIR}/functions.cc
  ${CMAKE_CURRENT_LIST_DIR}/functions_constructors.cc
  ${CMAKE_CURRENT_LIST_DIR}/functions_inspect.cc
  ${CMAKE_CURRENT_LIST_DIR}/functions_distance.cc
  ${CMAKE_CURRENT_LIST_DIR}/functions_arithmetic.cc
  ${CMAKE_CURRENT_LIST_DIR}/functions_quantize.cc
  ${CMAKE_CURRENT_LIST_DIR}/functions_each.cc)

if(NOT EK_BUILD_TESTS)
  return()
endif()
# tests/CMakeLists.txt finds GTest too, but sdk/ is configured before tests/.
find_package(GTest REQUIRED)
include(GoogleTest)
add_executable(ek_sql_vector_value_test ${PROJECT_SOURCE_DIR}/tests/sql/vector_value_test.cc)
target_link_libraries(ek_sql_vector_value_test PRIVATE ek_sql SQLite::SQLite3 GTest::gtest_main ek_warnings)
gtest_discover_tests(ek_sql_vector_value_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS sql)
