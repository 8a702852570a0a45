# Install rules for C and C++ consumers (included from the top-level CMakeLists.txt
# after the targets exist):
#   lib/libembedkit.so.<version> + .so.<ABI major> (SONAME) + .so (link name)
#   include/embedkit/*.h (+ ext/)           the public headers, nothing from sdk/
#   bin/embedkit                            the CLI (rpath $ORIGIN/../lib)
#   lib/cmake/embedkit/embedkitConfig.cmake find_package(embedkit) -> embedkit::embedkit
#   lib/pkgconfig/embedkit.pc               pkg-config --cflags --libs embedkit
# Everything is relocatable: `cmake --install build --prefix /any/where` works.
if(EMSCRIPTEN)
  return()  # the WASM build ships an npm package instead (wasm/)
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(EK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/embedkit)

# The library and its (header-only) interface target, exported as
# embedkit::embedkit and embedkit::embedkit_abi.
install(TARGETS embedkit embedkit_abi EXPORT embedkitTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/abi/include/embedkit
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(EXPORT embedkitTargets NAMESPACE embedkit:: DESTINATION ${EK_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/embedkitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/embedkitConfig.cmake
  INSTALL_DESTINATION ${EK_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/embedkitConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/embedkitConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/embedkitConfigVersion.cmake
  DESTINATION ${EK_INSTALL_CMAKEDIR})

# pkg-config: paths relative to the .pc file, so the prefix can move.
file(RELATIVE_PATH EK_PC_TO_PREFIX
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
set(EK_PC_TO_PREFIX "\${pcfiledir}/${EK_PC_TO_PREFIX}")
string(REGEX REPLACE "/$" "" EK_PC_TO_PREFIX "${EK_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/embedkit.pc.in ${PROJECT_BINARY_DIR}/cmake/embedkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/embedkit.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CLI finds the library next door wherever the prefix lands.
if(TARGET embedkit_cli)
  set_target_properties(embedkit_cli PROPERTIES
    INSTALL_RPATH "\$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
endif()
