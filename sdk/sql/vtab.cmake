# The `embedkit` virtual table (docs/design/sql_extension.md "The embedkit virtual
# table"), included by sdk/sql/CMakeLists.txt: its sources join ek_sql, and its C++
# test (the CREATE argument parser, no SQLite needed) is added here.
target_sources(ek_sql PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/vec0_columns.cc
  ${CMAKE_CURRENT_LIST_DIR}/vtab_module.cc
  ${CMAKE_CURRENT_LIST_DIR}/vtab_plan.cc
  ${CMAKE_CURRENT_LIST_DIR}/vtab_cursor.cc
  ${CMAKE_CURRENT_LIST_DIR}/vtab_write.cc
  ${CMAKE_CURRENT_LIST_DIR}/vtab_filter.cc
  ${CMAKE_CURRENT_LIST_DIR}/vtab_values.cc)
# Metadata is read with simdjson directly; JSON is written with the one quoter.
target_link_libraries(ek_sql PRIVATE simdjson::simdjson ek_plugin_common)

if(NOT EK_BUILD_TESTS)
  return()
endif()
# tests/CMakeLists.txt finds GTest too, but sdk/ is configured before tests/.
find_package(GTest REQUIRED)
include(GoogleTest)
add_executable(ek_sql_vec0_columns_test ${PROJECT_SOURCE_DIR}/tests/sql/vec0_columns_test.cc)
target_link_libraries(ek_sql_vec0_columns_test PRIVATE ek_sql GTest::gtest_main ek_warnings)
gtest_discover_tests(ek_sql_vec0_columns_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS sql)
