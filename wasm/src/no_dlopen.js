// --js-library of the embedkit module (not of the test programs, which link with
// -sMAIN_MODULE=1 and really dlopen side modules).
//
// Without dynamic linking, Emscripten 3.1.6's dlopen() aborts the whole module. The
// module registers its plugins statically and cannot load others, so dlopen fails
// the POSIX way instead: NULL, with the reason for dlerror(). ek_plugin_load then
// reports EK_ERR_NOT_A_PLUGIN and the module keeps running.
mergeInto(LibraryManager.library, {
  _dlopen_js__deps: ['__dl_seterr', 'malloc', 'free'],
  _dlopen_js: function(handle) {
    // __dl_seterr formats the text into its own buffer; ours is freed right after.
    var msg = allocateUTF8('dynamic loading is not available in the embedkit ' +
                           'WebAssembly module (its plugins are built in)');
    ___dl_seterr(msg, 0);
    _free(msg);
    return 0;
  },
  _dlsym_js: function(handle, symbol) {
    return 0;
  },
});
