# The bundled plugins as SQL functions (sdk/sql/plugin_functions.h), included by
# sdk/sql/CMakeLists.txt: the sources join ek_sql. Tested by tests/sql/test_plugins.py
# against the CLI's answers for the same inputs.
target_sources(ek_sql PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/plugin_functions.cc
  ${CMAKE_CURRENT_LIST_DIR}/plugin_functions_common.cc
  ${CMAKE_CURRENT_LIST_DIR}/plugin_functions_encode.cc
  ${CMAKE_CURRENT_LIST_DIR}/plugin_functions_classify.cc
  ${CMAKE_CURRENT_LIST_DIR}/plugin_functions_match.cc
  ${CMAKE_CURRENT_LIST_DIR}/plugin_functions_rec.cc)
# Options and id lists are read with simdjson; JSON is written with the one quoter.
target_link_libraries(ek_sql PRIVATE simdjson::simdjson ek_plugin_common)
