# POST_BUILD step of ek_wasm: copies the module into the npm package's dist/ folder.
#   cmake -DIN=<build>/embedkit_core.js -DOUT_DIR=<wasm/js/dist> -P dist.cmake
# embedkit_core.cjs  the CommonJS factory as emcc wrote it (Node)
# embedkit_core.mjs  the same code followed by an ES export (browsers; the package
#                    loads it with import())
# embedkit_core.wasm the module
get_filename_component(_dir "${IN}" DIRECTORY)
get_filename_component(_stem "${IN}" NAME_WE)
file(MAKE_DIRECTORY "${OUT_DIR}")
file(READ "${IN}" _js)
file(WRITE "${OUT_DIR}/${_stem}.cjs" "${_js}")
file(WRITE "${OUT_DIR}/${_stem}.mjs" "${_js}\nexport default createEmbedkitModule;\n")
file(COPY_FILE "${_dir}/${_stem}.wasm" "${OUT_DIR}/${_stem}.wasm" ONLY_IF_DIFFERENT)
